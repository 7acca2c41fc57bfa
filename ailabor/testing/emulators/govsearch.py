"""The govinfo search query language, the subset a bill tracker uses, parsed and evaluated over BILLS packages.

govinfo's ``POST /search`` takes the website's query syntax:
``collection:(BILLS) AND congress:(118 OR 119) AND lastModified:range(2025-01-01T00:00:00Z,)
AND ("artificial intelligence" OR algorithm)``. Field terms restrict by package
metadata; bare words and quoted phrases match whole words of the package's
text and title, case-insensitively, with a light plural stemming ("workers"
finds "worker"); AND, OR and NOT are upper case; juxtaposed terms are ANDed.
A query this parser cannot read is a 400, as a malformed query is upstream.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

FIELDS = {"collection", "congress", "lastmodified", "publishdate", "dateissued", "billtype", "docclass"}


class QueryError(ValueError):
    """A query outside the supported grammar (answered with HTTP 400)."""


def light_stem(word: str) -> str:
    """English plural endings only: "workers" and "worker", "businesses" and "business", "policies" and "policy"."""
    w = word.lower()
    if len(w) > 4 and w.endswith("ies") and w[-4] not in "aeiou":
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("sses", "shes", "ches", "xes", "zes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


_WORD = re.compile(r"[^\W_]+")


_stems: dict[str, str] = {}


def words(text: str) -> list[str]:
    """The stemmed words of a text, in order (stems cached: a corpus has far fewer words than tokens)."""
    found = _WORD.findall(text)
    out = [_stems.get(w, "") for w in found]
    if "" in out:
        for i, stem in enumerate(out):
            if not stem:
                stem = out[i] = light_stem(found[i])
                if len(_stems) < 500_000:
                    _stems[found[i]] = stem
    return out


@dataclass(frozen=True, slots=True)
class Words:
    """Consecutive words (a bare word is a phrase of one)."""

    parts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Field:
    """A metadata condition: ``values`` for equality fields, ``low``/``high`` for a range (open ends allowed)."""

    name: str
    values: tuple[str, ...] = ()
    low: datetime | None = None
    high: datetime | None = None


@dataclass(frozen=True, slots=True)
class Bool:
    op: str  # AND, OR, NOT (NOT has one child)
    children: tuple[Query, ...]


Query = Words | Field | Bool

_TOKEN = re.compile(r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<quote>"[^"]*"?)|(?P<word>[^\s()"]+))')


def _lex(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise QueryError(f"cannot read the query at: {text[pos:pos + 30]!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
    return out


def parse_datetime(text: str) -> datetime:
    """``2025-01-01T00:00:00Z``, ``2025-01-01T00:00:00`` or ``2025-01-01``, as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise QueryError(f"not a date or date-time: {text!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _lex(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise QueryError("the query ends too early")
        self.i += 1
        return token

    def parse(self) -> Query:
        if not self.tokens:
            raise QueryError("empty query")
        node = self.or_expr()
        if self.peek() is not None:
            raise QueryError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return node

    def or_expr(self) -> Query:
        children = [self.and_expr()]
        while self.peek() == ("word", "OR"):
            self.take()
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Bool("OR", tuple(children))

    def and_expr(self) -> Query:
        children = [self.unary()]
        while True:
            token = self.peek()
            if token is None or token[0] == "rp" or token == ("word", "OR"):
                break
            if token == ("word", "AND"):
                self.take()
            children.append(self.unary())
        return children[0] if len(children) == 1 else Bool("AND", tuple(children))

    def unary(self) -> Query:
        if self.peek() == ("word", "NOT"):
            self.take()
            return Bool("NOT", (self.unary(),))
        return self.primary()

    def primary(self) -> Query:
        kind, value = self.take()
        if kind == "lp":
            node = self.or_expr()
            if self.take()[0] != "rp":
                raise QueryError("a parenthesis is not closed")
            return node
        if kind == "rp":
            raise QueryError("unexpected ')'")
        if kind == "quote":
            if len(value) < 2 or not value.endswith('"'):
                raise QueryError("a quotation mark is not closed")
            parts = tuple(words(value[1:-1]))
            if not parts:
                raise QueryError(f"nothing to search in {value}")
            return Words(parts)
        if value in ("AND", "OR", "NOT"):
            raise QueryError(f"{value} without a term")
        name, colon, rest = value.partition(":")
        if colon and re.fullmatch(r"[A-Za-z]+", name):
            return self.field(name.lower(), rest)
        parts = tuple(words(value))
        if not parts:
            raise QueryError(f"nothing to search in {value!r}")
        return Words(parts)

    def field(self, name: str, rest: str) -> Query:
        if name not in FIELDS:
            raise QueryError(f"unsupported field {name!r} (supported: {', '.join(sorted(FIELDS))})")
        if rest.lower().startswith("range"):
            return self.range_field(name, rest)
        if rest:
            return Field(name, (rest,))
        if self.peek() is None or self.peek()[0] != "lp":  # type: ignore[index]
            raise QueryError(f"{name}: needs a value")
        self.take()
        values: list[str] = []
        while True:
            kind, value = self.take()
            if kind == "rp":
                break
            if kind in ("lp", "quote"):
                raise QueryError(f"{name}: values must be plain words")
            if value in ("OR", ","):
                continue
            values.extend(v for v in value.split(",") if v)
        if not values:
            raise QueryError(f"{name}: needs a value")
        return Field(name, tuple(values))

    def range_field(self, name: str, rest: str) -> Query:
        if name not in ("lastmodified", "publishdate", "dateissued"):
            raise QueryError(f"{name}: range() is for dates")
        inner = rest[len("range"):]
        # range(a,b) lexes as "range(" ... but our lexer splits on parentheses: rebuild the argument text.
        if inner:
            raise QueryError(f"{name}: write range(start,end)")
        if self.take()[0] != "lp":
            raise QueryError(f"{name}: write range(start,end)")
        argument = ""
        while True:
            kind, value = self.take()
            if kind == "rp":
                break
            argument += value
        if argument.count(",") != 1:
            raise QueryError(f"{name}: range needs one comma: range(start,end)")
        low, high = (part.strip() for part in argument.split(","))
        if not low and not high:
            raise QueryError(f"{name}: range needs a start or an end")
        return Field(name, (), parse_datetime(low) if low else None, _end_of(high) if high else None)


def _end_of(text: str) -> datetime:
    """A range's end: a bare date includes its whole day."""
    moment = parse_datetime(text)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        moment = moment.replace(hour=23, minute=59, second=59, microsecond=999999)
    return moment


def parse(text: str) -> Query:
    """Parse a govinfo search query; QueryError (a 400) when it is outside the grammar."""
    if not isinstance(text, str):
        raise QueryError("query must be a string")
    return _Parser(text).parse()


def positive_words(node: Query) -> list[Words]:
    """The word terms a match is scored on (those not under NOT)."""
    if isinstance(node, Words):
        return [node]
    if isinstance(node, Bool) and node.op != "NOT":
        return [w for c in node.children for w in positive_words(c)]
    return []
