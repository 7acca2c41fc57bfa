"""A crawl killed with SIGKILL at any moment, a batch write among them, leaves a sound database.

The next run then yields exactly the rows and events of a crawl that was
never interrupted: batches and their events commit together, and the
watermark only moves when a run completes.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import db
from ailabor.testing.replay import Route
from tests.conftest import FIXTURES, REPO, crawl

pytestmark = pytest.mark.faults

PAGES, PER_PAGE = 8, 25
TEMPLATE = json.loads((FIXTURES / "federal_register" / "documents_page1.json").read_text())["results"]


def _listing(delay: float = 0.0) -> list[Route]:
    routes = []
    for page in range(1, PAGES + 1):
        documents = []
        for n in range(PER_PAGE):
            document = copy.deepcopy(TEMPLATE[n % len(TEMPLATE)])
            document["document_number"] = f"2025-{page:02d}{n:03d}"
            document["title"] = f"{document['title']} ({page}.{n})"
            documents.append(document)
        body = {"count": PAGES * PER_PAGE, "description": "x", "total_pages": PAGES, "results": documents}
        if page < PAGES:
            body["next_page_url"] = f"https://www.federalregister.gov/api/v1/documents?page={page + 1}"
        path, query = ("/documents.json", {"page": None}) if page == 1 else ("/documents", {"page": str(page)})
        routes.append(Route(path, body=json.dumps(body), query=query, delay=delay))
    return routes


def _content(path: Path) -> dict[str, list]:
    database = db.connect(path)
    meetings = sorted(
        tuple(r) for r in database.execute(
            "SELECT id, kind, title, abstract, start, comments_close_on, docket_id, relevant FROM meetings"))
    topics = sorted(tuple(r) for r in database.execute("SELECT * FROM meeting_topics"))
    events = sorted(tuple(r) for r in database.execute("SELECT kind, meeting_id, bill_id, summary FROM events"))
    return {"meetings": meetings, "topics": topics, "events": events}


def _env(server_url: str, db_path: Path) -> dict[str, str]:
    return dict(os.environ, FEDERAL_REGISTER_API_URL=server_url, AILABOR_DB=str(db_path), AILABOR_STORE_BATCH="10",
                AILABOR_RETRY_BACKOFF="0.05")


def _writing(db_path: Path) -> bool:
    """True while another connection holds the write lock: a batch is being written right now."""
    probe = sqlite3.connect(db_path, timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def _start(server_url: str, db_path: Path) -> subprocess.Popen:
    db.connect(db_path, create=True).close()
    return subprocess.Popen([sys.executable, "-m", "ailabor.cli", "crawl", "federal_register", "--db", str(db_path)],
                            env=_env(server_url, db_path), cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    from ailabor.testing.replay import Cassette, ReplayServer

    path = tmp_path_factory.mktemp("whole") / "tracker.db"
    server = ReplayServer(Cassette(_listing(), FIXTURES)).start()
    try:
        crawl("federal_register", server, path)
    finally:
        server.stop()
    content = _content(path)
    assert len(content["meetings"]) == PAGES * PER_PAGE
    return content


def _slow_writes(db_path: Path) -> None:
    """Make every stored event cost real work, so that batch writes take long enough to be hit."""
    database = db.connect(db_path, create=True)
    database.execute(
        "CREATE TRIGGER slow_write AFTER INSERT ON events BEGIN SELECT count(*) FROM (WITH RECURSIVE c(x) AS"
        " (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) SELECT x FROM c); END")
    database.close()


def _finish_after_kill(replay, db_path: Path, uninterrupted) -> None:
    check = sqlite3.connect(db_path)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check.execute("DROP TRIGGER IF EXISTS slow_write")
    check.commit()
    check.close()
    result = crawl("federal_register", replay(_listing()), db_path)
    assert result.returncode == 0, result.stderr
    assert _content(db_path) == uninterrupted
    runs = db.connect(db_path).execute("SELECT status, message FROM crawl_runs ORDER BY id").fetchall()
    assert runs[0] == ("failed", "interrupted")
    assert runs[-1][0] == "ok"


def test_killed_during_a_batch_write_then_rerun_equals_an_uninterrupted_crawl(replay, db_path, uninterrupted):
    _slow_writes(db_path)
    server = replay(_listing())
    crawler = _start(server.url, db_path)
    deadline = time.monotonic() + 60
    # Once a first batch is in, the write lock is only ever taken for the next batches.
    while not (db.connect(db_path)["meetings"].count and _writing(db_path)):
        assert time.monotonic() < deadline and crawler.poll() is None, "the crawl never started writing"
        time.sleep(0.005)
    crawler.send_signal(signal.SIGKILL)
    crawler.wait()
    stored = db.connect(db_path)["meetings"].count
    assert stored < PAGES * PER_PAGE
    _finish_after_kill(replay, db_path, uninterrupted)


@pytest.mark.parametrize("after_pages", [1, 3, 6])
def test_killed_between_pages_then_rerun_equals_an_uninterrupted_crawl(replay, db_path, uninterrupted, after_pages):
    server = replay(_listing(delay=0.2))
    crawler = _start(server.url, db_path)
    deadline = time.monotonic() + 60
    while len(server.hits) < after_pages:
        assert time.monotonic() < deadline and crawler.poll() is None
        time.sleep(0.01)
    crawler.send_signal(signal.SIGKILL)
    crawler.wait()
    _finish_after_kill(replay, db_path, uninterrupted)
