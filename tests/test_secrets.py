"""Known fake secrets, given to a full run of every keyed spider, appear nowhere afterwards.

Searched: every table of the working database and of the published snapshot,
the metadata the site is served with, the site's pages, and every line the
crawls logged.
"""

from __future__ import annotations

import json
import re

import pytest

import db
from ailabor.redaction import HIDDEN
from ailabor.site.faces import make_datasette, write_metadata
from ailabor.site.publish import publish
from ailabor.testing.replay import Cassette, Route
from tests.conftest import FIXTURES, crawl

SECRETS = {
    "CONGRESS_API_KEY": "FAKEcongressKEY0001x",
    "OPENSTATES_API_KEY": "FAKEopenstatesKEY0002",
    "DATA_GOV_API_KEY": "FAKEdatagovKEY0003x",
    "SMTP_PASSWORD": "FAKEsmtpPASSWORD0004",
}
KEYED = ["congress", "openstates", "regulations_gov"]
# Each keyed spider's own API, by path on the replay server; govinfo's search takes the data.gov key; the rest
# (govinfo's bulk data, bill texts on the legislatures' sites) needs no key.
API = {"congress": re.compile(r"^/(bill|summaries|congress)(/|$)"),
       "openstates": re.compile(r"^/(bills|jurisdictions)$"), "regulations_gov": re.compile(r"^/")}
GOVINFO_SEARCH = "/search"


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    from ailabor.testing.replay import Cassette, ReplayServer

    path = tmp_path_factory.mktemp("secrets") / "tracker.db"
    logs, headers = [], {}
    env = dict(SECRETS, AILABOR_LOG_LEVEL="DEBUG", OPENSTATES_MINUTE_SECONDS="0.01", AILABOR_DOWNLOAD_DELAY="0")
    for source in ["federal_register", *KEYED]:
        server = ReplayServer(Cassette.load(FIXTURES / source / "cassette.yml")).start()
        try:
            result = crawl(source, server, path, env=env)
        finally:
            server.stop()
        headers[source] = [(h.path, h.headers) for h in server.hits]
        assert result.returncode == 0, result.stderr[-2000:]
        assert f"{source}: ok" in result.stdout, result.stdout
        logs.append(result.stdout + result.stderr)
    return path, "\n".join(logs), headers


def _leaks(text: str) -> list[str]:
    return [name for name, value in SECRETS.items() if value in text]


@pytest.mark.slow
@pytest.mark.parametrize(("source", "variable"), [
    ("congress", "CONGRESS_API_KEY"), ("openstates", "OPENSTATES_API_KEY"), ("regulations_gov", "DATA_GOV_API_KEY")])
def test_the_keys_were_really_sent_in_headers(full_run, source, variable):
    _, log, headers = full_run
    assert "DEBUG" in log  # the most talkative logging was on
    api = [h for path, h in headers[source] if API[source].match(path)]
    assert api and all(SECRETS[variable] in h.values() for h in api)


@pytest.mark.slow
def test_govinfo_gets_the_data_gov_key_and_the_keyless_hosts_none(full_run):
    """The text search takes the data.gov key; govinfo's bulk files and the bill texts need none: none is sent."""
    _, _, headers = full_run
    search = [h for path, h in headers["congress"] if path == GOVINFO_SEARCH]
    assert search and all(SECRETS["DATA_GOV_API_KEY"] in h.values() for h in search)
    keyless = [h for source in KEYED for path, h in headers[source] if not API[source].match(path)
               and path != GOVINFO_SEARCH]
    assert keyless and not [h for h in keyless if _leaks(" ".join(h.values()))]


@pytest.mark.slow
def test_no_secret_in_any_log_line(full_run):
    assert _leaks(full_run[1]) == []


@pytest.mark.slow
def test_no_secret_in_the_database_or_the_snapshot(full_run):
    path, *_ = full_run
    dump = "\n".join(db.connect(path).conn.iterdump())
    assert "bills" in dump and _leaks(dump) == []
    snapshot = publish(path)
    import sqlite3

    assert _leaks("\n".join(sqlite3.connect(snapshot).iterdump())) == []


@pytest.mark.slow
def test_no_secret_in_metadata_or_pages(full_run):
    path, *_ = full_run
    for public in (False, True):
        assert _leaks(write_metadata(path, public=public).read_text()) == []


@pytest.mark.slow
async def test_no_secret_on_the_site(full_run):
    path, *_ = full_run
    ds = make_datasette(path, public=False)
    pages = ["/", "/tracker", "/tracker/bills", "/tracker/meetings", "/tracker/crawl_runs", "/tracker/crawl_errors",
             "/tracker/events.json?_shape=array&_size=max", "/-/metadata.json", "/-/settings.json"]
    for page in pages:
        response = await ds.client.get(page)
        assert response.status_code == 200, page
        assert _leaks(response.text) == [], page


