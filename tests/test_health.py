"""Crawl health from recorded runs: stale sources, sources that suddenly return nothing, and where they show."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime, timedelta

import pytest

from ailabor.health import source_flags, status_report
from ailabor.schedule.config import load_schedule

# Monday 2 March to Monday 9 March 2026 (Eastern time is UTC-5 that week until Sunday 8, then UTC-4).
MONDAY = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@pytest.fixture
def schedule(tmp_path):
    path = tmp_path / "schedule.yml"
    path.write_text(textwrap.dedent("""\
        timezone: America/New_York
        sources:
          federal_register: {cron: "15 7 * * mon-fri", timeout: 30m, flag_after_empty_runs: 3}
          congress: {cron: "20 6,10,14,18,22 * * *", timeout: 3h, flag_after_empty_runs: 1}
        """))
    return load_schedule(path)


def _run(database, source: str, started: str, status: str = "ok", items: int = 5, message: str | None = None):
    database["crawl_runs"].insert({"source": source, "started_at": started, "finished_at": started,
                                   "status": status, "items": items, "message": message})


def _at(day: int, hour: int = 12, minute: int = 20) -> str:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC).isoformat()


def test_source_without_a_success_within_twice_its_interval_is_stale(fresh_db, schedule):
    _run(fresh_db, "congress", _at(2, 11))
    _run(fresh_db, "congress", _at(2, 15), status="failed", message="could not reach api.congress.gov")
    # Congress runs at most 8 hours apart: stale after 16 hours without a success.
    assert source_flags(fresh_db, schedule, now=datetime(2026, 3, 3, 2, 0, tzinfo=UTC)) == []
    assert source_flags(fresh_db, schedule, now=datetime(2026, 3, 3, 4, 0, tzinfo=UTC)) == [
        "congress: stale: no success since 2026-03-02 11:20 UTC, yet it is scheduled at least every 8h "
        "(last run failed: could not reach api.congress.gov)"]


def test_weekday_source_is_not_stale_over_a_weekend(fresh_db, schedule):
    _run(fresh_db, "federal_register", _at(6))  # Friday
    before_monday_run = datetime(2026, 3, 9, 11, 0, tzinfo=UTC)
    assert source_flags(fresh_db, schedule, now=before_monday_run) == []
    a_week_later = datetime(2026, 3, 13, 13, 0, tzinfo=UTC)
    assert source_flags(fresh_db, schedule, now=a_week_later)[0].startswith(
        "federal_register: stale: no success since 2026-03-06 12:20 UTC, yet it is scheduled at least every 3 days")


def test_source_that_never_succeeded_is_stale_counted_from_its_first_run(fresh_db, schedule):
    _run(fresh_db, "congress", _at(2, 11), status="skipped", items=0, message="congress: CONGRESS_API_KEY is not set")
    _run(fresh_db, "congress", _at(2, 15), status="failed", items=0)
    assert source_flags(fresh_db, schedule, now=datetime(2026, 3, 2, 20, 0, tzinfo=UTC)) == []
    assert source_flags(fresh_db, schedule, now=MONDAY.replace(day=4)) == [
        "congress: stale: never succeeded since its first run 2026-03-02 11:20 UTC, yet it is scheduled at least "
        "every 8h (last run failed)"]


def test_source_whose_runs_used_to_return_items_and_now_return_none_is_suspicious(fresh_db, schedule):
    now = datetime(2026, 3, 6, 13, 0, tzinfo=UTC)
    _run(fresh_db, "federal_register", _at(2), items=12)
    _run(fresh_db, "federal_register", _at(3), items=0)
    _run(fresh_db, "federal_register", _at(4), items=0)
    assert source_flags(fresh_db, schedule, now=now) == []  # two quiet days are normal for it
    _run(fresh_db, "federal_register", _at(5), status="failed", items=0)  # failures are not empty answers
    _run(fresh_db, "federal_register", _at(6), status="partial", items=0)
    assert source_flags(fresh_db, schedule, now=now) == [
        "federal_register: suspicious: the last 3 runs returned no items, yet the run of 2026-03-02 12:20 UTC "
        "returned 12"]
    _run(fresh_db, "federal_register", _at(6, 13), items=1)
    assert source_flags(fresh_db, schedule, now=now) == []


def test_source_that_never_returned_items_is_not_suspicious(fresh_db, schedule):
    for hour in (11, 15, 19):
        _run(fresh_db, "congress", _at(2, hour), items=0)
    assert source_flags(fresh_db, schedule, now=datetime(2026, 3, 2, 20, 0, tzinfo=UTC)) == []


def test_one_empty_run_is_enough_where_the_schedule_says_so(fresh_db, schedule):
    _run(fresh_db, "congress", _at(2, 11), items=40)
    _run(fresh_db, "congress", _at(2, 15), items=0)
    assert source_flags(fresh_db, schedule, now=datetime(2026, 3, 2, 16, 0, tzinfo=UTC)) == [
        "congress: suspicious: the last run returned no items, yet the run of 2026-03-02 11:20 UTC returned 40"]


def test_source_missing_from_the_schedule_is_never_stale(fresh_db, schedule):
    _run(fresh_db, "agency_pages", "2020-01-01T00:00:00+00:00")
    assert source_flags(fresh_db, schedule, now=MONDAY) == []


def test_status_shows_the_flags_from_the_operators_schedule(fresh_db, schedule, tmp_path, monkeypatch):
    monkeypatch.setenv("AILABOR_SCHEDULE", str(tmp_path / "schedule.yml"))
    _run(fresh_db, "federal_register", "2020-01-06T12:20:00+00:00")
    report = status_report(fresh_db)
    assert "federal_register: last run 2020-01-06T12:20:00+00:00 ok" in report
    assert ("flag: federal_register: stale: no success since 2020-01-06 12:20 UTC, yet it is scheduled at least "
            "every 3 days (last run ok)") in report.splitlines()


def test_a_broken_schedule_is_one_flag_line_not_a_crash(fresh_db, tmp_path, monkeypatch):
    broken = tmp_path / "schedule.yml"
    broken.write_text("sources: [\n")
    monkeypatch.setenv("AILABOR_SCHEDULE", str(broken))
    _run(fresh_db, "federal_register", "2020-01-06T12:20:00+00:00")
    [flag] = source_flags(fresh_db)
    assert flag.startswith("schedule.yml: YAML syntax error") and flag.endswith("(staleness not checked)")


def test_status_says_how_soon_relevant_bills_were_found_after_introduction(fresh_db):
    fresh_db["crawl_runs"].insert({"source": "openstates", "started_at": "2026-01-05T06:00:00+00:00",
                                   "status": "ok", "items": 3})
    now = datetime.now(UTC)

    def bill(number: int, introduced: str, found_days_later: int, created: str | None = None) -> None:
        first_seen = (datetime.fromisoformat(introduced).replace(tzinfo=UTC) + timedelta(days=found_days_later,
                                                                                          hours=6))
        fresh_db["bills"].insert({"id": f"ca-2026-ab{number}", "jurisdiction": "ca", "identifier": f"AB {number}",
                                  "title": "Employment: automated decision systems.", "source": "openstates",
                                  "relevant": 1, "introduced_date": introduced, "first_seen_at": first_seen.isoformat(),
                                  "source_meta": json.dumps({"created_at": created} if created else {})})

    recent = (now - timedelta(days=20)).date().isoformat()
    bill(1, recent, 1, created=f"{recent}T18:00:00+00:00")  # found 12 hours after Open States listed it
    bill(2, recent, 3)
    bill(3, "2025-06-01", 250)  # introduced before the first run: a backfill find, not a lag
    line = next(line for line in status_report(fresh_db).splitlines() if line.startswith("discovery: openstates"))
    assert "2 relevant bills introduced since its first run" in line
    assert "a median 2 days after introduction (longest 3)" in line
    assert "a median 12 hours after Open States first listed them" in line
