"""What changed: a stored row (with its children) and a new record in, the rows to write and the changes out.

Pure: nothing here reads or writes the database. The writer reads what is
stored, asks here what changed, has the changes worded (``events``) and
writes both. A record identical to what is stored gives no changes, which is
why a re-crawl of identical data writes no events.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ailabor.records import BillItem, MeetingItem
from db.vocab import chambers_needed, derive_status, display_id

BILL_CONTENT = (
    "jurisdiction", "session", "identifier", "chamber", "classification", "title", "summary",
    "subjects", "other_titles", "status", "status_date", "introduced_date", "latest_action", "latest_action_date",
    "url", "source", "source_id",
)
MEETING_CONTENT = (
    "jurisdiction", "agency", "agency_slug", "kind", "title", "abstract", "start", "location",
    "comments_close_on", "docket_id", "document_url", "agenda_url", "minutes_url", "published_date",
    "source", "source_id",
)
SPONSOR_COLUMNS = ("name", "role", "party", "state", "district", "person_id")
VERSION_COLUMNS = ("url", "note", "date", "media_type")
# Columns that change without being news: the row is rewritten, its updated_at and events stay.
_BILL_BOOKKEEPING = ("relevant", "relevance_score", "source_updated_at", "source_meta", "stage_reached")
_MEETING_BOOKKEEPING = ("relevant", "relevance_score", "source_updated_at", "source_meta")
# Fields whose change is news for a meeting; the rest change silently.
MEETING_NEWS = ("kind", "title", "start", "location", "comments_close_on", "agenda_url", "minutes_url")
# A source that adds to a meeting another source describes (Regulations.gov comment dates and counts on a
# Federal Register notice) files its additions in source_meta under this key, by source name:
# {"fields": {column: value}, "meta": {...}}. They survive the other source's rewrites and their fields win,
# so the merged meeting is the same whichever source arrives first.
CONTRIBUTIONS = "contributed"

Children = list[tuple[Any, ...]]


def dumps(value: Any) -> str | None:
    """JSON as the database keeps it: keys sorted, so that equal values are equal strings."""
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def content_hash(row: dict[str, Any], fields: Sequence[str]) -> str:
    payload = json.dumps([row.get(f) for f in fields], sort_keys=True, default=str)
    return hashlib.sha1(payload.encode()).hexdigest()


def topic_tuples(matches: Iterable[Any]) -> Children:
    """A classification's topics as the topics tables hold them: (topic, score, matched, found_in)."""
    return [(m.slug, float(m.score), dumps(list(m.matched)), dumps(m.found_in)) for m in matches]


