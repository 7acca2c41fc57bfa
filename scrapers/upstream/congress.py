"""Congress.gov API v3 as every spider on it speaks it: the key, ``format=json``, paging, the hourly quota.

How the upstream works, its traps, paging and quotas: docs/sources/congress.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from ailabor.config import source_config
from ailabor.records import bill_id, bill_identifier
from ailabor.redaction import redact
from scrapers.spiders.base import TrackerSpider

logger = logging.getLogger(__name__)

DEMO_KEY = "DEMO_KEY"
PAGE_SIZE = 250  # the API's maximum; a larger limit silently yields 250
STAMP = "%Y-%m-%dT%H:%M:%SZ"  # how fromDateTime and toDateTime are written
_OURS = ("fromDateTime", "toDateTime", "sort")  # query parameters a followed link cannot change


def bill_key(congress: str | int, bill_type: str, number: str | int) -> str:
    """``us-119-hr1234``."""
    return bill_id("us", str(congress), bill_identifier(bill_type, number))


def ordinal(n: int) -> str:
    """``119th``, ``121st``: how congress.gov writes a Congress in its addresses."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def api_path(url: str) -> tuple[str, list[tuple[str, str]]]:
    """The API path (after ``/v3``) and the query of a URL printed by the API, without any ``api_key``."""
    split = urlsplit(url)
    path = split.path
    if "/v3/" in path or path.endswith("/v3"):
        path = path[path.index("/v3") + 3:]
    query = [(k, v) for k, v in parse_qsl(split.query, keep_blank_values=True) if k.lower() != "api_key"]
    return path or "/", query


def api_stamp(stamp: str) -> str:
    """An updateDate (a date or a date-time) as a UTC date-time the API accepts in ``fromDateTime``."""
    stamp = stamp.strip()
    if len(stamp) == 10:
        return f"{stamp}T00:00:00Z"
    parsed = datetime.fromisoformat(stamp)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime(STAMP)


def _int_header(response: Response, name: str) -> int | None:
    value = response.headers.get(name)
    if value is None:
        return None
    try:
        return int(value.decode("latin-1").strip())
    except ValueError:
        return None


