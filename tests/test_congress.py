"""The congress spider: Congress.gov bills about AI and work, with their whole story, kept current cheaply.

End-to-end runs replay tests/fixtures/congress (Congress.gov API v3's own
JSON format) on loopback: cassette_2025-03.yml is the upstream in March
2025, cassette.yml the same upstream in June 2025.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlite_utils

from ailabor.records import bill_identifier
from ailabor.relevance import load_taxonomy
from ailabor.testing.replay import Cassette, ReplayServer, Route
from db.vocab import _CLASSIFICATION_STATUS, derive_status
from scrapers.spiders.congress import (
    Stored,
    bill_to_item,
    classify_action,
    congress_on,
    congress_url,
    html_to_text,
    latest_summary,
    package_bill,
    parse_actions,
    parse_sponsors,
    parse_subjects,
    parse_titles,
    parse_versions,
    part_signature,
    read_billstatus,
)
from scrapers.upstream.congress import api_path, bill_key
from tests.conftest import FIXTURES, crawl, shared_samples

HERE = FIXTURES / "congress"
MARCH = HERE / "cassette_2025-03.yml"
JUNE = HERE / "cassette.yml"
KEY = {"CONGRESS_API_KEY": "test-key-not-secret"}
AI_BILLS_MARCH = {"us-118-s262", "us-118-s2419", "us-118-s2892", "us-118-hr6943", "us-119-s146"}
DETAIL = re.compile(r"^/bill/\d+/[a-z]+/\d+$")
# Congress.gov's paths, as opposed to govinfo's (/search, /bulkdata, /content) on the same replay server.
CONGRESS_GOV = re.compile(r"^/(bill|summaries|congress)(/|$)")
SEARCHES = len(load_taxonomy().openstates_queries())  # govinfo searches: the same phrase groups as Open States


def load(name: str) -> dict:
    return json.loads((HERE / name).read_text())


def run(cassette: Path | list[Route], db_path: Path, **env: str):
    """One ``ailabor crawl congress`` against a fresh replay of ``cassette``; returns (result, server)."""
    loaded = Cassette.load(cassette) if isinstance(cassette, Path) else Cassette(cassette, HERE)
    server = ReplayServer(loaded).start()
    try:
        result = crawl("congress", server, db_path, env={**KEY, **env})
    finally:
        server.stop()
    return result, server


def details(server: ReplayServer) -> list[str]:
    return [h.path for h in server.hits if DETAIL.match(h.path)]


def congress_gov(server: ReplayServer) -> list:
    return [h for h in server.hits if CONGRESS_GOV.match(h.path)]


def screened(server: ReplayServer) -> set[str]:
    """The bills whose BILLSTATUS file (govinfo bulk data) was read."""
    return {h.path.rsplit("/", 1)[-1] for h in server.hits if h.path.startswith("/bulkdata/BILLSTATUS/")}


# Ids, names and addresses ---------------------------------------------------------------------


@pytest.mark.parametrize(("bill_type", "number", "identifier", "key"), [
    ("HR", "1234", "H.R. 1234", "us-119-hr1234"),
    ("S", "146", "S. 146", "us-119-s146"),
    ("HJRES", "5", "H.J.Res. 5", "us-119-hjres5"),
    ("SJRES", "12", "S.J.Res. 12", "us-119-sjres12"),
    ("HCONRES", "7", "H.Con.Res. 7", "us-119-hconres7"),
    ("SCONRES", "3", "S.Con.Res. 3", "us-119-sconres3"),
    ("HRES", "88", "H.Res. 88", "us-119-hres88"),
    ("sres", 9, "S.Res. 9", "us-119-sres9"),
])
def test_every_bill_type_gets_its_written_name_and_a_design_id(bill_type, number, identifier, key):
    assert bill_identifier(bill_type, number) == identifier
    assert bill_key(119, bill_type, number) == key


def test_bill_page_is_the_congress_gov_address_with_the_right_ordinal():
    assert congress_url(119, "hr", "1234") == "https://www.congress.gov/bill/119th-congress/house-bill/1234"
    assert congress_url(121, "sjres", 2) == "https://www.congress.gov/bill/121st-congress/senate-joint-resolution/2"
    assert congress_url(112, "hconres", 1).startswith("https://www.congress.gov/bill/112th-congress/house-concurrent")
    assert congress_url(102, "s", 1) == "https://www.congress.gov/bill/102nd-congress/senate-bill/1"


def test_followed_links_lose_any_api_key_and_keep_their_page():
    path, query = api_path("https://api.congress.gov/v3/bill/119?offset=250&limit=250&api_key=abc123&format=json")
    assert path == "/bill/119"
    assert query == [("offset", "250"), ("limit", "250"), ("format", "json")]
    # Recorded responses that lost their host still point at the right path.
    assert api_path("https://v3/bill/118?offset=40&limit=20&format=json")[0] == "/bill/118"


# Actions and status ---------------------------------------------------------------------------


def test_actions_come_oldest_first_with_library_copies_merged():
    pages = load("bill_119_s146_actions.json")["actions"] + load("bill_119_s146_actions_offset10.json")["actions"]
    actions = parse_actions(pages)
    dates = [a.date for a in actions]
    assert dates == sorted(dates)
    texts = [a.description for a in actions]
    # 18 recorded entries, 5 of them Library copies of a chamber's action.
    assert len(pages) == 18 and len(actions) == 13
    assert texts.count("Became Public Law No: 119-12.") == 1
    assert not any(t.startswith("Passed/agreed to in") for t in texts)
    assert texts.index("Signed by President.") < texts.index("Became Public Law No: 119-12.")
    house_vote = next(a for a in actions if a.description.startswith("On motion to suspend"))
    assert (house_vote.actor, house_vote.classification) == ("lower", ["passage"])
    assert derive_status(actions)[:2] == ("enacted", "2025-05-19")


@pytest.mark.parametrize(("action", "actor", "classes"), [
    ({"type": "IntroReferral", "actionCode": "Intro-H", "text": "Introduced in House",
      "sourceSystem": {"code": 9, "name": "Library of Congress"}}, "lower", ["introduction"]),
    ({"type": "IntroReferral", "text": "Read twice and referred to the Committee on Finance.",
      "sourceSystem": {"name": "Senate"}}, "upper", ["referral-committee"]),
    ({"type": "Committee", "text": "Ordered to be Reported in the Nature of a Substitute (Amended) by Voice Vote.",
      "sourceSystem": {"code": 1, "name": "House committee actions"}}, "lower", ["committee-passage"]),
    ({"type": "Floor", "actionCode": "H37100", "text": "On passage Passed by recorded vote: 404 - 21 (Roll no. 98).",
      "sourceSystem": {"code": 2, "name": "House floor actions"}}, "lower", ["passage"]),
    ({"type": "Floor", "text": "Resolution agreed to in Senate without amendment by Unanimous Consent.",
      "sourceSystem": {"name": "Senate"}}, "upper", ["passage"]),
    ({"type": "ResolvingDifferences", "text": "Resolving differences -- Senate actions: Senate agreed to the House "
      "amendment to the Senate amendment by Unanimous Consent.", "sourceSystem": {"name": "Senate"}}, "upper",
     ["passage"]),
    ({"type": "Floor", "text": "Motion to proceed to consideration of measure agreed to in Senate by Voice Vote.",
      "sourceSystem": {"name": "Senate"}}, "upper", []),
    ({"type": "Floor", "actionCode": "H37300", "text": "On motion to suspend the rules and pass the bill Failed by "
      "the Yeas and Nays: (2/3 required): 230 - 190.", "sourceSystem": {"code": 2, "name": "House floor actions"}},
     "lower", ["failure"]),
    ({"type": "Veto", "actionCode": "31000", "text": "Vetoed by President.",
      "sourceSystem": {"code": 9, "name": "Library of Congress"}}, None, ["executive-veto"]),
    ({"type": "Veto", "text": "Passed Senate over veto by Yea-Nay Vote. 69 - 27.", "sourceSystem": {"name": "Senate"}},
     "upper", ["veto-override-passage"]),
    ({"type": "President", "actionCode": "E30000", "text": "Signed by President.",
      "sourceSystem": {"code": 9, "name": "Library of Congress"}}, "executive", ["executive-signature"]),
    ({"type": "BecameLaw", "actionCode": "36000", "text": "Signed by President.",
      "sourceSystem": {"code": 9, "name": "Library of Congress"}}, "executive", ["executive-signature"]),
])
def test_action_rules_map_congress_actions_onto_the_shared_vocabulary(action, actor, classes):
    assert classify_action(action) == (actor, classes)


# Sponsors, versions, summaries, subjects ------------------------------------------------------


def test_sponsors_carry_role_party_state_and_district():
    detail = load("bill_118_hr6943.json")["bill"]
    sponsors = parse_sponsors(detail["sponsors"], load("bill_118_hr6943_cosponsors.json")["cosponsors"])
    assert [(s.name, s.role, s.party, s.state, s.district, s.person_id) for s in sponsors] == [
        ("Rep. Salazar, Maria Elvira", "primary", "R", "FL", "27", "S000168"),
        ("Rep. Dean, Madeleine", "cosponsor", "D", "PA", "4", "D000631"),
    ]
    withdrawn = {"fullName": "Sen. Doe, Jane [D-XX]", "sponsorshipWithdrawnDate": "2025-05-01"}
    assert [s.role for s in parse_sponsors([], [withdrawn])] == []


def test_text_versions_link_to_govinfo_not_congress_gov():
    versions = parse_versions(load("bill_119_s146_text.json")["textVersions"])
    assert versions[0].url == "https://www.govinfo.gov/content/pkg/BILLS-119s146enr/html/BILLS-119s146enr.htm"
    assert (versions[0].note, versions[0].date, versions[0].media_type) == ("Enrolled Bill", None, "text/html")
    assert all(v.url.startswith("https://www.govinfo.gov/") for v in versions)


def test_latest_crs_summary_becomes_plain_text():
    summary = latest_summary(load("bill_118_s262_summaries.json")["summaries"])
    assert summary is not None and "<" not in summary
    assert summary.splitlines()[0] == "Stop Spying Bosses Act"
    assert html_to_text("<p>A &amp; B<br/>C</p>") == "A & B\nC"


@pytest.mark.parametrize(("summary", "text"), [
    ("<p>a</p><p>b</p>", "a\nb"),
    ("<div><p><b>Title</b></p><ul><li>one</li><li>two</li></ul></div>", "Title\none\ntwo"),
    ("up<BR>down<Br />side< br/>", "up\ndown\nside"),
    ("<h3>Heading</h3><b>Sec. 2</b>Text <i>in</i> full", "Heading\nSec. 2 Text in full"),
    ('<p><a href="/b" title="x > y">H.R. 1</a>&nbsp;and&#160;S.&nbsp;2</p>\n\n', "H.R. 1 and S. 2"),
], ids=["paragraphs", "nested list", "line breaks", "inline tags", "attribute and spaces"])
def test_a_summary_keeps_its_paragraphs_apart_and_its_words_apart(summary, text):
    assert html_to_text(summary) == text


def test_subjects_put_the_policy_area_first():
    subjects = parse_subjects(load("bill_118_s262_subjects.json")["subjects"])
    assert subjects[0] == "Labor and Employment" and "Right of privacy" in subjects


def test_a_sub_resource_not_fetched_keeps_what_is_stored():
    detail = load("bill_118_s2419.json")["bill"]
    stored = Stored({"titles": [{"title": "No Robot Bosses Act of 2023", "type": "Display Title"}]},
                    "Stored summary.", ["Labor and Employment"])
    item = bill_to_item(detail, stored=stored)
    assert (item.actions, item.sponsors, item.versions) == (None, None, None)
    assert (item.summary, item.subjects) == ("Stored summary.", ["Labor and Employment"])
    assert item.source_meta["titles"] == stored.meta["titles"]
    assert (item.id, item.identifier, item.chamber, item.classification) == ("us-118-s2419", "S. 2419", "upper", "bill")


# Contract: the parsers on every real sample ---------------------------------------------------

PARSED = ("bill_list", "summaries_list", "bill_detail", "_actions", "_cosponsors", "_subjects", "_summaries",
          "_text", "_titles")
SAMPLES = [p for p in shared_samples("congress") if any(k in p.stem for k in PARSED)]
ID = re.compile(r"^us-\d{2,3}-(hr|s|hjres|sjres|hconres|sconres|hres|sres)\d+$")


@pytest.mark.skipif(not SAMPLES, reason="../shared/fixtures/congress is absent")
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_parsers_read_every_real_congress_gov_sample(sample: Path):
    data = json.loads(sample.read_text())
    name = sample.stem
    assert isinstance(data.get("request"), dict)
    next_url = (data.get("pagination") or {}).get("next")
    if next_url:
        path, query = api_path(next_url)
        assert path.startswith("/") and "v3" not in path and ("offset" in dict(query))
    if name.startswith("bill_list"):
        for entry in data["bills"]:
            assert ID.match(bill_key(entry["congress"], entry["type"], entry["number"]))
            assert congress_url(entry["congress"], entry["type"], entry["number"]).startswith("https://www.congress")
    elif name.startswith("summaries_list"):
        for entry in data["summaries"]:
            bill = entry["bill"]
            assert ID.match(bill_key(bill["congress"], bill["type"], bill["number"]))
            assert "<" not in (html_to_text(entry["text"]) or "<")
    elif name.startswith("bill_detail"):
        item = bill_to_item(data["bill"], source_url=f"https://api.congress.gov/v3/{sample.name}")
        item.validate()
        assert ID.match(item.id) and item.url.startswith("https://www.congress.gov/bill/117th-congress/")
        assert all(isinstance(part_signature(data["bill"], p).get("count"), int) for p in
                   ("actions", "cosponsors", "subjects", "summaries", "text", "titles"))
    elif name.endswith("_actions"):
        actions = parse_actions(data["actions"])
        assert actions and [a.date for a in actions] == sorted(a.date for a in actions)
        assert {a.actor for a in actions} <= {"lower", "upper", "executive", None}
        assert all(c in _CLASSIFICATION_STATUS for a in actions for c in a.classification)
        assert derive_status(actions)[0] is not None
    elif name.endswith("_cosponsors"):
        sponsors = parse_sponsors([], data["cosponsors"])
        assert sponsors and all("[" not in s.name and s.party and s.state for s in sponsors)
    elif name.endswith("_subjects"):
        assert parse_subjects(data["subjects"])[0] == data["subjects"]["policyArea"]["name"]
    elif name.endswith("_summaries"):
        summary = latest_summary(data["summaries"])
        assert summary and "<" not in summary
    elif name.endswith("_text"):
        versions = parse_versions(data["textVersions"])
        assert versions and all(re.match(r"https://www.govinfo.gov/content/pkg/(BILLS|PLAW)-", v.url) for v in versions)
    elif name.endswith("_titles"):
        assert parse_titles(data["titles"])


BILLSTATUS_SAMPLES = shared_samples("congress", "billstatus_*.xml")
GOVINFO_SAMPLES = shared_samples("congress", "govinfo_*.json")


@pytest.mark.skipif(not BILLSTATUS_SAMPLES, reason="../shared/fixtures/congress is absent")
@pytest.mark.parametrize("sample", BILLSTATUS_SAMPLES, ids=lambda p: p.name)
def test_screening_reads_every_real_billstatus_file(sample: Path):
    screen = read_billstatus(sample.read_bytes())
    assert ID.match(screen.key)
    assert screen.titles and all(isinstance(t, str) and t for t in screen.titles)
    assert screen.subjects and screen.has_subjects  # the policy area first, then CRS's subjects
    assert screen.summary and "<" not in screen.summary


@pytest.mark.skipif(not GOVINFO_SAMPLES, reason="../shared/fixtures/congress is absent")
@pytest.mark.parametrize("sample", GOVINFO_SAMPLES, ids=lambda p: p.name)
def test_govinfo_package_ids_in_real_samples_name_their_bills(sample: Path):
    data = json.loads(sample.read_text())
    ids = [p["packageId"] for p in data.get("packages", [])] or [data["packageId"]]
    bills = [package_bill(i) for i in ids if str(i).startswith("BILLS-")]
    assert bills and all(b is not None and ID.match(bill_key(*b[:3])) for b in bills)


@pytest.mark.skipif(not SAMPLES, reason="../shared/fixtures/congress is absent")
def test_real_samples_derive_the_real_status():
    shared = SAMPLES[0].parent
    enacted = parse_actions(json.loads((shared / "bill_117_hr_3076_actions.json").read_text())["actions"])
    assert derive_status(enacted)[:2] == ("enacted", "2022-04-06")
    assert [a.description for a in enacted].count("Became Public Law No: 117-108.") == 1
    passed_house = parse_actions(json.loads((shared / "bill_117_hr_21_actions.json").read_text())["actions"])
    assert derive_status(passed_house)[:2] == ("passed_chamber", "2021-01-05")
    item = bill_to_item(json.loads((shared / "bill_detail_117_hr_21.json").read_text())["bill"])
    assert (item.id, item.identifier, item.url) == (
        "us-117-hr21", "H.R. 21", "https://www.congress.gov/bill/117th-congress/house-bill/21")


# End to end -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    """March 2025, then June 2025, then June again with nothing changed, on one database."""
    db_path = tmp_path_factory.mktemp("congress") / "tracker.db"
    runs = [run(MARCH, db_path)]
    march_ids = {r[0] for r in sqlite_utils.Database(db_path).execute("SELECT id FROM bills").fetchall()}
    march_screened = {r[0] for r in sqlite_utils.Database(db_path).execute("SELECT id FROM screened_bills").fetchall()}
    runs += [run(JUNE, db_path), run(JUNE, db_path)]
    for result, _ in runs:
        assert result.returncode == 0, result.stderr[-2000:]
    return SimpleNamespace(db=sqlite_utils.Database(db_path), runs=runs, march_ids=march_ids,
                           march_screened=march_screened)


@pytest.mark.slow
def test_first_run_keeps_ai_bills_from_titles_and_summaries_and_drops_the_rest(three_runs):
    (result, server), *_ = three_runs.runs
    assert three_runs.march_ids == AI_BILLS_MARCH
    # Every bill whose list title names no AI is screened on its BILLSTATUS file (titles, subjects, summary);
    # no bill whose list title names AI needs it.
    assert screened(server) == {"BILLSTATUS-119s5.xml", "BILLSTATUS-119s129.xml", "BILLSTATUS-118s567.xml",
                                "BILLSTATUS-118s262.xml", "BILLSTATUS-119s146.xml"}
    # Stop Spying Bosses ("workplace surveillance" in its official title) and TAKE IT DOWN (its CRS summary)
    # pass the screening and are fetched.
    assert {"/bill/118/s/262", "/bill/119/s/146"} <= set(details(server))
    # Laken Riley, No Tax on Tips and the PRO Act never cost a Congress.gov request of their own.
    assert not [h for h in congress_gov(server) if re.match(r"^/bill/\d+/s/(5|129|567)(/|$)", h.path)]
    verdicts = dict(three_runs.db.execute("SELECT id, candidate FROM screened_bills").fetchall())
    assert {k: v for k, v in verdicts.items() if k in three_runs.march_screened} == {
        "us-119-s5": 0, "us-119-s129": 0, "us-118-s567": 0, "us-118-s262": 1, "us-119-s146": 1}
    # The text of each bill fetched is read too, from govinfo.
    assert len(server.requests_to("/search")) == SEARCHES
    assert {h.path.rsplit("/", 1)[-1] for h in server.hits if h.path.startswith("/content/pkg/")} == {
        "BILLS-118hr6943ih.htm", "BILLS-118s2419is.htm", "BILLS-118s262is.htm", "BILLS-118s2892is.htm",
        "BILLS-119s146rfh.htm"}
    requests = len(congress_gov(server)) + SEARCHES + 5 + 5  # Congress.gov, searches, BILLSTATUS files, texts
    assert (f"congress: ok: {requests} requests, 5 items, 5 new, 0 updated, 0 errors, bills seen 8, candidates 5, "
            "screened 5, text requests 5, texts read 5, congress 119") in result.stdout


@pytest.mark.slow
def test_bill_list_is_walked_by_update_date_with_format_json_and_the_key_in_a_header(three_runs):
    (_, server), *_ = three_runs.runs
    pages = server.requests_to("/bill/119")
    assert [h.query.get("offset") for h in pages] == [None, ["250"]]
    summaries = server.requests_to("/summaries/119")
    for hit in pages + summaries:
        assert hit.query["sort"] == ["updateDate asc"] and hit.query["limit"] == ["250"]
    assert {h.query["fromDateTime"][0] for h in pages} == {"2025-01-01T00:00:00Z"}
    # A first run screens every bill's summary; the feed covers only the days BILLSTATUS may lag.
    began = datetime.fromisoformat(three_runs.db.execute("SELECT min(started_at) FROM crawl_runs").fetchone()[0])
    lookback = {datetime.fromisoformat(h.query["fromDateTime"][0].replace("Z", "+00:00")) for h in summaries}
    assert len(lookback) == 1 and abs(began - lookback.pop() - timedelta(days=3)) < timedelta(minutes=5)
    assert {h.query.get("fromDateTime", [""])[0] for h in server.requests_to("/bill/118")} == {"2023-01-01T00:00:00Z"}
    assert all(h.query.get("format") == ["json"] for h in congress_gov(server))
    assert all(h.headers.get("X-Api-Key") == "test-key-not-secret" and "api_key" not in h.query
               for h in congress_gov(server))
    # The Congress.gov key goes to Congress.gov alone: govinfo's bulk files and texts need none.
    others = [h for h in server.hits if not CONGRESS_GOV.match(h.path)]
    assert others and all(h.headers.get("X-Api-Key") in (None, "DEMO_KEY") for h in others)


@pytest.mark.slow
def test_stored_bill_has_its_whole_story(three_runs):
    database = three_runs.db
    bill = database["bills"].get("us-118-hr6943")
    assert (bill["identifier"], bill["session"], bill["status"], bill["relevant"]) == ("H.R. 6943", "118",
                                                                                       "in_committee", 1)
    assert bill["url"] == "https://www.congress.gov/bill/118th-congress/house-bill/6943"
    assert bill["summary"].startswith("No Artificial Intelligence Fake Replicas")
    assert json.loads(bill["subjects"])[:2] == ["Civil actions and liability", "Commerce"]
    assert [r["description"] for r in database.query(
        "SELECT description FROM actions WHERE bill_id = 'us-118-hr6943' ORDER BY seq")] == [
        "Introduced in House", "Referred to the House Committee on the Judiciary."]
    assert {(r["name"], r["role"]) for r in database.query("SELECT * FROM sponsors WHERE bill_id = 'us-118-hr6943'")} \
        == {("Rep. Salazar, Maria Elvira", "primary"), ("Rep. Dean, Madeleine", "cosponsor")}
    meta = json.loads(bill["source_meta"])
    assert meta["counts"]["actions"] == {"count": 3} and len(meta["titles"]) == 3


@pytest.mark.slow
def test_bill_that_passes_the_house_and_becomes_law_between_runs_gets_its_events(three_runs):
    database = three_runs.db
    bill = database["bills"].get("us-119-s146")
    assert (bill["status"], bill["status_date"], bill["latest_action"]) == ("enacted", "2025-05-19",
                                                                          "Became Public Law No: 119-12.")
    events = list(database.query("SELECT kind, summary, details FROM events WHERE bill_id = 'us-119-s146' ORDER BY id"))
    assert [e["kind"] for e in events] == ["bill_new"] + ["bill_action"] * 6 + ["bill_status", "bill_version"]
    status = json.loads(events[7]["details"])
    assert (status["from"], status["to"]) == ("passed_chamber", "enacted")
    assert "409 - 2" in events[2]["summary"] and events[6]["summary"].startswith("US S. 146: Became Public Law")
    assert json.loads(events[8]["details"])["note"] == "Enrolled Bill"
    assert database.execute("SELECT count(*) FROM actions WHERE bill_id = 'us-119-s146'").fetchone()[0] == 13


@pytest.mark.slow
def test_second_run_fetches_only_the_sub_resources_whose_counts_moved_following_their_pages(three_runs):
    _, (result, server), _ = three_runs.runs
    s146 = sorted(h.path for h in server.hits if h.path.startswith("/bill/119/s/146"))
    assert s146 == ["/bill/119/s/146", "/bill/119/s/146/actions", "/bill/119/s/146/actions",
                    "/bill/119/s/146/subjects", "/bill/119/s/146/text"]
    database = three_runs.db
    # The NO FAKES Act (found by its summary) has three cosponsors on two pages.
    assert database.execute("SELECT count(*) FROM sponsors WHERE bill_id = 'us-119-s1367'").fetchone()[0] == 4
    assert "Pornography" in json.loads(database["bills"].get("us-119-s146")["subjects"])
    assert {r["bill_id"] for r in database.query("SELECT bill_id FROM events WHERE kind = 'bill_new'")} == \
        AI_BILLS_MARCH | {"us-119-s1367", "us-119-s1792"}
    # The NO FAKES Act is screened in (its CRS summary names digital replicas); No Tax on Tips, screened in
    # March before CRS indexed any subject and changed since, is screened again; neither Laken Riley (indexed)
    # nor any stored bill is.
    assert screened(server) == {"BILLSTATUS-119s1367.xml", "BILLSTATUS-119s129.xml"}
    # 22 Congress.gov requests, the text searches, two BILLSTATUS files, three new texts.
    assert (f"congress: ok: {22 + SEARCHES + 2 + 3} requests, 5 items, 2 new, 1 updated, 0 errors, bills seen 10, "
            "candidates 5, screened 2, text requests 3, texts read 3") in result.stdout


@pytest.mark.slow
def test_restamped_bill_costs_one_detail_request_and_writes_no_event(three_runs):
    _, (_, server), _ = three_runs.runs
    for path in ("/bill/118/s/2419", "/bill/118/hr/6943"):
        assert [h.path for h in server.hits if h.path.startswith(path)] == [path]
    database = three_runs.db
    kinds = [r["kind"] for r in database.query(
        "SELECT kind FROM events WHERE bill_id IN ('us-118-s2419', 'us-118-hr6943')")]
    assert kinds == ["bill_new", "bill_new"]
    meta = json.loads(database["bills"].get("us-118-s2419")["source_meta"])
    assert meta["list_update"] == ["2025-06-12", "2025-06-12T13:55:02Z"]


@pytest.mark.slow
def test_refresh_walks_one_list_and_one_summary_feed_across_congresses_from_the_watermark(three_runs):
    _, (_, server), _ = three_runs.runs
    # The current Congress is remembered from the first run: the calendar says no new one has begun.
    assert not server.requests_to("/congress/current")
    assert not [h for h in server.hits if re.match(r"^/(bill|summaries)/\d+$", h.path)]
    march = three_runs.db.execute("SELECT watermark FROM crawl_runs ORDER BY id").fetchone()[0]
    since = (datetime.fromisoformat(march.replace("Z", "+00:00")) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for hit in server.requests_to("/bill") + server.requests_to("/summaries"):
        assert hit.query["sort"] == ["updateDate asc"] and hit.query["limit"] == ["250"]
        assert hit.query["fromDateTime"] == [since]
    # The Algorithmic Accountability Act of 2022 speaks of AI, but the 117th Congress is not followed.
    assert "/bill/117/hr/6580" not in details(server)
    assert "us-117-hr6580" not in {r["id"] for r in three_runs.db.query("SELECT id FROM bills")}


@pytest.mark.slow
def test_refresh_with_nothing_changed_costs_the_bill_list_the_summaries_and_the_text_searches(three_runs):
    *_, (result, server) = three_runs.runs
    assert details(server) == []
    assert sorted(h.path for h in server.hits) == sorted(["/bill", "/summaries"] + ["/search"] * SEARCHES)
    since = three_runs.db.execute("SELECT watermark FROM crawl_runs WHERE id = 2").fetchone()[0]
    for search in server.requests_to("/search"):
        assert json.loads(search.body)["query"].startswith("collection:(BILLS) AND congress:(119 OR 118) AND "
                                                          "lastModified:range(")
        assert since[:10] in json.loads(search.body)["query"]
    assert f"congress: ok: {2 + SEARCHES} requests, 0 items, 0 new, 0 updated" in result.stdout
    database = three_runs.db
    watermarks = [r["watermark"] for r in database.query("SELECT watermark FROM crawl_runs ORDER BY id")]
    assert watermarks == sorted(watermarks) and all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", w)
                                                    for w in watermarks)
    assert database.execute("SELECT count(*) FROM events WHERE run_id = 3").fetchone()[0] == 0


# Keys, faults and quota -----------------------------------------------------------------------

SECRET = "FAKE-congress-key-4b1d"


def _leaky_list() -> str:
    """The 119th list as a server that prints the key in its links (as the swagger's query auth would)."""
    data = load("bill_list_119.json")
    data["pagination"]["next"] += f"&api_key={SECRET}"
    data["request"]["api_key"] = SECRET
    return json.dumps(data)


def _faulty_routes() -> list[Route]:
    return [
        Route("/bill/119", query={"offset": None}, body=_leaky_list()),
        # An application failure echoing the request, key included.
        Route("/bill/119/s/1792", body=json.dumps({"error": f"Unknown error at /v3/bill/119/s/1792?api_key={SECRET}",
                                                   "request": {"api_key": SECRET}})),
        # An HTML error page with status 200.
        Route("/bill/118/s/262/titles", body="<!DOCTYPE html><html><title>Just a moment...</title></html>"),
        Route("/bill/118/s/2892", status=404, body=json.dumps({"error": "not found"})),
    ] + Cassette.load(JUNE).routes


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("congress_faults") / "tracker.db"
    result, server = run(_faulty_routes(), db_path, CONGRESS_API_KEY=SECRET, AILABOR_LOG_LEVEL="DEBUG")
    return db_path, result, server


@pytest.mark.slow
def test_api_key_never_reaches_urls_logs_or_error_rows(faulty_run):
    db_path, result, server = faulty_run
    assert all(h.headers.get("X-Api-Key") == SECRET for h in congress_gov(server))
    assert not [h for h in server.hits if not CONGRESS_GOV.match(h.path) and h.headers.get("X-Api-Key") == SECRET]
    followed = server.requests_to("/bill/119")[1]
    assert followed.query["offset"] == ["250"] and "api_key" not in followed.query
    dump = "\n".join(sqlite_utils.Database(db_path).conn.iterdump())
    assert SECRET not in dump
    assert SECRET not in result.stdout and SECRET not in result.stderr
    assert "/bill/119?" in result.stderr  # the DEBUG log does print the URLs it fetched


@pytest.mark.slow
def test_bad_responses_are_recorded_and_the_other_bills_stored(faulty_run):
    db_path, result, _ = faulty_run
    database = sqlite_utils.Database(db_path)
    errors = {r["kind"]: r for r in database.query("SELECT kind, url, message FROM crawl_errors")}
    assert set(errors) == {"upstream_error", "html_instead_of_json", "http_error"}
    assert "api_key=[hidden]" in errors["upstream_error"]["message"]
    assert errors["http_error"]["url"].endswith("/bill/118/s/2892?format=json")
    ids = {r["id"] for r in database.query("SELECT id FROM bills")}
    assert {"us-119-s146", "us-119-s1367", "us-118-s262", "us-118-s2419", "us-118-hr6943"} <= ids
    assert not {"us-119-s1792", "us-118-s2892"} & ids
    # Its titles failed: the Stop Spying Bosses Act is stored without them and asks again next time.
    meta = json.loads(database["bills"].get("us-118-s262")["source_meta"])
    assert "titles" not in meta["counts"] and meta["titles"] == []
    assert "congress: partial:" in result.stdout


def test_the_calendar_says_when_a_new_congress_begins():
    assert congress_on(datetime(2025, 1, 2, 23, tzinfo=UTC)) == 118
    assert congress_on(datetime(2025, 1, 3, tzinfo=UTC)) == 119
    assert congress_on(datetime(2026, 12, 31, tzinfo=UTC)) == 119
    assert congress_on(datetime(2027, 1, 3, tzinfo=UTC)) == 120


@pytest.mark.slow
def test_a_congress_begun_since_the_last_run_is_asked_for_and_walked_from_its_start(tmp_path):
    db_path = tmp_path / "tracker.db"
    run(MARCH, db_path)
    database = sqlite_utils.Database(db_path)
    # As if the last run had learnt, a year ago, that the 118th Congress sits: the calendar now says otherwise.
    database.execute("UPDATE crawl_runs SET details = json_set(details, '$.congress', 118),"
                     " started_at = '2024-11-28T06:00:00+00:00'")
    database.conn.commit()
    result, server = run(JUNE, db_path)
    assert result.returncode == 0 and "congress: ok:" in result.stdout
    assert [h.path for h in server.hits[:1]] == ["/congress/current"]
    assert {h.query["fromDateTime"][0] for h in server.requests_to("/bill/119")} == {"2025-01-01T00:00:00Z"}
    assert len(server.requests_to("/bill")) == 1 and not server.requests_to("/bill/118")
    # Learnt now, it is remembered: the next refresh asks no more.
    again, server = run(JUNE, db_path)
    assert [h.path for h in congress_gov(server)] == ["/bill", "/summaries"]


@pytest.mark.slow
def test_without_a_key_the_spider_runs_on_demo_key_and_says_so(tmp_path):
    result, server = run(MARCH, tmp_path / "tracker.db", CONGRESS_API_KEY="")
    assert result.returncode == 0 and "congress: ok:" in result.stdout
    assert {h.headers.get("X-Api-Key") for h in congress_gov(server)} == {"DEMO_KEY"}
    assert "CONGRESS_API_KEY is not set; using DEMO_KEY" in result.stderr


@pytest.mark.slow
def test_low_rate_limit_ends_the_run_partial_with_the_watermark_before_the_unstored_bill(tmp_path):
    db_path = tmp_path / "tracker.db"
    plenty = {"X-Ratelimit-Limit": "5000", "X-Ratelimit-Remaining": "4200"}
    routes = [
        Route("/bill/118", body=json.dumps({"bills": [], "pagination": {"count": 0}, "request": {}}), headers=plenty),
        Route("/summaries/118", body=json.dumps({"summaries": [], "pagination": {"count": 0}, "request": {}}),
              headers=plenty),
        # TAKE IT DOWN's detail arrives with 60 requests left of 5,000: under the reserve of 100.
        Route("/bill/119/s/146", file="2025-03/bill_119_s146.json",
              headers={"X-Ratelimit-Limit": "5000", "X-Ratelimit-Remaining": "60"}),
    ] + [Route(**{**r.__dict__, "headers": plenty}) for r in Cassette.load(MARCH).routes]
    result, server = run(routes, db_path)
    database = sqlite_utils.Database(db_path)
    last = database.execute("SELECT status, watermark, message FROM crawl_runs ORDER BY id DESC").fetchone()
    assert last[0] == "partial" and "quota" in last[2]
    assert "/bill/119/s/146/titles" not in [h.path for h in server.hits]
    assert "us-119-s146" not in {r["id"] for r in database.query("SELECT id FROM bills")}
    # TAKE IT DOWN came from a CRS summary stamped 2025-02-20T18:09:41Z: the next run reads from before it.
    assert last[1] is not None and last[1] <= "2025-02-20T18:09:41Z"
    resumed, _ = run(MARCH, db_path)
    assert "congress: ok:" in resumed.stdout
    assert database["bills"].get("us-119-s146")["status"] == "passed_chamber"


# In process: a saved bill and its sub-resources mapped as the crawls above store them ---------------------


def _saved(name: str) -> dict:
    return json.loads((FIXTURES / "congress" / f"bill_118_hr6943{name}.json").read_text())


def test_a_saved_bill_with_its_sub_resources_maps_onto_its_whole_story():
    item = bill_to_item(_saved("")["bill"], actions=_saved("_actions")["actions"],
                        cosponsors=_saved("_cosponsors")["cosponsors"], subjects=_saved("_subjects")["subjects"],
                        summaries=_saved("_summaries")["summaries"], text_versions=_saved("_text")["textVersions"],
                        titles=_saved("_titles")["titles"])
    assert (item.id, item.identifier, item.session) == ("us-118-hr6943", "H.R. 6943", "118")
    assert derive_status(item.actions)[0] == "in_committee"
    assert item.url == "https://www.congress.gov/bill/118th-congress/house-bill/6943"
    assert item.summary.startswith("No Artificial Intelligence Fake Replicas")
    assert sorted(item.subjects)[:2] == ["Civil actions and liability", "Commerce"]
    assert [a.description for a in item.actions] == ["Introduced in House",
                                                     "Referred to the House Committee on the Judiciary."]
    assert {(s.name, s.role) for s in item.sponsors} == {("Rep. Salazar, Maria Elvira", "primary"),
                                                        ("Rep. Dean, Madeleine", "cosponsor")}
    assert len(item.source_meta["titles"]) == 3
    assert load_taxonomy().classify_bill(item.title, item.other_titles, item.summary, item.subjects).relevant
