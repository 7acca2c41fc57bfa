"""The retry policy: Retry-After read in both of its forms; certificates verified."""

from __future__ import annotations

from datetime import UTC, datetime

from scrapers.middlewares import retry_after_seconds


def test_retry_after_in_seconds():
    assert retry_after_seconds(b"120") == 120.0


def test_retry_after_as_an_http_date():
    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Sat, 28 Nov 2026 12:00:30 GMT", now=now) == 30.0


def test_retry_after_garbage_is_ignored():
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_tls_certificates_are_verified():
    from scrapers.crawl import project_settings

    factory = project_settings().get("DOWNLOADER_CLIENTCONTEXTFACTORY")
    assert factory.endswith("BrowserLikeContextFactory")


def test_scrapy_own_retry_is_replaced_by_ours():
    from scrapers.crawl import project_settings

    middlewares = project_settings().getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    assert "scrapers.middlewares.PoliteRetryMiddleware" in middlewares
