"""The emulators' dataset: bill facts served "as of" a date, with the system stamps a real upstream would show.

A spider is judged by what it finds after a first crawl and after later ones,
so the dataset has a clock. Everything dated on or before the as-of date is
visible: a bill from its introduction, an action, a text version or a CRS
summary from its date, subjects and policy area from the introduction plus
``subjects_lag_days``, a state version or action from its date.

System stamps (Congress.gov ``updateDate``/``updateDateIncludingText``, govinfo
``lastModified``, BILLSTATUS ``updateDate``, Open States ``created_at``/
``updated_at``) follow bench/upstreams.py: at construction what is visible is
stamped with its latest legislative date at noon UTC, never later than an hour
before now; ``advance`` stamps what became visible at the real time of the
call, as an upstream stamps a change when it processes it. A spider's
watermark therefore meets the stamps it would meet in production.

Requests never scan every bill: feeds are sorted lists searched with bisect,
bills are found by key, and full-text queries go through inverted indexes
built on first use (see textsearch.py).
"""

from __future__ import annotations

import threading
import uuid
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import ailabor.testing.emulators.render as render
from ailabor.testing.emulators.common import add_days, noon, pg_text
from ailabor.testing.emulators.facts import (
    JURISDICTIONS,
    Action,
    FactsError,
    FederalBill,
    StateAction,
    StateBill,
    StateVersion,
    TextVersion,
    load_federal,
    load_states,
)
from ailabor.testing.emulators.textsearch import SearchIndex

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAMESPACE = uuid.UUID("6f1c8e52-0a52-4f0e-9d3c-6a1d2b7c9e10")


@dataclass
class Options:
    """How the emulated upstreams behave where the real ones vary or where a test wants a trap switched on."""

    # CRS assigns a policy area and legislative subjects some days after introduction.
    subjects_lag_days: int = 7
    # BILLSTATUS is built from Congress.gov and lags it: bills introduced within this many days are not there yet.
    billstatus_lag_days: int = 1
    # The Open States search vector holds the title besides the latest version's text.
    title_in_search_vector: bool = True
    # Open States indexes a bill once, from its first text and the title it then had, and never again
    # (openstates-core text_extract.py processes bills with no search row yet): a bill amended later into
    # a new subject answers the search as it was first written.
    search_vector_frozen: bool = False
    # Jurisdictions whose text Open States has not extracted: q never matches their bills (Hawaii, issue #1371).
    text_search_missing: frozenset[str] = frozenset()
    # Jurisdictions whose bills carry the facts' digest as an abstract; None means every jurisdiction.
    abstract_jurisdictions: frozenset[str] | None = None
    # Open States limits of a key (the default tier is 10/min and 250/day); None is unlimited.
    openstates_per_minute: int | None = None
    openstates_per_day: int | None = None
    openstates_minute_seconds: float = 60.0  # a shorter "minute" keeps tests of per-minute pacing quick
    congress_hourly_limit: int = 5000
    # api.data.gov and Open States refuse a request without a key.
    require_api_keys: bool = True
    # www.congress.gov text links answer Cloudflare's 403 "Just a moment..." page, as they do for crawlers.
    congress_gov_text_blocked: bool = True
    # Links in answers use the real hosts (api.congress.gov/v3, api.govinfo.gov, www.govinfo.gov) instead of the
    # server's own URL; the server accepts the /v3 prefix either way.
    real_hosts: bool = False

    @classmethod
    def known_gaps(cls, **changes: Any) -> Options:
        """The upstreams' gaps as documented (docs/sources/coverage.md): abstracts from 16 jurisdictions only,
        texts of Hawaii, DC, Virginia and Puerto Rico not searchable, a bill's search text fixed at its first."""
        gaps: dict[str, Any] = {
            "text_search_missing": frozenset(("hi", "dc", "va", "pr")),
            "abstract_jurisdictions": frozenset(("al", "ca", "co", "de", "fl", "ga", "hi", "il", "in", "ma", "mo",
                                                 "ny", "nd", "or", "va", "wy")),
            "search_vector_frozen": True,
        }
        return cls(**{**gaps, **changes})

    def __post_init__(self) -> None:
        self.text_search_missing = frozenset(j.lower() for j in self.text_search_missing)
        if self.abstract_jurisdictions is not None:
            self.abstract_jurisdictions = frozenset(j.lower() for j in self.abstract_jurisdictions)


