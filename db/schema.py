"""The one definition of the tracker's tables, indexes, full-text search and views.

Each change to the schema is a new migration appended below; an existing
database upgrades in place when it is opened (sqlite-utils' ``Migrations``
records what was applied in ``_sqlite_migrations``). Never edit a migration
that has shipped.
"""

from __future__ import annotations

import json
import sqlite3
from itertools import groupby
from types import SimpleNamespace

import sqlite_utils
from sqlite_utils import Migrations

from db.vocab import chambers_needed, derive_status, display_id

migrations = Migrations("ailabor")

# Tables that are plumbing rather than content: hidden on the public site.
INTERNAL_TABLES = ("_sqlite_migrations", "crawl_errors", "digests", "overrides", "screened_bills")


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    db["bills"].create(
        {
            "id": str,
            "jurisdiction": str,
            "session": str,
            "identifier": str,
            "chamber": str,
            "classification": str,
            "title": str,
            "summary": str,
            "subjects": str,
            "status": str,
            "status_date": str,
            "introduced_date": str,
            "latest_action": str,
            "latest_action_date": str,
            "url": str,
            "source": str,
            "source_id": str,
            "source_updated_at": str,
            "source_meta": str,
            "content_hash": str,
            "relevant": int,
            "relevance_score": float,
            "first_seen_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null=["jurisdiction", "identifier", "title", "source"],
        defaults={"relevant": 0, "relevance_score": 0.0},
    )
    db["actions"].create(
        {"bill_id": str, "seq": int, "date": str, "description": str, "actor": str, "classification": str},
        pk=("bill_id", "seq"),
        foreign_keys=[("bill_id", "bills", "id")],
    )
    db["sponsors"].create(
        {
            "bill_id": str,
            "name": str,
            "role": str,
            "party": str,
            "state": str,
            "district": str,
            "person_id": str,
        },
        pk=("bill_id", "name", "role"),
        foreign_keys=[("bill_id", "bills", "id")],
    )
    db["versions"].create(
        {"bill_id": str, "url": str, "note": str, "date": str, "media_type": str},
        pk=("bill_id", "url"),
        foreign_keys=[("bill_id", "bills", "id")],
    )
    db["topics"].create({"slug": str, "name": str, "description": str}, pk="slug")
    db["bill_topics"].create(
        {"bill_id": str, "topic": str, "score": float, "matched": str},
        pk=("bill_id", "topic"),
        foreign_keys=[("bill_id", "bills", "id"), ("topic", "topics", "slug")],
    )
    db["meetings"].create(
        {
            "id": str,
            "jurisdiction": str,
            "agency": str,
            "agency_slug": str,
            "kind": str,
            "title": str,
            "abstract": str,
            "start": str,
            "location": str,
            "comments_close_on": str,
            "docket_id": str,
            "document_url": str,
            "agenda_url": str,
            "minutes_url": str,
            "published_date": str,
            "source": str,
            "source_id": str,
            "source_updated_at": str,
            "source_meta": str,
            "content_hash": str,
            "relevant": int,
            "relevance_score": float,
            "first_seen_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null=["jurisdiction", "kind", "title", "source"],
        defaults={"relevant": 0, "relevance_score": 0.0},
    )
    db["meeting_topics"].create(
        {"meeting_id": str, "topic": str, "score": float, "matched": str},
        pk=("meeting_id", "topic"),
        foreign_keys=[("meeting_id", "meetings", "id"), ("topic", "topics", "slug")],
    )
    db["meeting_bills"].create(
        {"meeting_id": str, "bill_id": str, "note": str},
        pk=("meeting_id", "bill_id"),
        foreign_keys=[("meeting_id", "meetings", "id"), ("bill_id", "bills", "id")],
    )
    db["events"].create(
        {
            "id": int,
            "detected_at": str,
            "kind": str,
            "bill_id": str,
            "meeting_id": str,
            "summary": str,
            "details": str,
            "run_id": int,
        },
        pk="id",
        foreign_keys=[("bill_id", "bills", "id"), ("meeting_id", "meetings", "id")],
        not_null=["detected_at", "kind", "summary"],
    )
    db["crawl_runs"].create(
        {
            "id": int,
            "source": str,
            "started_at": str,
            "finished_at": str,
            "status": str,
            "requests": int,
            "items": int,
            "new": int,
            "updated": int,
            "errors": int,
            "watermark": str,
            "message": str,
            "details": str,
            "pid": int,
        },
        pk="id",
        not_null=["source", "started_at", "status"],
        defaults={"requests": 0, "items": 0, "new": 0, "updated": 0, "errors": 0},
    )
    db["crawl_errors"].create(
        {"id": int, "run_id": int, "url": str, "kind": str, "message": str, "at": str},
        pk="id",
        foreign_keys=[("run_id", "crawl_runs", "id")],
    )
    db["digests"].create(
        {
            "id": int,
            "name": str,
            "sent_at": str,
            "recipients": str,
            "first_event_id": int,
            "last_event_id": int,
            "status": str,
            "message": str,
        },
        pk="id",
    )
    db["positions"].create(
        {"bill_id": str, "stance": str, "priority": str, "note": str, "updated_at": str},
        pk="bill_id",
        foreign_keys=[("bill_id", "bills", "id")],
    )
    db["overrides"].create(
        {"item_id": str, "relevant": int, "note": str, "updated_at": str},
        pk="item_id",
    )

    for table, columns in {
        "bills": [["jurisdiction", "status"], ["relevant", "updated_at"], ["status_date"], ["latest_action_date"]],
        "actions": [["date"]],
        "bill_topics": [["topic"]],
        "meetings": [["start"], ["comments_close_on"], ["agency_slug"], ["docket_id"], ["relevant", "published_date"]],
        "meeting_topics": [["topic"]],
        "meeting_bills": [["bill_id"]],
        "events": [["bill_id"], ["meeting_id"], ["kind", "detected_at"]],
        "crawl_runs": [["source", "started_at"]],
        "crawl_errors": [["run_id"]],
        "digests": [["name", "status"]],
    }.items():
        for cols in columns:
            db[table].create_index(cols)

    db["bills"].enable_fts(["title", "summary", "subjects"], create_triggers=True, tokenize="porter")
    db["meetings"].enable_fts(["title", "abstract", "agency"], create_triggers=True, tokenize="porter")


@migrations()
def m002_bill_other_titles(db: sqlite_utils.Database) -> None:
    # Short and popular titles ("NO FAKES Act") often say what the official title does not;
    # the classifier reads them and re-classification needs them stored.
    db["bills"].add_column("other_titles", str)


@migrations()
def m003_indexes_for_the_site(db: sqlite_utils.Database) -> None:
    # The home page's map counts relevant bills per state; the enacted-laws list sorts by status date.
    db["bills"].create_index(["relevant", "jurisdiction"])
    db["bills"].create_index(["status", "status_date"])


@migrations()
def m004_errors_by_run(db: sqlite_utils.Database) -> None:
    # Each run asks whether a rejected item was rejected by the runs before it (ailabor/runs.py).
    db["crawl_errors"].create_index(["run_id", "kind"])


@migrations()
def m005_coverage(db: sqlite_utils.Database) -> None:
    # The text of each bill version read, so a bill is judged on what it says, and kept for search and diffs.
    db["bill_texts"].create(
        {
            "bill_id": str,
            "url": str,
            "note": str,
            "date": str,
            "media_type": str,
            "text": str,
            "chars": int,
            "truncated": int,
            "fetched_at": str,
        },
        pk=("bill_id", "url"),
        foreign_keys=[("bill_id", "bills", "id")],
        defaults={"truncated": 0},
    )
    # Where each matched phrase was found (title, summary, subjects, text): the "why" a person reads.
    db["bill_topics"].add_column("found_in", str)
    db["meeting_topics"].add_column("found_in", str)
    # Federal bills read and judged not worth fetching in full: they are not read again until they change.
    db["screened_bills"].create(
        {
            "id": str,
            "source": str,
            "stamp": str,
            "via": str,
            "has_subjects": int,
            "candidate": int,
            "ai_matched": str,
            "screened_at": str,
        },
        pk="id",
        defaults={"has_subjects": 0, "candidate": 0},
    )
    # Bills the director follows by hand, by number as she wrote it: fetched and kept fresh whatever
    # the classifier says.
    db["watchlist"].create(
        {
            "ref": str,
            "jurisdiction": str,
            "session": str,
            "identifier": str,
            "bill_id": str,
            "status": str,
            "message": str,
            "note": str,
            "added_at": str,
            "checked_at": str,
        },
        pk="ref",
        not_null=["jurisdiction", "identifier", "status"],
    )
    db["watchlist"].create_index(["bill_id"])
    db["bills"].create_index(["source", "first_seen_at"])
    # A text that cannot be read is tried again on later runs, a few times (ailabor/store/texts.py text_backlog).
    db["crawl_errors"].create_index(["kind", "url"])


@migrations()
def m006_digest_deliveries(db: sqlite_utils.Database) -> None:
    # What the mail server said about each recipient of a digest (JSON by address), so that the ones it
    # refused are tried again and the ones it accepted never get a second copy. A column of `digests`
    # rather than a table of its own: the addresses stay wherever digests stay, off the public site.
    db["digests"].add_column("deliveries", str)


@migrations()
def m007_bill_stage_reached(db: sqlite_utils.Database) -> None:
    # How far a bill got along introduced → enacted, which its status alone does not say once it ended: a DC
    # bill vetoed after the Council passed it reached "passed the legislature". The store derives it with the
    # status on every write, and the bill page reads it. Bills stored before get it here, from their stored
    # actions by the store's own rule: a second copy of the rule in SQL would drift from it.
    db["bills"].add_column("stage_reached", str)
    rows = db.execute(
        "SELECT b.id, b.jurisdiction, b.classification, a.date, a.actor, a.classification"
        " FROM bills b JOIN actions a ON a.bill_id = b.id ORDER BY b.id, a.seq")
    reached = []
    for (bill_id, jurisdiction, kind), actions in groupby(rows, key=lambda row: row[:3]):
        steps = [SimpleNamespace(date=a[3], actor=a[4], classification=json.loads(a[5] or "[]")) for a in actions]
        reached.append((derive_status(steps, chambers_needed(jurisdiction, kind)).reached, bill_id))
    db.conn.executemany("UPDATE bills SET stage_reached = ? WHERE id = ?", reached)


@migrations()
def m008_bill_name(db: sqlite_utils.Database) -> None:
    # A bill's name as people write it ("CA AB 1018"), stored by the store from vocab.display_id so that pages,
    # feeds, canned queries and digests show the one rule's result instead of each spelling the rule in SQL.
    # Bills stored before get it here by the same function.
    db["bills"].add_column("name", str)
    names = [(display_id(jurisdiction, identifier), bill_id)
             for bill_id, jurisdiction, identifier in db.execute("SELECT id, jurisdiction, identifier FROM bills")]
    db.conn.executemany("UPDATE bills SET name = ? WHERE id = ?", names)


def migrate(db: sqlite_utils.Database) -> None:
    """Bring a database of any earlier schema up to date; a no-op on a current one.

    A database that records migrations this code does not have was made by a
    newer version: its tables may hold columns and constraints this code would
    break, so it is refused rather than used.
    """
    known = {migration.name for migration in migrations._migrations}
    unknown = [applied.name for applied in migrations.applied(db) if applied.name not in known]
    if unknown:
        # db.connect names the file and turns this into its UnusableDatabase.
        raise sqlite3.DatabaseError(
            f"it was made by a newer version of AI Labor Watch (migrations {', '.join(unknown)} are unknown here);"
            " update this installation to that version")
    migrations.apply(db)
