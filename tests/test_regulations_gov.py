"""The regulations_gov spider end to end against recorded responses, its merge with the Federal Register, and its
parsers on real samples."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

import db
from ailabor.relevance import load_taxonomy
from ailabor.store.changes import CONTRIBUTIONS
from ailabor.testing.replay import Cassette, ReplayServer, Route
from scrapers import settings
from scrapers.spiders.regulations_gov import (
    RegulationsGovSpider,
    comment_count,
    document_to_meeting,
    eastern_date,
    filter_time,
    read_body,
    upstream_error,
)
from tests.conftest import FIXTURES, crawl, shared_samples
from tests.factories import file_response, in_process_spider

HERE = FIXTURES / "regulations_gov"
KEY = "k3y-that-must-never-be-stored-0123456789"
ENV = {"DATA_GOV_API_KEY": KEY, "AILABOR_DOWNLOAD_DELAY": "0"}
JSON_API = "application/vnd.api+json;charset=utf-8"


def _rows(db_path, table: str = "meetings") -> dict:
    return {row["id"]: row for row in db.connect(db_path).query(f"SELECT * FROM [{table}]")}


def _last_run(db_path) -> dict:
    return dict(db.connect(db_path).execute_returning_dicts("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")[0])


def _errors(db_path) -> list[dict]:
    return list(db.connect(db_path).query("SELECT * FROM crawl_errors ORDER BY id"))


def _contribution(row: dict) -> dict:
    return json.loads(row["source_meta"])[CONTRIBUTIONS]["regulations_gov"]


def _everything_stored(db_path) -> str:
    database = db.connect(db_path)
    return json.dumps([list(database.query(f"SELECT * FROM [{t}]")) for t in database.table_names()], default=str)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The recorded cassette crawled twice into one database (the second run starts from the watermark)."""
    db_path = tmp_path_factory.mktemp("regs") / "tracker.db"
    results, hits = [], []
    for _ in range(2):
        server = ReplayServer(Cassette.load(HERE / "cassette.yml")).start()
        try:
            results.append(crawl("regulations_gov", server, db_path, env=ENV))
            hits.append(list(server.hits))
        finally:
            server.stop()
    return db_path, results, hits


# The recorded crawl ------------------------------------------------------------------------------


@pytest.mark.slow
def test_crawl_reads_watched_dockets_ai_terms_and_the_dockets_they_find(two_runs):
    db_path, results, hits = two_runs
    assert results[0].returncode == 0, results[0].stderr
    assert set(_rows(db_path)) == {"fr-2023-18624", "fr-2023-07776", "fr-2023-02492", "regsgov-COLC-2023-0006-0002"}
    dockets = [h.query["filter[docketId]"][0] for h in hits[0] if "filter[docketId]" in h.query]
    # Three from sources.yml and PTO-P-2022-0045 found by the docket search; COLC-2023-0006 once.
    assert sorted(dockets) == ["COLC-2023-0006", "NTIA-2023-0005", "OSTP-TECH-2023-0007", "PTO-P-2022-0045"]
    details = [h.path for h in hits[0] if h.path.startswith("/documents/")]
    assert len(details) == len(set(details)) == 4  # a document listed by several queries is read once
    search = next(h for h in hits[0] if "filter[searchTerm]" in h.query)
    assert search.query["filter[agencyId]"][0].split(",")[:2] == ["COLC", "EEOC"]
    assert search.query["sort"] == ["lastModifiedDate,documentId"]
    assert search.query["page[size]"] == ["250"]
    # The same AI phrases as the Federal Register's search, each once for documents and once for dockets.
    terms = load_taxonomy().search_phrases()
    for path in ("/documents", "/dockets"):
        sent = [h.query["filter[searchTerm]"][0] for h in hits[0] if h.path == path and "filter[searchTerm]" in h.query]
        assert sorted(sent) == sorted(terms)
    requests = len(dockets) + 2 * len(terms) + len(details) + 3  # dockets, searches, document details, comment counts
    assert f"regulations_gov: ok: {requests} requests, 4 items, 4 new" in results[0].stdout


