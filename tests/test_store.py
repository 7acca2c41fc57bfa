"""Storage and change events: events only for real changes, in the same transaction as the change."""

from __future__ import annotations

import sqlite3

import pytest

from ailabor.records import Action, BillItem, MeetingItem, Sponsor, Version
from ailabor.relevance import load_taxonomy
from ailabor.store.writer import Store, record_comment_deadlines

TAXONOMY = load_taxonomy()


def _bill(**changes) -> BillItem:
    fields = dict(
        jurisdiction="ca", session="20232024", identifier="AB 2602", source="test",
        title="Contracts against public policy: personal or professional services: digital replicas",
        summary="Makes a provision in an agreement for the performance of personal services unenforceable when it "
                "allows creation of a digital replica of the performer's voice or likeness.",
        actions=[Action("2024-02-08", "Introduced", "lower", ["introduction"]),
                 Action("2024-03-04", "Referred to Com. on L. & E.", "lower", ["referral-committee"])],
        sponsors=[Sponsor("Ash Kalra")],
        versions=[Version("https://leginfo.legislature.ca.gov/ab2602-introduced.pdf", "Introduced", "2024-02-08")],
    )
    fields.update(changes)
    item = BillItem(**fields)
    item.relevance = TAXONOMY.classify(item.title, item.summary, item.subjects)
    return item


def _kinds(fresh_db) -> list[str]:
    return [r[0] for r in fresh_db.execute("SELECT kind FROM events ORDER BY id").fetchall()]


def test_new_bill_writes_the_bill_its_children_and_one_event(fresh_db):
    counts = Store(fresh_db).save([_bill()])
    assert (counts.new, counts.updated) == (1, 0)
    row = fresh_db["bills"].get("ca-20232024-ab2602")
    assert row["status"] == "in_committee"
    assert row["latest_action"] == "Referred to Com. on L. & E."
    assert row["introduced_date"] == "2024-02-08"
    assert row["relevant"] == 1
    assert fresh_db["actions"].count == 2 and fresh_db["sponsors"].count == 1 and fresh_db["versions"].count == 1
    assert _kinds(fresh_db) == ["bill_new"]


def test_identical_bill_again_writes_nothing(fresh_db):
    Store(fresh_db).save([_bill()])
    counts = Store(fresh_db).save([_bill()])
    assert (counts.new, counts.updated) == (0, 0)
    assert _kinds(fresh_db) == ["bill_new"]


def test_new_action_and_passage_write_action_and_status_events(fresh_db):
    Store(fresh_db).save([_bill()])
    moved = _bill()
    moved.actions.append(Action("2024-05-21", "Read third time. Passed.", "lower", ["passage"]))
    moved.versions.append(Version("https://leginfo.legislature.ca.gov/ab2602-amended.pdf", "Amended", "2024-05-01"))
    counts = Store(fresh_db).save([moved])
    assert counts.updated == 1
    assert _kinds(fresh_db) == ["bill_new", "bill_action", "bill_status", "bill_version"]
    status = fresh_db.execute("SELECT summary FROM events WHERE kind = 'bill_status'").fetchone()[0]
    assert status == "CA AB 2602 moved from in_committee to passed_chamber"


def test_children_left_unfetched_keep_what_is_stored(fresh_db):
    Store(fresh_db).save([_bill()])
    Store(fresh_db).save([_bill(actions=None, sponsors=None, versions=None, source_meta={"seen": 2})])
    assert fresh_db["actions"].count == 2
    assert fresh_db["bills"].get("ca-20232024-ab2602")["status"] == "in_committee"
    assert _kinds(fresh_db) == ["bill_new"]


def test_a_failing_batch_leaves_neither_rows_nor_events(fresh_db):
    fresh_db.execute("CREATE TRIGGER refuse BEFORE INSERT ON versions WHEN NEW.bill_id = 'ca-20232024-ab9'"
                     " BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    good, bad = _bill(), _bill(identifier="AB 9")
    with pytest.raises(sqlite3.IntegrityError):
        Store(fresh_db).save([good, bad])
    assert fresh_db["bills"].count == 0
    assert fresh_db["events"].count == 0


def test_override_decides_relevance(fresh_db):
    fresh_db["overrides"].insert({"item_id": "ca-20232024-ab2602", "relevant": 0, "note": "not ours"})
    Store(fresh_db).save([_bill()])
    assert fresh_db["bills"].get("ca-20232024-ab2602")["relevant"] == 0


def _comment_period(close_on: str) -> MeetingItem:
    item = MeetingItem(id="fr-2023-18624", jurisdiction="us", kind="request_for_comment", source="test",
                       title="Artificial Intelligence and Copyright", agency="Copyright Office",
                       abstract="Training generative AI on performers' recordings; digital replicas of voices.",
                       comments_close_on=close_on)
    item.relevance = TAXONOMY.classify(item.title, item.abstract)
    return item


def test_comment_deadline_is_announced_once_per_period(fresh_db):
    from datetime import date

    Store(fresh_db).save([_comment_period("2023-10-18")])
    assert record_comment_deadlines(fresh_db, today=date(2023, 9, 1)) == 0  # more than 14 days ahead
    assert record_comment_deadlines(fresh_db, today=date(2023, 10, 10)) == 1
    assert record_comment_deadlines(fresh_db, today=date(2023, 10, 11)) == 0
    Store(fresh_db).save([_comment_period("2023-10-25")])  # extended: a new period
    assert record_comment_deadlines(fresh_db, today=date(2023, 10, 12)) == 1
    assert _kinds(fresh_db) == ["meeting_new", "comment_deadline", "meeting_changed", "comment_deadline"]


def test_simple_resolution_is_done_after_one_chamber(fresh_db):
    resolution = _bill(identifier="HR 12", classification="resolution",
                       actions=[Action("2024-02-08", "Introduced", "lower", ["introduction"]),
                                Action("2024-02-20", "Adopted", "lower", ["passage"])])
    Store(fresh_db).save([resolution])
    assert fresh_db["bills"].get(resolution.id)["status"] == "passed_legislature"


def test_hearing_links_a_bill_stored_in_the_same_batch(fresh_db):
    bill = _bill()
    hearing = MeetingItem(id="osevents-1", jurisdiction="ca", kind="hearing", source="test",
                          title="Assembly Labor and Employment Committee", start="2024-04-10T09:00",
                          bill_ids=[bill.id, "ca-20232024-ab9999"])
    Store(fresh_db).save([bill, hearing])
    assert fresh_db.execute("SELECT bill_id FROM meeting_bills").fetchall() == [(bill.id,)]
    assert sorted(_kinds(fresh_db)) == ["bill_new", "hearing_scheduled", "meeting_new"]


def test_repeated_sponsor_or_link_is_stored_once(fresh_db):
    bill = _bill(sponsors=[Sponsor("Ash Kalra", "cosponsor", "D"), Sponsor("Ash Kalra", "cosponsor", "Democratic")],
                 versions=[Version("https://leginfo.legislature.ca.gov/a.pdf", "Introduced"),
                           Version("https://leginfo.legislature.ca.gov/a.pdf", "Introduced (PDF)")])
    Store(fresh_db).save([bill])
    assert fresh_db.execute("SELECT name, party FROM sponsors").fetchall() == [("Ash Kalra", "D")]
    assert fresh_db.execute("SELECT note FROM versions").fetchall() == [("Introduced",)]
