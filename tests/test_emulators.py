"""The upstream emulators (ailabor/testing/emulators/): each API's paging, windows and errors, the clock,
full-text semantics.

The emulators stand in for Congress.gov, govinfo and Open States in end-to-end
tests, so these tests hold them to the upstreams' documented behaviour
(shared/SOURCES.md §1-3) and to the real recorded samples where there are some.
"""

from __future__ import annotations

import http.client
import io
import json
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pypdf
import pytest

from ailabor.testing.emulators import (
    Action,
    Dataset,
    EmulatorServer,
    FactsError,
    FederalBill,
    Options,
    StateBill,
    StateVersion,
    TextVersion,
    emulating,
    load_federal,
    load_states,
)
from ailabor.testing.emulators.common import pg_text
from ailabor.testing.emulators.govsearch import QueryError, light_stem, parse
from ailabor.testing.emulators.pdf import write_pdf
from ailabor.testing.emulators.textsearch import matches, to_tsvector, websearch_to_tsquery
from ailabor.testing.replay import Cassette, ReplayServer, Route
from tests.conftest import FIXTURES, SHARED_FIXTURES

HERE = FIXTURES / "emulators"
FEDERAL = HERE / "federal.yml"
STATES = HERE / "states.yml"
AS_OF = "2025-06-01"
KEYS = {"X-Api-Key": "test-key-not-secret"}
REAL_BILLSTATUS = SHARED_FIXTURES / "congress" / "billstatus_117_s_35.xml"


def dataset(as_of: str = AS_OF, **options: Any) -> Dataset:
    return Dataset.from_files(FEDERAL, [STATES], as_of=as_of, options=Options(**options))


@pytest.fixture
def serve():
    """Start emulator servers for the test; each is stopped afterwards."""
    servers: list[EmulatorServer] = []

    def start(ds: Dataset | None = None, **options: Any) -> EmulatorServer:
        server = EmulatorServer(ds or dataset(**options)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def call(server: EmulatorServer, path: str, params: dict[str, Any] | list[tuple[str, Any]] | None = None,
         headers: dict[str, str] | None = None, body: Any = None) -> tuple[int, dict[str, str], bytes]:
    """One request (GET, or POST with a JSON body) with a key; status, headers and body, errors included."""
    url = server.url + path + (f"?{urlencode(params, doseq=True)}" if params else "")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={**KEYS, **(headers or {})})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def get_json(server: EmulatorServer, path: str, params: Any = None, **kwargs: Any) -> tuple[int, Any]:
    status, _, body = call(server, path, params, **kwargs)
    return status, json.loads(body)


def search(server: EmulatorServer, query: str, **body: Any) -> tuple[int, Any]:
    status, _, raw = call(server, "/search", body={"query": query, "pageSize": 100, "offsetMark": "*", **body})
    return status, json.loads(raw)


def package_ids(answer: dict[str, Any]) -> list[str]:
    return sorted(r["packageId"] for r in answer["results"])


def identifiers(answer: dict[str, Any]) -> list[str]:
    return sorted(f"{b['jurisdiction']['id'].split(':')[-1].split('/')[0]} {b['identifier']}"
                  for b in answer["results"])


def many_federal(count: int) -> list[FederalBill]:
    """Synthetic Senate bills, one introduced a day from 2025-01-06, each with an introduced text."""
    start = datetime(2025, 1, 6)
    out = []
    for i in range(count):
        day = (start + timedelta(days=i)).date().isoformat()
        out.append(FederalBill(119, "s", 100 + i, day, f"Test Act {i}",
                               actions=[Action(day, "Read twice and referred to the Committee on Finance.")],
                               text_versions=[TextVersion("is", "Introduced in Senate", day,
                                                          f"SECTION 1. The workers of plant {i} are protected.")]))
    return out


# Facts ---------------------------------------------------------------------------------------------------


def test_facts_load_as_format_describes():
    federal, states = load_federal(FEDERAL), load_states(STATES)
    nofakes = next(b for b in federal if b.key == "119/s/1367")
    assert nofakes.summary is not None and nofakes.summary.date == "2025-05-28"
    assert [v.code for v in nofakes.text_versions] == ["is"]
    sb7 = next(b for b in states if b.identifier == "SB 7")
    assert [v.format for v in sb7.versions] == ["html", "pdf"]
    assert sb7.actions[0].classification == ["introduction", "reading-1"]
    assert sb7.introduced == "2024-12-02"


