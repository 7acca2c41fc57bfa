"""The writer: bills and meetings with their change events, one batch per transaction.

A batch is written inside one write transaction together with the events
that describe what changed in it, so a crawl killed at any moment leaves
either the whole batch and its events or neither. What changed is decided
by ``changes`` and worded by ``events``; this module reads what is stored
and writes the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlite_utils

from ailabor.dates import utcnow
from ailabor.records import BillItem, MeetingItem, ScreeningItem, TextItem, WatchOutcome
from ailabor.store import events
from ailabor.store.changes import (
    SPONSOR_COLUMNS,
    VERSION_COLUMNS,
    BillChanges,
    Children,
    StoredBill,
    bill_changes,
    dumps,
    meeting_changes,
    relevance,
    topic_rows,
    topic_tuples,
)
from db import write_transaction
from db.vocab import DEFAULT_PRIORITY


@dataclass
class Counts:
    new: int = 0
    updated: int = 0

    def __iadd__(self, other: Counts) -> Counts:
        self.new += other.new
        self.updated += other.updated
        return self

    @classmethod
    def of(cls, new: bool, news: bool) -> Counts:
        """A new item counts as new; a known one as updated when its change is news."""
        return cls(new=int(new), updated=int(news and not new))


def _in_clause(ids: Sequence[str]) -> str:
    return ",".join("?" for _ in ids)


class Store:
    """Writes batches of items and the events that their changes imply."""

    def __init__(self, db: sqlite_utils.Database, run_id: int | None = None) -> None:
        self.db = db
        self.run_id = run_id

    def save(self, items: Iterable[Any]) -> Counts:
        items = list(items)
        bills = _dedupe([i for i in items if isinstance(i, BillItem)])
        meetings = _dedupe([i for i in items if isinstance(i, MeetingItem)])
        texts = [i for i in items if isinstance(i, TextItem)]
        screenings = [i for i in items if isinstance(i, ScreeningItem)]
        outcomes = [i for i in items if isinstance(i, WatchOutcome)]
        counts = Counts()
        self._writes = _Writes()
        with write_transaction(self.db):
            if bills:
                counts += self._save_bills(bills)
            if meetings:
                counts += self._save_meetings(meetings)
            self._writes.flush(self.db.conn)
            # Texts belong to bills, which must be written first (a bill and its text can share a batch).
            self._writes = _Writes()
            for text in texts:
                self._save_text(text)
            for screening in screenings:
                self._writes.upsert("screened_bills", {
                    "id": screening.id, "source": screening.source, "stamp": screening.stamp, "via": screening.via,
                    "has_subjects": int(screening.has_subjects), "candidate": int(screening.candidate),
                    "ai_matched": dumps(screening.ai_matched), "screened_at": utcnow()})
            for outcome in outcomes:
                self._save_watch_outcome(outcome)
            self._writes.flush(self.db.conn)
        return counts

    def _save_text(self, item: TextItem) -> None:
        """Keep a version's text and judge its bill again on it; its topics change only if the verdict did."""
        bill = next(self.db.query("SELECT id, relevant, relevance_score FROM bills WHERE id = ?", [item.bill_id]), None)
        if bill is None:
            return  # the bill was not stored (rejected): its text waits for it
        self._writes.upsert("bill_texts", {
            "bill_id": item.bill_id, "url": item.url, "note": item.note, "date": item.date,
            "media_type": item.media_type, "text": item.text, "chars": item.chars, "truncated": int(item.truncated),
            "fetched_at": utcnow()}, key=("bill_id", "url"))
        if item.relevance is None:
            return
        relevant, score, matches = relevance(item, self._overrides([item.bill_id]).get(item.bill_id))
        if (relevant, score) != (bill["relevant"], bill["relevance_score"]):
            self.db.execute("UPDATE bills SET relevant = ?, relevance_score = ? WHERE id = ?",
                            [relevant, score, item.bill_id])
        new_topics = topic_tuples(matches)
        stored = [tuple(r) for r in self.db.execute(
            "SELECT topic, score, matched, found_in FROM bill_topics WHERE bill_id = ? ORDER BY topic",
            [item.bill_id]).fetchall()]
        if new_topics != stored:
            rows = topic_rows("bill_id", item.bill_id, new_topics)
            self._writes.replace("bill_topics", "bill_id", item.bill_id, rows)

    def _save_watch_outcome(self, item: WatchOutcome) -> None:
        """Record what upstream said of a bill asked for by number; a found one gets a ``watch`` position
        (unless it has a position), which is what digests and re-reads follow."""
        status = "found" if item.found else "not_found"
        self.db.execute("UPDATE watchlist SET status = ?, bill_id = coalesce(?, bill_id), message = ?, checked_at = ?"
                        " WHERE ref = ?", [status, item.bill_id, item.message, utcnow(), item.ref])
        stored = item.bill_id and self.db.execute("SELECT 1 FROM bills WHERE id = ?", [item.bill_id]).fetchone()
        if item.found and stored:
            self.db.execute("INSERT INTO positions (bill_id, stance, priority, note, updated_at)"
                            " VALUES (?, 'watch', ?, NULL, ?) ON CONFLICT(bill_id) DO NOTHING",
                            [item.bill_id, DEFAULT_PRIORITY, utcnow()])

    def _events(self, found: Iterable[events.Event], *, bill_id: str | None = None,
                meeting_id: str | None = None) -> None:
        for kind, summary, details in found:
            self._writes.events.append((utcnow(), kind, bill_id, meeting_id, summary, dumps(details), self.run_id))

    def _overrides(self, ids: Sequence[str]) -> dict[str, int]:
        rows = self.db.execute(
            f"SELECT item_id, relevant FROM overrides WHERE item_id IN ({_in_clause(ids)})", list(ids)
        ).fetchall()
        return {item_id: relevant for item_id, relevant in rows}

    def _children(self, sql: str, ids: Sequence[str]) -> dict[str, Children]:
        out: dict[str, Children] = {}
        if not ids:  # nothing of this batch is stored yet: nothing to compare with
            return out
        for row in self.db.execute(sql.format(ids=_in_clause(ids)), list(ids)).fetchall():
            out.setdefault(row[0], []).append(tuple(row[1:]))
        return out

    def _stored_bills(self, ids: list[str]) -> dict[str, StoredBill]:
        """The stored bills among ``ids``, each with its children, in the order ``changes`` compares them."""
        rows = {r["id"]: r for r in self.db.query(f"SELECT * FROM bills WHERE id IN ({_in_clause(ids)})", ids)}
        stored = list(rows)  # only stored bills have stored children
        actions = self._children(
            "SELECT bill_id, date, description, actor, classification FROM actions"
            " WHERE bill_id IN ({ids}) ORDER BY bill_id, seq", stored)
        sponsors = self._children(
            "SELECT bill_id, name, role, party, state, district, person_id FROM sponsors"
            " WHERE bill_id IN ({ids}) ORDER BY bill_id, role, name", stored)
        versions = self._children(
            "SELECT bill_id, url, note, date, media_type FROM versions WHERE bill_id IN ({ids})"
            " ORDER BY bill_id, date, url", stored)
        topics = self._children(
            "SELECT bill_id, topic, score, matched, found_in FROM bill_topics WHERE bill_id IN ({ids})"
            " ORDER BY bill_id, topic", stored)
        return {bill_id: StoredBill(row, actions.get(bill_id, []), sponsors.get(bill_id, []),
                                    versions.get(bill_id, []), topics.get(bill_id, []))
                for bill_id, row in rows.items()}

    def _save_bills(self, items: list[BillItem]) -> Counts:
        ids = [i.id for i in items]
        stored = self._stored_bills(ids)
        overrides = self._overrides(ids)
        counts = Counts()
        now = utcnow()
        for item in items:
            changes = bill_changes(item, stored.get(item.id, StoredBill()), overrides.get(item.id), now)
            if changes is None:
                continue
            self._write_bill(item.id, changes)
            self._events(events.bill_events(changes.row["name"], item.title, changes), bill_id=item.id)
            counts += Counts.of(changes.new, changes.news)
        return counts

    def _write_bill(self, bill_id: str, changes: BillChanges) -> None:
        self._writes.upsert("bills", changes.row)
        stored = not changes.new
        if changes.actions is not None:
            self._replace("actions", bill_id, stored, [
                {"bill_id": bill_id, "seq": n, "date": a[0], "description": a[1], "actor": a[2],
                 "classification": a[3]} for n, a in enumerate(changes.actions)])
        if changes.sponsors is not None:
            self._replace("sponsors", bill_id, stored, [
                dict(zip(SPONSOR_COLUMNS, s, strict=True), bill_id=bill_id) for s in changes.sponsors])
        if changes.versions is not None:
            self._replace("versions", bill_id, stored, [
                dict(zip(VERSION_COLUMNS, v, strict=True), bill_id=bill_id) for v in changes.versions])
        if changes.topics is not None:
            self._replace("bill_topics", bill_id, stored, topic_rows("bill_id", bill_id, changes.topics))

    def _replace(self, table: str, item_id: str, stored: bool, rows: list[dict[str, Any]]) -> None:
        """The item's rows of ``table`` become ``rows``; an item new to the database has none to delete."""
        key = "meeting_id" if table == "meeting_topics" else "bill_id"
        if stored:
            self._writes.replace(table, key, item_id, rows)
        else:
            self._writes.inserts.setdefault(table, []).extend(rows)

    def _save_meetings(self, items: list[MeetingItem]) -> Counts:
        ids = [i.id for i in items]
        existing = {r["id"]: r for r in self.db.query(f"SELECT * FROM meetings WHERE id IN ({_in_clause(ids)})", ids)}
        overrides = self._overrides(ids)
        topics = self._children(
            "SELECT meeting_id, topic, score, matched, found_in FROM meeting_topics WHERE meeting_id IN ({ids})"
            " ORDER BY meeting_id, topic", list(existing))
        counts = Counts()
        now = utcnow()
        for item in items:
            old = existing.get(item.id)
            changes = meeting_changes(item, old, topics.get(item.id, []), overrides.get(item.id), now)
            if changes.row is not None:
                self._writes.upsert("meetings", changes.row)
            if changes.topics is not None:
                self._replace("meeting_topics", item.id, old is not None,
                              topic_rows("meeting_id", item.id, changes.topics))
            self._link_bills(item)
            self._events(events.meeting_events(item, changes), meeting_id=item.id)
            counts += Counts.of(changes.new, changes.news)
        return counts

    def _link_bills(self, item: MeetingItem) -> None:
        """Link a hearing to the tracked bills on its agenda, with one event per new link."""
        if not item.bill_ids:
            return
        # Bills of this batch are not written yet: they count as known too.
        known = {r["id"] for r in self._writes.upserts.get("bills", [])} & set(item.bill_ids)
        known |= {r[0] for r in self.db.execute(
            f"SELECT id FROM bills WHERE id IN ({_in_clause(item.bill_ids)})", item.bill_ids).fetchall()}
        linked = {r[0] for r in self.db.execute(
            "SELECT bill_id FROM meeting_bills WHERE meeting_id = ?", [item.id]).fetchall()}
        for bill in item.bill_ids:
            if bill not in known or bill in linked:
                continue
            linked.add(bill)
            self._writes.insert("meeting_bills", {"meeting_id": item.id, "bill_id": bill, "note": None})
            self._events([events.hearing_scheduled(item)], bill_id=bill, meeting_id=item.id)


