"""The bill spiders' request economy, measured on the emulated upstreams with a synthetic world at real scale.

``congress`` and ``openstates`` no longer talk to one API each: the federal
spider screens bills on govinfo's BILLSTATUS files and ZIPs, searches
govinfo's full text and reads texts there; the state spider runs several
searches, title scans and re-reads and reads texts from the legislatures.
ailabor/testing/emulators serves all of that from bill facts, so this module builds
a synthetic world (bench/synthetic.py), serves it on 127.0.0.1 and runs the
spiders as the scheduler does (``python -m ailabor.cli crawl SOURCE`` in a
child process), counting every request the server sees, by kind:

1. the federal backfill, one Congress.gov hour at a time (the emulator's
   5,000 an hour; a run that stops at the spider's reserve resumes in a new
   hour), and what screening every bill on Congress.gov would have cost;
2. the Open States backfill, one quota day at a time (250 a day, a new day
   between runs), then a week: each day the upstream moves (new bills, new
   texts, new CRS summaries, actions, a bulk re-stamp of federal bills) and
   each spider runs once; then a run with nothing changed;
3. time to discovery: which relevant new bills each daily run stored as
   relevant, judged by the classifier on the facts visible that day.

"Needed" is worked out from the facts, not from the spider: the least
requests a client that knew what it knows after the previous run would make
for the same facts (one listing across Congresses; each bill screened once,
again only once CRS has indexed its subjects; one detail per candidate that
changed and each sub-resource whose count moved; each search's pages of
changes; Open States re-reads and the sessions lookup as the design needs
them). The simulated calendar (ten days before today, one run a day) is
written into crawl_runs and first_seen_at, so ``ailabor status``'s discovery
lines read the database as they would in production; the requests do not
depend on it.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ailabor.records import bill_id
from ailabor.relevance import MAX_SEARCH_PHRASES, Taxonomy, load_taxonomy
from ailabor.testing.emulators import Dataset, EmulatorServer, Options
from ailabor.testing.emulators.common import pg_text
from ailabor.testing.emulators.dataset import FedRecord, StateRecord
from ailabor.testing.emulators.govsearch import parse
from ailabor.testing.emulators.textsearch import websearch_to_tsquery
from ailabor.testing.replay import Hit
from bench.synthetic import ABSTRACTS, UNSEARCHABLE, Plan, make_plan

ROOT = Path(__file__).resolve().parent.parent
HOURLY = 5_000  # Congress.gov with a key
CONGRESS_RESERVE = 100  # sources.yml congress quota_reserve
DAILY = 250  # Open States' default key
OPENSTATES_RESERVE = 20  # sources.yml openstates quota_reserve, kept for openstates_events
MAX_HOURS = 8
MAX_DAYS = 10
PAGE = 250  # Congress.gov's largest page
STATE_PAGE = 20
ZIP_THRESHOLD = 300  # sources.yml billstatus_zip_threshold
SUB_RESOURCES = {"actions": "actions", "cosponsors": "cosponsors", "subjects": "subjects", "summaries": "summaries",
                 "text": "textVersions", "titles": "titles"}
KEY_KINDS = ("searches", "title scans", "re-reads", "/jurisdictions", "other /bills")


# Crawling -----------------------------------------------------------------------------------------------------


@dataclass
class Run:
    """One crawl: its run row, the requests the server saw during it, and when it ran (real and simulated)."""

    source: str
    label: str
    hits: list[Hit]
    row: dict[str, Any]
    started: datetime
    ended: datetime
    kinds: Counter[str] = field(default_factory=Counter)

    @property
    def status(self) -> str:
        return str(self.row["status"])

    @property
    def refused(self) -> int:
        return sum(1 for h in self.hits if h.status == 429)

    def congress_gov(self) -> int:
        return sum(n for kind, n in self.kinds.items() if kind.startswith("Congress.gov"))

    def key_requests(self) -> int:
        return sum(self.kinds.get(kind, 0) for kind in KEY_KINDS)

    def texts(self) -> int:
        return self.kinds.get("texts", 0)


def crawl(source: str, server: EmulatorServer, db_file: Path, label: str) -> Run:
    """``ailabor crawl SOURCE`` in its own process against the emulator; the requests are the server's hits."""
    import db

    db.connect(db_file, create=True).close()
    env = dict(os.environ, AILABOR_DB=str(db_file), OPENSTATES_API_KEY="bench-key", CONGRESS_API_KEY="bench-key",
               DATA_GOV_API_KEY="bench-key", OPENSTATES_MINUTE_SECONDS="0.01", AILABOR_DOWNLOAD_DELAY="0",
               AILABOR_RETRY_BACKOFF="0.05", AILABOR_LOG_LEVEL="WARNING")
    for var in ("CONGRESS_API_URL", "OPENSTATES_API_URL", "GOVINFO_URL", "GOVINFO_API_URL", "AILABOR_TEXT_BASE_URL"):
        env[var] = server.url
    with server._lock:
        first = len(server.hits)
    started = datetime.now(UTC)
    done = subprocess.run([sys.executable, "-m", "ailabor.cli", "crawl", source, "--db", str(db_file)], env=env,
                          cwd=ROOT, capture_output=True, text=True, check=False, timeout=7200)
    ended = datetime.now(UTC)
    if "Traceback" in done.stderr:
        sys.stderr.write(done.stderr[done.stderr.rindex("Traceback"):][-3000:])
    with sqlite3.connect(db_file) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM crawl_runs WHERE source = ? ORDER BY id DESC LIMIT 1", [source]).fetchone()
    if row is None:
        raise SystemExit(f"{source}: the crawl recorded no run:\n{done.stdout}\n{done.stderr[-3000:]}")
    with server._lock:
        hits = list(server.hits[first:])
    run = Run(source, label, hits, dict(row), started, ended)
    run.kinds = kinds_of(hits)
    return run


