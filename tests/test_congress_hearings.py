"""The congress_hearings spider: committee meetings about AI or on tracked bills, linked to those bills."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlite_utils

import db
from ailabor.records import BillItem
from ailabor.store.writer import Store
from ailabor.testing.replay import Cassette, ReplayServer, Route
from scrapers.spiders.congress_hearings import meeting_to_item, related_bill_ids
from scrapers.upstream.congress import bill_key
from tests.conftest import FIXTURES, crawl, shared_samples

HERE = FIXTURES / "congress_hearings"
SECRET = "congress-hearings-key-not-secret"
AI_HEARING, DEEPFAKES, MARKUP, APPROPRIATIONS, POSTPONED = (
    "cgmeeting-118263", "cgmeeting-337511", "cgmeeting-118101", "cgmeeting-118422", "cgmeeting-118530")
DETAIL_PREFIX = "/committee-meeting/119/"


def _detail(name: str) -> dict:
    return json.loads((HERE / name).read_text())["committeeMeeting"]


def seed(db_path: Path) -> None:
    """The NO FAKES Act (relevant) and the TAKE IT DOWN Act's House bill (a position) are tracked."""
    database = db.connect(db_path, create=True)
    database["overrides"].insert({"item_id": "us-119-s1367", "relevant": 1})
    Store(database).save([
        BillItem(jurisdiction="us", session="119", identifier="S. 1367", title="NO FAKES Act of 2025",
                 source="congress"),
        BillItem(jurisdiction="us", session="119", identifier="H.R. 633", title="TAKE IT DOWN Act",
                 source="congress")])
    database["positions"].insert({"bill_id": "us-119-hr633", "stance": "support"})
    database.close()


def run(routes: list[Route] | Path, db_path: Path, **env: str):
    cassette = Cassette.load(routes) if isinstance(routes, Path) else Cassette(routes, HERE)
    server = ReplayServer(cassette).start()
    try:
        return crawl("congress_hearings", server, db_path, env={"CONGRESS_API_KEY": SECRET, **env}), server
    finally:
        server.stop()


def details(server: ReplayServer) -> list[str]:
    return [h.path.removeprefix(DETAIL_PREFIX) for h in server.hits if h.path.startswith(DETAIL_PREFIX)]