class _Writes:
    """A batch's writes, gathered while comparing and then sent as a few ``executemany`` calls.

    One statement per row through sqlite-utils' table API re-reads the table's
    shape every time; batching keeps the pipeline near bulk-insert speed.
    """

    def __init__(self) -> None:
        self.upserts: dict[str, list[dict[str, Any]]] = {}
        self.deletes: dict[tuple[str, str], list[str]] = {}
        self.inserts: dict[str, list[dict[str, Any]]] = {}
        self.events: list[tuple[Any, ...]] = []
        self.keys: dict[str, tuple[str, ...]] = {}

    def upsert(self, table: str, row: dict[str, Any], key: tuple[str, ...] = ("id",)) -> None:
        self.upserts.setdefault(table, []).append(row)
        self.keys[table] = key

    def replace(self, table: str, key: str, item_id: str, rows: list[dict[str, Any]]) -> None:
        self.deletes.setdefault((table, key), []).append(item_id)
        self.inserts.setdefault(table, []).extend(rows)

    def insert(self, table: str, row: dict[str, Any]) -> None:
        self.inserts.setdefault(table, []).append(row)

    def flush(self, conn: Any) -> None:
        for table, rows in self.upserts.items():
            key = self.keys.get(table, ("id",))
            for columns, group in _by_columns(rows):
                names = ", ".join(f"[{c}]" for c in columns)
                updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in columns if c not in key)
                conn.executemany(
                    f"INSERT INTO [{table}] ({names}) VALUES ({', '.join('?' for _ in columns)})"
                    f" ON CONFLICT({', '.join(key)}) DO UPDATE SET {updates}", [[r[c] for c in columns] for r in group])
        for (table, key), ids in self.deletes.items():
            conn.executemany(f"DELETE FROM [{table}] WHERE [{key}] = ?", [[i] for i in ids])
        for table, rows in self.inserts.items():
            for columns, group in _by_columns(rows):
                conn.executemany(
                    f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in columns)})"
                    f" VALUES ({', '.join('?' for _ in columns)})", [[r[c] for c in columns] for r in group])
        if self.events:
            conn.executemany(
                "INSERT INTO events (detected_at, kind, bill_id, meeting_id, summary, details, run_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)", self.events)


