"""A bill's name ("CA AB 1018") is one rule, db.vocab.display_id: the bill page, a digest, a feed entry and a
canned query's row all show what it gives, for bills of Congress, a state, DC and Puerto Rico."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils

import db
from ailabor.digest.config import DigestDef
from ailabor.digest.render import render
from ailabor.digest.select import select_digest
from ailabor.records import Action, BillItem
from ailabor.relevance import load_taxonomy
from ailabor.site.faces import make_datasette
from ailabor.store.writer import Store, save_topics
from db import vocab

TODAY = datetime.now(UTC).date()
TITLE = "Automated decision systems in employment: artificial intelligence used to hire and fire workers"
BILLS = {  # jurisdiction, session, identifier → the name people write
    ("us", "119", "H.R. 2794"): "US H.R. 2794",
    ("ca", "20252026", "AB 1018"): "CA AB 1018",
    ("dc", "26", "B26-0123"): "DC B26-0123",
    ("pr", "2025", "PC 1234"): "PR PC 1234",
}


def _another_rule(jurisdiction: str, identifier: str) -> str:
    return f"{identifier} of {jurisdiction}"


def _items() -> list[BillItem]:
    taxonomy = load_taxonomy()
    items = []
    for jurisdiction, session, identifier in BILLS:
        item = BillItem(jurisdiction=jurisdiction, session=session, identifier=identifier, source="test",
                        title=TITLE, actions=[Action(TODAY.isoformat(), "Introduced", "lower", ["introduction"])])
        item.relevance = taxonomy.classify(item.title, item.summary, item.subjects)
        items.append(item)
    return items


@pytest.fixture(params=["the rule", "another rule"])
def named(request, monkeypatch, tmp_path) -> tuple[sqlite_utils.Database, Path, dict[str, str]]:
    """A database of the four bills, stored while ``display_id`` is the real rule or, everywhere it was
    imported, another one: a place that spells the rule itself would show the real name under the other."""
    rule = the_rule = vocab.display_id
    if request.param == "another rule":
        rule = _another_rule
        for module in list(sys.modules.values()):
            if getattr(module, "display_id", None) is the_rule:
                monkeypatch.setattr(module, "display_id", rule)
    path = tmp_path / "tracker.db"
    database = db.connect(path, create=True)
    save_topics(database, load_taxonomy())
    items = _items()
    Store(database).save(items)
    expected = {item.id: rule(item.jurisdiction, item.identifier) for item in items}
    if request.param == "the rule":
        assert sorted(expected.values()) == sorted(BILLS.values())
    return database, path, expected


async def test_bill_page_shows_the_name(named):
    _, path, expected = named
    ds = make_datasette(path, public=False)
    for bill_id, name in expected.items():
        page = await ds.client.get(f"/tracker/bills/{bill_id}")
        assert page.status_code == 200
        assert re.search(rf'<p class="eyebrow">{re.escape(name)} · session', page.text), bill_id


async def test_feed_entry_and_canned_query_row_show_the_name(named):
    _, path, expected = named
    ds = make_datasette(path, public=False)
    feed = (await ds.client.get("/tracker/new_bills_feed.atom")).text
    for name in expected.values():
        assert f"<title>{name}: {TITLE}</title>" in feed
    rows = []
    for jurisdiction, _, _ in BILLS:
        rows += (await ds.client.get("/tracker/bills_by_state.json",
                                     params={"state": jurisdiction, "_shape": "array"})).json()
    assert {row["bill_id"]: row["bill"] for row in rows} == expected


def test_digest_shows_the_name(named):
    database, _, expected = named
    digest = select_digest(database, DigestDef(name="names", subject="Names", recipients=("d@union.example",)),
                           today=TODAY)
    text, html = render(digest, "https://ailabor.example/unsubscribe")
    for name in expected.values():
        assert f"* {name}: {TITLE}" in text
        assert re.search(rf'<span class="label"[^>]*>{re.escape(name)}</span>', html), name
