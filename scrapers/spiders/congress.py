"""Federal bills about AI and work from the Congress.gov API v3, each with its whole story, kept current cheaply.

How the upstream works, its traps, paging and quotas: docs/sources/congress.md.
"""

from __future__ import annotations

import json
import logging
import os
import re
import zipfile
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any

import scrapy
from lxml import etree
from scrapy.http import Response
from twisted.python.failure import Failure

from ailabor.records import (
    BILL_TYPES,
    Action,
    BillItem,
    ScreeningItem,
    Sponsor,
    Version,
    WatchOutcome,
    bill_identifier,
)
from ailabor.relevance import MAX_SEARCH_PHRASES
from scrapers.spiders.base import megabytes
from scrapers.texts import strip_markup
from scrapers.upstream.congress import (
    DEMO_KEY,
    PAGE_SIZE,
    STAMP,
    CongressApi,
    api_stamp,
    bill_key,
    ordinal,
)

logger = logging.getLogger(__name__)

_CHAMBER = {"house": "lower", "senate": "upper"}

# Sub-resource path → (its pointer in the bill detail, its data key in the response).
PARTS: dict[str, tuple[str, str]] = {
    "actions": ("actions", "actions"),
    "cosponsors": ("cosponsors", "cosponsors"),
    "subjects": ("subjects", "subjects"),
    "summaries": ("summaries", "summaries"),
    "text": ("textVersions", "textVersions"),
    "titles": ("titles", "titles"),
}

# How a Congress.gov action moves a bill, as ordered rules:
# (action types it applies to or None for any, actionCode pattern, text pattern, classifications).
# Every rule that matches contributes; vocab.derive_status turns the classifications into a status.
# Text carries most of the meaning: action codes exist only for House and Library of Congress
# actions (sourceSystem 2 and 9), and code 36000 marks both "Signed by President" and the law.
_FLOOR = ("Floor", "ResolvingDifferences", "Veto")
ACTION_RULES: tuple[tuple[tuple[str, ...] | None, str | None, str | None, tuple[str, ...]], ...] = (
    (("IntroReferral",), r"^(Intro-[HS]|1000|10000)$", None, ("introduction",)),
    (("IntroReferral",), None, r"^(Introduced|Submitted) in (the )?(House|Senate)", ("introduction",)),
    (("IntroReferral", "Committee"), None, r"\breferred to\b", ("referral-committee",)),
    (("Committee",), None, r"\bordered to be reported\b|^Reported\b|\breported (by|to|with|without|favorably)\b",
     ("committee-passage",)),
    # Passage, as the Library, the Senate and the House clerk write it.
    (_FLOOR, r"^(8000|17000)$", r"^Passed/agreed to in (House|Senate)", ("passage",)),
    (_FLOOR, None, r"^Passed (House|Senate)\b(?! over veto)", ("passage",)),
    (_FLOOR, None, r"^(Resolution|Joint resolution|Concurrent resolution) agreed to in (House|Senate)", ("passage",)),
    (_FLOOR, None, r"^On passage Passed|^On passage Agreed to", ("passage",)),
    (_FLOOR, None, r"^On motion to suspend the rules and (pass|agree to)[^.]* Agreed to", ("passage",)),
    (_FLOOR, None, r"^On agreeing to the (resolution|conference report)[^.]* Agreed to", ("passage",)),
    (_FLOOR, None, r"\b(House|Senate) agreed to (the )?(House|Senate) amendment|\bagreed to conference report",
     ("passage",)),
    (_FLOOR, r"^(9000|18000)$", r"^Failed of passage", ("failure",)),
    (_FLOOR, None, r"^On (passage|motion to suspend the rules and (pass|agree to)|agreeing to the resolution)"
     r"[^.]* Failed", ("failure",)),
    (None, r"^(E20000|28000)$", r"^Presented to President", ("executive-receipt",)),
    (("President", "BecameLaw"), None, r"^Signed by President", ("executive-signature",)),
    (("President", "Veto"), None, r"^(Pocket )?Vetoed by President", ("executive-veto",)),
    (_FLOOR, None, r"^Passed (House|Senate) over veto", ("veto-override-passage",)),
    (_FLOOR, None, r"objections of the President to the contrary notwithstanding[^.]* (Passed|Agreed to)",
     ("veto-override-passage",)),
    (("President", "BecameLaw"), None, r"^Became (Public|Private) Law", ("became-law",)),
)
_RULES = [
    (types, re.compile(code) if code else None, re.compile(text, re.I) if text else None, classes)
    for types, code, text, classes in ACTION_RULES
]
_EXECUTIVE_TYPES = ("President", "BecameLaw")
# "Passed/agreed to in Senate: Passed Senate without amendment…": the Library's copy of a chamber's action.
_LOC_COPY = re.compile(r"^[A-Z][\w/ -]{3,60}: (.+)$")


# Pure mapping: upstream payloads → the shared model -----------------------------------------------


def congress_url(congress: str | int, bill_type: str, number: str | int) -> str:
    """The bill's page on congress.gov, e.g. https://www.congress.gov/bill/119th-congress/house-bill/1234."""
    segment = BILL_TYPES[bill_type.lower()][1]
    return f"https://www.congress.gov/bill/{ordinal(int(congress))}-congress/{segment}/{int(str(number))}"