def kinds_of(hits: list[Hit]) -> Counter[str]:
    """Each request's kind, from its path (a bill's /titles before its detail is screening, after it a part)."""
    out: Counter[str] = Counter()
    detailed: set[str] = set()
    for hit in hits:
        path = hit.path[3:] if hit.path.startswith("/v3/") else hit.path
        parts = [p for p in path.split("/") if p]
        first = parts[0] if parts else ""
        if parts == ["congress", "current"]:
            kind = "Congress.gov /congress/current"
        elif first == "summaries":
            kind = "Congress.gov summary pages"
        elif first == "bill" and len(parts) <= 3:
            kind = "Congress.gov bill list pages"
        elif first == "bill" and len(parts) == 4:
            detailed.add("/".join(parts[1:4]))
            kind = "Congress.gov details"
        elif first == "bill":
            key = "/".join(parts[1:4])
            kind = "Congress.gov /titles (screening)" if parts[4] == "titles" and key not in detailed \
                else "Congress.gov sub-resources"
        elif first == "bulkdata":
            kind = "BILLSTATUS ZIPs" if path.endswith(".zip") else "BILLSTATUS files"
        elif first == "search":
            kind = "govinfo searches"
        elif first in ("packages", "collections"):
            kind = "govinfo packages"
        elif first == "bills":
            kind = "searches" if "q" in hit.query else "re-reads" if "identifier" in hit.query else \
                "title scans" if "jurisdiction" in hit.query else "other /bills"
        elif first == "jurisdictions":
            kind = "/jurisdictions"
        else:
            kind = "texts"  # govinfo /content/pkg, the legislatures' pages
        out[kind] += 1
    return out


def out_of_quota(run: Run) -> bool:
    """Whether a run stopped because the hour's or the day's requests were spent (it resumes in the next)."""
    message = str(run.row["message"] or "").lower()
    return run.status == "partial" and ("quota" in message or "budget" in message)


def new_hour(server: EmulatorServer) -> None:
    """An hour passes at Congress.gov: the emulator's rolling-hour count starts again (its only clock is real)."""
    with server.dataset.lock:
        server.congress._calls.clear()