# An upstream that echoes the key back --------------------------------------------------------------

# Random-looking, so that no eight characters of it occur in a log line by chance.
ECHOED_KEY = "Zq7Kx9Wm2Rt5Vb8Np3Ld"
KEY_VARS = {"congress": "CONGRESS_API_KEY", "openstates": "OPENSTATES_API_KEY", "regulations_gov": "DATA_GOV_API_KEY"}
ECHOES = {
    # Congress.gov answers application failures with 200 and {"error": ...}.
    "congress-200-error": ("congress", Route("/congress/current", body=json.dumps(
        {"error": f"API_KEY_INVALID: the key {ECHOED_KEY} is not active (api_key={ECHOED_KEY})", "request": {}}))),
    "openstates-429-detail": ("openstates", Route("/bills", 429, body=json.dumps(
        {"detail": f"key {ECHOED_KEY}: exceeded limit of 250/day: 251"}))),
    "openstates-401-jurisdictions": ("openstates", Route("/jurisdictions", 401, body=json.dumps(
        {"detail": f"invalid API key {ECHOED_KEY}"}))),
    # Not JSON: the start of the body is kept, cut through the middle of the key.
    "openstates-429-body-cut-in-the-key": ("openstates", Route("/bills", 429, body="x" * 190 + ECHOED_KEY)),
    "regulations_gov-403": ("regulations_gov", Route("/documents", 403, body=json.dumps(
        {"error": {"code": "API_KEY_INVALID", "message": f"An invalid api_key was supplied: {ECHOED_KEY}"}}))),
    "regulations_gov-200-errors": ("regulations_gov", Route("/documents", body=json.dumps(
        {"errors": [{"title": "Bad request", "detail": f"key {ECHOED_KEY} may not ask for this"}]}))),
}


def _pieces_of_the_key(text: str) -> list[str]:
    """Every 8 characters of the echoed key found in ``text``: a key cut in half is still half a key."""
    return [ECHOED_KEY[i:i + 8] for i in range(len(ECHOED_KEY) - 7) if ECHOED_KEY[i:i + 8] in text]


@pytest.mark.review("echoed_key")
@pytest.mark.parametrize("case", list(ECHOES))
def test_a_key_echoed_by_the_upstream_is_stored_logged_and_printed_hidden(case, replay, db_path):
    source, echo = ECHOES[case]
    cassette = Cassette.load(FIXTURES / source / "cassette.yml")
    server = replay([echo, *cassette.routes], cassette.folder)
    result = crawl(source, server, db_path, env={KEY_VARS[source]: ECHOED_KEY, "AILABOR_LOG_LEVEL": "DEBUG",
                                                 "OPENSTATES_MINUTE_SECONDS": "0.01", "AILABOR_TEXTS_PER_RUN": "0"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert server.requests_to(echo.path) and f"{source}: " in result.stdout
    dump = "\n".join(db.connect(db_path).conn.iterdump())
    assert _pieces_of_the_key(dump) == []
    assert HIDDEN in dump  # the echo was stored, with the key hidden
    assert _pieces_of_the_key(result.stdout) == []
    assert _pieces_of_the_key(result.stderr) == []


def test_every_key_a_spider_reads_is_a_secret():
    from ailabor.crawl import spider_classes
    from ailabor.redaction import SECRET_VARS

    keys = {cls.api_key_env for cls in spider_classes().values() if cls.api_key_env}
    assert keys and keys <= set(SECRET_VARS)


def test_redact_hides_a_secret_as_written_url_encoded_and_in_api_key_parameters(monkeypatch):
    from ailabor.redaction import redact

    monkeypatch.setenv("SMTP_PASSWORD", "p@ss word/1")
    text = redact("login p@ss word/1 failed; sent p%40ss%20word%2F1; see /v3/bill?api_key=someone-elses&format=json")
    assert text == f"login {HIDDEN} failed; sent {HIDDEN}; see /v3/bill?api_key={HIDDEN}&format=json"
    assert redact("the password was hunter22", "hunter22") == f"the password was {HIDDEN}"


def test_a_logged_traceback_holds_no_secret(monkeypatch, caplog):
    import logging

    from ailabor.redaction import RedactingFilter

    monkeypatch.setenv("DATA_GOV_API_KEY", ECHOED_KEY)
    logger = logging.getLogger("tests.redaction")
    logger.addFilter(RedactingFilter())
    try:
        raise ValueError(f"refused {ECHOED_KEY}")
    except ValueError:
        logger.exception("the key %s failed", ECHOED_KEY)
    record = caplog.records[-1]
    assert _pieces_of_the_key(record.getMessage() + record.exc_text) == []
    assert HIDDEN in record.exc_text
