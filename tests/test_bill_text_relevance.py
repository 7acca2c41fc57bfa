"""Judging a bill on all that is known of it: titles, summaries, subjects and the text of its latest version."""

from __future__ import annotations

import pytest

from ailabor.relevance import PASSAGE_CHARS, Taxonomy, load_taxonomy, passage_starts

FILLER = "The Secretary shall report to Congress on the matters in this section each year. " * 14


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return load_taxonomy()


def test_text_where_ai_and_work_meet_in_one_passage_makes_a_bill_relevant(tax):
    text = ("SECTION 1. Short title.\n\nSEC. 2. An employer shall not rely on an automated decision system "
            "to discharge a worker.")
    c = tax.classify_parts([("title", "An act relating to labor standards.")], text=text)
    assert c.relevant
    assert c.found_in["automated decision"] == ["text"]


def test_ai_and_work_far_apart_in_a_long_text_do_not_count(tax):
    text = (f"SEC. 2. The department shall study artificial intelligence in hospitals.\n\n{FILLER}\n\n"
            f"{FILLER}\n\nSEC. 9. Employees of the department shall receive the pay increase.")
    c = tax.classify_parts([("title", "An act relating to public health.")], text=text)
    assert not c.relevant
    assert not c.topics


def test_title_and_summary_still_count_together(tax):
    c = tax.classify_parts([("title", "Artificial Intelligence Accountability Act"),
                            ("summary", "Protects employees from unfair discipline.")])
    assert c.relevant
    assert c.found_in["Artificial Intelligence"] == ["title"]
    assert c.found_in["employees"] == ["summary"]


def test_each_phrase_says_every_field_it_was_found_in(tax):
    c = tax.classify_parts(
        [("title", "Digital replicas of performers"), ("summary", "Contracts for a digital replica."),
         ("subjects", "Digital replica")],
        text="SEC. 2. A contract that lets a studio make a digital replica of a performer is void.")
    assert c.found_in["Digital replicas"] == ["title", "summary", "subjects", "text"]
    replica = next(t for t in c.topics if t.slug == "digital-replicas")
    assert replica.found_in[replica.matched[0]] == ["title", "summary", "subjects", "text"]


def test_an_exclusion_condition_in_the_text_applies_to_the_title(tax):
    # "likeness" of student athletes is not a performer's likeness, wherever the athletes are named.
    title = [("title", "Use of likeness by artificial intelligence")]
    assert tax.classify_parts(title).relevant
    text = "SEC. 1. A student athlete at an intercollegiate program may license the use of their likeness."
    assert not tax.classify_parts(title, text=text).relevant


def test_text_phrases_that_count_file_the_bill_under_their_topics(tax):
    text = "SEC. 3. An employer may not use electronic monitoring of employees to set production quotas."
    c = tax.classify_parts([("title", "An act concerning warehouses.")], text=text)
    assert c.relevant
    assert "surveillance" in {t.slug for t in c.topics} or any("monitor" in m.lower() for t in c.topics
                                                               for m in t.matched)


def test_paragraphs_merge_into_passages_of_bounded_size():
    text = "\n\n".join(f"({n}) A short clause of the definitions section." for n in range(60))
    bounds = passage_starts(text)
    assert bounds[0] == 0
    lengths = [b - a for a, b in zip(bounds, [*bounds[1:], len(text)], strict=True)]
    assert len(bounds) > 1
    assert max(lengths) <= PASSAGE_CHARS + 60  # one clause past the size at most


def test_a_paragraph_without_breaks_is_cut_at_sentence_ends():
    text = "The employer shall keep records. " * 200  # a PDF page read without blank lines
    bounds = passage_starts(text)
    assert len(bounds) >= len(text) // (2 * PASSAGE_CHARS)
    assert all(text[b - 2:b] == ". " for b in bounds[1:])
