"""Decide whether a bill or meeting concerns AI *and* work, and say why.

The taxonomy lives in ``topics.yml`` so the union's political director can change
what counts without touching code; this module turns it into compiled patterns once,
classifies text fast enough to re-run over every stored row after each edit, and
builds the upstream search queries from the same phrases so a new phrase reaches
every source at once.  It is pure: no database, no network, no CLI.

Matching rules (the contract ``topics.yml`` documents for its editor):

* phrases match whole words, case-insensitively, tolerating plurals and possessives
  ("tool" ~ "tools", "worker" ~ "workers'") and hyphen/space/comma variants between
  words ("decision-making tool" ~ "decision making tools");
* a word ending in ``*`` matches any ending ("employ*" ~ "employer", "employment");
* a phrase written all in capitals ("AI", "A.I.", "NIL") matches only in capitals,
  so "AI" never fires on Spanish "ai" or on the word "ai" in running text;
* exclusions mask their span: nothing inside "European Union" counts as "union".
  The text is read once, left to right, taking the longest phrase at each point,
  so an exclusion cannot cut into a phrase that starts earlier ("artificial
  intelligence community" keeps its "artificial intelligence"); an exclusion with
  ``only_with`` masks only when one of those phrases also occurs;
* a longer phrase carries the meaning of the phrases inside it, so "automated
  employment decision" still counts as the work phrase "employment".

A bill is judged on all that is known of it: its titles, summaries and
subjects (short texts that are about the bill as a whole: an AI phrase and a
work phrase anywhere in them count together), and the text of its latest
version. A bill's text is long and mentions many things in passing, so there
the two halves must meet in one passage (a paragraph or so), and the passages
where they meet must name work more than once, unless the title or summary
already says the bill is about AI. Every
phrase is reported with the fields it was found in (title, summary, subjects,
text), which is what "why we track it" shows.
"""

from __future__ import annotations

import bisect
import functools
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ailabor.config import read_yaml

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "topics.yml"

# Upstream web searches degrade (and Open States may reject the query) when too long: phrases per query.
MAX_SEARCH_PHRASES = 20

# Joins title, summary and subjects: ";" is not a phrase separator, so no phrase can
# straddle two fields.
_FIELD_JOIN = " ; "

# Where a phrase can be found, in the order "why we track it" lists them.
FIELDS = ("title", "summary", "subjects", "text")

# A passage of a bill's text is a paragraph (a section or subsection), with the headings and short lines
# before it; a paragraph longer than two passages (a PDF read without blank lines) is cut at a sentence
# end past this many characters.
PASSAGE_CHARS = 900
SHORT_LINE = 160
# A text counts when its passages where AI and work meet name work at least this often: a bill about AI
# at work says so more than once; one that names employees in passing (an agency's staff) does not.
# Once its title or summary says the bill is about AI, one such mention is enough.
TEXT_WORK_MENTIONS = 2
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_SENTENCE_END = re.compile(r"[.;:]\s+")

# Pattern pieces ("atoms") a phrase is spelled with. Between words: nothing
# ("decisionmaking"), spaces, a hyphen or dash, or a comma ("name, image, and likeness").
_SEP = r"(?:\s*[-‐‑–—,]\s*|\s+)?"
# After a word: plural, then possessive ("workers'", "employee's").
_PLURAL = r"(?:e?s)?(?:['’]s?)?"
_Y_PLURAL = r"(?:y|ies)(?:['’]s?)?"
_STAR = r"\w*"
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_WORD_SPLIT = re.compile(r"[^\s\-‐‑–—,]+")

# Membership tags a phrase can carry.
_AI, _REPLICA, _WORK = "ai", "replica", "work"


class TaxonomyError(ValueError):
    """topics.yml cannot be used; the message is one line telling the editor what to fix."""


@dataclass(frozen=True)
class Topic:
    """One row of the ``topics`` table; the phrases stay inside the Taxonomy."""

    slug: str
    name: str
    description: str
    catch_all: bool = False


