"""What every spider shares: its run record, its base URL and key, error capture and the watermark.

A spider subclass supplies ``async def start()`` and its parsers; this base
turns an unreadable response or a failed request into a ``crawl_errors`` row
instead of a traceback, and closes the run with the right status.
"""

from __future__ import annotations

import json
import logging
import os
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

import db
from ailabor.config import source_config
from ailabor.records import TextItem
from ailabor.redaction import guard_logging
from ailabor.relevance import Taxonomy, load_taxonomy
from ailabor.runs import HOLDING_RUNS, RunLog, RunOutcome
from ailabor.store.texts import text_backlog
from scrapers.middlewares import origin
from scrapers.pipelines import flush_stores
from scrapers.texts import MAX_DOWNLOAD_BYTES, TextUnavailable, capped, to_text

logger = logging.getLogger(__name__)

#: Rejections of one identified record for what upstream sent, as opposed to a whole response, an anonymous
#: list entry or a failure of our own (``store_failed``: a full disk, a newer schema), which must hold every run.
RECORD_KINDS = frozenset({"invalid_item", "bad_document", "bad_bill", "bad_meeting", "bad_event", "bad_row"})
#: What json.loads raises on a body that is not JSON: nesting deeper than the interpreter's recursion limit is
#: as unreadable as a syntax error, and must be recorded as one rather than escape the callback.
NOT_JSON: tuple[type[Exception], ...] = (ValueError, RecursionError)


def megabytes(value: float | str) -> int:
    """Bytes in a size that sources.yml gives in MB (``download_maxsize_mb`` and the like)."""
    return int(float(value) * 1024 * 1024)