# The simulated calendar ------------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def simulate(db_file: Path, run: Run, at: datetime, listed: list[tuple[datetime, datetime]]) -> None:
    """Write the run's simulated time into crawl_runs and into what it stored first (first_seen_at), shifting
    real times by one offset so their order holds; Open States' created_at of bills that appeared during the
    week moves to the evening of their day (``listed``: real moment of each advance, its simulated moment)."""
    offset = at - run.started
    with sqlite3.connect(db_file) as conn:
        conn.execute("UPDATE crawl_runs SET started_at = ?, finished_at = ? WHERE id = ?",
                     [_iso(at), _iso(run.ended + offset), run.row["id"]])
        rows = conn.execute("SELECT id, first_seen_at, json_extract(source_meta, '$.created_at') FROM bills"
                            " WHERE first_seen_at >= ?", [_iso(run.started)]).fetchall()
        updates = []
        for key, seen, created in rows:
            moved = _iso(datetime.fromisoformat(seen) + offset)
            created_at = created
            if created and listed:
                real = datetime.fromisoformat(created)
                real = real if real.tzinfo else real.replace(tzinfo=UTC)
                before = [(r, s) for r, s in listed if r <= real]
                if before:
                    r, s = before[-1]
                    created_at = (s + (real - r)).isoformat()
            updates.append((moved, created_at, key))
        conn.executemany("UPDATE bills SET first_seen_at = ?, source_meta = CASE WHEN ?2 IS NULL THEN source_meta"
                         " ELSE json_set(source_meta, '$.created_at', ?2) END WHERE id = ?3", updates)
        conn.commit()


def skip_overlap(db_file: Path, run: Run, hours: float) -> None:
    """Move a complete run's watermarks forward by the spider's overlap, never past the run's start.

    A simulated day's changes are stamped seconds after the previous run (all
    with the one instant of ``Dataset.advance``), where a real day's fall
    hours after it: without this, each run's 2-hour overlap would re-read the
    whole previous day. Only complete runs are moved (a partial one resumes
    exactly where it stopped), and never past the run's start (rounded up to
    the second, as the spiders send whole seconds), before which nothing is
    stamped that the run did not see.
    """
    if run.status != "ok":
        return
    shift = timedelta(hours=hours)

    def moved(stamp: str) -> str:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        out = min(moment, run.started)
        # The spiders send whole seconds: round up, past every stamp of the change just before the run.
        out = (out.replace(microsecond=0) + timedelta(seconds=1) if out.microsecond else out) + shift
        return out.strftime("%Y-%m-%dT%H:%M:%SZ") if stamp.endswith("Z") else out.isoformat()

    with sqlite3.connect(db_file) as conn:
        watermark, raw = conn.execute("SELECT watermark, details FROM crawl_runs WHERE id = ?",
                                      [run.row["id"]]).fetchone()
        info = json.loads(raw) if raw else {}
        if isinstance(info.get("_marks"), dict):
            info["_marks"] = {k: moved(v) for k, v in info["_marks"].items()}
        conn.execute("UPDATE crawl_runs SET watermark = ?, details = ? WHERE id = ?",
                     [moved(watermark) if watermark else watermark, json.dumps(info) if raw else raw, run.row["id"]])
        conn.commit()


