"""Congressional committee hearings and markups about AI, or on a tracked bill, from Congress.gov.

How the upstream works, its traps, paging and quotas: docs/sources/congress_hearings.md.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any

import scrapy
from scrapy.http import Response

from ailabor.records import MeetingItem
from scrapers.upstream.congress import PAGE_SIZE, STAMP, CongressApi, api_path, bill_key, ordinal

# meetingStatus values that change what a member should do, written before the title.
_STATUS_PREFIX = {"canceled": "Canceled", "cancelled": "Canceled", "postponed": "Postponed"}
_HEARING = re.compile(r"^\s*hearings?\b", re.I)
_NOTICE = re.compile(r"\b(notice|agenda)\b", re.I)


def meeting_id(event_id: str | int) -> str:
    return f"cgmeeting-{str(event_id).strip()}"


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _entries(value: Any) -> list[dict[str, Any]]:
    """A JSON list of objects, also when it comes wrapped the XML way (``{"item": [...]}``)."""
    if isinstance(value, dict):
        value = next((v for v in value.values() if isinstance(v, list | dict)), [])
        if isinstance(value, dict):
            value = [value]
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def related_bill_ids(meeting: dict[str, Any]) -> list[str]:
    """``us-119-s1367``… for each bill or resolution the meeting considers; unknown types are left out."""
    related = meeting.get("relatedItems") if isinstance(meeting.get("relatedItems"), dict) else {}
    out: list[str] = []
    for bill in _entries(related.get("bills")):
        try:
            key = bill_key(bill.get("congress") or meeting["congress"], str(bill["type"]), bill["number"])
        except (KeyError, TypeError, ValueError):
            continue
        if key not in out:
            out.append(key)
    return out


def _location(value: Any) -> str | None:
    if not isinstance(value, dict):
        return _text(value)
    address = value.get("address")
    if isinstance(address, dict):
        parts = [address.get(k) for k in ("streetAddress", "city", "state", "zipCode")]
    else:
        parts = [value.get("room"), value.get("building"), address]
    # A virtual meeting's building is printed as dashes.
    parts = [p for p in (_text(str(p)) if p is not None else None for p in parts) if p and not set(p) <= {"-"}]
    return ", ".join(parts) or None


def _start(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    try:
        datetime.fromisoformat(text)
        return text
    except ValueError:
        return text[:10] if re.match(r"^\d{4}-\d{2}-\d{2}", text) else text


def meeting_to_item(meeting: dict[str, Any], source_url: str | None = None,
                    list_update: str | None = None) -> MeetingItem:
    """Map one committee-meeting detail onto the shared meeting model."""
    event_id = _text(str(meeting["eventId"]))
    title = _text(meeting.get("title"))
    if event_id is None or title is None:
        raise ValueError("eventId or title is missing")
    congress = int(meeting["congress"])
    chamber = str(meeting.get("chamber") or "")
    status = str(meeting.get("meetingStatus") or "")
    committees = [c for c in _entries(meeting.get("committees")) if _text(c.get("name"))]
    documents = [d for d in _entries(meeting.get("meetingDocuments")) if _text(d.get("url"))]
    witnesses = [w for w in _entries(meeting.get("witnesses")) if _text(w.get("name"))]
    bills = related_bill_ids(meeting)
    lines = [", ".join(filter(None, (_text(w.get(k)) for k in ("name", "position", "organization"))))
             for w in witnesses]
    described = [" — ".join(filter(None, (_text(d.get("name")), _text(d.get("description"))))) for d in documents]
    abstract = "\n".join(filter(None, [
        f"Witnesses: {'; '.join(lines)}" if lines else None,
        f"Documents: {'; '.join(d for d in described if d)}" if any(described) else None,
    ])) or None
    notice = next((d["url"] for d in documents if _NOTICE.search(f"{d.get('name')} {d.get('documentType')}")), None)
    prefix = _STATUS_PREFIX.get(status.lower())
    page = None
    if chamber.lower() in ("house", "senate"):
        page = f"https://www.congress.gov/event/{ordinal(congress)}-congress/{chamber.lower()}-event/{event_id}"
    return MeetingItem(
        id=meeting_id(event_id),
        jurisdiction="us",
        kind="hearing" if meeting.get("type") == "Hearing" or _HEARING.match(title) else "meeting",
        title=f"{prefix}: {title}" if prefix else title,
        source="congress_hearings",
        source_id=event_id,
        source_url=source_url,
        agency="; ".join(c["name"].strip() for c in committees) or None,
        agency_slug=_text(committees[0].get("systemCode")) if committees else None,
        abstract=abstract,
        start=_start(meeting.get("date")),
        location=_location(meeting.get("location")),
        document_url=page,
        agenda_url=notice or (documents[0]["url"] if documents else None),
        source_updated_at=_text(meeting.get("updateDate")),
        source_meta={
            "event_id": event_id, "congress": congress, "chamber": chamber or None, "type": meeting.get("type"),
            "status": status or None, "list_update": list_update,
            "documents": [{"name": d.get("name"), "type": d.get("documentType"), "url": d["url"]} for d in documents],
        },
        bill_ids=bills,
    )


class CongressHearingsSpider(CongressApi):
    name = "congress_hearings"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        now = self.open_window()
        if self.since is None:
            self.since = (now - timedelta(days=float(self.config.get("backfill_days", 30)))).strftime(STAMP)
        self.tracked = {r[0] for r in self.run.db.execute(
            "SELECT id FROM bills WHERE jurisdiction = 'us'"
            " AND (relevant = 1 OR id IN (SELECT bill_id FROM positions))").fetchall()}
        self.stored_updates = dict(self.run.db.execute(
            "SELECT id, json_extract(source_meta, '$.list_update') FROM meetings WHERE source = ?",
            [self.name]).fetchall())
        self.report = {"meetings": 0, "details": 0, "kept": 0}
        yield self.api_request("/congress/current", callback=self.parse_current)

    def window(self) -> list[tuple[str, str]]:
        return [("fromDateTime", self.since), ("toDateTime", self.until), ("limit", str(PAGE_SIZE))]

    def parse_current(self, response: Response) -> Iterator[scrapy.Request]:
        congress = self.current_congress(response)
        if congress is not None:
            yield self.api_request(f"/committee-meeting/{congress}", self.window(), callback=self.parse_list)

    def parse_list(self, response: Response) -> Iterator[scrapy.Request]:
        data = self.page(response)
        if data is None or self.empty_list(response, data, "committeeMeetings"):
            return
        for entry in data.get("committeeMeetings") or []:
            try:
                event_id = str(entry["eventId"]).strip()
                path = self.detail_path(entry)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                self.reject(response.url, "bad_list_entry", f"{type(exc).__name__}: {exc}")
                continue
            self.report["meetings"] += 1
            stamp = entry.get("updateDate")
            if stamp and self.stored_updates.get(meeting_id(event_id)) == stamp:
                continue  # stored at this very stamp: nothing to fetch
            self.report["details"] += 1
            yield self.api_request(path, callback=self.parse_detail, cb_kwargs={"list_update": stamp})
        next_url = (data.get("pagination") or {}).get("next")
        request = next_url and self.follow(response, next_url, self.window(), callback=self.parse_list)
        if request:
            yield request

    @staticmethod
    def detail_path(entry: dict[str, Any]) -> str:
        """The detail's path: the one the list prints, else built from congress, chamber and event id."""
        if _text(entry.get("url")):
            return api_path(entry["url"])[0]
        return f"/committee-meeting/{int(entry['congress'])}/{entry['chamber'].lower()}/{int(entry['eventId'])}"

    def parse_detail(self, response: Response, list_update: str | None = None) -> Iterator[MeetingItem]:
        data = self.page(response)
        if data is None:
            return
        meeting = data.get("committeeMeeting")
        if not isinstance(meeting, dict):
            self.outcome.failed_requests += 1
            self.reject(response.url, "unexpected_shape", "no committeeMeeting in the detail")
            return
        try:
            item = meeting_to_item(meeting, response.url, list_update)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            self.reject(response.url, "bad_meeting", f"event {meeting.get('eventId') or '?'}: "
                                                     f"{type(exc).__name__}: {exc}")
            return
        if (self.tracked.intersection(item.bill_ids) or item.id in self.stored_updates
                or self.taxonomy.mentions_ai(f"{item.title}\n{item.abstract or ''}")):
            self.report["kept"] += 1
            yield item
