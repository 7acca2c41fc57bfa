"""Readers while a crawl writes: the public site, publishing and a digest run without "database is locked".

The public face reads a published snapshot, never the working file, and
every snapshot is a consistent copy: its meetings and their meeting_new
events agree, because a batch and its events commit together.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time

import pytest

import db
from ailabor.site.faces import make_datasette
from ailabor.site.publish import publish
from tests.conftest import REPO
from tests.test_kill import PAGES, PER_PAGE, _listing, _slow_writes, _start, _writing

pytestmark = pytest.mark.faults


async def test_site_publishing_and_digest_run_while_a_crawl_writes(replay, db_path):
    _slow_writes(db_path)
    server = replay(_listing(delay=0.1))
    crawler = _start(server.url, db_path)
    snapshots, digests, pages, during_writes = 0, 0, 0, 0
    try:
        # Only against a hang: on a loaded machine the publishes in this loop slow the crawl down a lot.
        deadline = time.monotonic() + 600
        while crawler.poll() is None:
            assert time.monotonic() < deadline
            during_writes += _writing(db_path)
            snapshot = publish(db_path)
            snapshots += 1
            check = sqlite3.connect(snapshot)
            meetings = check.execute("SELECT count(*) FROM meetings").fetchone()[0]
            announced = check.execute("SELECT count(*) FROM events WHERE kind = 'meeting_new'").fetchone()[0]
            check.close()
            assert meetings == announced
            ds = make_datasette(snapshot, public=True)
            response = await ds.client.get("/tracker/meetings.json?_shape=array&_size=5")
            assert response.status_code == 200
            pages += 1
            done = subprocess.run(
                [sys.executable, "-m", "ailabor.cli", "digest", "director", "--dry-run", "--db", str(db_path)],
                cwd=REPO, capture_output=True, text=True, timeout=120, env=dict(os.environ), check=False)
            assert "locked" not in done.stderr + done.stdout, done.stderr
            assert done.returncode == 0, done.stderr
            digests += 1
    finally:
        if crawler.poll() is None:
            crawler.kill()
    assert crawler.returncode == 0
    assert during_writes > 0, "no reader ever overlapped a write"
    assert snapshots >= 2 and digests >= 2 and pages >= 2
    assert db.connect(db_path)["meetings"].count == PAGES * PER_PAGE
