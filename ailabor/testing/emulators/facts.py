"""Bill facts, as tests/fixtures/recall/FORMAT.md describes them: what each upstream would say about a bill.

The emulators serve these facts in each upstream's own format. Facts are plain
dataclasses so that a benchmark can build thousands of synthetic bills in code
as cheaply as the recall test loads a few hundred real ones from YAML; the
loaders check every field and stop at the first problem with one line that
names the file, the entry and the field, so a fixture author can fix it at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

FEDERAL_TYPES = ("hr", "s", "hjres", "sjres", "hconres", "sconres", "hres", "sres")
STATE_CHAMBERS = ("upper", "lower", "legislature")
VERSION_FORMATS = ("html", "pdf")
# Open States' 52 jurisdictions: the 50 states, DC and Puerto Rico.
JURISDICTIONS = {
    "al": "Alabama", "ak": "Alaska", "az": "Arizona", "ar": "Arkansas", "ca": "California", "co": "Colorado",
    "ct": "Connecticut", "de": "Delaware", "dc": "District of Columbia", "fl": "Florida", "ga": "Georgia",
    "hi": "Hawaii", "id": "Idaho", "il": "Illinois", "in": "Indiana", "ia": "Iowa", "ks": "Kansas", "ky": "Kentucky",
    "la": "Louisiana", "me": "Maine", "md": "Maryland", "ma": "Massachusetts", "mi": "Michigan", "mn": "Minnesota",
    "ms": "Mississippi", "mo": "Missouri", "mt": "Montana", "ne": "Nebraska", "nv": "Nevada", "nh": "New Hampshire",
    "nj": "New Jersey", "nm": "New Mexico", "ny": "New York", "nc": "North Carolina", "nd": "North Dakota",
    "oh": "Ohio", "ok": "Oklahoma", "or": "Oregon", "pa": "Pennsylvania", "pr": "Puerto Rico", "ri": "Rhode Island",
    "sc": "South Carolina", "sd": "South Dakota", "tn": "Tennessee", "tx": "Texas", "ut": "Utah", "vt": "Vermont",
    "va": "Virginia", "wa": "Washington", "wv": "West Virginia", "wi": "Wisconsin", "wy": "Wyoming",
}
_VERSION_CODE = re.compile(r"^[a-z]{2,5}[0-9]?$")


class FactsError(ValueError):
    """A facts file (or a bill built in code) that does not follow FORMAT.md."""


@dataclass(slots=True)
class Action:
    """A federal action as Congress.gov words it."""

    date: str
    text: str


@dataclass(slots=True)
class Summary:
    """The latest CRS summary: the day it was published and its text (plain; served as HTML paragraphs)."""

    date: str
    text: str


@dataclass(slots=True)
class TextVersion:
    """One published text of a federal bill: govinfo's version code (is, ih, rs, enr ...), its name, date and text."""

    code: str
    type: str
    date: str
    text: str


@dataclass(slots=True)
class FederalBill:
    """A bill of Congress, as Congress.gov, govinfo and BILLSTATUS describe it."""

    congress: int
    type: str
    number: int
    introduced: str
    display_title: str
    official_title: str = ""
    short_titles: list[str] = field(default_factory=list)
    policy_area: str | None = None
    subjects: list[str] = field(default_factory=list)
    summary: Summary | None = None
    actions: list[Action] = field(default_factory=list)
    text_versions: list[TextVersion] = field(default_factory=list)
    relevant: bool | None = None
    cases: list[str] = field(default_factory=list)
    note: str = ""
    sources: list[str] = field(default_factory=list)
    # Not in FORMAT.md's examples: a sponsor's Congress.gov full name ("Sen. Coons, Christopher A. [D-DE]") and
    # cosponsors' ones; without them the emulator invents a plausible sponsor and lists no cosponsors.
    sponsor: str | None = None
    cosponsors: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """``119/s/1367``: the bill's path below /bill on Congress.gov."""
        return f"{self.congress}/{self.type}/{self.number}"