@pytest.mark.slow
def test_comment_dates_are_eastern_days_and_counts_are_kept(two_runs):
    db_path, _, _ = two_runs
    meetings = _rows(db_path)
    colc = meetings["fr-2023-18624"]
    # commentEndDate 2023-10-31T03:59:59Z is 11:59 p.m. on October 30 in Washington.
    assert (colc["comments_close_on"], colc["docket_id"], colc["kind"]) == ("2023-10-30", "COLC-2023-0006",
                                                                           "request_for_comment")
    meta = _contribution(colc)["meta"]
    assert (meta["comments_received"], meta["comment_start_date"], meta["document_id"]) == (
        10310, "2023-08-30", "COLC-2023-0006-0001")
    assert colc["agency"] == "Copyright Office, Library of Congress"
    assert "digital replicas" in colc["abstract"] and "&ldquo;" not in colc["abstract"]
    transcript = meetings["regsgov-COLC-2023-0006-0002"]
    assert transcript["document_url"] == "https://www.regulations.gov/document/COLC-2023-0006-0002"
    assert json.loads(transcript["source_meta"])["document_type"] == "Supporting & Related Material"


@pytest.mark.slow
def test_watermark_is_the_newest_last_modified_date_and_the_next_run_starts_before_it_in_eastern_time(two_runs):
    db_path, results, hits = two_runs
    runs = list(db.connect(db_path).query("SELECT status, watermark FROM crawl_runs ORDER BY id"))
    assert [r["watermark"] for r in runs] == ["2023-12-07T15:12:40Z"] * 2
    assert {h.query["filter[lastModifiedDate][ge]"][0] for h in hits[0] if h.query} == {"2023-01-01 00:00:00"}
    # 15:12:40Z less six hours of overlap is 09:12:40Z, which is 04:12:40 in Washington (EST).
    assert {h.query["filter[lastModifiedDate][ge]"][0] for h in hits[1] if h.query} == {"2023-12-07 04:12:40"}


@pytest.mark.slow
def test_second_run_with_nothing_changed_lists_documents_and_counts_open_periods_only(two_runs):
    db_path, results, hits = two_runs
    assert [h.path for h in hits[0] if h.path == "/dockets"]
    # The documents listed again carry the lastModifiedDate stored: no detail; the dockets searches are weekly.
    assert not [h.path for h in hits[1] if h.path.startswith("/documents/") or h.path == "/dockets"]
    assert {h.path for h in hits[1]} <= {"/documents"} | {
        h.path for h in hits[0] if h.path.startswith("/document-comments-received-counts/")}
    assert len(hits[1]) < len(hits[0]) / 2


@pytest.mark.slow
def test_second_identical_crawl_writes_no_events(two_runs):
    db_path, results, _ = two_runs
    assert "0 new, 0 updated" in results[1].stdout
    assert db.connect(db_path)["events"].count == 4


@pytest.mark.slow
def test_key_is_sent_as_a_header_and_never_in_urls_logs_or_the_database(two_runs):
    db_path, results, hits = two_runs
    assert all(h.headers.get("X-Api-Key") == KEY for h in hits[0])
    assert not any("api_key" in h.query for h in hits[0])
    assert all(KEY not in r.stdout + r.stderr for r in results)
    assert KEY not in _everything_stored(db_path)


# Paging past the API's limit -----------------------------------------------------------------------


def _listing(documents: list[dict], has_next: bool = False) -> str:
    return json.dumps({"data": documents, "meta": {"hasNextPage": has_next, "totalElements": 6000}})


def _listed(name: str) -> list[dict]:
    return json.loads((HERE / name).read_text())["data"]