@dataclass(slots=True, eq=False)
class FedRecord:
    """A federal bill with what of it is visible and its stamps."""

    n: int
    bill: FederalBill
    actions: list[Action]
    action_dates: list[str]
    versions: list[TextVersion]
    version_dates: list[str]
    subjects_day: str
    visible: bool = False
    n_actions: int = 0
    n_versions: int = 0
    has_summary: bool = False
    has_subjects: bool = False
    updated: datetime = EPOCH
    text_updated: datetime = EPOCH
    summary_updated: datetime = EPOCH
    subjects_updated: datetime = EPOCH
    version_stamps: list[datetime] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.bill.key

    @property
    def updated_including_text(self) -> datetime:
        return max(self.updated, self.text_updated)

    def visible_actions(self) -> list[Action]:
        return self.actions[:self.n_actions]

    def visible_versions(self) -> list[TextVersion]:
        return self.versions[:self.n_versions]

    def snapshot(self) -> tuple[bool, int, int, bool, bool]:
        return self.visible, self.n_actions, self.n_versions, self.has_summary, self.has_subjects

    def legislative_day(self) -> str:
        """The latest visible legislative date other than text: what ``updateDate`` stands for at construction."""
        days = [self.bill.introduced]
        if self.n_actions:
            days.append(self.action_dates[self.n_actions - 1])
        if self.has_summary and self.bill.summary:
            days.append(self.bill.summary.date)
        if self.has_subjects:
            days.append(self.subjects_day)
        return max(days)


@dataclass(slots=True, eq=False)
class Package:
    """A govinfo BILLS package: one text version of one bill."""

    n: int
    record: FedRecord
    index: int  # into record.versions

    @property
    def version(self) -> TextVersion:
        return self.record.versions[self.index]

    @property
    def package_id(self) -> str:
        bill = self.record.bill
        return f"BILLS-{bill.congress}{bill.type}{bill.number}{self.version.code}"

    @property
    def visible(self) -> bool:
        return self.record.visible and self.index < self.record.n_versions

    @property
    def last_modified(self) -> datetime:
        return self.record.version_stamps[self.index]


@dataclass(slots=True, eq=False)
class StateRecord:
    """A state bill with what of it is visible and its Open States stamps."""

    n: int
    bill: StateBill
    introduced: str
    versions: list[StateVersion]
    version_dates: list[str]
    actions: list[StateAction]
    action_dates: list[str]
    id: str
    visible: bool = False
    n_versions: int = 0
    n_actions: int = 0
    created: datetime = EPOCH
    updated: datetime = EPOCH
    created_text: str = ""
    updated_text: str = ""

    @property
    def key(self) -> str:
        return self.bill.key

    def visible_actions(self) -> list[StateAction]:
        return self.actions[:self.n_actions]

    def visible_versions(self) -> list[StateVersion]:
        return self.versions[:self.n_versions]

    @property
    def title(self) -> str:
        """The latest visible version's title, if one set it, else the bill's listed title."""
        return self.title_at(self.n_versions)

    def title_at(self, n: int) -> str:
        """The title as of the first ``n`` versions: a version's title stands until a later one sets another."""
        for version in reversed(self.versions[:n]):
            if version.title:
                return version.title
        return self.bill.title

    def snapshot(self) -> tuple[bool, int, int]:
        return self.visible, self.n_versions, self.n_actions

    def legislative_day(self) -> str:
        days = [self.introduced]
        if self.n_actions:
            days.append(self.action_dates[self.n_actions - 1])
        if self.n_versions:
            days.append(self.version_dates[self.n_versions - 1])
        return max(days)


@dataclass
class Feed:
    """Records sorted by a stamp, with the keys bisect searches: ``(timestamp, n)`` ascending."""

    keys: list[tuple[float, int]] = field(default_factory=list)
    records: list[Any] = field(default_factory=list)

    def window(self, since: datetime | None, until: datetime | None) -> tuple[int, int]:
        lo = 0 if since is None else bisect_left(self.keys, (since.timestamp(), -1))
        hi = len(self.keys) if until is None else bisect_right(self.keys, (until.timestamp(), float("inf")))
        return lo, max(lo, hi)


@dataclass
class TextFeed:
    """State records sorted by a PostgreSQL text stamp, for Open States' text comparison of ``updated_since``."""

    texts: list[tuple[str, str]] = field(default_factory=list)
    records: list[StateRecord] = field(default_factory=list)

    def since(self, text: str | None) -> int:
        return 0 if not text else bisect_left(self.texts, (text, ""))


