"""Email digests: what moved since a reader's last digest, why it matters, what is coming up; sent once.

A digest definition (digests.yml) says who gets it and which items; this
module takes the change events after the last event that digest covered,
keeps those its filters allow, renders one email (plain text and HTML) and
sends it over SMTP. The promise is the one readers of commercial trackers
miss most: no alert is lost and none is repeated. So the range of events
is recorded as sent only after the server accepted the message; a failed
send leaves the range for the next run; a recipient the server refused gets
that message again, alone, on the next runs (each recipient's outcome is kept
in ``digests.deliveries``); a lock file keeps two runs of one digest from
sending together, and the operating system drops the lock of a run that dies.
"""

from __future__ import annotations

import json
import os
import re
import smtplib
import ssl
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid, parseaddr
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import css_inline
import jinja2
import sqlite_utils
import yaml

import db
from ailabor.config import ConfigError, read_yaml
from ailabor.dates import utcnow
from ailabor.redaction import redact
from db import REPO_ROOT, write_transaction
from db.vocab import EVENT_KINDS, PRIORITIES, display_id

DIGESTS_FILE = REPO_ROOT / "digests.yml"
TEMPLATES = REPO_ROOT / "templates" / "email"
DEFAULT_SITE_URL = "http://127.0.0.1:8001"
SMTP_TIMEOUT = 60
TITLE_LIMIT = 300

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

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_ADDRESS = re.compile(r"^[^@\s<>,;:\"()\[\]]+@[^@\s<>,;:\"()\[\]]+$")
_JURISDICTION = re.compile(r"^[a-z]{2}$")
_SETTINGS = ("subject", "recipients", "topics", "jurisdictions", "kinds", "min_priority", "watched_only",
             "look_ahead_days", "send_when_empty", "show_notes", "unsubscribe", "max_per_section")


class DigestFailed(RuntimeError):
    """The digest could not be sent; the message is one line for the operator, with no secret in it.

    ``refused`` holds the recipients the server answered for (address → code and reply) when it
    refused them or the message; it is empty when the server could not be reached or refused the sender.
    """

    def __init__(self, message: str, refused: Mapping[str, tuple[int, str]] | None = None) -> None:
        super().__init__(message)
        self.refused = dict(refused or {})


# --- definitions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestDef:
    """One digest of digests.yml: its readers and its filters."""

    name: str
    subject: str
    recipients: tuple[str, ...]
    topics: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    min_priority: str | None = None
    watched_only: bool = False
    look_ahead_days: int = 14
    send_when_empty: bool = False
    show_notes: bool = False
    unsubscribe: str | None = None
    max_per_section: int = 100


def load_digests(path: Path = DIGESTS_FILE) -> dict[str, DigestDef]:
    """Read and check every definition, so a mistake is reported as one line naming its fix."""
    data = read_yaml(path)
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"{path.name}: expected one or more digests, each starting with its name and a colon")
    digests = {}
    for name, raw in data.items():
        digests[str(name)] = _definition(path.name, str(name), raw)
    if any(d.topics for d in digests.values()):
        _check_topics(path.name, digests.values())
    return digests


def get_digest(name: str, path: Path = DIGESTS_FILE) -> DigestDef:
    digests = load_digests(path)
    if name not in digests:
        raise ConfigError(f"no digest named {name!r} in {path.name}; the digests are: {', '.join(digests)}")
    return digests[name]


