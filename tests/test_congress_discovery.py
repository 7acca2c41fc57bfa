"""How the congress spider finds federal bills whose display title names no AI.

Against the emulated Congress.gov and govinfo (ailabor/testing/emulators), from bills
described as facts. Each bill here is a stand-in named after the one path that
can find it: its CRS subjects, its official title, its text, or nothing yet.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

import db
from ailabor.config import SOURCES_FILE, source_config
from ailabor.testing.emulators import Action, Dataset, FederalBill, Options, TextVersion, emulating
from tests.conftest import EMULATED_KEYS, crawl

ENV = EMULATED_KEYS
BILLSTATUS = re.compile(r"^/bulkdata/BILLSTATUS/\d+/[a-z]+/BILLSTATUS-\d+[a-z]+\d+\.xml$")
WORK_TEXT = ("SECTION 1. SHORT TITLE.\n\nThis Act may be cited as the Fair Shifts Act.\n\n"
             "SEC. 2. An employer may not use an automated decision system to set the schedules of an employee, "
             "and shall give each worker notice of any such system.")


def day(n: int) -> str:
    """A date ``n`` days into the 119th Congress's second year, counted back from today so it stays recent."""
    return (date.today() - timedelta(days=60) + timedelta(days=n)).isoformat()


def federal(number: int, display: str, official: str = "", subjects: list[str] | None = None, policy: str | None = None,
            text: str | None = None, introduced: str | None = None) -> FederalBill:
    introduced = introduced or day(0)
    return FederalBill(
        congress=119, type="hr", number=number, introduced=introduced, display_title=display,
        official_title=official or f"To amend title 29, United States Code, and for other purposes ({number}).",
        short_titles=[display], policy_area=policy, subjects=subjects or [],
        actions=[Action(introduced, "Referred to the Committee on Education and Workforce.")],
        text_versions=[TextVersion("ih", "Introduced in House", introduced, text)] if text else [])


def _stored(db_path: Path) -> dict[str, int]:
    return dict(db.connect(db_path).execute("SELECT id, relevant FROM bills").fetchall())


def _screened(server) -> list[str]:
    return [h.path.rsplit("/", 1)[-1] for h in server.hits if BILLSTATUS.match(h.path)]


@pytest.mark.slow
def test_a_bill_found_only_by_its_crs_subjects_is_fetched(db_path):
    subjects = federal(101, "Fair Shifts Act", subjects=["Artificial intelligence", "Employment discrimination"],
                       policy="Labor and Employment")
    plain = federal(102, "Bridge Repair Act", subjects=["Transportation and public works"])
    with emulating(Dataset(federal=[subjects, plain], as_of=day(20))) as server:
        result = crawl("congress", server, db_path, env=ENV)
    assert "congress: ok" in result.stdout
    assert sorted(_screened(server)) == ["BILLSTATUS-119hr101.xml", "BILLSTATUS-119hr102.xml"]
    assert "us-119-hr101" in _stored(db_path) and "us-119-hr102" not in _stored(db_path)
    verdicts = dict(db.connect(db_path).execute("SELECT id, candidate FROM screened_bills").fetchall())
    assert verdicts == {"us-119-hr101": 1, "us-119-hr102": 0}


@pytest.mark.slow
def test_a_bill_whose_official_title_names_ai_is_fetched_before_any_summary_or_text(db_path):
    official = federal(103, "Workers First Act", "To regulate the use of artificial intelligence by employers.")
    with emulating(Dataset(federal=[official], as_of=day(3))) as server:
        crawl("congress", server, db_path, env=ENV)
    assert _stored(db_path) == {"us-119-hr103": 1}