class CongressApi(TrackerSpider):
    """What every spider on Congress.gov shares: the key (or DEMO_KEY), ``format=json``, the hourly quota.

    The key travels only in the ``X-Api-Key`` header, and any ``api_key`` a
    printed link carries is dropped (error messages are redacted where they are stored: ailabor/redaction.py).
    Subclasses call ``open_window`` before their first request.
    """

    base_url_setting = "CONGRESS_API_URL"
    official_base_url = "https://api.congress.gov/v3"
    api_key_env = "CONGRESS_API_KEY"
    key_help = "https://api.congress.gov/sign-up/"
    config: dict[str, Any]

    @classmethod
    def missing_key(cls) -> str | None:
        # DEMO_KEY works without sign-up, slowly: the spider runs and warns instead of being skipped.
        return None

    @property
    def key(self) -> str:
        return self.api_key or DEMO_KEY

    def warn_without_key(self) -> None:
        if not self.api_key:
            logger.warning("%s: %s is not set; using DEMO_KEY, which allows only a few dozen requests an"
                           " hour; get a key at %s", self.name, self.api_key_env, self.key_help)

    def open_window(self) -> datetime:
        """Read the source's settings (``self.config``) and fix the update window this run reads; returns now.

        The window ends now (``self.until``, also the next watermark) and
        starts ``overlap_hours`` before the previous watermark (``self.since``;
        None on a first run, where each spider backfills its own way).
        """
        self.config = source_config(self.name)
        self.warn_without_key()
        now = datetime.now(UTC).replace(microsecond=0)
        self.until = self.next_watermark = now.strftime(STAMP)
        self.since: str | None = None
        if self.previous_watermark:
            overlap = timedelta(hours=float(self.config.get("overlap_hours", 2)))
            since = datetime.fromisoformat(api_stamp(self.previous_watermark)) - overlap
            self.since = since.strftime(STAMP)
        return now

    def api_request(self, path: str, query: Iterable[tuple[str, str]] = (), **kwargs: Any) -> scrapy.Request:
        """A request to the API: ``format=json`` always, the key only in the header."""
        params = [(k, v) for k, v in query if k not in ("format", "api_key")] + [("format", "json")]
        url = f"{self.base_url}{path}?{urlencode(params, safe=':+')}"
        kwargs.setdefault("errback", self.on_error)
        # The spider asks for each thing once by its own bookkeeping; a request Scrapy's duplicate filter
        # dropped (a bill's /titles, read once to screen it and again as its part) would never answer.
        kwargs.setdefault("dont_filter", True)
        return scrapy.Request(url, headers={"X-Api-Key": self.key, "Accept": "application/json"}, **kwargs)

    def follow(self, response: Response, next_url: Any, ours: Iterable[tuple[str, str]],
               **kwargs: Any) -> scrapy.Request | None:
        """The next page as the API printed it, on our base URL, without any key, in our window and order.

        The page position (offset, limit) is the API's; the window and sort are
        ours whatever the printed link says. None (recorded) for a link off
        the upstream (``upstream_link``).
        """
        url = self.upstream_link(response, next_url)
        if url is None:
            return None
        path, query = api_path(url)
        ours = list(ours)
        given = {k for k, _ in query}
        kept = [(k, v) for k, v in query if k not in _OURS]
        return self.api_request(path, kept + [(k, v) for k, v in ours if k in _OURS or k not in given], **kwargs)

    def current_congress(self, response: Response) -> int | None:
        """The Congress number a ``/congress/current`` answer names, or None after recording why not."""
        data = self.page(response)
        if data is None:
            return None
        congress = data.get("congress")
        number = congress.get("number") if isinstance(congress, dict) else None
        if not str(number or "").isdigit():
            self.outcome.failed_requests += 1
            self.reject(response.url, "unexpected_shape", "no congress number in /congress/current")
            return None
        return int(str(number))

    # Responses ----------------------------------------------------------------------------------

    def page(self, response: Response) -> dict[str, Any] | None:
        """A response's JSON object, or None after recording why it is unusable; stops before the quota is gone."""
        self.check_quota(response)
        data = self.load_json(response)
        if data is None:
            return None
        if not isinstance(data, dict):
            self.outcome.failed_requests += 1
            self.reject(response.url, "unexpected_shape", f"expected an object, got {type(data).__name__}")
            return None
        if "error" in data:
            # Application failures come back as {"error": "<exception text>", "request": {…}}.
            self.outcome.failed_requests += 1
            # Hidden before it is cut, so that no half of a key survives the cut.
            self.reject(response.url, "upstream_error", redact(str(data["error"]))[:500])
            return None
        return data

    def empty_list(self, response: Response, data: dict[str, Any], key: str) -> bool:
        """True (recorded) when a list page is empty although its count says entries remain past its offset."""
        entries = data.get(key)
        count = (data.get("pagination") or {}).get("count")
        offset = dict(parse_qsl(urlsplit(response.url).query)).get("offset", "0")
        remaining = count - int(offset) if isinstance(count, int) and offset.isdigit() else None
        return self.empty_page(response, len(entries) if isinstance(entries, list) else 0, remaining)

    def check_quota(self, response: Response) -> None:
        remaining = _int_header(response, "X-Ratelimit-Remaining")
        if remaining is None:
            return
        limit = _int_header(response, "X-Ratelimit-Limit")
        reserve = int(self.config.get("quota_reserve", 100))
        if limit:
            reserve = min(reserve, limit // 10)  # DEMO_KEY's small budget still gets used
        if remaining <= reserve:
            self.stop_partial(f"hourly quota nearly spent: {remaining} requests left")

    def quota_spent(self, response: Response) -> bool:
        return response.status == 429 or _int_header(response, "X-Ratelimit-Remaining") == 0

    def on_error(self, failure: Failure) -> None:
        response = getattr(failure.value, "response", None)
        if response is not None:
            self.check_quota(response)
        super().on_error(failure)