def debug(run: Run, need: FederalNeed | StateNeed) -> None:
    """With BENCH_DEBUG=1: what the spider asked for that a client needed not, and the reverse, on stderr."""
    if isinstance(need, FederalNeed):
        made = {"/".join(h.path.strip("/").split("/")[1:4]) for h in run.hits
                if h.path.startswith("/bill/") and len(h.path.strip("/").split("/")) == 4}
        print(f"DEBUG {run.label}: details made, not needed: {sorted(made - need.fetch_keys)[:20]}; "
              f"needed, not made: {sorted(need.fetch_keys - made)[:20]}", file=sys.stderr)
        with sqlite3.connect(need.db_file) as conn:
            for key in sorted(made - need.fetch_keys)[:5]:
                r = need.ds.fed_by_key[key]
                meta = conn.execute("SELECT source_meta FROM bills WHERE source_id = ?", [key]).fetchone()
                print(f"  {key}: introduced {r.bill.introduced}, stamps {r.updated} / {r.updated_including_text}, "
                      f"as a client saw them {need.stamps.get(r.n)}; stored {meta[0][:300] if meta else None}",
                      file=sys.stderr)
    else:
        asked = [(h.query["jurisdiction"][0], len(h.query["identifier"])) for h in run.hits if "identifier" in h.query]
        print(f"DEBUG {run.label}: {len(asked)} re-reads (jurisdiction, identifiers): {asked[:60]}; needed for "
              f"{len(need.reread_ids)} bills: {sorted(need.reread_ids)[:60]}", file=sys.stderr)


# What a client needs: federal ---------------------------------------------------------------------------------


def pages(count: int, size: int) -> int:
    return math.ceil(count / size) if count else 0


class FederalNeed:
    """The least requests for the federal facts, run after run: what a client knowing the facts would ask."""

    def __init__(self, server: EmulatorServer, tax: Taxonomy, db_file: Path,
                 congresses: tuple[int, ...] = (119, 118)) -> None:
        self.server, self.ds, self.tax, self.db_file, self.congresses = server, server.dataset, tax, db_file, congresses
        self.fetch_keys: set[str] = set()  # the details the last run needed, for debug()
        self.since: datetime | None = None
        self.stored: set[int] = set()
        self.counts: dict[int, dict[str, int]] = {}
        self.stamps: dict[int, tuple[datetime, datetime]] = {}
        self.screened: dict[int, bool] = {}  # record → CRS had indexed its subjects when it was screened

    def visible(self) -> list[FedRecord]:
        return [r for r in self.ds.federal if r.visible and r.bill.congress in self.congresses]

    def text_hits(self, since: datetime | None) -> tuple[set[int], set[int], list[int]]:
        """Records whose visible text any AI phrase finds (govinfo's search), those whose matching text changed
        since ``since``, and each query's pages of those."""
        from scrapers.spiders.congress import govinfo_query

        index = self.server.govinfo.index()
        phrases = self.tax.bill_search_phrases()
        found: set[int] = set()
        fresh_found: set[int] = set()
        query_pages = []
        for i in range(0, len(phrases), MAX_SEARCH_PHRASES):
            query = parse(govinfo_query(phrases[i:i + MAX_SEARCH_PHRASES], self.congresses, None))
            packages = [self.ds.packages[n] for n in index.evaluate(query, self.ds.visible_packages)]
            found |= {p.record.n for p in packages}
            fresh = [p for p in packages if since is None or p.last_modified > since]
            fresh_found |= {p.record.n for p in fresh}
            query_pages.append(max(1, pages(len(fresh), 1000)))
        return found, fresh_found, query_pages

    def screen_says_ai(self, record: FedRecord) -> bool:
        bill = record.bill
        fields: list[tuple[str, str | None]] = [("title", bill.display_title), ("title", bill.official_title),
                                                *(("title", t) for t in bill.short_titles)]
        if record.has_subjects:
            fields += [("subjects", s) for s in [bill.policy_area or "", *bill.subjects]]
        if record.has_summary and bill.summary:
            fields.append(("summary", bill.summary.text))
        return bool(self.tax.classify_parts(fields).ai_matched)

    def run(self) -> Counter[str]:
        """What this run needs (the window since the previous run), then remember what a client now knows."""
        need: Counter[str] = Counter()
        since = self.since
        records = self.visible()
        changed = [r for r in records if since is None or r.updated > since]
        need["Congress.gov bill list pages"] = max(1, pages(len(changed), PAGE))
        # On a first run BILLSTATUS carries every summary the feed would (the spider still reads the feed's last
        # summaries_lookback_days, for a BILLSTATUS lag the emulator does not have).
        if since is not None:
            need["Congress.gov summary pages"] = pages(sum(1 for r in records if r.has_summary
                                                           and r.summary_updated > since), PAGE)
        text_found, fresh_text, query_pages = self.text_hits(since)
        need["govinfo searches"] = sum(query_pages)
        titled = {r.n for r in records if self.tax.mentions_ai(r.bill.display_title)}
        groups: dict[tuple[int, str], list[FedRecord]] = {}
        lagged = 0
        for record in changed:
            n = record.n
            if n in self.stored or n in titled or n in fresh_text:
                continue  # fetched anyway: no need to screen it
            if n in self.screened and (self.screened[n] or not record.has_subjects):
                continue
            if self.ds.in_billstatus(record):
                groups.setdefault((record.bill.congress, record.bill.type), []).append(record)
            else:
                lagged += 1
        for group in groups.values():
            if len(group) > ZIP_THRESHOLD:
                need["BILLSTATUS ZIPs"] += 1
            else:
                need["BILLSTATUS files"] += len(group)
        need["Congress.gov /titles (screening)"] = lagged
        summary_ai = {r.n for r in records if r.has_summary and r.bill.summary
                      and (since is None or r.summary_updated > since) and self.tax.mentions_ai(r.bill.summary.text)}
        candidates = {r.n for r in records if r.n in titled or r.n in text_found or r.n in summary_ai
                      or self.screen_says_ai(r)}
        fetch = [r for r in records if (r.n in candidates and r.n not in self.stored)
                 or (r.n in self.stored and self.stamps.get(r.n) != (r.updated, r.updated_including_text))]
        need["Congress.gov details"] = len(fetch)
        self.fetch_keys = {r.key for r in fetch}
        for record in fetch:
            counts = self.server.congress.counts(record)
            now = {part: counts[key] for part, key in SUB_RESOURCES.items()}
            old = self.counts.get(record.n, {})
            need["Congress.gov sub-resources"] += sum(pages(c, PAGE) for p, c in now.items() if c and c != old.get(p))
            self.counts[record.n] = now
        for record in changed:
            if record.n not in candidates and record.n not in titled:
                self.screened[record.n] = self.ds.in_billstatus(record) and record.has_subjects
        self.stored |= candidates
        self.stamps = {r.n: (r.updated, r.updated_including_text) for r in records if r.n in self.stored}
        self.since = datetime.now(UTC)
        return need

    def screened_bills(self) -> int:
        return len(self.screened)


