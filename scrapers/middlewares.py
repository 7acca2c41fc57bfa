"""The downloader's policies of every spider: retries that honour Retry-After, redirects that keep the key home.

Scrapy's own retry middleware retries at once and ignores ``Retry-After``
(scrapy issue #3849); hammering an upstream that asked us to wait is how a
key gets banned. Scrapy's redirects drop ``Authorization`` and ``Cookie``
when they leave the origin, but not the ``X-Api-Key`` our upstreams take.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.response import response_status_message

from ailabor.redaction import secret_values

logger = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


class PoliteRetryMiddleware(RetryMiddleware):
    """Retries 429, 5xx and network failures after a pause, never sooner than the server asked.

    A ``Retry-After`` longer than ``RETRY_AFTER_MAX`` is not waited out: the
    response goes on to the spider, which ends the run as partial so the next
    scheduled run resumes after the quota resets.
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX", 300.0)

    def _backoff(self, request: Request) -> float:
        tries = request.meta.get("retry_times", 0)
        return min(self.backoff_max, self.backoff_base * (2**tries))

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        delay = self._backoff(request)
        if response.status in (429, 503):
            asked = retry_after_seconds(response.headers.get("Retry-After"))
            if asked is not None:
                if asked > self.retry_after_max:
                    logger.warning("%s asks to wait %.0fs; giving up for this run", request.url, asked)
                    return response
                delay = asked
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        logger.info("waiting %.1fs before retrying %s (HTTP %s)", delay, request.url, response.status)
        await asyncio.sleep(delay)
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> Request | Response | None:
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry", False):
            return None
        retry = self._retry(request, exception)
        if retry is None:
            return None
        await asyncio.sleep(self._backoff(request))
        return retry


#: Headers that carry an upstream's API key (header names are matched without regard to case).
KEY_HEADERS = ("X-Api-Key",)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str | None, int | None]:
    """Scheme, host and port: a request that changes any of them leaves the upstream the key was meant for."""
    split = urlsplit(url)
    try:
        port = split.port
    except ValueError:  # a port that is no number: no origin of ours
        return split.scheme, None, None
    return split.scheme, split.hostname, port or _DEFAULT_PORTS.get(split.scheme)


class _KeyKeepingRedirect:
    """Drops the key headers, and any header that holds a configured secret, from a redirect off the origin."""

    # Scrapy 2.19 builds every redirected request here (3xx and meta refresh alike), and drops Authorization and
    # Cookie here; a Scrapy that renamed it would fail test_the_api_key_does_not_follow_a_redirect_to_another_host.
    def _build_redirect_request(self, source_request: Request, response: Response, *, url: str,
                                **kwargs: Any) -> Request:
        redirected = super()._build_redirect_request(  # type: ignore[misc]
            source_request, response, url=url, **kwargs)
        if origin(redirected.url) != origin(source_request.url):
            for name in KEY_HEADERS:
                redirected.headers.pop(name, None)
            secrets = secret_values()
            for name in list(redirected.headers):
                value = b" ".join(redirected.headers.getlist(name)).decode("latin-1")
                if any(secret in value for secret in secrets):
                    del redirected.headers[name]
        return redirected


class KeyKeepingRedirectMiddleware(_KeyKeepingRedirect, RedirectMiddleware):
    """Scrapy's redirects (3xx), without our key on the way to another host."""


class KeyKeepingMetaRefreshMiddleware(_KeyKeepingRedirect, MetaRefreshMiddleware):
    """Scrapy's meta-refresh redirects (an HTML page), without our key on the way to another host."""
