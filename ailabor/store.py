"""Storage of bills and meetings with their change events, one batch per transaction.

A batch is written inside one write transaction together with the events
that describe what changed in it, so a crawl killed at any moment leaves
either the whole batch and its events or neither. Events are written only
when stored content really changed: a re-crawl of identical data writes
none.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlite_utils

from ailabor.records import BillItem, MeetingItem, ScreeningItem, TextItem, WatchOutcome
from db import write_transaction
from db.vocab import DEFAULT_PRIORITY, chambers_needed, derive_status

_BILL_CONTENT = (
    "jurisdiction", "session", "identifier", "chamber", "classification", "title", "summary",
    "subjects", "other_titles", "status", "status_date", "introduced_date", "latest_action", "latest_action_date",
    "url", "source", "source_id",
)
_MEETING_CONTENT = (
    "jurisdiction", "agency", "agency_slug", "kind", "title", "abstract", "start", "location",
    "comments_close_on", "docket_id", "document_url", "agenda_url", "minutes_url", "published_date",
    "source", "source_id",
)
_SPONSOR_COLUMNS = ("name", "role", "party", "state", "district", "person_id")
_VERSION_COLUMNS = ("url", "note", "date", "media_type")
# Fields whose change is news for a meeting; the rest change silently.
_MEETING_NEWS = ("kind", "title", "start", "location", "comments_close_on", "agenda_url", "minutes_url")
# A source that adds to a meeting another source describes (Regulations.gov comment dates and counts on a
# Federal Register notice) files its additions in source_meta under this key, by source name:
# {"fields": {column: value}, "meta": {...}}. They survive the other source's rewrites and their fields win,
# so the merged meeting is the same whichever source arrives first.
CONTRIBUTIONS = "contributed"


def utcnow() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _hash(row: dict[str, Any], fields: Sequence[str]) -> str:
    payload = json.dumps([row.get(f) for f in fields], sort_keys=True, default=str)
    return hashlib.sha1(payload.encode()).hexdigest()


def _dumps(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def display_id(jurisdiction: str, identifier: str) -> str:
    """``CA AB 1018``: how a person writes a bill's name."""
    return f"{jurisdiction.upper()} {identifier}"


@dataclass
class Counts:
    new: int = 0
    updated: int = 0

    def __iadd__(self, other: Counts) -> Counts:
        self.new += other.new
        self.updated += other.updated
        return self


def topic_tuples(matches: Iterable[Any]) -> list[tuple[str, float, str | None, str | None]]:
    """A classification's topics as the topics tables hold them: (topic, score, matched, found_in)."""
    return [(m.slug, float(m.score), _dumps(list(m.matched)), _dumps(m.found_in)) for m in matches]