# What a client needs: Open States -----------------------------------------------------------------------------


class StateNeed:
    """The least key requests for the state facts: each search's and title scan's pages of changes, the re-reads
    and the sessions lookup as the design needs them."""

    def __init__(self, ds: Dataset, tax: Taxonomy, db_file: Path, title_scan: list[str], backfill_start: str) -> None:
        self.ds, self.tax, self.db_file, self.title_scan = ds, tax, db_file, title_scan
        self.since = f"{backfill_start} 00:00:00"
        self.first = True
        self.reread_ids: set[str] = set()  # the bills the last run needed to re-read, for debug()

    def run(self) -> Counter[str]:
        need: Counter[str] = Counter()
        index = self.ds.state_index()
        since = self.since
        searched: set[int] = set()
        for q in self.tax.openstates_queries():
            node = websearch_to_tsquery(q)
            found = [self.ds.states[n] for n in (index.search(node) if node is not None else ())]
            fresh = [r for r in found if r.visible and r.updated_text >= since]
            searched |= {r.n for r in fresh}
            need["searches"] += max(1, pages(len(fresh), STATE_PAGE))
        for code in self.title_scan:
            feed = self.ds.state_feeds.get(code)
            scanned = [r for r in feed.records if r.updated_text >= since] if feed else []
            searched |= {r.n for r in scanned if self.tax.mentions_ai(" ; ".join(
                [r.title, *r.bill.other_titles, r.bill.digest if code in ABSTRACTS and r.bill.digest else ""]))}
            need["title scans"] += max(1, pages(len(scanned), STATE_PAGE))
        if self.first:
            need["/jurisdictions"] = 1
        else:
            followed = self.followed()
            ids = {bill_id(r.bill.jurisdiction, r.bill.session, r.bill.identifier) for r in
                   (self.ds.states[n] for n in searched)}
            by_state = Counter(j for key, j in followed if key not in ids)
            self.reread_ids = {key for key, _ in followed if key not in ids}
            need["re-reads"] = sum(pages(n, 20) for n in by_state.values())
        self.first = False
        self.since = pg_text(datetime.now(UTC))
        return need

    def followed(self) -> list[tuple[str, str]]:
        """The bills the spider re-reads by identifier (its own query, on the database before the run)."""
        since = (datetime.now(UTC) - timedelta(days=365)).date().isoformat()
        with sqlite3.connect(self.db_file) as conn:
            return conn.execute(
                "SELECT id, jurisdiction FROM bills WHERE source = 'openstates' AND ("
                " (relevant = 1 AND coalesce(status, '') NOT IN ('enacted', 'failed', 'withdrawn')"
                "  AND coalesce(latest_action_date, introduced_date, '') >= ?)"
                " OR id IN (SELECT bill_id FROM positions) OR id IN (SELECT bill_id FROM watchlist))",
                [since]).fetchall()


