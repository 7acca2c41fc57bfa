"""The openstates_events spider: state hearings where tracked bills are pending, linked to those bills."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils

import db
from ailabor.records import Action, BillItem
from ailabor.store.writer import Store
from ailabor.testing.replay import Cassette, ReplayServer, Route
from scrapers.spiders.openstates import bill_to_item
from scrapers.spiders.openstates_events import INCLUDES, TrackedBills, agenda_bills, event_to_meeting
from tests.conftest import FIXTURES, crawl, shared_samples

HERE = FIXTURES / "openstates_events"
SECRET = "os-events-key-not-secret"
ENV = {"OPENSTATES_API_KEY": SECRET, "OPENSTATES_MINUTE_SECONDS": "0.3"}
CA_HEARING = "osevents-3f1c2a9e-5b1d-4e0a-9a57-0c6f3f7b2d11"
CA_LABOR = "osevents-c47e91d2-0b6a-4f3e-8d25-91a7e2b4f608"
NY_HEARING = "osevents-0e5b7d21-93c4-4a8f-a6e0-2d1c5b8f9e47"
IL_HEARING = "osevents-5d2f8c1b-7e3a-4b9d-8c0f-a1e6d4b7c293"
TRACKED = TrackedBills([("ca-20252026-ab1018", "ca", "AB 1018"), ("ny-20252026-s8420", "ny", "S 8420")])


def _events(name: str) -> list[dict]:
    return json.loads((HERE / name).read_text())["results"]


def _bill(jurisdiction: str, session: str, identifier: str, title: str, last: str = "referral-committee") -> BillItem:
    return BillItem(jurisdiction=jurisdiction, session=session, identifier=identifier, title=title,
                    source="openstates", actions=[Action("2025-02-20", "Introduced.", "lower", ["introduction"]),
                                                  Action("2025-06-30", "Last action.", "upper", [last])])


def seed(db_path: Path) -> None:
    """Tracked bills pending in CA, NY (relevant) and IL (a position only); the rest must not be asked about."""
    database = db.connect(db_path, create=True)
    bills = [
        _bill("ca", "20252026", "AB 1018", "Automated decisions systems."),
        _bill("ny", "2025-2026", "S 8420", "Requires disclosure of synthetic performers in advertisements"),
        _bill("il", "104th", "HB 3529", "WORKPLACE-ELECTRONIC MONITORING"),
        _bill("ca", "20252026", "SB 7", "Employment: automated decision systems.", last="executive-veto"),
        _bill("tx", "89", "HB 149", "Relating to regulation of the use of artificial intelligence systems.",
              last="became-law"),
        _bill("co", "2025A", "HB 1001", "Wage Act Enforcement"),
        _bill("us", "119", "S. 1367", "NO FAKES Act of 2025"),
    ]
    relevant = {"ca-20252026-ab1018", "ny-20252026-s8420", "ca-20252026-sb7", "tx-89-hb149", "us-119-s1367"}
    database["overrides"].insert_all([{"item_id": b, "relevant": 1} for b in relevant])
    Store(database).save(bills)
    database["positions"].insert({"bill_id": "il-104th-hb3529", "stance": "watch"})
    database.close()


def _db(db_path: Path) -> sqlite_utils.Database:
    return sqlite_utils.Database(db_path)


def _run(db_path: Path) -> dict:
    return next(_db(db_path).query("SELECT * FROM crawl_runs WHERE source = 'openstates_events' ORDER BY id DESC"))


@pytest.fixture(scope="module")
def two_crawls(tmp_path_factory):
    """Two identical crawls of a seeded database; the first one after the bills spider spent 240 of the day."""
    db_path = tmp_path_factory.mktemp("osevents") / "tracker.db"
    seed(db_path)
    _db(db_path)["crawl_runs"].insert({"source": "openstates", "started_at": datetime.now(UTC).isoformat(),
                                       "status": "ok", "requests": 240})
    servers, results = [], []
    for _ in range(2):
        server = ReplayServer(Cassette.load(HERE / "cassette.yml")).start()
        try:
            results.append(crawl("openstates_events", server, db_path, env={**ENV, "AILABOR_LOG_LEVEL": "DEBUG"}))
        finally:
            server.stop()
        servers.append(server)
    return db_path, results, servers


# End to end ---------------------------------------------------------------------------------------

@pytest.mark.slow
def test_only_jurisdictions_with_pending_tracked_bills_are_asked(two_crawls):
    _, results, servers = two_crawls
    assert results[0].returncode == 0, results[0].stderr
    hits = servers[0].requests_to("/events")
    assert sorted((h.query["jurisdiction"][0], h.query["page"][0]) for h in hits) == [
        ("ca", "1"), ("ca", "2"), ("il", "1"), ("ny", "1")]
    assert len(servers[0].hits) == 4
    for hit in hits:
        assert hit.query["include"] == list(INCLUDES)
        assert hit.query["require_bills"] == ["true"] and hit.query["per_page"] == ["20"]
        assert hit.query["after"][0] < hit.query["before"][0]


@pytest.mark.slow
def test_quota_is_counted_with_the_bills_spider_on_the_same_key(two_crawls):
    _, results, _ = two_crawls
    assert ("openstates_events: ok: 4 requests, 4 items, 4 new, 0 updated, 0 errors, jurisdictions 3, "
            "events 5, kept 4, quota left 6") in results[0].stdout


@pytest.mark.slow
def test_a_hearing_listing_a_tracked_bill_is_linked_with_one_event_across_crawls(two_crawls):
    db_path, results, _ = two_crawls
    database = _db(db_path)
    links = {(r["meeting_id"], r["bill_id"]) for r in database.query("SELECT * FROM meeting_bills")}
    assert links == {(CA_HEARING, "ca-20252026-ab1018"), (CA_LABOR, "ca-20252026-ab1018"),
                     (NY_HEARING, "ny-20252026-s8420"), (IL_HEARING, "il-104th-hb3529")}
    scheduled = list(database.query(
        "SELECT bill_id, meeting_id, summary FROM events WHERE kind = 'hearing_scheduled' ORDER BY id"))
    assert len(scheduled) == len(links)
    assert {"bill_id": "ca-20252026-ab1018", "meeting_id": CA_HEARING,
            "summary": "Hearing scheduled on 2025-07-15 at 13:30: Senate Judiciary Committee"} in scheduled
    assert "openstates_events: ok: 4 requests, 4 items, 0 new, 0 updated" in results[1].stdout
    second_run = _run(db_path)["id"]
    assert database.execute("SELECT count(*) FROM events WHERE run_id = ?", [second_run]).fetchone()[0] == 0


@pytest.mark.slow
def test_hearings_without_a_tracked_bill_or_ai_are_not_stored(two_crawls):
    db_path, _, _ = two_crawls
    stored = {r["id"]: r for r in _db(db_path).query("SELECT * FROM meetings")}
    assert set(stored) == {CA_HEARING, CA_LABOR, NY_HEARING, IL_HEARING}  # not Assembly Agriculture
    hearing = stored[CA_HEARING]
    assert (hearing["jurisdiction"], hearing["kind"], hearing["start"], hearing["location"]) == (
        "ca", "hearing", "2025-07-15T13:30:00-07:00", "1021 O Street, Room 2100")
    assert hearing["agenda_url"] == "https://sjud.senate.ca.gov/system/files/2025-07/07-15-25-agenda.pdf"
    assert hearing["source"] == "openstates_events" and hearing["relevant"] == 1


@pytest.mark.slow
def test_the_watermark_is_the_day_of_the_run_and_the_next_run_reads_from_the_day_before(two_crawls):
    db_path, _, servers = two_crawls
    today = datetime.now(UTC).date()
    assert _run(db_path)["watermark"] == today.isoformat()
    after = servers[1].requests_to("/events")[0].query["after"][0]
    assert (today - datetime.fromisoformat(after).date()).days == 1


@pytest.mark.slow
def test_key_travels_only_in_a_header_never_in_urls_logs_or_the_database(two_crawls):
    db_path, results, servers = two_crawls
    for hit in servers[0].hits + servers[1].hits:
        assert next(v for k, v in hit.headers.items() if k.lower() == "x-api-key") == SECRET
        assert SECRET not in hit.path + json.dumps(hit.query)
    assert all(SECRET not in r.stdout + r.stderr for r in results)
    assert "/events?jurisdiction=ca" in results[0].stderr  # the DEBUG log does print the URLs
    assert SECRET not in "\n".join(_db(db_path).conn.iterdump())


@pytest.mark.slow
def test_daily_limit_ends_the_run_partial_and_keeps_the_watermark(replay, db_path):
    seed(db_path)
    daily = Route("/events", status=429, query={"jurisdiction": "il"},
                  body=json.dumps({"detail": "exceeded limit of 250/day: 251"}))
    server = replay([daily, *Cassette.load(HERE / "cassette.yml").routes], HERE)
    result = crawl("openstates_events", server, db_path, env=ENV)
    assert "openstates_events: partial:" in result.stdout and "quota left 0" in result.stdout
    assert "the next run resumes where the last complete run left off" in result.stdout
    assert (_run(db_path)["status"], _run(db_path)["watermark"]) == ("partial", None)


@pytest.mark.slow
def test_a_per_minute_limit_is_waited_out(replay, db_path):
    seed(db_path)
    minute = Route("/events", status=429, query={"jurisdiction": "ny"}, times=1,
                   body=json.dumps({"detail": "exceeded limit of 10/min: 11"}))
    server = replay([minute, *Cassette.load(HERE / "cassette.yml").routes], HERE)
    result = crawl("openstates_events", server, db_path, env=ENV)
    assert "openstates_events: ok: 5 requests, 4 items, 4 new" in result.stdout
    assert [h.status for h in server.hits if h.query["jurisdiction"] == ["ny"]] == [429, 200]


@pytest.mark.slow
def test_without_pending_tracked_bills_nothing_is_asked_and_the_run_is_ok(replay, db_path):
    server = replay(HERE / "cassette.yml")
    result = crawl("openstates_events", server, db_path, env=ENV)
    assert server.hits == []
    assert "openstates_events: ok: 0 requests, 0 items" in result.stdout and "jurisdictions 0" in result.stdout


# Mapping ------------------------------------------------------------------------------------------

def test_an_event_maps_onto_a_hearing_with_its_agenda_committee_and_links():
    item = event_to_meeting(_events("events_ca_page1.json")[0], TRACKED, "https://v3.openstates.org/events")
    item.validate()
    assert (item.id, item.kind, item.agency) == (CA_HEARING, "hearing", "Senate Judiciary Committee")
    assert item.bill_ids == ["ca-20252026-ab1018", "ca-20252026-ab412", "ca-20252026-ab1161"]
    assert item.abstract.splitlines()[:2] == [
        "AB 1018 Bauer-Kahan — AB 1018: Automated decisions systems.",
        "AB 412 Bauer-Kahan — AB 412: Artificial intelligence technology: documentation: copyrighted materials."]
    assert item.document_url == "https://sjud.senate.ca.gov/calendar"


def test_agenda_bills_without_a_session_are_matched_to_tracked_bills_by_name():
    event = _events("events_ca_page2.json")[0]
    assert agenda_bills(event, "ca", TRACKED) == ["ca-20252026-ab1018"]  # AB 1331 is not tracked
    two_sessions = TrackedBills([("ca-20232024-ab1018", "ca", "AB 1018"), ("ca-20252026-ab1018", "ca", "AB 1018")])
    assert agenda_bills(event, "ca", two_sessions) == []  # ambiguous: no guess


def test_a_cancelled_hearing_says_so_in_its_title():
    item = event_to_meeting(_events("events_nj.json")[0], TRACKED)
    assert item.title == "Cancelled: Senate Labor Committee"
    assert item.bill_ids == ["nj-221-s1588"]


def test_a_malformed_event_raises_for_the_spider_to_record():
    with pytest.raises((KeyError, ValueError)):
        event_to_meeting(dict(_events("events_ny.json")[0], jurisdiction={"id": "ocd-jurisdiction/country:us"}),
                         TRACKED)


# Contract: real upstream samples ------------------------------------------------------------------

SAMPLES = shared_samples("openstates")


@pytest.mark.skipif(not SAMPLES, reason="../shared/fixtures/openstates is not present")
def test_contract_an_agenda_naming_a_real_bill_links_to_the_id_the_bills_spider_stores():
    for path in SAMPLES:
        if not path.name.startswith("bill_"):
            continue
        real = json.loads(path.read_text())
        item = bill_to_item(real)
        compact = {k: real[k] for k in ("id", "session", "identifier", "title")}
        event = dict(_events("events_ny.json")[0], jurisdiction=real["jurisdiction"], agenda=[
            {"description": real["identifier"], "classification": [], "order": 1, "subjects": [], "notes": [],
             "extras": {}, "media": [], "related_entities": [
                 {"note": "consideration", "name": real["identifier"], "entity_type": "bill", "bill": compact}]}])
        assert event_to_meeting(event, TrackedBills([])).bill_ids == [item.id]
