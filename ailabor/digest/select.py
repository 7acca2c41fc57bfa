"""Which events and upcoming meetings a digest covers, read from the database and filed under sections."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import sqlite_utils

from ailabor.digest.config import DigestDef
from ailabor.digest.footer import health_flags
from ailabor.digest.text import human_date, one_line, short_title, web_url, words
from db.vocab import PRIORITIES, display_id

DEFAULT_SITE_URL = "http://127.0.0.1:8001"

# (key, heading, one, many): the email's sections in order, and how the subject counts them.
SECTIONS = (
    ("status", "Status changes", "status change", "status changes"),
    ("new_bills", "New bills", "new bill", "new bills"),
    ("actions", "Actions and hearings on bills", "action or hearing", "actions and hearings"),
    ("agencies", "New from agencies", "agency item", "agency items"),
    ("upcoming", "Coming up: meetings and hearings", "meeting ahead", "meetings ahead"),
    ("deadlines", "Comment periods closing", "comment deadline", "comment deadlines"),
)
_BILL_EVENTS = ("bill_new", "bill_status", "bill_action", "bill_version", "hearing_scheduled")
# Every step of a bill is news only for bills the union follows; for the rest the status says enough.
_WATCHED_EVENTS = ("bill_action", "bill_version")
_CALENDAR_KINDS = ("meeting", "hearing")
_MEETING_SECTIONS = ("agencies", "upcoming", "deadlines")


@dataclass(frozen=True)
class Why:
    """A topic an item was tagged with and the phrases in its text that put it there."""

    slug: str
    name: str
    matched: tuple[str, ...]


@dataclass(frozen=True)
class Position:
    stance: str
    priority: str | None  # None when the digest leaves the office (show_notes: false)
    note: str | None


@dataclass
class Item:
    """A bill or meeting as one entry of a section, with everything the templates show."""

    kind: str  # "bill" or "meeting"
    id: str
    label: str
    title: str
    site_url: str
    official_url: str | None
    topics: list[Why]
    position: Position | None
    detail: str | None = None  # meeting kind, or a bill's status
    change: tuple[str, str] | None = None  # a status change, from → to
    when: str | None = None
    lines: list[str] = field(default_factory=list)
    new: bool = False


@dataclass
class _Entry:
    """What a section gathers about one bill or meeting; made into an Item only if the email shows it."""

    row: Mapping[str, Any]
    rank: tuple[Any, ...]
    lines: list[str] = field(default_factory=list)
    change: tuple[str, str] | None = None
    when: str | None = None
    new: bool = False


@dataclass
class Section:
    key: str
    title: str
    items: list[Item]  # at most the digest's max_per_section, the union's priorities first
    total: int
    more_url: str  # the whole list on the site, for a section cut short

    @property
    def more(self) -> int:
        return self.total - len(self.items)


@dataclass
class Digest:
    """One rendered-to-be email: the event range it covers and what is in it."""

    definition: DigestDef
    first_event_id: int | None
    last_event_id: int | None
    events_checked: int
    news: int  # events that made it into a section; none means nothing to tell
    sections: list[Section]
    site_url: str
    flags: list[str]

    @property
    def counts(self) -> str:
        totals = {s.key: s.total for s in self.sections}
        parts = [f"{totals[key]:,} {one if totals[key] == 1 else many}"
                 for key, _, one, many in SECTIONS if totals[key]]
        return ", ".join(parts) or "nothing new"

    @property
    def subject(self) -> str:
        return f"{self.definition.subject}: {self.counts}"


def last_sent_event(database: sqlite_utils.Database, name: str) -> int:
    """Where the next digest starts: after the last event a sent (or checked and empty) digest covered."""
    row = database.execute(
        "SELECT max(last_event_id) FROM digests WHERE name = ? AND status IN ('sent', 'empty')", [name]).fetchone()
    return row[0] or 0


_BILLS_SQL = """
SELECT b.id, b.jurisdiction, b.identifier, b.title, b.status, b.status_date, b.url, b.relevant,
       p.stance, p.priority, p.note
  FROM bills b LEFT JOIN positions p ON p.bill_id = b.id
 WHERE b.id IN (SELECT bill_id FROM events WHERE id > :after AND id <= :upto)
"""

# The meetings that events name, and the relevant ones whose date falls within the look-ahead.
_MEETINGS_SQL = """
WITH linked AS (
  SELECT mb.meeting_id,
         max(p.bill_id IS NOT NULL) AS watched,
         max(b.relevant = 1 OR p.bill_id IS NOT NULL) AS tracked,
         json_group_array(b.name) AS bills
    FROM meeting_bills mb JOIN bills b ON b.id = mb.bill_id LEFT JOIN positions p ON p.bill_id = b.id
   GROUP BY mb.meeting_id)
