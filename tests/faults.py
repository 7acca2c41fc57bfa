"""The fault suite's vocabulary and machinery: faults as data, the upstreams they hit, and the figures they yield.

A fault is a way an upstream misbehaves, written as how to derive the faulty
routes from a good route of a recorded cassette (ailabor/testing/replay.py), whether
it passes (retries get the good answer) or persists, and so what a run must
end with: ``ok`` with every item for a transient fault; ``partial`` with
every good item stored once, the bad ones in ``crawl_errors`` and the
watermark short of what was lost for a persistent one (``failed`` when the
spider's only way in is what broke). tests/test_faults.py runs every API
spider that has a cassette under every fault, and a rerun without the fault.

Crawls are forked from a server process that has imported Scrapy and the
spiders once (multiprocessing's forkserver): each crawl is still
``ailabor crawl SOURCE`` in a fresh process with its own environment, as the
scheduler runs it, without paying two seconds of imports a hundred times.

The figures (faults tried, runs, items, losses, duplicates) are printed at
the end of a pytest session that ran fault cases, and written to
docs/reliability.md when ``AILABOR_WRITE_RELIABILITY=1``.
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.forkserver
import os
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

import db
from ailabor.testing.replay import Cassette, ReplayServer, Route
from tests.conftest import FIXTURES, REPO, CrawlResult, crawl_env

# A download timeout the timeout fault outlasts, short enough to keep the suite quick.
DOWNLOAD_TIMEOUT = 2.0
RATE_LIMITED = json.dumps({"error": {"code": "OVER_RATE_LIMIT", "message": "You have exceeded your rate limit."}})
# Open States names the limit it hit; without it the spider takes a 429 for the daily quota.
OPENSTATES_RATE_LIMITED = json.dumps({"detail": "exceeded limit of 10/min: 11"})
ERROR_PAGE = "<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body>Try again later.</body></html>"
WRONG_TYPE = 12345  # where a text field should be
# Deeper than any interpreter's recursion limit: json.loads raises RecursionError, not ValueError.
NESTING = 100_000


# Upstreams ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    """A route of a cassette: its path and the part of its query that tells it from its neighbours."""

    path: str
    query: tuple[tuple[str, Any], ...] = ()

    def find(self, routes: list[Route]) -> int:
        wanted = dict(self.query)
        for index, route in enumerate(routes):
            if route.path == self.path and all(route.query.get(k) == v for k, v in wanted.items()):
                return index
        raise LookupError(f"no route {self.path} {wanted} in the cassette")


@dataclass(frozen=True)
class Upstream:
    """What the fault suite must know of one spider's cassette: where to strike and what an item looks like."""

    source: str
    first: Site  # the spider's first request
    middle: Site  # a listing page after the first, holding an item no other page lists
    listing: tuple[Any, ...]  # where the middle page keeps its list
    item: Site  # a response that carries one stored item
    item_at: tuple[Any, ...]  # where that item is in the body
    required: str  # a field of the item the spider cannot do without
    title: tuple[str, ...]  # the item's title, relative to the item
    stamp: str  # the column that orders the spider's feed (watermark) in bills or meetings
    first_is_only_way_in: bool = True
    # A listing page that links to the next one (whose items no other page lists), and where it says so.
    paged: Site | None = None
    paging: tuple[Any, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    rate_limited: str = RATE_LIMITED
    seed: Callable[[Path], None] | None = None

    @property
    def cassette(self) -> Path:
        return FIXTURES / self.source / "cassette.yml"

    def available(self) -> bool:
        return self.cassette.exists() and (REPO / "scrapers" / "spiders" / f"{self.source}.py").exists()


def _seed_tracked_state_bills(db_path: Path) -> None:
    from tests.test_openstates_events import seed

    seed(db_path)


UPSTREAMS = [
    Upstream("federal_register", first=Site("/documents.json"), middle=Site("/documents", (("page", "2"),)),
             listing=("results",), item=Site("/documents", (("page", "2"),)), item_at=("results", 0),
             required="document_number", title=("title",), stamp="published_date",
             paged=Site("/documents.json"), paging=("next_page_url",)),
    Upstream("congress", first=Site("/congress/current"), middle=Site("/bill/119", (("offset", "250"),)),
             listing=("bills",), item=Site("/bill/119/s/1367"), item_at=("bill",), required="number",
             title=("title",), stamp="source_updated_at", paged=Site("/bill/119", (("offset", None),)),
             paging=("pagination", "next"), env={"CONGRESS_API_KEY": "test-key-not-secret"}),
    Upstream("openstates", first=Site("/bills", (("page", "1"),)), middle=Site("/bills", (("page", "2"),)),
             listing=("results",), item=Site("/bills", (("page", "2"),)), item_at=("results", 0),
             required="identifier", title=("title",), stamp="source_updated_at",
             paged=Site("/bills", (("page", "1"),)), paging=("pagination",),
             # Its cassette records no bill texts (the legislatures' sites): test_bill_texts.py covers those.
             env={"OPENSTATES_API_KEY": "test-key-not-secret", "OPENSTATES_MINUTE_SECONDS": "0.6",
                  "AILABOR_TEXTS_PER_RUN": "0"},
             rate_limited=OPENSTATES_RATE_LIMITED),
    # Its listings all start at once; every document but one is listed twice (by docket, by search term).
    Upstream("regulations_gov", first=Site("/documents", (("filter[searchTerm]", "artificial intelligence"),)),
             middle=Site("/documents", (("filter[docketId]", "COLC-2023-0006"),)), listing=("data",),
             item=Site("/documents/NTIA-2023-0005-0001"), item_at=("data",), required="id",
             title=("attributes", "title"), stamp="source_updated_at", first_is_only_way_in=False,
             env={"DATA_GOV_API_KEY": "test-key-not-secret"}),
    Upstream("congress_hearings", first=Site("/congress/current"),
             middle=Site("/committee-meeting/119", (("offset", "3"),)), listing=("committeeMeetings",),
             item=Site("/committee-meeting/119/house/118530"), item_at=("committeeMeeting",), required="eventId",
             title=("title",), stamp="source_updated_at", paged=Site("/committee-meeting/119", (("offset", None),)),
             paging=("pagination", "next"), env={"CONGRESS_API_KEY": "test-key-not-secret"}),
    Upstream("openstates_events", first=Site("/events", (("jurisdiction", "ca"), ("page", "1"))),
             middle=Site("/events", (("jurisdiction", "ca"), ("page", "2"))), listing=("results",),
             item=Site("/events", (("jurisdiction", "ca"), ("page", "2"))), item_at=("results", 0), required="id",
             title=("name",), stamp="start", first_is_only_way_in=False,
             paged=Site("/events", (("jurisdiction", "ca"), ("page", "1"))), paging=("pagination",),
             env={"OPENSTATES_API_KEY": "test-key-not-secret", "OPENSTATES_MINUTE_SECONDS": "0.3"},
             rate_limited=OPENSTATES_RATE_LIMITED, seed=_seed_tracked_state_bills),
]


# Faults -------------------------------------------------------------------------------------------


def _like(good: Route, **changes: Any) -> Route:
    """A route answering the good route's requests, changed as the fault says; ``times`` None unless given."""
    return replace(good, **{"headers": dict(good.headers), "query": dict(good.query), "times": None, **changes})


def _json_body(good: Route, cassette: Cassette, change: Callable[[Any], None]) -> list[Route]:
    data = json.loads(cassette.body(good))
    change(data)
    return [_like(good, file=None, body=json.dumps(data))]


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


def _set_title(upstream: Upstream) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        item = _at(data, upstream.item_at)
        _at(item, upstream.title[:-1])[upstream.title[-1]] = WRONG_TYPE
    return change


def _drop_required(upstream: Upstream) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        del _at(data, upstream.item_at)[upstream.required]
    return change


def _wrong_paging(upstream: Upstream) -> Callable[[Any], None]:
    """The next link a number, or the pagination object wrapped in a list: a shape the spider does not expect."""
    def change(data: Any) -> None:
        holder, key = _at(data, upstream.paging[:-1]), upstream.paging[-1]
        holder[key] = [holder[key]] if isinstance(holder[key], dict) else WRONG_TYPE
    return change


def _empty_listing(upstream: Upstream) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        _at(data, upstream.listing[:-1])[upstream.listing[-1]] = []
    return change


Make = Callable[[Route, Cassette, Upstream], list[Route]]


@dataclass(frozen=True)
class Fault:
    """One way an upstream misbehaves, as data."""

    name: str
    what: str  # for the figures table
    persistent: bool
    make: Make  # the faulty routes, from the good one
    sites: tuple[str, ...] = ("middle",)  # "first", "middle", "item" or "paged" (where the upstream has one)
    env: dict[str, str] = field(default_factory=dict)
    recorded_as: tuple[str, ...] = ()  # the crawl_errors kinds, one of which the fault must leave at its site


FAULTS = [
    Fault("429_retry_after", "429 with Retry-After: 1, once", False,
          lambda r, c, u: [_like(r, status=429, file=None, body=u.rate_limited, headers={"Retry-After": "1"},
                                 times=1)]),
    Fault("429", "429 without Retry-After, once", False,
          lambda r, c, u: [_like(r, status=429, file=None, body=u.rate_limited, times=1)]),
    Fault("5xx_burst", "500, 502, 503 in a row", False,
          lambda r, c, u: [_like(r, status=s, file=None, body=ERROR_PAGE, times=1) for s in (500, 502, 503)],
          sites=("first", "middle")),
    Fault("timeout", f"no answer within the {DOWNLOAD_TIMEOUT:.0f} s download timeout, once", False,
          lambda r, c, u: [_like(r, delay=DOWNLOAD_TIMEOUT + 1.5, times=1)],
          env={"AILABOR_DOWNLOAD_TIMEOUT": str(DOWNLOAD_TIMEOUT)}),
    Fault("reset", "connection reset, once", False, lambda r, c, u: [_like(r, reset=True, times=1)]),
    Fault("5xx", "503 on every try", True, lambda r, c, u: [_like(r, status=503, file=None, body=ERROR_PAGE)],
          sites=("first", "middle")),
    Fault("429_spent", "429 on every try (quota spent)", True,
          lambda r, c, u: [_like(r, status=429, file=None, body=u.rate_limited)]),
    Fault("truncated_json", "JSON cut in half, status 200", True,
          lambda r, c, u: [_like(r, truncate=len(c.body(r)) // 2)]),
    Fault("html_200", "an HTML error page with status 200", True,
          lambda r, c, u: [_like(r, file=None, body=ERROR_PAGE, content_type="text/html; charset=utf-8")],
          sites=("first", "middle")),
    Fault("field_missing", "an item without a field it needs", True,
          lambda r, c, u: _json_body(r, c, _drop_required(u)), sites=("item",)),
    Fault("wrong_type", "an item whose title is a number", True,
          lambda r, c, u: _json_body(r, c, _set_title(u)), sites=("item",)),
    Fault("empty_page", "an empty page in the middle of a listing, totals intact", True,
          lambda r, c, u: _json_body(r, c, _empty_listing(u))),
    Fault("paging_wrong_type", "the next-page link a number, or the pagination a list", True,
          lambda r, c, u: _json_body(r, c, _wrong_paging(u)), sites=("paged",)),
    Fault("deep_json", f"JSON arrays nested {NESTING:,} deep, status 200", True,
          lambda r, c, u: [_like(r, file=None, body="[" * NESTING + "]" * NESTING)], sites=("first", "middle"),
          # As unreadable as a page cut in half (regulations_gov words every unusable answer as a bad_response).
          recorded_as=("invalid_json", "bad_response")),
]


@dataclass(frozen=True)
class Case:
    upstream: Upstream
    fault: Fault
    site: str

    @property
    def id(self) -> str:
        return f"{self.upstream.source}-{self.fault.name}-{self.site}"

    @property
    def expected_status(self) -> str:
        if not self.fault.persistent:
            return "ok"
        return "failed" if self.site == "first" and self.upstream.first_is_only_way_in else "partial"

    def routes(self) -> tuple[list[Route], list[Route]]:
        """The faulty cassette's routes, and the faulty routes within them."""
        cassette = Cassette.load(self.upstream.cassette)
        routes = cassette.routes
        index = getattr(self.upstream, self.site).find(routes)
        good = routes[index]
        faulty = self.fault.make(good, cassette, self.upstream)
        kept = [good] if not self.fault.persistent else []
        return routes[:index] + faulty + kept + routes[index + 1:], faulty


def cases() -> list[Case]:
    return [Case(u, f, site) for u in UPSTREAMS if u.available() for f in FAULTS for site in f.sites
            if getattr(u, site) is not None]


# Crawls in forked processes -----------------------------------------------------------------------

_PRELOAD = ["ailabor.cli", "ailabor.crawl", "scrapers.pipelines", "scrapers.middlewares", "ailabor.store.writer",
            "scrapy.crawler", "scrapy.core.downloader.handlers.http11", "scrapy.core.downloader.contextfactory"]
# Set while the forkserver starts, so that its import of this module warms it up (end of the module).
_SERVER = "AILABOR_FAULTS_FORKSERVER"
_context: Any = None
_context_lock = threading.Lock()


def _forkserver() -> Any:
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            # Nothing that reads the environment at import (scrapers.settings) may be preloaded.
            spiders = [f"scrapers.spiders.{u.source}" for u in UPSTREAMS if u.available()]
            context.set_forkserver_preload(["tests.faults", *_PRELOAD, *spiders])
            os.environ[_SERVER] = "1"
            try:
                multiprocessing.forkserver.ensure_running()
            finally:
                del os.environ[_SERVER]
            _context = context
        return _context


def _crawl_child(source: str, db_path: str, env: dict[str, str], out: str, err: str) -> None:
    os.environ.clear()
    os.environ.update(env)
    os.chdir(REPO)
    for name, fd in ((out, 1), (err, 2)):
        target = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(target, fd)
        os.close(target)
    from ailabor.cli import cli

    code = 0
    try:
        cli.main(args=["crawl", source, "--db", db_path], prog_name="ailabor")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def crawl_forked(source: str, server: ReplayServer, db_path: Path, env: dict[str, str] | None = None,
                 timeout: float = 120) -> CrawlResult:
    """``ailabor crawl SOURCE`` against a replay server, in a process forked from the preloaded server."""
    db.connect(db_path, create=True).close()
    with tempfile.TemporaryDirectory() as folder:
        out, err = Path(folder) / "stdout", Path(folder) / "stderr"
        process = _forkserver().Process(target=_crawl_child,
                                        args=(source, str(db_path), crawl_env(server, db_path, env), str(out),
                                              str(err)))
        process.start()
        process.join(timeout)
        if process.exitcode is None:
            process.kill()
            process.join()
        return CrawlResult(process.exitcode if process.exitcode is not None else -9,
                           out.read_text() if out.exists() else "", err.read_text() if err.exists() else "")


# What a database holds ----------------------------------------------------------------------------

_VOLATILE = ("first_seen_at", "updated_at")
_CHILDREN = {"actions": "bill_id", "sponsors": "bill_id", "versions": "bill_id", "bill_topics": "bill_id",
             "meeting_topics": "meeting_id", "meeting_bills": "meeting_id"}


@dataclass
class Snapshot:
    """The content of a database per item, its events and its last run, for comparisons."""

    items: dict[str, tuple]  # bill or meeting id → its row and its child rows
    stamps: dict[str, str | None]
    events: list[tuple]
    run: dict[str, Any]
    errors: list[dict[str, Any]]

    def count(self, source: str) -> int:
        """The items a source stored (a seeded database holds others)."""
        return sum(1 for row, _ in self.items.values() if dict(row).get("source") == source)


# Bookkeeping in source_meta of how a spider last reached an item, not of the item: the congress spider
# records the bill list's stamps, or only the detail's when a search or the summaries brought the bill.
_REACHED = ("list_update",)


def _rows(database: sqlite_utils.Database, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    rows = []
    for row in database.query(sql, params or []):
        kept = {k: v for k, v in row.items() if k not in _VOLATILE}
        if isinstance(kept.get("source_meta"), str):
            meta = json.loads(kept["source_meta"])
            if isinstance(meta, dict):
                kept["source_meta"] = json.dumps({k: v for k, v in meta.items() if k not in _REACHED}, sort_keys=True)
        rows.append(kept)
    return rows


def snapshot(db_path: Path, source: str, stamp: str) -> Snapshot:
    database = sqlite_utils.Database(db_path)
    items: dict[str, tuple] = {}
    stamps: dict[str, str | None] = {}
    for table in ("bills", "meetings"):
        columns = {c.name for c in database[table].columns}
        for row in _rows(database, f"SELECT * FROM {table} ORDER BY id"):
            children = tuple(
                tuple(tuple(sorted(child.items())) for child in _rows(
                    database, f"SELECT * FROM {child_table} WHERE {key} = ? ORDER BY 1, 2, 3", [row["id"]]))
                for child_table, key in _CHILDREN.items() if key[:-3] == table[:-1])
            items[row["id"]] = (tuple(sorted(row.items())), children)
            stamps[row["id"]] = row.get(stamp) if stamp in columns else None
    events = [tuple(r.values()) for r in database.query(
        "SELECT kind, bill_id, meeting_id, summary FROM events ORDER BY id")]
    run = next(database.query("SELECT * FROM crawl_runs WHERE source = ? ORDER BY id DESC LIMIT 1", [source]), {})
    errors = list(database.query("SELECT kind, url, message FROM crawl_errors WHERE run_id = ?", [run.get("id")]))
    database.close()
    return Snapshot(items, stamps, events, dict(run), errors)


def moment(stamp: str) -> datetime:
    """A date or an ISO date-time as an aware moment, so that watermarks and item stamps compare."""
    parsed = datetime.fromisoformat(stamp.strip().replace("Z", "+00:00").replace(" ", "T"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def duplicate_events(events: list[tuple], clean: list[tuple]) -> int:
    """Events repeated beyond what a clean crawl writes: a ``*_new`` twice, or any event told twice."""
    allowed = Counter(clean)
    return sum(n - max(1, allowed[e]) for e, n in Counter(events).items() if n > max(1, allowed[e]))


# Running a case -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a case left: the database after the faulty crawl and after the rerun, and how often the fault struck."""

    faulty: Snapshot
    result: CrawlResult
    fault_hits: int
    rerun: Snapshot | None = None
    rerun_result: CrawlResult | None = None

    @property
    def runs(self) -> int:
        return 1 + (self.rerun is not None)


def _crawl(upstream: Upstream, routes: list[Route], db_path: Path, env: dict[str, str] | None = None
           ) -> tuple[CrawlResult, ReplayServer]:
    server = ReplayServer(Cassette(routes, upstream.cassette.parent)).start()
    try:
        return crawl_forked(upstream.source, server, db_path, {**upstream.env, **(env or {})}), server
    finally:
        server.stop()


def run_clean(upstream: Upstream, folder: Path) -> Outcome:
    """The crawl every case is compared with: the cassette as recorded."""
    db_path = folder / f"clean-{upstream.source}.db"
    if upstream.seed:
        upstream.seed(db_path)
    result, _ = _crawl(upstream, Cassette.load(upstream.cassette).routes, db_path)
    return Outcome(snapshot(db_path, upstream.source, upstream.stamp), result, 0)


def run_case(case: Case, folder: Path) -> Outcome:
    """The crawl under the fault; after a persistent fault, a rerun of the same database without it."""
    db_path = folder / f"{case.id}.db"
    if case.upstream.seed:
        case.upstream.seed(db_path)
    routes, faulty = case.routes()
    result, server = _crawl(case.upstream, routes, db_path, case.fault.env)
    hits = sum(1 for h in server.hits if any(h.route is r for r in faulty))
    outcome = Outcome(snapshot(db_path, case.upstream.source, case.upstream.stamp), result, hits)
    if case.fault.persistent:
        outcome.rerun_result, _ = _crawl(case.upstream, Cassette.load(case.upstream.cassette).routes, db_path)
        outcome.rerun = snapshot(db_path, case.upstream.source, case.upstream.stamp)
    return outcome


# Figures ------------------------------------------------------------------------------------------


@dataclass
class Figure:
    fault: Fault
    case: str
    runs: int
    items: int
    losses: int
    duplicates: int
    passed: bool


FIGURES: list[Figure] = []


def figures_table(figures: list[Figure]) -> str:
    """One row per fault: the spiders and sites it struck, the runs, the items they ended with, and what was lost."""
    lines = ["| fault | kind | cases | runs | items | losses | duplicates |",
             "|---|---|---:|---:|---:|---:|---:|"]
    totals = Counter()
    for fault in FAULTS:
        rows = [f for f in figures if f.fault is fault]
        if not rows:
            continue
        sums = Counter(cases=len(rows), runs=sum(f.runs for f in rows), items=sum(f.items for f in rows),
                       losses=sum(f.losses for f in rows), duplicates=sum(f.duplicates for f in rows))
        totals += sums
        kind = "persistent" if fault.persistent else "transient"
        lines.append(f"| {fault.name}: {fault.what} | {kind} | {sums['cases']} | {sums['runs']} | {sums['items']}"
                     f" | {sums['losses']} | {sums['duplicates']} |")
    lines.append(f"| **all {len({f.fault.name for f in figures})} faults** | | {totals['cases']} | {totals['runs']}"
                 f" | {totals['items']} | {totals['losses']} | {totals['duplicates']} |")
    return "\n".join(lines)


#: The attacks and operator mistakes an adversarial review reproduced, each shown to hold by the tests marked
#: ``@pytest.mark.review(KEY)`` (they join the fault suite). A test may add figures with pytest's
#: ``record_property``: ``runs`` (crawls or digests made), ``lost`` (rows missing at the end) and ``duplicates``.
REVIEW = {
    "callback_exception": "an exception escaping a spider's callback, errback, start or pipeline stage",
    "local_failure": "a failure of ours taken for a record broken upstream: a store error run after run, a database"
                     " made by a newer version or damaged, one version link that is not a web address",
    "bad_selector": "an agency page whose configured selector is invalid",
    "echoed_key": "an API key echoed in an upstream's answer",
    "redirected_key": "a redirect to another host, which would carry the API key",
    "foreign_link": "a next-page link to another host or scheme (file:///etc/hostname)",
    "oversized": "a gzip bomb, a response past the size limit, a field past its length",
    "director_face": "password guessing, malformed Authorization headers, non-ASCII passwords, another Host name",
    "public_face": "file paths, debug pages, security headers, spreadsheet formulas in CSV cells",
    "bad_goodbye": "a mail server that accepts a digest, then fails at QUIT",
    "refused_recipient": "a recipient the mail server refuses",
    "source_health": "a digest sent after sources failed, were skipped or stopped early",
    "publish_switch": "a publish while the public face is serving",
    "operator_mistake": "files not UTF-8, values of the wrong type, line breaks in DIGEST_FROM, corrupt or missing"
                        " databases and snapshots, a mistyped AILABOR_DB",
}
FIGURE_PROPERTIES = ("runs", "lost", "duplicates")


@dataclass
class Reviewed:
    key: str
    test: str
    passed: bool
    figures: dict[str, int]


REVIEWED: list[Reviewed] = []


def reviewed(key: str, test: str, passed: bool, properties: list[tuple[str, object]]) -> None:
    if key not in REVIEW:
        raise KeyError(f"review({key!r}): not one of {', '.join(REVIEW)}")
    figures = {name: int(value) for name, value in properties if name in FIGURE_PROPERTIES}  # type: ignore[call-overload]
    REVIEWED.append(Reviewed(key, test, passed, figures))


def review_table(rows: list[Reviewed]) -> str:
    """One row per finding: its tests, the cases that passed, and the figures the tests recorded."""
    lines = ["| what was tried | tests | cases | passed | runs | rows lost | duplicates |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for key, what in REVIEW.items():
        mine = [r for r in rows if r.key == key]
        if not mine:
            continue
        files = sorted({r.test.split("::")[0].removeprefix("tests/") for r in mine})
        sums = [str(sum(r.figures[p] for r in mine if p in r.figures))
                if any(p in r.figures for r in mine) else "" for p in FIGURE_PROPERTIES]
        lines.append(f"| {what} | {', '.join(files)} | {len(mine)} | {sum(r.passed for r in mine)} | "
                     + " | ".join(sums) + " |")
    return "\n".join(lines)


RELIABILITY = REPO / "docs" / "reliability.md"


def reliability_page(figures: list[Figure], reviewed_rows: list[Reviewed]) -> str:
    sources = sorted({f.case.split("-")[0] for f in figures})
    return f"""# Reliability under upstream faults

Produced by the fault suite (`pytest -m faults`, tests/test_faults.py; written here with
`AILABOR_WRITE_RELIABILITY=1`). Each API spider that has a recorded cassette is crawled
against its cassette with one fault injected into its first request, a page in the middle
of a listing, or one item (tests/faults.py holds the faults as data); after a persistent fault
the same database is crawled again without it. A case passes when every good item is
stored exactly once, every bad one is in `crawl_errors`, the run ends `ok` (transient
fault) or `partial`/`failed` (persistent) with the watermark short of what it lost, and
the rerun leaves the same bills, actions, sponsors, versions, meetings and topics as a
crawl that met no fault, with no event told twice.

Spiders: {", ".join(sources)}.

- **cases**: spider × place the fault was injected.
- **runs**: crawls made under the fault and the reruns after it.
- **items**: bills and meetings held at the end of the cases (after the rerun).
- **losses**: items missing or different from the clean crawl at the end.
- **duplicates**: events beyond those of a clean crawl (an item reported new twice, an action told twice).

{figures_table(figures)}

{sum(f.passed for f in figures)} of {len(figures)} cases passed.
{review_section(reviewed_rows)}"""


def review_section(rows: list[Reviewed]) -> str:
    if not rows:
        return ""
    return f"""
## Attacks and mistakes

An adversarial review tried the tracker as an attacker and as a careless operator would. Each
row is a class of what it tried; the tests that show the tracker holds are marked
`review` and run with the fault suite. Runs, rows lost and duplicates are summed over
the tests that count them (blank: the tests of that row make no crawl or digest).

{review_table(rows)}

{sum(r.passed for r in rows)} of {len(rows)} cases passed.
"""


def report_figures(terminalreporter: Any) -> None:
    """Print the figures table after a session that ran fault cases, and write docs/reliability.md if asked."""
    if not FIGURES and not REVIEWED:
        return
    terminalreporter.section("fault suite figures")
    if FIGURES:
        terminalreporter.write_line(figures_table(FIGURES))
    if REVIEWED:
        terminalreporter.write_line(review_table(REVIEWED))
    if os.environ.get("AILABOR_WRITE_RELIABILITY") == "1":
        RELIABILITY.parent.mkdir(exist_ok=True)
        RELIABILITY.write_text(reliability_page(FIGURES, REVIEWED))
        terminalreporter.write_line(f"written to {RELIABILITY.relative_to(REPO)}")


if os.environ.get(_SERVER):
    # In the forkserver, before any crawl is forked: topics.yml compiled once, inherited by every crawl.
    from ailabor.relevance import load_taxonomy

    load_taxonomy()
