"""The federal_register spider end to end against recorded responses, and its parser on real samples."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.http import Request, TextResponse

import db
from ailabor.config import source_config
from ailabor.records import MeetingItem
from ailabor.testing.replay import Route
from scrapers.spiders.federal_register import FederalRegisterSpider, document_to_meeting, meeting_kind
from tests.conftest import FIXTURES, crawl, shared_samples
from tests.factories import file_response, in_process_spider, items, requests

HERE = FIXTURES / "federal_register"
PAGE1 = Route("/documents.json", file="federal_register/documents_page1.json", query={"page": None})
PAGE2 = Route("/documents", file="federal_register/documents_page2.json", query={"page": "2"})


def _page(documents: list[dict], count: int | None = None) -> str:
    return json.dumps({"count": count if count is not None else len(documents), "description": "x",
                       "total_pages": 1, "results": documents})


def _meetings(db_path) -> dict[str, dict]:
    return {row["id"]: row for row in db.connect(db_path).query("SELECT * FROM meetings")}


def _run(db_path) -> dict:
    return dict(db.connect(db_path).execute_returning_dicts(
        "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")[0])


@pytest.mark.slow
def test_crawl_stores_every_document_of_every_page(replay, db_path):
    server = replay(HERE / "cassette.yml")
    result = crawl("federal_register", server, db_path)
    assert result.returncode == 0, result.stderr
    meetings = _meetings(db_path)
    assert len(meetings) == 6
    assert [h.path for h in server.hits] == ["/documents.json", "/documents"]
    assert "federal_register: ok: 2 requests, 6 items, 6 new, 0 updated, 0 errors" in result.stdout


@pytest.mark.slow
def test_request_asks_for_fields_agencies_types_and_ai_terms(replay, db_path):
    server = replay(HERE / "cassette.yml")
    crawl("federal_register", server, db_path)
    query = server.hits[0].query
    assert "document_number" in query["fields[]"] and "comments_close_on" in query["fields[]"]
    assert "equal-employment-opportunity-commission" in query["conditions[agencies][]"]
    # Automated trucking and worker data, and the President's executive orders (filed under the EOP alone).
    assert {"federal-motor-carrier-safety-administration", "national-highway-traffic-safety-administration",
            "consumer-financial-protection-bureau", "executive-office-of-the-president"} <= set(
        query["conditions[agencies][]"])
    assert query["conditions[type][]"] == ["NOTICE", "PRORULE", "RULE", "PRESDOCU"]
    assert '"artificial intelligence"' in query["conditions[term]"][0]
    assert query["order"] == ["oldest"]


@pytest.mark.slow
def test_user_agent_names_the_project_and_a_contact(replay, db_path):
    server = replay(HERE / "cassette.yml")
    crawl("federal_register", server, db_path, env={"AILABOR_CONTACT_URL": "https://union.example/tracker"})
    assert server.hits[0].headers["User-Agent"].startswith("AILaborWatch/")
    assert "https://union.example/tracker" in server.hits[0].headers["User-Agent"]


@pytest.mark.slow
def test_documents_map_to_meeting_kinds_dates_and_dockets(replay, db_path):
    crawl("federal_register", replay(HERE / "cassette.yml"), db_path)
    meetings = _meetings(db_path)
    eeoc = meetings["fr-2023-01381"]
    assert (eeoc["kind"], eeoc["start"]) == ("meeting", "2023-01-31T10:00")
    assert eeoc["agency"] == "Equal Employment Opportunity Commission"
    copyright_noi = meetings["fr-2023-18624"]
    assert copyright_noi["kind"] == "request_for_comment"
    assert copyright_noi["comments_close_on"] == "2023-10-18"
    assert copyright_noi["docket_id"] == "COLC-2023-0006"
    assert copyright_noi["agency_slug"] == "copyright-office-library-of-congress"
    assert meetings["fr-2024-00116"]["start"] == "2024-01-19T13:00"
    assert meetings["fr-2024-02167"]["kind"] == "proposed_rule"
    assert meetings["fr-2024-00067"]["kind"] == "rule"


@pytest.mark.slow
def test_ai_and_work_notices_are_relevant_and_the_rest_are_not(replay, db_path):
    crawl("federal_register", replay(HERE / "cassette.yml"), db_path)
    meetings = _meetings(db_path)
    assert meetings["fr-2023-09233"]["relevant"] == 1  # automated worker surveillance
    assert meetings["fr-2024-00067"]["relevant"] == 0  # a labour rule with no AI in it
    topics = db.connect(db_path).execute(
        "SELECT topic FROM meeting_topics WHERE meeting_id = 'fr-2023-09233'").fetchall()
    assert ("workplace-surveillance",) in topics


@pytest.mark.slow
def test_run_row_records_counts_status_and_watermark(replay, db_path):
    crawl("federal_register", replay(HERE / "cassette.yml"), db_path)
    run = _run(db_path)
    assert (run["status"], run["requests"], run["items"], run["new"], run["updated"], run["errors"]) == (
        "ok", 2, 6, 6, 0, 0)
    assert run["watermark"] == datetime.now(UTC).date().isoformat()


@pytest.mark.slow
def test_second_identical_crawl_adds_no_rows_and_no_events(replay, db_path):
    crawl("federal_register", replay(HERE / "cassette.yml"), db_path)
    first = db.connect(db_path)
    before = (first["meetings"].count, first["events"].count, first["meeting_topics"].count)
    result = crawl("federal_register", replay(HERE / "cassette.yml"), db_path)
    after_db = db.connect(db_path)
    assert (after_db["meetings"].count, after_db["events"].count, after_db["meeting_topics"].count) == before
    assert "0 new, 0 updated" in result.stdout


@pytest.mark.slow
def test_next_run_starts_from_the_watermark_minus_the_overlap(replay, db_path):
    crawl("federal_register", replay(HERE / "cassette.yml"), db_path)
    server = replay(HERE / "cassette.yml")
    crawl("federal_register", server, db_path)
    since = server.hits[0].query["conditions[publication_date][gte]"][0]
    today = datetime.now(UTC).date()
    assert (today - datetime.fromisoformat(since).date()).days == 3


@pytest.mark.slow
def test_changed_document_writes_one_meeting_changed_event(replay, db_path, tmp_path):
    crawl("federal_register", replay([PAGE1, PAGE2]), db_path)
    page = json.loads((HERE / "documents_page1.json").read_text())
    page["results"][1]["comments_close_on"] = "2023-12-06"
    page.pop("next_page_url")
    crawl("federal_register", replay([Route("/documents.json", body=json.dumps(page))]), db_path)
    events = db.connect(db_path).execute(
        "SELECT summary, details FROM events WHERE kind = 'meeting_changed'").fetchall()
    assert len(events) == 1
    assert "2023-10-18 → 2023-12-06" in events[0][0]


@pytest.mark.slow
def test_zero_hits_without_results_key_is_an_ok_empty_run(replay, db_path):
    server = replay([Route("/documents.json", file="federal_register/documents_none.json")])
    result = crawl("federal_register", server, db_path)
    assert result.returncode == 0
    assert _run(db_path)["status"] == "ok"
    assert db.connect(db_path)["meetings"].count == 0


@pytest.mark.slow
def test_window_over_ten_thousand_hits_is_split_by_date(replay, db_path):
    today = datetime.now(UTC).date().isoformat()
    big = Route("/documents.json", body=_page([], count=12_000), times=1,
                query={"conditions[publication_date][gte]": "2023-01-01", "conditions[publication_date][lte]": today})
    one = json.loads((HERE / "documents_page2.json").read_text())["results"]
    first_half = Route("/documents.json", body=_page(one[:1]),
                       query={"conditions[publication_date][gte]": "2023-01-01"})
    second_half = Route("/documents.json", body=_page(one[1:2]))
    server = replay([big, first_half, second_half])
    crawl("federal_register", server, db_path)
    windows = [(h.query["conditions[publication_date][gte]"][0], h.query["conditions[publication_date][lte]"][0])
               for h in server.hits]
    assert len(windows) == 3
    (a_from, a_to), (b_from, b_to) = sorted(windows[1:])
    assert a_from == "2023-01-01" and b_to == today
    assert datetime.fromisoformat(b_from).date().toordinal() == datetime.fromisoformat(a_to).date().toordinal() + 1
    assert len(_meetings(db_path)) == 2


# Bad input ----------------------------------------------------------------------------------------


def _errors(db_path) -> list[dict]:
    return list(db.connect(db_path).query("SELECT * FROM crawl_errors"))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("bad", "kind"),
    [
        (Route("/documents", body='{"count": 6, "results": [{"document_number": ', query={"page": "2"}),
         "invalid_json"),
        (Route("/documents", body="<!DOCTYPE html><html><body>Request Access</body></html>", query={"page": "2"},
               content_type="text/html"), "html_instead_of_json"),
    ],
)
def test_unreadable_page_is_recorded_and_the_good_page_kept(replay, db_path, bad, kind):
    result = crawl("federal_register", replay([PAGE1, bad]), db_path)
    assert result.returncode == 0
    assert set(_meetings(db_path)) == {"fr-2023-01381", "fr-2023-18624", "fr-2023-09233"}
    errors = _errors(db_path)
    assert [e["kind"] for e in errors] == [kind]
    assert errors[0]["url"].endswith("page=2&per_page=1000")
    run = _run(db_path)
    assert run["status"] == "partial"
    # A page was lost, so the next run must read this window again.
    assert run["watermark"] is None


@pytest.mark.slow
def test_document_with_a_missing_or_wrong_field_is_rejected_alone(replay, db_path):
    page = json.loads((HERE / "documents_page2.json").read_text())
    del page["results"][0]["document_number"]
    page["results"][1]["publication_date"] = "February 8, 2024"
    page.pop("previous_page_url")
    crawl("federal_register", replay([PAGE1, Route("/documents", body=json.dumps(page))]), db_path)
    assert "fr-2024-00067" in _meetings(db_path)
    assert len(_meetings(db_path)) == 4
    kinds = sorted(e["kind"] for e in _errors(db_path))
    assert kinds == ["bad_document", "invalid_item"]
    assert all(e["url"] for e in _errors(db_path))


@pytest.mark.slow
def test_bad_crawl_changes_nothing_already_stored(replay, db_path):
    crawl("federal_register", replay([PAGE1, PAGE2]), db_path)
    before = _meetings(db_path)
    broken = json.loads((HERE / "documents_page1.json").read_text())
    for doc in broken["results"]:
        doc["title"] = None
    crawl("federal_register", replay([Route("/documents.json", body=json.dumps(broken)),
                                      Route("/documents", body="<html>oops</html>")]), db_path)
    assert _meetings(db_path) == before


@pytest.mark.slow
def test_429_with_retry_after_is_waited_out_then_succeeds(replay, db_path):
    limited = Route("/documents.json", status=429, body='{"error": "slow down"}', headers={"Retry-After": "1"},
                    times=1)
    server = replay([limited, PAGE1, PAGE2])
    result = crawl("federal_register", server, db_path)
    assert result.returncode == 0
    assert [h.status for h in server.requests_to("/documents.json")] == [429, 200]
    assert len(_meetings(db_path)) == 6
    assert _run(db_path)["status"] == "ok"
    assert "waiting 1.0s before retrying" in result.stderr


@pytest.mark.slow
def test_unreachable_upstream_fails_the_run_with_a_clear_message(fresh_db, db_path, tmp_path):
    import subprocess
    import sys

    from tests.conftest import REPO
    env = {"FEDERAL_REGISTER_API_URL": "http://127.0.0.1:9/api/v1", "AILABOR_RETRY_BACKOFF": "0.01",
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "ailabor.cli", "crawl", "federal_register", "--db", str(db_path)],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "federal_register: failed" in done.stdout
    assert "could not reach 127.0.0.1:9" in done.stdout


# The parser on real upstream samples (contract) ----------------------------------------------------

def _documents_in(path) -> list[dict]:
    data = json.loads(path.read_text())
    return data.get("results", [data]) if isinstance(data, dict) else []


REAL_DOCUMENTS = [doc for path in shared_samples("federal_register", "document*.json") for doc in _documents_in(path)]


@pytest.mark.skipif(not REAL_DOCUMENTS, reason="../shared/fixtures/federal_register is absent")
@pytest.mark.parametrize("document", REAL_DOCUMENTS, ids=lambda d: d.get("document_number", "?"))
def test_every_real_sample_maps_to_a_valid_meeting(document):
    item = document_to_meeting(document)
    assert isinstance(item, MeetingItem)
    item.validate()
    assert item.id == f"fr-{document['document_number']}"
    assert item.agency


@pytest.mark.skipif(not shared_samples("federal_register"), reason="../shared/fixtures/federal_register is absent")
@pytest.mark.parametrize(
    ("name", "kind", "start"),
    [
        ("documents_result_sunshine_act_nrc_2023-28875.json", "meeting", None),
        ("documents_result_naiac_ai_meeting_2024-00116.json", "meeting", "2024-01-19T13:00"),
        ("documents_result_ftc_informal_hearing_2024-00678.json", "hearing", "2024-02-13T10:00"),
        ("documents_result_dol_final_rule_2024-00067.json", "rule", None),
    ],
)
def test_real_samples_get_the_right_kind_and_start(name, kind, start):
    from tests.conftest import SHARED_FIXTURES

    document = json.loads((SHARED_FIXTURES / "federal_register" / name).read_text())
    item = document_to_meeting(document)
    assert item.kind == kind == meeting_kind(document)
    if start:
        assert item.start == start


@pytest.mark.skipif(not shared_samples("federal_register"), reason="../shared/fixtures/federal_register is absent")
def test_real_search_envelope_pages_through_next_page_url():
    from tests.conftest import SHARED_FIXTURES

    sample = SHARED_FIXTURES / "federal_register" / "documents_search_all_fields_2024_first3.json"
    data = json.loads(sample.read_text())
    assert data["next_page_url"].startswith("https://www.federalregister.gov/api/v1/")
    assert all(document_to_meeting(d).published_date.startswith("2024") for d in data["results"])


def _refuse(db_path, meeting_id: str) -> None:
    database = db.connect(db_path, create=True)
    database.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON meetings WHEN NEW.id = '{meeting_id}'"
                     " BEGIN SELECT RAISE(ABORT, 'refused'); END")
    database.close()


@pytest.mark.slow
def test_item_the_database_refuses_is_recorded_and_the_batch_goes_on(replay, db_path):
    _refuse(db_path, "fr-2023-18624")
    crawl("federal_register", replay(HERE / "cassette.yml"), db_path)
    assert len(_meetings(db_path)) == 5
    errors = _errors(db_path)
    assert [(e["kind"], "fr-2023-18624" in e["message"]) for e in errors] == [("store_failed", True)]


def test_an_executive_order_is_a_presidential_document_with_its_number():
    # The shape of a presidential document in /documents.json with the fields the spider asks for.
    order = {"document_number": "2025-02172", "type": "Presidential Document", "subtype": "Executive Order",
             "title": "Removing Barriers to American Leadership in Artificial Intelligence",
             "action": None, "abstract": None, "dates": None, "publication_date": "2025-01-31",
             "executive_order_number": 14179, "signing_date": "2025-01-23",
             "agencies": [{"raw_name": "Executive Office of the President", "name": "Executive Office of the President",
                           "id": 538, "slug": "executive-office-of-the-president", "parent_id": None}],
             "html_url": "https://www.federalregister.gov/documents/2025/01/31/2025-02172/removing-barriers"}
    assert meeting_kind(order) == "presidential_document"
    meeting = document_to_meeting(order)
    meeting.validate()
    assert (meeting.kind, meeting.agency, meeting.start) == ("presidential_document",
                                                             "Executive Office of the President", None)
    assert meeting.source_meta["executive_order_number"] == 14179
    assert meeting.source_meta["subtype"] == "Executive Order"


@pytest.mark.review("callback_exception")
def test_an_exception_in_a_callback_is_recorded_and_holds_the_watermark(replay, db_path, record_property):
    page = json.loads((HERE / "documents_page1.json").read_text())
    page["results"] = 3  # a number where the list should be: the callback raises before page 2 is asked for
    server = replay([Route("/documents.json", body=json.dumps(page), query={"page": None}), PAGE2])
    result = crawl("federal_register", server, db_path)
    assert server.requests_to("/documents") == []
    assert _meetings(db_path) == {}
    errors = _errors(db_path)
    assert [e["kind"] for e in errors] == ["spider_error"]
    assert errors[0]["url"].startswith(server.url + "/documents.json?")
    assert errors[0]["message"].startswith("TypeError: ") and "\n" not in errors[0]["message"]
    run = _run(db_path)
    assert (run["status"], run["watermark"], run["errors"]) == ("partial", None, 1)
    assert "1 callback error(s)" in result.stdout
    crawl("federal_register", replay(HERE / "cassette.yml"), db_path)
    record_property("runs", 2)
    record_property("lost", 6 - len(_meetings(db_path)))
    assert len(_meetings(db_path)) == 6


@pytest.mark.review("callback_exception")
def test_an_exception_before_the_first_request_is_recorded(replay, db_path):
    crawl("federal_register", replay(HERE / "cassette.yml"), db_path)
    database = db.connect(db_path)
    database.execute("UPDATE crawl_runs SET watermark = 'yesterday'")  # edited by hand, or by an old version
    database.conn.commit()
    crawl("federal_register", replay(HERE / "cassette.yml"), db_path)
    run = _run(db_path)
    assert run["status"] == "failed" and run["watermark"] is None
    errors = db.connect(db_path).execute_returning_dicts("SELECT * FROM crawl_errors WHERE run_id = ?", [run["id"]])
    assert [(e["kind"], "ValueError" in e["message"]) for e in errors] == [("spider_error", True)]


@pytest.mark.review("callback_exception")
def test_an_item_a_pipeline_stage_fails_on_is_recorded_and_holds_the_watermark(replay, db_path):
    page = json.loads((HERE / "documents_page2.json").read_text())
    page["results"][1]["abstract"] = 12345  # a proposed rule: its abstract reaches the classifier unread
    crawl("federal_register", replay([PAGE1, Route("/documents", body=json.dumps(page), query={"page": "2"})]),
          db_path)
    assert len(_meetings(db_path)) == 5
    errors = _errors(db_path)
    assert [e["kind"] for e in errors] == ["item_error"]
    assert errors[0]["message"].startswith("fr-2024-02167: TypeError: ")
    run = _run(db_path)
    assert (run["status"], run["watermark"]) == ("partial", None)


@pytest.mark.review("local_failure")
def test_a_store_failure_holds_the_watermark_every_run_until_its_cause_is_removed(replay, db_path, record_property):
    # A local failure (here a trigger, as a newer schema or a full disk would) is not the upstream record's.
    _refuse(db_path, "fr-2023-18624")
    for _ in range(4):
        crawl("federal_register", replay(HERE / "cassette.yml"), db_path)
        run = _run(db_path)
        assert (run["status"], run["watermark"]) == ("partial", None)
        assert "fr-2023-18624" not in _meetings(db_path)
    database = db.connect(db_path)
    database.execute("DROP TRIGGER refuse")
    database.close()
    crawl("federal_register", replay(HERE / "cassette.yml"), db_path)
    record_property("runs", 5)
    record_property("lost", 6 - len(_meetings(db_path)))
    assert _run(db_path)["status"] == "ok"
    assert len(_meetings(db_path)) == 6


# Links the upstream gives ----------------------------------------------------------------------------

FOREIGN_LINKS = {
    "a-local-file": "file:///etc/hostname",
    "another-host": "http://localhost:{port}/documents?page=2",
    "ftp": "ftp://127.0.0.1:{port}/documents?page=2",
    # The official prefix, then a user name: on our base URL it would read "http://127.0.0.1:N@localhost:M/...".
    "official-prefix-then-another-host": "https://www.federalregister.gov/api/v1@localhost:{port}/documents?page=2",
    "not-a-string": 2,
}


@pytest.mark.review("foreign_link")
@pytest.mark.parametrize("link", list(FOREIGN_LINKS))
def test_a_next_page_off_the_upstream_is_not_followed_and_holds_the_watermark(link, replay, db_path):
    elsewhere = replay([Route("/documents", file="federal_register/documents_page2.json")])
    target = FOREIGN_LINKS[link]
    page = json.loads((HERE / "documents_page1.json").read_text())
    page["next_page_url"] = target.format(port=elsewhere.url.rsplit(":", 1)[1]) if isinstance(target, str) else target
    server = replay([Route("/documents.json", body=json.dumps(page), query={"page": None}), PAGE2])
    result = crawl("federal_register", server, db_path)
    assert result.returncode == 0, result.stderr[-2000:]
    run = _run(db_path)
    assert (run["status"], run["requests"], run["watermark"]) == ("partial", 1, None)
    assert not elsewhere.hits and not server.requests_to("/documents")
    errors = _errors(db_path)
    assert [e["kind"] for e in errors] == ["bad_link"]
    assert errors[0]["url"].startswith(f"{server.url}/documents.json?") and "next page" in errors[0]["message"]
    assert len(_meetings(db_path)) == len(page["results"])


@pytest.mark.slow
def test_a_next_page_on_the_official_address_is_read_from_the_configured_upstream(replay, db_path):
    server = replay(HERE / "cassette.yml")
    crawl("federal_register", server, db_path)
    assert _run(db_path)["status"] == "ok" and server.requests_to("/documents")


# In process: the parser on saved pages ----------------------------------------------------------------
# The crawls above prove the run (its row, watermark, events, retries); these prove what a page becomes.

SINCE, UNTIL = date(2023, 1, 1), date(2024, 6, 30)


@pytest.fixture
def spider(db_path):
    spider = in_process_spider(FederalRegisterSpider, db_path)
    spider.config = source_config("federal_register")
    return spider


def _parse(spider, body_or_file: str, *, first: bool = True) -> list:
    url = f"{spider.base_url}/documents.json?page=1"
    if body_or_file.endswith(".json"):
        response = file_response(f"federal_register/{body_or_file}", url)
    else:
        response = TextResponse(url, body=body_or_file.encode(), encoding="utf-8", request=Request(url))
    return list(spider.parse(response, since=SINCE, until=UNTIL, first=first))


def test_a_page_yields_each_document_as_a_meeting_and_asks_for_the_next_page(spider):
    first = _parse(spider, "documents_page1.json")
    last = _parse(spider, "documents_page2.json", first=False)
    assert [m.id for m in items(first, MeetingItem)] == ["fr-2023-01381", "fr-2023-18624", "fr-2023-09233"]
    assert len(items(last, MeetingItem)) == 3
    [next_page] = requests(first)
    assert next_page.url.startswith(f"{spider.base_url}/documents?") and "page=2" in next_page.url
    assert requests(last) == []
    assert spider.outcome.failed_requests == spider.outcome.lost_items == 0


def test_saved_documents_map_to_meeting_kinds_dates_and_dockets(spider):
    meetings = {m.id: m for m in items(_parse(spider, "documents_page1.json") +
                                       _parse(spider, "documents_page2.json", first=False), MeetingItem)}
    eeoc = meetings["fr-2023-01381"]
    assert (eeoc.kind, eeoc.start) == ("meeting", "2023-01-31T10:00")
    assert eeoc.agency == "Equal Employment Opportunity Commission"
    copyright_noi = meetings["fr-2023-18624"]
    assert (copyright_noi.kind, copyright_noi.comments_close_on) == ("request_for_comment", "2023-10-18")
    assert (copyright_noi.docket_id, copyright_noi.agency_slug) == ("COLC-2023-0006",
                                                                    "copyright-office-library-of-congress")
    assert meetings["fr-2024-00116"].start == "2024-01-19T13:00"
    assert meetings["fr-2024-02167"].kind == "proposed_rule"
    assert meetings["fr-2024-00067"].kind == "rule"


def test_the_window_request_asks_for_fields_agencies_types_and_ai_terms(spider):
    query = parse_qs(urlsplit(spider.window_request(SINCE, UNTIL).url).query)
    assert "document_number" in query["fields[]"] and "comments_close_on" in query["fields[]"]
    assert {"equal-employment-opportunity-commission", "federal-motor-carrier-safety-administration",
            "consumer-financial-protection-bureau", "executive-office-of-the-president"} <= set(
        query["conditions[agencies][]"])
    assert query["conditions[type][]"] == ["NOTICE", "PRORULE", "RULE", "PRESDOCU"]
    assert '"artificial intelligence"' in query["conditions[term]"][0]
    assert query["order"] == ["oldest"]
    assert (query["conditions[publication_date][gte]"], query["conditions[publication_date][lte]"]) == (
        ["2023-01-01"], ["2024-06-30"])


def test_zero_hits_without_a_results_key_yield_nothing_and_lose_nothing(spider):
    assert _parse(spider, "documents_none.json") == []
    assert spider.outcome.failed_requests == spider.outcome.lost_items == 0


def test_over_ten_thousand_hits_split_the_window_into_two_adjacent_halves(spider):
    halves = requests(_parse(spider, _page([], count=12_000)))
    windows = [parse_qs(urlsplit(r.url).query) for r in halves]
    (a_from, a_to), (b_from, b_to) = [(w["conditions[publication_date][gte]"][0],
                                       w["conditions[publication_date][lte]"][0]) for w in windows]
    assert (a_from, b_to) == ("2023-01-01", "2024-06-30")
    assert date.fromisoformat(b_from) == date.fromisoformat(a_to) + timedelta(days=1)


def test_an_html_page_instead_of_json_is_a_failed_request_recorded_by_kind(spider, db_path):
    assert _parse(spider, "<!DOCTYPE html><html><body>Request Access</body></html>") == []
    assert spider.outcome.failed_requests == 1
    assert [e["kind"] for e in db.connect(db_path).query("SELECT kind FROM crawl_errors")] == [
        "html_instead_of_json"]


def test_a_document_without_its_number_is_rejected_alone(spider, db_path):
    page = json.loads((HERE / "documents_page1.json").read_text())
    del page["results"][0]["document_number"]
    meetings = items(_parse(spider, json.dumps(page)), MeetingItem)
    assert [m.id for m in meetings] == ["fr-2023-18624", "fr-2023-09233"]
    assert spider.outcome.lost_items == 1
    assert [e["kind"] for e in db.connect(db_path).query("SELECT kind FROM crawl_errors")] == ["bad_document"]
