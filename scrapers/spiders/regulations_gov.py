"""Regulations.gov documents on AI and work: comment periods, their deadlines and how many comments came in.

How the upstream works, its traps, paging and quotas: docs/sources/regulations_gov.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from ailabor.config import source_config
from ailabor.records import MeetingItem
from ailabor.store.changes import CONTRIBUTIONS
from scrapers.spiders.base import NOT_JSON, TrackerSpider
from scrapers.spiders.federal_register import meeting_kind
from scrapers.texts import strip_markup

SOURCE = "regulations_gov"
# The API serves at most 20 pages of at most 250 results for one query.
MAX_PAGE = 20
PAGE_SIZE = 250
# ``filter[lastModifiedDate]`` is read as Eastern wall-clock time, while responses are in UTC.
EASTERN = ZoneInfo("America/New_York")
FILTER_TIME = "%Y-%m-%d %H:%M:%S"


# Pure mapping, unit-testable on recorded bodies ------------------------------------------------------


def upstream_error(data: Any) -> str | None:
    """The message of an error body (``{"errors": [...]}`` or the gateway's ``{"error": {...}}``), else None."""
    if not isinstance(data, dict):
        return None
    errors = data.get("errors")
    if isinstance(errors, list) and errors:
        parts = []
        for error in errors:
            if isinstance(error, dict):
                parts.append(": ".join(str(error[k]) for k in ("title", "detail") if error.get(k)))
        return "; ".join(p for p in parts if p) or "error"
    error = data.get("error")
    if isinstance(error, dict):
        return ": ".join(str(error[k]) for k in ("code", "message") if error.get(k)) or "error"
    if isinstance(error, str):
        return error
    return None


def read_body(body: bytes) -> tuple[Any, str | None]:
    """A response body as (JSON, None), or (None, why it is unusable); never raises.

    The API answers ``application/vnd.api+json``, which Scrapy does not know
    as text: the body is decoded here, not through ``response.text``.
    """
    try:
        data = json.loads(body.decode("utf-8"))
    except NOT_JSON as exc:  # UnicodeDecodeError is a ValueError
        head = body[:200].lstrip().lower()
        return None, "an HTML page instead of JSON" if head.startswith(b"<") else f"invalid JSON: {exc}"
    message = upstream_error(data)
    if message:
        return None, message
    if not isinstance(data, dict) or "data" not in data:
        return None, "no data in the response"
    return data, None


def eastern_date(stamp: str | None) -> str | None:
    """The Eastern calendar date of a UTC stamp: a comment period ending 04:59:59Z closes the day before."""
    moment = _utc(stamp)
    return moment.astimezone(EASTERN).date().isoformat() if moment else None


def filter_time(moment: datetime) -> str:
    """A moment as ``filter[lastModifiedDate]`` reads it: Eastern wall-clock time."""
    return moment.astimezone(EASTERN).strftime(FILTER_TIME)


def _utc(stamp: str | None) -> datetime | None:
    if not stamp or not isinstance(stamp, str):
        return None
    moment = datetime.fromisoformat(stamp)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _text(html: str | None) -> str | None:
    """Plain text of an abstract or highlight (``<mark><em>`` and entities)."""
    if not html:
        return None
    return re.sub(r"\s+", " ", strip_markup(html)).strip() or None


def comment_count(data: Any) -> int:
    """The number from a ``/document-comments-received-counts/{id}`` body."""
    count = data["data"]["attributes"]["count"]
    if not isinstance(count, int):
        raise TypeError(f"count is not a number: {count!r}")
    return count


def document_to_meeting(resource: dict[str, Any], source_url: str | None = None, *,
                        agency_names: dict[str, str] | None = None,
                        comments_received: int | None = None) -> MeetingItem:
    """Map one Regulations.gov document (list entry or detail) onto the shared meeting model."""
    document_id = resource["id"]
    attrs = resource["attributes"]
    if not isinstance(document_id, str) or not document_id or not isinstance(attrs, dict):
        raise ValueError("document id or attributes missing")
    title = attrs["title"]
    if not isinstance(title, str) or not title.strip():
        raise ValueError("title is missing")
    closes = eastern_date(attrs.get("commentEndDate"))
    agency = attrs.get("agencyId")
    fr_number = attrs.get("frDocNum") or None
    kind = meeting_kind({"title": title, "action": attrs.get("subtype"), "type": attrs.get("documentType"),
                         "comments_close_on": closes})
    meta = {
        "document_id": document_id,
        "document_type": attrs.get("documentType"),
        "subtype": attrs.get("subtype"),
        "fr_doc_num": fr_number,
        "comment_start_date": eastern_date(attrs.get("commentStartDate")),
        "comment_end_date": closes,
        "open_for_comment": attrs.get("openForComment"),
        "withdrawn": attrs.get("withdrawn"),
        "comments_received": comments_received,
        "last_modified": attrs.get("lastModifiedDate"),
        "comment_url": f"https://www.regulations.gov/commenton/{document_id}" if attrs.get("openForComment") else None,
    }
    docket_id = attrs.get("docketId") or None
    if fr_number:
        # The Federal Register describes this document; our part is the comment period and the count.
        fields = {"comments_close_on": closes, "docket_id": docket_id}
        meeting_id, source_meta = f"fr-{fr_number}", {CONTRIBUTIONS: {SOURCE: {"fields": fields, "meta": meta}}}
    else:
        meeting_id, source_meta = f"regsgov-{document_id}", meta
    return MeetingItem(
        id=meeting_id,
        jurisdiction="us",
        kind=kind,
        title=title.strip(),
        source=SOURCE,
        source_id=document_id,
        source_url=source_url,
        agency=(agency_names or {}).get(agency, agency),
        agency_slug=agency.lower() if isinstance(agency, str) else None,
        abstract=_text(attrs.get("docAbstract")),
        comments_close_on=closes,
        docket_id=docket_id,
        document_url=f"https://www.regulations.gov/document/{document_id}",
        published_date=eastern_date(attrs.get("postedDate")),
        source_updated_at=attrs.get("lastModifiedDate") or attrs.get("modifyDate"),
        source_meta=source_meta,
    )


# The spider -----------------------------------------------------------------------------------------


class RegulationsGovSpider(TrackerSpider):
    name = SOURCE
    base_url_setting = "REGULATIONS_GOV_API_URL"
    api_key_env = "DATA_GOV_API_KEY"
    key_help = "https://api.data.gov/signup/"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.config = config = source_config(self.name)
        self.agency_names: dict[str, str] = dict(config.get("agencies") or {})
        self.since = self.window_start()
        self.latest: str | None = None
        self.dockets_asked: set[str] = set()
        self.documents_asked: set[str] = set()
        self.counts_asked: set[str] = set()
        self.fresh_counts: dict[str, int] = {}
        self.report = {"documents": 0, "comment_counts": 0}
        self.stored_docs, refresh = self.load_stored()
        self.docket_since = self.docket_search_since()
        if self.docket_since is not None:
            # Read back by the next run to know when the dockets were last searched (ailabor/crawl.py
            # does not print keys starting with "_").
            self.report["_dockets_searched_at"] = datetime.now(UTC).isoformat()
        for docket in config.get("dockets") or []:
            yield self.docket_documents(str(docket), self.since)
        scope = [("filter[agencyId]", ",".join(self.agency_names))] if self.agency_names else []
        # The same AI phrases as the Federal Register search (topics.yml), unless sources.yml names its own.
        for term in config.get("search_terms") or self.taxonomy.search_phrases():
            filters = scope + [("filter[searchTerm]", str(term))]
            yield self.list_request("/documents", filters, self.since)
            if self.docket_since is not None:
                yield self.list_request("/dockets", filters, self.docket_since)
        for document_id in refresh:
            yield self.count_request(document_id)

    def window_start(self) -> str:
        """The ``filter[lastModifiedDate][ge]`` value: the watermark less the overlap, in Eastern time."""
        if self.previous_watermark:
            overlap = timedelta(hours=float(self.config.get("overlap_hours", 6)))
            moment = _utc(self.previous_watermark)
            assert moment is not None
            return filter_time(moment - overlap)
        return f"{self.config.get('backfill_start', '2023-01-01')} 00:00:00"

    def docket_search_since(self) -> str | None:
        """Where this run's dockets searches start, or None when the last complete one is under a week old."""
        if not self.previous_watermark:
            return self.since
        row = self.run.db.execute(
            "SELECT json_extract(details, '$._dockets_searched_at') FROM crawl_runs WHERE source = ? AND status = 'ok'"
            " AND id != ? AND json_extract(details, '$._dockets_searched_at') IS NOT NULL ORDER BY id DESC LIMIT 1",
            [SOURCE, self.run.id]).fetchone()
        last = _utc(row[0]) if row else None
        if last is None:
            return self.since  # searched by every run before this bookkeeping existed
        if datetime.now(UTC) - last < timedelta(days=float(self.config.get("docket_search_days", 7))):
            return None
        overlap = timedelta(hours=float(self.config.get("overlap_hours", 6)))
        return min(self.since, filter_time(last - overlap))

    def load_stored(self) -> tuple[dict[str, dict[str, Any]], list[str]]:
        """Stored documents (their meeting row and our bookkeeping) by id, and those whose comment period is
        open or just closed."""
        since = (datetime.now(UTC).date() - timedelta(days=int(self.config.get("count_days", 30)))).isoformat()
        docs: dict[str, dict[str, Any]] = {}
        refresh: list[str] = []
        rows = self.run.db.query("SELECT * FROM meetings WHERE source = ? OR source_meta LIKE ?",
                                 [SOURCE, f'%"{SOURCE}"%'])
        for row in rows:
            stored_meta = json.loads(row["source_meta"] or "{}")
            contribution = (stored_meta.get(CONTRIBUTIONS) or {}).get(SOURCE)
            meta = contribution.get("meta", {}) if contribution else stored_meta
            document_id = meta.get("document_id")
            if not document_id:
                continue
            docs[document_id] = {"row": row, "meta": meta, "contribution": contribution}
            if row["comments_close_on"] and row["comments_close_on"] >= since:
                refresh.append(document_id)
        return docs, refresh

    def stored_count(self, document_id: str) -> int | None:
        count = (self.stored_docs.get(document_id) or {}).get("meta", {}).get("comments_received")
        return count if isinstance(count, int) else None

    # Requests ------------------------------------------------------------------------------------

    def api_request(self, path: str, params: list[tuple[str, str]], **kwargs: Any) -> scrapy.Request:
        # Brackets and spaces percent-encoded (not "+"); the key travels as a header, never in the URL.
        query = f"?{urlencode(params, quote_via=quote)}" if params else ""
        return scrapy.Request(f"{self.base_url}{path}{query}", headers={"X-Api-Key": self.api_key or ""},
                              errback=kwargs.pop("errback", self.on_error), **kwargs)

    def list_request(self, path: str, filters: list[tuple[str, str]], since: str, page: int = 1) -> scrapy.Request:
        key = "docketId" if path == "/dockets" else "documentId"
        params = filters + [
            ("filter[lastModifiedDate][ge]", since),
            ("sort", f"lastModifiedDate,{key}"),
            ("page[size]", str(self.config.get("page_size", PAGE_SIZE))),
            ("page[number]", str(page)),
        ]
        return self.api_request(path, params, callback=self.parse_list,
                                cb_kwargs={"path": path, "filters": filters, "since": since, "page": page})

    def docket_documents(self, docket_id: str, since: str) -> scrapy.Request:
        self.dockets_asked.add(docket_id)
        return self.list_request("/documents", [("filter[docketId]", docket_id)], since)

    def detail_request(self, document_id: str, listed: dict[str, Any]) -> scrapy.Request | None:
        if document_id in self.documents_asked:
            return None
        stamp = listed.get("lastModifiedDate")
        if stamp and stamp == (self.stored_docs.get(document_id) or {}).get("meta", {}).get("last_modified"):
            return None  # unchanged since stored; an open period's count is asked for separately
        self.documents_asked.add(document_id)
        return self.api_request(f"/documents/{quote(document_id)}", [], callback=self.parse_detail,
                                cb_kwargs={"listed": listed})

    # Responses -----------------------------------------------------------------------------------

    def page(self, response: Response) -> dict[str, Any] | None:
        """A response's JSON:API object, or None after recording why it is unusable."""
        self.check_quota(response)
        data, problem = read_body(response.body)
        if problem:
            self.outcome.failed_requests += 1
            self.reject(response.url, "bad_response", f"HTTP {response.status}: {problem}", lost=False)
            return None
        self.outcome.good_responses += 1
        return data

    def parse_list(self, response: Response, path: str, filters: list[tuple[str, str]], since: str,
                   page: int) -> Iterator[scrapy.Request]:
        data = self.page(response)
        if data is None:
            return
        resources = [r for r in data["data"] or [] if isinstance(r, dict)] if isinstance(data["data"], list) else []
        meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
        total, size = meta.get("totalElements"), meta.get("pageSize")
        remaining = total - (page - 1) * size if isinstance(total, int) and isinstance(size, int) else None
        if self.empty_page(response, len(resources), remaining):
            return
        last_stamp = None
        for resource in resources:
            attrs = resource.get("attributes") if isinstance(resource.get("attributes"), dict) else {}
            stamp = attrs.get("lastModifiedDate")
            if isinstance(stamp, str):
                last_stamp = stamp
                self.latest = max(self.latest or stamp, stamp)
            resource_id = resource.get("id")
            if not isinstance(resource_id, str):
                self.reject(response.url, "bad_document", f"an entry without an id: {str(resource)[:200]}")
            elif path == "/dockets":
                if resource_id not in self.dockets_asked:
                    yield self.docket_documents(resource_id, self.docket_since or since)
            else:
                request = self.detail_request(resource_id, attrs)
                if request is not None:
                    yield request
        if not meta.get("hasNextPage"):
            return
        if page < MAX_PAGE:
            yield self.list_request(path, filters, since, page + 1)
            return
        # Past the last page the API will serve: the same query again, from the last date read
        # (sorted by lastModifiedDate, so nothing between is skipped; the overlap is deduplicated).
        moment = _utc(last_stamp)
        narrowed = filter_time(moment) if moment else None
        if narrowed is None or narrowed <= since:
            self.outcome.failed_requests += 1
            self.reject(response.url, "truncated", f"more than {MAX_PAGE} pages modified at {since} (Eastern)")
            return
        yield self.list_request(path, filters, narrowed)

    def parse_detail(self, response: Response, listed: dict[str, Any]) -> Iterator[Any]:
        data = self.page(response)
        if data is None:
            return
        resource = data["data"]
        try:
            attrs = dict(listed, **resource["attributes"])
            document = dict(resource, attributes=attrs)
            item = document_to_meeting(document, response.url, agency_names=self.agency_names,
                                       comments_received=self.stored_count(resource["id"]))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            name = resource.get("id") if isinstance(resource, dict) else None
            self.reject(response.url, "bad_document", f"document {name or '?'}: {type(exc).__name__}: {exc}")
            return
        self.report["documents"] += 1
        if item.source_id in self.fresh_counts:
            _meta(item)["comments_received"] = self.fresh_counts[item.source_id]
            yield item
        elif attrs.get("commentEndDate") or attrs.get("commentStartDate"):
            yield self.api_request(f"/document-comments-received-counts/{quote(item.source_id or '')}", [],
                                   callback=self.parse_count, errback=self.count_failed, cb_kwargs={"item": item})
        else:
            yield item

    def count_request(self, document_id: str) -> scrapy.Request:
        """A stored document's comment count alone: nothing else of it changes without its lastModifiedDate."""
        self.counts_asked.add(document_id)
        return self.api_request(f"/document-comments-received-counts/{quote(document_id)}", [],
                                callback=self.parse_stored_count, cb_kwargs={"document_id": document_id})

    def read_count(self, response: Response, document_id: str, *, lost: bool) -> int | None:
        """A document's comment count from its answer, or None after recording why there is none."""
        self.check_quota(response)
        data, problem = read_body(response.body)
        try:
            if problem:
                raise ValueError(problem)
            count = comment_count(data)
        except (KeyError, TypeError, ValueError) as exc:
            self.reject(response.url, "comment_count_failed", f"{document_id}: {exc}", lost=lost)
            return None
        self.outcome.good_responses += 1
        self.report["comment_counts"] += 1
        return count

    def parse_stored_count(self, response: Response, document_id: str) -> Iterator[MeetingItem]:
        count = self.read_count(response, document_id, lost=False)
        if count is None:
            return
        self.fresh_counts[document_id] = count
        if document_id in self.documents_asked:
            return  # read in full this run: that item carries the count
        item = stored_item(self.stored_docs[document_id], count, datetime.now(EASTERN).date().isoformat())
        if item is not None:
            yield item

    def parse_count(self, response: Response, item: MeetingItem) -> Iterator[MeetingItem]:
        count = self.read_count(response, str(item.source_id), lost=True)
        if count is not None:
            _meta(item)["comments_received"] = count
        yield item

    def count_failed(self, failure: Failure) -> Iterator[MeetingItem]:
        """A count that cannot be had is recorded; the document is stored with the count it had."""
        response = getattr(failure.value, "response", None)
        if response is not None:
            self.check_quota(response)
        item = failure.request.cb_kwargs["item"]
        self.reject(failure.request.url, "comment_count_failed", f"{item.source_id}: {self.describe(failure)}")
        yield item

    # Errors and quota ------------------------------------------------------------------------------

    def describe(self, failure: Failure) -> str:
        response = getattr(failure.value, "response", None)
        if response is None:
            return failure.getErrorMessage() or type(failure.value).__name__
        _, problem = read_body(response.body)
        return f"HTTP {response.status}: {problem or 'error'}"

    def on_error(self, failure: Failure) -> None:
        response = getattr(failure.value, "response", None)
        if response is None:
            super().on_error(failure)
            return
        if response.status == 404:
            # A document taken down since it was stored: nothing to read again, nothing lost this run.
            self.reject(failure.request.url, "not_found", self.describe(failure), lost=False)
            return
        self.outcome.failed_requests += 1
        self.reject(failure.request.url, "http_error", self.describe(failure), lost=False)
        if response.status in (401, 403):
            refused = self.describe(failure)
            self.stop_partial(f"{self.api_key_env} was refused ({refused}); get a key at {self.key_help}")
        elif self.quota_spent(response):
            self.stop_partial(f"quota spent at {failure.request.url}")
        else:
            self.check_quota(response)

    def check_quota(self, response: Response) -> None:
        remaining = response.headers.get("X-Ratelimit-Remaining")
        if remaining is not None and remaining.isdigit() and int(remaining) <= int(self.config.get("quota_reserve", 5)):
            self.stop_partial(f"hourly quota nearly spent: {int(remaining)} requests left")

    def final_watermark(self) -> str | None:
        """The newest ``lastModifiedDate`` read; a run that read nothing keeps the last one."""
        if self.latest and (not self.previous_watermark or self.latest > self.previous_watermark):
            return self.latest
        return self.previous_watermark


def stored_item(stored: dict[str, Any], count: int, today: str) -> MeetingItem | None:
    """A stored document again with a new comment count, or None when nothing changed.

    A period that closed since it was stored is no longer open for comment,
    even though the document itself (and its ``lastModifiedDate``) did not change.
    """
    row, meta = stored["row"], dict(stored["meta"])
    meta["comments_received"] = count
    if meta.get("comment_end_date") and meta["comment_end_date"] < today and meta.get("open_for_comment"):
        meta.update(open_for_comment=False, comment_url=None)
    if meta == stored["meta"]:
        return None
    if stored["contribution"] is not None:
        source_meta = {CONTRIBUTIONS: {SOURCE: dict(stored["contribution"], meta=meta)}}
    else:
        source_meta = meta
    columns = ("id", "jurisdiction", "kind", "title", "agency", "agency_slug", "abstract", "start", "location",
               "comments_close_on", "docket_id", "document_url", "agenda_url", "minutes_url", "published_date",
               "source_updated_at")
    return MeetingItem(**{name: row[name] for name in columns}, source=SOURCE, source_id=meta["document_id"],
                       source_meta=source_meta)


def _meta(item: MeetingItem) -> dict[str, Any]:
    """The item's own bookkeeping, wherever the item files it."""
    contribution = (item.source_meta.get(CONTRIBUTIONS) or {}).get(SOURCE)
    return contribution["meta"] if contribution else item.source_meta
