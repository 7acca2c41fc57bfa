"""Federal Register notices, meetings, requests for comment and rules from the agencies that matter.

How the upstream works, its traps, paging and quotas: docs/sources/federal_register.md.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from ailabor.config import source_config
from ailabor.dates import parse_meeting_start
from ailabor.records import MeetingItem
from scrapers.spiders.base import TrackerSpider

OFFICIAL_BASE = "https://www.federalregister.gov/api/v1"
MAX_RESULTS = 10_000
FIELDS = (
    "document_number", "title", "type", "subtype", "action", "abstract", "dates", "publication_date",
    "effective_on", "comments_close_on", "agencies", "docket_ids", "dockets", "regulations_dot_gov_info",
    "regulation_id_numbers", "html_url", "pdf_url", "raw_text_url", "full_text_xml_url", "comment_url",
    "significant", "topics", "cfr_references", "citation", "executive_order_number", "signing_date",
)
_TYPE_KIND = {"Rule": "rule", "Proposed Rule": "proposed_rule", "Presidential Document": "presidential_document"}
_MEETING = re.compile(r"^sunshine\s+act|\bmeetings?\b|\blistening\s+sessions?\b|\broundtables?\b|\bwebinars?\b", re.I)
_HEARING = re.compile(r"\bhearings?\b", re.I)
_COMMENT = re.compile(r"request\s+for\s+(comments?|information)|notice\s+of\s+inquiry|solicitation\s+of\s+comments?",
                      re.I)


class FederalRegisterSpider(TrackerSpider):
    name = "federal_register"
    base_url_setting = "FEDERAL_REGISTER_API_URL"
    official_base_url = OFFICIAL_BASE

    async def start(self) -> AsyncIterator[scrapy.Request]:
        config = source_config(self.name)
        today = datetime.now(UTC).date()
        if self.previous_watermark:
            since = date.fromisoformat(self.previous_watermark) - timedelta(days=int(config.get("overlap_days", 3)))
        else:
            since = date.fromisoformat(str(config.get("backfill_start", "2023-01-01")))
        self.config = config
        self.next_watermark = today.isoformat()
        yield self.window_request(since, today)

    def window_request(self, since: date, until: date) -> scrapy.Request:
        params: list[tuple[str, str]] = [
            ("conditions[publication_date][gte]", since.isoformat()),
            ("conditions[publication_date][lte]", until.isoformat()),
        ]
        params += [("conditions[agencies][]", slug) for slug in self.config.get("agencies", [])]
        params += [("conditions[type][]", t) for t in self.config.get("types", [])]
        if self.config.get("topic_terms", True):
            params.append(("conditions[term]", self.taxonomy.federal_register_term()))
        params += [("fields[]", f) for f in FIELDS]
        params += [("per_page", str(self.config.get("per_page", 1000))), ("order", "oldest")]
        url = f"{self.base_url}/documents.json?{urlencode(params)}"
        return scrapy.Request(url, callback=self.parse, errback=self.on_error,
                              cb_kwargs={"since": since, "until": until, "first": True})

    def parse(self, response: Response, since: date, until: date, first: bool = False) -> Iterator[Any]:
        data = self.load_json(response)
        if data is None:
            return
        if not isinstance(data, dict):
            self.reject(response.url, "unexpected_shape", f"expected an object, got {type(data).__name__}")
            self.outcome.failed_requests += 1
            return
        count = data.get("count") or 0
        if first and isinstance(count, int) and count > MAX_RESULTS:
            if since < until:
                middle = since + (until - since) // 2
                yield self.window_request(since, middle)
                yield self.window_request(middle + timedelta(days=1), until)
                return
            self.reject(response.url, "truncated",
                        f"{count} documents on {since}: only the first {MAX_RESULTS} can be read")
        # Zero hits come back without a ``results`` key at all.
        documents = data.get("results") or []
        self.empty_page(response, len(documents), count if isinstance(count, int) else None)
        for document in documents:
            item = self.build(response, document)
            if item is not None:
                yield item
        next_link = data.get("next_page_url")
        next_url = self.upstream_link(response, next_link) if next_link else None
        if next_url:
            yield scrapy.Request(next_url, callback=self.parse, errback=self.on_error,
                                 cb_kwargs={"since": since, "until": until})

    def build(self, response: Response, document: Any) -> MeetingItem | None:
        try:
            return document_to_meeting(document, response.url)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            number = document.get("document_number") if isinstance(document, dict) else None
            self.reject(response.url, "bad_document", f"document {number or '?'}: {type(exc).__name__}: {exc}")
            return None


def meeting_kind(document: dict[str, Any]) -> str:
    """What a document is to the union: a meeting, a hearing, a comment period, a rule or a notice."""
    title = document.get("title") or ""
    action = document.get("action") or ""
    dates = document.get("dates") or ""
    if document.get("type") == "Presidential Document":
        return "presidential_document"
    if _MEETING.search(title) or _MEETING.search(action):
        return "meeting"
    if _HEARING.search(title) or _HEARING.search(action) or dates.lower().startswith("hearing"):
        return "hearing"
    kind = _TYPE_KIND.get(document.get("type") or "")
    if kind:
        return kind
    if document.get("comments_close_on") or _COMMENT.search(action) or _COMMENT.search(title):
        return "request_for_comment"
    return "notice"


def _leaf_agency(agencies: list[dict[str, Any]]) -> dict[str, Any]:
    """The most specific agency: the one that is no other listed agency's parent."""
    parents = {a.get("parent_id") for a in agencies if a.get("parent_id")}
    leaves = [a for a in agencies if a.get("id") not in parents]
    return (leaves or agencies or [{}])[0]


