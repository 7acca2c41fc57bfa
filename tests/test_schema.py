"""The schema: every table of the design, WAL, FTS kept current, migrations that upgrade in place."""

from __future__ import annotations

import json
import sqlite3

import db
from db.schema import migrations

DESIGN_TABLES = {
    "bills", "actions", "sponsors", "versions", "topics", "bill_topics", "meetings", "meeting_topics", "events",
    "crawl_runs", "crawl_errors", "digests", "positions",
}


def test_every_table_of_the_design_exists(fresh_db):
    assert set(fresh_db.table_names()) >= DESIGN_TABLES


def test_database_runs_in_wal_mode_with_a_busy_timeout(fresh_db):
    assert fresh_db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert fresh_db.execute("PRAGMA busy_timeout").fetchone()[0] == db.BUSY_TIMEOUT_MS


def test_keys_are_the_designed_ones(fresh_db):
    assert fresh_db["bills"].pks == ["id"]
    assert fresh_db["actions"].pks == ["bill_id", "seq"]
    assert fresh_db["sponsors"].pks == ["bill_id", "name", "role"]
    assert fresh_db["versions"].pks == ["bill_id", "url"]
    assert fresh_db["bill_topics"].pks == ["bill_id", "topic"]


def test_full_text_search_follows_inserts_and_updates(fresh_db):
    fresh_db["bills"].insert({"id": "ca-2025-ab1", "jurisdiction": "ca", "identifier": "AB 1", "source": "t",
                              "title": "Digital replicas of performers"})
    hits = fresh_db.execute("SELECT rowid FROM bills_fts WHERE bills_fts MATCH 'replica'").fetchall()
    assert len(hits) == 1
    fresh_db["bills"].update("ca-2025-ab1", {"title": "Heat safety for stagehands"})
    assert fresh_db.execute("SELECT count(*) FROM bills_fts WHERE bills_fts MATCH 'replica'").fetchone()[0] == 0
    assert fresh_db.execute("SELECT count(*) FROM bills_fts WHERE bills_fts MATCH 'stagehands'").fetchone()[0] == 1


def test_connecting_again_applies_nothing_and_keeps_data(db_path):
    first = db.connect(db_path, create=True)
    first["topics"].insert({"slug": "x", "name": "X", "description": ""})
    first.close()
    again = db.connect(db_path)
    assert again["topics"].count == 1
    assert migrations.pending(again) == []
    assert [m.name for m in migrations.applied(again)] == [m.name for m in migrations._migrations]


def test_database_of_an_older_schema_upgrades_in_place(db_path):
    older = sqlite3.connect(db_path)
    older.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    older.execute("INSERT INTO notes (text) VALUES ('kept')")
    older.commit()
    older.close()
    upgraded = db.connect(db_path)
    assert set(upgraded.table_names()) >= DESIGN_TABLES
    assert upgraded.execute("SELECT text FROM notes").fetchone()[0] == "kept"


def test_ailabor_db_picks_the_file(monkeypatch, tmp_path):
    monkeypatch.setenv("AILABOR_DB", str(tmp_path / "elsewhere.db"))
    assert db.db_path() == tmp_path / "elsewhere.db"
    assert db.snapshot_path() == tmp_path / "public" / "elsewhere.db"


def test_default_database_is_db_tracker_db(monkeypatch):
    monkeypatch.delenv("AILABOR_DB", raising=False)
    assert db.db_path() == db.DB_DIR / "tracker.db"


def test_database_at_the_first_migration_gains_later_columns_keeping_its_rows(db_path):
    import sqlite_utils

    old = sqlite_utils.Database(db_path)
    migrations.apply(old, stop_before="m002_bill_other_titles")
    old["bills"].insert({"id": "us-118-s1", "jurisdiction": "us", "identifier": "S. 1", "source": "t", "title": "T"})
    assert "other_titles" not in old["bills"].columns_dict
    old.close()
    upgraded = db.connect(db_path)
    assert "other_titles" in upgraded["bills"].columns_dict
    assert upgraded["bills"].get("us-118-s1")["title"] == "T"


def test_bills_stored_before_the_stage_reached_column_get_it_from_their_actions(db_path):
    import sqlite_utils

    old = sqlite_utils.Database(db_path)
    migrations.apply(old, stop_before="m007_bill_stage_reached")
    old["bills"].insert_all([
        {"id": bill_id, "jurisdiction": bill_id[:2], "identifier": bill_id, "source": "t", "title": "T",
         "classification": "bill", "status": "vetoed"} for bill_id in ("dc-26-b1", "ca-1-ab1")])
    old["actions"].insert_all([
        {"bill_id": bill_id, "seq": seq, "date": f"2025-0{seq + 1}-01", "description": cls, "actor": actor,
         "classification": json.dumps([cls])}
        for bill_id, actor in (("dc-26-b1", "legislature"), ("ca-1-ab1", "lower"))
        for seq, cls in enumerate(("introduction", "passage", "executive-veto"))])
    old.close()
    upgraded = db.connect(db_path)
    reached = dict(upgraded.execute("SELECT id, stage_reached FROM bills").fetchall())
    assert reached == {"dc-26-b1": "passed_legislature", "ca-1-ab1": "passed_chamber"}



def test_bills_stored_before_the_name_column_get_it_by_the_stores_rule(db_path):
    import sqlite_utils

    old = sqlite_utils.Database(db_path)
    migrations.apply(old, stop_before="m008_bill_name")
    old["bills"].insert_all([
        {"id": bill_id, "jurisdiction": jurisdiction, "identifier": identifier, "source": "t", "title": "T"}
        for bill_id, jurisdiction, identifier in (("us-119-hr2794", "us", "H.R. 2794"), ("pr-2025-pc1", "pr", "PC 1"))])
    old.close()
    names = dict(db.connect(db_path).execute("SELECT id, name FROM bills").fetchall())
    assert names == {"us-119-hr2794": "US H.R. 2794", "pr-2025-pc1": "PR PC 1"}

def test_snapshot_leaves_the_unions_internal_notes_at_home(fresh_db, db_path):
    from ailabor.site.publish import publish

    fresh_db["bills"].insert({"id": "ca-1-ab1", "jurisdiction": "ca", "identifier": "AB 1", "source": "t",
                              "title": "T"})
    fresh_db["positions"].insert({"bill_id": "ca-1-ab1", "stance": "support", "priority": "high",
                                  "note": "call the chair's chief of staff"})
    fresh_db["digests"].insert({"name": "director", "recipients": "director@union.example", "status": "sent"})
    fresh_db["overrides"].insert({"item_id": "ca-1-ab1", "relevant": 1, "note": "strategy"})
    snapshot = sqlite3.connect(publish(db_path))
    assert snapshot.execute("SELECT stance, priority, note FROM positions").fetchall() == [("support", "high", None)]
    assert snapshot.execute("SELECT count(*) FROM digests").fetchone()[0] == 0
    assert snapshot.execute("SELECT note FROM overrides").fetchall() == [(None,)]
    assert "director@union.example" not in "".join(snapshot.iterdump())
