"""State committee hearings from Open States ``/events``, asked for only where a tracked bill is pending.

How the upstream works, its traps, paging and quotas: docs/sources/openstates_events.md.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import scrapy
from scrapy.http import Response

from ailabor.config import source_config
from ailabor.records import MeetingItem, bill_id
from scrapers.upstream.openstates import OpenStatesApi, OpenStatesError, jurisdiction_code

INCLUDES = ("agenda", "participants", "documents", "links", "sources")
# Bill statuses after which no hearing can help or hurt a bill.
ENDED = ("enacted", "vetoed", "failed", "withdrawn")
# Open States event statuses (Open Civic Data: confirmed, tentative, cancelled, passed) worth a title prefix.
_STATUS_PREFIX = {"cancelled": "Cancelled", "canceled": "Cancelled", "postponed": "Postponed"}
_HEARING = re.compile(r"\bhearings?\b|committee", re.I)
_AGENDA = re.compile(r"\bagenda\b", re.I)
_IDENTIFIER_NOISE = re.compile(r"[\s.\-]+")

PENDING_TRACKED_SQL = f"""
SELECT id, jurisdiction, identifier FROM bills
WHERE jurisdiction != 'us'
  AND coalesce(status, '') NOT IN ({", ".join(f"'{s}'" for s in ENDED)})
  AND (relevant = 1 OR id IN (SELECT bill_id FROM positions))
ORDER BY jurisdiction, id
"""


def read_config(config: dict[str, Any]) -> dict[str, Any]:
    """sources.yml's ``openstates_events`` section with defaults."""
    return {
        "require_bills": bool(config.get("require_bills", True)),
        "overlap_days": int(config.get("overlap_days", 1)),
        "lookahead_days": int(config.get("lookahead_days", 60)),
        "backfill_days": int(config.get("backfill_days", 14)),
    }


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def identifier_key(identifier: str) -> str:
    """``AB 1018``, ``A.B. 1018`` and ``ab1018`` alike: how an agenda's bill name is matched without a session."""
    return _IDENTIFIER_NOISE.sub("", identifier).lower()


class TrackedBills:
    """The pending tracked bills, by id and by jurisdiction and bare identifier (for agenda names without a session)."""

    def __init__(self, rows: Iterable[tuple[str, str, str]]) -> None:
        self.ids: set[str] = set()
        self.by_name: dict[tuple[str, str], list[str]] = {}
        for bill, jurisdiction, identifier in rows:
            self.ids.add(bill)
            self.by_name.setdefault((jurisdiction, identifier_key(identifier)), []).append(bill)

    @property
    def jurisdictions(self) -> list[str]:
        return sorted({j for j, _ in self.by_name})

    def named(self, jurisdiction: str, name: str) -> str | None:
        """The tracked bill an agenda names without its session, when exactly one bill answers to it."""
        found = self.by_name.get((jurisdiction, identifier_key(name)), [])
        return found[0] if len(found) == 1 else None


def agenda_bills(event: dict[str, Any], jurisdiction: str, tracked: TrackedBills) -> list[str]:
    """The bill ids an event's agenda names, in agenda order.

    A bill Open States resolved comes with its session; one it could not
    resolve has only its name, matched against the tracked bills.
    """
    out: list[str] = []
    for item in event.get("agenda") or []:
        for entity in (item.get("related_entities") or []) if isinstance(item, dict) else []:
            if not isinstance(entity, dict) or entity.get("entity_type") != "bill":
                continue
            bill = entity.get("bill")
            if isinstance(bill, dict) and _text(bill.get("session")) and _text(bill.get("identifier")):
                found: str | None = bill_id(jurisdiction, bill["session"], bill["identifier"])
            else:
                found = tracked.named(jurisdiction, str(entity.get("name") or ""))
            if found and found not in out:
                out.append(found)
    return out


def agenda_lines(event: dict[str, Any]) -> list[str]:
    """One line per agenda item: its description, then the bills it names with their titles."""
    lines = []
    items = [i for i in event.get("agenda") or [] if isinstance(i, dict)]
    for item in sorted(items, key=lambda i: i.get("order") if isinstance(i.get("order"), int) else 0):
        parts = [_text(item.get("description"))]
        for entity in item.get("related_entities") or []:
            if isinstance(entity, dict) and entity.get("entity_type") == "bill":
                bill = entity.get("bill") if isinstance(entity.get("bill"), dict) else {}
                name = _text(bill.get("identifier")) or _text(entity.get("name"))
                title = _text(bill.get("title"))
                parts.append(f"{name}: {title}" if name and title else name)
        line = " — ".join(dict.fromkeys(p for p in parts if p))
        if line:
            lines.append(line)
    return lines


def _links(entries: Any) -> list[tuple[str, str]]:
    """(note, url) of each link of a documents/media list, or of a links/sources list."""
    out = []
    for entry in entries or []:
        if not isinstance(entry, dict):
            continue
        note = str(entry.get("note") or "")
        if _text(entry.get("url")):
            out.append((note, entry["url"].strip()))
        for link in entry.get("links") or []:
            if isinstance(link, dict) and _text(link.get("url")):
                out.append((note, link["url"].strip()))
    return out


