"""Size limits: a response past its source's DOWNLOAD_MAXSIZE is refused and recorded, compressed or not, and a
stored text field is cut at its limit with the cut noted on the row.

The gzip bomb's crawl runs under a small wrapper process that reports the
crawl's peak memory (ru_maxrss of its one child), so that no other crawl of
the session counts.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

import db
from ailabor.config import source_config
from ailabor.records import PROSE_CHARS, TITLE_CHARS
from ailabor.testing.replay import Route
from tests.conftest import FIXTURES, REPO, crawl, crawl_env

pytestmark = pytest.mark.review("oversized")

HERE = FIXTURES / "federal_register"
MB = 1024 * 1024
PAGE1 = Route("/documents.json", file="federal_register/documents_page1.json", query={"page": None})
# The crawl process, and its peak resident memory in kB (Linux) printed last.
MEASURED = ("import resource, subprocess, sys\n"
            "done = subprocess.run(sys.argv[1:])\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")


def gzip_of_zeros(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: a gzip header and trailer
    chunk = bytes(MB)
    return b"".join([*(packer.compress(chunk) for _ in range(size // MB)), packer.flush()])


def _errors(db_path: Path) -> list[dict]:
    return list(db.connect(db_path).query("SELECT * FROM crawl_errors"))


def _run(db_path: Path) -> dict:
    return next(db.connect(db_path).query("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1"))


def test_each_source_has_a_download_limit_below_scrapy_s_gigabyte():
    from ailabor.crawl import project_settings, spider_classes

    for name, spider in spider_classes().items():
        settings = project_settings()
        spider.update_settings(settings)
        assert 0 < settings.getint("DOWNLOAD_WARNSIZE") < settings.getint("DOWNLOAD_MAXSIZE") <= 64 * MB, name


def test_a_gzip_bomb_is_refused_recorded_and_costs_little_memory(replay, db_path, tmp_path):
    bomb = tmp_path / "bomb.gz"
    bomb.write_bytes(gzip_of_zeros(1536 * MB))  # 1.5 GB of zeros in 1.5 MB
    db.connect(db_path, create=True).close()
    server = replay([Route("/documents.json", file="bomb.gz", headers={"Content-Encoding": "gzip"},
                           content_type="application/json")], tmp_path)
    done = subprocess.run([sys.executable, "-c", MEASURED, sys.executable, "-m", "ailabor.cli", "crawl",
                           "federal_register", "--db", str(db_path)], env=crawl_env(server, db_path), cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False)
    peak_mb = int(done.stdout.strip().splitlines()[-1]) / 1024
    assert "federal_register: failed" in done.stdout, done.stdout + done.stderr[-2000:]
    errors = _errors(db_path)
    assert len(errors) == 1 and errors[0]["url"].startswith(f"{server.url}/documents.json?")
    maxsize = int(source_config("federal_register")["download_maxsize_mb"])
    assert f"DOWNLOAD_MAXSIZE ({maxsize * MB} B)" in errors[0]["message"]
    message = _run(db_path)["message"]
    assert len(message) <= 2000 and "sent a response past the size limit" in message, message
    # Scrapy's own limit (1 GB) let it grow past 1.1 GB; ours stops it at a few tens of MB.
    assert peak_mb < 400, f"the crawl peaked at {peak_mb:.0f} MB"


def test_a_response_past_the_limit_is_refused_and_the_other_pages_kept(replay, db_path, tmp_path):
    maxsize = int(source_config("federal_register")["download_maxsize_mb"]) * MB
    page = json.loads((HERE / "documents_page2.json").read_text())
    page["results"][0]["title"] = "Artificial intelligence in hiring " + "x" * (maxsize + MB)
    (tmp_path / "huge.json").write_text(json.dumps(page))
    server = replay([PAGE1, Route("/documents", file=str(tmp_path / "huge.json"), query={"page": "2"})])
    result = crawl("federal_register", server, db_path)
    assert result.returncode == 0, result.stderr[-2000:]
    run = _run(db_path)
    assert (run["status"], run["watermark"]) == ("partial", None)
    errors = _errors(db_path)
    assert len(errors) == 1 and "page=2" in errors[0]["url"] and "max size" in errors[0]["message"]
    stored = db.connect(db_path).execute("SELECT count(*), max(length(title)) FROM meetings").fetchone()
    assert stored[0] == len(json.loads((HERE / "documents_page1.json").read_text())["results"])
    assert stored[1] < 10_000


def test_a_huge_title_and_abstract_are_stored_cut_with_the_cut_noted(replay, db_path, tmp_path):
    page = json.loads((HERE / "documents_page1.json").read_text())
    page.pop("next_page_url")
    document = page["results"][0]
    title = document["title"] + " " + "y" * (3 * TITLE_CHARS)
    abstract = "z" * (PROSE_CHARS + 5)
    document.update(title=title, abstract=abstract)
    server = replay([Route("/documents.json", body=json.dumps(page), query={"page": None})])
    result = crawl("federal_register", server, db_path)
    assert result.returncode == 0 and "federal_register: ok" in result.stdout, result.stdout + result.stderr[-2000:]
    row = next(db.connect(db_path).query("SELECT * FROM meetings WHERE id = ?", [f"fr-{document['document_number']}"]))
    assert row["title"] == title[:TITLE_CHARS] and row["abstract"] == abstract[:PROSE_CHARS]
    cut = json.loads(row["source_meta"])["cut"]
    # The spider adds the meeting's dates to its abstract.
    assert cut["title"] == len(title) and cut["abstract"] >= len(abstract) and set(cut) == {"title", "abstract"}
    others = db.connect(db_path).execute("SELECT count(*) FROM meetings WHERE source_meta LIKE '%\"cut\"%'")
    assert others.fetchone()[0] == 1


def test_a_bill_s_long_texts_are_cut_and_the_cut_noted():
    from ailabor.records import Action, BillItem, cap_texts

    long_title = "To amend the Labor Code " + "a" * TITLE_CHARS
    bill = BillItem(jurisdiction="ca", session="20252026", identifier="AB 1", title=long_title, source="openstates",
                    summary="s" * (PROSE_CHARS + 1), other_titles=["short", long_title],
                    actions=[Action("2025-01-01", "d" * (TITLE_CHARS + 2)), Action("2025-01-02", "Read first time")])
    assert cap_texts(bill) == {"title": len(long_title), "summary": PROSE_CHARS + 1,
                               "other_titles": len(long_title), "actions": TITLE_CHARS + 2}
    assert len(bill.title) == len(bill.other_titles[1]) == len(bill.actions[0].description) == TITLE_CHARS
    assert bill.other_titles[0] == "short" and bill.actions[1].description == "Read first time"
    assert bill.source_meta["cut"]["summary"] == PROSE_CHARS + 1
    assert cap_texts(bill) == {} and bill.source_meta["cut"]["title"] == len(long_title)
