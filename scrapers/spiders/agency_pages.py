"""State agency meeting pages: one spider, one sources.yml entry per agency page.

How the upstream works, its traps, paging and quotas: docs/sources/agency_pages.md.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from cssselect import SelectorError
from parsel import Selector, SelectorList
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from twisted.python.failure import Failure

from ailabor.config import ConfigError, source_config
from ailabor.dates import parse_meeting_start
from ailabor.records import MeetingItem
from scrapers.spiders.base import TrackerSpider

_HEARING = re.compile(r"\bhearings?\b", re.I)
# A page without a title column may still say what a row is.
_PUBLIC_HEARING = re.compile(r"\bpublic\s+hearings?\b", re.I)
#: The settings of an agency page that are selectors.
SELECTOR_FIELDS = ("rows", "date", "title", "location", "agenda", "minutes")


@dataclass
class AgencyPage:
    """One configured agency page: where it is and how its meeting rows read."""

    slug: str
    agency: str
    start_url: str
    rows: str
    date: str
    jurisdiction: str = "ca"
    date_format: str | None = None
    date_pattern: str | None = None
    title: str | None = None
    default_title: str | None = None
    location: str | None = None
    agenda: str | None = None
    minutes: str | None = None

    @classmethod
    def from_config(cls, entry: Any) -> AgencyPage:
        if not isinstance(entry, dict):
            raise ConfigError(f"sources.yml: agency_pages entries must be mappings, got {entry!r}")
        missing = [k for k in ("slug", "agency", "start_url", "rows", "date") if not entry.get(k)]
        if missing:
            raise ConfigError(f"sources.yml: agency_pages entry {entry.get('slug', '?')!r} lacks {', '.join(missing)}")
        unknown = sorted(set(entry) - set(cls.__dataclass_fields__))
        if unknown:
            raise ConfigError(f"sources.yml: agency_pages entry {entry['slug']!r}: unknown keys {', '.join(unknown)}")
        return cls(**entry)


def select(node: Selector, selector: str) -> SelectorList:
    """Apply a configured selector: CSS, or XPath when it starts with ``xpath:``."""
    if selector.startswith("xpath:"):
        return node.xpath(selector[len("xpath:"):])
    return node.css(selector)


def selector_problem(page: AgencyPage) -> str | None:
    """Why one of a page's selectors cannot be applied (the field, the selector, the parser's error), or None.

    Tried on an empty document, so that a mistake in sources.yml is found
    before the page is fetched, not taken for a page without meetings.
    """
    empty = Selector(text="<html></html>")
    for name in SELECTOR_FIELDS:
        selector = getattr(page, name)
        if not selector:
            continue
        try:
            select(empty, selector)
        except (ValueError, SelectorError) as exc:  # XPath errors are ValueErrors, CSS ones cssselect's
            return f"{page.agency} ({page.slug}): the {name} selector {selector!r} is invalid: {exc}"
    return None


def _text(node: Selector, selector: str | None) -> str | None:
    if not selector:
        return None
    text = " ".join(t.strip() for t in select(node, selector).getall() if t.strip())
    return re.sub(r"\s+", " ", text) or None


def _link(node: Selector, selector: str | None, page: AgencyPage) -> str | None:
    """The first link a selector finds, absolute against the agency's own address (not a test mirror)."""
    href = (select(node, selector).get() or "").strip() if selector else ""
    return urljoin(page.start_url, href) if href else None


def parse_date(text: str | None, page: AgencyPage) -> str | None:
    """A row's date as ISO (with the time when the page gives one), by the page's format or as prose."""
    if not text:
        return None
    if page.date_pattern:
        match = re.search(page.date_pattern, text)
        if not match:
            return None
        text = match.group(1) if match.groups() else match.group(0)
    if page.date_format:
        try:
            moment = datetime.strptime(text.strip(), page.date_format)
        except ValueError:
            return None
        if "%H" in page.date_format or "%I" in page.date_format:
            return moment.isoformat(timespec="minutes")
        return moment.date().isoformat()
    return parse_meeting_start(text)


def rows_hash(rows: SelectorList) -> str:
    """What identifies the rows' content: template changes around them (banners, scripts) do not count."""
    return hashlib.sha1("\n".join(rows.getall()).encode()).hexdigest()


