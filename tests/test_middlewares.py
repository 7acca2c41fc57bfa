"""The retry policy: Retry-After read in both of its forms; certificates verified."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import threading
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

import db
from scrapers.middlewares import retry_after_seconds
from tests.conftest import REPO


def test_retry_after_in_seconds():
    assert retry_after_seconds(b"120") == 120.0


def test_retry_after_as_an_http_date():
    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Sat, 28 Nov 2026 12:00:30 GMT", now=now) == 30.0


def test_retry_after_garbage_is_ignored():
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


@pytest.fixture
def self_signed_https(tmp_path):
    """An HTTPS server on loopback whose certificate no trust store vouches for."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_certificate_no_trust_store_vouches_for_is_refused(self_signed_https, fresh_db, db_path):
    done = subprocess.run([sys.executable, "-m", "scrapers.cli", "crawl", "federal_register", "--db", str(db_path)],
                          env=dict(os.environ, FEDERAL_REGISTER_API_URL=self_signed_https, AILABOR_RETRY_BACKOFF="0.05",
                                   AILABOR_DB=str(db_path)),
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert "federal_register: failed:" in done.stdout
    errors = [row["message"] for row in db.connect(db_path).query("SELECT message FROM crawl_errors")]
    assert errors and all("certificate verify failed" in message for message in errors), errors


def test_scrapy_own_retry_is_replaced_by_ours():
    from scrapers.crawl import project_settings

    middlewares = project_settings().getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    assert "scrapers.middlewares.PoliteRetryMiddleware" in middlewares
