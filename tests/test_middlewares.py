"""The retry policy: Retry-After read in both of its forms; certificates verified."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import threading
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

import db
from ailabor.testing.replay import Route
from scrapers.middlewares import retry_after_seconds
from tests.conftest import REPO, crawl


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


@pytest.mark.slow
def test_a_certificate_no_trust_store_vouches_for_is_refused(self_signed_https, fresh_db, db_path):
    done = subprocess.run([sys.executable, "-m", "ailabor.cli", "crawl", "federal_register", "--db", str(db_path)],
                          env=dict(os.environ, FEDERAL_REGISTER_API_URL=self_signed_https, AILABOR_RETRY_BACKOFF="0.05",
                                   AILABOR_DB=str(db_path)),
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert "federal_register: failed:" in done.stdout
    errors = [row["message"] for row in db.connect(db_path).query("SELECT message FROM crawl_errors")]
    assert errors and all("certificate verify failed" in message for message in errors), errors


def test_scrapy_own_retry_is_replaced_by_ours():
    from ailabor.crawl import project_settings

    middlewares = project_settings().getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    assert "scrapers.middlewares.PoliteRetryMiddleware" in middlewares


# Redirects and the API key --------------------------------------------------------------------------

KEY = "Zq7Kx9Wm2Rt5Vb8Np3Ld"
KEYED = {"congress": ("CONGRESS_API_KEY", "/congress/current"), "openstates": ("OPENSTATES_API_KEY", "/bills"),
         "regulations_gov": ("DATA_GOV_API_KEY", "/documents")}


def _crawl_redirected(source: str, replay, db_path, location: str):
    """Crawl ``source`` on an upstream that redirects its first path to ``location``; the upstream, for its hits."""
    variable, path = KEYED[source]
    upstream = replay([Route(path, 302, headers={"Location": location}, query={"moved": None})])
    crawl(source, upstream, db_path, env={variable: KEY, "OPENSTATES_MINUTE_SECONDS": "0.01",
                                          "AILABOR_TEXTS_PER_RUN": "0"})
    asked = [h for h in upstream.requests_to(path) if "moved" not in h.query]
    assert asked and all(KEY in h.headers.values() for h in asked)
    return upstream


@pytest.mark.review("redirected_key")
@pytest.mark.parametrize("source", list(KEYED))
def test_the_api_key_does_not_follow_a_redirect_to_another_host(source, replay, db_path):
    elsewhere = replay([])  # answers 404 to everything, and remembers what it was sent
    path = KEYED[source][1]
    # 127.0.0.1 and localhost are one machine but two hosts to a client.
    _crawl_redirected(source, replay, db_path, f"http://localhost:{urlsplit(elsewhere.url).port}{path}")
    assert elsewhere.hits, "the redirect was not followed"
    assert [h.headers for h in elsewhere.hits if KEY in " ".join(h.headers.values())] == []


@pytest.mark.slow
@pytest.mark.parametrize("source", list(KEYED))
def test_the_api_key_follows_a_redirect_within_the_upstream(source, replay, db_path):
    path = KEYED[source][1]
    upstream = _crawl_redirected(source, replay, db_path, f"{path}?moved=1")
    moved = [h for h in upstream.hits if "moved" in h.query]
    assert moved and all(KEY in h.headers.values() for h in moved)
