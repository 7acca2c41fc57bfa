"""How the openstates spider finds state bills: every AI phrase searched, followed bills re-read, scans, budgets.

Runs against the emulated Open States (ailabor/testing/emulators), which answers any
query as the real API would, from bills described as facts; the bills here are
small stand-ins, named after what they show.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

import db
from ailabor.relevance import DEFAULT_PATH
from ailabor.testing.emulators import Dataset, Options, StateAction, StateBill, StateVersion, emulating
from tests.conftest import EMULATED_KEYS, crawl

ENV = {**EMULATED_KEYS, "AILABOR_TEXTS_PER_RUN": "0"}


def day(n: int) -> str:
    """A date ``n`` days after a session began 40 days ago: followed bills are the ones that moved lately."""
    return (date.today() - timedelta(days=40) + timedelta(days=n)).isoformat()


INTRO = StateAction(day(0), "Introduced and referred to Labor.", "lower", ["introduction", "referral-committee"])


def bill(identifier: str, title: str, text: str, jurisdiction: str = "nj", session: str = "2026",
         versions: list[StateVersion] | None = None, actions: list[StateAction] | None = None) -> StateBill:
    return StateBill(jurisdiction, session, identifier, title,
                     versions=versions or [StateVersion("Introduced", day(0), text)],
                     actions=actions or [INTRO])


AI_AT_WORK = ("Section 1. An employer may not use an automated decision system to discipline or discharge an "
              "employee, and must tell workers when one is used.")
PLAIN = "Section 1. The state shall repaint the bridges of the turnpike every ten years."


def _bills(db_path: Path) -> dict[str, dict]:
    return {r["id"]: r for r in db.connect(db_path).query("SELECT * FROM bills")}


def _run(db_path: Path) -> dict:
    return next(db.connect(db_path).query("SELECT * FROM crawl_runs WHERE source = 'openstates' ORDER BY id DESC"))


@pytest.mark.slow
def test_a_bill_amended_away_from_ai_is_still_followed_by_its_number(db_path):
    """A gut-and-amend: the searches stop finding the bill, its new action still arrives."""
    gutted = bill("A 100", "Employment: automated decision systems.", AI_AT_WORK, versions=[
        StateVersion("Introduced", day(0), AI_AT_WORK),
        StateVersion("Amended", day(20), "Section 1. Regulates the hours of state-licensed car washes.",
                     title="Car washes: hours.")], actions=[
        INTRO, StateAction(day(20), "Amended in committee; car washes.", "lower", ["amendment-passage"]),
        StateAction(day(25), "Passed the Assembly.", "lower", ["passage"])])
    dataset = Dataset(states=[gutted], as_of=day(5))
    with emulating(dataset) as server:
        assert crawl("openstates", server, db_path, env=ENV).returncode == 0
        assert _bills(db_path)["nj-2026-a100"]["relevant"] == 1
        server.advance(day(30))
        crawl("openstates", server, db_path, env=ENV)
        searched = [h for h in server.hits_to("/bills") if "q" in h.query]
        reread = [h for h in server.hits_to("/bills") if "identifier" in h.query]
    stored = _bills(db_path)["nj-2026-a100"]
    assert stored["status"] == "passed_chamber" and stored["title"] == "Car washes: hours."
    assert [h.query["identifier"] for h in reread] == [["A 100"]]
    assert searched  # the searches ran, and none of them brought it back
    actions = [r[0] for r in db.connect(db_path).execute(
        "SELECT summary FROM events WHERE bill_id = 'nj-2026-a100' AND kind = 'bill_action'").fetchall()]
    assert any("Passed the Assembly" in a for a in actions)


@pytest.mark.slow
def test_followed_bills_are_re_read_twenty_to_a_request_per_jurisdiction(db_path):
    many = [bill(f"A {n}", f"Workers: automated decision systems ({n}).", AI_AT_WORK) for n in range(1, 26)]
    # Found by the searches days later: the searches' next window starts after the followed bills'.
    later = bill("A 99", "Chatbots: disclosure.", "Section 1. A chatbot must say that it is a chatbot.",
                 versions=[StateVersion("Introduced", day(4), "Section 1. A chatbot must say that it is a chatbot.")],
                 actions=[StateAction(day(4), "Introduced.", "lower", ["introduction"])])
    dataset = Dataset(states=[*many, later, bill("S 9", "Workers: automated decision systems.", AI_AT_WORK,
                                                 jurisdiction="ny", session="2025-2026")], as_of=day(5))
    with emulating(dataset) as server:
        crawl("openstates", server, db_path, env=ENV)
        server.hits.clear()
        crawl("openstates", server, db_path, env=ENV)
        reread = [h for h in server.hits_to("/bills") if "identifier" in h.query]
    assert sorted(len(h.query["identifier"]) for h in reread) == [1, 5, 20]
    assert {h.query["jurisdiction"][0] for h in reread} == {"nj", "ny"}
    assert json.loads(_run(db_path)["details"])["reread"] == 26


@pytest.mark.slow
def test_a_phrase_added_to_topics_yml_is_searched_from_the_backfill_start(db_path, tmp_path):
    old = bill("A 1", "Employment: automated decision systems.", AI_AT_WORK)
    # Relevant by the classifier's new phrase only: no search of the old taxonomy finds it.
    quiet = bill("A 2", "Workplace: wearable exoskeleton devices.",
                 "Section 1. An employer that gives workers a powered exoskeleton must train employees to use it.")
    dataset = Dataset(states=[old, quiet], as_of=day(5))
    topics = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    with emulating(dataset) as server:
        crawl("openstates", server, db_path, env=ENV)
        before = {h.query["q"][0]: h.query["updated_since"][0] for h in server.hits_to("/bills") if "q" in h.query}
        topics["more_ai_phrases"].append("exoskeleton")
        edited = tmp_path / "topics.yml"
        edited.write_text(yaml.safe_dump(topics, sort_keys=False))
        server.hits.clear()
        crawl("openstates", server, db_path, env={**ENV, "AILABOR_TOPICS": str(edited)})
        after = {h.query["q"][0]: h.query["updated_since"][0] for h in server.hits_to("/bills") if "q" in h.query}
    new = [q for q in after if q not in before]
    assert len(new) == 1 and '"exoskeleton"' in new[0]
    assert after[new[0]] == "2023-01-01 00:00:00"  # the backfill start: the new search reads all it can
    assert all(after[q] > before[q] for q in after if q in before)  # the others go on from their marks
    assert _bills(db_path)["nj-2026-a2"]["relevant"] == 1


@pytest.mark.slow
def test_the_day_budget_stops_the_run_before_the_hearings_reserve_and_the_next_day_resumes(db_path):
    bills = [bill(f"A {n}", f"Employment: automated decision systems ({n}).", AI_AT_WORK) for n in range(1, 140)]
    dataset = Dataset(states=bills, as_of=day(5))
    with emulating(dataset) as server:
        # The key's day as the spider counts it: 250 less what this key already spent today.
        database = db.connect(db_path, create=True)
        database["crawl_runs"].insert({"source": "openstates_events", "started_at": _today(), "status": "ok",
                                       "requests": 225, "details": None})
        database.conn.commit()
        first = crawl("openstates", server, db_path, env=ENV)
        assert "openstates: partial:" in first.stdout and "budget for bills is spent" in first.stdout
        stored_first = len(_bills(db_path))
        assert 0 < stored_first < len(bills)
        assert len(server.hits) == 250 - 225 - 20  # the reserve of 20 stays for the hearings
        database.execute("UPDATE crawl_runs SET started_at = '2000-01-01' WHERE source = 'openstates_events'")
        database.conn.commit()
        second = crawl("openstates", server, db_path, env=ENV)
    assert "openstates: ok" in second.stdout
    assert len(_bills(db_path)) == len(bills)


def _today() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat()


@pytest.mark.slow
@pytest.mark.parametrize("jurisdiction", ["hi", "ca"])
def test_a_title_scan_finds_bills_the_search_cannot(db_path, jurisdiction):
    """Hawaii's texts are not searchable; a California bill gutted into AI was indexed as it first read."""
    session = "2026" if jurisdiction == "hi" else "20252026"
    unreachable = bill("HB 9", "Relating to employment: automated decision systems.", AI_AT_WORK,
                       jurisdiction=jurisdiction, session=session, versions=[
                           StateVersion("Introduced", day(0), PLAIN, title="Relating to bridges."),
                           StateVersion("Amended", day(3), AI_AT_WORK,
                                        title="Relating to employment: automated decision systems.")])
    options = Options(text_search_missing=frozenset({"hi"}), search_vector_frozen=True)
    with emulating(Dataset(states=[unreachable], as_of=day(5), options=options)) as server:
        crawl("openstates", server, db_path, env=ENV)
        scans = [h for h in server.hits_to("/bills") if "q" not in h.query and "identifier" not in h.query]
    assert jurisdiction in {h.query["jurisdiction"][0] for h in scans}
    assert _bills(db_path)[f"{jurisdiction}-{session}-hb9"]["relevant"] == 1
