"""People's mistakes end in one line that says what to fix, never a traceback, and change nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def ailabor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scrapers.cli", *args], cwd=REPO, capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})), timeout=120, check=False)


def _one_line_no_traceback(done: subprocess.CompletedProcess) -> str:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("ailabor: ")
    return lines[0]


@pytest.mark.parametrize("broken", ["topics: [unclosed", "topics: 3\nai_phrases: []\n", "- just\n- a list\n"])
def test_malformed_topics_file_stops_a_crawl_before_it_starts(tmp_path, broken):
    topics = tmp_path / "topics.yml"
    topics.write_text(broken)
    database = tmp_path / "tracker.db"
    line = _one_line_no_traceback(ailabor("crawl", "federal_register", "--db", str(database),
                                          env={"AILABOR_TOPICS": str(topics)}))
    assert "topics.yml" in line
    assert not database.exists()


def test_malformed_topics_file_stops_classify_and_keeps_the_rows(tmp_path, fresh_db, db_path):
    topics = tmp_path / "topics.yml"
    topics.write_text("ai_phrases: [unclosed")
    before = db_path.read_bytes()
    _one_line_no_traceback(ailabor("classify", "--db", str(db_path), env={"AILABOR_TOPICS": str(topics)}))
    assert db_path.read_bytes() == before


def test_file_that_is_not_a_database_is_named(tmp_path):
    not_a_db = tmp_path / "tracker.db"
    not_a_db.write_text("meeting notes, not a database")
    line = _one_line_no_traceback(ailabor("status", "--db", str(not_a_db)))
    assert str(not_a_db) in line and "cannot be used" in line
    assert not_a_db.read_text() == "meeting notes, not a database"


def test_unknown_source_lists_the_real_ones(tmp_path):
    line = _one_line_no_traceback(ailabor("crawl", "federal-register", "--db", str(tmp_path / "t.db")))
    assert "unknown source federal-register" in line and "federal_register" in line
    assert not Path(tmp_path / "t.db").exists()


def test_bad_item_id_for_an_override_changes_nothing(fresh_db, db_path):
    line = _one_line_no_traceback(ailabor("override", "ca-2025-ab0", "--relevant", "yes", "--db", str(db_path)))
    assert "no bill or meeting has the id" in line
    assert fresh_db["overrides"].count == 0
