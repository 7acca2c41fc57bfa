"""A bill's status and how far it got: derived once by the store, and shown as stored by page, digest and feed.

Each bill here is saved twice, first only introduced and then with all its
actions, so that the ones that moved have a status change for the feed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import db
from ailabor.digest.config import DigestDef
from ailabor.digest.select import select_digest
from ailabor.records import Action, BillItem
from ailabor.relevance import load_taxonomy
from ailabor.site.faces import make_datasette
from ailabor.site.plugins.ailabor_site import STAGE_NAMES
from ailabor.store.writer import Store, save_topics
from db.vocab import STATUSES

INTRODUCED = Action("2025-01-10", "Introduced", "lower", ["introduction"])
# Passage by both chambers of a two-chamber legislature.
PASSED = [INTRODUCED, Action("2025-02-10", "Passed the Assembly", "lower", ["passage"]),
          Action("2025-03-10", "Passed the Senate", "upper", ["passage"])]
VETO = Action("2025-04-10", "Vetoed by the executive", "executive", ["executive-veto"])
# One passage is the whole legislature's: the DC Council and Nebraska's Legislature have one chamber.
UNICAMERAL_VETOED = [Action("2025-01-10", "Introduced", "legislature", ["introduction"]),
                     Action("2025-02-10", "Final reading, passed", "legislature", ["passage"]), VETO]

BILLS = {
    "ca-2025-ab1": ("ca", "AB 1", [INTRODUCED]),
    "ca-2025-ab2": ("ca", "AB 2", [INTRODUCED, Action("2025-01-20", "Referred to Com. on L. & E.", "lower",
                                                      ["referral-committee"])]),
    "ca-2025-ab3": ("ca", "AB 3", PASSED[:2]),
    "ca-2025-ab4": ("ca", "AB 4", PASSED),
    "ca-2025-ab5": ("ca", "AB 5", [*PASSED, Action("2025-04-10", "Signed", "executive", ["executive-signature"])]),
    "ca-2025-ab6": ("ca", "AB 6", [*PASSED, VETO]),
    "ca-2025-ab7": ("ca", "AB 7", [INTRODUCED, Action("2025-01-30", "Held in committee", "lower",
                                                      ["committee-failure"])]),
    "ca-2025-ab8": ("ca", "AB 8", [INTRODUCED, Action("2025-01-30", "Withdrawn by author", "lower",
                                                      ["withdrawal"])]),
    "dc-2025-b260001": ("dc", "B26-0001", UNICAMERAL_VETOED),
    "ne-2025-lb1": ("ne", "LB 1", UNICAMERAL_VETOED),
}
# How the status-changes feed words each status a bill moves to.
FEED_WORDS = {"in_committee": "is in committee", "passed_chamber": "passed one chamber",
              "passed_legislature": "passed the legislature", "enacted": "became law", "vetoed": "was vetoed",
              "failed": "failed", "withdrawn": "was withdrawn"}
STAGE = re.compile(r'<li class="stage (\w+)"[^>]*>\s*<span class="stage-name">([^<]+)</span>')
STATUS_LINE = re.compile(r'<p class="status-line">\s*<strong[^>]*>([^<]+)</strong>')


def _bill(jurisdiction: str, identifier: str, actions: list[Action]) -> BillItem:
    item = BillItem(jurisdiction=jurisdiction, session="2025", identifier=identifier, source="test",
                    title="Artificial intelligence in employment decisions: automated decision tools and workers",
                    summary="Limits employers' use of artificial intelligence to hire, discipline or fire workers.",
                    actions=actions)
    item.relevance = load_taxonomy().classify(item.title, item.summary, item.subjects)
    return item


@pytest.fixture(scope="module")
def bills_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("status") / "tracker.db"
    database = db.connect(path, create=True)
    save_topics(database, load_taxonomy())
    store = Store(database)
    store.save([_bill(j, identifier, [INTRODUCED]) for j, identifier, _ in BILLS.values()])
    store.save([_bill(j, identifier, actions) for j, identifier, actions in BILLS.values()])
    database.close()
    return path


def _statuses(path: Path) -> dict[str, str]:
    database = db.connect(path)
    try:
        return {row[0]: row[1] for row in database.execute("SELECT id, status FROM bills")}
    finally:
        database.close()


async def _page(path: Path, bill_id: str) -> tuple[dict[str, str], str]:
    """The bill page's pipeline (step name → done, current or ahead) and its status line."""
    html = (await make_datasette(path, public=True).client.get(f"/tracker/bills/{bill_id}")).text
    return {name: state for state, name in STAGE.findall(html)}, STATUS_LINE.search(html).group(1)


def test_the_bills_cover_every_status(bills_db):
    stored = _statuses(bills_db)
    assert set(stored) == set(BILLS) and set(stored.values()) == set(STATUSES)


@pytest.mark.parametrize("bill_id", ["dc-2025-b260001", "ne-2025-lb1"])
async def test_a_unicameral_bill_vetoed_after_passage_shows_it_passed_the_legislature(bills_db, bill_id):
    stages, status = await _page(bills_db, bill_id)
    assert stages == {"Introduced": "done", "In committee": "done", "Passed one chamber": "done",
                      "Passed the legislature": "done", "Enacted": "ahead"}
    assert status == "Vetoed" and _statuses(bills_db)[bill_id] == "vetoed"


async def test_page_digest_and_feed_show_the_status_of_the_bills_row(bills_db):
    stored = _statuses(bills_db)
    pages = {bill_id: (await _page(bills_db, bill_id))[1] for bill_id in stored}
    assert pages == {bill_id: STAGE_NAMES[status] for bill_id, status in stored.items()}

    database = db.connect(bills_db)
    digest = select_digest(database, DigestDef(name="all", subject="All", recipients=("director@union.example",)))
    database.close()
    new_bills = next(s for s in digest.sections if s.key == "new_bills")
    assert {item.id: item.detail for item in new_bills.items} == {
        bill_id: status.replace("_", " ") for bill_id, status in stored.items()}

    feed = (await make_datasette(bills_db, public=True).client.get(
        "/tracker/status_changes_feed.json?_shape=array")).json()
    newest: dict[str, str] = {}
    for entry in feed:  # newest first
        newest.setdefault(entry["atom_link"].removeprefix("bills/"), entry["atom_title"])
    assert set(newest) == set(stored) - {"ca-2025-ab1"}  # introduced already at the first save
    for bill_id, title in newest.items():
        assert f" {FEED_WORDS[stored[bill_id]]}: " in title, (bill_id, title)


async def test_the_page_shows_the_stored_step_it_does_not_read_the_actions_again(bills_db, tmp_path):
    copy = tmp_path / "tracker.db"
    copy.write_bytes(bills_db.read_bytes())
    database = db.connect(copy)
    database.execute("UPDATE bills SET stage_reached = 'in_committee' WHERE id = 'dc-2025-b260001'")
    database.close()
    stages, status = await _page(copy, "dc-2025-b260001")
    assert [name for name, state in stages.items() if state == "done"] == ["Introduced", "In committee"]
    assert status == "Vetoed"