def topic_rows(key: str, item_id: str, tuples: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [{key: item_id, "topic": t[0], "score": t[1], "matched": t[2], "found_in": t[3]} for t in tuples]


def _in_clause(ids: Sequence[str]) -> str:
    return ",".join("?" for _ in ids)


def _relevance(item: BillItem | MeetingItem, override: int | None) -> tuple[int, float, list[Any]]:
    classification = item.relevance
    if classification is None:
        relevant, score, topics = 0, 0.0, []
    else:
        relevant, score, topics = int(classification.relevant), float(classification.score), list(classification.topics)
    if override is not None:
        relevant = override
    return relevant, score, topics


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
                    "ai_matched": _dumps(screening.ai_matched), "screened_at": utcnow()})
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
        relevant, score, matches = _relevance(item, self._overrides([item.bill_id]).get(item.bill_id))
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

    def _event(self, kind: str, summary: str, details: dict[str, Any], *, bill_id: str | None = None,
               meeting_id: str | None = None) -> None:
        self._writes.events.append((utcnow(), kind, bill_id, meeting_id, summary, _dumps(details), self.run_id))

    def _overrides(self, ids: Sequence[str]) -> dict[str, int]:
        rows = self.db.execute(
            f"SELECT item_id, relevant FROM overrides WHERE item_id IN ({_in_clause(ids)})", list(ids)
        ).fetchall()
        return {item_id: relevant for item_id, relevant in rows}

    def _children(self, sql: str, ids: Sequence[str]) -> dict[str, list[tuple[Any, ...]]]:
        out: dict[str, list[tuple[Any, ...]]] = {}
        if not ids:  # nothing of this batch is stored yet: nothing to compare with
            return out
        for row in self.db.execute(sql.format(ids=_in_clause(ids)), list(ids)).fetchall():
            out.setdefault(row[0], []).append(tuple(row[1:]))
        return out

    def _save_bills(self, items: list[BillItem]) -> Counts:
        ids = [i.id for i in items]
        marks = _in_clause(ids)
        existing = {r["id"]: r for r in self.db.query(f"SELECT * FROM bills WHERE id IN ({marks})", ids)}
        overrides = self._overrides(ids)
        ids = list(existing)  # only stored bills have stored children
        actions = self._children(
            "SELECT bill_id, date, description, actor, classification FROM actions"
            " WHERE bill_id IN ({ids}) ORDER BY bill_id, seq", ids)
        sponsors = self._children(
            "SELECT bill_id, name, role, party, state, district, person_id FROM sponsors"
            " WHERE bill_id IN ({ids}) ORDER BY bill_id, role, name", ids)
        versions = self._children(
            "SELECT bill_id, url, note, date, media_type FROM versions WHERE bill_id IN ({ids})"
            " ORDER BY bill_id, date, url", ids)
        topics = self._children(
            "SELECT bill_id, topic, score, matched, found_in FROM bill_topics WHERE bill_id IN ({ids})"
            " ORDER BY bill_id, topic", ids)
        counts = Counts()
        now = utcnow()
        for item in items:
            old = existing.get(item.id)
            row = self._bill_row(item, old)
            relevant, score, matches = _relevance(item, overrides.get(item.id))
            row.update(relevant=relevant, relevance_score=score)
            new_actions = None if item.actions is None else [
                (a.date, a.description, a.actor, _dumps(a.classification or [])) for a in item.actions]
            # Upstreams repeat people and links; the first of each key (the table's primary key) is kept.
            new_sponsors = None if item.sponsors is None else sorted(_first_by_key(
                ((s.name, s.role, s.party, s.state, s.district, s.person_id) for s in item.sponsors), 2))
            new_versions = None if item.versions is None else sorted(_first_by_key(
                ((v.url, v.note, v.date, v.media_type) for v in item.versions), 1), key=lambda v: (v[2] or "", v[0]))
            new_topics = topic_tuples(matches)

            changed_actions = new_actions is not None and new_actions != actions.get(item.id, [])
            changed_sponsors = new_sponsors is not None and new_sponsors != sponsors.get(item.id, [])
            changed_versions = new_versions is not None and new_versions != versions.get(item.id, [])
            changed_topics = new_topics != topics.get(item.id, [])
            content_changed = old is None or old["content_hash"] != row["content_hash"]
            news = content_changed or changed_actions or changed_sponsors or changed_versions
            bookkeeping = old is not None and (
                old["relevant"] != relevant or old["relevance_score"] != score
                or old["source_updated_at"] != row["source_updated_at"] or old["source_meta"] != row["source_meta"]
                or old["stage_reached"] != row["stage_reached"])
            if not (news or changed_topics or bookkeeping):
                continue

            row["first_seen_at"] = old["first_seen_at"] if old else now
            row["updated_at"] = now if news or old is None else old["updated_at"]
            self._writes.upsert("bills", row)
            if changed_actions:
                self._replace("actions", item.id, old is not None, [
                    {"bill_id": item.id, "seq": n, "date": a[0], "description": a[1], "actor": a[2],
                     "classification": a[3]} for n, a in enumerate(new_actions or [])])
            if changed_sponsors:
                self._replace("sponsors", item.id, old is not None, [
                    dict(zip(_SPONSOR_COLUMNS, s, strict=True), bill_id=item.id) for s in new_sponsors or []])
            if changed_versions:
                self._replace("versions", item.id, old is not None, [
                    dict(zip(_VERSION_COLUMNS, v, strict=True), bill_id=item.id) for v in new_versions or []])
            if changed_topics:
                self._replace("bill_topics", item.id, old is not None, topic_rows("bill_id", item.id, new_topics))

            name = display_id(item.jurisdiction, item.identifier)
            if old is None:
                counts.new += 1
                self._event("bill_new", f"New bill: {name}, {item.title}",
                            {"title": item.title, "status": row["status"]}, bill_id=item.id)
                continue
            if news:
                counts.updated += 1
            if changed_actions:
                seen = list(actions.get(item.id, []))
                for action in new_actions or []:
                    if any(a[:3] == action[:3] for a in seen):
                        seen.remove(next(a for a in seen if a[:3] == action[:3]))
                        continue
                    self._event("bill_action", f"{name}: {action[1]} ({action[0]})",
                                {"date": action[0], "description": action[1], "actor": action[2],
                                 "classification": json.loads(action[3])}, bill_id=item.id)
            if old["status"] != row["status"] and row["status"]:
                self._event("bill_status", f"{name} moved from {old['status'] or 'unknown'} to {row['status']}",
                            {"from": old["status"], "to": row["status"], "date": row["status_date"]},
                            bill_id=item.id)
            if changed_versions:
                known = {v[0] for v in versions.get(item.id, [])}
                for version in new_versions or []:
                    if version[0] not in known:
                        self._event("bill_version", f"{name}: new text, {version[1] or 'version'}",
                                    {"url": version[0], "note": version[1], "date": version[2]}, bill_id=item.id)
        return counts

    def _replace(self, table: str, item_id: str, stored: bool, rows: list[dict[str, Any]]) -> None:
        """The item's rows of ``table`` become ``rows``; an item new to the database has none to delete."""
        key = "meeting_id" if table == "meeting_topics" else "bill_id"
        if stored:
            self._writes.replace(table, key, item_id, rows)
        else:
            self._writes.inserts.setdefault(table, []).extend(rows)

    @staticmethod
    def _bill_row(item: BillItem, old: dict[str, Any] | None) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": item.id,
            "jurisdiction": item.jurisdiction.lower(),
            "session": item.session,
            "identifier": item.identifier,
            "chamber": item.chamber,
            "classification": item.classification,
            "title": item.title.strip(),
            "summary": item.summary,
            "subjects": _dumps(sorted(set(item.subjects))),
            "other_titles": _dumps([t for t in dict.fromkeys(item.other_titles) if t != item.title]),
            "introduced_date": item.introduced_date,
            "url": item.url,
            "source": item.source,
            "source_id": item.source_id,
            "source_updated_at": item.source_updated_at,
            "source_meta": _dumps(item.source_meta or {}),
        }
        if item.actions is not None:
            progress = derive_status(item.actions, chambers_needed(item.jurisdiction, item.classification))
            last = item.actions[-1] if item.actions else None
            row.update(
                status=item.status or progress.status,
                status_date=item.status_date or progress.status_date,
                stage_reached=progress.reached,
                latest_action=last.description if last else None,
                latest_action_date=last.date if last else None,
            )
        else:
            for name in ("status", "status_date", "latest_action", "latest_action_date"):
                row[name] = getattr(item, name) or (old[name] if old else None)
            row["stage_reached"] = old["stage_reached"] if old else None
        if not row["introduced_date"] and item.actions:
            row["introduced_date"] = item.actions[0].date
        row["content_hash"] = _hash(row, _BILL_CONTENT)
        return row

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
            row = {name: getattr(item, name) for name in ("id",) + _MEETING_CONTENT + ("source_updated_at",)}
            row["source_meta"] = _dumps(item.source_meta or {})
            adds_only = _merge_contributions(row, old, item.source)
            row["content_hash"] = _hash(row, _MEETING_CONTENT)
            if adds_only:
                # The description is the other source's, and so is the relevance judged from it.
                relevant, score, new_topics = overrides.get(item.id, old["relevant"]), old["relevance_score"], []
                changed_topics = False
            else:
                relevant, score, matches = _relevance(item, overrides.get(item.id))
                new_topics = topic_tuples(matches)
                changed_topics = new_topics != topics.get(item.id, [])
            row.update(relevant=relevant, relevance_score=score)
            news = old is None or old["content_hash"] != row["content_hash"]
            bookkeeping = old is not None and any(old[k] != row[k] for k in (
                "relevant", "relevance_score", "source_updated_at", "source_meta"))
            if news or changed_topics or bookkeeping:
                row["first_seen_at"] = old["first_seen_at"] if old else now
                row["updated_at"] = now if news else old["updated_at"]
                self._writes.upsert("meetings", row)
            if changed_topics:
                self._replace("meeting_topics", item.id, old is not None,
                              topic_rows("meeting_id", item.id, new_topics))
            self._link_bills(item)
            label = item.agency or item.source
            if old is None:
                counts.new += 1
                self._event("meeting_new", f"New {item.kind.replace('_', ' ')} from {label}: {item.title}",
                            {"kind": item.kind, "start": item.start, "comments_close_on": item.comments_close_on},
                            meeting_id=item.id)
            elif news:
                counts.updated += 1
                changes = {k: {"from": old[k], "to": row[k]} for k in _MEETING_NEWS if old[k] != row[k]}
                if changes:
                    said = "; ".join(f"{k.replace('_', ' ')} {v['from'] or 'none'} → {v['to'] or 'none'}"
                                     for k, v in changes.items())
                    self._event("meeting_changed", f"{label}: {item.title}: {said}", changes, meeting_id=item.id)
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
            when = _readable_time(item.start) if item.start else "a date to be announced"
            self._event("hearing_scheduled", f"Hearing scheduled on {when}: {item.title}",
                        {"meeting_id": item.id, "start": item.start}, bill_id=bill, meeting_id=item.id)


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


