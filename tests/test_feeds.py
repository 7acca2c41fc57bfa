"""Atom feeds and the iCalendar feed, parsed as a feed reader and a phone calendar would."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from ailabor.site.faces import make_datasette
from tests.test_site import XSS_TITLE, ahead, site_db, site_snapshot  # noqa: F401  (module fixtures)

ATOM = "{http://www.w3.org/2005/Atom}"
# datasette-ics 0.5.2 renders with str(Calendar), which ics 0.7 warns will change in 0.8.
pytestmark = pytest.mark.filterwarnings("ignore:Behaviour of str:FutureWarning")


@pytest.fixture(scope="module")
def public(site_snapshot):  # noqa: F811
    return make_datasette(site_snapshot, public=True)


async def _feed(ds, path: str) -> ET.Element:
    response = await ds.client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.text)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}title") and root.findtext(f"{ATOM}updated") and root.findtext(f"{ATOM}id")
    return root


def _entries(root: ET.Element) -> list[dict[str, str]]:
    return [{"id": e.findtext(f"{ATOM}id"), "title": e.findtext(f"{ATOM}title"),
             "updated": e.findtext(f"{ATOM}updated"), "link": e.find(f"{ATOM}link").get("href")}
            for e in root.findall(f"{ATOM}entry")]


async def test_new_bills_feed_is_atom_with_an_entry_per_relevant_bill(public):
    entries = _entries(await _feed(public, "/tracker/new_bills_feed.atom"))
    assert len(entries) == 6
    assert all(e["id"].startswith("tag:ai-labor-watch,") and e["updated"] for e in entries)
    assert not any("turf" in e["title"] for e in entries)


async def test_feed_entries_link_to_the_bill_page_on_this_site(public):
    entries = _entries(await _feed(public, "/tracker/new_bills_feed.atom"))
    assert "http://localhost/tracker/bills/ca-20232024-ab2602" in {e["link"] for e in entries}


async def test_feed_carries_a_markup_title_as_plain_text(public):
    entries = _entries(await _feed(public, "/tracker/new_bills_feed.atom"))
    assert f"TX HB 666: {XSS_TITLE}" in {e["title"] for e in entries}


async def test_status_changes_feed_says_where_the_bill_went(public):
    entries = _entries(await _feed(public, "/tracker/status_changes_feed.atom"))
    assert [e["title"] for e in entries] == [
        "CA AB 2602 passed one chamber: Contracts against public policy: personal or professional services: "
        "digital replicas"]


async def test_topic_feed_follows_one_topic(public):
    entries = _entries(await _feed(public, "/tracker/topic_feed.atom?topic=digital-replicas"))
    links = {e["link"].rsplit("/", 1)[-1] for e in entries}
    assert {"ca-20232024-ab2602", "ca-20232024-sb1047", "ocd-event-ca-1", "fr-2099-00001"} <= links
    assert "us-119-hr1234" not in links


async def test_topic_without_news_is_still_a_valid_empty_feed(public):
    root = await _feed(public, "/tracker/topic_feed.atom?topic=no-such-topic")
    assert root.findall(f"{ATOM}entry") == []


def _vevents(text: str) -> list[dict[str, str]]:
    """VEVENT blocks as {property (with parameters): value}, after unfolding continuation lines."""
    unfolded = re.sub(r"\r?\n[ \t]", "", text)
    events = []
    for block in re.findall(r"BEGIN:VEVENT\r?\n(.*?)END:VEVENT", unfolded, re.S):
        fields = {}
        for line in block.splitlines():
            name, _, value = line.partition(":")
            fields[name] = value
        events.append(fields)
    return events


async def test_calendar_is_icalendar_with_upcoming_meetings_hearings_and_deadlines(public):
    response = await public.client.get("/tracker/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.text.startswith("BEGIN:VCALENDAR") and response.text.rstrip().endswith("END:VCALENDAR")
    events = {e["UID"]: e for e in _vevents(response.text)}
    assert set(events) == {"ocd-event-ca-1-meeting@ai-labor-watch", "fr-2099-00001-meeting@ai-labor-watch",
                           "fr-2099-00002-deadline@ai-labor-watch"}
    assert all(e["SUMMARY"] for e in events.values())
    assert events["fr-2099-00002-deadline@ai-labor-watch"]["SUMMARY"].startswith("Comments close: ")


async def test_calendar_times_keep_their_zone(public):
    events = {e["UID"]: e for e in _vevents((await public.client.get("/tracker/calendar.ics")).text)}
    # 09:00 at UTC-7 is 16:00 UTC; a federal notice's bare 1 p.m. is Eastern time.
    hearing = events["ocd-event-ca-1-meeting@ai-labor-watch"]
    assert hearing["DTSTART"] == ahead(5).replace("-", "") + "T160000Z"
    meeting = events["fr-2099-00001-meeting@ai-labor-watch"]
    assert meeting["DTSTART;TZID=America/New_York"] == ahead(10).replace("-", "") + "T130000"
    assert meeting["DTEND;TZID=America/New_York"] == ahead(10).replace("-", "") + "T140000"
