"""PostgreSQL full-text search as Open States runs it: ``search_vector @@ websearch_to_tsquery('english', q)``.

Open States matches ``q`` in the database, so what a query finds is decided by
PostgreSQL's rules, not by substring matching: words are stemmed with the
English Snowball stemmer ("generative" and "generated" are both 'generat'),
PostgreSQL's 127 English stop words are dropped but keep their positions (the
phrase "right of publicity" matches "right to publicity" as 'right' <2>
'public'), a quoted phrase is an adjacency match, ``or`` is OR, ``-word`` is NOT
and everything else is ANDed, with AND binding tighter than OR. The emulation
here reproduces those rules on the emulators' texts so a spider's queries can
be judged for what they would really find.

Simplifications (documented in the package): tokens are runs of letters and
digits, so a hyphenated word is its parts at consecutive positions (PostgreSQL
also indexes the whole compound, which changes no match between plain words),
and URLs, e-mail addresses and decimal numbers are split like words.
"""

from __future__ import annotations

import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import snowballstemmer

# PostgreSQL's src/backend/snowball/stopwords/english.stop (the english_stem dictionary's StopWords).
STOP_WORDS = frozenset([
    "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "your", "yours", "yourself", "yourselves",
    "he", "him", "his", "himself", "she", "her", "hers", "herself", "it", "its", "itself", "they", "them",
    "their", "theirs", "themselves", "what", "which", "who", "whom", "this", "that", "these", "those", "am", "is",
    "are", "was", "were", "be", "been", "being", "have", "has", "had", "having", "do", "does", "did", "doing",
    "a", "an", "the", "and", "but", "if", "or", "because", "as", "until", "while", "of", "at", "by", "for",
    "with", "about", "against", "between", "into", "through", "during", "before", "after", "above", "below", "to",
    "from", "up", "down", "in", "out", "on", "off", "over", "under", "again", "further", "then", "once", "here",
    "there", "when", "where", "why", "how", "all", "any", "both", "each", "few", "more", "most", "other", "some",
    "such", "no", "nor", "not", "only", "own", "same", "so", "than", "too", "very", "s", "t", "can", "will",
    "just", "don", "should", "now"
])
MAX_POSITION = 16383  # tsvector positions above this are stored as 16383
MAX_POSITIONS_PER_LEXEME = 256  # further occurrences of a lexeme are not stored
_WORD = re.compile(r"[^\W_]+")
_stemmer = snowballstemmer.stemmer("english")
_stems: dict[str, str | None] = {}


def lexeme(word: str) -> str | None:
    """A word's lexeme under the english configuration; None for a stop word.

    Words of letters go to english_stem: lower case, stop words (checked before
    stemming) dropped, else the Snowball stem. Words with digits ("hb1", "2025")
    go to the simple dictionary: lower case only, never a stop word.
    """
    found = _stems.get(word)
    if found is None and word not in _stems:
        lower = word.lower()
        simple = any(c.isdigit() for c in lower)
        found = lower if simple else None if lower in STOP_WORDS else _stemmer.stemWord(lower)
        if len(_stems) < 500_000:
            _stems[word] = found
    return found


_MISSING = object()


def tokens(text: str) -> list[str | None]:
    """The lexemes of a text in order, one per word position; None where a stop word sits."""
    words = _WORD.findall(text)
    found: list[Any] = [_stems.get(w, _MISSING) for w in words]
    if _MISSING in found:  # identity is checked first: no string equals the sentinel
        found = [lexeme(w) if f is _MISSING else f for f, w in zip(found, words, strict=True)]
    return found


def to_tsvector(text: str) -> dict[str, list[int]]:
    """``to_tsvector('english', text)``: each lexeme with its 1-based positions, with PostgreSQL's caps."""
    vector: dict[str, list[int]] = {}
    for position, lex in enumerate(tokens(text), start=1):
        if lex is None:
            continue
        positions = vector.setdefault(lex, [])
        if len(positions) < MAX_POSITIONS_PER_LEXEME:
            capped = min(position, MAX_POSITION)
            if not positions or positions[-1] != capped:
                positions.append(capped)
    return vector