def _merge_contributions(row: dict[str, Any], old: dict[str, Any] | None, source: str) -> bool:
    """Carry the other sources' contributions into ``row`` and apply their fields.

    Returns True when ``row`` comes from a source that only contributes to a
    meeting another source described: that description is kept as stored.
    """
    meta = json.loads(row["source_meta"])
    own = meta.get(CONTRIBUTIONS) or {}
    old_meta = json.loads(old["source_meta"] or "{}") if old else {}
    adds_only = old is not None and old["source"] != source and source in own
    if adds_only:
        for name in _MEETING_CONTENT + ("source_updated_at",):
            row[name] = old[name]
        meta = dict(old_meta)
    contributions = {name: entry for name, entry in (old_meta.get(CONTRIBUTIONS) or {}).items() if name != source}
    contributions.update(own)
    if contributions:
        meta[CONTRIBUTIONS] = contributions
    for entry in contributions.values():
        for column, value in (entry.get("fields") or {}).items():
            if column in _MEETING_CONTENT and value is not None:
                row[column] = value
    row["source_meta"] = _dumps(meta)
    return adds_only


def _first_by_key(rows: Iterable[tuple[Any, ...]], width: int) -> list[tuple[Any, ...]]:
    """Rows with distinct leading ``width`` columns, the first of each."""
    seen: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for row in rows:
        seen.setdefault(row[:width], row)
    return list(seen.values())