class TrackerSpider(scrapy.Spider):
    #: The setting (and environment variable) that holds the upstream's base URL.
    base_url_setting: str = ""
    #: The upstream's own base URL, which the links it prints begin with (they are read from ``base_url``).
    official_base_url: str = ""
    #: The environment variable that holds the API key, if the upstream needs one.
    api_key_env: str | None = None
    #: Where an operator gets a key, for the one-line message when it is missing.
    key_help: str = ""

    #: Bill spiders read the text of their bills' latest versions once the rest of the run is done.
    reads_texts: bool = False
    #: Bill texts read in one run at most (sources.yml ``texts_per_run`` of the spider's section overrides it).
    texts_per_run: int = 300

    run: RunLog
    pipeline_counts: dict[str, int]

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> TrackerSpider:
        guard_logging()
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.run = RunLog(db.connect(crawler.settings.get("AILABOR_DB")), spider.name)
        spider.previous_watermark = spider.run.last_watermark()
        spider.next_watermark = None
        spider.outcome = RunOutcome()
        spider.pipeline_counts = {"items": 0, "new": 0, "updated": 0}
        spider.report = {}
        spider.texts_swept = False
        spider.text_requests = 0
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        crawler.signals.connect(spider._spider_error, signal=signals.spider_error)
        crawler.signals.connect(spider._item_error, signal=signals.item_error)
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        return spider

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """Pace the spider: ``AILABOR_DOWNLOAD_DELAY`` if set, else ``download_delay`` of its sources.yml section.

        Read when the crawler is made, not at import, so that a broken
        sources.yml is a one-line error; the variable lets a replay or a
        mirror on this machine go without pauses that only upstreams need.
        The section's ``download_maxsize_mb`` and ``download_warnsize_mb``
        bound its responses.
        """
        super().update_settings(settings)
        config = source_config(cls.name)
        delay = os.environ.get("AILABOR_DOWNLOAD_DELAY")
        if delay is None:
            delay = config.get("download_delay")
        if delay is not None:
            settings.set("DOWNLOAD_DELAY", float(delay), priority="spider")
        for setting in ("DOWNLOAD_MAXSIZE", "DOWNLOAD_WARNSIZE"):
            key = f"{setting.lower()}_mb"
            if config.get(key) is not None:
                settings.set(setting, megabytes(config[key]), priority="spider")

    @classmethod
    def missing_key(cls) -> str | None:
        """The one-line reason this spider cannot run, or None when it can."""
        if cls.api_key_env and not os.environ.get(cls.api_key_env):
            return f"{cls.name}: {cls.api_key_env} is not set; get a key at {cls.key_help}"
        return None

    @property
    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) if self.api_key_env else None

    @property
    def base_url(self) -> str:
        return str(self.settings.get(self.base_url_setting)).rstrip("/")

    def upstream_link(self, response: Response, link: Any, what: str = "next page") -> str | None:
        """A link the upstream gave (its next page) as the URL to ask, or None after recording why it is not asked.

        Only http(s) on the configured upstream's scheme, host and port is
        followed: a page must not send the crawl to a local file, or to
        another host with our key. One the upstream prints on its official
        address is asked of the base URL instead (a mirror, a replay).
        """
        url = link if isinstance(link, str) else ""
        official = self.official_base_url
        if official and (url == official or url.startswith((f"{official}/", f"{official}?"))):
            url = self.base_url + url[len(official):]
        if urlsplit(url).scheme in ("http", "https") and origin(url) == origin(self.base_url):
            return url
        self.outcome.failed_requests += 1
        self.reject(response.url, "bad_link", f"{what} not followed: {str(link)[:300]!r} is not on {self.base_url}",
                    lost=False)
        return None

    @cached_property
    def taxonomy(self) -> Taxonomy:
        return load_taxonomy(self.settings.get("AILABOR_TOPICS"))

    # Errors -------------------------------------------------------------------------------------

    def reject(self, url: str | None, kind: str, message: str, *, lost: bool = True) -> None:
        """Record one bad response or item; the crawl goes on, but a run that lost something is not complete.

        ``lost=False`` is for what costs no data (an optional lookup, a document
        withdrawn upstream) and for failures already counted as failed requests.
        """
        logger.warning("%s: %s: %s", kind, url, message)
        if lost and kind in RECORD_KINDS and self.run.rejected_before(kind, message, HOLDING_RUNS):
            # Upstream serves the same broken record run after run: waiting for a fix would stall the
            # watermark for good and re-fetch ever more. It is still written to crawl_errors each time.
            lost = False
            self.outcome.known_bad += 1
        self.run.error(url, kind, message)
        if lost:
            self.outcome.lost_items += 1

    def empty_page(self, response: Response, results: int, remaining: int | None) -> bool:
        """True (recorded; the run is partial) when a page holds no results although its envelope says some remain.

        Search backends answer so under load (an empty page, totals intact);
        taken at its word it would let the watermark pass items never seen.
        """
        if results or not isinstance(remaining, int) or remaining <= 0:
            return False
        self.outcome.failed_requests += 1
        self.reject(response.url, "empty_page", f"no results, though its envelope counts {remaining} from here on",
                    lost=False)
        return True

    def load_json(self, response: Response) -> Any:
        """The response's JSON, or None after recording why it is not JSON."""
        try:
            data = json.loads(response.text)
        except (*NOT_JSON, AttributeError) as exc:
            self.outcome.failed_requests += 1
            head = response.body[:200].lstrip().lower()
            if head.startswith((b"<!doctype", b"<html", b"<")):
                self.reject(response.url, "html_instead_of_json", f"HTTP {response.status} with an HTML page",
                            lost=False)
            else:
                self.reject(response.url, "invalid_json", f"HTTP {response.status}: {exc}", lost=False)
            return None
        self.outcome.good_responses += 1
        return data

    def on_error(self, failure: Failure) -> None:
        """A request that failed after its retries: recorded, and the run can no longer be complete."""
        request = failure.request if hasattr(failure, "request") else None
        response = getattr(failure.value, "response", None)
        url = request.url if request is not None else None
        self.outcome.failed_requests += 1
        if response is not None:
            message = f"HTTP {response.status}"
            self.reject(url, "http_error", message, lost=False)
            if self.quota_spent(response):
                self.stop_partial(f"quota spent at {url}")
        else:
            reason = failure.getErrorMessage() or type(failure.value).__name__
            host = urlsplit(url or "").netloc or "the upstream"
            # Scrapy cancels a download past DOWNLOAD_MAXSIZE: the upstream was reached, its answer was too big.
            self.outcome.last_failure = (f"{host} sent a response past the size limit: {reason}"
                                         if "DOWNLOAD_MAXSIZE" in reason else f"could not reach {host}: {reason}")
            self.reject(url, "request_failed", reason, lost=False)

    def _spider_error(self, failure: Failure, response: Response | Failure, spider: scrapy.Spider) -> None:
        """A callback or errback that raised: whatever it had still to read or ask for is lost for this run."""
        if spider is not self:
            return
        self.outcome.exceptions += 1
        request = response.request if isinstance(response, Response) else getattr(response, "request", None)
        url = response.url if isinstance(response, Response) else getattr(request, "url", None)
        self.reject(url, "spider_error", error_reason(failure.value), lost=False)

    def _item_error(self, item: Any, response: Response | None, spider: scrapy.Spider, failure: Failure) -> None:
        """An item that a pipeline stage failed on (other than a rejection it recorded): it was not stored."""
        if spider is not self:
            return
        url = getattr(item, "source_url", None) or (response.url if response is not None else None)
        name = getattr(item, "id", None) or type(item).__name__
        self.reject(url, "item_error", f"{name}: {error_reason(failure.value)}")

    def unrecorded_exceptions(self) -> None:
        """Exceptions Scrapy counted that no signal brought here (one raised in ``start()``): recorded at the end."""
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        missed = int(stats.get("spider_exceptions/count", 0)) - self.outcome.exceptions
        if missed <= 0:
            return
        names = sorted(key.split("/", 1)[1] for key in stats
                       if key.startswith("spider_exceptions/") and key != "spider_exceptions/count")
        self.outcome.exceptions += missed
        self.reject(None, "spider_error", f"{missed} exception(s) outside a callback: {', '.join(names)}", lost=False)

    def quota_spent(self, response: Response) -> bool:
        """Whether a failed response means the upstream's quota is used up for now."""
        return response.status == 429

    def stop_partial(self, reason: str) -> None:
        """End the run early as partial; the watermark stays at what was stored."""
        if self.outcome.partial_reason is None:
            self.outcome.partial_reason = reason
            self.crawler.engine.close_spider(self, "quota")

    # Bill texts -----------------------------------------------------------------------------------

    def _idle(self, spider: scrapy.Spider) -> None:
        """Once the run's own requests are done, read the texts its bills still lack (see store.text_backlog).

        Texts come last so that the bills found in this run are stored, and
        judged on their titles, before their texts are asked for: a text
        that cannot be read then costs no bill.
        """
        if spider is not self or not self.reads_texts or self.texts_swept or self.outcome.partial_reason:
            return
        self.texts_swept = True
        flush_stores(self.crawler)
        # AILABOR_TEXTS_PER_RUN (0 reads none) overrides sources.yml for a run: a first run without texts, a test.
        given = os.environ.get("AILABOR_TEXTS_PER_RUN")
        limit = int(given) if given else int(source_config(self.name).get("texts_per_run", self.texts_per_run))
        requests = [self.text_request(*row) for row in text_backlog(self.run.db, self.name, limit)]
        for request in requests:
            self.crawler.engine.crawl(request)
        if requests:
            raise DontCloseSpider

    def text_request(self, bill_id: str, url: str, note: str | None, date: str | None,
                     media_type: str | None) -> scrapy.Request:
        self.text_requests += 1
        self.report["text_requests"] = self.text_requests
        return scrapy.Request(
            self.text_mirror(url), callback=self.parse_text, errback=self.text_failed, dont_filter=True,
            meta={"download_maxsize": MAX_DOWNLOAD_BYTES, "download_warnsize": MAX_DOWNLOAD_BYTES},
            cb_kwargs={"bill_id": bill_id, "url": url, "note": note, "date": date, "media_type": media_type})

    def text_mirror(self, url: str) -> str:
        """Where to fetch a text: its own address, or the same path on ``AILABOR_TEXT_BASE_URL`` (tests, mirrors)."""
        base = self.settings.get("AILABOR_TEXT_BASE_URL")
        if not base:
            return url
        split = urlsplit(url)
        return base.rstrip("/") + split.path + (f"?{split.query}" if split.query else "")

    def parse_text(self, response: Response, bill_id: str, url: str, note: str | None, date: str | None,
                   media_type: str | None) -> Any:
        served = response.headers.get("Content-Type", b"").decode("latin-1") or None
        try:
            text = to_text(response.body, media_type or served)
        except TextUnavailable as exc:
            self.text_failed_once(url, f"{bill_id}: {exc}")
            return
        kept, truncated = capped(text)
        self.report["texts_read"] = self.report.get("texts_read", 0) + 1
        yield TextItem(bill_id=bill_id, url=url, text=kept, note=note, date=date[:10] if date else None,
                       media_type=media_type or served, chars=len(text), truncated=truncated, source_url=response.url)

    def text_failed(self, failure: Failure) -> None:
        kwargs = failure.request.cb_kwargs
        response = getattr(failure.value, "response", None)
        reason = f"HTTP {response.status}" if response is not None else (
            failure.getErrorMessage() or type(failure.value).__name__)
        self.text_failed_once(kwargs["url"], f"{kwargs['bill_id']}: {reason}")

    def text_failed_once(self, url: str, message: str) -> None:
        # The bill is stored and judged on its titles; the text is asked for again next run (a few times).
        self.report["texts_failed"] = self.report.get("texts_failed", 0) + 1
        self.reject(url, "text_unavailable", message, lost=False)

    # Watermark ----------------------------------------------------------------------------------

    def stored(self, items: list[Any]) -> None:
        """Called by the store after each batch that reached the database."""

    def final_watermark(self) -> str | None:
        """The watermark after a complete run (set by the spider as it plans its requests)."""
        return self.next_watermark

    def partial_watermark(self) -> str | None:
        """The watermark after an incomplete run: by default, where the last complete run stopped."""
        return self.previous_watermark

    def _closed(self, spider: scrapy.Spider, reason: str) -> None:
        if spider is not self:
            return
        self.unrecorded_exceptions()
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        requests = int(stats.get("downloader/request_count", 0))
        status, message = self.outcome.status(requests, reason)
        watermark = (self.final_watermark() if status == "ok" else
                     self.partial_watermark() if status == "partial" else None)
        details = json.dumps(self.report) if self.report else None
        self.run.finish(status, requests=requests, watermark=watermark, message=message, details=details,
                        **self.pipeline_counts)


def error_reason(exc: BaseException) -> str:
    """An exception as one line for crawl_errors: its type and its message, whitespace collapsed."""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