def _definition(source: str, name: str, raw: Any) -> DigestDef:
    where = f"{source}: digest {name!r}"

    def fail(message: str) -> None:
        raise ConfigError(f"{where}: {message}")

    if not _NAME.match(name):
        fail("a digest name may use only lowercase letters, digits, '-' and '_'")
    if not isinstance(raw, dict):
        fail("needs its settings indented below its name, such as 'subject:' and 'recipients:'")
    unknown = [k for k in raw if k not in _SETTINGS]
    if unknown:
        fail(f"unknown setting {unknown[0]!r}; the settings are: {', '.join(_SETTINGS)}")

    def words(key: str, check: re.Pattern[str] | tuple[str, ...] | None = None, hint: str = "") -> tuple[str, ...]:
        value = raw.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            fail(f"'{key}' must be a list, one entry per line starting with '- '")
        out = tuple(v.strip() for v in value)
        for v in out:
            ok = check is None or (check.match(v) if isinstance(check, re.Pattern) else v in check)
            if not ok:
                fail(f"{key}: {v!r} is not {hint}")
        return out

    def flag(key: str, default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            fail(f"'{key}' must be true or false")
        return value

    subject = raw.get("subject")
    if not isinstance(subject, str) or not subject.strip() or "\n" in subject.strip() or "\r" in subject:
        fail("needs a 'subject': one line of text")
    recipients = words("recipients", _ADDRESS, "an email address")
    if not recipients:
        fail("needs 'recipients': at least one email address, one per line starting with '- '")
    jurisdictions = tuple(j.lower() for j in words("jurisdictions"))
    for j in jurisdictions:
        if not _JURISDICTION.match(j):
            fail(f"jurisdictions: {j!r} is not a two-letter code such as us, ca or ny")
    kinds = words("kinds", EVENT_KINDS, f"a kind of change; the kinds are: {', '.join(EVENT_KINDS)}")
    min_priority = raw.get("min_priority")
    if min_priority is not None and min_priority not in PRIORITIES:
        fail(f"'min_priority' must be one of {', '.join(PRIORITIES)}")
    days = raw.get("look_ahead_days", 14)
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 366:
        fail("'look_ahead_days' must be a whole number of days from 0 to 366, such as 14")
    limit = raw.get("max_per_section", 100)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 10_000:
        fail("'max_per_section' must be a whole number from 1 to 10000, such as 100")
    unsubscribe = raw.get("unsubscribe")
    if unsubscribe is not None and not (isinstance(unsubscribe, str) and _ADDRESS.match(unsubscribe)):
        fail("'unsubscribe' must be an email address")
    return DigestDef(
        name=name, subject=" ".join(subject.split()), recipients=recipients,
        topics=words("topics"), jurisdictions=jurisdictions, kinds=kinds, min_priority=min_priority,
        watched_only=flag("watched_only", False), look_ahead_days=days,
        send_when_empty=flag("send_when_empty", False), show_notes=flag("show_notes", False),
        unsubscribe=unsubscribe, max_per_section=limit)


def _check_topics(source: str, digests: Iterable[DigestDef]) -> None:
    """A misspelt topic would silently empty a digest: the worst kind of missed alert.

    Only the slugs are read: compiling the whole taxonomy takes a second, and its
    own checks run where it is used.
    """
    from ailabor.relevance import topics_path

    taxonomy = topics_path()
    try:
        data = yaml.safe_load(taxonomy.read_text(encoding="utf-8"))
        known = [t["slug"] for t in data["topics"] if isinstance(t, dict) and "slug" in t]
    except (OSError, yaml.YAMLError, TypeError, KeyError) as exc:
        raise ConfigError(f"{source}: digests use topics, but {taxonomy.name} cannot be read ({exc})") from exc
    for d in digests:
        for slug in d.topics:
            if slug not in known:
                raise ConfigError(f"{source}: digest {d.name!r}: topics: {slug!r} is not in topics.yml; "
                                  f"the topics are: {', '.join(known)}")


# --- selection -----------------------------------------------------------------------------------


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
         json_group_array(upper(b.jurisdiction) || ' ' || b.identifier) AS bills
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
        flags=_health_flags(database))


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
                                _one_line(bill["note"]) or None if notes else None)
        return Item(
            kind="bill", id=bill["id"], label=display_id(bill["jurisdiction"], bill["identifier"]),
            title=_title(bill["title"]), site_url=f"{self.site}/tracker/bills/{_quote(bill['id'])}",
            official_url=_web_url(bill["url"]), topics=_why(bill["topics"]), position=position,
            detail=_words(bill["status"]), change=entry.change, when=entry.when, lines=entry.lines)

    def _meeting_item(self, entry: _Entry) -> Item:
        meeting = entry.row
        agency = meeting["agency"] or meeting["source"]
        bills = json.loads(meeting["bills"]) if meeting["bills"] else []
        agenda = [f"On the agenda: {', '.join(bills)}"] if bills else []
        return Item(
            kind="meeting", id=meeting["id"], label=f"{meeting['jurisdiction'].upper()} {agency}",
            title=_title(meeting["title"]), site_url=f"{self.site}/tracker/meetings/{_quote(meeting['id'])}",
            official_url=_web_url(meeting["document_url"]), topics=_why(meeting["topics"]), position=None,
            detail=_words(meeting["kind"]) + (f", docket {meeting['docket_id']}" if meeting["docket_id"] else ""),
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
            start = item.change[0] if item.change else _words(info.get("from")) or "unknown"
            item.change = (start, _words(info.get("to")) or "unknown")
            item.when = info.get("date") or item.when
            return 1
        item = self._bill_entry("actions", bill)
        if kind == "bill_action":
            said = _one_line(info.get("description")) or "an action"
            item.lines.append(f"{info['date']}: {said}" if info.get("date") else said)
        elif kind == "bill_version":
            item.lines.append(f"New text: {_one_line(info.get('note')) or 'a new version'}"
                              + (f" ({info['date']})" if info.get("date") else ""))
        else:
            title = _title(meeting["title"]) if meeting else "a hearing"
            item.lines.append(f"Hearing on {_when(info.get('start')) or 'a date to be announced'}: {title}")
            if meeting:
                self.touched.setdefault(meeting["id"], []).append("Hearing set on this bill")
        return 1

    def meeting_event(self, kind: str, meeting: Mapping[str, Any], details: str | None) -> int:
        if not self._allowed(meeting, self._meeting_in_scope):
            return 0
        info = json.loads(details) if details else {}
        if kind == "meeting_new":
            line = f"New {_words(meeting['kind'])}"
        elif kind == "meeting_changed":
            line = "Changed: " + "; ".join(
                f"{_words(k)} {_when(v.get('from')) or 'none'} → {_when(v.get('to')) or 'none'}"
                for k, v in info.items() if isinstance(v, dict))
        else:
            line = f"Comments close on {_when(info.get('close_on'))}"
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
                                   when=_when(meeting[when]), new=touched is not None)
                    if section == "upcoming" and meeting["location"]:
                        entry.lines.append(f"Where: {_one_line(meeting['location'])}")
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
        return f"comments close {_when(meeting['comments_close_on'])}"
    return _when(meeting["start"])


