"""Every canned query of metadata.yml on the members' face, against the populated site database.

The public face allows no arbitrary SQL, so these questions are the
members' and the director's one-click answers: each must run there and
return exactly the rows its description promises.
"""

from __future__ import annotations

import pytest

from ailabor.site.faces import load_metadata, make_datasette
from tests.test_site import site_db, site_snapshot  # noqa: F401  (module fixtures)

AB2602, SB1047, HR1234 = "ca-20232024-ab2602", "ca-20232024-sb1047", "us-119-hr1234"
S8420, HB3773, HB666 = "ny-2025-s8420", "il-103rd-hb3773", "tx-89r-hb666"

# (query, parameters, the column to compare, the values expected in order). CA SB 1 (artificial turf)
# is stored but not relevant, and never appears; the past Labor Department meeting never appears.
CASES = [
    ("moving_this_week", {}, "bill_id", [HR1234, AB2602, S8420]),
    ("moving_this_week", {"days": "2"}, "bill_id", [HR1234]),
    ("moving_this_week", {"state": "CA"}, "bill_id", [AB2602]),
    ("moving_this_week", {"topic": "ai-employment-decisions"}, "bill_id", [HR1234, S8420]),
    ("new_bills", {}, "bill_id", [S8420, HB666]),
    ("new_bills", {"days": "7"}, "bill_id", [S8420]),
    ("new_bills", {"state": "tx"}, "bill_id", [HB666]),
    ("bills_by_state", {"state": "CA"}, "bill_id", [AB2602, SB1047]),
    ("bills_by_state", {"state": "ca", "status": "vetoed"}, "bill_id", [SB1047]),
    ("bills_by_state", {}, "bill_id", []),
    ("bills_on_topic", {"topic": "digital-replicas"}, "bill_id", [AB2602, SB1047]),
    ("bills_on_topic", {"topic": "workplace-surveillance", "state": "us"}, "bill_id", [HR1234]),
    ("digital_replica_bills", {}, "bill_id", [AB2602, SB1047]),
    ("ai_hiring_firing_surveillance", {}, "bill_id", [HR1234, S8420, HB666, HB3773]),
    ("ai_hiring_firing_surveillance", {"state": "il"}, "bill_id", [HB3773]),
    ("upcoming_meetings", {}, "meeting_id", ["ocd-event-ca-1", "fr-2099-00001"]),
    ("upcoming_meetings", {"kind": "meeting"}, "meeting_id", ["fr-2099-00001"]),
    ("upcoming_meetings", {"days": "7"}, "meeting_id", ["ocd-event-ca-1"]),
    ("open_comment_periods", {}, "meeting_id", ["fr-2099-00002"]),
    ("enacted_laws", {}, "bill_id", [HB3773]),
    ("enacted_laws", {"state": "ca"}, "bill_id", []),
    ("union_positions", {}, "bill_id", [AB2602, HR1234]),
    ("union_positions", {"stance": "watch"}, "bill_id", [HB3773]),
    ("bill_timeline", {"bill": "CA-20232024-AB 2602"}, "what", ["action", "new text", "action", "action", "hearing"]),
    ("bill_timeline", {"bill": "nothing-like-it"}, "what", []),
    ("new_bills_feed", {}, "atom_link", [f"bills/{b}" for b in (HB666, SB1047, HR1234, HB3773, S8420, AB2602)]),
    ("status_changes_feed", {}, "atom_link", [f"bills/{AB2602}"]),
    ("topic_feed", {"topic": "workplace-surveillance"}, "atom_link", [f"bills/{HR1234}"]),
    ("topic_feed", {"topic": "no-such-topic"}, "atom_link", []),
    ("calendar", {}, "event_uid", ["ocd-event-ca-1-meeting@ai-labor-watch", "fr-2099-00001-meeting@ai-labor-watch",
                                   "fr-2099-00002-deadline@ai-labor-watch"]),
]


@pytest.fixture(scope="module")
def public(site_snapshot):  # noqa: F811
    return make_datasette(site_snapshot, public=True)


async def _rows(ds, query: str, params: dict[str, str]) -> list[dict]:
    response = await ds.client.get(f"/tracker/{query}.json", params={**params, "_shape": "array"})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(("query", "params", "column", "expected"), CASES,
                         ids=[f"{c[0]}-{'-'.join(c[1].values()) or 'defaults'}" for c in CASES])
async def test_canned_query_returns_the_expected_rows_on_the_public_face(public, query, params, column, expected):
    rows = await _rows(public, query, params)
    assert [row[column] for row in rows] == expected


def test_every_canned_query_is_tested_and_described():
    queries = load_metadata()["databases"]["tracker"]["queries"]
    assert {case[0] for case in CASES} == set(queries)
    for name, query in queries.items():
        assert query.get("title") and query.get("description"), name


async def test_topic_questions_say_why_a_bill_matched(public):
    rows = await _rows(public, "bills_on_topic", {"topic": "digital-replicas"})
    assert "digital replica" in rows[0]["why"]


async def test_union_positions_put_high_priority_first_without_internal_notes(public):
    rows = await _rows(public, "union_positions", {})
    assert [(r["stance"], r["priority"]) for r in rows] == [("support", "high"), ("oppose", "low")]
    # Notes are the director's working record: publishing leaves them out of the members' snapshot.
    assert rows[0]["note"] is None


async def test_query_results_link_bill_ids_to_the_bill_page(public):
    page = await public.client.get("/tracker/moving_this_week")
    assert f'<a href="/tracker/bills/{AB2602}">{AB2602}</a>' in page.text


async def test_canned_query_page_hides_the_sql_from_members(public):
    page = await public.client.get("/tracker/digital_replica_bills")
    assert page.status_code == 200
    assert "Digital replica and likeness bills" in page.text
    assert "bill_topics where topic in" not in page.text