@dataclass
class Changes:
    """What an ``advance`` made visible or changed, in counts (for logs and benchmarks)."""

    federal_bills_new: int = 0
    federal_bills_changed: int = 0
    text_versions_new: int = 0
    summaries_new: int = 0
    state_bills_new: int = 0
    state_bills_changed: int = 0


def _as_date(value: date | str) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(value).isoformat()


class Dataset:
    """Federal and state bill facts served as of a date; the emulated upstreams answer from it.

    ``now`` returns the real time (injectable for tests); ``as_of`` defaults to
    today. All reads and ``advance`` hold ``lock``, so a server's answers are
    coherent while the clock moves.
    """

    def __init__(self, federal: Iterable[FederalBill] = (), states: Iterable[StateBill] = (),
                 as_of: date | str | None = None, options: Options | None = None,
                 now: Callable[[], datetime] | None = None) -> None:
        self.options = options or Options()
        self.now = now or (lambda: datetime.now(UTC))
        self.lock = threading.RLock()
        self._as_of = _as_date(as_of or self.now().date())
        self.federal: list[FedRecord] = []
        self.fed_by_key: dict[str, FedRecord] = {}
        self.packages: list[Package] = []
        self.package_by_id: dict[str, Package] = {}
        for bill in federal:
            self._add_federal(bill)
        self.states: list[StateRecord] = []
        self.state_by_key: dict[tuple[str, str, str], StateRecord] = {}
        self.state_by_id: dict[str, StateRecord] = {}
        for state_bill in states:
            self._add_state(state_bill)
        self._state_index: SearchIndex | None = None
        self._package_index: Any = None  # govinfo's, built by govinfo.py on first search
        self._dirty_states: set[int] = set()
        self._stamp_initial()
        self._reindex()

    @classmethod
    def from_files(cls, federal: Path | str | Iterable[Path | str] | None = None,
                   states: Iterable[Path | str] = (), **kwargs: Any) -> Dataset:
        """A dataset from FORMAT.md files: ``Dataset.from_files("federal.yml", ["states_a.yml"], as_of=...)``."""
        fed_paths = [] if federal is None else [federal] if isinstance(federal, str | Path) else list(federal)
        return cls(load_federal(*fed_paths), load_states(*states), **kwargs)

    # Building ---------------------------------------------------------------------------------------------

    def _add_federal(self, bill: FederalBill) -> None:
        if bill.key in self.fed_by_key:
            raise FactsError(f"federal bill {bill.key} given twice")
        actions = sorted(bill.actions, key=lambda a: a.date)
        if not any(a.text.lower().startswith("introduced in") for a in actions):
            # Congress.gov lists the Library's own "Introduced in ..." action besides the chamber's referral.
            chamber = "House" if bill.type.startswith("h") else "Senate"
            actions.insert(0, Action(bill.introduced, f"Introduced in {chamber}"))
            actions.sort(key=lambda a: a.date)
        versions = sorted(bill.text_versions, key=lambda v: v.date)
        record = FedRecord(len(self.federal), bill, actions, [a.date for a in actions], versions,
                           [v.date for v in versions], add_days(bill.introduced, self.options.subjects_lag_days),
                           version_stamps=[EPOCH] * len(versions))
        self.federal.append(record)
        self.fed_by_key[bill.key] = record
        for index in range(len(versions)):
            package = Package(len(self.packages), record, index)
            if package.package_id in self.package_by_id:
                raise FactsError(f"federal bill {bill.key}: text version {versions[index].code} given twice")
            self.packages.append(package)
            self.package_by_id[package.package_id] = package

    def _add_state(self, bill: StateBill) -> None:
        key = (bill.jurisdiction, bill.session, render.bill_id_key(bill.identifier))
        if key in self.state_by_key:
            raise FactsError(f"state bill {bill.key} given twice")
        if not bill.introduced:
            raise FactsError(f"state bill {bill.key}: needs at least one version or action")
        versions = sorted(bill.versions, key=lambda v: v.date)
        actions = sorted(bill.actions, key=lambda a: a.date)
        bill_id = f"ocd-bill/{uuid.uuid5(_NAMESPACE, bill.key)}"
        record = StateRecord(len(self.states), bill, bill.introduced, versions, [v.date for v in versions], actions,
                             [a.date for a in actions], bill_id)
        self.states.append(record)
        self.state_by_key[key] = record
        self.state_by_id[bill_id] = record

    def _see(self, record: FedRecord | StateRecord) -> None:
        """Set what of a record is visible on the as-of date (counts of dated items are prefix lengths)."""
        as_of = self._as_of
        if isinstance(record, FedRecord):
            record.visible = record.bill.introduced <= as_of
            record.n_actions = bisect_right(record.action_dates, as_of) if record.visible else 0
            record.n_versions = bisect_right(record.version_dates, as_of) if record.visible else 0
            summary = record.bill.summary
            record.has_summary = record.visible and summary is not None and summary.date <= as_of
            record.has_subjects = record.visible and record.subjects_day <= as_of and bool(
                record.bill.subjects or record.bill.policy_area)
        else:
            record.visible = record.introduced <= as_of
            record.n_versions = bisect_right(record.version_dates, as_of) if record.visible else 0
            record.n_actions = bisect_right(record.action_dates, as_of) if record.visible else 0

    def _stamp_initial(self) -> None:
        latest = self.now() - timedelta(hours=1)

        def stamp(day: str) -> datetime:
            return min(noon(day), latest)

        for record in self.federal:
            self._see(record)
            if not record.visible:
                continue
            record.updated = stamp(record.legislative_day())
            record.text_updated = stamp(record.version_dates[record.n_versions - 1]) if record.n_versions \
                else record.updated
            for i in range(record.n_versions):
                record.version_stamps[i] = stamp(record.version_dates[i])
            if record.has_summary and record.bill.summary:
                record.summary_updated = stamp(record.bill.summary.date)
            if record.has_subjects:
                record.subjects_updated = stamp(record.subjects_day)
        for state in self.states:
            self._see(state)
            if state.visible:
                self._stamp_state(state, stamp(state.introduced), stamp(state.legislative_day()))

    @staticmethod
    def _stamp_state(record: StateRecord, created: datetime | None, updated: datetime) -> None:
        if created is not None:
            record.created, record.created_text = created, pg_text(created)
        record.updated, record.updated_text = updated, pg_text(updated)

    # The clock --------------------------------------------------------------------------------------------

    @property
    def as_of(self) -> str:
        """The date the dataset is served as of (``YYYY-MM-DD``)."""
        return self._as_of

    def advance(self, as_of: date | str) -> Changes:
        """Move the clock forward; what became visible is stamped with the real time of this call."""
        new = _as_date(as_of)
        with self.lock:
            if new < self._as_of:
                raise ValueError(f"the clock only moves forward: {new} is before {self._as_of}")
            self._as_of = new
            moment = self.now()
            changes = Changes()
            for record in self.federal:
                before = record.snapshot()
                self._see(record)
                if record.snapshot() != before:
                    self._federal_changed(record, before, moment, changes)
            for state in self.states:
                before_state = state.snapshot()
                self._see(state)
                if state.snapshot() != before_state:
                    if not before_state[0]:
                        changes.state_bills_new += 1
                    else:
                        changes.state_bills_changed += 1
                    self._stamp_state(state, None if before_state[0] else moment, moment)
                    if state.n_versions != before_state[1] or not before_state[0]:
                        self._dirty_states.add(state.n)
            self._reindex()
            return changes

    @staticmethod
    def _federal_changed(record: FedRecord, before: tuple[bool, int, int, bool, bool], moment: datetime,
                         changes: Changes) -> None:
        was_visible, old_actions, old_versions, had_summary, had_subjects = before
        if not was_visible:
            changes.federal_bills_new += 1
        else:
            changes.federal_bills_changed += 1
        if (not was_visible or record.n_actions != old_actions or record.has_summary != had_summary
                or record.has_subjects != had_subjects):
            record.updated = moment
        if record.n_versions != old_versions:
            record.text_updated = moment
            for i in range(old_versions, record.n_versions):
                record.version_stamps[i] = moment
            changes.text_versions_new += record.n_versions - old_versions
        elif not was_visible:
            record.text_updated = moment
        if record.has_summary and not had_summary:
            record.summary_updated = moment
            changes.summaries_new += 1
        if record.has_subjects and not had_subjects:
            record.subjects_updated = moment

    def touch_federal(self, keys: Iterable[str]) -> None:
        """Re-stamp bills without any change, as the Library does in bulk (issue #170, #307)."""
        with self.lock:
            moment = self.now()
            for key in keys:
                record = self.fed_by_key[key]
                if record.visible:
                    record.updated = moment
            self._reindex()

    # Indexes ----------------------------------------------------------------------------------------------

    def _reindex(self) -> None:
        visible = [r for r in self.federal if r.visible]
        self.bill_feeds: dict[Any, Feed] = {}
        self.summary_feeds: dict[Any, Feed] = {}
        for record in sorted(visible, key=lambda r: (r.updated, r.n)):
            for scope in (None, record.bill.congress, (record.bill.congress, record.bill.type)):
                feed = self.bill_feeds.setdefault(scope, Feed())
                feed.keys.append((record.updated.timestamp(), record.n))
                feed.records.append(record)
        for record in sorted((r for r in visible if r.has_summary), key=lambda r: (r.summary_updated, r.n)):
            for scope in (None, record.bill.congress, (record.bill.congress, record.bill.type)):
                feed = self.summary_feeds.setdefault(scope, Feed())
                feed.keys.append((record.summary_updated.timestamp(), record.n))
                feed.records.append(record)
        self.package_feed = Feed()
        for package in sorted((p for p in self.packages if p.visible), key=lambda p: (p.last_modified, p.n)):
            self.package_feed.keys.append((package.last_modified.timestamp(), package.n))
            self.package_feed.records.append(package)
        self.visible_packages = {p.n for p in self.package_feed.records}
        lag_day = add_days(self._as_of, -self.options.billstatus_lag_days)
        self.billstatus: dict[tuple[int, str], list[FedRecord]] = {}
        for record in sorted(visible, key=lambda r: r.bill.number):
            if record.bill.introduced <= lag_day:
                self.billstatus.setdefault((record.bill.congress, record.bill.type), []).append(record)
        self.state_feeds: dict[str | None, TextFeed] = {}
        for state in sorted((s for s in self.states if s.visible), key=lambda s: (s.updated_text, s.id)):
            for scope in (None, state.bill.jurisdiction):
                text_feed = self.state_feeds.setdefault(scope, TextFeed())
                text_feed.texts.append((state.updated_text, state.id))
                text_feed.records.append(state)

    def in_billstatus(self, record: FedRecord) -> bool:
        """Whether BILLSTATUS has the bill yet (it lags Congress.gov by ``billstatus_lag_days``)."""
        return record.visible and record.bill.introduced <= add_days(self._as_of, -self.options.billstatus_lag_days)

    # Open States full text ------------------------------------------------------------------------------

    def state_searchable(self, state: StateRecord) -> bool:
        """Open States searches only bills whose text it extracted: a visible version, a jurisdiction it covers."""
        return state.visible and state.n_versions > 0 and \
            state.bill.jurisdiction not in self.options.text_search_missing

    def state_document(self, n: int) -> str:
        """The text behind a state bill's search vector: its title (an option) and its latest version's text."""
        state = self.states[n]
        shown = min(1, state.n_versions) if self.options.search_vector_frozen else state.n_versions
        text = state.versions[shown - 1].text if shown else ""
        title = state.title_at(shown)
        return f"{title}\n{text}" if self.options.title_in_search_vector else text

    def state_index(self) -> SearchIndex:
        """The inverted index of searchable state bills, built on first use and kept up as the clock moves."""
        if self._state_index is None:
            self._state_index = SearchIndex(self.state_document)
            for state in self.states:
                if self.state_searchable(state):
                    self._state_index.put(state.n)
            self._dirty_states.clear()
        elif self._dirty_states:
            for n in sorted(self._dirty_states):
                if self.state_searchable(self.states[n]):
                    self._state_index.put(n)
                else:
                    self._state_index.drop(n)
            self._dirty_states.clear()
        return self._state_index

    def warm(self) -> None:
        """Build the lazy full-text index now (a benchmark calls this before it starts timing)."""
        with self.lock:
            self.state_index()

    # Sessions ---------------------------------------------------------------------------------------------

    def sessions(self, jurisdiction: str) -> list[dict[str, Any]]:
        """The legislative sessions of a jurisdiction that the visible facts show, oldest first."""
        starts: dict[str, str] = {}
        ends: dict[str, str] = {}
        for state in self.state_feeds.get(jurisdiction, TextFeed()).records:
            session = state.bill.session
            first = state.action_dates[0] if state.n_actions else state.introduced
            starts[session] = min(starts.get(session, first), first)
            ends[session] = max(ends.get(session, state.legislative_day()), state.legislative_day())
        ordered = sorted(starts, key=lambda s: (starts[s], s))
        out = []
        for i, session in enumerate(ordered):
            out.append({"identifier": session, "name": render.session_name(session),
                        "classification": "special" if any(c.isalpha() for c in session) else "primary",
                        "start_date": starts[session], "end_date": ends[session] if i < len(ordered) - 1 else ""})
        return out

    def jurisdiction_codes(self) -> list[str]:
        return list(JURISDICTIONS)