@pytest.mark.slow
def test_a_bill_too_new_for_billstatus_is_screened_on_its_congress_gov_titles(db_path):
    today = federal(104, "Workers First Act", "To regulate the use of artificial intelligence by employers.",
                    introduced=day(10))
    with emulating(Dataset(federal=[today], as_of=day(10), options=Options(billstatus_lag_days=1))) as server:
        crawl("congress", server, db_path, env=ENV)
        statuses = [h.status for h in server.hits if BILLSTATUS.match(h.path)]
        titles = [h.path for h in server.hits if h.path.endswith("/titles")]
    assert statuses == [404]
    assert "/bill/119/hr/104/titles" in titles
    assert _stored(db_path) == {"us-119-hr104": 1}
    via = db.connect(db_path).execute("SELECT via FROM screened_bills").fetchone()[0]
    assert via == "titles"


@pytest.mark.slow
def test_a_bill_whose_only_ai_is_in_its_text_is_found_by_the_text_search_and_judged_on_it(db_path):
    by_text = federal(105, "Fair Shifts Act", "To protect the schedules of workers.", text=WORK_TEXT)
    with emulating(Dataset(federal=[by_text], as_of=day(5))) as server:
        result = crawl("congress", server, db_path, env=ENV)
        search = [h for h in server.hits if h.path == "/search"]
    assert search and all(h.headers.get("X-Api-Key") == ENV["DATA_GOV_API_KEY"] for h in search)
    assert "found by text 1" in result.stdout
    assert _stored(db_path) == {"us-119-hr105": 1}
    found_in = db.connect(db_path).execute("SELECT found_in FROM bill_topics WHERE bill_id = 'us-119-hr105'").fetchall()
    assert found_in and all('"text"' in row[0] for row in found_in)


@pytest.mark.slow
def test_many_bills_of_one_type_are_screened_from_that_type_s_zip(db_path):
    bills = [federal(n, f"Post Office Naming Act {n}") for n in range(1, 320)]
    with emulating(Dataset(federal=bills, as_of=day(5))) as server:
        crawl("congress", server, db_path, env=ENV)
        zips = [h.path for h in server.hits if h.path.endswith(".zip")]
    assert zips == ["/bulkdata/BILLSTATUS/119/hr/BILLSTATUS-119-hr.zip"]
    assert _screened(server) == []
    assert db.connect(db_path)["screened_bills"].count == len(bills)


def _congress_sources(tmp_path: Path, **settings: float) -> dict[str, str]:
    config = yaml.safe_load(SOURCES_FILE.read_text())
    config["congress"].update(settings)
    sources = tmp_path / "sources.yml"
    sources.write_text(yaml.safe_dump(config))
    return {**ENV, "AILABOR_SOURCES": str(sources)}


@pytest.mark.review("oversized")
def test_a_zip_entry_past_its_size_is_not_unzipped_and_its_bill_is_screened_on_its_titles(db_path, tmp_path):
    bills = [federal(n, f"Post Office Naming Act {n}") for n in range(1, 5)]
    env = _congress_sources(tmp_path, billstatus_zip_threshold=2, billstatus_file_maxsize_mb=0.0001)
    with emulating(Dataset(federal=bills, as_of=day(5))) as server:
        crawl("congress", server, db_path, env=env)
        titles = [h.path for h in server.hits if h.path.endswith("/titles")]
    errors = db.connect(db_path).execute("SELECT kind, message FROM crawl_errors").fetchall()
    assert len(errors) == len(bills)
    assert all(kind == "bad_billstatus" and "past the size limit" in message for kind, message in errors)
    assert len(titles) == len(bills)
    assert db.connect(db_path)["screened_bills"].count == len(bills)


@pytest.mark.review("oversized")
def test_a_zip_past_its_size_is_refused_and_the_run_is_partial(db_path, tmp_path):
    bills = [federal(n, f"Post Office Naming Act {n}") for n in range(1, 5)]
    env = _congress_sources(tmp_path, billstatus_zip_threshold=2, billstatus_zip_maxsize_mb=0.001)
    with emulating(Dataset(federal=bills, as_of=day(5))) as server:
        result = crawl("congress", server, db_path, env=env)
    assert "congress: partial" in result.stdout, result.stdout
    errors = db.connect(db_path).execute("SELECT url FROM crawl_errors").fetchall()
    assert [url.endswith("BILLSTATUS-119-hr.zip") for (url,) in errors] == [True]