@pytest.mark.parametrize(("entry", "message"), [
    ({"congress": 119, "type": "s", "number": 1, "introduced": "2025-13-01", "display_title": "T"},
     "entry 1 (119 s 1): field 'introduced': not a date"),
    ({"congress": 119, "type": "s", "number": 1, "introduced": "2025-01-01", "display_title": "T", "titel": "x"},
     "field 'titel': unknown field"),
    ({"congress": 119, "type": "bill", "number": 1, "introduced": "2025-01-01", "display_title": "T"},
     "field 'type': 'bill' is none of"),
    ({"congress": 119, "type": "s", "number": 1, "introduced": "2025-01-01", "display_title": "T",
      "actions": [{"date": "2025-01-01"}]}, "field 'actions[0].text': expected a non-empty string"),
])
def test_federal_facts_errors_name_file_entry_and_field(tmp_path: Path, entry: dict, message: str):
    path = tmp_path / "federal.yml"
    path.write_text(json.dumps([entry]))
    with pytest.raises(FactsError) as caught:
        load_federal(path)
    assert str(caught.value).startswith(f"{path}: entry 1")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_state_facts_errors_name_the_field(tmp_path: Path):
    path = tmp_path / "states.yml"
    path.write_text(json.dumps([{"jurisdiction": "ca", "session": "20252026", "identifier": "SB 1", "title": "T",
                                 "versions": [{"note": "Introduced", "date": "2025-01-01", "format": "docx",
                                               "text": "x"}]}]))
    with pytest.raises(FactsError, match=r"entry 1 \(ca 20252026 SB 1\): field 'versions\[0\]\.format'"):
        load_states(path)


def test_a_bill_listed_twice_is_an_error(tmp_path: Path):
    path = tmp_path / "states.yml"
    path.write_text(STATES.read_text())
    with pytest.raises(FactsError, match="already listed"):
        load_states(STATES, path)


# The clock -----------------------------------------------------------------------------------------------


def test_initial_stamps_are_the_latest_legislative_date_at_noon():
    ds = dataset()
    nofakes = ds.fed_by_key["119/s/1367"]
    assert nofakes.updated == datetime(2025, 5, 28, 12, tzinfo=UTC)  # the summary's date
    assert nofakes.version_stamps[0] == datetime(2025, 4, 9, 12, tzinfo=UTC)


def test_initial_stamps_are_never_later_than_an_hour_ago():
    now = datetime(2025, 4, 9, 12, 30, tzinfo=UTC)
    ds = Dataset(load_federal(FEDERAL), as_of="2025-04-09", now=lambda: now)
    assert ds.fed_by_key["119/s/1367"].updated == now - timedelta(hours=1)


def test_a_version_after_the_as_of_date_is_invisible_then_visible_with_a_new_stamp(serve):
    server = serve()
    _, text = get_json(server, "/bill/119/hr/2400/text")
    assert [v["type"] for v in text["textVersions"]] == ["Introduced in House"]
    status, _ = search(server, "collection:(BILLS) AND retraining")
    assert status == 200 and search(server, "retraining")[1]["count"] == 0
    before = datetime.now(UTC).replace(microsecond=0)
    changes = server.advance("2025-09-20")
    assert changes.text_versions_new == 1
    _, text = get_json(server, "/bill/119/hr/2400/text")
    assert [v["type"] for v in text["textVersions"]] == ["Reported in House", "Introduced in House"]
    found = search(server, "retraining")[1]
    assert package_ids(found) == ["BILLS-119hr2400rh"]
    assert datetime.fromisoformat(found["results"][0]["lastModified"].replace("Z", "+00:00")) >= before
    _, detail = get_json(server, "/bill/119/hr/2400")
    assert datetime.fromisoformat(detail["bill"]["updateDateIncludingText"].replace("Z", "+00:00")) >= before


def test_advance_puts_changed_bills_in_the_next_update_window(serve):
    server = serve()
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    _, quiet = get_json(server, "/bill/119", {"fromDateTime": since})
    assert quiet["pagination"]["count"] == 0
    server.advance("2025-10-02")
    _, moved = get_json(server, "/bill/119", {"fromDateTime": since, "sort": "updateDate+asc"})
    assert sorted(b["number"] for b in moved["bills"]) == ["2400", "3001"]  # new actions; a new bill


def test_the_clock_only_moves_forward():
    ds = dataset()
    with pytest.raises(ValueError, match="only moves forward"):
        ds.advance("2025-01-01")


def test_a_state_version_appears_on_its_date_and_changes_the_title():
    ds = dataset(as_of="2025-03-01")
    bill = ds.state_by_key[("il", "104th", "HB 3021")]
    assert bill.title == "Vehicle Code - registration fees."
    old = bill.updated_text
    ds.advance("2025-04-10")
    assert bill.title == "Workplace artificial intelligence notice."
    assert bill.updated_text > old and bill.created_text == old  # created on introduction, not again


# Congress.gov --------------------------------------------------------------------------------------------


def test_congress_refuses_a_request_without_a_key(serve):
    server = serve()
    status, _, body = call(server, "/bill", headers={"X-Api-Key": ""})
    assert status == 401 and json.loads(body)["error"]["code"] == "API_KEY_MISSING"


def test_congress_counts_requests_in_the_rate_limit_headers(serve):
    server = serve()
    first = call(server, "/bill")[1]
    second = call(server, "/bill")[1]
    assert first["X-Ratelimit-Limit"] == "5000"
    assert int(second["X-Ratelimit-Remaining"]) == int(first["X-Ratelimit-Remaining"]) - 1