def _recorded() -> list[Route]:
    """The cassette's routes, their files named from tests/fixtures (where the ``replay`` fixture looks)."""
    routes = Cassette.load(HERE / "cassette.yml").routes
    for route in routes:
        route.file = f"regulations_gov/{route.file}"
    return routes


def _only(*routes: Route) -> list[Route]:
    """The given routes, then nothing for every other list query, then the recorded details and counts."""
    recorded = [r for r in _recorded() if r.path.startswith(("/documents/", "/document-comments"))]
    empty = [Route("/documents", body=_listing([]), content_type=JSON_API),
             Route("/dockets", body=_listing([]), content_type=JSON_API)]
    return [*routes, *empty, *recorded]


@pytest.mark.slow
def test_query_past_twenty_pages_restarts_from_the_last_modified_date_read(replay, db_path):
    docs = _listed("documents_docket_colc.json")
    full = Route("/documents", body=_listing(docs[::-1], has_next=True), content_type=JSON_API,
                 query={"filter[docketId]": "COLC-2023-0006", "filter[lastModifiedDate][ge]": "2023-01-01 00:00:00"})
    # The last document read was modified 2023-12-07T15:12:40Z: 10:12:40 Eastern.
    rest = Route("/documents", body=_listing(docs[:1]), content_type=JSON_API,
                 query={"filter[docketId]": "COLC-2023-0006", "filter[lastModifiedDate][ge]": "2023-12-07 10:12:40"})
    server = replay(_only(full, rest))
    result = crawl("regulations_gov", server, db_path, env=ENV)
    assert result.returncode == 0, result.stderr
    walk = [(h.query["filter[lastModifiedDate][ge]"][0], h.query["page[number]"][0]) for h in server.hits
            if h.query.get("filter[docketId]") == ["COLC-2023-0006"]]
    assert walk == [("2023-01-01 00:00:00", str(n)) for n in range(1, 21)] + [("2023-12-07 10:12:40", "1")]
    assert len(server.requests_to("/documents/COLC-2023-0006-0001")) == 1
    assert _last_run(db_path)["status"] == "ok"


# Comment deadlines ---------------------------------------------------------------------------------


def _open_document(closes, count: int) -> list[Route]:
    """Routes for an EEOC request for information open for comment until ``closes`` (no list entry)."""
    # Comments close at 11:59 p.m. Eastern: 03:59:59Z or 04:59:59Z the next day.
    attributes = {
        "documentType": "Notice", "title": "Artificial Intelligence in Hiring: Request for Information",
        "agencyId": "EEOC", "docketId": "EEOC-2026-0001", "frDocNum": None,
        "commentEndDate": f"{closes + timedelta(days=1)}T04:59:59Z", "commentStartDate": "2026-01-02T05:00:00Z",
        "postedDate": "2026-01-02T05:00:00Z", "openForComment": True, "lastModifiedDate": "2026-01-02T15:00:00Z",
        "docAbstract": "The Commission seeks information on employers' use of automated hiring tools and artificial "
                       "intelligence to screen job applicants and workers."}
    detail = {"data": {"id": "EEOC-2026-0001-0001", "type": "documents", "attributes": attributes}}
    count = {"data": {"id": "EEOC-2026-0001-0001", "attributes": {"count": count}}}
    return [Route("/documents/EEOC-2026-0001-0001", body=json.dumps(detail), content_type=JSON_API),
            Route("/document-comments-received-counts/EEOC-2026-0001-0001", body=json.dumps(count),
                  content_type=JSON_API)]


