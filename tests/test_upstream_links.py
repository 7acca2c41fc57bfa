"""A link an upstream gives (its next page) is followed only on that upstream: never to a file, never to another host.

federal_register's ``next_page_url`` is covered in tests/test_federal_register.py; these are Congress.gov's
``pagination.next``, in a bill list and in a bill's sub-resource. The rule is one (TrackerSpider.upstream_link).
"""

from __future__ import annotations

import json

import pytest

import db
from ailabor.testing.replay import Cassette, Route
from tests.conftest import EMULATED_KEYS, FIXTURES, crawl

CONGRESS = FIXTURES / "congress"
PAGES = {"a-bill-list": ("/bill/119", {"offset": None}, "bill_list_119.json"),
         "a-bill-s-actions": ("/bill/119/s/146/actions", {"offset": None}, "bill_119_s146_actions.json")}


@pytest.mark.review("foreign_link")
@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("link", ["http://localhost:{port}{path}?offset=250", "file:///etc/hostname"])
def test_congress_does_not_follow_a_next_page_off_the_upstream(page, link, replay, db_path):
    path, query, file = PAGES[page]
    elsewhere = replay([])
    data = json.loads((CONGRESS / file).read_text())
    data["pagination"]["next"] = link.format(port=elsewhere.url.rsplit(":", 1)[1], path=path)
    cassette = Cassette.load(CONGRESS / "cassette.yml")
    server = replay([Route(path, query=query, body=json.dumps(data)), *cassette.routes], cassette.folder)
    result = crawl("congress", server, db_path, env={"CONGRESS_API_KEY": EMULATED_KEYS["CONGRESS_API_KEY"],
                                                     "AILABOR_TEXTS_PER_RUN": "0"})
    assert result.returncode == 0, result.stderr[-2000:]
    database = db.connect(db_path)
    status, watermark, started = database.execute("SELECT status, watermark, started_at FROM crawl_runs").fetchone()
    errors = database.execute("SELECT kind, url, message FROM crawl_errors WHERE kind = 'bad_link'").fetchall()
    # Held where the walk safely got, short of the run's start, which a complete run would have reached.
    assert status == "partial" and watermark[:10] < started[:10]
    assert len(errors) == 1 and errors[0][1].startswith(f"{server.url}{path}?") and "next page" in errors[0][2]
    assert not elsewhere.hits
    assert not [h for h in server.requests_to(path) if h.query.get("offset")]