def test_bill_feed_pages_until_next_is_absent(serve):
    server = serve(Dataset(many_federal(45), as_of="2025-12-31"))
    seen, path, params = [], "/bill/119", {"limit": 20, "sort": "updateDate+asc", "format": "json"}
    for _ in range(5):
        status, page = get_json(server, path, params)
        assert status == 200 and page["pagination"]["count"] == 45
        seen += [b["number"] for b in page["bills"]]
        if "next" not in page["pagination"]:
            break
        link = urlsplit(page["pagination"]["next"])
        assert "sort=updateDate+asc" in link.query  # as the API writes it
        path, params = link.path, dict(parse_qsl(link.query))
    assert seen == [str(100 + i) for i in range(45)]


def test_bill_feed_limit_above_250_gives_250(serve):
    server = serve(Dataset(many_federal(300), as_of="2025-12-31"))
    _, page = get_json(server, "/bill", {"limit": 1000})
    assert len(page["bills"]) == 250 and "limit=250" in page["pagination"]["next"]
    _, default = get_json(server, "/bill")
    assert len(default["bills"]) == 20


def test_bill_feed_window_filters_on_update_date_not_introduction(serve):
    server = serve()
    _, page = get_json(server, "/bill", {"fromDateTime": "2025-05-01T00:00:00Z", "toDateTime": "2025-06-01T00:00:00Z"})
    # NO FAKES was introduced in April; its CRS summary of 28 May stamped it.
    assert [b["number"] for b in page["bills"]] == ["1367"]


def test_bill_feed_sorts_either_way(serve):
    server = serve()
    _, asc = get_json(server, "/bill", {"sort": "updateDate+asc"})
    _, desc = get_json(server, "/bill", {"sort": "updateDate+desc"})
    assert [b["number"] for b in asc["bills"]] == [b["number"] for b in reversed(desc["bills"])]
    assert [b["number"] for b in asc["bills"]] == ["6943", "2400", "1367"]


def test_bill_list_items_have_the_documented_shape(serve):
    server = serve()
    _, page = get_json(server, "/bill/118/hr")
    item = page["bills"][0]
    assert item["congress"] == 118 and item["number"] == "6943" and item["type"] == "HR"
    assert item["originChamber"] == "House" and item["originChamberCode"] == "H"
    assert item["title"] == "No AI FRAUD Act"
    assert item["latestAction"] == {"actionDate": "2024-01-10",
                                    "text": "Referred to the House Committee on the Judiciary."}
    assert item["url"].endswith("/bill/118/hr/6943?format=json")
    assert item["updateDateIncludingText"].endswith("Z")


def test_bill_detail_points_at_parts_and_leaves_out_empty_ones(serve):
    server = serve()
    _, answer = get_json(server, "/bill/119/s/1367")
    bill = answer["bill"]
    assert bill["introducedDate"] == "2025-04-09" and bill["policyArea"] == {"name": "Commerce"}
    assert bill["sponsors"][0]["fullName"].startswith("Sen. ")  # invented: the facts name none
    assert bill["textVersions"]["count"] == 1 and bill["summaries"]["count"] == 1
    assert bill["subjects"]["count"] == 3  # two legislative subjects and the policy area
    assert "cosponsors" not in bill and "amendments" not in bill and "relatedBills" not in bill


def test_unknown_and_future_bills_are_404_json(serve):
    server = serve()
    for path in ("/bill/119/s/99999", "/bill/119/s/3001"):  # 3001 is introduced after the as-of date
        status, answer = get_json(server, path)
        assert status == 404 and "error" in answer


def test_actions_come_newest_first_with_type_and_source(serve):
    server = serve(as_of="2025-12-31")
    _, answer = get_json(server, "/bill/119/hr/2400/actions")
    actions = answer["actions"]
    assert actions[0]["text"].startswith("Reported by the Committee")
    assert actions[-1] == {"actionCode": "Intro-H", "actionDate": "2025-03-27",
                           "sourceSystem": {"code": 9, "name": "Library of Congress"},
                           "text": "Introduced in House", "type": "IntroReferral"}
    assert all({"type", "sourceSystem"} <= set(a) for a in actions)


def test_text_versions_link_the_congress_gov_renditions(serve):
    server = serve()
    _, answer = get_json(server, "/bill/119/s/1367/text")
    version = answer["textVersions"][0]
    assert version["date"] == "2025-04-09T04:00:00Z"
    assert [f["type"] for f in version["formats"]] == ["Formatted Text", "PDF", "Formatted XML"]
    assert version["formats"][0]["url"] == "https://www.congress.gov/119/bills/s1367/BILLS-119s1367is.htm"
    status, _, page = call(server, "/119/bills/s1367/BILLS-119s1367is.htm")
    assert status == 403 and b"Just a moment" in page  # Cloudflare, as crawlers meet it


def test_titles_list_display_official_and_short_titles(serve):
    server = serve()
    _, answer = get_json(server, "/bill/119/s/1367/titles")
    types = [t["titleType"] for t in answer["titles"]]
    assert types == ["Display Title", "Official Title as Introduced", "Short Title(s) as Introduced",
                     "Short Title(s) as Introduced"]


