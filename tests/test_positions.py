"""The union's positions: recorded from the CLI, refused for unknown bills, and they make a bill watched."""

from __future__ import annotations

from datetime import date

from click.testing import CliRunner

from ailabor.cli import cli
from ailabor.digest.config import DigestDef
from ailabor.digest.select import Position, select_digest
from ailabor.records import Action, BillItem
from ailabor.relevance import load_taxonomy
from ailabor.store.writer import Store

TAXONOMY = load_taxonomy()


def _bill(identifier: str, title: str, summary: str | None = None) -> BillItem:
    item = BillItem(jurisdiction="ca", session="20252026", identifier=identifier, title=title, summary=summary,
                    source="test", actions=[Action("2025-02-10", "Introduced", "lower", ["introduction"])])
    item.relevance = TAXONOMY.classify(item.title, item.summary, item.subjects)
    return item


def _position(db_path, *args: str):
    return CliRunner().invoke(cli, ["position", *args, "--db", str(db_path)])


def _positions(database) -> list[dict]:
    return list(database.query("SELECT bill_id, stance, priority, note FROM positions"))


def test_position_is_recorded_then_updated_keeping_what_was_not_retyped(fresh_db, db_path):
    Store(fresh_db).save([_bill("AB 1018", "Automated decision systems: employment")])

    first = _position(db_path, "ca-20252026-ab1018", "--stance", "oppose", "--priority", "high",
                      "--note", "Amend to cover contractors")
    second = _position(db_path, "CA-20252026-AB1018", "--stance", "support")

    assert first.exit_code == 0 and second.exit_code == 0
    assert first.output.startswith("position recorded: CA AB 1018 (ca-20252026-ab1018): oppose, priority high")
    assert second.output.startswith("position updated: CA AB 1018 (ca-20252026-ab1018): support, priority high")
    assert _positions(fresh_db) == [{"bill_id": "ca-20252026-ab1018", "stance": "support", "priority": "high",
                                     "note": "Amend to cover contractors"}]


def test_unknown_bill_is_refused_in_one_line_and_nothing_changes(fresh_db, db_path):
    Store(fresh_db).save([_bill("AB 1018", "Automated decision systems: employment")])

    result = _position(db_path, "ab1018", "--stance", "oppose")

    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [
        "ailabor: no bill with id 'ab1018' in the database; did you mean ca-20252026-ab1018?"]
    assert _positions(fresh_db) == []


def test_an_unknown_stance_is_refused_in_one_line(fresh_db, db_path):
    Store(fresh_db).save([_bill("AB 1018", "Automated decision systems: employment")])

    result = _position(db_path, "ca-20252026-ab1018", "--stance", "against")

    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [
        "ailabor: stance must be one of support, oppose, watch, neutral, not 'against'"]
    assert _positions(fresh_db) == []


def test_a_positioned_bill_the_classifier_drops_still_appears_in_a_watched_only_digest(fresh_db, db_path):
    parking = _bill("AB 77", "Vehicles: parking meters")
    hiring = _bill("AB 1018", "Automated decision systems: employment",
                   "Regulates automated decision systems used by employers in hiring.")
    assert not parking.relevance.relevant and hiring.relevance.relevant
    Store(fresh_db).save([parking, hiring])
    assert _position(db_path, "ca-20252026-ab77", "--stance", "watch").exit_code == 0
    watched = DigestDef(name="watched", subject="Watched", recipients=("d@union.example",), watched_only=True)

    digest = select_digest(fresh_db, watched, today=date(2025, 3, 3))

    shown = [item.label for section in digest.sections for item in section.items]
    assert shown == ["CA AB 77"]
    assert digest.sections[1].items[0].position == Position("watch", priority=None, note=None)