@dataclass(slots=True)
class StateVersion:
    """One version of a state bill's text, published by the legislature as HTML or PDF."""

    note: str
    date: str
    text: str
    format: str = "html"
    title: str | None = None


@dataclass(slots=True)
class StateAction:
    """A state action with Open States' classification vocabulary; ``chamber`` is the acting body."""

    date: str
    description: str
    chamber: str | None = None
    classification: list[str] = field(default_factory=list)


@dataclass(slots=True)
class StateBill:
    """A bill of a state legislature (or DC, PR), as Open States describes it."""

    jurisdiction: str
    session: str
    identifier: str
    title: str
    chamber: str = "lower"
    classification: str = "bill"
    other_titles: list[str] = field(default_factory=list)
    digest: str | None = None
    subjects: list[str] = field(default_factory=list)
    versions: list[StateVersion] = field(default_factory=list)
    actions: list[StateAction] = field(default_factory=list)
    relevant: bool | None = None
    relevant_first: bool | None = None
    cases: list[str] = field(default_factory=list)
    note: str = ""
    sources: list[str] = field(default_factory=list)
    # Not in FORMAT.md's examples: sponsor names, the first one primary; invented when empty.
    sponsors: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """``ca/20252026/SB 7``: jurisdiction, session and identifier, unique across the dataset."""
        return f"{self.jurisdiction}/{self.session}/{self.identifier}"

    @property
    def introduced(self) -> str:
        """The earliest date the facts know: the bill exists (for Open States) from then on."""
        dates = [a.date for a in self.actions] + [v.date for v in self.versions]
        return min(dates) if dates else ""


# Loading -------------------------------------------------------------------------------------------------