def _one_line(text: Any) -> str:
    """Text from upstream on one line: a newline in a title must not fake a line of the email."""
    return " ".join(str(text).split()) if text else ""


def _title(text: Any) -> str:
    text = _one_line(text)
    return text if len(text) <= TITLE_LIMIT else text[:TITLE_LIMIT - 1].rstrip() + "…"


def _words(code: Any) -> str:
    return str(code).replace("_", " ") if code else ""


def _web_url(url: Any) -> str | None:
    """Only web addresses become links: a ``javascript:`` URL from upstream must not."""
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) and " " not in url else None


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _when(value: Any) -> str:
    """A date or time as a person reads it: ``Tue 14 Jan 2025, 10:00``."""
    if not value or not isinstance(value, str):
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return _one_line(value)
    # Names spelt here rather than by strftime, whose names follow the locale cron happens to run in.
    text = f"{_DAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]} {moment.year}"
    return text + f", {moment.hour:02d}:{moment.minute:02d}" if len(value) > 10 else text


# How the footer tells what a source's last run did when it was not ok.
_NOT_OK = {"failed": "failed", "skipped": "was skipped", "partial": "stopped early"}

# Each source's last finished run, and when it last ran ok: news since then may be missing.
_LAST_RUNS_SQL = """
SELECT r.source, r.status, r.started_at, r.message,
       (SELECT max(coalesce(ok.finished_at, ok.started_at)) FROM crawl_runs ok
         WHERE ok.source = r.source AND ok.status = 'ok') AS last_ok
  FROM crawl_runs r
 WHERE r.id IN (SELECT max(id) FROM crawl_runs WHERE status != 'running' GROUP BY source)
 ORDER BY r.source
"""