# Discovery ------------------------------------------------------------------------------------------------------


@dataclass
class NewBill:
    """A bill that appeared during the week: when, whether it is relevant on what was visible, when stored so."""

    id: str
    source: str
    day: int
    how: str  # what of it says AI and work: title, text ...
    found: int | None = None  # the run (day) that first stored it relevant


def federal_how(tax: Taxonomy, record: FedRecord) -> tuple[bool, str]:
    """Whether a new federal bill is relevant on what is visible (titles, text), and where its AI shows."""
    bill = record.bill
    titles = [("title", bill.display_title), ("title", bill.official_title), *(("title", t) for t in bill.short_titles)]
    text = record.visible_versions()[-1].text if record.n_versions else None
    if not tax.classify_parts(titles, text=text).relevant:
        return False, ""
    if tax.mentions_ai(bill.display_title):
        return True, "display title"
    return True, "official or short title" if tax.classify_parts(titles).ai_matched else "text only"


def state_how(tax: Taxonomy, record: StateRecord) -> tuple[bool, str]:
    bill = record.bill
    digest = bill.digest if bill.jurisdiction in ABSTRACTS else None
    text = record.visible_versions()[-1].text if record.n_versions else None
    verdict = tax.classify_bill(record.title, bill.other_titles, digest, bill.subjects, text)
    if not verdict.relevant:
        return False, ""
    short = tax.classify_bill(record.title, bill.other_titles, digest, bill.subjects)
    how = "title or abstract" if short.relevant else "text only"
    if bill.jurisdiction in UNSEARCHABLE:
        how += " (text not searchable)"
    return True, how


def new_bills(plan: Plan, ds: Dataset, tax: Taxonomy, day: int) -> list[NewBill]:
    """The relevant bills that appeared on ``day`` (the dataset is as of that day)."""
    out = []
    for key, n in plan.new_on.items():
        if n != day:
            continue
        if key in ds.fed_by_key:
            fed = ds.fed_by_key[key]
            relevant, how = federal_how(tax, fed)
            if relevant:
                b = fed.bill
                from scrapers.upstream.congress import bill_key

                out.append(NewBill(bill_key(b.congress, b.type, b.number), "congress", day, how))
        else:
            j, session, identifier = key.split("/", 2)
            from ailabor.testing.emulators import render

            state = ds.state_by_key[(j, session, render.bill_id_key(identifier))]
            relevant, how = state_how(tax, state)
            if relevant:
                out.append(NewBill(bill_id(j, session, identifier), "openstates", day, how))
    return out


def mark_found(db_file: Path, bills: list[NewBill], day: int) -> None:
    with sqlite3.connect(db_file) as conn:
        relevant = {r[0] for r in conn.execute("SELECT id FROM bills WHERE relevant = 1")}
    for bill in bills:
        if bill.found is None and bill.id in relevant:
            bill.found = day