@pytest.mark.slow
def test_open_comment_period_gets_one_deadline_event_and_its_count_is_refreshed_every_run(replay, db_path):
    closes = datetime.now(UTC).date() + timedelta(days=7)
    listed = json.loads(_open_document(closes, 12)[0].body)["data"]
    first = replay(_only(Route("/documents", body=_listing([listed]), content_type=JSON_API,
                               query={"filter[docketId]": "COLC-2023-0006"}), *_open_document(closes, 12)))
    crawl("regulations_gov", first, db_path, env=ENV)
    # The next run's lists no longer show the document (it did not change), but its period is open.
    second = replay(_only(*_open_document(closes, 15)))
    crawl("regulations_gov", second, db_path, env=ENV)
    # Only what changed is asked for: the count, not the unchanged document again.
    assert len(second.requests_to("/documents/EEOC-2026-0001-0001")) == 0
    assert len(second.requests_to("/document-comments-received-counts/EEOC-2026-0001-0001")) == 1
    meeting = _rows(db_path)["regsgov-EEOC-2026-0001-0001"]
    assert (meeting["comments_close_on"], meeting["relevant"]) == (closes.isoformat(), 1)
    meta = json.loads(meeting["source_meta"])
    assert (meta["comments_received"], meta["comment_url"]) == (
        15, "https://www.regulations.gov/commenton/EEOC-2026-0001-0001")
    events = list(db.connect(db_path).query("SELECT details FROM events WHERE kind = 'comment_deadline'"))
    assert [json.loads(e["details"]) for e in events] == [{"close_on": closes.isoformat()}]


# One meeting for a notice and its docket -------------------------------------------------------------


def _crawl_recorded(source: str, db_path) -> None:
    server = ReplayServer(Cassette.load(FIXTURES / source / "cassette.yml")).start()
    try:
        result = crawl(source, server, db_path, env=ENV)
        assert result.returncode == 0, result.stderr
    finally:
        server.stop()


@pytest.mark.slow
def test_federal_register_notice_and_its_regulations_gov_document_are_one_meeting_in_either_order(tmp_path):
    merged = {}
    for order in (("federal_register", "regulations_gov"), ("regulations_gov", "federal_register")):
        db_path = tmp_path / f"{order[0]}-first.db"
        for source in order:
            _crawl_recorded(source, db_path)
        rows = _rows(db_path)
        assert [r for r in rows.values() if r["docket_id"] == "COLC-2023-0006" and r["id"].startswith("fr-")] == [
            rows["fr-2023-18624"]]
        merged[order[0]] = rows["fr-2023-18624"]
    for row in merged.values():
        # The Federal Register's description, Regulations.gov's comment period and count.
        assert row["source"] == "federal_register"
        assert row["agency_slug"] == "copyright-office-library-of-congress"
        assert row["document_url"].startswith("https://www.federalregister.gov/documents/2023/08/30/2023-18624")
        assert row["comments_close_on"] == "2023-10-30"
        meta = json.loads(row["source_meta"])
        assert meta["comment_url"] == "https://www.regulations.gov/commenton/COLC-2023-0006-0001"
        assert meta[CONTRIBUTIONS]["regulations_gov"]["meta"]["comments_received"] == 10310
    ignore = {"first_seen_at", "updated_at"}
    first, second = ({k: v for k, v in r.items() if k not in ignore} for r in merged.values())
    assert first == second


# Upstream errors -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_error_bodies_are_recorded_with_their_reason_and_the_rest_is_stored(replay, db_path):
    bad_filter = Route("/documents", status=400, body='{"errors": [{"status": "400", "title": '
                       '"Invalid filter field name: SearchTerm"}]}', query={"filter[searchTerm]": "automated decision"},
                       content_type=JSON_API)
    count_500 = Route("/document-comments-received-counts/COLC-2023-0006-0001", status=500, content_type=JSON_API,
                      body='{"errors":[{"status":"500","title":"INTERNAL_SERVER_ERROR",'
                           '"detail":"Incorrect result size: expected 1, actual 0"}]}')
    server = replay([bad_filter, count_500, *_recorded()])
    result = crawl("regulations_gov", server, db_path, env=ENV)
    assert result.returncode == 0
    errors = [(e["kind"], e["message"]) for e in _errors(db_path)]
    assert ("http_error", "HTTP 400: Invalid filter field name: SearchTerm") in errors
    assert ("comment_count_failed", "COLC-2023-0006-0001: HTTP 500: INTERNAL_SERVER_ERROR: Incorrect result size: "
            "expected 1, actual 0") in errors
    assert len(server.requests_to("/document-comments-received-counts/COLC-2023-0006-0001")) == 4  # retried
    colc = _rows(db_path)["fr-2023-18624"]
    assert colc["comments_close_on"] == "2023-10-30"
    assert _contribution(colc)["meta"]["comments_received"] is None
    run = _last_run(db_path)
    # A list query was lost, so the window must be read again.
    assert (run["status"], run["watermark"]) == ("partial", None)
    assert KEY not in _everything_stored(db_path) + result.stdout + result.stderr