class _Entry:
    """Reads one YAML entry, raising a one-line FactsError that names the file, the entry and the field."""

    def __init__(self, path: Path, index: int, raw: Any, allowed: Iterable[str]) -> None:
        self.path, self.index = path, index
        if not isinstance(raw, dict):
            self.fail(None, f"expected a mapping, got {type(raw).__name__}")
        self.raw: dict[str, Any] = raw
        unknown = sorted(set(raw) - set(allowed))
        if unknown:
            self.fail(unknown[0], "unknown field (see tests/fixtures/recall/FORMAT.md)")

    def label(self) -> str:
        raw = self.raw if isinstance(getattr(self, "raw", None), dict) else {}
        if "jurisdiction" in raw:
            return f"{raw.get('jurisdiction')} {raw.get('session')} {raw.get('identifier')}"
        if "congress" in raw:
            return f"{raw.get('congress')} {raw.get('type')} {raw.get('number')}"
        return "?"

    def fail(self, name: str | None, problem: str) -> None:
        where = f"{self.path}: entry {self.index + 1}"
        if getattr(self, "raw", None) is not None:
            where += f" ({self.label()})"
        raise FactsError(f"{where}: {'field ' + repr(name) + ': ' if name else ''}{problem}")

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = ..., nullable: bool = False) -> Any:
        if name not in self.raw or (self.raw[name] is None and default is not ... and not nullable):
            if default is ...:
                self.fail(name, "missing")
            return default
        value = self.raw[name]
        if value is None and nullable:
            return None
        if kind is str and isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)  # a session written as 2025 or an identifier as 123
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(name, f"expected {getattr(kind, '__name__', kind)}, got {type(value).__name__}")
        return value

    def date(self, name: str, value: Any = ..., where: str = "") -> str:
        value = self.raw.get(name) if value is ... else value
        label = f"{where}{name}"
        if isinstance(value, date):
            return value.isoformat()
        if not isinstance(value, str):
            self.fail(label, f"expected a date \"YYYY-MM-DD\", got {type(value).__name__}")
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            self.fail(label, f"not a date \"YYYY-MM-DD\": {value!r}")
        raise AssertionError  # unreachable: fail raises

    def strings(self, name: str) -> list[str]:
        values = self.get(name, list, [])
        for i, value in enumerate(values):
            if not isinstance(value, str) or not value.strip():
                self.fail(f"{name}[{i}]", "expected a non-empty string")
        return list(values)

    def items(self, name: str, allowed: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
        """The sub-mappings of a list field, each with its label (``actions[2].``) for error messages."""
        values = self.get(name, list, [])
        out = []
        for i, value in enumerate(values):
            label = f"{name}[{i}]."
            if not isinstance(value, dict):
                self.fail(f"{name}[{i}]", "expected a mapping")
            unknown = sorted(set(value) - set(allowed))
            if unknown:
                self.fail(label + unknown[0], "unknown field")
            out.append((label, value))
        return out

    def sub_str(self, label: str, value: dict[str, Any], name: str, nullable: bool = False) -> Any:
        item = value.get(name)
        if item is None and nullable:
            return None
        if not isinstance(item, str) or not item.strip():
            self.fail(label + name, "expected a non-empty string")
        return item


def _read_list(path: Path) -> list[Any]:
    try:
        data = yaml.safe_load(Path(path).read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise FactsError(f"{path}:{where} not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        return []
    if not isinstance(data, list):
        raise FactsError(f"{path}: expected a list of bills, got {type(data).__name__}")
    return data


FEDERAL_FIELDS = ("congress", "type", "number", "introduced", "display_title", "official_title", "short_titles",
                  "policy_area", "subjects", "summary", "actions", "text_versions", "relevant", "cases", "note",
                  "sources", "sponsor", "cosponsors")
STATE_FIELDS = ("jurisdiction", "session", "identifier", "chamber", "classification", "title", "other_titles",
                "digest", "subjects", "versions", "actions", "relevant", "relevant_first", "cases", "note", "sources",
                "sponsors")


def federal_bill_from_dict(raw: Any, path: Path | str = "<code>", index: int = 0) -> FederalBill:
    """One federal entry of FORMAT.md, checked field by field."""
    e = _Entry(Path(path), index, raw, FEDERAL_FIELDS)
    congress = e.get("congress", int)
    if not 93 <= congress <= 130:
        e.fail("congress", f"not a plausible Congress: {congress}")
    bill_type = e.get("type", str).lower()
    if bill_type not in FEDERAL_TYPES:
        e.fail("type", f"{bill_type!r} is none of {', '.join(FEDERAL_TYPES)}")
    number = e.get("number", int)
    if number < 1:
        e.fail("number", "must be positive")
    introduced = e.date("introduced")
    display = e.get("display_title", str).strip()
    summary = None
    raw_summary = e.get("summary", dict, None, nullable=True)
    if raw_summary is not None:
        unknown = sorted(set(raw_summary) - {"date", "text"})
        if unknown:
            e.fail("summary." + unknown[0], "unknown field")
        summary = Summary(e.date("date", raw_summary.get("date"), "summary."),
                          e.sub_str("summary.", raw_summary, "text"))
    actions = [Action(e.date("date", item.get("date"), label), e.sub_str(label, item, "text"))
               for label, item in e.items("actions", ("date", "text"))]
    versions = []
    for label, item in e.items("text_versions", ("code", "type", "date", "text")):
        code = e.sub_str(label, item, "code").lower()
        if not _VERSION_CODE.match(code):
            e.fail(label + "code", f"not a govinfo version code: {code!r}")
        versions.append(TextVersion(code, e.sub_str(label, item, "type"), e.date("date", item.get("date"), label),
                                    e.sub_str(label, item, "text")))
    codes = [v.code for v in versions]
    if len(set(codes)) != len(codes):
        e.fail("text_versions", f"a version code appears twice: {codes}")
    relevant = e.get("relevant", bool, None, nullable=True)
    return FederalBill(
        congress=congress, type=bill_type, number=number, introduced=introduced, display_title=display,
        official_title=(e.get("official_title", str, "") or display).strip(), short_titles=e.strings("short_titles"),
        policy_area=e.get("policy_area", str, None, nullable=True), subjects=e.strings("subjects"), summary=summary,
        actions=actions, text_versions=versions, relevant=relevant, cases=e.strings("cases"),
        note=e.get("note", str, ""), sources=e.strings("sources"),
        sponsor=e.get("sponsor", str, None, nullable=True), cosponsors=e.strings("cosponsors"))


def state_bill_from_dict(raw: Any, path: Path | str = "<code>", index: int = 0) -> StateBill:
    """One state entry of FORMAT.md, checked field by field."""
    e = _Entry(Path(path), index, raw, STATE_FIELDS)
    jurisdiction = e.get("jurisdiction", str).lower()
    if jurisdiction not in JURISDICTIONS:
        e.fail("jurisdiction", f"{jurisdiction!r} is not a postal code Open States covers")
    session = e.get("session", str).strip()
    identifier = " ".join(e.get("identifier", str).split())
    if not session or not identifier:
        e.fail("session" if not session else "identifier", "empty")
    chamber = e.get("chamber", str, "lower")
    if chamber not in STATE_CHAMBERS:
        e.fail("chamber", f"{chamber!r} is none of {', '.join(STATE_CHAMBERS)}")
    versions = []
    for label, item in e.items("versions", ("note", "date", "format", "title", "text")):
        fmt = item.get("format", "html")
        if fmt not in VERSION_FORMATS:
            e.fail(label + "format", f"{fmt!r} is none of {', '.join(VERSION_FORMATS)}")
        versions.append(StateVersion(e.sub_str(label, item, "note"), e.date("date", item.get("date"), label),
                                     e.sub_str(label, item, "text"), fmt, e.sub_str(label, item, "title", True)))
    actions = []
    for label, item in e.items("actions", ("date", "description", "chamber", "classification")):
        classification = item.get("classification") or []
        if isinstance(classification, str):
            classification = [classification]
        if not isinstance(classification, list) or not all(isinstance(c, str) for c in classification):
            e.fail(label + "classification", "expected a list of strings")
        actor = item.get("chamber")
        if actor is not None and not isinstance(actor, str):
            e.fail(label + "chamber", "expected a string")
        actions.append(StateAction(e.date("date", item.get("date"), label), e.sub_str(label, item, "description"),
                                   actor, list(classification)))
    if not versions and not actions:
        e.fail("versions", "a bill needs at least one version or action (its introduction date comes from them)")
    return StateBill(
        jurisdiction=jurisdiction, session=session, identifier=identifier, title=e.get("title", str).strip(),
        chamber=chamber, classification=e.get("classification", str, "bill"),
        other_titles=e.strings("other_titles"), digest=e.get("digest", str, None, nullable=True),
        subjects=e.strings("subjects"), versions=versions, actions=actions,
        relevant=e.get("relevant", bool, None, nullable=True),
        relevant_first=e.get("relevant_first", bool, None, nullable=True), cases=e.strings("cases"),
        note=e.get("note", str, ""), sources=e.strings("sources"), sponsors=e.strings("sponsors"))


def load_federal(*paths: Path | str) -> list[FederalBill]:
    """The federal bills of one or more federal.yml files; a bill listed twice is an error."""
    bills: list[FederalBill] = []
    seen: dict[str, str] = {}
    for path in paths:
        for index, raw in enumerate(_read_list(Path(path))):
            bill = federal_bill_from_dict(raw, path, index)
            where = f"{path}: entry {index + 1}"
            if bill.key in seen:
                raise FactsError(f"{where} ({bill.key}): bill already listed at {seen[bill.key]}")
            seen[bill.key] = where
            bills.append(bill)
    return bills


def load_states(*paths: Path | str) -> list[StateBill]:
    """The state bills of one or more states_*.yml files; a bill listed twice (in any of them) is an error."""
    bills: list[StateBill] = []
    seen: dict[str, str] = {}
    for path in paths:
        for index, raw in enumerate(_read_list(Path(path))):
            bill = state_bill_from_dict(raw, path, index)
            key = f"{bill.jurisdiction}/{bill.session}/{bill.identifier.replace(' ', '').upper()}"
            where = f"{path}: entry {index + 1}"
            if key in seen:
                raise FactsError(f"{where} ({bill.key}): bill already listed at {seen[key]}")
            seen[key] = where
            bills.append(bill)
    return bills