def page_meetings(html: str | bytes, page: AgencyPage, url: str | None = None) -> tuple[list[MeetingItem], list[str]]:
    """The meetings of one agency page, and one problem per row that could not be read.

    Meeting ids are ``{slug}-{date}``; a second meeting on the same day gets
    the hash of its title as well, so that ids stay stable across runs.
    """
    document = Selector(text=html.decode() if isinstance(html, bytes) else html)
    rows = select(document, page.rows)
    meetings: list[MeetingItem] = []
    problems: list[str] = []
    taken: set[str] = set()
    for number, row in enumerate(rows, start=1):
        raw_date = _text(row, page.date)
        start = parse_date(raw_date, page)
        if start is None:
            problems.append(f"{page.slug}: row {number}: no date in {raw_date!r} (selector {page.date!r})")
            continue
        title = _text(row, page.title) or page.default_title or f"{page.agency} meeting"
        meeting_id = f"{page.slug}-{start[:10]}"
        if meeting_id in taken:
            meeting_id += "-" + hashlib.sha1(title.encode()).hexdigest()[:6]
        taken.add(meeting_id)
        location = _text(row, page.location)
        text = _text(row, "xpath:.//text()")
        hearing = _HEARING.search(title) or _PUBLIC_HEARING.search(text or "")
        meetings.append(MeetingItem(
            id=meeting_id,
            jurisdiction=page.jurisdiction,
            kind="hearing" if hearing else "meeting",
            title=title,
            source="agency_pages",
            source_id=meeting_id,
            source_url=url,
            agency=page.agency,
            agency_slug=page.slug,
            abstract=text,
            start=start,
            location=location,
            agenda_url=_link(row, page.agenda, page),
            minutes_url=_link(row, page.minutes, page),
            document_url=page.start_url,
            source_meta={"page": page.start_url, "raw_date": raw_date},
        ))
    return meetings, problems


class AgencyPagesSpider(TrackerSpider):
    name = "agency_pages"
    base_url_setting = "AGENCY_PAGES_BASE_URL"
    # HTML sites, unlike the APIs: their robots.txt applies.
    custom_settings = {"ROBOTSTXT_OBEY": True}

    async def start(self) -> AsyncIterator[scrapy.Request]:
        config = source_config(self.name)
        self.pages = [AgencyPage.from_config(entry) for entry in config.get("agencies") or []]
        self.broken: list[str] = []
        self.hashes: dict[str, str] = {}
        try:
            self.previous_hashes = json.loads(self.previous_watermark or "{}")
        except ValueError:
            self.previous_hashes = {}
        self.report = {"pages": 0, "unchanged": 0}
        for page in self.pages:
            problem = selector_problem(page)
            if problem:
                self.page_unreadable(page.start_url, "bad_selector", problem)
                continue
            yield scrapy.Request(self.fetch_url(page.start_url), callback=self.parse, errback=self.on_error,
                                 cb_kwargs={"page": page})

    def fetch_url(self, url: str) -> str:
        """The page's address, on the test or mirror host when AGENCY_PAGES_BASE_URL is set."""
        base = self.settings.get(self.base_url_setting)
        if not base:
            return url
        parts = urlsplit(url)
        return base.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")

    def page_unreadable(self, url: str, kind: str, message: str) -> None:
        """A page that yields no meetings failed, it is not an empty success: recorded, and the run fails."""
        self.outcome.failed_requests += 1
        self.broken.append(message)
        self.reject(url, kind, message)

    def parse(self, response: Response, page: AgencyPage) -> Iterator[MeetingItem]:
        rows = select(Selector(text=response.text), page.rows)
        if not rows:
            self.page_unreadable(response.url, "structure_changed", f"{page.agency} ({page.slug}): no meeting rows "
                                 f"match {page.rows!r}; the page's structure changed")
            return
        self.outcome.good_responses += 1
        self.report["pages"] += 1
        digest = self.hashes[page.slug] = rows_hash(rows)
        if self.previous_hashes.get(page.slug) == digest:
            self.report["unchanged"] += 1
            return
        meetings, problems = page_meetings(response.text, page, response.url)
        for problem in problems:
            self.reject(response.url, "bad_row", problem)
        if not meetings:
            self.page_unreadable(response.url, "structure_changed",
                                 f"{page.agency} ({page.slug}): no row has a date readable by {page.date!r}")
            return
        for meeting in meetings:
            meeting.source_meta["rows_hash"] = digest
            yield meeting

    def on_error(self, failure: Failure) -> None:
        super().on_error(failure)
        page = failure.request.cb_kwargs.get("page") if hasattr(failure, "request") else None
        if page is not None and failure.check(IgnoreRequest):
            self.broken.append(f"{page.agency} ({page.slug}): {page.start_url} is forbidden by robots.txt")

    def final_watermark(self) -> str | None:
        return json.dumps(dict(self.previous_hashes, **self.hashes), sort_keys=True)

    def _closed(self, spider: scrapy.Spider, reason: str) -> None:
        super()._closed(spider, reason)
        if spider is self and self.broken:
            # A page that lost its structure is a failure to fix, even when the other pages were read.
            self.run.finish("failed", watermark=None, message="; ".join(self.broken))