@pytest.mark.slow
def test_refused_key_fails_the_run_with_one_clear_message(replay, db_path):
    refused = Route("/documents", status=403, content_type="application/json",
                    body='{"error": {"code": "API_KEY_INVALID", "message": "An invalid api_key was supplied. '
                         'Get one at https://api.regulations.gov:443"}}')
    server = replay([refused, Route("/dockets", status=403, body=refused.body)])
    result = crawl("regulations_gov", server, db_path, env=ENV)
    assert result.returncode == 1
    assert "regulations_gov: failed" in result.stdout
    assert "DATA_GOV_API_KEY was refused (HTTP 403: API_KEY_INVALID" in result.stdout
    # Only opening listings, none retried: those in flight when the first refusal came (how many depends on the
    # machine's pace, within two rounds of the concurrency limit), not the dozens the start asks for.
    asked = [(h.path, sorted((k, tuple(v)) for k, v in h.query.items())) for h in server.hits]
    assert 0 < len(asked) <= 2 * settings.CONCURRENT_REQUESTS and all(asked.count(a) == 1 for a in asked)
    assert KEY not in result.stdout + result.stderr


@pytest.mark.slow
def test_missing_key_skips_the_source_with_one_line(replay, db_path):
    result = crawl("regulations_gov", replay([]), db_path, env={"DATA_GOV_API_KEY": ""})
    assert result.stdout.strip() == (
        "regulations_gov: DATA_GOV_API_KEY is not set; get a key at https://api.data.gov/signup/")
    assert _last_run(db_path)["status"] == "skipped"


# Dates ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stamp", "day"),
    [("2020-11-24T04:59:59Z", "2020-11-23"), ("2023-06-13T03:59:59Z", "2023-06-12"), ("2023-06-13T04:00:00Z",
                                                                                      "2023-06-13")],
)
def test_comment_end_stamps_become_the_eastern_day_they_close(stamp, day):
    assert eastern_date(stamp) == day


def test_last_modified_filter_is_written_in_eastern_wall_clock_time():
    assert filter_time(datetime(2023, 1, 11, 19, 0, tzinfo=UTC)) == "2023-01-11 14:00:00"  # EST
    assert filter_time(datetime(2023, 7, 11, 18, 0, tzinfo=UTC)) == "2023-07-11 14:00:00"  # EDT


# The parsers on real upstream samples (contract) ------------------------------------------------------

SAMPLES = shared_samples("regulations_gov")


@pytest.mark.skipif(not SAMPLES, reason="../shared/fixtures/regulations_gov is absent")
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_every_real_sample_is_read_without_crashing(sample):
    data, problem = read_body(sample.read_bytes())
    if sample.name.startswith("error_"):
        assert data is None and problem
        return
    assert problem is None
    resources = data["data"] if isinstance(data["data"], list) else [data["data"]]
    for resource in resources:
        if resource["type"] == "documents":
            item = document_to_meeting(resource)
            item.validate()
            fr_number = resource["attributes"].get("frDocNum")
            assert item.id == (f"fr-{fr_number}" if fr_number else f"regsgov-{resource['id']}")
        elif resource["type"] == "document-comments-received-counts":
            assert comment_count(data) == 1436