def test_subjects_appear_only_after_the_lag(serve):
    server = serve(as_of="2025-04-10", subjects_lag_days=7)
    _, early = get_json(server, "/bill/119/s/1367/subjects")
    assert early["subjects"]["legislativeSubjects"] == [] and early["pagination"]["count"] == 0
    server.advance("2025-04-16")
    _, later = get_json(server, "/bill/119/s/1367/subjects")
    assert [s["name"] for s in later["subjects"]["legislativeSubjects"]] == ["Intellectual property",
                                                                             "Right of privacy"]
    assert later["subjects"]["policyArea"]["name"] == "Commerce"


def test_summaries_feed_windows_on_the_summary_stamp(serve):
    server = serve()
    _, answer = get_json(server, "/summaries/119", {"fromDateTime": "2025-01-01T00:00:00Z"})
    summary = answer["summaries"][0]
    assert summary["bill"]["number"] == "1367" and summary["bill"]["type"] == "S"
    assert summary["text"].startswith(" <p><strong>NO FAKES Act of 2025</strong></p>")
    assert summary["updateDate"] == summary["lastSummaryUpdateDate"] == "2025-05-28T12:00:00Z"
    _, none = get_json(server, "/summaries/119", {"fromDateTime": "2025-06-01T00:00:00Z"})
    assert none["summaries"] == [] and none["pagination"] == {"count": 0}


# govinfo -------------------------------------------------------------------------------------------------


def test_govinfo_search_needs_a_key(serve):
    server = serve()
    status, _, body = call(server, "/search", headers={"X-Api-Key": ""}, body={"query": "x", "pageSize": 10})
    assert status == 401 and json.loads(body)["error"]["code"] == "API_KEY_MISSING"


@pytest.mark.parametrize(("query", "expected"), [
    ("collection:(BILLS) AND congress:(119)", ["BILLS-119hr2400ih", "BILLS-119s1367is"]),
    ("collection:BILLS AND congress:(118 OR 119) AND \"digital replicas\"", ["BILLS-119s1367is"]),
    ("congress:(118 OR 119) AND (replicas OR displacement)", ["BILLS-118hr6943ih", "BILLS-119hr2400ih",
                                                           "BILLS-119s1367is"]),
    ('"generative artificial intelligence"', ["BILLS-118hr6943ih"]),
    ("likeness AND (performers OR actors)", ["BILLS-118hr6943ih", "BILLS-119s1367is"]),
    ("likeness NOT performers", ["BILLS-118hr6943ih"]),
    ("displacement workers", ["BILLS-119hr2400ih"]),
    ("lastModified:range(2025-04-01T00:00:00Z,)", ["BILLS-119s1367is"]),
    ("lastModified:range(,2025-01-01)", ["BILLS-118hr6943ih"]),
    ("COLLECTION:(BILLSTATUS) AND likeness", []),
])
def test_govinfo_search_grammar(serve, query: str, expected: list[str]):
    server = serve()
    status, answer = search(server, query)
    assert status == 200
    assert package_ids(answer) == expected
    assert answer["count"] == len(expected)


def test_govinfo_search_results_have_the_documented_fields(serve):
    server = serve()
    _, answer = search(server, '"NO FAKES"')
    result = answer["results"][0]
    assert result["packageId"] == "BILLS-119s1367is" and result["collectionCode"] == "BILLS"
    assert result["dateIssued"] == "2025-04-09" and result["lastModified"] == "2025-04-09T12:00:00Z"
    assert result["title"].startswith("To protect intellectual property rights")
    assert result["download"]["txtLink"].endswith("/packages/BILLS-119s1367is/htm")
    assert "offsetMark" not in answer


def test_govinfo_search_pages_with_offset_marks(serve):
    server = serve(Dataset(many_federal(25), as_of="2025-12-31"))
    seen: list[str] = []
    mark = "*"
    for _ in range(5):
        status, answer = search(server, "collection:(BILLS) AND workers", pageSize=10, offsetMark=mark,
                                sorts=[{"field": "lastModified", "sortOrder": "ASC"}])
        assert status == 200 and answer["count"] == 25
        seen += [r["packageId"] for r in answer["results"]]
        mark = answer.get("offsetMark")
        if not mark:
            break
    assert seen == [f"BILLS-119s{100 + i}is" for i in range(25)]
    assert [json.loads(h.body)["offsetMark"] for h in server.hits_to("/search")][0] == "*"


@pytest.mark.parametrize("body", [
    {"query": "collection:(BILLS", "pageSize": 10},
    {"query": "member:(norton)", "pageSize": 10},
    {"query": "lastModified:range(yesterday,)", "pageSize": 10},
    {"query": "likeness", "pageSize": 1001},
    {"query": "likeness", "pageSize": 10, "offsetMark": "not-a-mark"},
])
def test_govinfo_search_refuses_what_it_cannot_read(serve, body: dict):
    server = serve()
    status, _, _ = call(server, "/search", body=body)
    assert status == 400


def test_govinfo_query_parser_and_plural_stemming():
    assert light_stem("workers") == "worker" and light_stem("businesses") == "business"
    assert light_stem("policies") == "policy" and light_stem("status") == "status"
    with pytest.raises(QueryError):
        parse("AND likeness")
    assert parse('congress:(118 OR 119) "a b"') is not None