def _health_flags(database: sqlite_utils.Database) -> list[str]:
    """The sources in trouble, so a quiet digest is not mistaken for a quiet week.

    First each source whose last finished run was not ok, with when it last
    ran ok; then the flags of ``ailabor status`` (stale, suspicious) for the
    other sources. Before any crawl, that nothing has run yet.
    """
    try:
        runs = database.execute(_LAST_RUNS_SQL).fetchall()
        if not runs:
            return ["no source has run yet"]
        # Imported here: health reads the schedule, whose module loads APScheduler.
        from ailabor.health import source_flags

        flags, troubled = [], set()
        for source, status, started, message, last_ok in runs:
            if status == "ok":
                continue
            troubled.add(source)
            why = f" ({_title(message)})" if message else ""
            since = f"last ok run {_when(last_ok)} UTC" if last_ok else "no ok run yet"
            flags.append(f"{source} {_NOT_OK.get(status, status)} on {_when(started)} UTC{why}; {since}")
        # One line per source: a source that failed is often stale as well.
        flags.extend(flag for flag in map(_one_line, source_flags(database))
                     if flag.split(":", 1)[0] not in troubled)
        return flags
    except Exception as exc:  # a broken health check must not cost the director the digest
        return [f"source health could not be checked: {_one_line(exc)}"]


# --- rendering -----------------------------------------------------------------------------------


@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


def render(digest: Digest, unsubscribe: str) -> tuple[str, str]:
    """The plain-text and the HTML body; the HTML with its CSS inlined, as mail programs want."""
    context = {"digest": digest, "subject": digest.subject, "sections": digest.sections,
               "unsubscribe": unsubscribe, "site_url": digest.site_url}
    text = _templates().get_template("digest.txt.j2").render(context)
    html = _templates().get_template("digest.html.j2").render(context)
    return text, _INLINER.inline(html)


