"""Known fake secrets, given to a full run of every keyed spider, appear nowhere afterwards.

Searched: every table of the working database and of the published snapshot,
the metadata the site is served with, the site's pages, and every line the
crawls logged.
"""

from __future__ import annotations

import re

import pytest

import db
from scrapers.publish import publish
from scrapers.site import make_datasette, write_metadata
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
    from scrapers.replay import Cassette, ReplayServer

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


@pytest.mark.parametrize(("source", "variable"), [
    ("congress", "CONGRESS_API_KEY"), ("openstates", "OPENSTATES_API_KEY"), ("regulations_gov", "DATA_GOV_API_KEY")])
def test_the_keys_were_really_sent_in_headers(full_run, source, variable):
    _, log, headers = full_run
    assert "DEBUG" in log  # the most talkative logging was on
    api = [h for path, h in headers[source] if API[source].match(path)]
    assert api and all(SECRETS[variable] in h.values() for h in api)


def test_govinfo_gets_the_data_gov_key_and_the_keyless_hosts_none(full_run):
    """The text search takes the data.gov key; govinfo's bulk files and the bill texts need none: none is sent."""
    _, _, headers = full_run
    search = [h for path, h in headers["congress"] if path == GOVINFO_SEARCH]
    assert search and all(SECRETS["DATA_GOV_API_KEY"] in h.values() for h in search)
    keyless = [h for source in KEYED for path, h in headers[source] if not API[source].match(path)
               and path != GOVINFO_SEARCH]
    assert keyless and not [h for h in keyless if _leaks(" ".join(h.values()))]


def test_no_secret_in_any_log_line(full_run):
    assert _leaks(full_run[1]) == []


def test_no_secret_in_the_database_or_the_snapshot(full_run):
    path, *_ = full_run
    dump = "\n".join(db.connect(path).conn.iterdump())
    assert "bills" in dump and _leaks(dump) == []
    snapshot = publish(path)
    import sqlite3

    assert _leaks("\n".join(sqlite3.connect(snapshot).iterdump())) == []


def test_no_secret_in_metadata_or_pages(full_run):
    path, *_ = full_run
    for public in (False, True):
        assert _leaks(write_metadata(path, public=public).read_text()) == []


async def test_no_secret_on_the_site(full_run):
    path, *_ = full_run
    ds = make_datasette(path, public=False)
    pages = ["/", "/tracker", "/tracker/bills", "/tracker/meetings", "/tracker/crawl_runs", "/tracker/crawl_errors",
             "/tracker/events.json?_shape=array&_size=max", "/-/metadata.json", "/-/settings.json"]
    for page in pages:
        response = await ds.client.get(page)
        assert response.status_code == 200, page
        assert _leaks(response.text) == [], page
