"""The Datasette site with the real metadata.yml: both faces, through Datasette's own test client."""

from __future__ import annotations

import pytest

from scrapers.publish import publish
from scrapers.site import datasette_command, make_datasette
from tests.conftest import FIXTURES, crawl


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    from scrapers.replay import Cassette, ReplayServer

    path = tmp_path_factory.mktemp("site") / "tracker.db"
    server = ReplayServer(Cassette.load(FIXTURES / "federal_register" / "cassette.yml")).start()
    try:
        crawl("federal_register", server, path)
    finally:
        server.stop()
    return path


async def test_director_face_serves_meetings_with_metadata(crawled):
    ds = make_datasette(crawled, public=False)
    response = await ds.client.get("/tracker/meetings.json?_shape=array&_sort=id")
    assert response.status_code == 200
    assert len(response.json()) == 6
    page = await ds.client.get("/tracker/meetings")
    assert "Agency meetings, hearings and notices" in page.text


async def test_internal_tables_are_hidden(crawled):
    ds = make_datasette(crawled, public=False)
    tables = {t["name"]: t["hidden"] for t in (await ds.client.get("/tracker.json")).json()["tables"]}
    assert tables["crawl_errors"] and tables["_sqlite_migrations"]
    assert not tables["meetings"]


async def test_public_face_serves_the_snapshot_and_refuses_arbitrary_sql(crawled):
    snapshot = publish(crawled)
    ds = make_datasette(snapshot, public=True)
    assert (await ds.client.get("/tracker/meetings.json")).status_code == 200
    assert (await ds.client.get("/tracker.json?sql=select+1")).status_code == 403
    assert (await ds.client.get("/tracker/meetings.json?_where=1=1")).status_code == 403


async def test_director_face_accepts_sql(crawled):
    ds = make_datasette(crawled, public=False)
    response = await ds.client.get("/tracker.json?sql=select+count(*)+as+n+from+meetings&_shape=array")
    assert response.json() == [{"n": 6}]


def test_public_command_line_serves_immutable_with_limits(crawled):
    command = datasette_command(crawled, public=True)
    assert command[command.index("-i") + 1] == str(crawled)
    settings = {command[i + 1]: command[i + 2] for i, arg in enumerate(command) if arg == "--setting"}
    assert settings["default_allow_sql"] == "off"
    assert int(settings["sql_time_limit_ms"]) <= 1000
    assert settings["suggest_facets"] == "off"
