"""Bills followed by hand: numbers as people write them, `ailabor watch` and `ailabor position` on any bill.

The commands run as the director runs them, in a child process, against the
emulated Congress.gov and Open States (ailabor/testing/emulators); the bills are
small stand-ins that the classifier would not keep on its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

import db
from ailabor.config import source_config
from ailabor.site.faces import make_datasette
from ailabor.testing.emulators import (
    Action,
    Dataset,
    FederalBill,
    StateAction,
    StateBill,
    StateVersion,
    TextVersion,
    emulating,
)
from ailabor.watch import BadReference, Reference, parse_reference
from tests.conftest import EMULATED_KEYS, REPO, CrawlResult, crawl, crawl_env

AS_OF = "2025-06-01"
BRIDGES = StateBill("nj", "2025", "A 55", "An act concerning bridges.",
                    versions=[StateVersion("Introduced", "2025-02-03", "SECTION 1. The state paints its bridges.")],
                    actions=[StateAction("2025-02-03", "Introduced and referred to Transportation.", "lower",
                                         ["introduction", "referral-committee"]),
                             StateAction("2025-06-20", "Reported out of committee.", "lower", ["committee-passage"])])
REPAIRS = FederalBill(119, "hr", 2794, "2025-04-10", "Bridge Repair Act",
                      official_title="To repair the bridges of the Interstate System.",
                      actions=[Action("2025-04-10", "Referred to the Committee on Transportation and Infrastructure.")],
                      text_versions=[TextVersion("ih", "Introduced in House", "2025-04-10",
                                                 "SECTION 1. The Secretary shall repair the bridges.")])


def ailabor(server, db_path: Path, *args: str, env: dict[str, str] | None = None) -> CrawlResult:
    """``ailabor ARGS --db DB`` as the director types it, with every upstream on the emulator, after `init`."""
    db.connect(db_path, create=True).close()
    done = subprocess.run([sys.executable, "-m", "ailabor.cli", *args, "--db", str(db_path)],
                          env=crawl_env(server, db_path, {**EMULATED_KEYS, **(env or {})}), cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)
    return CrawlResult(done.returncode, done.stdout, done.stderr)


def said(result: CrawlResult) -> list[str]:
    """What the command itself wrote on stderr (the crawl's log goes there too)."""
    return [line for line in result.stderr.splitlines() if line.startswith("ailabor:")]


def row(db_path: Path, sql: str, params: list | None = None) -> dict | None:
    return next(db.connect(db_path).query(sql, params or []), None)


# Reading numbers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("CA AB 2602", Reference("ca", "AB 2602")),
    ("ca ab2602", Reference("ca", "AB 2602")),
    ("H.R. 2794", Reference("us", "H.R. 2794")),
    ("S. 1367", Reference("us", "S. 1367")),
    ("US S 1367", Reference("us", "S. 1367")),
    ("us-119-hr2794", Reference("us", "H.R. 2794", "119")),
    ("ca-20232024-ab2602", Reference("ca", "AB 2602", "20232024")),
    ("CO SB 24-205", Reference("co", "SB 24-205")),
])
def test_bill_numbers_are_read_as_people_write_them(text, expected):
    assert parse_reference(text) == expected


def test_the_same_bill_written_two_ways_is_one_watchlist_entry():
    assert parse_reference("ca ab2602").ref == parse_reference("CA AB 2602").ref == "CA AB 2602"
    assert parse_reference("us-119-hr2794").ref == "US H.R. 2794 (119)"
    assert parse_reference("H.R. 2794").source == "congress" and parse_reference("CO SB 24-205").source == "openstates"


@pytest.mark.parametrize("text, says", [
    ("AB 2602", "names no state"),
    ("XX AB 1", "XX AB 1"),
    ("hello", "is not a bill number"),
])
def test_text_that_names_no_bill_is_refused_in_one_line(text, says):
    with pytest.raises(BadReference) as refused:
        parse_reference(text)
    message = str(refused.value)
    assert says in message and "\n" not in message
    assert "CA AB 2602" in message  # it shows what a bill number looks like


# ailabor watch: a state bill ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def watched_state_bill(tmp_path_factory) -> SimpleNamespace:
    """``ailabor watch "NJ A 55"``, then, once the bill moved, a regular crawl."""
    db_path = tmp_path_factory.mktemp("watch") / "tracker.db"
    with emulating(Dataset(states=[BRIDGES], as_of=AS_OF)) as server:
        watch = ailabor(server, db_path, "watch", "NJ A 55")
        assert watch.returncode == 0, watch.stderr[-3000:]
        server.advance("2025-06-25")
        server.hits.clear()
        regular = crawl("openstates", server, db_path, env=EMULATED_KEYS)
        assert regular.returncode == 0, regular.stderr[-3000:]
        hits = server.hits_to("/bills")
    return SimpleNamespace(db_path=db_path, watch=watch, regular=regular, hits=hits)