@pytest.mark.slow
def test_a_bill_screened_before_crs_indexed_it_is_screened_again_once_it_changes(db_path):
    late = federal(106, "Fair Shifts Act", subjects=["Artificial intelligence", "Employee hiring"])
    options = Options(subjects_lag_days=7)
    with emulating(Dataset(federal=[late], as_of=day(2), options=options)) as server:
        crawl("congress", server, db_path, env=ENV)
        assert "us-119-hr106" not in _stored(db_path)  # no subjects yet, nothing else names AI
        server.advance(day(12))  # the subjects arrive, and with them a new update stamp
        server.hits.clear()
        crawl("congress", server, db_path, env=ENV)
        assert _screened(server) == ["BILLSTATUS-119hr106.xml"]
        server.hits.clear()
        server.dataset.touch_federal(["119/hr/106"])  # a bulk re-stamp: nothing to read again
        crawl("congress", server, db_path, env=ENV)
    assert _stored(db_path) == {"us-119-hr106": 1}
    assert _screened(server) == []


@pytest.mark.slow
def test_a_stored_bill_s_new_text_is_read_though_its_bill_list_stamp_does_not_move(db_path):
    reported = federal(107, "Algorithmic Hiring Act", "To regulate artificial intelligence in hiring.",
                       text=WORK_TEXT)
    reported.text_versions.append(TextVersion("rh", "Reported in House", day(10), WORK_TEXT + "\n\nAs reported."))
    with emulating(Dataset(federal=[reported], as_of=day(5))) as server:
        crawl("congress", server, db_path, env=ENV)
        server.advance(day(12))  # only the new text: updateDate stays, updateDateIncludingText moves
        server.hits.clear()
        result = crawl("congress", server, db_path, env=ENV)
        assert server.hits_to("/bill/119/hr/107/text")
    assert "new texts 1" in result.stdout
    urls = [r[0] for r in db.connect(db_path).execute("SELECT url FROM versions WHERE bill_id = 'us-119-hr107'")]
    assert any("BILLS-119hr107rh" in url for url in urls) and any("BILLS-119hr107ih" in url for url in urls)


@pytest.mark.slow
def test_a_backfill_reads_only_the_summaries_billstatus_may_lag_and_a_refresh_reads_them_from_its_watermark(
        db_path):
    bill = federal(108, "Fair Shifts Act", subjects=["Artificial intelligence", "Employee hiring"])
    with emulating(Dataset(federal=[bill], as_of=day(20))) as server:
        crawl("congress", server, db_path, env=ENV)
        first = {h.query["fromDateTime"][0] for h in server.hits_to("/summaries")}
        assert _stored(db_path) == {"us-119-hr108": 1}  # its subjects came with BILLSTATUS
        server.hits.clear()
        crawl("congress", server, db_path, env=ENV)
        second = {h.query["fromDateTime"][0] for h in server.hits_to("/summaries")}
    runs = db.connect(db_path).execute("SELECT started_at, watermark FROM crawl_runs ORDER BY id").fetchall()
    began = datetime.fromisoformat(runs[0][0].replace("Z", "+00:00"))
    assert len(first) == 1  # both Congresses' feeds from the same moment, not from their starts
    lookback = datetime.fromisoformat(first.pop().replace("Z", "+00:00"))
    assert abs(began - lookback - timedelta(days=3)) < timedelta(minutes=5)
    overlap = timedelta(hours=float(source_config("congress").get("overlap_hours", 2)))
    since = datetime.fromisoformat(runs[0][1].replace("Z", "+00:00")) - overlap
    assert second == {since.strftime("%Y-%m-%dT%H:%M:%SZ")}
