"""The agency_pages spider end to end against pages written like the agencies' own, and its row reader."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
import yaml

import db
from ailabor.config import SOURCES_FILE, ConfigError, source_config
from ailabor.records import MeetingItem
from ailabor.testing.replay import Route
from scrapers.spiders.agency_pages import AgencyPage, AgencyPagesSpider, page_meetings, parse_date
from tests.conftest import FIXTURES, crawl
from tests.factories import file_response, in_process_spider

HERE = FIXTURES / "agency_pages"
PAGES = {page.slug: page for page in map(AgencyPage.from_config, source_config("agency_pages")["agencies"])}
CRC, CPPA = PAGES["ca-civil-rights-council"], PAGES["ca-privacy-protection-agency"]
ROBOTS = Route("/robots.txt", file="agency_pages/robots.txt", content_type="text/plain")
CRC_PAGE = Route("/civilrightscouncil/", file="agency_pages/civil_rights_council.html")
CPPA_PAGE = Route("/meetings/", file="agency_pages/privacy_protection_agency.html")


def _crawl(server, db_path, env: dict[str, str] | None = None):
    return crawl("agency_pages", server, db_path, env={"AGENCY_PAGES_BASE_URL": server.url,
                                                       "AILABOR_DOWNLOAD_DELAY": "0", **(env or {})})


def _meetings(db_path) -> dict[str, dict]:
    return {row["id"]: row for row in db.connect(db_path).query("SELECT * FROM meetings")}


def _last_run(db_path) -> dict:
    return dict(db.connect(db_path).execute_returning_dicts("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")[0])


@pytest.mark.slow
def test_crawl_stores_every_meeting_of_both_agencies_with_absolute_links(replay, db_path):
    server = replay(HERE / "cassette.yml")
    result = _crawl(server, db_path)
    assert result.returncode == 0, result.stderr
    assert server.hits[0].path == "/robots.txt"  # robots.txt is obeyed for these sites
    meetings = _meetings(db_path)
    assert sorted(meetings) == [
        "ca-civil-rights-council-2024-02-15", "ca-civil-rights-council-2024-03-21",
        "ca-civil-rights-council-2024-07-18",
        "ca-privacy-protection-agency-2024-03-08", "ca-privacy-protection-agency-2024-07-16",
        "ca-privacy-protection-agency-2025-01-08"]
    council = meetings["ca-civil-rights-council-2024-02-15"]
    assert (council["start"], council["jurisdiction"], council["kind"]) == ("2024-02-15T10:00", "ca", "meeting")
    # Relative links resolve against the agency's own site, not the mirror the page came from.
    assert council["agenda_url"] == ("https://calcivilrights.ca.gov/wp-content/uploads/sites/32/2024/02/"
                                     "Civil-Rights-Council-Meeting-Agenda-2024-02-15.pdf")
    assert council["minutes_url"].endswith("Civil-Rights-Council-Meeting-Minutes-2024-02-15.pdf")
    board = meetings["ca-privacy-protection-agency-2024-07-16"]
    assert (board["start"], board["title"]) == ("2024-07-16", "July 16, 2024 Board Meeting")
    assert board["agenda_url"] == "https://cppa.ca.gov/meetings/materials/20240716_agenda.pdf"
    assert board["minutes_url"] == "https://cppa.ca.gov/meetings/materials/20240716_minutes.pdf"
    assert meetings["ca-privacy-protection-agency-2025-01-08"]["kind"] == "hearing"
    assert meetings["ca-civil-rights-council-2024-07-18"]["kind"] == "hearing"  # "Public hearing" in its row
    assert "agency_pages: ok: 3 requests, 6 items, 6 new" in result.stdout


@pytest.mark.slow
def test_unchanged_pages_are_skipped_and_a_changed_page_is_read_again(replay, db_path):
    _crawl(replay(HERE / "cassette.yml"), db_path)
    before = db.connect(db_path)["events"].count
    result = _crawl(replay(HERE / "cassette.yml"), db_path)
    assert "0 items" in result.stdout and "unchanged 2" in result.stdout
    assert db.connect(db_path)["events"].count == before
    assert set(json.loads(_last_run(db_path)["watermark"])) == set(PAGES)
    page = (HERE / "privacy_protection_agency.html").read_text().replace(
        "<tbody>", '<tbody><tr><td><a href="/meetings/materials/20250724.html">July 24, 2025 Board Meeting</a></td>'
                   "<td>Oakland</td><td></td></tr>", 1)
    result = _crawl(replay([ROBOTS, CRC_PAGE, Route("/meetings/", body=page)]), db_path)
    assert "unchanged 1" in result.stdout
    new = db.connect(db_path).execute("SELECT meeting_id FROM events WHERE kind = 'meeting_new' AND run_id = ?",
                                      [_last_run(db_path)["id"]]).fetchall()
    assert new == [("ca-privacy-protection-agency-2025-07-24",)]


@pytest.mark.slow
def test_page_whose_structure_changed_fails_the_run_naming_agency_and_selector(replay, db_path):
    redesigned = Route("/civilrightscouncil/", file="agency_pages/civil_rights_council_redesigned.html")
    result = _crawl(replay([ROBOTS, redesigned, CPPA_PAGE]), db_path)
    assert result.returncode == 1
    assert "agency_pages: failed" in result.stdout
    errors = list(db.connect(db_path).query("SELECT kind, message, url FROM crawl_errors"))
    assert [e["kind"] for e in errors] == ["structure_changed"]
    assert "California Civil Rights Council" in errors[0]["message"] and CRC.rows in errors[0]["message"]
    # The page that still reads is stored all the same.
    assert {m["agency_slug"] for m in _meetings(db_path).values()} == {"ca-privacy-protection-agency"}
    assert _last_run(db_path)["status"] == "failed"


@pytest.mark.parametrize(("field", "selector", "error"), [
    ("rows", "xpath://table[.//th", "XPath error"),
    ("date", "td:nth-child(1 ::text", "Expected"),
    ("agenda", "td:frobnicate(3) a::attr(href)", "unknown"),
])
@pytest.mark.review("bad_selector")
def test_page_with_an_invalid_selector_fails_the_run_naming_page_selector_and_error(replay, db_path, tmp_path, field,
                                                                                     selector, error):
    config = yaml.safe_load(SOURCES_FILE.read_text())
    entry = next(e for e in config["agency_pages"]["agencies"] if e["slug"] == CRC.slug)
    entry[field] = selector
    sources = tmp_path / "sources.yml"
    sources.write_text(yaml.safe_dump(config))
    server = replay(HERE / "cassette.yml")
    result = _crawl(server, db_path, env={"AILABOR_SOURCES": str(sources)})
    assert result.returncode == 1
    assert server.requests_to("/civilrightscouncil/") == []  # a page its selectors cannot read is not fetched
    errors = list(db.connect(db_path).query("SELECT kind, message, url FROM crawl_errors"))
    assert [(e["kind"], e["url"]) for e in errors] == [("bad_selector", CRC.start_url)]
    assert f"the {field} selector {selector!r} is invalid" in errors[0]["message"] and error in errors[0]["message"]
    assert "\n" not in errors[0]["message"]
    assert {m["agency_slug"] for m in _meetings(db_path).values()} == {"ca-privacy-protection-agency"}
    run = _last_run(db_path)
    assert (run["status"], run["watermark"], run["errors"]) == ("failed", None, 1)
    assert f"the {field} selector" in result.stdout


@pytest.mark.slow
def test_page_forbidden_by_robots_txt_is_not_fetched(replay, db_path):
    server = replay([Route("/robots.txt", body="User-agent: *\nDisallow: /meetings/\n", content_type="text/plain"),
                     CRC_PAGE, CPPA_PAGE])
    result = _crawl(server, db_path)
    assert server.requests_to("/meetings/") == []
    assert "cppa.ca.gov/meetings/ is forbidden by robots.txt" in result.stdout
    assert _last_run(db_path)["status"] == "failed"


# Reading rows --------------------------------------------------------------------------------------


def test_two_meetings_on_one_day_get_distinct_stable_ids():
    html = (HERE / "privacy_protection_agency.html").read_text().replace(
        "<tbody>", '<tbody><tr><td><a href="/meetings/materials/20240716_sub.html">July 16, 2024 Rules '
                   "Subcommittee</a></td><td></td><td></td></tr>", 1)
    ids = [m.id for m in page_meetings(html, CPPA)[0] if m.start == "2024-07-16"]
    assert len(set(ids)) == 2 and "ca-privacy-protection-agency-2024-07-16" in ids
    assert ids == [m.id for m in page_meetings(html, CPPA)[0] if m.start == "2024-07-16"]


def test_row_without_a_readable_date_is_reported_and_the_others_kept():
    html = (HERE / "civil_rights_council.html").read_text().replace("February 15, 2024", "To be announced")
    meetings, problems = page_meetings(html, CRC)
    assert len(meetings) == 2
    assert problems == ["ca-civil-rights-council: row 2: no date in 'To be announced 10:00 am' "
                        "(selector 'td:nth-child(1) ::text')"]


@pytest.mark.parametrize(
    ("text", "changes", "expected"),
    [
        ("March 21, 2024 10:00 am", {}, "2024-03-21T10:00"),
        ("/meetings/materials/20240716.html", {"date_pattern": r"(\d{8})", "date_format": "%Y%m%d"}, "2024-07-16"),
        ("03-08-2024 1:30 PM", {"date_format": "%m-%d-%Y %I:%M %p"}, "2024-03-08T13:30"),
        ("no date here", {"date_pattern": r"(\d{8})", "date_format": "%Y%m%d"}, None),
    ],
)
def test_dates_read_by_format_pattern_or_as_prose(text, changes, expected):
    page = AgencyPage(slug="x", agency="X", start_url="https://x.example/", rows="tr", date="td", **changes)
    assert parse_date(text, page) == expected


def test_entry_with_a_missing_or_unknown_key_is_a_config_error():
    with pytest.raises(ConfigError, match="lacks rows"):
        AgencyPage.from_config({"slug": "x", "agency": "X", "start_url": "https://x.example/", "date": "td"})
    with pytest.raises(ConfigError, match="unknown keys row_selector"):
        AgencyPage.from_config({"slug": "x", "agency": "X", "start_url": "https://x.example/", "rows": "tr",
                                "date": "td", "row_selector": "tr"})


# In process: the spider's parse on the saved pages ------------------------------------------------------


@pytest.fixture
def spider(db_path):
    spider = in_process_spider(AgencyPagesSpider, db_path)
    spider.previous_hashes, spider.hashes, spider.broken = {}, {}, []
    spider.report = {"pages": 0, "unchanged": 0}
    return spider


def _parse(spider, page: AgencyPage, name: str) -> list[MeetingItem]:
    mirror = f"http://127.0.0.1:8000{urlsplit(page.start_url).path}"
    return list(spider.parse(file_response(f"agency_pages/{name}.html", mirror), page=page))


def test_saved_pages_yield_every_meeting_of_both_agencies_with_links_on_their_own_sites(spider):
    meetings = {m.id: m for m in _parse(spider, CRC, "civil_rights_council") +
                _parse(spider, CPPA, "privacy_protection_agency")}
    assert sorted(meetings) == [
        "ca-civil-rights-council-2024-02-15", "ca-civil-rights-council-2024-03-21",
        "ca-civil-rights-council-2024-07-18",
        "ca-privacy-protection-agency-2024-03-08", "ca-privacy-protection-agency-2024-07-16",
        "ca-privacy-protection-agency-2025-01-08"]
    council = meetings["ca-civil-rights-council-2024-02-15"]
    assert (council.start, council.jurisdiction, council.kind) == ("2024-02-15T10:00", "ca", "meeting")
    # Relative links resolve against the agency's own site, not the mirror the page came from.
    assert council.agenda_url == ("https://calcivilrights.ca.gov/wp-content/uploads/sites/32/2024/02/"
                                  "Civil-Rights-Council-Meeting-Agenda-2024-02-15.pdf")
    assert council.minutes_url.endswith("Civil-Rights-Council-Meeting-Minutes-2024-02-15.pdf")
    board = meetings["ca-privacy-protection-agency-2024-07-16"]
    assert (board.start, board.title) == ("2024-07-16", "July 16, 2024 Board Meeting")
    assert board.agenda_url == "https://cppa.ca.gov/meetings/materials/20240716_agenda.pdf"
    assert board.minutes_url == "https://cppa.ca.gov/meetings/materials/20240716_minutes.pdf"
    assert meetings["ca-privacy-protection-agency-2025-01-08"].kind == "hearing"
    assert meetings["ca-civil-rights-council-2024-07-18"].kind == "hearing"  # "Public hearing" in its row
    assert set(spider.hashes) == set(PAGES) and spider.report["pages"] == 2


def test_a_saved_page_whose_rows_hash_is_the_watermark_s_yields_nothing(spider):
    _parse(spider, CPPA, "privacy_protection_agency")
    spider.previous_hashes = dict(spider.hashes)
    assert _parse(spider, CPPA, "privacy_protection_agency") == []
    assert spider.report["unchanged"] == 1


def test_a_redesigned_page_is_unreadable_naming_agency_and_selector(spider, db_path):
    assert _parse(spider, CRC, "civil_rights_council_redesigned") == []
    assert spider.outcome.failed_requests == 1
    [error] = db.connect(db_path).query("SELECT kind, message FROM crawl_errors")
    assert error["kind"] == "structure_changed"
    assert "California Civil Rights Council" in error["message"] and CRC.rows in error["message"]
