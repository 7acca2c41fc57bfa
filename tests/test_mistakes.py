"""People's mistakes end in one line that says what to fix, never a traceback, and change nothing."""

from __future__ import annotations

import os
import reprlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import db
from tests.conftest import REPO


def ailabor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ailabor.cli", *args], cwd=REPO, capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})), timeout=120, check=False)


# No upstream is reachable: a command that got as far as a request would fail, never reach the internet.
OFFLINE = {var: "http://127.0.0.1:9" for var in (
    "FEDERAL_REGISTER_API_URL", "CONGRESS_API_URL", "OPENSTATES_API_URL", "REGULATIONS_GOV_API_URL",
    "AGENCY_PAGES_BASE_URL", "GOVINFO_URL", "GOVINFO_API_URL", "AILABOR_TEXT_BASE_URL")}


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


# The working database ---------------------------------------------------------------------------------

# Every command that reads or writes the working database, with what it needs besides --db.
DATABASE_COMMANDS = {
    "status": ["status"],
    "crawl": ["crawl", "federal_register"],
    "classify": ["classify"],
    "override": ["override", "ca-20252026-ab1018", "--relevant", "yes"],
    "position": ["position", "ca-20252026-ab1018", "--stance", "support"],
    "watch": ["watch", "--list"],
    "digest": ["digest", "director", "--dry-run"],
    "publish": ["publish"],
    "serve": ["serve", "--port", "1"],
    "serve-public": ["serve", "--public", "--port", "1"],
    "schedule": ["schedule", "--once"],
}


def _files_under(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*"))


@pytest.mark.review("operator_mistake")
@pytest.mark.parametrize("command", DATABASE_COMMANDS.values(), ids=DATABASE_COMMANDS.keys())
def test_a_mistyped_database_path_is_said_and_nothing_is_created(tmp_path, command):
    typo = tmp_path / "srv" / "ailabr" / "tracker.db"
    line = _one_line_no_traceback(ailabor(*command, "--db", str(typo), env=OFFLINE))
    assert line == (f"ailabor: no database at {typo}; run `ailabor init` to create one "
                    "(or check --db and AILABOR_DB)")
    assert _files_under(tmp_path) == []


@pytest.mark.review("operator_mistake")
def test_a_mistyped_ailabor_db_is_said_by_the_scheduler_and_nothing_is_created(tmp_path):
    typo = tmp_path / "db" / "traker.db"
    done = subprocess.run([sys.executable, "scheduler.py", "--once"], cwd=REPO, capture_output=True, text=True,
                          env=dict(os.environ, AILABOR_DB=str(typo), **OFFLINE), timeout=120, check=False)
    assert "no database at" in _one_line_no_traceback(done)
    assert _files_under(tmp_path) == []


def test_init_creates_the_database_the_other_commands_then_use(tmp_path):
    target = tmp_path / "srv" / "ailabor" / "tracker.db"
    assert ailabor("init", "--db", str(target)).returncode == 0
    done = ailabor("status", "--db", str(target))
    assert done.returncode == 0 and "no crawl has run yet" in done.stdout


def _newer(path: Path) -> Path:
    db.connect(path, create=True).close()
    raw = sqlite3.connect(path)
    raw.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                "VALUES ('ailabor', 'm999_from_the_future', '2030-01-01')")
    raw.commit()
    raw.close()
    return path


def _dump(path: Path) -> list[str]:
    raw = sqlite3.connect(path)
    try:
        return list(raw.iterdump())
    finally:
        raw.close()


@pytest.mark.review("local_failure")
@pytest.mark.parametrize("command", [["init"], *DATABASE_COMMANDS.values()], ids=["init", *DATABASE_COMMANDS])
def test_a_database_made_by_a_newer_version_is_refused_and_left_as_it_was(tmp_path, command):
    newer = _newer(tmp_path / "tracker.db")
    before = _dump(newer)
    line = _one_line_no_traceback(ailabor(*command, "--db", str(newer), env=OFFLINE))
    assert line == (f"ailabor: {newer} cannot be used as the tracker's database: it was made by a newer version "
                    "of AI Labor Watch (migrations m999_from_the_future are unknown here); update this installation "
                    "to that version")
    assert _dump(newer) == before


