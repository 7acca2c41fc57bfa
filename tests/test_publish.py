"""Publishing: a running public face switches to each new snapshot at once, never showing two at a time;
what cannot be published or served is said in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

import db
from ailabor.records import Action, BillItem
from ailabor.site.faces import make_datasette
from ailabor.site.publish import publish
from ailabor.store.writer import Store
from tests.conftest import REPO
from tests.test_site import _classified, ago, build_site_db, served

# Three queries answer this one request (the rows, their count, the facet), so a reader that switched
# snapshots in the middle of it would show numbers that disagree.
BILLS = "/tracker/bills.json?_size=max&_facet=jurisdiction&_shape=objects"


def add_bills(working: Path, prefix: str, count: int) -> None:
    database = db.connect(working)
    Store(database).save([_classified(BillItem(
        jurisdiction="wa", session="2025", identifier=f"{prefix} {n}", source="test", chamber="lower",
        title="Automated decision tools in employment", summary="Artificial intelligence used to fire workers.",
        actions=[Action(ago(1), "Introduced", "lower", ["introduction"])])) for n in range(count)])
    database.close()


def bill_count(url: str) -> int:
    """The number of bills one response shows; it fails the test when the response disagrees with itself."""
    with urllib.request.urlopen(url + BILLS, timeout=30) as response:
        data = json.load(response)
    count = data["filtered_table_rows_count"]
    assert len(data["rows"]) == count
    assert sum(facet["count"] for facet in data["facet_results"]["jurisdiction"]["results"]) == count
    return count


@pytest.mark.review("publish_switch")
def test_a_running_public_face_serves_each_publish_at_once_and_never_a_mix(tmp_path):
    working = build_site_db(tmp_path / "tracker.db")
    snapshot = publish(working)
    with served(snapshot, public=True) as url:
        # Enough requests that every SQL thread of the server holds the first snapshot open.
        assert {bill_count(url) for _ in range(12)} == {7}
        add_bills(working, "HB", 2)
        publish(working)
        assert [bill_count(url) for _ in range(12)] == [9] * 12

        seen: list[int] = []
        failures: list[BaseException] = []
        stop = threading.Event()

        def read() -> None:
            while not stop.is_set():
                try:
                    seen.append(bill_count(url))
                except BaseException as exc:  # the test reports it
                    failures.append(exc)
                    return

        readers = [threading.Thread(target=read) for _ in range(4)]
        for reader in readers:
            reader.start()
        add_bills(working, "SB", 3)
        publish(working)
        after = [bill_count(url) for _ in range(12)]
        stop.set()
        for reader in readers:
            reader.join(timeout=60)
    assert failures == []
    assert after == [12] * 12
    assert set(seen) <= {9, 12}


def ailabor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ailabor.cli", *args], capture_output=True, text=True, timeout=60,
                          check=False, cwd=REPO, env={**os.environ, **(env or {})})


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ailabor: "), done.stderr
    return lines[0]


@pytest.mark.review("operator_mistake")
def test_publishing_a_corrupt_database_says_so_in_one_line_and_keeps_the_served_snapshot(tmp_path):
    working = build_site_db(tmp_path / "tracker.db")
    snapshot = publish(working)
    served_bytes = snapshot.read_bytes()
    for name in ("tracker.db-wal", "tracker.db-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    working.write_bytes(b"not a database at all " * 500)
    line = one_line_error(ailabor("publish", "--db", str(working)))
    assert str(working) in line
    assert snapshot.read_bytes() == served_bytes
    assert sorted(p.name for p in snapshot.parent.iterdir()) == ["tracker.db"]


@pytest.mark.review("operator_mistake")
def test_publishing_without_a_database_says_so_and_creates_nothing(tmp_path):
    missing = tmp_path / "typo" / "tracker.db"
    line = one_line_error(ailabor("publish", "--db", str(missing)))
    assert "ailabor init" in line
    assert not (tmp_path / "typo").exists()


@pytest.mark.review("operator_mistake")
def test_serving_a_corrupt_snapshot_says_so_in_one_line(tmp_path):
    working = db.connect(tmp_path / "tracker.db", create=True)
    working.close()
    snapshot = tmp_path / "public" / "tracker.db"
    snapshot.parent.mkdir()
    snapshot.write_bytes(b"SQLite format 3\x00" + b"\x00" * 90 + b"damaged" * 1000)
    line = one_line_error(ailabor("serve", "--public", "--db", str(tmp_path / "tracker.db"), "--port", "1"))
    assert "ailabor publish" in line


@pytest.mark.review("operator_mistake")
def test_serving_the_public_face_before_init_says_so_in_one_line(tmp_path):
    line = one_line_error(ailabor("serve", "--public", "--db", str(tmp_path / "nothing" / "tracker.db")))
    assert "ailabor init" in line
    assert not (tmp_path / "nothing").exists()


async def test_before_any_crawl_the_public_face_is_an_empty_working_site(tmp_path):
    db.connect(tmp_path / "tracker.db", create=True).close()
    done = ailabor("publish", "--db", str(tmp_path / "tracker.db"))
    assert done.returncode == 0, done.stderr
    ds = make_datasette(db.snapshot_path(working=tmp_path / "tracker.db"), public=True)
    home = await ds.client.get("/")
    assert home.status_code == 200 and "<strong>0</strong> bills" in home.text
    assert (await ds.client.get("/tracker/bills.json")).status_code == 200
