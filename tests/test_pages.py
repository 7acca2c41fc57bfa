"""The members' pages in real headless Chromium, served by a real ``datasette`` process of the public face.

Debian's chromium is used (Playwright's own browser download is not
available; tests/run.sh installs it). Only a developer's machine without
it skips them, with the reason; under CI a missing browser fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.test_site import SUMMARY_PHRASE, XSS_TITLE, served, site_db, site_snapshot  # noqa: F401  (module fixtures)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists() and not os.environ.get("CI"),
                       reason="Debian's chromium is not installed (tests/run.sh installs it)"),
]


@pytest.fixture(scope="module")
def site(site_snapshot):  # noqa: F811
    """The public face as `ailabor serve --public` runs it, on a free loopback port."""
    with served(site_snapshot, public=True) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A phone-sized page that fails the test on any dialog (an injected script's alert) or page error."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    tab = context.new_page()
    tab.dialogs, tab.errors = [], []
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    yield tab
    context.close()


def test_home_page_shows_the_state_map_and_the_latest_moves(site, page):
    page.goto(site + "/")
    tiles = page.locator(".tilemap a.tile")
    assert tiles.count() == 52
    california = page.get_by_role("link", name="California: 2 bills")
    assert california.is_visible()
    assert "shade-0" not in california.get_attribute("class")
    assert "shade-0" in page.get_by_role("link", name="Alaska: 0 bills").get_attribute("class")
    moves = page.locator(".moves-list li")
    assert moves.count() > 0
    assert "CA AB 2602 moved from in_committee to passed_chamber" in moves.first.inner_text()
    california.click()
    page.wait_for_url("**/tracker/bills?jurisdiction=ca&relevant=1")
    assert "2 rows" in page.inner_text("body")


def test_search_from_the_home_page_finds_a_bill_by_a_phrase_in_its_summary(site, page):
    page.goto(site + "/")
    page.get_by_label("Search the bills").fill(SUMMARY_PHRASE)
    page.keyboard.press("Enter")
    page.wait_for_url("**/tracker/bills?_search=*")
    body = page.inner_text("body")
    assert "1 row" in body
    assert "Contracts against public policy" in body
    assert page.locator('a[href="/tracker/bills/ca-20232024-ab2602"]').count() >= 1


def test_bill_page_shows_the_status_bar_and_the_timeline(site, page):
    page.goto(site + "/tracker/bills/ca-20232024-ab2602")
    assert page.locator("h1").inner_text() == (
        "Contracts against public policy: personal or professional services: digital replicas")
    stages = page.locator("ol.pipeline li")
    assert stages.all_inner_texts()[0].startswith("Introduced")
    assert stages.count() == 5
    current = page.locator('ol.pipeline li[aria-current="step"]')
    assert current.locator(".stage-name").inner_text() == "Passed one chamber"
    assert [cls.split()[-1] for cls in stages.evaluate_all("els => els.map(e => e.className)")] == [
        "done", "done", "current", "ahead", "ahead"]
    timeline = page.locator("ol.timeline li").all_inner_texts()
    assert len(timeline) == 3
    assert "Read third time. Passed." in timeline[-1]
    body = page.inner_text("body")
    assert "The union's position: support" in body
    assert "Ash Kalra" in body
    # Each phrase once, as the bill first wrote it, and where the bill says it.
    assert "“digital replicas” (in its title and summary)" in body
    assert "Hearing: digital replicas of performers" in body


def test_vetoed_bill_shows_how_far_it_got(site, page):
    page.goto(site + "/tracker/bills/ca-20232024-sb1047")
    states = page.locator("ol.pipeline li").evaluate_all("els => els.map(e => e.className.split(' ').pop())")
    assert states == ["done", "done", "done", "done", "ahead"]
    assert page.locator(".ended-badge").inner_text() == "Vetoed"


def test_meeting_page_shows_date_agency_and_deadline(site, page):
    page.goto(site + "/tracker/meetings/fr-2099-00002")
    facts = page.locator("dl.facts").inner_text()
    assert "Equal Employment Opportunity Commission" in facts
    assert "Comments close" in facts
    assert page.get_by_role("link", name="docket EEOC-2099-0001").get_attribute("href") == (
        "https://www.regulations.gov/docket/EEOC-2099-0001")


def test_markup_in_a_title_is_shown_as_text_and_never_runs(site, page):
    page.goto(site + "/tracker/bills/tx-89r-hb666")
    assert page.locator("h1").inner_text() == XSS_TITLE
    for path in ("/", "/tracker/bills?relevant=1", "/tracker/new_bills", "/tracker/events"):
        page.goto(site + path)
        assert "<script>alert(1)</script>" in page.inner_text("body")
    page.goto(site + "/tracker/meetings/ocd-event-ca-1")
    assert page.locator('a[href^="javascript:"]').count() == 0
    assert page.dialogs == []
    assert page.errors == []


def test_bill_page_is_usable_from_the_keyboard(site, page):
    page.goto(site + "/tracker/bills/ca-20232024-ab2602")
    reached = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.textContent.trim()"))
    assert "Digital replicas and synthetic performers" in reached
    assert "Introduced" in reached  # the link to the introduced text


@pytest.mark.review("public_face")
def test_pages_run_only_the_sites_own_scripts(site, browser):
    context = browser.new_context()
    tab = context.new_page()
    refused, errors = [], []
    tab.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text
           else None)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    try:
        for path in ("/", "/tracker", "/tracker/bills?relevant=1", "/tracker/bills/ca-20232024-ab2602",
                     "/tracker/meetings/fr-2099-00002", "/tracker/new_bills", "/tracker/upcoming_meetings"):
            refused.clear()
            tab.goto(site + path, wait_until="load")
            assert refused == [], path
            # A script that got into the page some other way than the site's own files does not run.
            ran = tab.evaluate("""() => { const s = document.createElement('script');
                s.textContent = 'window.injected = true'; document.body.appendChild(s);
                return window.injected === true; }""")
            assert not ran, path
        tab.goto(site + "/tracker/bills?relevant=1")
        # Datasette's table script (column menus) found the setting its inline script gives it.
        assert tab.evaluate("typeof DATASETTE_ALLOW_FACET") == "boolean"
    finally:
        context.close()
    assert errors == []
