"""The wording of events: what each change is called and the sentence and details it carries.

An event is ``(kind, summary, details)``: the kind is one of DESIGN's event
kinds, the summary the one human sentence that digests and feeds show, the
details what a reader of the JSON needs to act on it.
"""

from __future__ import annotations

import json
from typing import Any

from ailabor.records import MeetingItem
from ailabor.store.changes import BillChanges, MeetingChanges

Event = tuple[str, str, dict[str, Any]]


def bill_events(name: str, title: str, changes: BillChanges) -> list[Event]:
    """The events of a bill's changes: a new bill is one event; a known one has one per new action, status
    and text."""
    if changes.new:
        return [("bill_new", f"New bill: {name}, {title}", {"title": title, "status": changes.row["status"]})]
    events: list[Event] = [
        ("bill_action", f"{name}: {description} ({day})",
         {"date": day, "description": description, "actor": actor, "classification": json.loads(classification)})
        for day, description, actor, classification in changes.added_actions]
    if changes.status_to:
        events.append(("bill_status", f"{name} moved from {changes.status_from or 'unknown'} to {changes.status_to}",
                       {"from": changes.status_from, "to": changes.status_to, "date": changes.row["status_date"]}))
    events.extend(("bill_version", f"{name}: new text, {note or 'version'}", {"url": url, "note": note, "date": day})
                  for url, note, day, _ in changes.added_versions)
    return events


def meeting_events(item: MeetingItem, changes: MeetingChanges) -> list[Event]:
    """A new meeting is one event; a known one is one when a newsworthy field changed."""
    label = item.agency or item.source
    if changes.new:
        return [("meeting_new", f"New {item.kind.replace('_', ' ')} from {label}: {item.title}",
                 {"kind": item.kind, "start": item.start, "comments_close_on": item.comments_close_on})]
    if not changes.fields:
        return []
    said = "; ".join(f"{k.replace('_', ' ')} {v['from'] or 'none'} → {v['to'] or 'none'}"
                     for k, v in changes.fields.items())
    return [("meeting_changed", f"{label}: {item.title}: {said}", changes.fields)]


def hearing_scheduled(item: MeetingItem) -> Event:
    when = _readable_time(item.start) if item.start else "a date to be announced"
    return ("hearing_scheduled", f"Hearing scheduled on {when}: {item.title}",
            {"meeting_id": item.id, "start": item.start})


def comment_deadline(close_on: str, agency: str | None, title: str) -> Event:
    summary = f"Comments close on {close_on}: {agency or ''} {title}"
    return ("comment_deadline", " ".join(summary.split()), {"close_on": close_on})


def _readable_time(value: str) -> str:
    """``2025-07-09 at 13:30`` from an ISO date-time, as a sentence in an email or a feed can carry it.

    A local time stays local (the hearing room's clock); a time given in UTC says so.
    """
    day, _, clock = value.partition("T")
    if not clock[:5] or clock[:5] == "00:00":
        return day
    return f"{day} at {clock[:5]}{' UTC' if clock.endswith('Z') else ''}"