# The query tree ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Phrase:
    """Lexemes at fixed offsets from the first one; a single word is a phrase of one."""

    parts: tuple[tuple[str, int], ...]

    def __str__(self) -> str:
        out = repr(self.parts[0][0])
        for (_, before), (lex, offset) in zip(self.parts, self.parts[1:], strict=False):
            gap = offset - before
            out += f" {'<->' if gap == 1 else f'<{gap}>'} {lex!r}"
        return out


@dataclass(frozen=True, slots=True)
class Not:
    child: Node

    def __str__(self) -> str:
        return f"!{_wrap(self.child)}"


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]

    def __str__(self) -> str:
        return " & ".join(_wrap(c) if isinstance(c, Or) else str(c) for c in self.children)


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]

    def __str__(self) -> str:
        return " | ".join(str(c) for c in self.children)


Node = Phrase | Not | And | Or


def _wrap(node: Node) -> str:
    return f"( {node} )" if isinstance(node, And | Or) or (isinstance(node, Phrase) and len(node.parts) > 1) \
        else str(node)


def _phrase(text: str) -> Phrase | None:
    """A chunk of query text as the parser sees it: its lexemes at their positions, stop words leaving gaps."""
    parts: list[tuple[str, int]] = []
    first: int | None = None
    for position, lex in enumerate(tokens(text)):
        if lex is None:
            continue
        if first is None:
            first = position
        parts.append((lex, position - first))
    return Phrase(tuple(parts)) if parts else None


def _is_or(query: str, i: int) -> bool:
    if query[i:i + 2].lower() != "or":
        return False
    after = query[i + 2:i + 3]
    return after == "" or after.isspace() or after in "\"-("


def websearch_to_tsquery(query: str) -> Node | None:
    """Parse ``q`` as ``websearch_to_tsquery('english', q)`` does; None when nothing searchable is left.

    Unquoted chunks are split on white space and each becomes its words in
    sequence (so ``self-driving`` is 'self' <-> 'drive'); ``"..."`` is a phrase;
    ``-`` before a chunk or phrase negates it; the word ``or`` between operands
    is OR. Other punctuation is ignored, parentheses included. Operands that
    are only stop words vanish with their operator, as PostgreSQL's clean-up does.
    """
    groups: list[list[Node]] = [[]]  # OR of ANDs
    i, n = 0, len(query)
    pending_or = False
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
            continue
        if groups[-1] and _is_or(query, i):
            pending_or = True
            i += 2
            continue
        negate = False
        if ch == "-" and i + 1 < n and not query[i + 1].isspace():
            negate, i = True, i + 1
            ch = query[i]
        if ch == '"':
            end = query.find('"', i + 1)
            end = n if end < 0 else end
            operand = _phrase(query[i + 1:end])
            i = end + 1
        else:
            start = i
            while i < n and not query[i].isspace() and query[i] != '"':
                i += 1
            operand = _phrase(query[start:i])
        if operand is None:
            continue
        node: Node = Not(operand) if negate else operand
        if pending_or and groups[-1]:
            groups.append([])
        pending_or = False
        groups[-1].append(node)
    ors = [g[0] if len(g) == 1 else And(tuple(g)) for g in groups if g]
    if not ors:
        return None
    return ors[0] if len(ors) == 1 else Or(tuple(ors))


def phrase_in(phrase: Phrase, vector: dict[str, list[int]]) -> bool:
    """Whether the vector holds the phrase's lexemes at its offsets (exact distances, as ``<N>`` requires)."""
    first, _ = phrase.parts[0]
    starts = vector.get(first)
    if not starts:
        return False
    if len(phrase.parts) == 1:
        return True
    rest = [(set(vector.get(lex, ())), offset) for lex, offset in phrase.parts[1:]]
    if any(not positions for positions, _ in rest):
        return False
    return any(all(start + offset in positions for positions, offset in rest) for start in starts)


def matches(node: Node, vector: dict[str, list[int]]) -> bool:
    """``vector @@ query`` for one document."""
    if isinstance(node, Phrase):
        return phrase_in(node, vector)
    if isinstance(node, Not):
        return not matches(node.child, vector)
    if isinstance(node, And):
        return all(matches(c, vector) for c in node.children)
    return any(matches(c, vector) for c in node.children)


