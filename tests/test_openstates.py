"""The openstates spider end to end against recorded Open States v3 answers, its mapping, and its quota rules."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import db
from ailabor.config import OPENSTATES_JURISDICTIONS, ConfigError, openstates_config, source_config
from ailabor.health import openstates_silent_jurisdictions, status_report
from ailabor.relevance import load_taxonomy
from ailabor.store.writer import Store
from ailabor.testing.replay import Route
from db.vocab import derive_status
from scrapers.spiders.openstates import (
    INCLUDES,
    bill_to_item,
    build_queries,
    older_sessions,
    searchable_text,
    since_param,
)
from scrapers.upstream.openstates import jurisdiction_code, rate_limit_kind, request_interval
from tests.conftest import FIXTURES, crawl, shared_samples

HERE = FIXTURES / "openstates"
# A key for the replay server, and a 0.6 s "minute" so pacing and per-minute waits are quick. Bill texts
# (from the legislatures' sites) are left to tests/test_bill_texts.py.
ENV = {"OPENSTATES_API_KEY": "test-key-not-secret", "OPENSTATES_MINUTE_SECONDS": "0.6", "AILABOR_TEXTS_PER_RUN": "0"}
SEARCHES = load_taxonomy().openstates_queries()
SCANS = openstates_config(source_config("openstates"))["title_scan"]
PAGE1 = json.loads((HERE / "bills_page1.json").read_text())
PAGE2 = json.loads((HERE / "bills_page2.json").read_text())
ALL_BILLS = PAGE1["results"] + PAGE2["results"]
SESSIONS = Route("/jurisdictions", file="openstates/jurisdictions.json", query={"include": "legislative_sessions"})
BILLS_PAGE1 = Route("/bills", file="openstates/bills_page1.json", query={"page": "1"})
BILLS_PAGE2 = Route("/bills", file="openstates/bills_page2.json", query={"page": "2"})
# IL HB 53 (102nd General Assembly) is two sessions old: never stored under current_and_previous.
STORED = len(ALL_BILLS) - 1


def _bill(identifier: str, session: str | None = None) -> dict:
    return next(b for b in ALL_BILLS if b["identifier"] == identifier and session in (None, b["session"]))


def _page(bills: list[dict], page: int = 1, total: int | None = None) -> str:
    """A /bills answer in the API's envelope (api/pagination.py)."""
    total = len(bills) if total is None else total
    return json.dumps({"results": bills, "pagination": {
        "per_page": 20, "page": page, "max_page": max(1, -(-total // 20)), "total_items": total}})


def _db(db_path: Path):
    return db.connect(db_path)


def _bills(db_path: Path) -> dict[str, dict]:
    return {row["id"]: row for row in _db(db_path).query("SELECT * FROM bills")}


def _run(db_path: Path) -> dict:
    return next(_db(db_path).query("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1"))


def _header(hit, name: str) -> str | None:
    return next((v for k, v in hit.headers.items() if k.lower() == name.lower()), None)


def _kind(hit) -> str:
    """What a /bills request was: a search (q), a re-read of followed bills (identifiers) or a title scan."""
    if "q" in hit.query:
        return "search"
    return "reread" if "identifier" in hit.query else "scan"


def _of_kind(server, kind: str) -> list:
    return [h for h in server.requests_to("/bills") if _kind(h) == kind]


# End to end ---------------------------------------------------------------------------------------

@pytest.mark.slow
def test_first_crawl_stores_bills_of_every_page_from_many_jurisdictions(replay, db_path):
    server = replay(HERE / "cassette.yml")
    result = crawl("openstates", server, db_path, env=ENV)
    assert result.returncode == 0, result.stderr
    bills = _bills(db_path)
    assert len(bills) == STORED
    assert {b["jurisdiction"] for b in bills.values()} >= {"ca", "tn", "ny", "il", "co", "nj", "wa", "dc", "va", "ct"}
    assert {"ca-20232024-ab2602", "ca-20232024-ab1836", "tn-113-hb2091", "ny-20232024-s7676", "il-103rd-hb3773",
            "co-2024a-sb24205", "ca-20252026-sb7", "nj-221-s1588", "wa-20252026-hb1622", "dc-25-b250114"} <= set(bills)
    # Each search finds the 23 bills on two pages; the title scans find nothing; one /jurisdictions; nothing
    # to re-read yet (every followed bill came with the searches).
    requests = 2 * len(SEARCHES) + len(SCANS) + 1
    assert (f"openstates: ok: {requests} requests, 22 items, 22 new, 0 updated, 0 errors, bills {23 * len(SEARCHES)}, "
            f"skipped older sessions 1, quota left {250 - requests}, reread 0") in result.stdout


@pytest.mark.slow
def test_nationwide_searches_reach_every_ai_phrase_and_ask_for_every_include_with_the_key_in_a_header(
        replay, db_path):
    server = replay(HERE / "cassette.yml")
    crawl("openstates", server, db_path, env=ENV)
    searches = _of_kind(server, "search")
    assert len(SEARCHES) > 1  # every AI phrase of topics.yml: more than one query holds
    assert [h.query["q"][0] for h in searches] == [q for q in SEARCHES for _ in (1, 2)]
    for hit in searches:
        query = hit.query
        assert "jurisdiction" not in query
        assert query["include"] == list(INCLUDES)
        assert (query["sort"], query["per_page"], query["updated_since"]) == (["updated_asc"], ["20"],
                                                                             ["2023-01-01 00:00:00"])
    assert [h.query["page"] for h in searches[:2]] == [["1"], ["2"]]
    # The jurisdictions whose bills the searches cannot reach are read by title, every bill they update.
    assert sorted(h.query["jurisdiction"][0] for h in _of_kind(server, "scan")) == sorted(SCANS)
    for hit in server.hits:
        assert _header(hit, "X-API-KEY") == ENV["OPENSTATES_API_KEY"]
        assert ENV["OPENSTATES_API_KEY"] not in json.dumps(hit.query) + hit.path


@pytest.mark.slow
def test_bills_map_ids_chambers_pages_and_children(replay, db_path):
    crawl("openstates", replay(HERE / "cassette.yml"), db_path, env=ENV)
    database = _db(db_path)
    ab2602 = _bills(db_path)["ca-20232024-ab2602"]
    assert (ab2602["jurisdiction"], ab2602["session"], ab2602["identifier"], ab2602["chamber"]) == (
        "ca", "20232024", "AB 2602", "lower")
    assert ab2602["summary"].startswith("This bill would provide that a provision in an agreement")
    assert json.loads(ab2602["subjects"]) == ["Entertainment", "Labor"]
    assert ab2602["url"] == "https://leginfo.legislature.ca.gov/faces/billNavClient.xhtml?bill_id=202320240AB2602"
    assert ab2602["introduced_date"] == "2024-02-14"
    assert json.loads(ab2602["source_meta"])["openstates_url"] == "https://openstates.org/ca/bills/20232024/AB2602/"
    sponsors = {(s["name"], s["role"], s["party"], s["district"]) for s in
                database.query("SELECT * FROM sponsors WHERE bill_id = 'ca-20232024-ab2602'")}
    assert sponsors == {("Ash Kalra", "primary", "Democratic", "25"),
                        ("Rebecca Bauer-Kahan", "cosponsor", "Democratic", "16")}
    actions = list(database.query("SELECT * FROM actions WHERE bill_id = 'ca-20232024-ab2602' ORDER BY seq"))
    assert [a["actor"] for a in actions] == ["lower", "lower", "lower", "upper", "upper", "lower", "lower",
                                             "executive", "executive"]
    assert json.loads(actions[-1]["classification"]) == ["became-law"]
    versions = list(database.query("SELECT * FROM versions WHERE bill_id = 'ca-20232024-ab2602' ORDER BY date"))
    assert [(v["note"], v["date"], v["media_type"]) for v in versions] == [
        ("Introduced", "2024-02-14", "application/pdf"), ("Enrolled", "2024-09-03", "application/pdf"),
        ("Chaptered", "2024-09-17", "application/pdf")]
    # Each link of a version is a version row: IL's public act comes as PDF and HTML.
    il_links = database.execute("SELECT media_type FROM versions WHERE bill_id = 'il-103rd-hb3773'").fetchall()
    assert sorted(m for (m,) in il_links) == ["application/pdf", "text/html", "text/html"]
    dc = _bills(db_path)["dc-25-b250114"]
    assert (dc["chamber"], dc["url"]) == ("legislature", "https://openstates.org/dc/bills/25/B25-0114/")


@pytest.mark.slow
def test_stored_status_follows_actions_per_chamber(replay, db_path):
    crawl("openstates", replay(HERE / "cassette.yml"), db_path, env=ENV)
    status = {bill_id: row["status"] for bill_id, row in _bills(db_path).items()}
    assert {status[b] for b in ("ca-20232024-ab2602", "ca-20232024-ab1836", "tn-113-hb2091", "ny-20232024-s7676",
                                "il-103rd-hb3773", "co-2024a-sb24205")} == {"enacted"}
    assert (status["ca-20252026-sb7"], status["va-2025-hb2094"], status["ca-20232024-sb1047"]) == ("vetoed",) * 3
    assert (status["wa-20252026-hb1622"], status["ct-2025-sb2"]) == ("passed_chamber", "passed_chamber")
    assert (status["nj-221-s1588"], status["ca-20232024-ab2930"]) == ("in_committee", "failed")


@pytest.mark.slow
def test_ai_bills_not_about_work_are_stored_as_not_relevant(replay, db_path):
    crawl("openstates", replay(HERE / "cassette.yml"), db_path, env=ENV)
    bills = _bills(db_path)
    for rejected in ("mn-20232024-hf1370", "fl-2024-hb919", "ut-2024-sb149", "tx-89-hb149"):
        assert bills[rejected]["relevant"] == 0, rejected
    assert bills["ca-20232024-ab2602"]["relevant"] == 1
    topics = _db(db_path).execute("SELECT topic FROM bill_topics WHERE bill_id = 'ca-20232024-ab2602'").fetchall()
    assert ("digital-replicas",) in topics


@pytest.mark.slow
def test_a_run_with_nothing_new_costs_one_request_per_search_and_scan(replay, db_path):
    first = replay(HERE / "cassette.yml")
    crawl("openstates", first, db_path, env=ENV)
    # First run: the pages each search needs (max_page = 2), one page per scan, one /jurisdictions.
    assert len(_of_kind(first, "search")) == len(SEARCHES) * PAGE1["pagination"]["max_page"]
    assert len(first.hits) == _run(db_path)["requests"] == len(SEARCHES) * 2 + len(SCANS) + 1
    events = _db(db_path)["events"].count
    # Upstream, only the bill at the watermark falls inside the overlap; the followed bills are re-read.
    sb7 = _bill("SB 7")
    second = replay([Route("/bills", body=_page([]), query={"q": None}),
                     Route("/bills", body=_page([sb7]), query={"page": "1"}), SESSIONS])
    result = crawl("openstates", second, db_path, env=ENV)
    assert "/jurisdictions" not in [h.path for h in second.hits]
    searches = _of_kind(second, "search")
    assert len(searches) == len(SEARCHES)
    assert {h.query["updated_since"][0] for h in searches} == {"2025-10-14 05:18:22"}  # SB 7's time less 2 hours
    rereads = _of_kind(second, "reread")
    reread = json.loads(_run(db_path)["details"])["reread"]
    assert len(rereads) == len({h.query["jurisdiction"][0] for h in rereads})  # twenty bills to a request at most
    assert sum(len(h.query["identifier"]) for h in rereads) == reread
    requests = len(SEARCHES) + len(SCANS) + len(rereads)
    assert f"openstates: ok: {requests} requests, 0 items, 0 new, 0 updated, 0 errors" in result.stdout
    assert _db(db_path)["events"].count == events


@pytest.mark.slow
def test_a_changed_bill_writes_its_new_action_and_status(replay, db_path):
    sb7 = _bill("SB 7")
    presented = dict(sb7, actions=sb7["actions"][:-1], updated_at="2025-09-18T07:02:11.004211+00:00")
    page2 = [b for b in PAGE2["results"] if b is not sb7] + [presented]
    page2.sort(key=lambda b: b["updated_at"])
    crawl("openstates", replay([BILLS_PAGE1, Route("/bills", body=_page(page2, 2, 23), query={"page": "2"}),
                                SESSIONS]), db_path, env=ENV)
    assert _bills(db_path)["ca-20252026-sb7"]["status"] == "passed_legislature"
    result = crawl("openstates", replay([Route("/bills", body=_page([sb7]), query={"page": "1"}), SESSIONS]),
                   db_path, env=ENV)
    assert "0 new, 1 updated" in result.stdout
    events = list(_db(db_path).query(
        "SELECT kind, summary FROM events WHERE bill_id = 'ca-20252026-sb7' AND kind != 'bill_new'"))
    assert events == [{"kind": "bill_action", "summary": "CA SB 7: Vetoed by Governor. (2025-10-13)"},
                      {"kind": "bill_status", "summary": "CA SB 7 moved from passed_legislature to vetoed"}]


@pytest.mark.slow
def test_daily_limit_mid_crawl_is_partial_and_the_next_run_resumes_without_gaps_or_duplicates(replay, db_path):
    daily = Route("/bills", status=429, query={"page": "2"},
                  body=json.dumps({"detail": "exceeded limit of 250/day: 251"}))
    result = crawl("openstates", replay([BILLS_PAGE1, daily, SESSIONS]), db_path, env=ENV)
    assert result.returncode == 0, result.stderr
    assert "openstates: partial:" in result.stdout and "quota left 0" in result.stdout
    assert "exceeded limit of 250/day" in result.stdout
    run = _run(db_path)
    last_of_page1 = PAGE1["results"][-1]
    assert (run["status"], run["watermark"]) == ("partial", last_of_page1["updated_at"])
    kept = _bills(db_path)
    assert len(kept) == 19  # page 1 less IL HB 53, an older session
    # The next run asks from the last bill stored (minus the overlap) and gets the rest in order.
    rest = [b for b in ALL_BILLS if b["updated_at"] >= "2025-06-25T16:30:41"]
    server = replay([Route("/bills", body=_page(rest), query={"page": "1"}), SESSIONS])
    result = crawl("openstates", server, db_path, env=ENV)
    assert server.requests_to("/bills")[0].query["updated_since"] == ["2025-06-25 16:30:41"]
    assert "openstates: ok:" in result.stdout and "3 new, 0 updated" in result.stdout
    bills = _bills(db_path)
    assert len(bills) == STORED
    assert all(bills[i]["updated_at"] == row["updated_at"] for i, row in kept.items())
    new_events = Counter(r[0] for r in _db(db_path).execute("SELECT bill_id FROM events WHERE kind = 'bill_new'"))
    assert set(new_events) == set(bills) and set(new_events.values()) == {1}
    assert _db(db_path).execute("SELECT count(*) FROM events WHERE kind != 'bill_new'").fetchone()[0] == 0
    assert _run(db_path)["watermark"] == ALL_BILLS[-1]["updated_at"]


@pytest.mark.slow
def test_a_bill_broken_upstream_holds_the_watermark_for_two_runs_then_no_longer(replay, db_path):
    bills = [_bill("SB 7"), dict(_bill("AB 2602"), title=None)]
    bills.sort(key=lambda b: b["updated_at"])
    runs = []
    for _ in range(3):
        crawl("openstates", replay([Route("/bills", body=_page(bills), query={"page": "1"}), SESSIONS]),
              db_path, env=ENV)
        runs.append(_run(db_path))
    assert [(r["status"], r["watermark"]) for r in runs[:2]] == [("partial", None), ("partial", None)]
    # The third time the same bill fails the same way, it is taken as broken upstream: the watermark
    # moves past it (the next runs stop re-reading the window for it), and it is still on record.
    assert (runs[2]["status"], runs[2]["watermark"]) == ("ok", bills[-1]["updated_at"])
    assert runs[2]["message"] == "1 item(s) rejected as in the 2 runs before, no longer holding the watermark"
    errors = list(_db(db_path).query("SELECT run_id, kind, message FROM crawl_errors ORDER BY id"))
    assert [e["run_id"] for e in errors] == [r["id"] for r in runs]
    assert {(e["kind"], e["message"].split(":")[0]) for e in errors} == {("invalid_item", "ca-20232024-ab2602")}
    assert set(_bills(db_path)) == {"ca-20252026-sb7"}


@pytest.mark.slow
def test_another_bill_broken_in_the_third_run_holds_the_watermark_again(replay, db_path):
    sb7, ab2602 = _bill("SB 7"), _bill("AB 2602")
    changed_sb7 = dict(sb7, title=None, updated_at="2025-10-20T09:00:00.000001+00:00")
    for bills in ([sb7, dict(ab2602, title=None)],) * 2 + ([changed_sb7, dict(ab2602, title=None)],):
        bills = sorted(bills, key=lambda b: b["updated_at"])
        crawl("openstates", replay([Route("/bills", body=_page(bills), query={"page": "1"}), SESSIONS]),
              db_path, env=ENV)
    run = _run(db_path)
    assert (run["status"], run["watermark"]) == ("partial", None)
    assert run["message"] == "1 item(s) rejected; 1 item(s) rejected as in the 2 runs before, " \
                             "no longer holding the watermark"


@pytest.mark.slow
def test_a_per_minute_limit_is_waited_out(replay, db_path):
    minute = Route("/bills", status=429, query={"page": "2"}, times=1,
                   body=json.dumps({"detail": "exceeded limit of 10/min: 11"}))
    server = replay([Route("/bills", file="openstates/bills_none.json", query={"q": None}), BILLS_PAGE1, minute,
                     BILLS_PAGE2, SESSIONS])
    result = crawl("openstates", server, db_path, env=ENV)
    assert f"openstates: ok: {2 * len(SEARCHES) + len(SCANS) + 2} requests, 22 items, 22 new" in result.stdout
    assert [h.status for h in _of_kind(server, "search")][:3] == [200, 429, 200]
    assert _db(db_path)["crawl_errors"].count == 0


@pytest.mark.slow
def test_a_bill_that_moves_pages_mid_run_keeps_the_watermark_back(replay, db_path):
    moved = dict(_bill("AB 2602"), updated_at="2025-10-20T09:00:00.000001+00:00")
    page2 = Route("/bills", body=_page(PAGE2["results"] + [moved], 2, 24), query={"page": "2"})
    crawl("openstates", replay([BILLS_PAGE1, page2, SESSIONS]), db_path, env=ENV)
    run = _run(db_path)
    assert (run["status"], run["watermark"]) == ("ok", None)  # the next run re-reads the whole window


@pytest.mark.slow
def test_sessions_are_fetched_once_a_week_not_by_every_run_that_meets_a_new_bill(replay, db_path):
    crawl("openstates", replay(HERE / "cassette.yml"), db_path, env=ENV)
    # A bill of an older session, new to the database: telling its session apart needs the sessions list.
    hb53 = dict(_bill("HB 53", "102nd"), updated_at="2025-12-01T00:00:00+00:00")
    second = replay([Route("/bills", body=_page([hb53]), query={"page": "1"}), SESSIONS])
    result = crawl("openstates", second, db_path, env=ENV)
    assert "/jurisdictions" not in [h.path for h in second.hits]  # the first run's list, from crawl_runs.details
    assert "skipped older sessions 1" in result.stdout and "_sessions" not in result.stdout
    assert "il-102nd-hb53" not in _bills(db_path)
    # A week later the list is asked for again.
    database = _db(db_path)
    week_ago = (datetime.now(UTC) - timedelta(days=7, minutes=1)).isoformat()
    database.execute("UPDATE crawl_runs SET details = json_set(details, '$._sessions.fetched_at', ?)", [week_ago])
    database.conn.commit()
    third = replay([Route("/bills", body=_page([dict(hb53, updated_at="2025-12-02T00:00:00+00:00")]),
                          query={"page": "1"}), SESSIONS])
    crawl("openstates", third, db_path, env=ENV)
    assert [h.path for h in third.hits].count("/jurisdictions") == 1


@pytest.mark.slow
def test_a_tracked_bill_of_an_older_session_is_still_updated(replay, db_path, fresh_db):
    hb53 = _bill("HB 53", "102nd")
    Store(fresh_db).save([bill_to_item(dict(hb53, updated_at="2023-05-01T00:00:00+00:00", actions=[]))])
    result = crawl("openstates", replay(HERE / "cassette.yml"), db_path, env=ENV)
    assert "23 items, 22 new, 1 updated" in result.stdout
    assert _bills(db_path)["il-102nd-hb53"]["status"] == "enacted"


@pytest.mark.slow
def test_missing_key_skips_the_source_with_one_line(replay, db_path):
    server = replay(HERE / "cassette.yml")
    result = crawl("openstates", server, db_path, env={"OPENSTATES_API_KEY": ""})
    assert result.returncode == 0
    assert result.stdout.strip() == (
        "openstates: OPENSTATES_API_KEY is not set; get a key at https://openstates.org/account/profile/")
    assert server.hits == []


@pytest.mark.slow
def test_status_lists_the_jurisdictions_that_sent_no_bills(replay, db_path):
    crawl("openstates", replay(HERE / "cassette.yml"), db_path, env=ENV)
    line = openstates_silent_jurisdictions(_db(db_path))
    assert line.startswith("openstates: no bill updated in the last 180 days from 48 of 52 jurisdictions")
    silent = line.split(": ")[-1].split(", ")
    assert {"hi", "pr", "ga"} <= set(silent) and not {"ca", "co", "tx", "ct"} & set(silent)
    assert line in status_report(_db(db_path))


def test_status_says_nothing_of_jurisdictions_before_openstates_runs(fresh_db):
    assert openstates_silent_jurisdictions(fresh_db) is None


# Mapping and rules, on the recorded bills ---------------------------------------------------------

@pytest.mark.parametrize(("identifier", "session", "status", "date"), [
    ("AB 2602", "20232024", "enacted", "2024-09-17"),  # CA: both houses, signed, chaptered
    ("HB 2091", "113", "enacted", "2024-03-26"),  # TN ELVIS Act: public chapter
    ("S 7676", "2023-2024", "enacted", "2024-12-13"),  # NY: signed
    ("HB 3773", "103rd", "enacted", "2024-08-09"),  # IL: public act
    ("SB 7", "20252026", "vetoed", "2025-10-13"),  # CA No Robo Bosses Act
    ("HB 2094", "2025", "vetoed", "2025-03-24"),  # VA high-risk AI
    ("HB 1622", "2025-2026", "passed_chamber", "2025-03-11"),  # WA: House only, then a Senate referral
    ("SB 2", "2025", "passed_chamber", "2025-05-14"),  # CT: Senate only
    ("AB 2930", "20232024", "failed", "2024-11-30"),  # CA: died in the Senate
    ("S 1588", "221", "in_committee", "2024-01-09"),  # NJ
])
def test_status_derivation_on_real_action_sequences(identifier, session, status, date):
    item = bill_to_item(_bill(identifier, session))
    assert derive_status(item.actions)[:2] == (status, date)


def test_passage_counts_chambers_not_votes():
    # Colorado's Senate passes SB 24-205 twice (third reading, then repassing the House's amendments).
    actions = bill_to_item(_bill("SB 24-205")).actions
    senate_only = [a for a in actions if a.actor != "lower" and "executive-signature" not in a.classification]
    assert derive_status(senate_only)[0] == "passed_chamber"
    assert derive_status([a for a in actions if "executive-signature" not in a.classification])[0] == (
        "passed_legislature")


def test_jurisdiction_codes_of_states_the_district_and_puerto_rico():
    assert jurisdiction_code("ocd-jurisdiction/country:us/state:ca/government") == "ca"
    assert jurisdiction_code("ocd-jurisdiction/country:us/district:dc/government") == "dc"
    assert jurisdiction_code("ocd-jurisdiction/country:us/territory:pr/government") == "pr"
    assert len(OPENSTATES_JURISDICTIONS) == 52


def test_bill_ids_join_jurisdiction_session_and_identifier():
    assert bill_to_item(_bill("SB 24-205")).id == "co-2024a-sb24205"
    assert bill_to_item(_bill("S 7676")).id == "ny-20232024-s7676"
    assert bill_to_item(_bill("B25-0114")).id == "dc-25-b250114"


def test_rate_limit_messages_say_which_limit():
    assert rate_limit_kind("exceeded limit of 10/min: 11") == "minute"
    assert rate_limit_kind("exceeded limit of 250/day: 251") == "day"
    assert rate_limit_kind("exceeded limit of 1000/hour: 1001") == "other"


def test_pacing_keeps_a_minute_under_the_limit():
    assert request_interval(10) * 10 > 60
    assert request_interval(40) < request_interval(10)


def test_updated_since_is_written_as_the_api_compares_it():
    from datetime import UTC, datetime

    # The API compares text with updated_at cast to text ("2025-10-14 07:18:22.91+00"): a "T" would skip the day.
    assert since_param(datetime(2025, 10, 14, 5, 18, 22, 915364, tzinfo=UTC)) == "2025-10-14 05:18:22"


def test_sessions_kept_are_the_latest_regular_ones_and_their_special_sessions():
    payload = json.loads((HERE / "jurisdictions.json").read_text())
    listed = {jurisdiction_code(j["id"]): {s["identifier"] for s in j.get("legislative_sessions") or []}
              for j in payload["results"]}
    current = {code: listed[code] - older for code, older in older_sessions(payload, 1).items()}
    both = {code: listed[code] - older for code, older in older_sessions(payload, 2).items()}
    assert current["co"] == {"2025A", "2025B"}
    assert both["co"] == {"2025A", "2025B", "2024A", "2024B"}
    assert both["il"] == {"104th", "103rd"} and both["dc"] == {"26", "25"}
    assert current["tx"] == {"89", "891", "892"}


def test_a_session_begun_after_the_sessions_list_was_made_is_not_taken_for_an_older_one():
    payload = json.loads((HERE / "jurisdictions.json").read_text())
    older = older_sessions(payload, 2)
    assert "2026A" not in older["co"] and "2023A" in older["co"]  # new bills of a session the list never named
    bill = dict(_bill("SB 24-205"), session="2026A")
    item = bill_to_item(bill)
    assert item.session not in older[item.jurisdiction]


def test_configured_jurisdictions_and_title_scans_become_their_own_queries():
    config = openstates_config({"jurisdictions": ["CA", "ny"], "title_scan": ["hi"]})
    queries = build_queries(config, ['"artificial intelligence"', '"chatbot"'])
    assert [q.params for q in queries] == [
        [("jurisdiction", "ca"), ("q", '"artificial intelligence"')],
        [("jurisdiction", "ca"), ("q", '"chatbot"')],
        [("jurisdiction", "ny"), ("q", '"artificial intelligence"')],
        [("jurisdiction", "ny"), ("q", '"chatbot"')],
        [("jurisdiction", "hi")]]
    assert [q.kind for q in queries] == ["search"] * 4 + ["scan"]
    assert len({q.key for q in queries}) == len(queries)  # each keeps a watermark of its own
    assert [q.params for q in build_queries(openstates_config({}), ["x", "y"])] == [[("q", "x")], [("q", "y")]]


def test_title_scans_match_titles_other_titles_and_abstracts():
    taxonomy = load_taxonomy()
    sb7 = _bill("SB 7")
    assert "No Robo Bosses Act" in searchable_text(sb7)
    assert taxonomy.mentions_ai(searchable_text(dict(sb7, title="Employment.", other_titles=[])))
    assert not taxonomy.mentions_ai(searchable_text(dict(sb7, title="Employment.", other_titles=[], abstracts=[])))


def test_a_misspelt_setting_fails_before_any_request():
    with pytest.raises(ConfigError, match="sessions must be one of"):
        openstates_config({"sessions": "latest"})
    with pytest.raises(ConfigError, match="postal codes"):
        openstates_config({"jurisdictions": ["california"]})


def test_a_bill_without_includes_keeps_what_is_stored():
    bare = {k: v for k, v in _bill("AB 2602").items() if k not in INCLUDES}
    item = bill_to_item(bare)
    assert (item.actions, item.sponsors, item.versions) == (None, None, None)
    assert item.url == "https://openstates.org/ca/bills/20232024/AB2602/"


# Contract: real upstream samples ------------------------------------------------------------------

SAMPLES = shared_samples("openstates")


@pytest.mark.skipif(not SAMPLES, reason="../shared/fixtures/openstates is not present")
def test_contract_real_bill_objects_map_onto_valid_items():
    bills = [json.loads(p.read_text()) for p in SAMPLES if p.name.startswith("bill_")]
    assert bills
    for bill in bills:
        item = bill_to_item(bill)
        item.validate()
        assert item.jurisdiction in OPENSTATES_JURISDICTIONS
        assert item.actions is None and item.sponsors is None  # no include= in these samples
    ma = bill_to_item(next(b for b in bills if b["identifier"] == "HD 6143"))
    assert (ma.id, ma.chamber, ma.classification, ma.introduced_date) == (
        "ma-194th-hd6143", "lower", "proposed bill", None)


@pytest.mark.skipif(not SAMPLES, reason="../shared/fixtures/openstates is not present")
def test_contract_real_jurisdiction_lists_give_codes_and_no_sessions_without_include():
    for path in SAMPLES:
        if not path.name.startswith("jurisdictions_"):
            continue
        payload = json.loads(path.read_text())
        codes = [jurisdiction_code(j["id"]) for j in payload["results"]]
        assert set(codes) <= set(OPENSTATES_JURISDICTIONS) and "dc" in codes
        assert older_sessions(payload, 2) == {}
        assert payload["pagination"]["total_items"] >= len(payload["results"])


@pytest.mark.review("local_failure")
def test_a_version_link_that_is_not_a_web_address_is_dropped_and_the_bill_kept(replay, db_path):
    ab2602 = json.loads(json.dumps(_bill("AB 2602")))
    ab2602["versions"][0]["links"][0]["url"] = "ftp://leginfo.legislature.ca.gov/pub/ab_2602_introduced.pdf"
    crawl("openstates", replay([Route("/bills", body=_page([ab2602]), query={"page": "1"}), SESSIONS]),
          db_path, env=ENV)
    assert "ca-20232024-ab2602" in _bills(db_path)
    versions = _db(db_path).execute("SELECT note FROM versions WHERE bill_id = 'ca-20232024-ab2602' ORDER BY date")
    assert [note for (note,) in versions] == ["Enrolled", "Chaptered"]
    errors = list(_db(db_path).query("SELECT kind, url, message FROM crawl_errors"))
    assert [(e["kind"], "ftp://leginfo" in e["message"]) for e in errors] == [("bad_version", True)]
    assert errors[0]["url"] and errors[0]["message"].startswith("ca-20232024-ab2602: ")
    assert _run(db_path)["status"] == "ok"


# In process: saved bills mapped as the crawls above store them -------------------------------------------

SAVED = {item.id: item for item in (bill_to_item(bill) for bill in ALL_BILLS)}


def test_saved_bills_map_ids_chambers_pages_and_children():
    ab2602 = SAVED["ca-20232024-ab2602"]
    assert (ab2602.jurisdiction, ab2602.session, ab2602.identifier, ab2602.chamber) == (
        "ca", "20232024", "AB 2602", "lower")
    assert ab2602.summary.startswith("This bill would provide that a provision in an agreement")
    assert sorted(ab2602.subjects) == ["Entertainment", "Labor"]
    assert ab2602.url == "https://leginfo.legislature.ca.gov/faces/billNavClient.xhtml?bill_id=202320240AB2602"
    assert ab2602.introduced_date == "2024-02-14"
    assert ab2602.source_meta["openstates_url"] == "https://openstates.org/ca/bills/20232024/AB2602/"
    assert {(s.name, s.role, s.party, s.district) for s in ab2602.sponsors} == {
        ("Ash Kalra", "primary", "Democratic", "25"), ("Rebecca Bauer-Kahan", "cosponsor", "Democratic", "16")}
    assert [a.actor for a in ab2602.actions] == ["lower", "lower", "lower", "upper", "upper", "lower", "lower",
                                                 "executive", "executive"]
    assert ab2602.actions[-1].classification == ["became-law"]
    assert sorted((v.note, v.date, v.media_type) for v in ab2602.versions) == [
        ("Chaptered", "2024-09-17", "application/pdf"), ("Enrolled", "2024-09-03", "application/pdf"),
        ("Introduced", "2024-02-14", "application/pdf")]
    # Each link of a version is a version: IL's public act comes as PDF and HTML.
    assert sorted(v.media_type for v in SAVED["il-103rd-hb3773"].versions) == [
        "application/pdf", "text/html", "text/html"]
    dc = SAVED["dc-25-b250114"]
    assert (dc.chamber, dc.url) == ("legislature", "https://openstates.org/dc/bills/25/B25-0114/")


def test_saved_ai_bills_not_about_work_are_judged_not_relevant():
    taxonomy = load_taxonomy()

    def judged(bill_id: str):
        bill = SAVED[bill_id]
        return taxonomy.classify_bill(bill.title, bill.other_titles, bill.summary, bill.subjects, None)

    for rejected in ("mn-20232024-hf1370", "fl-2024-hb919", "ut-2024-sb149", "tx-89-hb149"):
        assert not judged(rejected).relevant, rejected
    replicas = judged("ca-20232024-ab2602")
    assert replicas.relevant and "digital-replicas" in [t.slug for t in replicas.topics]