def test_package_summary_and_renditions(serve):
    server = serve()
    _, summary = get_json(server, "/packages/BILLS-119s1367is/summary")
    assert summary["billVersion"] == "is" and summary["congress"] == "119"
    assert summary["related"]["billStatusLink"].endswith("/bulkdata/BILLSTATUS/119/s/BILLSTATUS-119s1367.xml")
    status, headers, page = call(server, "/content/pkg/BILLS-119s1367is/html/BILLS-119s1367is.htm")
    text = page.decode()
    assert status == 200 and text.startswith("<html><body><pre>")
    assert "[S. 1367 Introduced in Senate (IS)]" in text and "IN THE SENATE OF THE UNITED STATES" in text
    body_lines = text.split("<pre>")[1].splitlines()
    assert max(len(line) for line in body_lines) <= 72
    assert "computer-generated" in text  # hard wraps fall on spaces, never inside a hyphenated word
    status, _, pdf = call(server, "/content/pkg/BILLS-119s1367is/pdf/BILLS-119s1367is.pdf")
    assert status == 200
    assert "digital replica" in "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    status, _, _ = call(server, "/content/pkg/BILLS-119hr2400rh/html/BILLS-119hr2400rh.htm")
    assert status == 404  # dated after the as-of date


def test_collections_feed_pages_by_last_modified(serve):
    server = serve(Dataset(many_federal(5), as_of="2025-12-31"))
    _, answer = get_json(server, "/collections/BILLS/2025-01-01T00:00:00Z", {"pageSize": 3, "offsetMark": "*"})
    assert answer["count"] == 5 and len(answer["packages"]) == 3 and "offsetMark=" in answer["nextPage"]


# BILLSTATUS ----------------------------------------------------------------------------------------------


def element_paths(root: ET.Element) -> set[str]:
    paths: set[str] = set()

    def walk(element: ET.Element, prefix: str) -> None:
        path = f"{prefix}/{element.tag}"
        paths.add(path)
        for child in element:
            walk(child, path)

    walk(root, "")
    return paths


def test_billstatus_follows_schema_3(serve):
    server = serve()
    status, headers, body = call(server, "/bulkdata/BILLSTATUS/119/s/BILLSTATUS-119s1367.xml")
    assert status == 200 and headers["Content-Type"] == "application/xml"
    root = ET.fromstring(body)
    assert root.findtext("version") == "3.0.0"
    bill = root.find("bill")
    assert bill is not None
    assert bill.findtext("number") == "1367" and bill.findtext("type") == "S" and bill.findtext("congress") == "119"
    assert bill.findtext("policyArea/name") == "Commerce"
    assert [e.text for e in bill.findall("subjects/legislativeSubjects/item/name")] == ["Intellectual property",
                                                                                       "Right of privacy"]
    assert bill.findtext("summaries/summary/versionCode") == "00"
    assert "digital replica" in (bill.findtext("summaries/summary/text") or "")
    titles = {i.findtext("titleType"): i.findtext("title") for i in bill.findall("titles/item")}
    assert titles["Display Title"] == "NO FAKES Act of 2025"
    url = bill.findtext("textVersions/item/formats/item/url") or ""
    assert url.endswith("/content/pkg/BILLS-119s1367is/xml/BILLS-119s1367is.xml")
    status, _, xml_text = call(server, urlsplit(url).path)
    assert status == 200 and b"<legis-body>" in xml_text


@pytest.mark.skipif(not REAL_BILLSTATUS.exists(), reason="shared fixtures absent")
def test_billstatus_paths_exist_in_the_real_sample(serve):
    server = serve()
    _, _, body = call(server, "/bulkdata/BILLSTATUS/119/s/BILLSTATUS-119s1367.xml")
    ours = element_paths(ET.fromstring(body))
    real = element_paths(ET.parse(REAL_BILLSTATUS).getroot())
    assert ours - real == set(), "element paths the real schema 3.0.0 sample does not have"
    for needed in ("/billStatus/bill/textVersions/item/formats/item/url", "/billStatus/bill/actions/item/text",
                   "/billStatus/bill/sponsors/item/fullName", "/billStatus/bill/titles/item/titleType"):
        assert needed in ours


def test_billstatus_lags_new_bills(serve):
    server = serve(as_of="2025-10-01", billstatus_lag_days=1)
    assert call(server, "/bill/119/s/3001")[0] == 200  # Congress.gov has it on its day ...
    assert call(server, "/bulkdata/BILLSTATUS/119/s/BILLSTATUS-119s3001.xml")[0] == 404  # ... BILLSTATUS not yet
    server.advance("2025-10-02")
    assert call(server, "/bulkdata/BILLSTATUS/119/s/BILLSTATUS-119s3001.xml")[0] == 200