def _by_columns(rows: list[dict[str, Any]]) -> list[tuple[tuple[str, ...], list[dict[str, Any]]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    return list(groups.items())


def _dedupe(items: list[Any]) -> list[Any]:
    """The last copy of each id wins, so one batch never writes a row twice."""
    by_id = {item.id: item for item in items}
    return list(by_id.values())


def record_comment_deadlines(db: sqlite_utils.Database, today: date | None = None, days: int = 14,
                             run_id: int | None = None) -> int:
    """One ``comment_deadline`` event per relevant comment period that now closes within ``days``.

    A period is identified by its meeting and closing date, so an extended
    deadline is a new period and is announced again.
    """
    today = today or datetime.now(UTC).date()
    horizon = today + timedelta(days=days)
    rows = list(db.query(
        "SELECT id, title, agency, comments_close_on FROM meetings WHERE relevant = 1"
        " AND comments_close_on >= ? AND comments_close_on <= ?"
        " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.kind = 'comment_deadline' AND e.meeting_id = meetings.id"
        "   AND json_extract(e.details, '$.close_on') = meetings.comments_close_on)",
        [today.isoformat(), horizon.isoformat()]))
    if not rows:
        return 0
    writes = _Writes()
    for row in rows:
        kind, summary, details = events.comment_deadline(row["comments_close_on"], row["agency"], row["title"])
        writes.events.append((utcnow(), kind, None, row["id"], summary, dumps(details), run_id))
    with write_transaction(db):
        writes.flush(db.conn)
    return len(rows)


def save_topics(db: sqlite_utils.Database, taxonomy: Any) -> None:
    """Mirror topics.yml into the ``topics`` table, so tags link to their plain-language names."""
    rows = [{"slug": t.slug, "name": t.name, "description": t.description} for t in taxonomy.topics]
    with write_transaction(db):
        db["topics"].upsert_all(rows, pk="slug")
        # A topic taken out of topics.yml leaves the site's lists; its old tags still show their slug.
        db.execute(f"DELETE FROM topics WHERE slug NOT IN ({', '.join('?' * len(rows))})", [r["slug"] for r in rows])