def build_message(digest: Digest, sender: str) -> EmailMessage:
    """The email, headers built by the email package so no text can add a header."""
    d = digest.definition
    unsubscribe_to = d.unsubscribe or _address(sender)
    unsubscribe = f"mailto:{unsubscribe_to}?subject={quote(f'unsubscribe {d.name}')}"
    text, html = render(digest, unsubscribe)
    message = EmailMessage(policy=SMTP_POLICY)
    message["Subject"] = digest.subject
    message["From"] = sender
    message["To"] = ", ".join(d.recipients)
    message["Date"] = formatdate(localtime=True)
    domain = _address(sender).rpartition("@")[2] or "localhost"
    if digest.first_event_id is not None:
        # The same range gets the same id, so a copy resent after a crash is shown once by most mail programs.
        message["Message-ID"] = f"<ailabor.{d.name}.{digest.first_event_id}-{digest.last_event_id}@{domain}>"
    else:
        message["Message-ID"] = make_msgid(f"ailabor.{d.name}", domain=domain)
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Id"] = f"AI Labor Watch {d.name} digest <{d.name}.digest.{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def _address(sender: str) -> str:
    return parseaddr(sender)[1] or sender


# --- sending -------------------------------------------------------------------------------------


def _check_sender(sender: str) -> str:
    """DIGEST_FROM as the From header takes it: a line break in it would start a header of its own."""
    if not sender.isprintable():
        raise ConfigError("DIGEST_FROM must be one line, without line breaks or control characters, such as "
                          "'AI Labor Watch <alerts@example.org>'")
    if not _ADDRESS.match(_address(sender)):
        raise ConfigError("DIGEST_FROM must be an email address, such as 'AI Labor Watch <alerts@example.org>'")
    return sender


def _env_flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1 or 0 (true or false), not {value!r}")


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send, from the environment only; the password is kept out of every repr."""

    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    ssl: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpSettings:
        host = env.get("SMTP_HOST", "").strip()
        sender = env.get("DIGEST_FROM", "").strip()
        if not host or not sender:
            missing = " and ".join(n for n, v in (("SMTP_HOST", host), ("DIGEST_FROM", sender)) if not v)
            raise ConfigError(f"{missing} not set: set SMTP_HOST, DIGEST_FROM (and SMTP_PORT, SMTP_USER, "
                              "SMTP_PASSWORD as your mail provider says) to send digests, or use --dry-run")
        _check_sender(sender)
        use_ssl = _env_flag(env, "SMTP_SSL", False)
        starttls = _env_flag(env, "SMTP_STARTTLS", not use_ssl)
        user = env.get("SMTP_USER") or None
        if user and not (use_ssl or starttls):
            raise ConfigError("SMTP_USER is set but the connection would not be encrypted, which would send the "
                              "password in the clear: set SMTP_STARTTLS=1 or SMTP_SSL=1")
        port_text = env.get("SMTP_PORT", "").strip() or ("465" if use_ssl else "587" if starttls else "25")
        if not port_text.isdigit():
            raise ConfigError(f"SMTP_PORT must be a port number, not {port_text!r}")
        return cls(host=host, port=int(port_text), sender=sender, user=user,
                   password=env.get("SMTP_PASSWORD") or None, starttls=starttls and not use_ssl, ssl=use_ssl)


def deliver(message: EmailMessage, settings: SmtpSettings,
            to: Sequence[str] | None = None) -> dict[str, tuple[int, str]]:
    """Hand the message to the server for ``to`` (default: its To header); returns the recipients refused.

    Raises DigestFailed when the server did not accept the message for anyone.
    Once the server answered 250 to the message it has it, for every recipient it
    did not refuse: what it says to QUIT afterwards, or a connection dropped then,
    changes nothing, or the next run would send a second copy.
    """
    context = ssl.create_default_context()
    try:
        if settings.ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=SMTP_TIMEOUT,
                                                    context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT)
    except (smtplib.SMTPException, OSError) as exc:
        raise _failed(exc, settings, ()) from None
    try:
        if settings.starttls:
            client.starttls(context=context)
        if settings.user:
            client.login(settings.user, settings.password or "")
        refused = client.send_message(message, to_addrs=list(to) if to else None)
    except (smtplib.SMTPException, OSError) as exc:
        client.close()
        raise _failed(exc, settings, to or ()) from None
    with suppress(smtplib.SMTPException, OSError):
        client.quit()
    client.close()
    return {address: (code, redact(_text(reply), settings.password)) for address, (code, reply) in refused.items()}


def _failed(exc: BaseException, settings: SmtpSettings, to: Sequence[str]) -> DigestFailed:
    """The one-line failure; for a refusal of the recipients or of the message itself, who was refused."""
    refused: dict[str, tuple[int, str]] = {}
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = {address: (code, redact(_text(reply), settings.password))
                   for address, (code, reply) in exc.recipients.items()}
    elif isinstance(exc, smtplib.SMTPDataError):
        refused = dict.fromkeys(to, (exc.smtp_code, redact(_text(exc.smtp_error), settings.password)))
    return DigestFailed(redact(_reason(exc, settings), settings.password), refused)


def _reason(exc: BaseException, settings: SmtpSettings) -> str:
    server = f"{settings.host}:{settings.port}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(f"{addr} ({code} {_text(msg)})" for addr, (code, msg) in exc.recipients.items())
        return f"the mail server {server} refused every recipient: {refused}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"the mail server {server} refused the login of SMTP_USER: {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the mail server {server} refused the message: {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"the certificate of the mail server {server} could not be verified: {exc.verify_message}"
    if isinstance(exc, smtplib.SMTPException):
        return f"sending through {server} failed: {_one_line(exc)}"
    return f"could not talk to the mail server {server}: {_one_line(getattr(exc, 'strerror', None) or exc)}"


def _text(value: bytes | str) -> str:
    return _one_line(value.decode("utf-8", "replace") if isinstance(value, bytes) else value)


# --- running -------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a run did, for the CLI's one line (and the preview of a dry run)."""

    status: str  # sent, empty, nothing, busy, dry-run
    line: str
    preview: str | None = None
    retries: list[str] = field(default_factory=list)  # one line per recipient an earlier digest was sent again


# How many later runs try again a recipient the server refused. A 4xx says "not now" (a full mailbox,
# greylisting, a rate limit). A 5xx says this message will be refused again: one more run catches a
# mailbox or a rule fixed meanwhile, and more would look like spam to the receiving server.
RETRY_RUNS = {4: 3, 5: 1}


def run_digest(name: str, db_file: str | os.PathLike[str] | None = None, *, dry_run: bool = False,
               out: str | os.PathLike[str] | None = None, today: date | None = None,
               env: Mapping[str, str] | None = None) -> Outcome:
    """Select, render and send digest ``name``; record it as sent only once the server accepted it.

    First, the recipients an earlier digest was refused for get that digest again
    (see RETRY_RUNS). ``AILABOR_DIGESTS`` names another definitions file, for
    recipients kept out of the repository.
    """
    env = os.environ if env is None else env
    definition = get_digest(name, Path(env.get("AILABOR_DIGESTS") or DIGESTS_FILE))
    settings = None if dry_run else SmtpSettings.from_env(env)
    sender = settings.sender if settings else _check_sender(env.get("DIGEST_FROM", "").strip()
                                                            or "AI Labor Watch <ailabor@localhost>")
    site = env.get("AILABOR_SITE_URL")
    database = db.connect(db_file)
    try:
        if dry_run:
            digest = select_digest(database, definition, today=today, site_url=site)
            message = build_message(digest, sender)
            _save(message, out)
            preview = (f"To: {message['To']}\nSubject: {message['Subject']}\n\n"
                       f"{message.get_body(('plain',)).get_content()}")
            return Outcome("dry-run", f"{name}: dry run, nothing sent or recorded: {digest.subject}", preview)
        with db.exclusive(f"digest-{name}", db_file) as locked:
            if not locked:
                return Outcome("busy", f"{name}: another run is sending this digest; nothing done")
            assert settings is not None
            retries = _send_to_refused(database, definition, settings, today, site)
            outcome = _send(database, definition, settings, today, site, out)
            outcome.retries = retries
            return outcome
    finally:
        database.close()


def _send(database: sqlite_utils.Database, definition: DigestDef, settings: SmtpSettings, today: date | None,
          site: str | None, out: str | os.PathLike[str] | None) -> Outcome:
    name = definition.name
    with write_transaction(database):
        # Under the lock no other run is sending, so a row still 'sending' is one whose process died.
        database.execute("UPDATE digests SET status = 'failed', message = 'interrupted before the mail server"
                         " answered; sent again by a later run' WHERE name = ? AND status = 'sending'", [name])
    digest = select_digest(database, definition, today=today, site_url=site)
    row = {"name": name, "sent_at": utcnow(), "recipients": ", ".join(definition.recipients),
           "first_event_id": digest.first_event_id, "last_event_id": digest.last_event_id}
    if not digest.news and not definition.send_when_empty:
        if not digest.events_checked:
            return Outcome("nothing", f"{name}: nothing new since the last digest; not sent")
        # Record the range as checked, so that events outside this digest's filters are not read again.
        with write_transaction(database):
            database["digests"].insert({**row, "status": "empty",
                                        "message": f"{digest.events_checked} events, none for this digest"})
        return Outcome("empty", f"{name}: nothing new for this digest ({digest.events_checked} events checked); "
                                "not sent")
    message = build_message(digest, settings.sender)
    _save(message, out)
    with write_transaction(database):
        row_id = database["digests"].insert({**row, "status": "sending"}).last_pk
    try:
        refused = deliver(message, settings, definition.recipients)
    except DigestFailed as exc:
        with write_transaction(database):
            database["digests"].update(row_id, {"status": "failed", "message": str(exc)})
        raise
    deliveries = _tried(definition.recipients, refused, {})
    note = _refusals(deliveries)
    with write_transaction(database):
        database["digests"].update(row_id, {"status": "sent", "sent_at": utcnow(), "message": note,
                                            "deliveries": json.dumps(deliveries)})
    accepted = ", ".join(a for a, d in deliveries.items() if d["status"] == "accepted")
    line = f"{name}: sent to {accepted}: {digest.subject} ({_span(digest.first_event_id, digest.last_event_id)})"
    return Outcome("sent", line + (f"; {note}" if note else ""))


def _send_to_refused(database: sqlite_utils.Database, definition: DigestDef, settings: SmtpSettings,
                     today: date | None, site: str | None) -> list[str]:
    """Send each earlier digest again to the recipients the server refused it for, and to no one else.

    The copy covers the same events and has the same Message-ID as the one the
    others got. Returns one line per recipient tried.
    """
    name = definition.name
    rows = database.execute(
        "SELECT id, first_event_id, last_event_id, deliveries FROM digests WHERE name = ? AND status = 'sent' AND"
        " EXISTS (SELECT 1 FROM json_each(deliveries) WHERE json_extract(value, '$.status') = 'refused')"
        " ORDER BY id", [name]).fetchall()
    lines = []
    for row_id, first, last, stored in rows:
        deliveries = json.loads(stored)
        span = _span(first, last)
        waiting = [a for a, d in deliveries.items() if d["status"] == "refused"]
        # Someone taken off the list since must not get the news they were refused.
        for address in waiting:
            if address not in definition.recipients:
                deliveries[address]["status"] = "removed"
                lines.append(f"{name}: {span} not sent again to {address}: no longer a recipient of this digest")
        to = [a for a in waiting if a in definition.recipients]
        if to:
            digest = select_digest(database, definition, today=today, site_url=site,
                                   span=(first - 1, last) if first is not None else (0, 0))
            try:
                refused = deliver(build_message(digest, settings.sender), settings, to)
            except DigestFailed as exc:
                if not exc.refused:
                    raise  # no server to take it, or it refused the sender: this run's own digest cannot go either
                refused = exc.refused
            deliveries.update(_tried(to, refused, deliveries))
            lines.extend(_retry_line(name, span, address, deliveries[address]) for address in to)
        with write_transaction(database):
            database["digests"].update(row_id, {"deliveries": json.dumps(deliveries),
                                                "message": _refusals(deliveries)})
    return lines


def _tried(to: Sequence[str], refused: Mapping[str, tuple[int, str]],
           before: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each recipient's record after one more try: accepted, refused (tried again later) or given up."""
    now = utcnow()
    records: dict[str, dict[str, Any]] = {}
    for address in to:
        tries = before.get(address, {}).get("tries", 0) + 1
        if address not in refused:
            records[address] = {"status": "accepted", "tries": tries, "at": now}
            continue
        code, reply = refused[address]
        retries = RETRY_RUNS.get(code // 100, RETRY_RUNS[5])
        records[address] = {"status": "refused" if tries <= retries else "given up", "tries": tries,
                            "code": code, "reply": reply, "at": now}
    return records


def _refusals(deliveries: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The recipients the server refused, for the digest's record and the CLI's line."""
    parts = []
    for status, says in (("refused", "refused, tried again next run"), ("given up", "refused, given up")):
        refused = [f"{a} ({d['code']} {d['reply']})" for a, d in deliveries.items() if d["status"] == status]
        if refused:
            parts.append(f"{says}: {'; '.join(refused)}")
    return "; ".join(parts) or None


def _retry_line(name: str, span: str, address: str, record: Mapping[str, Any]) -> str:
    if record["status"] == "accepted":
        return f"{name}: {span} sent to {address}, refused before"
    said = f"{record['code']} {record['reply']}"
    if record["status"] == "refused":
        return f"{name}: {span} refused again for {address} ({said}); tried again next run"
    return f"{name}: gave up on {address} after {record['tries']} tries ({said}); {span} not sent to them"


def _span(first: int | None, last: int | None) -> str:
    return f"events {first}–{last}" if first is not None else "no new events"


def _save(message: EmailMessage, out: str | os.PathLike[str] | None) -> None:
    if out:
        Path(out).write_bytes(message.as_bytes())