def html_to_text(text: str | None) -> str | None:
    """CRS summary HTML (sometimes invalid) as plain text, paragraphs kept apart."""
    if not text:
        return None
    text = re.sub(r"(?i)<\s*(br\s*/?|/p|/li|/h\d|/div)\s*>", "\n", text)
    text = strip_markup(text, " ")
    lines = (re.sub(r"\s+", " ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line) or None


def _source_chamber(action: dict[str, Any]) -> str | None:
    system = action.get("sourceSystem") or {}
    name = str(system.get("name") or "").lower()
    code = system.get("code")
    if "house" in name or code in (1, 2):
        return "lower"
    if "senate" in name or code == 0:
        return "upper"
    return None


def classify_action(action: dict[str, Any]) -> tuple[str | None, list[str]]:
    """The chamber that acted ("lower", "upper", "executive" or None) and the action's classifications."""
    kind = action.get("type") or ""
    code = str(action.get("actionCode") or "")
    text = (action.get("text") or "").strip()
    classes: list[str] = []
    for types, code_re, text_re, found in _RULES:
        if types is not None and kind not in types:
            continue
        code_hit = bool(code_re and code and code_re.search(code))
        text_hit = bool(text_re and text_re.search(text))
        if code_hit or text_hit:
            classes += [c for c in found if c not in classes]
    actor = _source_chamber(action)
    if actor is None:
        # The Library's own entries name the chamber in their text; the President's acts have none.
        chamber = re.search(r"\bin (the )?(House|Senate)\b", text)
        if chamber:
            actor = _CHAMBER[chamber.group(2).lower()]
        elif kind in _EXECUTIVE_TYPES:
            actor = "executive"
    return actor, classes


def parse_actions(raw: Iterable[dict[str, Any]]) -> list[Action]:
    """A bill's actions oldest first, each real action once.

    The API lists newest first and repeats many actions: once from the
    chamber and once from the Library of Congress, with the same text or
    with the chamber's text behind a prefix ("Passed/agreed to in Senate:
    Passed Senate…"). A repeat is merged into the chamber's copy, its
    classifications united, so a digest reports the action once.
    """
    entries = [a for a in raw if isinstance(a, dict)]
    entries = sorted(reversed(entries), key=lambda a: str(a.get("actionDate") or ""))
    out: list[Action] = []
    copies: dict[int, str] = {}  # id(action) → the chamber's text that a Library entry repeats
    for entry in entries:
        date = entry.get("actionDate")
        description = re.sub(r"\s+", " ", str(entry.get("text") or "")).strip()
        actor, classes = classify_action(entry)
        twin = next((a for a in out if a.date == date and a.description == description), None)
        if twin is not None:
            _merge(twin, actor, classes)
            continue
        action = Action(date=date, description=description, actor=actor, classification=classes)
        copy = _LOC_COPY.match(description) if (entry.get("sourceSystem") or {}).get("code") == 9 else None
        if copy:
            copies[id(action)] = copy.group(1).rstrip(". ")[:60]
        out.append(action)
    for action in [a for a in out if id(a) in copies]:
        twin = next((a for a in out if a is not action and id(a) not in copies and a.date == action.date
                     and a.description.startswith(copies[id(action)])), None)
        if twin is not None:
            _merge(twin, action.actor, action.classification)
            out.remove(action)
    return out


def _merge(action: Action, actor: str | None, classes: list[str]) -> None:
    action.classification += [c for c in classes if c not in action.classification]
    action.actor = action.actor or actor


def _person(entry: dict[str, Any], role: str) -> Sponsor:
    name = re.sub(r"\s*\[[^\]]*\]\s*$", "", str(entry.get("fullName") or "")).strip()
    if not name:
        name = " ".join(str(entry[k]) for k in ("firstName", "middleName", "lastName") if entry.get(k))
    district = entry.get("district")
    return Sponsor(name=name, role=role, party=entry.get("party"), state=entry.get("state"),
                   district=None if district is None else str(district), person_id=entry.get("bioguideId"))


def parse_sponsors(sponsors: Iterable[dict[str, Any]], cosponsors: Iterable[dict[str, Any]]) -> list[Sponsor]:
    """The sponsor (primary) and the cosponsors who have not withdrawn."""
    out = [_person(s, "primary") for s in sponsors if isinstance(s, dict)]
    out += [_person(c, "cosponsor") for c in cosponsors
            if isinstance(c, dict) and not c.get("sponsorshipWithdrawnDate")]
    return [s for s in out if s.name]


_CONGRESS_TEXT = re.compile(
    r"^https?://www\.congress\.gov/\d+/(?:bills|plaws)/[a-z]+\d+/(?:generated/)?((?:BILLS|PLAW)-[0-9a-z]+)\.(\w+)$")
_GOVINFO_FORMAT = {"htm": ("html", "text/html"), "html": ("html", "text/html"), "pdf": ("pdf", "application/pdf"),
                   "xml": ("xml", "application/xml")}
_FORMAT_PREFERENCE = ("Formatted Text", "PDF", "Formatted XML", "Generated HTML")


def govinfo_url(url: str) -> tuple[str, str | None]:
    """The govinfo copy of a congress.gov bill or law text link (congress.gov blocks scripts), with its media type."""
    match = _CONGRESS_TEXT.match(url)
    if not match or match.group(2) not in _GOVINFO_FORMAT:
        return url, None
    package, ext = match.groups()
    folder, media_type = _GOVINFO_FORMAT[ext]
    ext = "htm" if ext == "html" else ext  # govinfo has one HTML rendering, named .htm
    return f"https://www.govinfo.gov/content/pkg/{package}/{folder}/{package}.{ext}", media_type


def parse_versions(text_versions: Iterable[dict[str, Any]]) -> list[Version]:
    """One link per text version, on govinfo where it can be, the formatted text first."""
    out: list[Version] = []
    for version in text_versions:
        if not isinstance(version, dict):
            continue
        formats = [f for f in version.get("formats") or [] if isinstance(f, dict) and f.get("url")]
        if not formats:
            continue
        formats.sort(key=lambda f: _FORMAT_PREFERENCE.index(f.get("type")) if f.get("type") in _FORMAT_PREFERENCE
                     else len(_FORMAT_PREFERENCE))
        url, media_type = govinfo_url(str(formats[0]["url"]))
        date = version.get("date")
        out.append(Version(url=url, note=version.get("type"), date=str(date)[:10] if date else None,
                           media_type=media_type))
    return out


def latest_summary(summaries: Iterable[dict[str, Any]]) -> str | None:
    """The text of the most recent CRS summary, as plain text."""
    entries = [s for s in summaries if isinstance(s, dict) and s.get("text")]
    if not entries:
        return None
    latest = max(entries, key=lambda s: (str(s.get("actionDate") or ""), str(s.get("updateDate") or "")))
    return html_to_text(latest["text"])


def parse_subjects(subjects: dict[str, Any] | None, policy_area: dict[str, Any] | None = None) -> list[str]:
    """The policy area first, then the CRS legislative subjects."""
    subjects = subjects or {}
    area = (subjects.get("policyArea") or policy_area or {}).get("name")
    names = [area] if area else []
    names += [s["name"] for s in subjects.get("legislativeSubjects") or [] if isinstance(s, dict) and s.get("name")]
    return list(dict.fromkeys(names))


def parse_titles(titles: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """The bill's distinct titles with their kind (display, official, short…)."""
    seen: dict[str, str] = {}
    for entry in titles:
        if isinstance(entry, dict) and entry.get("title"):
            seen.setdefault(str(entry["title"]), str(entry.get("titleType") or ""))
    return [{"title": t, "type": k} for t, k in seen.items()]


def part_signature(detail: dict[str, Any], part: str) -> dict[str, Any]:
    """A sub-resource's counts as the detail gives them: when they move, the sub-resource is fetched again."""
    pointer = detail.get(PARTS[part][0])
    if not isinstance(pointer, dict):
        return {"count": 0}  # the API suppresses empty elements
    return {k: v for k, v in sorted(pointer.items()) if k != "url"}


# govinfo: BILLSTATUS bulk data and full-text search ----------------------------------------------

# BILLSTATUS files come from govinfo; external entities and network access stay off all the same.
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
_PACKAGE = re.compile(r"^BILLS-(\d{2,3})(hconres|hjres|hres|hr|sconres|sjres|sres|s)(\d+)([a-z]+)$")
_PACKAGE_IN_URL = re.compile(r"BILLS-\d{2,3}[a-z]+\d+[a-z]+")
_BILLSTATUS_FILE = re.compile(r"BILLSTATUS-(\d{2,3})([a-z]+?)(\d+)\.xml$")


@dataclass
class Screen:
    """What a bill's cheap reading says of it: every title, the policy area and subjects, the latest summary."""

    key: str
    titles: list[str]
    subjects: list[str]
    summary: str | None
    has_subjects: bool


def _xtext(element: Any, path: str) -> str | None:
    found = element.findtext(path)
    return found.strip() if isinstance(found, str) and found.strip() else None


def read_billstatus(data: bytes) -> Screen:
    """The titles, policy area, legislative subjects and latest CRS summary of one BILLSTATUS file.

    Files from before December 2022 have no ``<version>`` and name elements
    differently (``billType``, ``billSubjects``, ``billSummaries``): both are read.
    """
    root = etree.fromstring(data, _SAFE_XML)
    bill = root.find("bill")
    if bill is None:
        raise ValueError("no <bill> element")
    congress = _xtext(bill, "congress")
    bill_type = (_xtext(bill, "type") or _xtext(bill, "billType") or "").lower()
    number = _xtext(bill, "number") or _xtext(bill, "billNumber")
    if not (congress and bill_type in BILL_TYPES and number):
        raise ValueError(f"no congress, known type and number: {congress!r} {bill_type!r} {number!r}")
    titles = list(dict.fromkeys(t for t in (_xtext(i, "title") for i in bill.iterfind("titles/item")) if t))
    area = _xtext(bill, "policyArea/name") or _xtext(bill, "subjects/billSubjects/policyArea/name")
    names = [_xtext(i, "name") for i in bill.iterfind("subjects/legislativeSubjects/item")]
    names += [_xtext(i, "name") for i in bill.iterfind("subjects/billSubjects/legislativeSubjects/item")]
    subjects = [n for n in names if n]
    summaries = [{name: _xtext(i, name) for name in ("text", "actionDate", "updateDate")}
                 for i in [*bill.iterfind("summaries/summary"), *bill.iterfind("summaries/billSummaries/item")]]
    return Screen(bill_key(congress, bill_type, number), titles, ([area] if area else []) + subjects,
                  latest_summary(summaries), bool(subjects))


def listed_unchanged(stored: list[Any] | None, listed: list[Any]) -> bool:
    """Whether a bill list entry shows the stamps a bill was stored at.

    A bill stored from its detail alone knows only updateDateIncludingText,
    the later of its two stamps: that one has to match.
    """
    if not stored or len(stored) != 2:
        return False
    if stored[0] is None:
        return stored[1] is not None and stored[1] == listed[1]
    return stored == listed


def package_bill(package_id: Any) -> tuple[int, str, str, str] | None:
    """(congress, bill type, number, version code) of a govinfo BILLS package id such as ``BILLS-119hr2794ih``."""
    match = _PACKAGE.match(str(package_id or ""))
    if not match:
        return None
    return int(match.group(1)), match.group(2), str(int(match.group(3))), match.group(4)


def govinfo_query(phrases: Iterable[str], congresses: Iterable[int], since: str | None) -> str:
    """A govinfo search for bill texts of the followed Congresses that contain any phrase, changed since ``since``."""
    terms = " OR ".join(f'"{p}"' for p in phrases)
    query = f"collection:(BILLS) AND congress:({' OR '.join(str(c) for c in congresses)})"
    if since:
        query += f" AND lastModified:range({since},)"
    return f"{query} AND ({terms})"


@dataclass
class Stored:
    """What is kept of a stored bill, so that a sub-resource not fetched again keeps its value."""

    meta: dict[str, Any] = field(default_factory=dict)
    summary: str | None = None
    subjects: list[str] = field(default_factory=list)


def bill_to_item(detail: dict[str, Any], *, actions: list[dict[str, Any]] | None = None,
                 cosponsors: list[dict[str, Any]] | None = None, subjects: dict[str, Any] | None = None,
                 summaries: list[dict[str, Any]] | None = None, text_versions: list[dict[str, Any]] | None = None,
                 titles: list[dict[str, Any]] | None = None, stored: Stored | None = None,
                 counts: dict[str, Any] | None = None, list_update: list[Any] | None = None,
                 source_url: str | None = None, text_hint: bool = False) -> BillItem:
    """Map a bill detail and the sub-resources fetched this time onto the shared bill model.

    A sub-resource given as None was not fetched: its child list stays None
    (the store keeps the stored rows) and the summary, subjects and titles
    come from ``stored``.
    """
    stored = stored or Stored()
    congress, bill_type, number = detail["congress"], str(detail["type"]).lower(), detail["number"]
    if bill_type not in BILL_TYPES:
        raise ValueError(f"unknown bill type {detail['type']!r}")
    title = detail.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ValueError("title is missing")
    sponsors = None
    if cosponsors is not None:
        sponsors = parse_sponsors(detail.get("sponsors") or [], cosponsors)
    meta: dict[str, Any] = {
        "counts": counts or {},
        "list_update": list_update,
        "titles": parse_titles(titles) if titles is not None else stored.meta.get("titles", []),
        "laws": [f"{law.get('type')} {law.get('number')}" for law in detail.get("laws") or [] if isinstance(law, dict)],
    }
    if text_hint or stored.meta.get("text_hint"):
        meta["text_hint"] = True  # govinfo's full-text search found AI in its text: read it (store.text_backlog)
    introduced = detail.get("introducedDate")
    return BillItem(
        jurisdiction="us",
        session=str(congress),
        identifier=bill_identifier(bill_type, number),
        title=title.strip(),
        source="congress",
        source_id=f"{congress}/{bill_type}/{int(str(number))}",
        source_url=source_url,
        chamber=_CHAMBER.get(str(detail.get("originChamber") or "").lower()),
        classification=BILL_TYPES[bill_type][2],
        summary=latest_summary(summaries) if summaries is not None else stored.summary,
        other_titles=[t["title"] for t in meta["titles"]],
        subjects=parse_subjects(subjects, detail.get("policyArea")) if subjects is not None else stored.subjects,
        introduced_date=str(introduced)[:10] if introduced else None,
        url=congress_url(congress, bill_type, number),
        source_updated_at=detail.get("updateDate"),
        source_meta=meta,
        actions=parse_actions(actions) if actions is not None else None,
        sponsors=sponsors,
        versions=parse_versions(text_versions) if text_versions is not None else None,
    )


# The calendar -----------------------------------------------------------------------------------


def congress_start(congress: int) -> str:
    """The first day of a Congress's first year (the 1st met in 1789; each sits two years)."""
    return f"{1789 + 2 * (congress - 1)}-01-01T00:00:00Z"


def congress_on(moment: datetime) -> int:
    """The Congress the calendar says sits at ``moment``: each begins on 3 January of an odd year (20th Amendment)."""
    year = moment.year
    if year % 2 and (moment.month, moment.day) < (1, 3):
        year -= 1
    return (year - 1789) // 2 + 1


# The spider -------------------------------------------------------------------------------------

# How long a refresh trusts a /congress/current answer that names an earlier Congress than the calendar does
# (the Library switches some hours after noon on 3 January).
RECHECK = timedelta(hours=12)


@dataclass
class Walk:
    """One walk of a change feed sorted by update date: how far it safely got, for a partial watermark."""

    since: str
    pending: dict[str, str] = field(default_factory=dict)  # bill id → update stamp, not yet stored
    last_seen: str | None = None
    done: bool = False
    failed: bool = False

    def safe_point(self) -> str | None:
        """Everything before this stamp is stored (None: the whole walk is)."""
        if self.pending:
            return min(self.pending.values())
        if self.done and not self.failed:
            return None
        return self.last_seen or self.since


@dataclass
class Waiting:
    """A bill of the list to be screened: where it was seen, so that a candidate is fetched as if listed."""

    walk: Walk
    key: str
    congress: int
    bill_type: str
    number: str
    stamp: str
    entry: dict[str, Any]
    list_update: list[Any] | None


@dataclass
class BillFetch:
    """The requests of one bill in flight: its detail, then the sub-resources whose counts moved."""

    key: str
    congress: int
    bill_type: str
    number: str
    list_update: list[Any] | None
    hint: bool = False  # found by the full-text search
    watch_ref: str | None = None  # asked for by number (the watchlist)
    detail: dict[str, Any] | None = None
    detail_url: str | None = None
    parts: dict[str, Any] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    counts: dict[str, Any] = field(default_factory=dict)


class CongressSpider(CongressApi):
    name = "congress"
    reads_texts = True

    # Planning -----------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        now = self.open_window()
        self.walks: list[Walk] = []
        self.list_walks_open = 0
        self.congresses: list[int] = []
        # Each walk's path after /bill and /summaries ("/119", or "" across Congresses) and where it starts.
        self.feeds: list[tuple[str, str]] = []
        self.known: dict[str, Stored] = {}
        self.known_packages: dict[str, set[str]] = {}  # bill id → govinfo package ids of its stored texts
        # Bills screened before: their list stamp then, and whether CRS had indexed their subjects.
        self.screened: dict[str, tuple[str | None, bool]] = {}
        # Bills of this run's lists to screen, by (Congress, type): read one by one, or as that type's ZIP.
        self.to_screen: dict[tuple[int, str], dict[str, Waiting]] = {}
        self.summaries_begun = False
        self.watch_only = bool(getattr(self, "watch", None))
        self.list_seen: dict[str, list[Any]] = {}
        self.fetching: dict[str, BillFetch] = {}
        self.incomplete: set[str] = set()
        self.finished: set[str] = set()
        self.report = {"bills_seen": 0, "candidates": 0, "screened": 0}
        if self.watch_only:
            self.report["only"] = "watchlist"
        self.remembered, asked = self.remembered_congress()
        self.current: int | None = None  # recorded once a complete run has walked it
        if self.since and self.remembered and (congress_on(now) <= self.remembered or now - asked < RECHECK):
            for request in self.plan(self.remembered):
                yield request
        else:
            yield self.api_request("/congress/current", callback=self.parse_current)

    def remembered_congress(self) -> tuple[int | None, datetime]:
        """The current Congress as the last complete run that asked learnt it, and when that run began."""
        row = self.run.db.execute(
            "SELECT json_extract(details, '$.congress'), started_at FROM crawl_runs WHERE source = ?"
            " AND status = 'ok' AND json_extract(details, '$.congress') IS NOT NULL AND id != ?"
            " ORDER BY id DESC LIMIT 1", [self.name, self.run.id]).fetchone()
        if not row or not isinstance(row[0], int):
            return None, datetime.min.replace(tzinfo=UTC)
        asked = datetime.fromisoformat(str(row[1]))
        return row[0], asked if asked.tzinfo else asked.replace(tzinfo=UTC)

    def parse_current(self, response: Response) -> Iterator[scrapy.Request]:
        current = self.current_congress(response)
        if current is not None:
            self.current = current
            yield from self.plan(current)

    def plan(self, current: int) -> Iterator[scrapy.Request]:
        """The bill lists to walk: one per Congress from its start on a first run, else one across Congresses.

        A Congress that began since the last run is also walked from its
        start: the list across Congresses covers only the window, and the new
        Congress was not followed before it.
        """
        earlier = [int(c) for c in self.config.get("earlier_congresses") or [] if int(c) < current]
        self.congresses = [current, *sorted(set(earlier), reverse=True)]
        self.load_known()
        yield from self.watch_requests(current)
        if self.watch_only:
            return
        if self.since is None:
            self.feeds = [(f"/{c}", congress_start(c)) for c in self.congresses]
        else:
            self.feeds = [("", self.since)]
            if self.remembered and current > self.remembered:
                self.feeds.append((f"/{current}", congress_start(current)))
        for feed, since in self.feeds:
            walk = Walk(since)
            self.walks.append(walk)
            self.list_walks_open += 1
            yield self.api_request(f"/bill{feed}", self.window(walk),
                                   callback=self.parse_list, errback=self.list_failed, cb_kwargs={"walk": walk})
        if self.config.get("text_search", True):
            yield from self.search_requests()

    def window(self, walk: Walk) -> list[tuple[str, str]]:
        return [("fromDateTime", walk.since), ("toDateTime", self.until), ("sort", "updateDate+asc"),
                ("limit", str(PAGE_SIZE))]

    def load_known(self) -> None:
        """The bills this source already stored, with what a refresh that skips a sub-resource must keep."""
        sessions = [str(c) for c in self.congresses]
        rows = self.run.db.query(
            f"SELECT id, source_meta, summary, subjects FROM bills WHERE source = ?"
            f" AND session IN ({','.join('?' for _ in sessions)})", [self.name, *sessions])
        for row in rows:
            self.known[row["id"]] = Stored(json.loads(row["source_meta"] or "{}"), row["summary"],
                                           json.loads(row["subjects"] or "[]"))
        # A new text version moves only a bill's updateDateIncludingText, which the bill list does not
        # filter on: the text search is what tells of it.
        for key, url in self.run.db.execute(
                "SELECT bill_id, url FROM versions WHERE bill_id IN (SELECT id FROM bills WHERE source = ?)",
                [self.name]).fetchall():
            match = _PACKAGE_IN_URL.search(url or "")
            if match:
                self.known_packages.setdefault(key, set()).add(match.group(0))
        prefixes = [f"us-{c}-%" for c in self.congresses]
        for key, stamp, has_subjects in self.run.db.execute(
                f"SELECT id, stamp, has_subjects FROM screened_bills WHERE source = ?"
                f" AND ({' OR '.join('id LIKE ?' for _ in prefixes)})", [self.name, *prefixes]).fetchall():
            self.screened[key] = (stamp, bool(has_subjects))

    # The bill list and the summaries ------------------------------------------------------------

    def parse_list(self, response: Response, walk: Walk) -> Iterator[scrapy.Request]:
        data = self.page(response)
        if data is None or self.empty_list(response, data, "bills"):
            yield from self.end_list_walk(walk, failed=True)
            return
        for entry in data.get("bills") or []:
            try:
                key = bill_key(entry["congress"], entry["type"], entry["number"])
                congress = int(entry["congress"])
                stamp = api_stamp(str(entry["updateDate"]))
            except (KeyError, TypeError, ValueError) as exc:
                self.reject(response.url, "bad_list_entry", f"{type(exc).__name__}: {exc}")
                continue
            walk.last_seen = stamp
            if congress not in self.congresses:
                continue  # a Congress not followed, in a list across Congresses
            self.list_seen[key] = [entry.get("updateDate"), entry.get("updateDateIncludingText")]
            self.report["bills_seen"] = len(self.list_seen)
            stored = self.known.get(key)
            if stored is None and not self.taxonomy.mentions_ai(entry.get("title")):
                if key not in self.fetching and self.needs_screening(key, stamp):
                    waiting = Waiting(walk, key, congress, str(entry["type"]).lower(), str(entry["number"]), stamp,
                                      entry, self.list_seen[key])
                    self.to_screen.setdefault((congress, waiting.bill_type), {})[key] = waiting
                    walk.pending.setdefault(key, stamp)
                continue
            if stored is not None and listed_unchanged(stored.meta.get("list_update"), self.list_seen[key]):
                continue  # seen at this very stamp before: nothing to fetch
            request = self.schedule(walk, key, stamp, entry, self.list_seen[key])
            if request is not None:
                yield request
        next_url = (data.get("pagination") or {}).get("next")
        request = next_url and self.follow(response, next_url, self.window(walk), callback=self.parse_list,
                                           errback=self.list_failed, cb_kwargs={"walk": walk})
        if request:
            yield request
        else:
            yield from self.end_list_walk(walk, failed=bool(next_url))

    def list_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        self.on_error(failure)
        yield from self.end_list_walk(failure.request.cb_kwargs["walk"], failed=True)

    def end_list_walk(self, walk: Walk, failed: bool = False) -> Iterator[scrapy.Request]:
        """The summaries are walked once every bill list is read, so a bill found there reuses the list's stamps."""
        walk.done, walk.failed = True, failed
        self.list_walks_open -= 1
        if self.list_walks_open:
            return
        yield from self.screening_requests()
        self.summaries_begun = True
        lookback = None
        if self.since is None or not self.completed_before():
            # A backfill screens every bill of its lists, summary included: the summaries feed need only
            # cover what BILLSTATUS may not have caught up with.
            days = float(self.config.get("summaries_lookback_days", 3))
            until = datetime.fromisoformat(self.until)
            lookback = (until - timedelta(days=days)).strftime(STAMP)
        for feed, since in self.feeds:
            swalk = Walk(max(since, lookback) if lookback else since)
            self.walks.append(swalk)
            yield self.api_request(f"/summaries{feed}", self.window(swalk), callback=self.parse_summaries,
                                   cb_kwargs={"walk": swalk})

    def completed_before(self) -> bool:
        """Whether a regular run (not one for the watchlist only) has read the change feeds to the end."""
        return self.run.db.execute(
            "SELECT 1 FROM crawl_runs WHERE source = ? AND status = 'ok' AND id != ?"
            " AND json_extract(details, '$.only') IS NULL LIMIT 1", [self.name, self.run.id]).fetchone() is not None

    def parse_summaries(self, response: Response, walk: Walk) -> Iterator[scrapy.Request]:
        data = self.page(response)
        if data is None or self.empty_list(response, data, "summaries"):
            walk.failed = True
            return
        for entry in data.get("summaries") or []:
            bill = entry.get("bill") if isinstance(entry, dict) else None
            try:
                key = bill_key(bill["congress"], bill["type"], bill["number"])  # type: ignore[index]
                congress = int(bill["congress"])  # type: ignore[index]
                stamp = api_stamp(str(entry.get("updateDate") or entry["lastSummaryUpdateDate"]))
            except (KeyError, TypeError, ValueError) as exc:
                self.reject(response.url, "bad_summary_entry", f"{type(exc).__name__}: {exc}")
                continue
            walk.last_seen = stamp
            # A stored bill is refreshed through the bill list, where a new summary bumps its updateDate.
            if (congress not in self.congresses or key in self.known
                    or not self.taxonomy.mentions_ai(html_to_text(entry.get("text")))):
                continue
            request = self.schedule(walk, key, stamp, bill, self.list_seen.get(key))
            if request is not None:
                yield request
        next_url = (data.get("pagination") or {}).get("next")
        request = next_url and self.follow(response, next_url, self.window(walk), callback=self.parse_summaries,
                                           cb_kwargs={"walk": walk})
        if request:
            yield request
        elif next_url:
            walk.failed = True
        else:
            walk.done = True

    # Screening: a bill judged on its titles, subjects and summary before it is fetched in full ----

    def needs_screening(self, key: str, stamp: str) -> bool:
        """A bill never screened, or screened before CRS indexed its subjects and changed since."""
        if key not in self.screened:
            return True
        seen_at, had_subjects = self.screened[key]
        return not had_subjects and (seen_at is None or api_stamp(seen_at) < stamp)

    @property
    def govinfo_url(self) -> str:
        return str(self.settings.get("GOVINFO_URL")).rstrip("/")

    def screening_requests(self) -> Iterator[scrapy.Request]:
        """One BILLSTATUS file a bill, or the whole ZIP of a Congress and type when more bills than
        ``billstatus_zip_threshold`` of it wait (a first run, a bulk re-stamp): one download then does."""
        threshold = int(self.config.get("billstatus_zip_threshold", 300))
        zip_bytes = megabytes(self.config.get("billstatus_zip_maxsize_mb", 512))
        for (congress, bill_type), group in sorted(self.to_screen.items()):
            if len(group) > threshold:
                folder = f"{self.govinfo_url}/bulkdata/BILLSTATUS/{congress}/{bill_type}"
                yield scrapy.Request(
                    f"{folder}/BILLSTATUS-{congress}-{bill_type}.zip", callback=self.parse_billstatus_zip,
                    errback=self.on_error, dont_filter=True,
                    meta={"download_maxsize": zip_bytes, "download_warnsize": zip_bytes // 4},
                    cb_kwargs={"group": group})
                continue
            for waiting in group.values():
                yield self.billstatus_request(waiting)

    def billstatus_request(self, waiting: Waiting) -> scrapy.Request:
        name = f"BILLSTATUS-{waiting.congress}{waiting.bill_type}{waiting.number}.xml"
        return scrapy.Request(f"{self.govinfo_url}/bulkdata/BILLSTATUS/{waiting.congress}/{waiting.bill_type}/{name}",
                              callback=self.parse_billstatus, errback=self.on_error, dont_filter=True,
                              meta={"handle_httpstatus_list": [404]}, cb_kwargs={"waiting": waiting})

    def parse_billstatus(self, response: Response, waiting: Waiting) -> Iterator[Any]:
        if response.status == 404:
            # BILLSTATUS lags Congress.gov by a batch: a bill introduced today is screened on its titles.
            yield self.titles_request(waiting)
            return
        try:
            screen = read_billstatus(response.body)
        except (etree.XMLSyntaxError, ValueError) as exc:
            self.outcome.failed_requests += 1
            self.reject(response.url, "bad_billstatus", f"{waiting.key}: {exc}", lost=False)
            return
        self.outcome.good_responses += 1
        yield from self.screened_one(waiting, screen, "billstatus")

    def parse_billstatus_zip(self, response: Response, group: dict[str, Waiting]) -> Iterator[Any]:
        try:
            archive = zipfile.ZipFile(BytesIO(response.body))
        except zipfile.BadZipFile as exc:
            self.outcome.failed_requests += 1
            self.reject(response.url, "bad_billstatus", f"not a ZIP file: {exc}", lost=False)
            return
        self.outcome.good_responses += 1
        left = dict(group)
        # A file is unzipped to no more than the size its entry declares: checking that bounds the memory it takes.
        file_bytes = megabytes(self.config.get("billstatus_file_maxsize_mb", 20))
        with archive:
            for info in archive.infolist():
                match = _BILLSTATUS_FILE.search(info.filename)
                if not match:
                    continue
                key = bill_key(*match.groups()) if match.group(2) in BILL_TYPES else None
                waiting = left.pop(key, None) if key else None
                if waiting is None:
                    continue
                if info.file_size > file_bytes:
                    self.reject(response.url, "bad_billstatus",
                                f"{info.filename}: {info.file_size} bytes unzipped, past the size limit", lost=False)
                    left[waiting.key] = waiting
                    continue
                try:
                    screen = read_billstatus(archive.read(info))
                except (etree.XMLSyntaxError, ValueError, zipfile.BadZipFile) as exc:
                    self.reject(response.url, "bad_billstatus", f"{info.filename}: {exc}", lost=False)
                    left[waiting.key] = waiting
                    continue
                yield from self.screened_one(waiting, screen, "billstatus")
        for waiting in left.values():  # not in the ZIP yet
            yield self.titles_request(waiting)

    def titles_request(self, waiting: Waiting) -> scrapy.Request:
        path = f"/bill/{waiting.congress}/{waiting.bill_type}/{waiting.number}/titles"
        return self.api_request(path, [("limit", str(PAGE_SIZE))], callback=self.parse_titles_screen,
                                cb_kwargs={"waiting": waiting})

    def parse_titles_screen(self, response: Response, waiting: Waiting) -> Iterator[Any]:
        data = self.page(response)
        if data is None:
            return
        titles = [t["title"] for t in parse_titles(data.get("titles") or [])]
        yield from self.screened_one(waiting, Screen(waiting.key, titles, [], None, False), "titles")

    def screened_one(self, waiting: Waiting, screen: Screen, via: str) -> Iterator[Any]:
        """Judge a screened bill: a candidate when any of its titles, subjects or its summary names AI."""
        fields = [("title", waiting.entry.get("title")), *(("title", t) for t in screen.titles),
                  *(("subjects", s) for s in screen.subjects), ("summary", screen.summary)]
        ai = self.taxonomy.classify_parts(fields).ai_matched
        self.report["screened"] += 1
        yield ScreeningItem(id=waiting.key, source=self.name, stamp=waiting.stamp, via=via, candidate=bool(ai),
                            has_subjects=screen.has_subjects, ai_matched=ai)
        if ai:
            request = self.schedule(waiting.walk, waiting.key, waiting.stamp, waiting.entry, waiting.list_update)
            if request is not None:
                yield request

    # The full-text search of bill texts (govinfo) --------------------------------------------------

    @property
    def govinfo_key(self) -> str:
        return os.environ.get("DATA_GOV_API_KEY") or DEMO_KEY

    def search_requests(self) -> Iterator[scrapy.Request]:
        """govinfo searches for bill texts that name AI: every AI phrase, a few dozen phrases to a query."""
        if not os.environ.get("DATA_GOV_API_KEY"):
            logger.warning("%s: DATA_GOV_API_KEY is not set; govinfo's text search uses DEMO_KEY, which allows"
                           " a few dozen requests an hour; get a key at https://api.data.gov/signup/", self.name)
        phrases = self.taxonomy.bill_search_phrases()
        size = int(self.config.get("search_phrases_per_query", MAX_SEARCH_PHRASES))
        since = self.since or min(congress_start(c) for c in self.congresses)
        for i in range(0, len(phrases), size):
            walk = Walk(since)
            self.walks.append(walk)
            query = govinfo_query(phrases[i:i + size], self.congresses, self.since)
            yield self.search_request(query, "*", walk)

    def search_request(self, query: str, mark: str, walk: Walk) -> scrapy.Request:
        body = {"query": query, "pageSize": 1000, "offsetMark": mark, "historical": True, "resultLevel": "default",
                "sorts": [{"field": "lastModified", "sortOrder": "ASC"}]}
        return scrapy.Request(
            f"{str(self.settings.get('GOVINFO_API_URL')).rstrip('/')}/search", method="POST", body=json.dumps(body),
            headers={"Content-Type": "application/json", "Accept": "application/json", "X-Api-Key": self.govinfo_key},
            callback=self.parse_search, errback=self.search_failed, dont_filter=True,
            cb_kwargs={"query": query, "mark": mark, "walk": walk})

    def parse_search(self, response: Response, query: str, mark: str, walk: Walk) -> Iterator[Any]:
        data = self.load_json(response)
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list):
            if data is not None:
                self.outcome.failed_requests += 1
                self.reject(response.url, "unexpected_shape", "govinfo search: no results list", lost=False)
            walk.failed = True
            return
        for result in results:
            parsed = package_bill(result.get("packageId") if isinstance(result, dict) else None)
            if parsed is None or parsed[0] not in self.congresses:
                continue
            congress, bill_type, number, _ = parsed
            stamp = api_stamp(str(result.get("lastModified") or walk.since))
            walk.last_seen = stamp
            key = bill_key(congress, bill_type, number)
            if key in self.known and str(result.get("packageId")) in self.known_packages.get(key, ()):
                continue  # a text already stored
            entry = {"congress": congress, "type": bill_type, "number": number}
            stored = self.known.get(key)
            request = self.schedule(walk, key, stamp, entry, self.list_seen.get(key), hint=True)
            if request is not None:
                counter = "found_by_text" if stored is None else "new_texts"
                self.report[counter] = self.report.get(counter, 0) + 1
                yield request
        following = data.get("offsetMark")
        if results and isinstance(following, str) and following not in ("*", mark):
            yield self.search_request(query, following, walk)
        else:
            walk.done = True

    def search_failed(self, failure: Failure) -> None:
        failure.request.cb_kwargs["walk"].failed = True
        self.on_error(failure)

    # Bills asked for by number (the watchlist) ----------------------------------------------------

    def watch_requests(self, current: int) -> Iterator[scrapy.Request]:
        """The detail of each federal bill on the watchlist not found yet (of the current Congress unless named)."""
        rows = self.run.db.execute(
            "SELECT ref, session, identifier FROM watchlist WHERE jurisdiction = 'us' AND status = 'pending'")
        for ref, session, identifier in rows.fetchall():
            letters, _, number = str(identifier).rpartition(" ")
            bill_type = next((t for t, (written, *_) in BILL_TYPES.items() if written == letters), None)
            if bill_type is None or not number.isdigit():
                continue  # not written by ailabor/watch.py
            congress = int(session) if session else current
            fetch = BillFetch(bill_key(congress, bill_type, number), congress, bill_type, number, None,
                              watch_ref=ref)
            if fetch.key in self.fetching:
                continue
            self.fetching[fetch.key] = fetch
            yield self.api_request(f"/bill/{congress}/{bill_type}/{number}", callback=self.parse_detail,
                                   meta={"handle_httpstatus_list": [404]}, cb_kwargs={"fetch": fetch})

    # One bill -----------------------------------------------------------------------------------

    def schedule(self, walk: Walk, key: str, stamp: str, entry: dict[str, Any],
                 list_update: list[Any] | None, hint: bool = False) -> scrapy.Request | None:
        """The detail request of a candidate, once per run however many walks and pages name it."""
        if key in self.fetching:
            if key not in self.finished:
                walk.pending.setdefault(key, stamp)
            return None
        walk.pending[key] = stamp
        bill_type, number = str(entry["type"]).lower(), str(entry["number"])
        fetch = BillFetch(key, int(entry["congress"]), bill_type, number, list_update, hint)
        self.fetching[key] = fetch
        self.report["candidates"] = len(self.fetching)
        return self.api_request(f"/bill/{fetch.congress}/{bill_type}/{number}", callback=self.parse_detail,
                                cb_kwargs={"fetch": fetch})

    def parse_detail(self, response: Response, fetch: BillFetch) -> Iterator[Any]:
        if response.status == 404 and fetch.watch_ref:
            yield WatchOutcome(fetch.watch_ref, False, message=f"Congress.gov has no "
                               f"{bill_identifier(fetch.bill_type, fetch.number)} in the {ordinal(fetch.congress)}"
                               " Congress", source_url=response.url)
            return
        data = self.page(response)
        if data is None:
            return
        detail = data.get("bill")
        if not isinstance(detail, dict):
            self.outcome.failed_requests += 1
            self.reject(response.url, "unexpected_shape", f"{fetch.key}: no bill in the detail")
            return
        fetch.detail, fetch.detail_url = detail, response.url
        stored = self.known.get(fetch.key)
        old_counts = stored.meta.get("counts", {}) if stored else {}
        for part in PARTS:
            signature = part_signature(detail, part)
            if stored is not None and old_counts.get(part) == signature:
                fetch.counts[part] = signature  # unchanged: the stored rows stay
                continue
            if not signature.get("count"):
                fetch.parts[part] = [] if part != "subjects" else {}
                fetch.counts[part] = signature
                continue
            fetch.pending.add(part)
            fetch.counts[part] = signature
            yield self.part_request(fetch, f"/bill/{fetch.congress}/{fetch.bill_type}/{fetch.number}/{part}",
                                    [("limit", str(PAGE_SIZE))], part)
        if not fetch.pending:
            yield from self.finish(fetch)

    def part_request(self, fetch: BillFetch, path: str, query: list[tuple[str, str]], part: str) -> scrapy.Request:
        return self.api_request(path, query, **self.part_callbacks(fetch, part))

    def part_callbacks(self, fetch: BillFetch, part: str) -> dict[str, Any]:
        return {"callback": self.parse_part, "errback": self.part_failed, "cb_kwargs": {"fetch": fetch, "part": part}}

    def parse_part(self, response: Response, fetch: BillFetch, part: str) -> Iterator[Any]:
        data = self.page(response)
        if data is None:
            yield from self.part_done(fetch, part, failed=True)
            return
        found = data.get(PARTS[part][1])
        if part == "subjects":
            merged = fetch.parts.setdefault(part, {})
            if isinstance(found, dict):
                merged.setdefault("legislativeSubjects", []).extend(found.get("legislativeSubjects") or [])
                merged["policyArea"] = found.get("policyArea") or merged.get("policyArea")
        elif isinstance(found, list):
            fetch.parts.setdefault(part, []).extend(found)
        else:
            self.outcome.failed_requests += 1
            self.reject(response.url, "unexpected_shape", f"{fetch.key}: no {PARTS[part][1]} list")
            yield from self.part_done(fetch, part, failed=True)
            return
        next_url = (data.get("pagination") or {}).get("next")
        request = next_url and self.follow(response, next_url, [("limit", str(PAGE_SIZE))],
                                           **self.part_callbacks(fetch, part))
        if request:
            yield request
        else:
            yield from self.part_done(fetch, part, failed=bool(next_url))

    def part_failed(self, failure: Failure) -> Iterator[Any]:
        self.on_error(failure)
        kwargs = failure.request.cb_kwargs
        yield from self.part_done(kwargs["fetch"], kwargs["part"], failed=True)

    def part_done(self, fetch: BillFetch, part: str, failed: bool = False) -> Iterator[Any]:
        if failed:
            # Keep the old count, so the next run asks again; until then the stored rows stay.
            fetch.failed.add(part)
            fetch.parts.pop(part, None)
            old = self.known.get(fetch.key)
            previous = (old.meta.get("counts") or {}).get(part) if old else None
            if previous is None:
                fetch.counts.pop(part, None)
            else:
                fetch.counts[part] = previous
        fetch.pending.discard(part)
        if not fetch.pending:
            yield from self.finish(fetch)

    def finish(self, fetch: BillFetch) -> Iterator[BillItem]:
        assert fetch.detail is not None
        if fetch.failed:
            self.incomplete.add(fetch.key)
        try:
            item = bill_to_item(
                fetch.detail, actions=fetch.parts.get("actions"), cosponsors=fetch.parts.get("cosponsors"),
                subjects=fetch.parts.get("subjects"), summaries=fetch.parts.get("summaries"),
                text_versions=fetch.parts.get("text"), titles=fetch.parts.get("titles"),
                stored=self.known.get(fetch.key), counts=fetch.counts,
                # Not listed this run (found by the text search, or asked for by number): its detail's stamp
                # is the one the bill list will show, so the list does not bring it back unchanged.
                list_update=fetch.list_update or [None, fetch.detail.get("updateDateIncludingText")],
                source_url=fetch.detail_url, text_hint=fetch.hint)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            self.reject(fetch.detail_url, "bad_bill", f"{fetch.key}: {type(exc).__name__}: {exc}")
            return
        yield item
        if fetch.watch_ref:
            yield WatchOutcome(fetch.watch_ref, True, bill_id=item.id)

    # Watermark ----------------------------------------------------------------------------------

    def final_watermark(self) -> str | None:
        if getattr(self, "watch_only", False):
            return self.previous_watermark  # only the watchlist was asked for: the change feed was not read
        if getattr(self, "current", None) is not None:
            # Remembered only after a complete run: a partial one asks again and walks a new Congress again.
            self.report["congress"] = self.current
        return self.next_watermark

    def stored(self, items: list[Any]) -> None:
        for item in items:
            if isinstance(item, ScreeningItem) and not item.candidate:
                for walk in self.walks:
                    walk.pending.pop(item.id, None)
            if isinstance(item, BillItem) and item.id not in self.incomplete:
                self.finished.add(item.id)
                for walk in self.walks:
                    walk.pending.pop(item.id, None)

    def partial_watermark(self) -> str | None:
        """The update stamp before which every candidate is stored: the feeds are read oldest first."""
        walks = getattr(self, "walks", None)
        if not walks:
            return self.previous_watermark
        points = [p for p in (w.safe_point() for w in walks) if p is not None]
        if not self.summaries_begun and self.feeds:
            points.append(min(since for _, since in self.feeds))
        if not points:
            return self.next_watermark
        point = min(points)
        if self.previous_watermark and api_stamp(self.previous_watermark) > point:
            return self.previous_watermark  # the last complete run already covered what lies before it
        return point

