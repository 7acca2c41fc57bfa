"""Open States API v3 as every spider on its one key speaks it: the key, the pace, the day's quota and 429s.

How the upstream works, its traps, paging and quotas: docs/sources/openstates.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response
from scrapy.settings import BaseSettings

from ailabor.config import openstates_config, source_config
from ailabor.redaction import redact
from scrapers.spiders.base import NOT_JSON, TrackerSpider

logger = logging.getLogger(__name__)

# How many per-minute 429s in a row are waited out before the run gives up as partial.
MINUTE_RETRIES = 3
# Pacing runs this much slower than the limit: the server counts per calendar minute on its
# own clock, and a request it blocks still counts against the day.
PACING_MARGIN = 1.05

# The sources.yml section that holds the key's limits, and the sources that spend the key's day.
KEY_SECTION = "openstates"
QUOTA_SOURCES = ("openstates", "openstates_events")

_JURISDICTION_CODE = re.compile(r"/(?:state|district|territory):([a-z]{2})(?:/|$)")


class OpenStatesError(ValueError):
    """An Open States object that cannot become an item; the message says why."""


def minute_seconds() -> float:
    """How long the upstream's rate-limit minute lasts: 60, shortened only by tests (OPENSTATES_MINUTE_SECONDS)."""
    return float(os.environ.get("OPENSTATES_MINUTE_SECONDS") or 60)


def request_interval(requests_per_minute: float, minute: float = 60.0) -> float:
    """Seconds between two requests so that a minute never holds more than the limit."""
    return minute / requests_per_minute * PACING_MARGIN


def rate_limit_kind(detail: str) -> str:
    """Which limit a 429 names: ``minute``, ``day`` or ``other`` ("exceeded limit of 10/min: 11")."""
    if re.search(r"/\s*min", detail):
        return "minute"
    if re.search(r"/\s*day", detail):
        return "day"
    return "other"


def jurisdiction_code(ocd_id: str) -> str:
    """``ca`` from ``ocd-jurisdiction/country:us/state:ca/government`` (also ``district:dc``, ``territory:pr``)."""
    match = _JURISDICTION_CODE.search(ocd_id or "")
    if not match:
        raise OpenStatesError(f"jurisdiction id {ocd_id!r} names no state, district or territory")
    return match.group(1)


def error_detail(response: Response) -> str:
    """The ``detail`` of an Open States error answer, or the start of its body."""
    try:
        detail = json.loads(response.text).get("detail")
    except (*NOT_JSON, AttributeError):
        detail = None
    # Hidden before it is cut, so that no half of a key survives the cut.
    return str(detail) if detail else redact(response.body.decode("utf-8", "replace"))[:200]


class OpenStatesApi(TrackerSpider):
    """What every spider on the one Open States key shares: the key, the pace and the day's quota.

    The limits (``requests_per_minute``, ``daily_quota``) are the key's, so
    they are read from the ``openstates`` section whichever spider spends them.
    """

    base_url_setting = "OPENSTATES_API_URL"
    api_key_env = "OPENSTATES_API_KEY"
    key_help = "https://openstates.org/account/profile/"
    #: Where the next run starts after the day's quota ran out, for the partial run's message.
    resumes_at = "at the last bill stored"
    daily_quota_spent = False

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        config = openstates_config(source_config(KEY_SECTION))
        settings.set("DOWNLOAD_DELAY", request_interval(config["requests_per_minute"], minute_seconds()),
                     priority="spider")
        settings.set("DOWNLOAD_DELAY_JITTER", 0, priority="spider")
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 1, priority="spider")
        # A 429 from Open States is answered here, not by blind retries: a daily one ends the run
        # and a per-minute one waits for the next minute.
        codes = [int(c) for c in settings.getlist("RETRY_HTTP_CODES") if int(c) != 429]
        settings.set("RETRY_HTTP_CODES", codes, priority="spider")

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-KEY": self.api_key or "", "Accept": "application/json"}

    def listing_request(self, path: str, params: list[tuple[str, str]], cb_kwargs: dict[str, Any]) -> scrapy.Request:
        """A page of a listing for the spider's ``parse``, which also gets a 404 (the listing shrank while
        we paged) and a 429 (for ``rate_limited``)."""
        return scrapy.Request(
            f"{self.base_url}{path}?{urlencode(params)}", headers=self.headers, callback=self.parse,
            errback=self.on_error, dont_filter=True, meta={"handle_httpstatus_list": [404, 429]}, cb_kwargs=cb_kwargs)

    @cached_property
    def limits(self) -> dict[str, Any]:
        return openstates_config(source_config(KEY_SECTION))

    async def rate_limited(self, response: Response) -> AsyncIterator[scrapy.Request]:
        """A 429: the same request again after the next minute begins, or the end of the run for the day.

        The request's ``minute_waits`` callback argument counts the waits, so a
        limit that does not lift ends the run instead of waiting for ever.
        """
        detail = error_detail(response)
        request = response.request
        waits = int(request.cb_kwargs.get("minute_waits", 0))
        if rate_limit_kind(detail) == "minute" and waits < MINUTE_RETRIES:
            minute = minute_seconds()
            wait = minute - time.time() % minute + minute / 60
            logger.info("Open States: %s; waiting %.1fs for the next minute", detail, wait)
            await asyncio.sleep(wait)
            yield request.replace(cb_kwargs={**request.cb_kwargs, "minute_waits": waits + 1})
            return
        self.quota_spent_now(response.url, detail)

    def listing_page(self, response: Response, page: int) -> dict[str, Any] | None:
        """One page of a listing (its ``results`` a list), or None after recording why it cannot be used."""
        data = self.load_json(response)
        if data is None:
            return None
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list):
            self.outcome.failed_requests += 1
            self.reject(response.url, "unexpected_shape", "expected {results: [...], pagination: {...}}")
            return None
        if self.empty_results(response, data, results, page):
            return None
        return data

    def empty_results(self, response: Response, data: dict[str, Any], results: list[Any], page: int) -> bool:
        """True (recorded) when a page is empty although its pagination has results and counts this page in."""
        pagination = data.get("pagination") if isinstance(data.get("pagination"), dict) else {}
        total, max_page = pagination.get("total_items"), pagination.get("max_page")
        counted = isinstance(total, int) and isinstance(max_page, int) and page <= max_page
        return self.empty_page(response, len(results), total if counted else None)

    def quota_spent_now(self, url: str, detail: str) -> None:
        self.daily_quota_spent = True
        self.reject(url, "quota_spent", f"HTTP 429: {detail}", lost=False)
        self.update_report()
        self.stop_partial(f"Open States quota spent ({detail}); the next run resumes {self.resumes_at}")

    def quota_left(self) -> int:
        """The day's requests left on the key, counted from this key's runs today (the API does not say)."""
        if self.daily_quota_spent:
            return 0
        today = datetime.now(UTC).date().isoformat()
        placeholders = ",".join("?" for _ in QUOTA_SOURCES)
        # Bill texts come from the legislatures' own sites: they do not count against the key.
        earlier = self.run.db.execute(
            "SELECT coalesce(sum(requests - coalesce(json_extract(details, '$.text_requests'), 0)), 0)"
            f" FROM crawl_runs WHERE source IN ({placeholders}) AND started_at >= ? AND id != ?",
            [*QUOTA_SOURCES, today, self.run.id]).fetchone()[0]
        used = int(self.crawler.stats.get_value("downloader/request_count", 0)) if self.crawler.stats else 0
        used -= self.text_requests
        return max(0, self.limits["daily_quota"] - earlier - used)

    def update_report(self) -> None:
        self.report["quota_left"] = self.quota_left()