SELECT m.id, m.jurisdiction, m.agency, m.source, m.kind, m.title, m.start, m.location, m.comments_close_on,
       m.docket_id, m.document_url, m.relevant,
       coalesce(l.watched, 0) AS watched, coalesce(l.tracked, 0) AS tracked, l.bills
  FROM meetings m LEFT JOIN linked l ON l.meeting_id = m.id
 WHERE m.id IN (SELECT meeting_id FROM events WHERE id > :after AND id <= :upto)
    OR ((m.relevant = 1 OR l.tracked = 1)
        AND ((m.kind IN ('meeting', 'hearing') AND substr(m.start, 1, 10) BETWEEN :today AND :horizon)
             OR m.comments_close_on BETWEEN :today AND :horizon))
"""

# The topics of many items at once: their ids travel as one JSON array, clear of SQLite's parameter limit.
_TOPICS_SQL = """
SELECT tt.{key}, tt.topic, coalesce(t.name, tt.topic), tt.matched
  FROM {table} tt LEFT JOIN topics t ON t.slug = tt.topic
 WHERE tt.{key} IN (SELECT value FROM json_each(?))
 ORDER BY tt.{key}, tt.score DESC, tt.topic
"""


def select_digest(database: sqlite_utils.Database, definition: DigestDef, *, today: date | None = None,
                  site_url: str | None = None, span: tuple[int, int] | None = None) -> Digest:
    """What ``definition`` has to tell after its last sent event, in a fixed number of queries.

    ``span`` (after, up to) selects the events of an earlier digest instead, to send it again.
    """
    today = today or datetime.now(UTC).date()
    site = (site_url or os.environ.get("AILABOR_SITE_URL") or DEFAULT_SITE_URL).rstrip("/")
    if span:
        after, upto = span
    else:
        after = last_sent_event(database, definition.name)
        # Bounding every query by the newest event keeps the range exact while a crawl writes more.
        upto = database.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
    horizon = today + timedelta(days=definition.look_ahead_days or -1)
    params = {"after": after, "upto": upto, "today": today.isoformat(), "horizon": horizon.isoformat()}
    events = database.execute(
        "SELECT id, kind, bill_id, meeting_id, details FROM events WHERE id > :after AND id <= :upto ORDER BY id",
        params).fetchall()
    bills = _with_topics(database, database.query(_BILLS_SQL, params), "bill_topics", "bill_id")
    meetings = _with_topics(database, database.query(_MEETINGS_SQL, params), "meeting_topics", "meeting_id")
    builder = _Builder(definition, site, today, horizon, (after, upto))
    news = 0
    for _, kind, bill_id, meeting_id, details in events:
        if definition.kinds and kind not in definition.kinds:
            continue
        if kind in _BILL_EVENTS:
            if bill_id in bills:
                news += builder.bill_event(kind, bills[bill_id], details, meetings.get(meeting_id))
        elif meeting_id in meetings:
            news += builder.meeting_event(kind, meetings[meeting_id], details)
    builder.calendar(meetings.values())
    return Digest(
        definition=definition,
        first_event_id=events[0][0] if events else None,
        last_event_id=events[-1][0] if events else None,
        events_checked=len(events), news=news, sections=builder.sections(), site_url=site,
        flags=health_flags(database))


def _with_topics(database: sqlite_utils.Database, rows: Iterable[dict[str, Any]], table: str,
                 key: str) -> dict[str, dict[str, Any]]:
    """Rows by id, each with its topics as (slug, name, matched JSON), best first.

    The phrases stay JSON until an item is shown: most rows are only filtered by slug.
    """
    by_id = {row["id"]: {**row, "topics": []} for row in rows}
    found = database.execute(_TOPICS_SQL.format(table=table, key=key), [json.dumps(list(by_id))])
    for item_id, slug, name, matched in found:
        by_id[item_id]["topics"].append((slug, name, matched))
    return by_id


def _why(topics: list[tuple[str, str, str | None]]) -> list[Why]:
    return [Why(slug, name, tuple(_phrases(matched))) for slug, name, matched in topics]


def _phrases(matched: str | None) -> list[str]:
    try:
        phrases = json.loads(matched or "[]")
    except ValueError:
        return [matched or ""]
    return [str(p) for p in phrases] if isinstance(phrases, list) else [str(phrases)]


class _Builder:
    """Files events under sections, one entry per bill or meeting, applying the digest's filters."""

    def __init__(self, definition: DigestDef, site: str, today: date, horizon: date, span: tuple[int, int]) -> None:
        self.d = definition
        self.site = site
        self.today, self.horizon = today.isoformat(), horizon.isoformat()
        self.span = span
        self.by_section: dict[str, dict[str, _Entry]] = {key: {} for key, *_ in SECTIONS}
        self.touched: dict[str, list[str]] = {}  # meeting id → what changed, for the calendar's "new"
        self.verdicts: dict[str, bool] = {}
        self.min_rank = PRIORITIES.index(definition.min_priority) if definition.min_priority else None

    # filters

    def _allowed(self, row: Mapping[str, Any], check: Any) -> bool:
        verdict = self.verdicts.get(row["id"])
        if verdict is None:
            verdict = self.verdicts[row["id"]] = check(row) and (
                not self.d.jurisdictions or row["jurisdiction"] in self.d.jurisdictions) and (
                not self.d.topics or any(t[0] in self.d.topics for t in row["topics"]))
        return verdict

    def _bill_in_scope(self, bill: Mapping[str, Any]) -> bool:
        if bill["stance"] is None and (self.d.watched_only or not bill["relevant"]):
            return False
        return self.min_rank is None or (
            bill["priority"] in PRIORITIES and PRIORITIES.index(bill["priority"]) <= self.min_rank)

    def _meeting_in_scope(self, meeting: Mapping[str, Any]) -> bool:
        return bool(meeting["watched"] if self.d.watched_only else meeting["relevant"] or meeting["tracked"])

    # entries

    def _bill_entry(self, section: str, bill: Mapping[str, Any]) -> _Entry:
        entries = self.by_section[section]
        entry = entries.get(bill["id"])
        if entry is None:
            # The union's priorities first, then unpositioned bills, each by jurisdiction and number.
            priority = PRIORITIES.index(bill["priority"]) if bill["priority"] in PRIORITIES else len(PRIORITIES)
            rank = (priority if bill["stance"] else len(PRIORITIES) + 1, bill["jurisdiction"], bill["identifier"])
            entry = entries[bill["id"]] = _Entry(bill, rank, when=bill["status_date"])
        return entry

    def _meeting_entry(self, section: str, meeting: Mapping[str, Any]) -> _Entry:
        entries = self.by_section[section]
        entry = entries.get(meeting["id"])
        if entry is None:
            entry = entries[meeting["id"]] = _Entry(meeting, (meeting["start"] or "", meeting["id"]))
        return entry

    def _bill_item(self, entry: _Entry) -> Item:
        bill = entry.row
        position = None
        if bill["stance"]:
            notes = self.d.show_notes
            position = Position(bill["stance"], bill["priority"] if notes else None,
                                one_line(bill["note"]) or None if notes else None)
        return Item(
            kind="bill", id=bill["id"], label=display_id(bill["jurisdiction"], bill["identifier"]),
            title=short_title(bill["title"]), site_url=f"{self.site}/tracker/bills/{_quote(bill['id'])}",
            official_url=web_url(bill["url"]), topics=_why(bill["topics"]), position=position,
            detail=words(bill["status"]), change=entry.change, when=entry.when, lines=entry.lines)

    def _meeting_item(self, entry: _Entry) -> Item:
        meeting = entry.row
        agency = meeting["agency"] or meeting["source"]
        bills = json.loads(meeting["bills"]) if meeting["bills"] else []
        agenda = [f"On the agenda: {', '.join(bills)}"] if bills else []
        return Item(
            kind="meeting", id=meeting["id"], label=f"{meeting['jurisdiction'].upper()} {agency}",
            title=short_title(meeting["title"]), site_url=f"{self.site}/tracker/meetings/{_quote(meeting['id'])}",
            official_url=web_url(meeting["document_url"]), topics=_why(meeting["topics"]), position=None,
            detail=words(meeting["kind"]) + (f", docket {meeting['docket_id']}" if meeting["docket_id"] else ""),
            when=entry.when or _meeting_date(meeting), lines=entry.lines + agenda, new=entry.new)

    def bill_event(self, kind: str, bill: Mapping[str, Any], details: str | None,
                   meeting: Mapping[str, Any] | None) -> int:
        if not self._allowed(bill, self._bill_in_scope):
            return 0
        if kind in _WATCHED_EVENTS and bill["stance"] is None:
            return 0
        if kind == "bill_new":
            self._bill_entry("new_bills", bill)
            return 1
        if kind == "bill_status" and bill["id"] in self.by_section["new_bills"]:
            return 1  # a bill new in this digest is shown once, with the status it has now
        info = json.loads(details) if details else {}
        if kind == "bill_status":
            item = self._bill_entry("status", bill)
            start = item.change[0] if item.change else words(info.get("from")) or "unknown"
            item.change = (start, words(info.get("to")) or "unknown")
            item.when = info.get("date") or item.when
            return 1
        item = self._bill_entry("actions", bill)
        if kind == "bill_action":
            said = one_line(info.get("description")) or "an action"
            item.lines.append(f"{info['date']}: {said}" if info.get("date") else said)
        elif kind == "bill_version":
            item.lines.append(f"New text: {one_line(info.get('note')) or 'a new version'}"
                              + (f" ({info['date']})" if info.get("date") else ""))
        else:
            title = short_title(meeting["title"]) if meeting else "a hearing"
            item.lines.append(f"Hearing on {human_date(info.get('start')) or 'a date to be announced'}: {title}")
            if meeting:
                self.touched.setdefault(meeting["id"], []).append("Hearing set on this bill")
        return 1

    def meeting_event(self, kind: str, meeting: Mapping[str, Any], details: str | None) -> int:
        if not self._allowed(meeting, self._meeting_in_scope):
            return 0
        info = json.loads(details) if details else {}
        if kind == "meeting_new":
            line = f"New {words(meeting['kind'])}"
        elif kind == "meeting_changed":
            line = "Changed: " + "; ".join(
                f"{words(k)} {human_date(v.get('from')) or 'none'} → {human_date(v.get('to')) or 'none'}"
                for k, v in info.items() if isinstance(v, dict))
        else:
            line = f"Comments close on {human_date(info.get('close_on'))}"
        self.touched.setdefault(meeting["id"], []).append(line)
        if not self._in_calendar(meeting):
            self._meeting_entry("agencies", meeting).lines.append(line)
        return 1

    def _upcoming(self, meeting: Mapping[str, Any]) -> bool:
        return meeting["kind"] in _CALENDAR_KINDS and self.today <= (meeting["start"] or "")[:10] <= self.horizon

    def _closing(self, meeting: Mapping[str, Any]) -> bool:
        return self.today <= (meeting["comments_close_on"] or "") <= self.horizon

    def _in_calendar(self, meeting: Mapping[str, Any]) -> bool:
        return self._upcoming(meeting) or self._closing(meeting)

    def calendar(self, meetings: Iterable[Mapping[str, Any]]) -> None:
        for meeting in meetings:
            if not self._allowed(meeting, self._meeting_in_scope):
                continue
            for section, on, when in (("upcoming", self._upcoming, "start"),
                                      ("deadlines", self._closing, "comments_close_on")):
                if on(meeting):
                    touched = self.touched.get(meeting["id"])
                    entry = _Entry(meeting, (meeting[when], meeting["id"]), list(touched or ()),
                                   when=human_date(meeting[when]), new=touched is not None)
                    if section == "upcoming" and meeting["location"]:
                        entry.lines.append(f"Where: {one_line(meeting['location'])}")
                    self.by_section[section][meeting["id"]] = entry

    def sections(self) -> list[Section]:
        limit = self.d.max_per_section
        out = []
        for key, title, *_ in SECTIONS:
            entries = self.by_section[key]
            # Sorting the whole section before cutting it keeps the union's priorities in the email.
            shown = sorted(entries.values(), key=lambda e: e.rank)[:limit]
            make = self._meeting_item if key in _MEETING_SECTIONS else self._bill_item
            items = [make(e) for e in shown]
            out.append(Section(key, title, items, len(entries), self._more_url(key)))
        return out

    def _more_url(self, section: str) -> str:
        """The section's whole list on the public site, as a Datasette table filter."""
        after, upto = self.span
        end = (date.fromisoformat(self.horizon) + timedelta(days=1)).isoformat()
        filters = {
            "status": f"events?kind=bill_status&id__gt={after}&id__lte={upto}",
            "new_bills": f"events?kind=bill_new&id__gt={after}&id__lte={upto}",
            "actions": f"events?kind__in=bill_action,bill_version,hearing_scheduled&id__gt={after}&id__lte={upto}",
            "agencies": f"events?kind__in=meeting_new,meeting_changed,comment_deadline&id__gt={after}"
                        f"&id__lte={upto}",
            "upcoming": f"meetings?relevant=1&kind__in=meeting,hearing&start__gte={self.today}&start__lt={end}"
                        "&_sort=start",
            "deadlines": f"meetings?relevant=1&comments_close_on__gte={self.today}"
                         f"&comments_close_on__lte={self.horizon}&_sort=comments_close_on",
        }
        return f"{self.site}/tracker/{filters[section]}"


_URL_SAFE = re.compile(r"^[A-Za-z0-9._~-]+$")


def _quote(value: str) -> str:
    # Ids are nearly always URL-safe already; quote() costs more than the rest of an item.
    return value if _URL_SAFE.match(value) else quote(value, safe="")


def _meeting_date(meeting: Mapping[str, Any]) -> str:
    """The date that matters for an agency item outside the calendar sections."""
    if meeting["comments_close_on"]:
        return f"comments close {human_date(meeting['comments_close_on'])}"
    return human_date(meeting["start"])