@dataclass(frozen=True)
class TopicMatch:
    """A topic an item was tagged with, the phrases (as written in the item) that earned it, and where each was."""

    slug: str
    score: float
    matched: list[str]
    found_in: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Classification:
    """The verdict on one item, with enough evidence to explain it to a person.

    ``score`` is at least 0.5 exactly when ``relevant``; below that it reflects how
    much partial evidence (AI-only or work-only) was seen.
    """

    relevant: bool
    score: float
    topics: list[TopicMatch]
    ai_matched: list[str] = field(default_factory=list)
    work_matched: list[str] = field(default_factory=list)
    #: Each matched phrase (as written) and the fields it was found in, in FIELDS order.
    found_in: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "relevant": self.relevant,
            "score": self.score,
            "topics": [t.slug for t in self.topics],
            "matched": {t.slug: list(t.matched) for t in self.topics},
            "found_in": {phrase: list(where) for phrase, where in self.found_in.items()},
        }


def _is_caps(phrase: str) -> bool:
    return any(c.isalpha() for c in phrase) and phrase == phrase.upper()


def _word_atoms(word: str, caps: bool) -> list[str]:
    if word.endswith("*"):
        return [re.escape(c) for c in word[:-1].lower()] + [_STAR]
    chars = [re.escape(c) for c in word.lower()]
    if not word[-1].isalpha():
        return chars
    if caps:
        return chars + ["s?"]  # acronyms pluralise in lower case: "LLMs"
    if len(word) > 2 and word[-1] == "y" and word[-2] not in "aeiou":
        return chars[:-1] + [_Y_PLURAL]
    return chars + [_PLURAL]


def _phrase_atoms(phrase: str) -> tuple[str, ...]:
    caps = _is_caps(phrase)
    atoms: list[str] = []
    for i, word in enumerate(_WORD_SPLIT.findall(phrase)):
        if i:
            atoms.append(_SEP)
        atoms.extend(_word_atoms(word, caps))
    return tuple(atoms)


def _standalone(phrase: str) -> re.Pattern[str]:
    """One phrase on its own, for load-time checks (never used per item)."""
    if _is_caps(phrase):
        return re.compile(rf"(?<!\w){_caps_pattern(phrase)}(?!\w)")
    return re.compile(rf"(?<!\w){''.join(_phrase_atoms(phrase))}(?!\w)", re.IGNORECASE)


def _caps_pattern(phrase: str) -> str:
    parts = []
    for word in _WORD_SPLIT.findall(phrase):
        core = word.rstrip("*")
        tail = r"\w*" if word.endswith("*") else ("s?" if word[-1].isalpha() else "")
        parts.append(re.escape(core) + tail)
    return _SEP.join(parts)


_END = ""  # trie key marking "a phrase may end here"


def _trie_regex(leaves: Iterable[tuple[str, ...]]) -> str:
    """One alternation for every phrase, factored as a trie.

    Python's regex engine tries alternatives one by one, so a flat list of 300 phrases
    costs 300 attempts per character; factored by shared prefixes, each character
    costs a handful, and only at the start of a word (the leading word boundary). Phrases
    carry no capturing groups (each costs time on every match); the caller works out
    which phrase matched from the matched text.
    """
    root: dict[str, Any] = {}
    for atoms in leaves:
        node = root
        for a in atoms:
            node = node.setdefault(a, {})
        node[_END] = True

    def emit(node: dict[str, Any]) -> str:
        # Literal characters before optional atoms, and longer phrases before a phrase
        # ending here, so the longest phrase at a position wins.
        keys = sorted((k for k in node if k != _END), key=lambda k: (k.startswith("(?") or k in (_STAR, "s?"), k))
        alts = []
        for k in keys:
            alts.append(k + emit(node[k]))
        if _END in node:
            alts.append(r"(?!\w)")
        if len(alts) == 1:
            return alts[0]
        return "(?:" + "|".join(alts) + ")"

    return r"\b" + emit(root) if root else r"(?!x)x"