@pytest.fixture(scope="module")
def two_crawls(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("hearings") / "tracker.db"
    seed(db_path)
    first = run(HERE / "cassette.yml", db_path, AILABOR_LOG_LEVEL="DEBUG")
    second = run(HERE / "cassette.yml", db_path)
    return db_path, first, second


# End to end ---------------------------------------------------------------------------------------

@pytest.mark.slow
def test_meetings_about_ai_or_on_tracked_bills_are_stored_and_the_rest_dropped(two_crawls):
    db_path, (result, server), _ = two_crawls
    assert result.returncode == 0, result.stderr
    assert "congress_hearings: ok: 8 requests, 4 items, 4 new, 0 updated, 0 errors, meetings 5, details 5, kept 4" \
        in result.stdout
    meetings = {r["id"]: r for r in sqlite_utils.Database(db_path).query("SELECT * FROM meetings")}
    assert set(meetings) == {AI_HEARING, DEEPFAKES, MARKUP, POSTPONED}
    assert meetings[POSTPONED]["title"] == "Postponed: Artificial Intelligence and the Federal Workforce"
    deepfakes = meetings[DEEPFAKES]
    assert (deepfakes["kind"], deepfakes["start"], deepfakes["location"]) == (
        "hearing", "2025-05-21T18:30:00Z", "226, Dirksen Senate Office Building")
    assert deepfakes["agency"] == "Privacy, Technology, and the Law Subcommittee; Judiciary Committee"
    assert deepfakes["document_url"] == "https://www.congress.gov/event/119th-congress/senate-event/337511"


@pytest.mark.slow
def test_the_list_is_walked_in_the_window_with_format_json_and_the_key_in_a_header(two_crawls):
    _, (_, server), _ = two_crawls
    lists = server.requests_to("/committee-meeting/119")
    assert [h.query.get("offset") for h in lists] == [None, ["3"]]
    for hit in lists:
        assert hit.query["format"] == ["json"] and hit.query["fromDateTime"][0] < hit.query["toDateTime"][0]
    assert sorted(details(server)) == ["house/118101", "house/118263", "house/118422", "house/118530",
                                       "senate/337511"]
    assert {h.headers.get("X-Api-Key") for h in server.hits} == {SECRET}


@pytest.mark.slow
def test_a_meeting_on_a_tracked_bill_is_linked_with_one_event_across_crawls(two_crawls):
    db_path, _, (second, server) = two_crawls
    database = sqlite_utils.Database(db_path)
    links = {(r["meeting_id"], r["bill_id"]) for r in database.query("SELECT * FROM meeting_bills")}
    assert links == {(DEEPFAKES, "us-119-s1367"), (MARKUP, "us-119-hr633")}
    events = list(database.query("SELECT bill_id, summary FROM events WHERE kind = 'hearing_scheduled'"))
    assert sorted(e["bill_id"] for e in events) == ["us-119-hr633", "us-119-s1367"]
    assert {"bill_id": "us-119-hr633",
            "summary": "Hearing scheduled on 2025-04-08 at 14:00 UTC: Full Committee Markup of 12 Bills"} in events
    # The second crawl finds every stored meeting at the stamp it was stored with: no detail, no event.
    assert "congress_hearings: ok: 4 requests, 0 items" in second.stdout
    assert details(server) == ["house/118422"]  # dropped last time, so asked again
    last_run = database.execute("SELECT max(id) FROM crawl_runs").fetchone()[0]
    assert database.execute("SELECT count(*) FROM events WHERE run_id = ?", [last_run]).fetchone()[0] == 0


@pytest.mark.slow
def test_key_never_reaches_urls_logs_or_the_database(tmp_path):
    db_path = tmp_path / "tracker.db"
    leaky = json.loads((HERE / "committee_meetings_119.json").read_text())
    leaky["pagination"]["next"] += f"&api_key={SECRET}"
    routes = [Route("/committee-meeting/119", query={"offset": None}, body=json.dumps(leaky)),
              Route("/committee-meeting/119/house/118422", body=json.dumps(
                  {"error": f"Unknown error at /v3/committee-meeting/119/house/118422?api_key={SECRET}"}))]
    result, server = run(routes + Cassette.load(HERE / "cassette.yml").routes, db_path, AILABOR_LOG_LEVEL="DEBUG")
    followed = server.requests_to("/committee-meeting/119")[1]
    assert followed.query["offset"] == ["3"] and "api_key" not in followed.query
    assert all(SECRET not in h.path + json.dumps(h.query) for h in server.hits)
    assert SECRET not in result.stdout + result.stderr
    assert "/committee-meeting/119?" in result.stderr  # the DEBUG log does print the URLs it fetched
    dump = "\n".join(sqlite_utils.Database(db_path).conn.iterdump())
    assert SECRET not in dump and "api_key=[hidden]" in dump
    assert "congress_hearings: partial:" in result.stdout


@pytest.mark.slow
def test_without_a_key_it_runs_on_demo_key_and_says_so(tmp_path):
    result, server = run(HERE / "cassette.yml", tmp_path / "tracker.db", CONGRESS_API_KEY="")
    assert "congress_hearings: ok:" in result.stdout
    assert {h.headers.get("X-Api-Key") for h in server.hits} == {"DEMO_KEY"}
    assert "congress_hearings: CONGRESS_API_KEY is not set; using DEMO_KEY" in result.stderr


@pytest.mark.slow
def test_low_rate_limit_stops_the_run_partial(tmp_path):
    low = {"X-Ratelimit-Limit": "5000", "X-Ratelimit-Remaining": "40"}
    routes = [Route("/congress/current", file="congress_current.json", headers=low)]
    result, server = run(routes + Cassette.load(HERE / "cassette.yml").routes, tmp_path / "tracker.db")
    assert "congress_hearings: partial:" in result.stdout and "hourly quota nearly spent: 40" in result.stdout
    assert [h.path for h in server.hits] == ["/congress/current"]


# Mapping ------------------------------------------------------------------------------------------

def test_a_committee_meeting_maps_onto_a_hearing_with_its_bills_and_documents():
    item = meeting_to_item(_detail("committee_meeting_119_house_118263.json"), list_update="stamp")
    item.validate()
    assert (item.id, item.kind, item.jurisdiction, item.agency_slug) == (AI_HEARING, "hearing", "us", "hsed10")
    assert item.agenda_url.endswith("HHRG-119-ED10-20250514-SD001.pdf")  # the notice, not the witness list
    assert item.abstract.startswith("Witnesses: Ms. Jane Doe, Senior Researcher, National Employment Law Project")
    assert item.source_meta["list_update"] == "stamp"
    markup = meeting_to_item(_detail("committee_meeting_119_house_118101.json"))
    assert (markup.kind, markup.bill_ids) == ("meeting", ["us-119-hr633", "us-119-hr1442", "us-119-hr1618"])


def test_a_virtual_meeting_has_no_dashes_for_a_building():
    assert meeting_to_item(_detail("committee_meeting_119_house_118530.json")).location == "WEBEX"


def test_related_bills_of_unknown_types_are_left_out():
    meeting = {"congress": 119, "relatedItems": {"bills": [
        {"congress": 119, "type": "HR", "number": "633"}, {"type": "PN", "number": "12"}, {"type": "S"}]}}
    assert related_bill_ids(meeting) == ["us-119-hr633"]
    # The XML way of wrapping them, should JSON ever carry it.
    assert related_bill_ids({"congress": 119, "relatedItems": {"bills": {"bill": [
        {"type": "S", "number": 1367}]}}}) == ["us-119-s1367"]


# Contract: real upstream samples ------------------------------------------------------------------

SAMPLES = shared_samples("congress", "*relatedbills.json")


@pytest.mark.skipif(not SAMPLES, reason="../shared/fixtures/congress has no related-bills sample")
def test_contract_real_related_bill_entries_become_the_congress_spiders_bill_ids():
    for path in SAMPLES:
        entries = json.loads(path.read_text())["relatedBills"]
        assert entries
        expected = list(dict.fromkeys(bill_key(e["congress"], e["type"], e["number"]) for e in entries))
        meeting = {"congress": entries[0]["congress"], "relatedItems": {"bills": entries}}
        assert related_bill_ids(meeting) == expected