def _readable_time(value: str) -> str:
    """``2025-07-09 at 13:30`` from an ISO date-time, as a sentence in an email or a feed can carry it.

    A local time stays local (the hearing room's clock); a time given in UTC says so.
    """
    day, _, clock = value.partition("T")
    if not clock[:5] or clock[:5] == "00:00":
        return day
    return f"{day} at {clock[:5]}{' UTC' if clock.endswith('Z') else ''}"


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
        summary = f"Comments close on {row['comments_close_on']}: {row['agency'] or ''} {row['title']}"
        writes.events.append((utcnow(), "comment_deadline", None, row["id"], " ".join(summary.split()),
                              _dumps({"close_on": row["comments_close_on"]}), run_id))
    with write_transaction(db):
        writes.flush(db.conn)
    return len(rows)


# The latest version first. A version without a date is a law's text (Congress.gov dates none): the last.
LATEST_FIRST = "coalesce(date, '9999') DESC"
#: The text a bill is judged on: the latest version's that has been read.
LATEST_TEXT = f"SELECT text FROM bill_texts WHERE bill_id = {{bill}} ORDER BY {LATEST_FIRST}, fetched_at DESC LIMIT 1"


def stored_text(database: Any, bill_id: str) -> str | None:
    """The text of the latest version of a bill that has been read, if any."""
    row = database.execute(LATEST_TEXT.format(bill="?"), [bill_id]).fetchone()
    return row[0] if row else None