@pytest.mark.slow
def test_watching_a_state_bill_prints_one_line_and_stores_it_with_a_watch_position(watched_state_bill):
    assert watched_state_bill.watch.stdout.splitlines() == [
        "watching NJ A 55 (nj-2025-a55): An act concerning bridges.; kept fresh on every run"]
    assert said(watched_state_bill.watch) == []
    bill = row(watched_state_bill.db_path, "SELECT * FROM bills WHERE id = 'nj-2025-a55'")
    assert bill is not None and bill["relevant"] == 0  # the classifier would not have kept it
    position = row(watched_state_bill.db_path, "SELECT * FROM positions WHERE bill_id = 'nj-2025-a55'")
    assert position["stance"] == "watch"
    entry = row(watched_state_bill.db_path, "SELECT * FROM watchlist")
    assert (entry["ref"], entry["status"], entry["bill_id"]) == ("NJ A 55", "found", "nj-2025-a55")


@pytest.mark.slow
def test_a_regular_crawl_re_reads_a_watched_bill_by_its_number(watched_state_bill):
    by_number = [h for h in watched_state_bill.hits if "identifier" in h.query]
    assert [(h.query["jurisdiction"], h.query["identifier"]) for h in by_number] == [(["nj"], ["A 55"])]
    searched = [h for h in watched_state_bill.hits if "q" in h.query]
    assert searched  # the searches ran; none can find a bill about painting bridges
    bill = row(watched_state_bill.db_path, "SELECT * FROM bills WHERE id = 'nj-2025-a55'")
    assert bill["latest_action"] == "Reported out of committee."


@pytest.mark.slow
async def test_the_bill_page_says_the_bill_is_followed_by_hand(watched_state_bill):
    site = make_datasette(watched_state_bill.db_path, public=False)
    page = await site.client.get("/tracker/bills/nj-2025-a55")
    assert page.status_code == 200
    assert "Followed by hand" in page.text


# ailabor watch: federal bills, and numbers that do not exist -------------------------------------------

@pytest.mark.slow
def test_watching_a_federal_bill_by_its_id_fetches_and_stores_it(db_path):
    with emulating(Dataset(federal=[REPAIRS], as_of=AS_OF)) as server:
        result = ailabor(server, db_path, "watch", "us-119-hr2794")
        assert server.hits_to("/bill/119/hr/2794")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines() == [
        "watching US H.R. 2794 (119) (us-119-hr2794): Bridge Repair Act; kept fresh on every run"]
    assert row(db_path, "SELECT title FROM bills WHERE id = 'us-119-hr2794'")["title"] == "Bridge Repair Act"
    entry = row(db_path, "SELECT status, bill_id FROM watchlist")
    assert (entry["status"], entry["bill_id"]) == ("found", "us-119-hr2794")
    assert row(db_path, "SELECT stance FROM positions WHERE bill_id = 'us-119-hr2794'")["stance"] == "watch"


@pytest.mark.slow
def test_a_watched_federal_bill_is_not_fetched_again_when_the_bill_list_shows_it_unchanged(db_path):
    with emulating(Dataset(federal=[REPAIRS], as_of=AS_OF)) as server:
        assert ailabor(server, db_path, "watch", "us-119-hr2794").returncode == 0
        server.hits.clear()
        assert crawl("congress", server, db_path, env=EMULATED_KEYS).returncode == 0
        assert server.hits_to("/bill/119")  # the list named it
        assert not server.hits_to("/bill/119/hr/2794")


@pytest.mark.slow
@pytest.mark.parametrize("bill, message", [
    ("us-119-hr9999", "ailabor: Congress.gov has no H.R. 9999 in the 119th Congress"),
    ("NJ A 999", "ailabor: Open States has no bill A 999 in NJ"),
])
def test_a_number_upstream_does_not_know_fails_in_one_line_and_leaves_no_entry(db_path, bill, message):
    with emulating(Dataset(federal=[REPAIRS], states=[BRIDGES], as_of=AS_OF)) as server:
        result = ailabor(server, db_path, "watch", bill)
    assert result.returncode == 1
    assert said(result) == [message]
    assert result.stdout == ""
    assert db.connect(db_path).execute("SELECT count(*) FROM watchlist").fetchone()[0] == 0