@pytest.mark.review("local_failure")
def test_init_reports_a_damaged_database_in_one_line(tmp_path):
    damaged = tmp_path / "tracker.db"
    database = db.connect(damaged, create=True)
    database["topics"].insert_all({"slug": f"t{n}", "name": "n" * 200, "description": "d" * 300} for n in range(500))
    root = database.execute("SELECT rootpage FROM sqlite_master WHERE name = 'topics'").fetchone()[0]
    page_size = database.execute("PRAGMA page_size").fetchone()[0]
    database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    with open(damaged, "r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(b"\xff" * page_size)
    line = _one_line_no_traceback(ailabor("init", "--db", str(damaged)))
    assert line.startswith(f"ailabor: {damaged} is damaged (")
    assert line.endswith("); restore it from a backup, or move it aside and run `ailabor init` for a new one")


# Configuration files that are not UTF-8 ------------------------------------------------------------------

LATIN1 = "# Réunion du conseil\n".encode("latin-1")


@pytest.mark.parametrize("command, variable, file", [
    (["crawl", "federal_register"], "AILABOR_TOPICS", "topics.yml"),
    (["classify"], "AILABOR_TOPICS", "topics.yml"),
    (["crawl", "federal_register"], "AILABOR_SOURCES", "sources.yml"),
    (["schedule", "--list"], "AILABOR_SCHEDULE", "schedule.yml"),
], ids=["topics-crawl", "topics-classify", "sources-crawl", "schedule"])
@pytest.mark.review("operator_mistake")
def test_a_configuration_file_that_is_not_utf8_is_one_line(tmp_path, fresh_db, db_path, command, variable, file):
    original = (REPO / file) if file != "sources.yml" else (REPO / "scrapers" / file)
    written = tmp_path / file
    written.write_bytes(LATIN1 + yaml.safe_dump(yaml.safe_load(original.read_text())).encode())
    line = _one_line_no_traceback(ailabor(*command, "--db", str(db_path), env={variable: str(written), **OFFLINE}))
    assert line == f"ailabor: {file}: not UTF-8 text (byte 0xe9 on line 1); save it as UTF-8"
    assert fresh_db["crawl_runs"].count == 0


@pytest.mark.review("operator_mistake")
def test_python_scheduler_py_says_a_schedule_that_is_not_utf8_in_one_line(tmp_path):
    schedule = tmp_path / "schedule.yml"
    schedule.write_bytes(b"sources:\n  congress: {cron: '20 6 * * *'}\n" + LATIN1)
    done = subprocess.run([sys.executable, "scheduler.py", "--list", "--schedule", str(schedule)], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)
    line = _one_line_no_traceback(done)
    assert line == "ailabor: schedule.yml: not UTF-8 text (byte 0xe9 on line 3); save it as UTF-8"


# Wrong value types in sources.yml ----------------------------------------------------------------------

KEYS = {"CONGRESS_API_KEY": "not-a-key", "OPENSTATES_API_KEY": "not-a-key", "DATA_GOV_API_KEY": "not-a-key"}
# (source crawled, section, setting, mistaken value, what the line says it must be)
WRONG_TYPES = [
    ("federal_register", "federal_register", "download_delay", "fast", "a number of seconds, such as 0.5"),
    ("federal_register", "federal_register", "per_page", "lots", "a whole number, 0 or more"),
    ("federal_register", "federal_register", "overlap_days", [3], "a whole number, 0 or more"),
    ("federal_register", "federal_register", "topic_terms", "yes please", "true or false"),
    ("federal_register", "federal_register", "agencies", "labor-department", "a list of names, such as [a, b]"),
    ("federal_register", "federal_register", "backfill_start", "last year", "a date written YYYY-MM-DD"),
    ("congress", "congress", "texts_per_run", "many", "a whole number, 0 or more"),
    ("congress", "congress", "earlier_congresses", ["one hundred eighteenth"], "a list of numbers, such as [118]"),
    ("openstates", "openstates", "daily_quota", 2.5, "a whole number, 0 or more"),
    ("regulations_gov", "regulations_gov", "agencies", ["COLC", "EEOC"],
     "a mapping of names to text (NAME: text, one a line)"),
    ("agency_pages", "agency_pages", "agencies", {"slug": "ca-civil-rights-council"},
     "a list of mappings (each entry's settings as NAME: text lines under '- ')"),
    ("congress_hearings", "congress_hearings", "backfill_days", "a month", "a number, 0 or more"),
]


@pytest.mark.parametrize("source, section, setting, value, wanted", WRONG_TYPES,
                         ids=[f"{section}.{setting}" for _, section, setting, *_ in WRONG_TYPES])
@pytest.mark.review("operator_mistake")
def test_a_wrong_value_type_in_sources_yml_stops_the_crawl_before_it_starts_and_blames_no_upstream(
        tmp_path, fresh_db, db_path, source, section, setting, value, wanted):
    config = yaml.safe_load((REPO / "scrapers" / "sources.yml").read_text())
    config[section][setting] = value
    mistaken = tmp_path / "sources.yml"
    mistaken.write_text(yaml.safe_dump(config))
    line = _one_line_no_traceback(ailabor("crawl", source, "--db", str(db_path),
                                          env={"AILABOR_SOURCES": str(mistaken), **KEYS, **OFFLINE}))
    assert line == f"ailabor: sources.yml: {section}: {setting} must be {wanted}, not {reprlib.repr(value)}"
    assert fresh_db["crawl_runs"].count == 0 and fresh_db["crawl_errors"].count == 0


@pytest.mark.parametrize(("mistake", "said"), [
    ("federal_register:\n  downlaod_delay: 1\n",
     "federal_register: no setting is called 'downlaod_delay' (did you mean 'download_delay'?)"),
    ("federal_register:\n  colour: blue\n", "federal_register: no setting is called 'colour'"),
    ("federal_registry:\n  download_delay: 1\n",
     "no source is called 'federal_registry' (did you mean 'federal_register'?); the sources are: "),
], ids=["misspelt-setting", "unknown-setting", "misspelt-source"])
@pytest.mark.review("operator_mistake")
def test_an_unknown_name_in_sources_yml_stops_the_crawl_before_it_starts(tmp_path, fresh_db, db_path, mistake,
                                                                        said):
    mistaken = tmp_path / "sources.yml"
    mistaken.write_text(mistake)
    line = _one_line_no_traceback(ailabor("crawl", "federal_register", "--db", str(db_path),
                                          env={"AILABOR_SOURCES": str(mistaken), **OFFLINE}))
    assert line.startswith(f"ailabor: sources.yml: {said}"), line
    assert fresh_db["crawl_runs"].count == 0


def test_a_section_that_is_a_list_stops_the_crawl_before_it_starts(tmp_path, fresh_db, db_path):
    mistaken = tmp_path / "sources.yml"
    mistaken.write_text("federal_register:\n  - download_delay: 1\n")
    line = _one_line_no_traceback(ailabor("crawl", "federal_register", "--db", str(db_path),
                                          env={"AILABOR_SOURCES": str(mistaken), **OFFLINE}))
    assert line == "ailabor: sources.yml: the section 'federal_register' must be a mapping of settings"
    assert fresh_db["crawl_runs"].count == 0
