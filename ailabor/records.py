"""The shared data model that every spider fills and the pipeline stores.

Spiders build these from upstream payloads; ids, validation and the row
shapes of DESIGN.md §5 are defined here once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from db.vocab import MEETING_KINDS

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][\d:.]+([+-]\d{2}:?\d{2}|Z)?)?$")


class InvalidItem(ValueError):
    """An item that must not be stored; the message says why, for crawl_errors."""


_ID_NOISE = re.compile(r"[\s.\-]+")


def is_web_address(url: Any) -> bool:
    return isinstance(url, str) and url.startswith(("http://", "https://"))


# billType → (how a person writes it, congress.gov page segment, classification)
BILL_TYPES: dict[str, tuple[str, str, str]] = {
    "hr": ("H.R.", "house-bill", "bill"),
    "s": ("S.", "senate-bill", "bill"),
    "hjres": ("H.J.Res.", "house-joint-resolution", "joint resolution"),
    "sjres": ("S.J.Res.", "senate-joint-resolution", "joint resolution"),
    "hconres": ("H.Con.Res.", "house-concurrent-resolution", "concurrent resolution"),
    "sconres": ("S.Con.Res.", "senate-concurrent-resolution", "concurrent resolution"),
    "hres": ("H.Res.", "house-resolution", "resolution"),
    "sres": ("S.Res.", "senate-resolution", "resolution"),
}


def bill_identifier(bill_type: str, number: str | int) -> str:
    """``H.R. 1234``, ``S.J.Res. 5``: the bill's name as Congress writes it (its id drops dots and spaces)."""
    return f"{BILL_TYPES[bill_type.lower()][0]} {int(str(number))}"


def bill_id(jurisdiction: str, session: str, identifier: str) -> str:
    """``us-119-hr1234``: lower-cased, spaces, dots and dashes inside parts removed."""
    return "-".join(_ID_NOISE.sub("", str(p)).lower() for p in (jurisdiction, session, identifier))


@dataclass
class Action:
    date: str
    description: str
    actor: str | None = None
    classification: list[str] = field(default_factory=list)


@dataclass
class Sponsor:
    name: str
    role: str = "primary"
    party: str | None = None
    state: str | None = None
    district: str | None = None
    person_id: str | None = None


@dataclass
class Version:
    url: str
    note: str | None = None
    date: str | None = None
    media_type: str | None = None