@pytest.mark.slow
def test_without_the_open_states_key_the_bill_stays_pending_with_one_line(db_path):
    with emulating(Dataset(states=[BRIDGES], as_of=AS_OF)) as server:
        result = ailabor(server, db_path, "watch", "NJ A 55", env={"OPENSTATES_API_KEY": ""})
        assert server.hits == []
    assert result.returncode == 1
    lines = said(result)
    assert len(lines) == 1 and "OPENSTATES_API_KEY is not set" in lines[0] and "NJ A 55" in lines[0]
    entry = row(db_path, "SELECT status, bill_id FROM watchlist WHERE ref = 'NJ A 55'")
    assert (entry["status"], entry["bill_id"]) == ("pending", None)


# Watch runs leave the regular crawls' bookkeeping alone -------------------------------------------------

def _asked_since(hits) -> dict[str, str]:
    """Each search's and title scan's ``updated_since``, by what it asked."""
    return {(h.query.get("q") or h.query["jurisdiction"])[0]: h.query["updated_since"][0]
            for h in hits if "identifier" not in h.query}


def _watermark(db_path: Path, source: str) -> str | None:
    return db.connect(db_path).execute(
        "SELECT watermark FROM crawl_runs WHERE source = ? ORDER BY id DESC LIMIT 1", [source]).fetchone()[0]


@pytest.mark.slow
def test_an_open_states_watch_run_leaves_the_searches_marks_where_they_were(db_path):
    with emulating(Dataset(states=[BRIDGES], as_of=AS_OF)) as server:
        crawl("openstates", server, db_path, env=EMULATED_KEYS)
        server.hits.clear()
        crawl("openstates", server, db_path, env=EMULATED_KEYS)
        expected = _asked_since(server.hits_to("/bills"))
        watermark = _watermark(db_path, "openstates")
        assert ailabor(server, db_path, "watch", "NJ A 55").returncode == 0
        assert _watermark(db_path, "openstates") == watermark
        server.hits.clear()
        crawl("openstates", server, db_path, env=EMULATED_KEYS)
        asked = _asked_since(server.hits_to("/bills"))
    assert expected and all(since > "2023-01-01" for since in expected.values())  # past the backfill start
    assert asked == expected


@pytest.mark.slow
def test_a_congress_watch_run_leaves_the_watermark_where_it_was(db_path):
    overlap = timedelta(hours=float(source_config("congress").get("overlap_hours", 2)))
    with emulating(Dataset(federal=[REPAIRS], as_of=AS_OF)) as server:
        assert crawl("congress", server, db_path, env=EMULATED_KEYS).returncode == 0
        watermark = _watermark(db_path, "congress")
        assert ailabor(server, db_path, "watch", "us-119-hr2794").returncode == 0
        assert _watermark(db_path, "congress") == watermark
        server.hits.clear()
        assert crawl("congress", server, db_path, env=EMULATED_KEYS).returncode == 0
        asked = {h.query["fromDateTime"][0] for h in server.hits if h.path.startswith("/bill")
                 and "fromDateTime" in h.query}
    since = datetime.fromisoformat(watermark.replace("Z", "+00:00")) - overlap
    assert asked == {since.strftime("%Y-%m-%dT%H:%M:%SZ")}


# ailabor position on a bill not stored yet ----------------------------------------------------------

@pytest.mark.slow
def test_a_position_on_a_bill_not_stored_fetches_it_first(db_path):
    with emulating(Dataset(states=[BRIDGES], as_of=AS_OF)) as server:
        result = ailabor(server, db_path, "position", "NJ A 55", "--stance", "support")
    assert result.returncode == 0, result.stderr[-3000:]
    # The first position the director records, though the fetch gave the bill a watch position meanwhile.
    assert result.stdout.splitlines() == ["position recorded: NJ A 55 (nj-2025-a55): support, priority medium"]
    assert row(db_path, "SELECT title FROM bills WHERE id = 'nj-2025-a55'")["title"] == "An act concerning bridges."
    position = row(db_path, "SELECT stance, priority FROM positions WHERE bill_id = 'nj-2025-a55'")
    assert (position["stance"], position["priority"]) == ("support", "medium")
    details = json.loads(row(db_path, "SELECT details FROM crawl_runs WHERE source = 'openstates'")["details"])
    assert "_marks" not in details  # fetched by a watch run, not a regular crawl