class WordIndex:
    """Documents as arrays of word ids with a postings map: which documents hold a word, and where.

    A query touches only the documents holding its rarest word; a phrase is
    checked on each candidate's word array, so memory stays near four bytes a
    word and nothing is re-tokenised per request. ``tokenize`` gives a
    document's words in order (None for a position that holds no word, such as
    a stop word). Shared by the Open States and govinfo emulations.
    """

    def __init__(self, text_of: Callable[[int], str], tokenize: Callable[[str], Sequence[str | None]]) -> None:
        self.text_of = text_of
        self.tokenize = tokenize
        self.ids: dict[str, int] = {}
        self.words: list[str] = [""]  # by id; 0 stands for a position without a word
        self.postings: dict[str, set[int]] = {}
        self.docs: dict[int, array] = {}

    def put(self, doc: int) -> None:
        """Index (or re-index) a document from its current text."""
        self.drop(doc)
        words = self.tokenize(self.text_of(doc))
        ids = self.ids
        for word in set(words):
            if word is not None:
                if word not in ids:
                    ids[word] = len(self.words)
                    self.words.append(word)
                self.postings.setdefault(word, set()).add(doc)
        self.docs[doc] = array("I", [0 if w is None else ids[w] for w in words])

    def drop(self, doc: int) -> None:
        old = self.docs.pop(doc, None)
        if old is None:
            return
        for word_id in set(old) - {0}:
            docs = self.postings.get(self.words[word_id])
            if docs is not None:
                docs.discard(doc)

    def with_all(self, words: Iterable[str], universe: set[int]) -> set[int]:
        """The documents of ``universe`` holding every one of the words (rarest first)."""
        found: set[int] | None = None
        for word in sorted(set(words), key=lambda w: len(self.postings.get(w, ()))):
            docs = self.postings.get(word, set())
            found = (docs & universe) if found is None else (found & docs)
            if not found:
                return set()
        return found if found is not None else set(universe)

    def has_sequence(self, doc: int, parts: tuple[tuple[str, int], ...]) -> bool:
        """Whether the document holds each word at its offset from the first one."""
        arr = self.docs[doc]
        wanted = [(self.ids.get(word, -1), offset) for word, offset in parts]
        first, _ = wanted[0]
        size = len(arr)
        start = 0
        while True:
            try:
                i = arr.index(first, start)
            except ValueError:
                return False
            if all(i + offset < size and arr[i + offset] == word for word, offset in wanted[1:]):
                return True
            start = i + 1


class SearchIndex(WordIndex):
    """``search_vector @@ query`` over many documents, with PostgreSQL's position caps respected."""

    def __init__(self, text_of: Callable[[int], str]) -> None:
        super().__init__(text_of, tokens)
        self.capped: set[int] = set()  # documents too long for plain positions (see MAX_POSITION)

    def put(self, doc: int) -> None:
        super().put(doc)
        arr = self.docs[doc]
        if len(arr) > MAX_POSITION or (len(arr) > MAX_POSITIONS_PER_LEXEME and max(
                (n for word, n in Counter(arr).items() if word), default=0) > MAX_POSITIONS_PER_LEXEME):
            self.capped.add(doc)
        else:
            self.capped.discard(doc)

    def search(self, node: Node, universe: Iterable[int] | None = None) -> set[int]:
        """The indexed documents (within ``universe`` if given) that match the query."""
        everything = set(self.docs) if universe is None else set(universe) & self.docs.keys()
        return self._eval(node, everything)

    def _phrase(self, node: Phrase, universe: set[int]) -> set[int]:
        found = self.with_all((lex for lex, _ in node.parts), universe)
        if len(node.parts) == 1:
            return found
        out = set()
        for doc in found:
            if doc in self.capped:
                if phrase_in(node, to_tsvector(self.text_of(doc))):
                    out.add(doc)
            elif self.has_sequence(doc, node.parts):
                out.add(doc)
        return out

    def _eval(self, node: Node, universe: set[int]) -> set[int]:
        if isinstance(node, Phrase):
            return self._phrase(node, universe)
        if isinstance(node, Not):
            return universe - self._eval(node.child, universe)
        if isinstance(node, Or):
            out: set[int] = set()
            for child in node.children:
                out |= self._eval(child, universe)
            return out
        positives = [c for c in node.children if not isinstance(c, Not)]
        negatives = [c for c in node.children if isinstance(c, Not)]
        current = universe
        for child in positives:
            current = self._eval(child, current)
            if not current:
                return set()
        for child in negatives:
            assert isinstance(child, Not)
            current = current - self._eval(child.child, current)
        return current