@dataclass
class _Leaf:
    """What one distinct phrase means once found: its tags and those of phrases inside it."""

    phrase: str
    caps: re.Pattern[str] | None = None
    own: set[str] = field(default_factory=set)
    excluded: bool = False  # a plain exclusion: cancels everything inside it
    cond_excl: set[int] = field(default_factory=set)  # exclusions that apply only_with condition k
    conds: set[int] = field(default_factory=set)  # this phrase satisfies condition k
    topic_excl: set[str] = field(default_factory=set)
    # (conditions that cancel this part, tags it contributes), for the phrase itself and
    # every phrase contained in it: "automated employment decision" also says "employment".
    parts: list[tuple[frozenset[int], frozenset[str]]] = field(default_factory=list)
    static: frozenset[str] | None = None  # the tags when no condition can change them


def _distinct(found: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for f in found:
        seen.setdefault(f.lower(), f)
    return list(seen.values())


def _strength(n: int) -> float:
    # Diminishing returns: one phrase is some evidence, three is nearly conclusive.
    return 1.0 - 0.5**n


def passage_starts(text: str, size: int = PASSAGE_CHARS) -> list[int]:
    """Where each passage of a bill's text begins (the first is 0).

    Each paragraph (blank-line separated) begins a passage, unless what came
    before it since the last passage began is shorter than ``SHORT_LINE`` (a
    heading, a number): those stay with the paragraph that follows. A
    paragraph longer than two passages is cut at a sentence end past ``size``.
    """
    bounds = [0]
    paragraphs = [0, *(m.end() for m in _PARAGRAPH_BREAK.finditer(text)), len(text)]
    start = 0
    for a, b in zip(paragraphs, paragraphs[1:], strict=False):
        if a - start >= SHORT_LINE:
            bounds.append(a)
            start = a
        while b - start > 2 * size:
            end = _SENTENCE_END.search(text, start + size, start + 2 * size)
            start = end.end() if end else start + size
            bounds.append(start)
    return bounds


class Taxonomy:
    """The compiled topics.yml: classifies text and builds upstream search queries.

    Every phrase of every list is compiled at load time into one regular expression,
    so ``classify`` reads each item once and does no compilation.
    """

    def __init__(self, data: Mapping[str, Any], source: str = "topics.yml") -> None:
        self.source = source
        v = _Validator(source)
        data = v.mapping(data, "the file")
        if "ai_phrases_not_searched" in data:
            v.fail("'ai_phrases_not_searched' is now called 'more_ai_phrases' (bill searches use them too): rename it")
        self.ai_phrases = v.phrases(data, "ai_phrases")
        self.more_ai_phrases = v.phrases(data, "more_ai_phrases", required=False)
        self.replica_phrases = v.phrases(data, "replica_phrases", required=False)
        self.work_phrases = v.phrases(data, "work_phrases")
        if len(self.search_phrases()) > MAX_SEARCH_PHRASES:
            v.fail(
                f"ai_phrases and replica_phrases give {len(self.search_phrases())} search phrases; "
                f"keep them to {MAX_SEARCH_PHRASES} or fewer by moving some to more_ai_phrases"
            )
        self.search_narrower = v.narrower(data.get("search_narrower"),
                                          set(self.ai_phrases + self.more_ai_phrases + self.replica_phrases))

        leaves: dict[tuple[str, ...], _Leaf] = {}

        def leaf(phrase: str) -> _Leaf:
            atoms = _phrase_atoms(phrase)
            if atoms not in leaves:
                caps = re.compile(_caps_pattern(phrase)) if _is_caps(phrase) else None
                leaves[atoms] = _Leaf(phrase, caps)
            return leaves[atoms]

        for p in self.ai_phrases + self.more_ai_phrases:
            leaf(p).own.add(_AI)
        for p in self.replica_phrases:
            leaf(p).own.update((_AI, _REPLICA, _WORK))
        for p in self.work_phrases:
            leaf(p).own.add(_WORK)

        plain, conditional = v.exclusions(data.get("exclusions"), "exclusions")
        for p in plain:
            leaf(p).excluded = True
        for k, (phrases, only_with) in enumerate(conditional):
            for p in phrases:
                leaf(p).cond_excl.add(k)
            for p in only_with:
                leaf(p).conds.add(k)

        self._topics: list[Topic] = []
        raw_topics = data.get("topics")
        if not isinstance(raw_topics, list) or not raw_topics:
            v.fail("'topics' must be a list of topics, each starting with '- slug: ...'")
        for i, raw in enumerate(raw_topics, 1):
            t = v.mapping(raw, f"topic number {i}")
            slug = t.get("slug")
            if not isinstance(slug, str) or not _SLUG_RE.match(slug):
                v.fail(f"topic number {i} needs a 'slug' of lowercase letters, digits and hyphens")
            if any(x.slug == slug for x in self._topics):
                v.fail(f"the slug '{slug}' is used by two topics; each topic needs its own")
            where = f"topic '{slug}'"
            for key in ("name", "description"):
                if not isinstance(t.get(key), str) or not t[key].strip():
                    v.fail(f"{where} needs a '{key}'")
            catch_all = t.get("catch_all", False) is True
            for p in v.phrases(t, "phrases", where=where, required=not catch_all):
                leaf(p).own.add("t:" + slug)
            excl, cond = v.exclusions(t.get("exclusions"), f"{where} exclusions")
            if cond:
                v.fail(f"{where}: topic exclusions cannot use 'only_with'; put that exclusion in the top-level list")
            for p in excl:
                leaf(p).topic_excl.add("t:" + slug)
            self._topics.append(Topic(slug, t["name"].strip(), " ".join(t["description"].split()), catch_all))
        catch_alls = [t for t in self._topics if t.catch_all]
        if len(catch_alls) != 1:
            v.fail(f"exactly one topic must have 'catch_all: true' (found {len(catch_alls)})")
        self._catch_all = catch_alls[0]
        self._topic_keys = [(t, "t:" + t.slug) for t in self._topics]

        self._link_contained(list(leaves.values()))
        self._scan = re.compile(_trie_regex(leaves))
        # To tell which phrase a match is: each phrase's own pattern, most literal
        # first (as the scan prefers), and a cache from matched text to phrase.
        self._identities = sorted(
            (
                (re.compile("".join(atoms)), lf, sum(not a.startswith("(") for a in atoms))
                for atoms, lf in leaves.items()
            ),
            key=lambda x: -x[2],
        )
        self._seen: dict[str, _Leaf] = {}

    @staticmethod
    def _link_contained(leaves: list[_Leaf]) -> None:
        """Give each phrase the tags of the phrases inside it, once, at load time.

        The scan reports only the longest phrase at each position, so without this
        "automated employment decision" would hide the work phrase "employment".
        """
        pats = [(lf, _standalone(lf.phrase), _WORD_SPLIT.findall(lf.phrase.lower())[0].rstrip("*")) for lf in leaves]
        for outer in leaves:
            text = " ".join(w.rstrip("*") for w in _WORD_SPLIT.findall(outer.phrase))
            low = text.lower()
            inner = [lf for lf, pat, first in pats if first in low and pat.search(text)]
            if outer not in inner:
                inner.append(outer)
            topic_excl: set[str] = set()
            for lf in inner:
                topic_excl |= lf.topic_excl
            outer.parts = [
                (frozenset(lf.cond_excl), frozenset(lf.own - topic_excl))
                for lf in inner
                if not lf.excluded and lf.own - topic_excl
            ]
            if not any(c for c, _ in outer.parts) and not outer.cond_excl:
                outer.static = frozenset().union(*(tags for _, tags in outer.parts))

    def _identify(self, key: str) -> _Leaf:
        """The phrase the scan matched as ``key``; slow, but each spelling is looked up once."""
        lf = next(lf for pat, lf, _ in self._identities if pat.fullmatch(key))
        if len(self._seen) < 100_000:  # spellings are few; the bound only guards odd input
            self._seen[key] = lf
        return lf

    @property
    def topics(self) -> list[Topic]:
        return list(self._topics)

    def _found(self, text: str) -> list[tuple[_Leaf, str, int]]:
        """Each phrase found in ``text``, as written there, and where it starts."""
        low = text.lower()
        # Lower-casing can change the length of rare characters ("İ"); then spans no
        # longer line up, and the lower-case text is quoted instead.
        orig = text if len(low) == len(text) else low
        found: list[tuple[_Leaf, str, int]] = []
        seen = self._seen
        for m in self._scan.finditer(low):
            key = m.group()
            lf = seen.get(key) or self._identify(key)
            s, e = m.span()
            if lf.caps is not None and not lf.caps.fullmatch(orig, s, e):
                continue
            found.append((lf, orig[s:e], s))
        return found

    @staticmethod
    def _tags(lf: _Leaf, active: set[int]) -> frozenset[str]:
        """The tags a phrase carries, once the exclusions whose conditions the item meets are applied."""
        if lf.excluded or (active and lf.cond_excl & active):
            return frozenset()
        if lf.static is not None:
            return lf.static
        return frozenset().union(*(t for c, t in lf.parts if not (c & active)))

    def _matches(self, text: str) -> list[tuple[str, frozenset[str]]]:
        """Each phrase found (as written in ``text``) with the tags it carries there."""
        found = self._found(text)
        active: set[int] = set()
        for lf, _, _ in found:
            active |= lf.conds
        return [(written, tags) for lf, written, _ in found if (tags := self._tags(lf, active))]

    def classify(self, title: str | None, summary: str | None = None, subjects: Iterable[str] = ()) -> Classification:
        """Judge short texts: a title, a summary or abstract, subject terms (and other titles, agencies...)."""
        return self.classify_parts([("title", title), ("summary", summary), *(("subjects", s) for s in subjects)])

    def classify_bill(self, title: str | None, other_titles: Iterable[str] = (), summary: str | None = None,
                      subjects: Iterable[str] = (), text: str | None = None) -> Classification:
        """Judge a bill on all that is known of it: its titles, summary, subjects and latest text."""
        parts = [("title", title), *(("title", t) for t in other_titles), ("summary", summary),
                 *(("subjects", s) for s in subjects)]
        return self.classify_parts(parts, text=text)

    def classify_parts(self, parts: Iterable[tuple[str, str | None]], text: str | None = None) -> Classification:
        """Judge an item on its short fields, given as (field, value) pairs, and on its text when known.

        The short fields count as one text (an AI phrase in the title and a
        work phrase in the summary make the item relevant); in ``text`` only
        the passages where both halves meet count (see the module docstring).
        Exclusions with ``only_with`` apply when the condition occurs anywhere.
        """
        names: list[str] = []
        starts: list[int] = []
        pieces: list[str] = []
        offset = 0
        for name, value in parts:
            if not value:
                continue
            if pieces:
                offset += len(_FIELD_JOIN)
            names.append(name)
            starts.append(offset)
            pieces.append(value)
            offset += len(value)
        meta_found = self._found(_FIELD_JOIN.join(pieces)) if pieces else []
        text_found = self._found(text) if text else []
        active: set[int] = set()
        for lf, _, _ in meta_found:
            active |= lf.conds
        for lf, _, _ in text_found:
            active |= lf.conds

        # (phrase, as written, its tags, the field it is in); a phrase is counted once however it is spelled.
        hits: list[tuple[str, str, frozenset[str], str]] = []
        for lf, written, start in meta_found:
            tags = self._tags(lf, active)
            if tags:
                hits.append((lf.phrase, written, tags, names[bisect.bisect_right(starts, start) - 1]))
        meta_tags = frozenset().union(*(tags for _, _, tags, _ in hits))
        relevant = _AI in meta_tags and _WORK in meta_tags

        loose: list[tuple[str, str, frozenset[str], str]] = []  # text phrases outside any passage that counts
        if text_found:
            bounds = passage_starts(text or "")
            passages: dict[int, list[tuple[str, str, frozenset[str], str]]] = {}
            for lf, written, start in text_found:
                tags = self._tags(lf, active)
                if tags:
                    passages.setdefault(bisect.bisect_right(bounds, start), []).append(
                        (lf.phrase, written, tags, "text"))
            meeting: list[tuple[str, str, frozenset[str], str]] = []
            for group in passages.values():
                together = frozenset().union(*(tags for _, _, tags, _ in group))
                (meeting if _AI in together and _WORK in together else loose).extend(group)
            needed = 1 if _AI in meta_tags else TEXT_WORK_MENTIONS
            if sum(_WORK in tags for _, _, tags, _ in meeting) >= needed:
                hits += meeting
                relevant = True
            else:
                loose += meeting

        by_tag: dict[str, dict[str, str]] = {}
        spelled: dict[str, str] = {}
        where: dict[str, set[str]] = {}
        for phrase, written, tags, found_in in hits if relevant else hits + loose:
            written = spelled.setdefault(phrase, written)
            where.setdefault(written, set()).add(found_in)
            for tag in tags:
                by_tag.setdefault(tag, {}).setdefault(phrase, written)
        found_in = {written: sorted(fields, key=FIELDS.index) for written, fields in where.items()}
        ai_matched = list(by_tag.get(_AI, {}).values())
        work_matched = list(by_tag.get(_WORK, {}).values())
        s_ai, s_work = _strength(len(ai_matched)), _strength(len(work_matched))
        if not relevant:
            return Classification(False, round(0.25 * max(s_ai, s_work), 3), [], ai_matched, work_matched, found_in)

        score = round(0.5 + 0.5 * s_ai * s_work, 3)
        topics = [
            TopicMatch(t.slug, round(_strength(len(by_tag[key])), 3), list(by_tag[key].values()),
                       {w: found_in[w] for w in by_tag[key].values()})
            for t, key in self._topic_keys
            if key in by_tag
        ]
        if not topics:
            phrases = _distinct(ai_matched + work_matched)
            topics = [TopicMatch(self._catch_all.slug, score, phrases, {w: found_in[w] for w in phrases})]
        topics.sort(key=lambda tm: -tm.score)  # stable: ties keep topics.yml order
        return Classification(True, score, topics, ai_matched, work_matched, found_in)

    # --- upstream queries -------------------------------------------------------

    def search_phrases(self) -> list[str]:
        """The phrases agency document searches send (Federal Register, Regulations.gov): AI and replica phrases.

        Stars are dropped: upstreams stem words themselves.
        """
        return _distinct([_unstarred(p) for p in self.ai_phrases + self.replica_phrases])

    def bill_search_phrases(self) -> list[str]:
        """Every AI and replica phrase, for the full-text searches of bills (Open States, govinfo).

        Bill texts are where AI is named when titles do not name it, so every
        phrase that signals AI is searched. A phrase that stemming would make
        broader than meant ("generative" also finds "generated") is searched as
        the narrower phrases ``search_narrower`` gives for it.
        """
        out: list[str] = []
        for phrase in self.ai_phrases + self.more_ai_phrases + self.replica_phrases:
            out += [_unstarred(p) for p in self.search_narrower.get(phrase, [phrase])]
        return _distinct(out)

    def openstates_queries(self) -> list[str]:
        """Open States ``q`` values (web-search syntax): quoted phrases joined by OR, twenty to a query.

        Hyphens become spaces: PostgreSQL reads "self-driving" in a query as a
        compound that "self driving" in a text does not match, while the
        quoted words "self driving" match the hyphenated text too.
        """
        phrases = _distinct([p.replace("-", " ") for p in self.bill_search_phrases()])
        return [" OR ".join(f'"{p}"' for p in phrases[i:i + MAX_SEARCH_PHRASES])
                for i in range(0, len(phrases), MAX_SEARCH_PHRASES)]

    def federal_register_term(self) -> str:
        """Federal Register ``conditions[term]`` (simple_query_string): quoted phrases joined by |."""
        return " | ".join(f'"{p}"' for p in self.search_phrases())

    def mentions_ai(self, text: str | None) -> bool:
        """Whether text (a Congress.gov title, say) mentions AI, so its details are worth fetching."""
        if not text:
            return False
        return any(_AI in tags for _, tags in self._matches(text))


def _unstarred(phrase: str) -> str:
    return " ".join(w.rstrip("*") for w in phrase.split())


class _Validator:
    """Turns a malformed topics.yml into a one-line TaxonomyError naming the fix."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, message: str) -> None:
        raise TaxonomyError(f"{self.source}: {message}")

    def mapping(self, value: Any, what: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.fail(f"{what} must be a set of 'key: value' lines, not {type(value).__name__}")
        return value

    def phrases(self, data: Mapping[str, Any], key: str, where: str = "", required: bool = True) -> list[str]:
        label = f"{where} '{key}'" if where else f"'{key}'"
        value = data.get(key)
        if value is None:
            if required:
                self.fail(f"{label} is missing; list at least one phrase")
            return []
        if not isinstance(value, list) or (required and not value):
            self.fail(f"{label} must be a list of phrases, each on its own line starting with '- '")
        for p in value:
            if not isinstance(p, str) or not p.strip():
                self.fail(f"{label} has an entry that is not a phrase: {p!r} (quote it if it has ':' or '#')")
            if "*" in p.rstrip("*") or re.search(r"\*\S", p):
                self.fail(f"{label}: '*' may only end a word, as in 'employ*' (check {p!r})")
        return [" ".join(p.split()) for p in value]

    def narrower(self, value: Any, known: set[str]) -> dict[str, list[str]]:
        """``search_narrower``: for an AI phrase, the narrower phrases upstream searches send instead."""
        if value is None:
            return {}
        mapping = self.mapping(value, "'search_narrower'")
        out: dict[str, list[str]] = {}
        for phrase, instead in mapping.items():
            if phrase not in known:
                self.fail(f"search_narrower: {phrase!r} is not one of the AI or replica phrases")
            out[str(phrase)] = self.phrases({"instead": instead}, "instead", where=f"search_narrower {phrase!r}")
        return out

    def exclusions(self, value: Any, where: str) -> tuple[list[str], list[tuple[list[str], list[str]]]]:
        """Plain exclusion phrases, and (phrases, only_with) pairs that apply conditionally."""
        plain: list[str] = []
        conditional: list[tuple[list[str], list[str]]] = []
        if value is None:
            return plain, conditional
        if not isinstance(value, list):
            self.fail(f"{where} must be a list, each entry starting with '- phrase:'")
        for i, raw in enumerate(value, 1):
            e = self.mapping(raw, f"{where} entry {i}")
            if isinstance(e.get("phrase"), str):
                e = {**e, "phrases": [e["phrase"]]}
            label = f"{where} entry {i}"
            ph = self.phrases(e, "phrases", where=label)
            if not isinstance(e.get("why"), str) or not e["why"].strip():
                self.fail(f"{label} needs a 'why' saying which near miss it prevents")
            if "only_with" in e:
                conditional.append((ph, self.phrases(e, "only_with", where=label)))
            else:
                plain.extend(ph)
        return plain, conditional


def topics_path() -> Path:
    """The taxonomy in force: ``$AILABOR_TOPICS``, else the repository's topics.yml."""
    return Path(os.environ.get("AILABOR_TOPICS") or DEFAULT_PATH)


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read and compile topics.yml: the path given, else ``$AILABOR_TOPICS``, else the repository's own."""
    p = Path(path) if path else topics_path()
    try:
        stamp = p.stat()
    except OSError:
        if p == DEFAULT_PATH and not p.parent.is_dir():
            # Code run from a zipped egg (a Scrapyd deployment) has no repository around it.
            raise TaxonomyError("topics.yml: not found beside the code; set AILABOR_TOPICS to its path") from None
        return Taxonomy(read_yaml(p, TaxonomyError), source=p.name)  # read_yaml says why, in one line
    return _compiled(p.resolve(), stamp.st_mtime_ns, stamp.st_size)


@functools.lru_cache(maxsize=4)
def _compiled(path: Path, mtime_ns: int, size: int) -> Taxonomy:
    # Compiling the taxonomy's patterns costs far more than classifying; a process that loads it twice
    # (the crawl's early check, then the spider) compiles once, and an edited file is compiled afresh.
    return Taxonomy(read_yaml(path, TaxonomyError), source=path.name)


# --- evaluation against labelled bills ------------------------------------------


@dataclass
class EvalResult:
    """How the taxonomy fares on a labelled set; printed for the director after an edit."""

    precision: float
    recall: float
    total: int
    misclassified: list[dict[str, Any]]

    def format(self) -> str:
        lines = [f"precision {self.precision:.2f}  recall {self.recall:.2f}  ({self.total} items)"]
        for m in self.misclassified:
            kind = "missed" if m["relevant"] else "false alarm"
            seen = ", ".join(m["ai_matched"] + m["work_matched"]) or "nothing"
            lines.append(
                f"  {kind}: {m.get('jurisdiction', '?')} {m.get('identifier', '?')} "
                f"{m.get('title', '')!r} (score {m['score']}; saw {seen})"
            )
        return "\n".join(lines) + "\n"


def evaluate(tax: Taxonomy, items: Iterable[Mapping[str, Any]]) -> EvalResult:
    """Precision and recall of ``tax`` on items labelled ``relevant: true/false``."""
    tp = fp = fn = total = 0
    wrong: list[dict[str, Any]] = []
    for item in items:
        total += 1
        c = tax.classify(item.get("title"), item.get("summary"), item.get("subjects") or ())
        want = bool(item["relevant"])
        tp += want and c.relevant
        fp += c.relevant and not want
        fn += want and not c.relevant
        if want != c.relevant:
            wrong.append(
                {
                    **item,
                    **c.as_dict(),
                    "relevant": want,
                    "got": c.relevant,
                    "ai_matched": c.ai_matched,
                    "work_matched": c.work_matched,
                }
            )
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return EvalResult(precision, recall, total, wrong)


_LABELLED_REQUIRED = ("identifier", "jurisdiction", "title", "relevant")


def load_labelled(path: str | Path) -> list[dict[str, Any]]:
    """Read a labelled set (a YAML list of bills with ``relevant: true/false``)."""
    p = Path(path)
    items = yaml.safe_load(p.read_text(encoding="utf-8"))
    if not isinstance(items, list):
        raise ValueError(f"{p.name}: expected a list of labelled items")
    for i, item in enumerate(items, 1):
        missing = [k for k in _LABELLED_REQUIRED if not isinstance(item, dict) or k not in item]
        if missing:
            raise ValueError(f"{p.name}: item {i} lacks {', '.join(missing)}")
        if not isinstance(item["relevant"], bool):
            raise ValueError(f"{p.name}: item {i} ({item['identifier']}) needs 'relevant: true' or 'false'")
    return items
