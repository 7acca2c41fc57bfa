"""Bill texts: HTML and PDF made plain (scrapers/texts.py), read after a crawl's bills, and judged with them.

The end-to-end tests run the openstates spider against the emulated Open
States and legislatures (ailabor/testing/emulators), which publish each version as
the facts say (PDF or HTML) at the address Open States links to.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from types import SimpleNamespace

import pytest

import db
from ailabor.config import openstates_config, source_config
from ailabor.store.texts import TEXT_ATTEMPTS
from ailabor.testing.emulators import (
    Dataset,
    FederalBill,
    StateAction,
    StateBill,
    StateVersion,
    TextVersion,
    emulating,
)
from ailabor.testing.emulators.common import text_answer
from ailabor.testing.emulators.pdf import LINES_PER_PAGE, write_pdf
from ailabor.testing.emulators.render import govinfo_html
from scrapers.texts import TextUnavailable, capped, strip_markup, to_text
from tests.conftest import EMULATED_KEYS, REPO, crawl


def words(text: str) -> str:
    return " ".join(text.split())


# to_text ------------------------------------------------------------------------------------------

BODY = ("SEC. 2. An employer shall not rely on an automated decision system to discharge, discipline or set the "
        "wages of an employee, and shall tell each worker in writing when such a system is used & why.")


def test_govinfo_html_keeps_its_words_and_paragraph_breaks():
    bill = FederalBill(119, "hr", 77, "2025-03-01", "Fair Bosses Act", official_title="To protect workers.")
    version = TextVersion("ih", "Introduced in House", "2025-03-01",
                          f"SECTION 1. SHORT TITLE.\n\nThis Act may be cited as the Fair Bosses Act.\n\n{BODY}")
    page = govinfo_html(bill, version, "To protect workers.").encode()
    assert b"<pre>" in page and b"&amp;" in page  # hard-wrapped and escaped, as govinfo serves it

    text = to_text(page, "text/html")

    assert words(BODY) in words(text)  # every word, in order, across the hard wraps
    assert "\n\nSEC. 2. An employer" in text  # a paragraph still begins after a blank line
    assert "\n\nThis Act may be cited" in text
    assert "<pre>" not in text and "&amp;" not in text


def test_a_pdf_written_by_the_emulators_reads_back_as_its_words():
    paragraphs = [f"SEC. {n}. The employer shall keep records of section {n} for three years. " * 3
                  for n in range(1, 60)]
    source = "\n\n".join(paragraphs) + "\n\nSEC. 60. Any § of this act applies to café workers."
    body = write_pdf(source, "AB 1")
    assert body.count(b"/Type /Page ") > 1  # several pages
    assert len(source.splitlines()) > LINES_PER_PAGE

    text = to_text(body, "application/pdf")

    assert words(text) == words(source)


def test_line_numbers_at_the_start_of_most_lines_are_dropped_so_a_split_phrase_is_whole_again():
    numbered = "\n".join(f"{n} {line}" for n, line in enumerate([
        "SECTION 1. An employer that uses an automated",
        "decision system to discharge a worker shall",
        "give the worker notice. A worker may ask",
        "for a human review of the decision.",
        "",
        "SEC. 2. This act takes effect on January 1.",
    ], start=1))

    text = to_text(write_pdf(numbered), "application/pdf")

    assert "automated decision system" in words(text)
    assert not any(line.split()[0].isdigit() for line in text.splitlines() if line.strip())
    assert "January 1." in text  # a number inside a line stays


def test_a_number_that_begins_only_a_few_lines_is_kept():
    text = to_text(b"SECTION 1. Every employer shall post\n3 copies of the notice at each\n"
                   b"site where employees work, and keep\nthem for five years.", "text/plain")
    assert "\n3 copies" in text


@pytest.mark.parametrize("broken", ["employ-\nment", "employ-\n  4 ment"], ids=["plain", "after a line number"])
def test_a_word_hyphenated_at_a_line_end_is_joined(broken):
    lines = [f"{n} filler line of the bill" for n in range(1, 4)]
    text = to_text(("\n".join(lines) + f"\n5 terms of {broken} of a self-driving truck operator").encode(),
                   "text/plain")
    assert "terms of employment of a self-driving truck operator" in words(text)


@pytest.mark.parametrize("body, media_type", [
    (write_pdf(""), "application/pdf"),
    (b"%PDF-1.4\n1 0 obj garbage", "application/pdf"),
    (b"<html><head><title>AB 1</title></head><body><script>var t = 'text';</script>  </body></html>", "text/html"),
    (b"   \n\n  ", "text/plain"),
], ids=["empty pdf", "broken pdf", "html without text", "blank"])
def test_a_file_without_text_is_unavailable_with_a_reason(body, media_type):
    with pytest.raises(TextUnavailable) as raised:
        to_text(body, media_type)
    assert str(raised.value) and "\n" not in str(raised.value)


def test_scripts_styles_and_the_head_are_not_text():
    page = (b"<html><head><title>AB 1 - Introduced</title><style>p { color: red }</style></head><body>"
            b"<script>track('automated decision system')</script><noscript>Enable JavaScript</noscript>"
            b"<p>An employer shall notify workers.</p><p>SEC. 2. Effective date.</p></body></html>")
    assert to_text(page) == "An employer shall notify workers.\n\nSEC. 2. Effective date."


def test_capped_says_when_it_cut():
    assert capped("abcdef", 4) == ("abcd", True)
    assert capped("abcd", 4) == ("abcd", False)
    assert capped("ab", 4) == ("ab", False)


# strip_markup: the HTML an API returns inside a field -------------------------------------------------

@pytest.mark.parametrize(("fragment", "text"), [
    ("Don&apos;t &ldquo;AI&rdquo; &amp; &#39;bots&#39; &#x2014; &hellip;", "Don't “AI” & 'bots' — …"),
    ("&lt;p&gt; is how a paragraph is written", "<p> is how a paragraph is written"),
    ("&NotAnEntity; stays", "&NotAnEntity; stays"),
], ids=["html5 and numeric", "escaped markup", "unknown name"])
def test_entities_are_decoded_as_a_browser_decodes_them(fragment, text):
    assert strip_markup(fragment) == text


def test_tags_go_without_a_gap_unless_one_is_asked_for():
    assert strip_markup("the <mark><em>AI</em></mark>'s use") == "the AI's use"
    assert strip_markup("<p><b>Title</b>Body</p>", " ") == "  Title Body "


@pytest.mark.parametrize(("fragment", "text"), [
    ('<a href="/x" title="a > b">link</a> after', "link after"),
    ("<img alt='>' src=x>after", "after"),
    ("<P\nCLASS='lead'>line</P >", "line"),
], ids=["double quotes", "single quotes", "newline and case"])
def test_a_tag_ends_at_its_own_closing_bracket_not_at_one_inside_a_quoted_attribute(fragment, text):
    assert strip_markup(fragment) == text


@pytest.mark.parametrize("fragment", ["1 < 2 and 3 > 2", "5 <= 6", "<3 workers", "unclosed <b"])
def test_a_less_than_sign_that_opens_no_tag_is_text(fragment):
    assert strip_markup(fragment) == fragment


def test_comments_go_while_the_text_of_a_script_stays_text():
    assert strip_markup("a<!-- note -->b") == "ab"
    assert strip_markup("<script>track('ai')</script>rest") == "track('ai')rest"


# End to end: the openstates spider reads texts ------------------------------------------------------

AI_TEXT = ("SECTION 1. This act may be cited as the Fair Discipline Act.\n\nSEC. 2. An employer shall not rely on an "
           "automated decision system to discharge, discipline or set the wages of an employee.\n\nSEC. 3. This act "
           "takes effect immediately.")
AMENDED = AI_TEXT.replace("immediately", "on January 1, 2026")
INTRO = StateAction("2025-02-03", "Introduced and referred to Labor.", "lower", ["introduction", "referral-committee"])
BILL_ID = "nj-2025-a10"
TEXT_PATH = "/nj/2025/A10/"


def text_only_bill(versions: list[StateVersion] | None = None) -> StateBill:
    """Its title and abstract name no AI; its text does, about employees."""
    return StateBill("nj", "2025", "A 10", "An act concerning the terms of employment.",
                     digest="Sets rules for how employers discipline and discharge employees.",
                     versions=versions or [StateVersion("Introduced", "2025-02-03", AI_TEXT, format="pdf")],
                     actions=[INTRO])


def text_hits(server) -> list[str]:
    return [h.path for h in server.hits_to(TEXT_PATH)]


def api_hits(server) -> int:
    return len(server.hits_to("/bills")) + len(server.hits_to("/jurisdictions"))


def bill(database, bill_id: str = BILL_ID) -> dict:
    return next(database.query("SELECT * FROM bills WHERE id = ?", [bill_id]))


def runs(database) -> list[dict]:
    return list(database.query("SELECT * FROM crawl_runs WHERE source = 'openstates' ORDER BY id"))


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory) -> SimpleNamespace:
    """A first run reads the PDF text; a second, with nothing new, reads none; then a new version appears."""
    folder = tmp_path_factory.mktemp("texts")
    db_path = folder / "tracker.db"
    versions = [StateVersion("Introduced", "2025-02-03", AI_TEXT, format="pdf"),
                StateVersion("Amended", "2025-03-10", AMENDED, format="html")]
    out = SimpleNamespace(db_path=db_path, results=[], text_hits=[], api_hits=[])
    with emulating(Dataset(states=[text_only_bill(versions)], as_of="2025-02-10")) as server:
        for n in range(3):
            if n == 2:
                server.advance("2025-03-20")
            server.hits.clear()
            out.results.append(crawl("openstates", server, db_path, env=EMULATED_KEYS))
            out.text_hits.append(text_hits(server))
            out.api_hits.append(api_hits(server))
            if n == 0:
                out.after_first = folder / "after_first.db"
                with sqlite3.connect(db_path) as source, sqlite3.connect(out.after_first) as copy:
                    source.backup(copy)
    for result in out.results:
        assert result.returncode == 0, result.stderr[-3000:]
    return out


@pytest.mark.slow
def test_a_bill_relevant_only_by_its_pdf_text_is_stored_relevant_with_the_text(three_runs):
    database = db.connect(three_runs.after_first)
    assert three_runs.text_hits[0] == [f"{TEXT_PATH}1.pdf"]
    assert bill(database)["relevant"] == 1
    found_in = [json.loads(r["found_in"]) for r in database.query(
        "SELECT found_in FROM bill_topics WHERE bill_id = ?", [BILL_ID])]
    assert any("text" in fields for each in found_in for fields in each.values())
    text = next(database.query("SELECT * FROM bill_texts WHERE bill_id = ?", [BILL_ID]))
    assert text["url"] == "https://legislature.nj.example/nj/2025/A10/1.pdf"
    assert text["media_type"] == "application/pdf"
    assert text["chars"] == len(text["text"]) > 0 and text["truncated"] == 0
    assert "automated decision system" in words(text["text"])


@pytest.mark.slow
def test_text_requests_are_not_counted_against_the_open_states_quota(three_runs):
    daily = openstates_config(source_config("openstates"))["daily_quota"]
    details = [json.loads(r["details"]) for r in runs(db.connect(three_runs.db_path))]
    assert details[0]["text_requests"] == 1
    # The second run counts what the key spent today: the first run's API requests and its own, not the text.
    assert details[1]["quota_left"] == daily - three_runs.api_hits[0] - three_runs.api_hits[1]


@pytest.mark.slow
def test_a_text_already_read_is_not_fetched_again_while_its_version_is_unchanged(three_runs):
    assert three_runs.text_hits[1] == []
    assert "openstates: ok" in three_runs.results[1].stdout


@pytest.mark.slow
def test_the_text_of_a_new_version_is_read_when_it_appears(three_runs):
    assert three_runs.text_hits[2] == [f"{TEXT_PATH}2.html"]
    database = db.connect(three_runs.db_path)
    read = {r["url"].rsplit("/", 1)[1]: r for r in database.query(
        "SELECT url, media_type, text FROM bill_texts WHERE bill_id = ?", [BILL_ID])}
    assert set(read) == {"1.pdf", "2.html"}
    assert read["2.html"]["media_type"].startswith("text/html")
    assert "January 1, 2026" in read["2.html"]["text"]
    assert bill(database)["relevant"] == 1


@pytest.mark.slow
def test_reclassifying_keeps_a_bill_relevant_by_its_stored_text(three_runs, tmp_path):
    copy = tmp_path / "tracker.db"
    with sqlite3.connect(three_runs.after_first) as source, sqlite3.connect(copy) as target:
        source.backup(target)

    def classify() -> str:
        done = subprocess.run([sys.executable, "-m", "ailabor.cli", "classify", "--db", str(copy)], cwd=REPO,
                              capture_output=True, text=True, timeout=60, check=True)
        return done.stdout

    assert "0 changed relevance" in classify()
    database = db.connect(copy)
    assert bill(database)["relevant"] == 1
    # Without its text the same bill is not relevant: the classifier did read the stored text.
    database.execute("DELETE FROM bill_texts")
    database.conn.commit()
    assert "1 no longer" in classify()
    assert bill(database)["relevant"] == 0


@pytest.mark.slow
def test_a_text_that_cannot_be_fetched_is_asked_again_until_it_failed_text_attempts_times(db_path, monkeypatch):
    with emulating(Dataset(states=[text_only_bill()], as_of="2025-02-10")) as server:
        answer_text = server.openstates.answer_text
        monkeypatch.setattr(server.openstates, "answer_text", lambda req: text_answer(
            "<html><body><h1>Not Found</h1></body></html>", "text/html", 404) if req.path.startswith(TEXT_PATH)
            else answer_text(req))
        asked = []
        for _ in range(TEXT_ATTEMPTS + 1):
            server.hits.clear()
            result = crawl("openstates", server, db_path, env=EMULATED_KEYS)
            assert "openstates: ok" in result.stdout, result.stdout + result.stderr[-2000:]
            asked.append(len(text_hits(server)))
    assert asked == [1] * TEXT_ATTEMPTS + [0]
    database = db.connect(db_path)
    errors = list(database.query("SELECT kind, url, message FROM crawl_errors"))
    assert [e["kind"] for e in errors] == ["text_unavailable"] * TEXT_ATTEMPTS
    assert all(e["url"].endswith("/A10/1.pdf") and "404" in e["message"] for e in errors)
    assert database.execute("SELECT count(*) FROM bill_texts").fetchone()[0] == 0
    assert bill(database)["relevant"] == 0  # judged on its title and abstract, which name no AI


@pytest.mark.slow
def test_no_text_is_read_when_the_run_may_read_none(db_path):
    with emulating(Dataset(states=[text_only_bill()], as_of="2025-02-10")) as server:
        result = crawl("openstates", server, db_path, env={**EMULATED_KEYS, "AILABOR_TEXTS_PER_RUN": "0"})
        assert text_hits(server) == []
    assert "openstates: ok" in result.stdout
    database = db.connect(db_path)
    assert database.execute("SELECT count(*) FROM bill_texts").fetchone()[0] == 0
    assert bill(database)["relevant"] == 0


def test_a_text_file_is_read_as_text():
    assert to_text("SEC. 1. Les employés.".encode(), "text/plain") == "SEC. 1. Les employés."


def test_a_pdf_is_known_by_its_bytes_whatever_it_is_served_as():
    assert "automated" in to_text(write_pdf("An automated decision system."), "application/octet-stream")
