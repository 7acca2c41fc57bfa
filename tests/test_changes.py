"""What changed, decided without a database: a stored row and its children against a new record."""

from __future__ import annotations

from ailabor.records import Action, BillItem, MeetingItem, Sponsor, Version
from ailabor.store.changes import CONTRIBUTIONS, StoredBill, added_actions, bill_changes, meeting_changes
from ailabor.store.events import bill_events, meeting_events

NOW = "2024-06-01T00:00:00+00:00"
LATER = "2024-06-02T00:00:00+00:00"


def _bill(**changes) -> BillItem:
    fields = dict(
        jurisdiction="ca", session="20232024", identifier="AB 2602", source="test",
        title="Contracts against public policy: digital replicas",
        actions=[Action("2024-02-08", "Introduced", "lower", ["introduction"]),
                 Action("2024-03-04", "Referred to Com. on L. & E.", "lower", ["referral-committee"])],
        sponsors=[Sponsor("Ash Kalra")],
        versions=[Version("https://leginfo.legislature.ca.gov/ab2602-introduced.pdf", "Introduced", "2024-02-08")],
    )
    fields.update(changes)
    return BillItem(**fields)


def _stored(item: BillItem) -> StoredBill:
    """The bill as the database would hold it after writing ``item``."""
    first = bill_changes(item, StoredBill(), None, NOW)
    assert first is not None
    return StoredBill(first.row, first.actions or [], first.sponsors or [], first.versions or [], first.topics or [])


def test_a_bill_not_stored_is_new_with_every_child_and_one_event():
    changes = bill_changes(_bill(), StoredBill(), None, NOW)
    assert changes is not None and changes.new and changes.news
    assert changes.row["first_seen_at"] == changes.row["updated_at"] == NOW
    assert len(changes.actions or []) == 2 and len(changes.sponsors or []) == 1 and len(changes.versions or []) == 1
    assert [e[:2] for e in bill_events("CA AB 2602", "Digital replicas", changes)] == [
        ("bill_new", "New bill: CA AB 2602, Digital replicas")]


def test_the_same_record_again_changes_nothing():
    assert bill_changes(_bill(), _stored(_bill()), None, LATER) is None


def test_a_new_action_is_news_with_its_own_event_and_the_status_it_brings():
    moved = _bill()
    moved.actions.append(Action("2024-05-21", "Read third time. Passed.", "lower", ["passage"]))
    changes = bill_changes(moved, _stored(_bill()), None, LATER)
    assert changes is not None and changes.news and not changes.new
    assert changes.row["updated_at"] == LATER and changes.row["first_seen_at"] == NOW
    assert changes.sponsors is None and changes.versions is None  # unchanged children are not rewritten
    assert [e[1] for e in bill_events("CA AB 2602", moved.title, changes)] == [
        "CA AB 2602: Read third time. Passed. (2024-05-21)",
        "CA AB 2602 moved from in_committee to passed_chamber"]


def test_children_the_record_does_not_carry_are_kept_as_stored():
    changes = bill_changes(_bill(actions=None, sponsors=None, versions=None, source_meta={"seen": 2}),
                           _stored(_bill()), None, LATER)
    assert changes is not None
    assert (changes.actions, changes.sponsors, changes.versions) == (None, None, None)
    assert changes.row["status"] == "in_committee" and changes.row["latest_action"] == "Referred to Com. on L. & E."
    assert bill_events("CA AB 2602", "x", changes) == []


def test_an_override_alone_rewrites_the_row_without_news():
    changes = bill_changes(_bill(), _stored(_bill()), 1, LATER)
    assert changes is not None and not changes.news
    assert changes.row["relevant"] == 1 and changes.row["updated_at"] == NOW
    assert bill_events("CA AB 2602", "x", changes) == []


def test_a_new_text_is_one_version_event_and_a_known_address_none():
    later = _bill()
    later.versions.append(Version("https://leginfo.legislature.ca.gov/ab2602-amended.pdf", "Amended", "2024-05-01"))
    changes = bill_changes(later, _stored(_bill()), None, LATER)
    assert changes is not None
    assert [e[:2] for e in bill_events("CA AB 2602", later.title, changes)] == [
        ("bill_version", "CA AB 2602: new text, Amended")]


def test_an_action_repeated_upstream_is_new_as_often_as_it_is_repeated():
    stored = [("2024-02-08", "Read first time", "lower", "[]")]
    again = stored + [("2024-02-08", "Read first time", "lower", '["reading-1"]')]
    assert added_actions(stored, again) == [again[1]]
    assert added_actions(again, stored) == []


def _notice(**changes) -> MeetingItem:
    fields = dict(id="fr-2023-18624", jurisdiction="us", kind="request_for_comment", source="federal_register",
                  title="Artificial Intelligence and Copyright", agency="Copyright Office",
                  comments_close_on="2023-10-18")
    fields.update(changes)
    return MeetingItem(**fields)


def test_a_moved_deadline_is_news_that_says_from_and_to():
    first = meeting_changes(_notice(), None, [], None, NOW)
    changes = meeting_changes(_notice(comments_close_on="2023-10-25"), first.row, [], None, LATER)
    assert changes.news and changes.fields == {"comments_close_on": {"from": "2023-10-18", "to": "2023-10-25"}}
    assert [e[1] for e in meeting_events(_notice(), changes)] == [
        "Copyright Office: Artificial Intelligence and Copyright: comments close on 2023-10-18 → 2023-10-25"]


def test_a_contributing_source_keeps_the_description_and_its_fields_win():
    first = meeting_changes(_notice(), None, [], None, NOW)
    contributed = {"regulations_gov": {"fields": {"comments_close_on": "2023-12-06"}}}
    addition = _notice(source="regulations_gov", title="Docket COLC-2023-0006", comments_close_on="2023-12-06",
                       source_meta={CONTRIBUTIONS: contributed})
    changes = meeting_changes(addition, first.row, [], None, LATER)
    assert changes.row is not None
    assert changes.row["title"] == "Artificial Intelligence and Copyright"
    assert changes.row["source"] == "federal_register"
    assert changes.row["comments_close_on"] == "2023-12-06"