@dataclass
class BillItem:
    """One bill. A child list left as ``None`` means "not fetched this time, keep what is stored"."""

    jurisdiction: str
    session: str
    identifier: str
    title: str
    source: str
    source_id: str | None = None
    source_url: str | None = None
    chamber: str | None = None
    classification: str | None = None
    summary: str | None = None
    subjects: list[str] = field(default_factory=list)
    other_titles: list[str] = field(default_factory=list)
    introduced_date: str | None = None
    url: str | None = None
    source_updated_at: str | None = None
    source_meta: dict[str, Any] = field(default_factory=dict)
    status: str | None = None
    status_date: str | None = None
    latest_action: str | None = None
    latest_action_date: str | None = None
    actions: list[Action] | None = None
    sponsors: list[Sponsor] | None = None
    versions: list[Version] | None = None
    relevance: Any = None
    _id_key: tuple[str, str, str] | None = field(default=None, repr=False, compare=False)
    _id: str = field(default="", repr=False, compare=False)

    @property
    def id(self) -> str:
        # Asked for many times per item on the way to the database; the parts never change after parsing.
        key = (self.jurisdiction, self.session, self.identifier)
        if self._id_key != key:
            self._id_key, self._id = key, bill_id(*key)
        return self._id

    def validate(self) -> None:
        for name in ("jurisdiction", "session", "identifier", "title", "source"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InvalidItem(f"bill {name} is missing or not text: {value!r}")
        for name in ("introduced_date", "status_date", "latest_action_date"):
            _check_date(f"bill {name}", getattr(self, name))
        for name in ("subjects", "other_titles"):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
                raise InvalidItem(f"bill {name} must be a list of text: {value!r}")
        for action in self.actions or []:
            if not isinstance(action.description, str):
                raise InvalidItem(f"action description is not text: {action.description!r}")
            _check_date("action date", action.date, required=True)
        for version in self.versions or []:
            if not is_web_address(version.url):
                raise InvalidItem(f"version url is not a web address: {version.url!r}")

    def drop_odd_versions(self) -> list[Version]:
        """Take out the version links that are not web addresses (``ftp://``…) and return them.

        One odd link must not cost the bill: the bill is stored with its other
        versions, and the dropped links are recorded by the caller.
        """
        odd = [v for v in self.versions or [] if not is_web_address(v.url)]
        if odd:
            self.versions = [v for v in self.versions or [] if is_web_address(v.url)]
        return odd


@dataclass
class MeetingItem:
    """An agency meeting, hearing, notice, comment period or rule."""

    id: str
    jurisdiction: str
    kind: str
    title: str
    source: str
    source_id: str | None = None
    source_url: str | None = None
    agency: str | None = None
    agency_slug: str | None = None
    abstract: str | None = None
    start: str | None = None
    location: str | None = None
    comments_close_on: str | None = None
    docket_id: str | None = None
    document_url: str | None = None
    agenda_url: str | None = None
    minutes_url: str | None = None
    published_date: str | None = None
    source_updated_at: str | None = None
    source_meta: dict[str, Any] = field(default_factory=dict)
    bill_ids: list[str] = field(default_factory=list)
    relevance: Any = None

    def validate(self) -> None:
        for name in ("id", "jurisdiction", "kind", "title", "source"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InvalidItem(f"meeting {name} is missing or not text: {value!r}")
        if self.kind not in MEETING_KINDS:
            raise InvalidItem(f"meeting kind {self.kind!r} is not one of {', '.join(MEETING_KINDS)}")
        for name in ("start", "comments_close_on", "published_date"):
            _check_date(f"meeting {name}", getattr(self, name))


@dataclass
class TextItem:
    """The text of one version of a stored bill, read and converted to plain text.

    Storing it judges the bill again, on its text as well as its titles and summaries.
    """

    bill_id: str
    url: str
    text: str
    note: str | None = None
    date: str | None = None
    media_type: str | None = None
    chars: int = 0  # the length of the whole converted text, before the cap
    truncated: bool = False
    source_url: str | None = None
    relevance: Any = None

    @property
    def id(self) -> str:
        return self.bill_id

    def validate(self) -> None:
        if not self.bill_id or not isinstance(self.text, str):
            raise InvalidItem(f"text of {self.bill_id!r} has no bill or no text")
        _check_date("text date", self.date)


@dataclass
class ScreeningItem:
    """A bill read cheaply (titles, subjects, summary) and judged; only a candidate is then fetched in full.

    Stored so that a bill judged once is not read again until it changes.
    """

    id: str
    source: str
    stamp: str | None
    via: str
    candidate: bool
    has_subjects: bool = False
    ai_matched: list[str] = field(default_factory=list)
    source_url: str | None = None

    def validate(self) -> None:
        for name in ("id", "source", "via"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise InvalidItem(f"screening {name} is missing: {getattr(self, name)!r}")


@dataclass
class WatchOutcome:
    """What an upstream said of a bill the director asked for by number: found (its id) or not, and why."""

    ref: str
    found: bool
    bill_id: str | None = None
    message: str | None = None
    source_url: str | None = None

    @property
    def id(self) -> str:
        return self.ref

    def validate(self) -> None:
        if not self.ref:
            raise InvalidItem("a watch outcome needs the reference it answers")


def _check_date(what: str, value: Any, required: bool = False) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise InvalidItem(f"{what} is not an ISO date: {value!r}")


#: Characters kept of a stored title-like text (titles, action descriptions, subjects, places): the longest real
#: bill titles run to a few thousand. Past it a field is cut, and its whole length noted in ``source_meta["cut"]``.
TITLE_CHARS = 10_000
#: Characters kept of a stored prose text (summaries, abstracts): a CRS summary of an omnibus bill runs to some
#: hundred thousand. A broken or hostile answer longer than that would be stored, indexed and published whole.
PROSE_CHARS = 200_000
_LIMITS: dict[type, dict[str, int]] = {
    BillItem: {"title": TITLE_CHARS, "summary": PROSE_CHARS, "latest_action": TITLE_CHARS},
    MeetingItem: {"title": TITLE_CHARS, "abstract": PROSE_CHARS, "location": TITLE_CHARS, "agency": TITLE_CHARS},
}


def cap_texts(item: Any) -> dict[str, int]:
    """Cut an item's texts to their limits; {field: whole length} of those cut, also noted in its ``source_meta``."""
    cut: dict[str, int] = {}
    for name, limit in _LIMITS.get(type(item), {}).items():
        value = getattr(item, name)
        if isinstance(value, str) and len(value) > limit:
            cut[name] = len(value)
            setattr(item, name, value[:limit])
    if isinstance(item, BillItem):
        for name in ("other_titles", "subjects"):
            values = getattr(item, name)
            if any(len(v) > TITLE_CHARS for v in values):
                cut[name] = max(len(v) for v in values)
                setattr(item, name, [v[:TITLE_CHARS] for v in values])
        long_actions = [a for a in item.actions or [] if len(a.description) > TITLE_CHARS]
        if long_actions:
            cut["actions"] = max(len(a.description) for a in long_actions)
            for action in long_actions:
                action.description = action.description[:TITLE_CHARS]
    if cut:
        item.source_meta = {**item.source_meta, "cut": cut}
    return cut
