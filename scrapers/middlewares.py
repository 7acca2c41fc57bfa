"""The one retry policy of every spider: honour Retry-After, back off on server errors.

Scrapy's own retry middleware retries at once and ignores ``Retry-After``
(scrapy issue #3849); hammering an upstream that asked us to wait is how a
key gets banned.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.response import response_status_message

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