@pytest.mark.skipif(not SAMPLES, reason="../shared/fixtures/regulations_gov is absent")
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("error_400_invalid_filter_field.json", "Invalid filter field name: SearchTerm"),
        ("error_403_api_key_invalid.json", "API_KEY_INVALID: An invalid api_key was supplied."),
        ("error_500_internal_server_error.json", "INTERNAL_SERVER_ERROR: Incorrect result size: expected 1, actual 0"),
    ],
)
def test_real_error_bodies_give_their_reason(name, message):
    from tests.conftest import SHARED_FIXTURES

    body = json.loads((SHARED_FIXTURES / "regulations_gov" / name).read_text())
    assert upstream_error(body).startswith(message)


@pytest.mark.skipif(not SAMPLES, reason="../shared/fixtures/regulations_gov is absent")
def test_real_detail_maps_dates_and_the_federal_register_number():
    from tests.conftest import SHARED_FIXTURES

    sample = SHARED_FIXTURES / "regulations_gov" / "document_detail_FRTIB_FRDOC_0001-0319.json"
    data, _ = read_body(sample.read_bytes())
    item = document_to_meeting(data["data"], comments_received=3)
    assert (item.id, item.kind, item.comments_close_on, item.published_date) == (
        "fr-2020-22330", "rule", "2020-11-23", "2020-10-22")
    contribution = item.source_meta[CONTRIBUTIONS]["regulations_gov"]
    assert contribution["fields"] == {"comments_close_on": "2020-11-23", "docket_id": "FRTIB_FRDOC_0001"}
    assert contribution["meta"]["comments_received"] == 3


# In process: a saved detail and its comment count, through the spider's callbacks ------------------------


@pytest.fixture
async def spider(db_path, monkeypatch):
    monkeypatch.setenv("DATA_GOV_API_KEY", KEY)
    spider = in_process_spider(RegulationsGovSpider, db_path)
    asked = [request async for request in spider.start()]
    assert asked  # the watched dockets and the AI searches
    return spider


def _answer(spider, name: str, path: str):
    return file_response(f"regulations_gov/{name}.json", f"{spider.base_url}{path}")


async def test_a_saved_detail_and_its_count_map_to_eastern_days_the_count_and_the_agency_s_name(spider):
    [count_request] = spider.parse_detail(_answer(spider, "document_COLC-2023-0006-0001",
                                                  "/documents/COLC-2023-0006-0001"), listed={})
    assert count_request.url.endswith("/document-comments-received-counts/COLC-2023-0006-0001")
    [colc] = spider.parse_count(_answer(spider, "counts_COLC-2023-0006-0001", "/counts"),
                                **count_request.cb_kwargs)
    # commentEndDate 2023-10-31T03:59:59Z is 11:59 p.m. on October 30 in Washington.
    assert (colc.id, colc.comments_close_on, colc.docket_id, colc.kind) == (
        "fr-2023-18624", "2023-10-30", "COLC-2023-0006", "request_for_comment")
    meta = colc.source_meta[CONTRIBUTIONS]["regulations_gov"]["meta"]
    assert (meta["comments_received"], meta["comment_start_date"], meta["document_id"]) == (
        10310, "2023-08-30", "COLC-2023-0006-0001")
    assert colc.agency == "Copyright Office, Library of Congress"
    assert "digital replicas" in colc.abstract and "&ldquo;" not in colc.abstract


async def test_a_saved_detail_without_a_comment_period_is_its_own_meeting(spider):
    [transcript] = spider.parse_detail(_answer(spider, "document_COLC-2023-0006-0002",
                                               "/documents/COLC-2023-0006-0002"), listed={})
    assert transcript.id == "regsgov-COLC-2023-0006-0002"
    assert transcript.document_url == "https://www.regulations.gov/document/COLC-2023-0006-0002"
    assert transcript.source_meta["document_type"] == "Supporting & Related Material"