# The whole measurement ---------------------------------------------------------------------------------------


@dataclass
class Results:
    """Everything measured, for the report."""

    scale: float
    plan: Plan
    setup_seconds: float = 0.0
    fed_backfill: list[Run] = field(default_factory=list)
    fed_backfill_need: Counter[str] = field(default_factory=Counter)
    fed_screened: int = 0
    backfill_backlog: dict[str, int] = field(default_factory=dict)  # texts worth reading left after each backfill
    state_backfill: list[Run] = field(default_factory=list)
    state_backfill_need: Counter[str] = field(default_factory=Counter)
    days: list[dict[str, Any]] = field(default_factory=list)
    idle: dict[str, Any] = field(default_factory=dict)
    discovery: list[NewBill] = field(default_factory=list)
    lag_lines: list[str] = field(default_factory=list)
    stale_texts: tuple[int, int] = (0, 0)  # stored bills whose newest text is not stored, of those given one
    stemming: Any = None


def text_backlog_size(db_file: Path, source: str) -> int:
    import db
    from ailabor.store.texts import text_backlog

    return len(text_backlog(db.connect(db_file), source, 1_000_000))


def stale_federal_texts(ds: Dataset, db_file: Path, before: dict[int, int]) -> tuple[int, int]:
    """Of the stored federal bills given a new text version during the week (``before``: visible versions at its
    start), how many have not stored it, and how many there are."""
    from scrapers.upstream.congress import bill_key

    with sqlite3.connect(db_file) as conn:
        versions = Counter(r[0] for r in conn.execute("SELECT bill_id FROM versions WHERE bill_id LIKE 'us-%'"))
        stored = {r[0] for r in conn.execute("SELECT id FROM bills WHERE source = 'congress'")}
    stale = given = 0
    for record in ds.federal:
        key = bill_key(record.bill.congress, record.bill.type, record.bill.number)
        if key in stored and before.get(record.n, 0) and record.n_versions > before[record.n]:
            given += 1
            stale += record.n_versions > versions.get(key, 0)
    return stale, given