def bill_fields(database: Any, bill_id: str) -> tuple[str, list[str], str | None, list[str]] | None:
    """A stored bill's title, other titles, summary and subjects: what it is judged on besides its text."""
    row = database.execute("SELECT title, other_titles, summary, subjects FROM bills WHERE id = ?",
                           [bill_id]).fetchone()
    if row is None:
        return None
    return row[0], json_list(row[1]), row[2], json_list(row[3])


def json_list(value: str | None) -> list[str]:
    try:
        found = json.loads(value or "[]")
    except ValueError:
        return []
    return [s for s in found if isinstance(s, str)] if isinstance(found, list) else []


#: Runs in which a version's text could not be read before it is no longer asked for.
TEXT_ATTEMPTS = 3


def text_backlog(db: sqlite_utils.Database, source: str, limit: int) -> list[tuple[str, str, Any, Any, Any]]:
    """The bills of ``source`` whose latest version's text is worth reading and not read yet, most wanted first.

    Worth reading: a bill the union follows (a position, the watchlist), one
    in which the classifier saw any phrase of its own, one without a summary
    (most states publish none, and CRS summarises fewer than two bills in
    three), or one whose upstream said its text mentions AI. Of a version
    published as HTML and PDF, the HTML is read. A text that failed
    ``TEXT_ATTEMPTS`` times is left alone.
    Returns (bill id, url, note, date, media type).
    """
    followed = ("(EXISTS (SELECT 1 FROM positions p WHERE p.bill_id = b.id)"
                " OR EXISTS (SELECT 1 FROM watchlist w WHERE w.bill_id = b.id))")
    rows = db.execute(
        "SELECT b.id, v.url, v.note, v.date, v.media_type FROM bills b JOIN versions v ON v.rowid = ("
        f"  SELECT rowid FROM versions WHERE bill_id = b.id ORDER BY {LATEST_FIRST},"
        "  (coalesce(media_type, '') LIKE '%html%') DESC, rowid DESC LIMIT 1)"
        " WHERE b.source = ? AND NOT EXISTS (SELECT 1 FROM bill_texts t WHERE t.bill_id = b.id AND t.url = v.url)"
        f" AND (b.relevance_score > 0 OR b.summary IS NULL OR json_extract(b.source_meta, '$.text_hint') = 1"
        f"      OR {followed})"
        " AND (SELECT count(*) FROM crawl_errors e WHERE e.kind = 'text_unavailable' AND e.url = v.url) < ?"
        f" ORDER BY {followed} DESC, b.relevant DESC, b.first_seen_at DESC LIMIT ?",
        [source, TEXT_ATTEMPTS, limit]).fetchall()
    return [tuple(r) for r in rows]


def save_topics(db: sqlite_utils.Database, taxonomy: Any) -> None:
    """Mirror topics.yml into the ``topics`` table, so tags link to their plain-language names."""
    rows = [{"slug": t.slug, "name": t.name, "description": t.description} for t in taxonomy.topics]
    with write_transaction(db):
        db["topics"].upsert_all(rows, pk="slug")
        # A topic taken out of topics.yml leaves the site's lists; its old tags still show their slug.
        db.execute(f"DELETE FROM topics WHERE slug NOT IN ({', '.join('?' * len(rows))})", [r["slug"] for r in rows])