def _docket_id(document: dict[str, Any]) -> str | None:
    info = document.get("regulations_dot_gov_info") or {}
    if isinstance(info, dict) and info.get("docket_id"):
        return str(info["docket_id"])
    for docket in document.get("dockets") or []:
        if isinstance(docket, dict) and docket.get("id"):
            return str(docket["id"])
    printed = document.get("docket_ids") or []
    if printed:
        return re.sub(r"^(docket\s+(no\.?|number)\s*)", "", str(printed[0]), flags=re.I).strip() or None
    return None


def document_to_meeting(document: dict[str, Any], source_url: str | None = None) -> MeetingItem:
    """Map one Federal Register document onto the shared meeting model."""
    number = document["document_number"]
    if not isinstance(number, str) or not number:
        raise ValueError("document_number is missing")
    agencies = [a for a in document.get("agencies") or [] if isinstance(a, dict)]
    leaf = _leaf_agency(agencies)
    kind = meeting_kind(document)
    start = parse_meeting_start(document.get("dates")) if kind in ("meeting", "hearing") else None
    abstract = document.get("abstract") or document.get("action")
    if document.get("dates") and kind in ("meeting", "hearing"):
        abstract = " ".join(filter(None, [abstract, document["dates"]]))
    return MeetingItem(
        id=f"fr-{number}",
        jurisdiction="us",
        kind=kind,
        title=document["title"],
        source="federal_register",
        source_id=number,
        source_url=source_url,
        agency=leaf.get("name") or leaf.get("raw_name"),
        agency_slug=leaf.get("slug"),
        abstract=abstract,
        start=start,
        comments_close_on=document.get("comments_close_on"),
        docket_id=_docket_id(document),
        document_url=document.get("html_url"),
        published_date=document.get("publication_date"),
        source_meta={
            "type": document.get("type"),
            "action": document.get("action"),
            "agencies": [a.get("slug") or a.get("raw_name") for a in agencies],
            "pdf_url": document.get("pdf_url"),
            "comment_url": document.get("comment_url"),
            "dates": document.get("dates"),
            **({"subtype": document.get("subtype"), "executive_order_number": document.get("executive_order_number"),
                "signing_date": document.get("signing_date")} if kind == "presidential_document" else {}),
        },
    )