def topic_rows(key: str, item_id: str, tuples: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [{key: item_id, "topic": t[0], "score": t[1], "matched": t[2], "found_in": t[3]} for t in tuples]


def relevance(item: Any, override: int | None) -> tuple[int, float, list[Any]]:
    """The verdict to store for an item: its classification's, unless the director overrode it."""
    classification = item.relevance
    if classification is None:
        relevant, score, topics = 0, 0.0, []
    else:
        relevant, score, topics = int(classification.relevant), float(classification.score), list(classification.topics)
    if override is not None:
        relevant = override
    return relevant, score, topics


@dataclass
class StoredBill:
    """A bill as the database holds it: its row (None for a bill not stored yet) and its children's tuples."""

    row: dict[str, Any] | None = None
    actions: Children = field(default_factory=list)
    sponsors: Children = field(default_factory=list)
    versions: Children = field(default_factory=list)
    topics: Children = field(default_factory=list)


@dataclass
class BillChanges:
    """What to write for a bill and what happened to it.

    Each children list is the replacement for the stored one, or None when
    it did not change. ``news`` is a change a person would want to hear of
    (content, actions, sponsors, versions); a bill whose only change is
    bookkeeping is rewritten without being news.
    """

    row: dict[str, Any]
    new: bool
    news: bool
    actions: Children | None = None
    sponsors: Children | None = None
    versions: Children | None = None
    topics: Children | None = None
    added_actions: Children = field(default_factory=list)
    added_versions: Children = field(default_factory=list)
    status_from: str | None = None
    status_to: str | None = None


def bill_changes(item: BillItem, stored: StoredBill, override: int | None, now: str) -> BillChanges | None:
    """The changes ``item`` brings to the bill ``stored``, or None when there is nothing to write."""
    old = stored.row
    row = bill_row(item, old)
    relevant, score, matches = relevance(item, override)
    row.update(relevant=relevant, relevance_score=score)
    actions = _replacement(action_tuples(item), stored.actions)
    sponsors = _replacement(sponsor_tuples(item), stored.sponsors)
    versions = _replacement(version_tuples(item), stored.versions)
    topics = _replacement(topic_tuples(matches), stored.topics)
    news = (old is None or old["content_hash"] != row["content_hash"]
            or any(c is not None for c in (actions, sponsors, versions)))
    bookkeeping = old is not None and any(old[k] != row[k] for k in _BILL_BOOKKEEPING)
    if not (news or topics is not None or bookkeeping):
        return None
    row["first_seen_at"] = old["first_seen_at"] if old else now
    row["updated_at"] = now if news else old["updated_at"]
    changes = BillChanges(row, new=old is None, news=news, actions=actions, sponsors=sponsors, versions=versions,
                          topics=topics)
    if old is not None:
        changes.added_actions = added_actions(stored.actions, actions or [])
        changes.added_versions = added_versions(stored.versions, versions or [])
        if old["status"] != row["status"] and row["status"]:
            changes.status_from, changes.status_to = old["status"], row["status"]
    return changes


def _replacement(new: Children | None, stored: Children) -> Children | None:
    """``new`` when it differs from ``stored``; None when it is the same or the record did not say."""
    return None if new is None or new == stored else new


def action_tuples(item: BillItem) -> Children | None:
    if item.actions is None:
        return None
    return [(a.date, a.description, a.actor, dumps(a.classification or [])) for a in item.actions]


def sponsor_tuples(item: BillItem) -> Children | None:
    # Upstreams repeat people and links; the first of each key (the table's primary key) is kept.
    if item.sponsors is None:
        return None
    people = ((s.name, s.role, s.party, s.state, s.district, s.person_id) for s in item.sponsors)
    return sorted(_first_by_key(people, 2))


def version_tuples(item: BillItem) -> Children | None:
    if item.versions is None:
        return None
    return sorted(_first_by_key(((v.url, v.note, v.date, v.media_type) for v in item.versions), 1),
                  key=lambda v: (v[2] or "", v[0]))


def added_actions(stored: Children, new: Children) -> Children:
    """The actions of ``new`` that ``stored`` does not hold, an action repeated upstream counted as often as it is.

    Actions are compared on date, description and actor: a classification
    refined upstream is not a new action.
    """
    seen = list(stored)
    added = []
    for action in new:
        match = next((a for a in seen if a[:3] == action[:3]), None)
        if match is None:
            added.append(action)
        else:
            seen.remove(match)
    return added


def added_versions(stored: Children, new: Children) -> Children:
    """The versions of ``new`` at an address ``stored`` does not hold."""
    known = {v[0] for v in stored}
    return [v for v in new if v[0] not in known]


def bill_row(item: BillItem, old: dict[str, Any] | None) -> dict[str, Any]:
    """The bills row for ``item``; what the record does not say is kept from ``old``."""
    row: dict[str, Any] = {
        "id": item.id,
        "jurisdiction": item.jurisdiction.lower(),
        "session": item.session,
        "identifier": item.identifier,
        "name": display_id(item.jurisdiction, item.identifier),
        "chamber": item.chamber,
        "classification": item.classification,
        "title": item.title.strip(),
        "summary": item.summary,
        "subjects": dumps(sorted(set(item.subjects))),
        "other_titles": dumps([t for t in dict.fromkeys(item.other_titles) if t != item.title]),
        "introduced_date": item.introduced_date,
        "url": item.url,
        "source": item.source,
        "source_id": item.source_id,
        "source_updated_at": item.source_updated_at,
        "source_meta": dumps(item.source_meta or {}),
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
    row["content_hash"] = content_hash(row, BILL_CONTENT)
    return row


@dataclass
class MeetingChanges:
    """What to write for a meeting and what happened to it.

    ``row`` is None when nothing is to be written; ``topics`` is the
    replacement for the stored topics, or None when they did not change;
    ``fields`` holds the newsworthy fields that changed, ``{column: {"from", "to"}}``.
    """

    row: dict[str, Any] | None
    new: bool
    news: bool
    topics: Children | None = None
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)


def meeting_changes(item: MeetingItem, old: dict[str, Any] | None, stored_topics: Children,
                    override: int | None, now: str) -> MeetingChanges:
    """The changes ``item`` brings to the meeting ``old`` (None for a meeting not stored yet)."""
    row = {name: getattr(item, name) for name in ("id",) + MEETING_CONTENT + ("source_updated_at",)}
    row["source_meta"] = dumps(item.source_meta or {})
    adds_only = merge_contributions(row, old, item.source)
    row["content_hash"] = content_hash(row, MEETING_CONTENT)
    topics: Children | None
    if adds_only:
        # The description is the other source's, and so is the relevance judged from it.
        relevant, score, topics = override if override is not None else old["relevant"], old["relevance_score"], None
    else:
        relevant, score, matches = relevance(item, override)
        topics = _replacement(topic_tuples(matches), stored_topics)
    row.update(relevant=relevant, relevance_score=score)
    news = old is None or old["content_hash"] != row["content_hash"]
    bookkeeping = old is not None and any(old[k] != row[k] for k in _MEETING_BOOKKEEPING)
    changes = MeetingChanges(None, new=old is None, news=news, topics=topics)
    if news or topics is not None or bookkeeping:
        row["first_seen_at"] = old["first_seen_at"] if old else now
        row["updated_at"] = now if news else old["updated_at"]
        changes.row = row
    if old is not None and news:
        changes.fields = {k: {"from": old[k], "to": row[k]} for k in MEETING_NEWS if old[k] != row[k]}
    return changes


def merge_contributions(row: dict[str, Any], old: dict[str, Any] | None, source: str) -> bool:
    """Carry the other sources' contributions into ``row`` and apply their fields.

    Returns True when ``row`` comes from a source that only contributes to a
    meeting another source described: that description is kept as stored.
    """
    meta = json.loads(row["source_meta"])
    own = meta.get(CONTRIBUTIONS) or {}
    old_meta = json.loads(old["source_meta"] or "{}") if old else {}
    adds_only = old is not None and old["source"] != source and source in own
    if adds_only:
        for name in MEETING_CONTENT + ("source_updated_at",):
            row[name] = old[name]
        meta = dict(old_meta)
    contributions = {name: entry for name, entry in (old_meta.get(CONTRIBUTIONS) or {}).items() if name != source}
    contributions.update(own)
    if contributions:
        meta[CONTRIBUTIONS] = contributions
    for entry in contributions.values():
        for column, value in (entry.get("fields") or {}).items():
            if column in MEETING_CONTENT and value is not None:
                row[column] = value
    row["source_meta"] = dumps(meta)
    return adds_only


def _first_by_key(rows: Iterable[tuple[Any, ...]], width: int) -> Children:
    """Rows with distinct leading ``width`` columns, the first of each."""
    seen: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for row in rows:
        seen.setdefault(row[:width], row)
    return list(seen.values())