def event_to_meeting(event: dict[str, Any], tracked: TrackedBills, source_url: str | None = None) -> MeetingItem:
    """Map one Open States event (with ``include=agenda`` and friends) onto the shared meeting model."""
    upstream = event["id"]
    if not isinstance(upstream, str) or not upstream.strip():
        raise OpenStatesError("event id is missing")
    jurisdiction = jurisdiction_code(event["jurisdiction"]["id"])
    name = _text(event.get("name"))
    if name is None:
        raise OpenStatesError("event name is missing")
    status = str(event.get("status") or "").lower()
    bills = agenda_bills(event, jurisdiction, tracked)
    lines = agenda_lines(event)
    abstract = "\n".join(filter(None, [_text(event.get("description"))] + lines)) or None
    hosts = [p for p in event.get("participants") or []
             if isinstance(p, dict) and p.get("entity_type") == "organization" and _text(p.get("name"))]
    documents = _links(event.get("documents"))
    pages = _links(event.get("sources")) + _links(event.get("links"))
    agenda = next((url for note, url in documents + pages if _AGENDA.search(note)), None)
    classification = str(event.get("classification") or "")
    kind = "hearing" if bills or _HEARING.search(f"{classification} {name}") else "meeting"
    location = event.get("location") if isinstance(event.get("location"), dict) else {}
    prefix = _STATUS_PREFIX.get(status)
    return MeetingItem(
        id=f"osevents-{upstream.strip().removeprefix('ocd-event/')}",
        jurisdiction=jurisdiction,
        kind=kind,
        title=f"{prefix}: {name}" if prefix else name,
        source="openstates_events",
        source_id=upstream,
        source_url=source_url,
        agency=_text(hosts[0]["name"]) if hosts else None,
        abstract=abstract,
        start=_text(event.get("start_date")),
        location=_text(location.get("name")),
        document_url=pages[0][1] if pages else None,
        agenda_url=agenda or (documents[0][1] if documents else None),
        source_meta={
            "openstates_id": upstream,
            "status": status or None,
            "classification": classification or None,
            "upstream_id": event.get("upstream_id") or None,
            "end_date": event.get("end_date") or None,
            "documents": [{"note": n, "url": u} for n, u in documents],
        },
        bill_ids=bills,
    )


class OpenStatesEventsSpider(OpenStatesApi):
    name = "openstates_events"
    resumes_at = "where the last complete run left off"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.config = read_config(source_config(self.name))
        today = datetime.now(UTC).date()
        if self.previous_watermark:
            after = date.fromisoformat(self.previous_watermark[:10]) - timedelta(days=self.config["overlap_days"])
        else:
            after = today - timedelta(days=self.config["backfill_days"])
        self.window = (after.isoformat(), (today + timedelta(days=self.config["lookahead_days"])).isoformat())
        self.next_watermark = today.isoformat()
        self.tracked = TrackedBills(self.run.db.execute(PENDING_TRACKED_SQL).fetchall())
        self.stored_ids = {r[0] for r in self.run.db.execute(
            "SELECT id FROM meetings WHERE source = ?", [self.name]).fetchall()}
        self.events_seen = 0
        self.kept = 0
        self.update_report()
        if not self.tracked.jurisdictions:
            self.outcome.nothing_to_ask = True
            return
        for jurisdiction in self.tracked.jurisdictions:
            yield self.page_request(jurisdiction, 1)

    def page_request(self, jurisdiction: str, page: int) -> scrapy.Request:
        params = [("jurisdiction", jurisdiction), ("after", self.window[0]), ("before", self.window[1])]
        if self.config["require_bills"]:
            params.append(("require_bills", "true"))
        params += [("include", name) for name in INCLUDES] + [("per_page", "20"), ("page", str(page))]
        return self.listing_request("/events", params, {"jurisdiction": jurisdiction, "page": page})

    async def parse(self, response: Response, jurisdiction: str, page: int,
                    minute_waits: int = 0) -> AsyncIterator[Any]:
        if response.status == 429:
            async for request in self.rate_limited(response):
                yield request
            return
        if response.status == 404:
            return  # "invalid page, must be in [1, N]": the events shrank while we paged
        data = self.listing_page(response, page)
        if data is None:
            return
        results = data["results"]
        for event in results:
            item = self.build(response, event)
            if item is not None:
                yield item
        self.update_report()
        max_page = (data.get("pagination") or {}).get("max_page")
        if isinstance(max_page, int) and page < max_page:
            yield self.page_request(jurisdiction, page + 1)

    def build(self, response: Response, event: Any) -> MeetingItem | None:
        self.events_seen += 1
        try:
            item = event_to_meeting(event, self.tracked, response.url)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            name = event.get("id") if isinstance(event, dict) else None
            self.reject(response.url, "bad_event", f"event {name or '?'}: {type(exc).__name__}: {exc}")
            return None
        lists_tracked = any(b in self.tracked.ids for b in item.bill_ids)
        if not (lists_tracked or item.id in self.stored_ids
                or self.taxonomy.mentions_ai(f"{item.title}\n{item.abstract or ''}")):
            return None
        self.kept += 1
        return item

    def update_report(self) -> None:
        self.report = {"jurisdictions": len(self.tracked.jurisdictions), "events": self.events_seen,
                       "kept": self.kept}
        super().update_report()