def test_billstatus_zip_holds_the_congress_and_type_and_answers_304(serve):
    server = serve(as_of="2025-12-31")
    path = "/bulkdata/BILLSTATUS/119/s/BILLSTATUS-119-s.zip"
    status, headers, body = call(server, path)
    assert status == 200 and headers["Content-Type"] == "application/zip"
    names = sorted(zipfile.ZipFile(io.BytesIO(body)).namelist())
    assert names == ["BILLSTATUS-119s1367.xml", "BILLSTATUS-119s3001.xml"]
    assert call(server, path, headers={"If-None-Match": headers["ETag"]})[0] == 304
    assert call(server, path, headers={"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    server.dataset.touch_federal(["119/s/1367"])
    status, changed, _ = call(server, path, headers={"If-None-Match": headers["ETag"]})
    assert status == 200 and changed["ETag"] != headers["ETag"]


# Open States ---------------------------------------------------------------------------------------------


def test_openstates_needs_jurisdiction_or_q(serve):
    server = serve()
    assert get_json(server, "/bills") == (400, {"detail": "either 'jurisdiction' or 'q' required"})
    status, answer = get_json(server, "/bills", {"q": "robots", "session": "2025"})
    assert status == 400 and "requires a jurisdiction" in answer["detail"]


def test_openstates_refuses_a_request_without_a_key(serve):
    server = serve()
    status, _, body = call(server, "/bills", {"jurisdiction": "ca"}, headers={"X-Api-Key": ""})
    assert status == 403 and "API Key" in json.loads(body)["detail"]


def test_openstates_pages_and_per_page_limits(serve):
    bills = [StateBill("wa", "2025-2026", f"HB {1000 + i}", f"Concerning item {i}.",
                       versions=[StateVersion("Original Bill", "2025-01-13", "Section 1. Robots at work.")])
             for i in range(25)]
    server = serve(Dataset(states=bills, as_of="2025-06-01"))
    status, page = get_json(server, "/bills", {"jurisdiction": "wa"})
    assert status == 200 and len(page["results"]) == 10
    assert page["pagination"] == {"per_page": 10, "page": 1, "max_page": 3, "total_items": 25}
    assert get_json(server, "/bills", {"jurisdiction": "wa", "per_page": 21})[0] == 400
    _, last = get_json(server, "/bills", {"jurisdiction": "wa", "per_page": 20, "page": 2})
    assert len(last["results"]) == 5
    assert get_json(server, "/bills", {"jurisdiction": "wa", "per_page": 20, "page": 3}) == (
        404, {"detail": "invalid page, must be in [1, 2]"})


def test_openstates_empty_result_is_one_empty_page(serve):
    server = serve()
    status, answer = get_json(server, "/bills", {"jurisdiction": "wy"})
    assert status == 200 and answer["pagination"] == {"per_page": 10, "page": 1, "max_page": 1, "total_items": 0}


def test_updated_since_is_compared_as_text(serve):
    server = serve()
    # SB 7's stamp reads "2025-03-24 12:00:00+00" in PostgreSQL: " " sorts before "T".
    assert pg_text(datetime(2025, 3, 24, 12, tzinfo=UTC)) == "2025-03-24 12:00:00+00"
    assert pg_text(datetime(2025, 10, 14, 7, 18, 22, 910000, tzinfo=UTC)) == "2025-10-14 07:18:22.91+00"
    same_day_date = get_json(server, "/bills", {"jurisdiction": "ca", "updated_since": "2025-03-24"})[1]
    same_day_time = get_json(server, "/bills", {"jurisdiction": "ca", "updated_since": "2025-03-24T00:00:00"})[1]
    assert [b["identifier"] for b in same_day_date["results"]] == ["SB 7"]
    assert same_day_time["results"] == []
    assert get_json(server, "/bills", {"jurisdiction": "ca", "updated_since": "last week"})[0] == 400


def test_updated_sort_orders(serve):
    server = serve()
    _, asc = get_json(server, "/bills", {"q": "section", "sort": "updated_asc", "per_page": 20})
    _, desc = get_json(server, "/bills", {"q": "section", "per_page": 20})  # updated_desc is the default
    assert [b["id"] for b in asc["results"]] == [b["id"] for b in reversed(desc["results"])]
    assert [b["updated_at"] for b in asc["results"]] == sorted(b["updated_at"] for b in asc["results"])
    assert get_json(server, "/bills", {"q": "section", "sort": "newest"})[0] == 422


def test_include_adds_only_the_arrays_asked_for(serve):
    server = serve()
    _, bare = get_json(server, "/bills", {"jurisdiction": "ca"})
    bill = bare["results"][0]
    assert not {"actions", "versions", "sponsorships", "abstracts"} & set(bill)
    assert bill["first_action_date"] == "2024-12-02" and bill["latest_passage_date"] == ""
    _, full = get_json(server, "/bills", [("jurisdiction", "ca"), ("include", "actions"), ("include", "versions"),
                                          ("include", "sponsorships")])
    bill = full["results"][0]
    assert [a["order"] for a in bill["actions"]] == [1, 2]  # the passage of 2 June is after the as-of date
    assert bill["sponsorships"][0]["primary"] is True and bill["sponsorships"][0]["classification"] == "primary"
    assert [v["links"][0]["media_type"] for v in bill["versions"]] == ["text/html", "application/pdf"]
    assert "abstracts" not in bill


def test_identifier_filter_normalises_and_caps(serve):
    server = serve()
    _, answer = get_json(server, "/bills", [("jurisdiction", "ca"), ("identifier", "SB7")])
    assert [b["identifier"] for b in answer["results"]] == ["SB 7"]
    too_many = [("jurisdiction", "ca")] + [("identifier", f"SB {i}") for i in range(21)]
    assert get_json(server, "/bills", too_many)[0] == 400


def test_q_that_looks_like_a_bill_number_matches_identifiers(serve):
    server = serve()
    _, answer = get_json(server, "/bills", {"q": "SB7"})
    assert identifiers(answer) == ["ca SB 7"]


def test_bill_by_jurisdiction_session_and_identifier(serve):
    server = serve()
    status, bill = get_json(server, "/bills/California/20252026/SB7", {"include": "abstracts"})
    assert status == 200 and bill["identifier"] == "SB 7" and bill["abstracts"][0]["note"] == "digest"
    assert get_json(server, "/bills/ca/20252026/SB%20999") == (404, {"detail": "No such Bill."})


# PostgreSQL full-text semantics ---------------------------------------------------------------------------


@pytest.mark.parametrize(("q", "tsquery"), [
    ('"generative"', "'generat'"),
    ('"right of publicity"', "'right' <2> 'public'"),
    ("automated decision", "'autom' & 'decis'"),
    ("robots or automation", "'robot' | 'autom'"),
    ("ai -deepfake", "'ai' & !'deepfak'"),
    ("self-driving trucks", "'self' <-> 'drive' & 'truck'"),
    ("the of and", None),
    ("HB1 2025s", "'hb1' & '2025s'"),  # words with digits go to the simple dictionary: no stemming
])
def test_websearch_to_tsquery_as_postgresql_writes_it(q: str, tsquery: str | None):
    parsed = websearch_to_tsquery(q)
    assert (None if parsed is None else str(parsed)) == tsquery


def test_stop_words_keep_their_positions():
    vector = to_tsvector("The monitoring of workers by employers")
    assert vector["monitor"] == [2] and vector["worker"] == [4]
    assert matches(websearch_to_tsquery('"monitoring the workers"'), vector)  # 'monitor' <2> 'worker'
    assert not matches(websearch_to_tsquery('"monitoring workers"'), vector)


def test_quoted_generative_finds_generated_revenue(serve):
    server = serve(text_search_missing={"hi"})
    _, answer = get_json(server, "/bills", {"q": '"generative"'})
    assert identifiers(answer) == ["mn HF 1500"]  # 'generat' both; Hawaii's generative AI bill is not searchable


def test_a_stop_word_inside_a_phrase_keeps_its_position(serve):
    server = serve()
    _, answer = get_json(server, "/bills", {"q": '"electronic monitoring the employees"'})
    assert identifiers(answer) == ["ny S 7623"]  # "electronic monitoring of employees"
    _, none = get_json(server, "/bills", {"q": '"electronic monitoring employees"'})
    assert none["results"] == []


def test_or_and_negation(serve):
    server = serve()
    _, either = get_json(server, "/bills", {"q": "deactivation or impartial"})
    assert identifiers(either) == ["ca SB 7", "ny S 7623"]
    _, without = get_json(server, "/bills", {"q": "employer -deactivation"})
    assert identifiers(without) == ["il HB 3021", "ny S 7623"]
    _, both = get_json(server, "/bills", {"q": "employer automated"})
    assert identifiers(both) == ["ca SB 7", "ny S 7623"]


def test_q_never_matches_a_jurisdiction_without_extracted_text(serve):
    server = serve(text_search_missing={"hi"})
    _, answer = get_json(server, "/bills", {"q": "artificial intelligence"})
    assert "hi HB 1384" not in identifiers(answer) and "il HB 3021" in identifiers(answer)
    _, by_jurisdiction = get_json(server, "/bills", {"jurisdiction": "hi"})
    assert identifiers(by_jurisdiction) == ["hi HB 1384"]  # the bill is there; only q misses it
    unrestricted = serve()
    assert "hi HB 1384" in identifiers(get_json(unrestricted, "/bills", {"q": "artificial intelligence"})[1])


def test_the_search_vector_holds_the_title_as_an_option(serve):
    # NY S 7623's title begins "Relates to the use of ..."; its text never says "relate".
    assert identifiers(get_json(serve(), "/bills", {"q": "relates", "jurisdiction": "ny"})[1]) == ["ny S 7623"]
    without = serve(title_in_search_vector=False)
    assert get_json(without, "/bills", {"q": "relates", "jurisdiction": "ny"})[1]["results"] == []


def test_q_searches_the_latest_version_only(serve):
    server = serve()
    # SB 7's introduced text said "primarily"; the amended one says "solely".
    assert get_json(server, "/bills", {"q": "primarily"})[1]["results"] == []
    assert identifiers(get_json(server, "/bills", {"q": "solely"})[1]) == ["ca SB 7"]


def test_abstracts_only_for_the_configured_jurisdictions(serve):
    server = serve(abstract_jurisdictions={"ny"})
    _, answer = get_json(server, "/bills", {"jurisdiction": "ca", "include": "abstracts"})
    assert answer["results"][0]["abstracts"] == []


# Versions, jurisdictions, limits -------------------------------------------------------------------------


def test_version_links_are_served_as_html_and_pdf(serve):
    server = serve()
    _, answer = get_json(server, "/bills", {"jurisdiction": "ca", "include": "versions"})
    links = [v["links"][0]["url"] for v in answer["results"][0]["versions"]]
    assert links == ["https://legislature.ca.example/ca/20252026/SB7/1.html",
                     "https://legislature.ca.example/ca/20252026/SB7/2.pdf"]
    # The server serves https://legislature.ca.example/{path} under the same path (a mirror keeps only the path).
    status, headers, page = call(server, urlsplit(links[0]).path)
    assert status == 200 and "text/html" in headers["Content-Type"] and b"primarily on an automated" in page
    status, headers, pdf = call(server, urlsplit(links[1]).path)
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "deactivation decision" in text and "SB 7" in text
    assert call(server, "/ca/20252026/SB7/3.html")[0] == 404


def test_jurisdictions_list_sessions_from_the_facts(serve):
    server = serve()
    status, answer = get_json(server, "/jurisdictions", {"include": "legislative_sessions", "per_page": 52})
    assert status == 200 and answer["pagination"]["total_items"] == 52
    california = next(j for j in answer["results"] if j["name"] == "California")
    assert california["legislative_sessions"] == [{"identifier": "20252026", "name": "2025-2026 Regular Session",
                                                   "classification": "primary", "start_date": "2024-12-02",
                                                   "end_date": ""}]
    assert get_json(server, "/jurisdictions", {"per_page": 53})[0] == 400


def test_openstates_per_minute_limit_answers_429(serve):
    server = serve(openstates_per_minute=2, openstates_minute_seconds=3600)
    assert [call(server, "/bills", {"jurisdiction": "ca"})[0] for _ in range(2)] == [200, 200]
    status, answer = get_json(server, "/bills", {"jurisdiction": "ca"})
    assert (status, answer) == (429, {"detail": "exceeded limit of 2/min: 3"})


def test_openstates_daily_quota_answers_429(serve):
    server = serve(openstates_per_day=1)
    call(server, "/jurisdictions")
    assert get_json(server, "/bills", {"jurisdiction": "ca"}) == (429, {"detail": "exceeded limit of 1/day: 2"})
    server.openstates.reset_quota()
    assert call(server, "/bills", {"jurisdiction": "ca"})[0] == 200


# The PDF writer and the replay server ---------------------------------------------------------------------


def test_pdf_round_trips_through_pypdf():
    lines = [f"Line {i}: an employer shall not use an automated decision system (ADS) \u00a7 {i}." for i in range(130)]
    reader = pypdf.PdfReader(io.BytesIO(write_pdf("\n".join(lines), "Test")))
    assert len(reader.pages) >= 3
    text = "\n".join(p.extract_text() for p in reader.pages)
    for i in (0, 64, 129):
        assert f"Line {i}: an employer shall not use an automated decision system (ADS) \u00a7 {i}." in text


def test_replay_server_records_a_post_body():
    with_cassette = ReplayServer(Cassette([Route("/search", body="{}")], FIXTURES)).start()
    try:
        request = urllib.request.Request(with_cassette.url + "/search", data=b'{"query": "x"}', method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
    finally:
        with_cassette.stop()
    hit = with_cassette.hits[0]
    assert (hit.method, hit.body) == ("POST", b'{"query": "x"}')


def test_a_get_after_a_post_on_one_connection_has_no_body(serve):
    server = serve()
    host, port = urlsplit(server.url).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("POST", "/search", body=json.dumps({"query": "likeness", "pageSize": 10}), headers=KEYS)
        first = connection.getresponse()
        assert first.status == 200 and first.read()
        connection.request("GET", "/congress/current", headers=KEYS)
        second = connection.getresponse()
        assert second.status == 200 and second.read()
    finally:
        connection.close()
    post, get = server.hits[-2:]
    assert (post.method, get.method, get.body) == ("POST", "GET", b"")
    assert json.loads(post.body)["query"] == "likeness"


def test_emulating_serves_for_a_with_block():
    with emulating(dataset()) as server:
        assert get_json(server, "/congress/current")[1]["congress"]["number"] == 119
    assert server.hits[0].path == "/congress/current"


def test_a_large_dataset_is_built_and_answered_quickly(serve):
    bills = many_federal(3000)
    started = datetime.now()
    ds = Dataset(bills, as_of="2034-01-01")
    server = serve(ds)
    _, page = get_json(server, "/bill/119", {"fromDateTime": "2025-01-01T00:00:00Z", "limit": 250})
    assert page["pagination"]["count"] == 3000
    ds.advance("2034-01-02")
    assert (datetime.now() - started).total_seconds() < 10