def measure(scale: float, seed: int, work: Path, days: int = 7,
            sources: tuple[str, ...] = ("congress", "openstates")) -> Results:
    """Build the world, run every phase for the sources asked for, and gather the figures."""
    from ailabor.config import source_config
    from ailabor.health import discovery_lags

    start = time.perf_counter()
    today = datetime.now(UTC).date()
    t0 = today - timedelta(days=days + 4)  # the last simulated run is yesterday: the quota day is the real one
    parts = [p for p, source in (("federal", "congress"), ("states", "openstates")) if source in sources]
    plan = make_plan(scale, t0, days=days, seed=seed, parts=parts)
    options = Options.known_gaps(openstates_per_day=DAILY)
    ds = Dataset(plan.federal, plan.states, as_of=t0, options=options)
    server = EmulatorServer(ds).start()
    tax = load_taxonomy()
    results = Results(scale, plan)
    db_file = work / "tracker.db"
    config = source_config("openstates")
    try:
        server.warm()
        results.setup_seconds = time.perf_counter() - start

        def at(day: date, hour: int, minute: int = 0) -> datetime:
            return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)

        listed: list[tuple[datetime, datetime]] = []
        # The federal backfill, an hour of Congress.gov quota at a time.
        federal = FederalNeed(server, tax, db_file)
        fed = "congress" in sources
        results.fed_backfill_need = federal.run() if fed else Counter()
        results.fed_screened = federal.screened_bills()
        for hour in range(MAX_HOURS if fed else 0):
            new_hour(server)
            run = crawl("congress", server, db_file, f"backfill hour {hour + 1}")
            simulate(db_file, run, at(t0 + timedelta(days=1), 0, 5) + timedelta(hours=hour), listed)
            results.fed_backfill.append(run)
            if not out_of_quota(run):
                break
        if fed:
            results.backfill_backlog["congress"] = text_backlog_size(db_file, "congress")
        # The Open States backfill, a quota day at a time.
        states = StateNeed(ds, tax, db_file, list(config.get("title_scan") or []),
                           str(config.get("backfill_start", "2023-01-01")))
        sta = "openstates" in sources
        results.state_backfill_need = states.run() if sta else Counter()
        for day in range(MAX_DAYS if sta else 0):
            server.openstates.reset_quota()
            run = crawl("openstates", server, db_file, f"backfill day {day + 1}")
            # Each quota day is an earlier calendar day than the week's first (the spider counts the day's spend).
            simulate(db_file, run, at(t0 - timedelta(days=MAX_DAYS - day), 5, 10), listed)
            results.state_backfill.append(run)
            if not out_of_quota(run):
                break
        if sta:
            results.backfill_backlog["openstates"] = text_backlog_size(db_file, "openstates")
        overlap = {"congress": float(source_config("congress").get("overlap_hours", 2)),
                   "openstates": float(config.get("overlap_hours", 2))}
        for run in results.fed_backfill[-1:] + results.state_backfill[-1:]:
            skip_overlap(db_file, run, overlap[run.source])
        week_start = datetime.now(UTC)
        versions_before = {r.n: r.n_versions for r in ds.federal if r.visible}
        # The week: each day the upstreams move, then each spider runs once (the next morning, simulated).
        for n in range(1, days + 1):
            day = plan.day(n)
            advanced = datetime.now(UTC)
            changes = server.advance(day)
            ds.touch_federal(plan.touched.get(n, []))
            listed.append((advanced, at(day, 22)))
            results.discovery += new_bills(plan, ds, tax, n)
            entry: dict[str, Any] = {"day": n, "changes": changes, "touched": len(plan.touched.get(n, []))}
            for source, need, when in (("congress", federal, at(day + timedelta(days=1), 6, 20)),
                                       ("openstates", states, at(day + timedelta(days=1), 5, 10))):
                if source not in sources:
                    continue
                entry[f"{source}_need"] = need.run()
                new_hour(server)
                server.openstates.reset_quota()
                run = entry[source] = crawl(source, server, db_file, f"day {n}")
                if os.environ.get("BENCH_DEBUG"):
                    debug(run, need)
                simulate(db_file, run, when, listed)
                skip_overlap(db_file, run, overlap[source])
            mark_found(db_file, results.discovery, n)
            entry["backlog"] = {s: text_backlog_size(db_file, s) for s in ("congress", "openstates")}
            results.days.append(entry)
        # Nothing changed upstream since the last runs.
        quiet = t0 + timedelta(days=days + 2)
        for source, need, when in (("congress", federal, at(quiet, 6, 20)), ("openstates", states, at(quiet, 5, 10))):
            if source not in sources:
                continue
            results.idle[f"{source}_need"] = need.run()
            new_hour(server)
            server.openstates.reset_quota()
            run = results.idle[source] = crawl(source, server, db_file, "nothing changed")
            if os.environ.get("BENCH_DEBUG"):
                debug(run, need)
            simulate(db_file, run, when, listed)
            results.idle[f"{source}_backlog"] = text_backlog_size(db_file, source)
        mark_found(db_file, results.discovery, days + 1)
        results.stale_texts = stale_federal_texts(ds, db_file, versions_before)
        import db

        results.lag_lines = discovery_lags(db.connect(db_file))
        from bench import stemming

        if not sta:
            return results
        rows = stemming.stem_table(tax, stemming.vocabulary())
        extra = stemming.measure_corpus(ds, rows, week_start, days)
        replaced = stemming.replaced_table(tax, stemming.vocabulary())
        stemming.measure_corpus(ds, replaced, week_start, days)
        results.stemming = (rows, extra, replaced, days)
    finally:
        server.stop()
    return results


def summary_of(changes: Any, level: str) -> str:
    """An advance's Changes in words, federal or state (``level``)."""
    federal = ("federal_", "text_", "summaries_")
    return ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in vars(changes).items()
                     if v and k.startswith(federal) == (level == "federal"))
