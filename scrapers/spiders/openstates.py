"""State bills from Open States API v3: all 50 states, DC and Puerto Rico within a free key's quota.

How the upstream works, its traps, paging and quotas: docs/sources/openstates.md.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from ailabor.config import OPENSTATES_SESSIONS, openstates_config, source_config
from ailabor.records import Action, BillItem, Sponsor, Version, WatchOutcome
from scrapers.upstream.openstates import (
    OpenStatesApi,
    OpenStatesError,
    error_detail,
    jurisdiction_code,
    rate_limit_kind,
)

logger = logging.getLogger(__name__)

INCLUDES = ("sponsorships", "abstracts", "actions", "versions", "sources", "other_titles")
# The API takes at most this many identifiers in one /bills request.
MAX_IDENTIFIERS = 20
# The key, among the searches' watermarks, of when the followed bills were last all re-read.
REREAD_MARK = "reread"


def since_param(moment: datetime) -> str:
    """``updated_since`` as the API compares it: UTC, a space, no zone (see the module docstring)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _date(value: Any) -> str | None:
    """The date part of an Open States date ("" when there is none); anything else is left for validation."""
    text = _text(value)
    if text and re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return text[:10]
    return text


def _actions(raw: list[dict[str, Any]]) -> list[Action]:
    ordered = sorted(raw, key=lambda a: (a.get("order") if isinstance(a.get("order"), int) else 0))
    out = []
    for action in ordered:
        organization = action.get("organization") or {}
        # Passage is counted per chamber, so the actor is the chamber; the governor and a
        # unicameral legislature keep their own classification.
        actor = organization.get("classification") or None
        out.append(Action(date=_date(action.get("date")) or "", description=action["description"], actor=actor,
                          classification=[str(c) for c in action.get("classification") or []]))
    return out


def _sponsors(raw: list[dict[str, Any]]) -> list[Sponsor]:
    out: dict[tuple[str, str], Sponsor] = {}
    for sponsorship in raw:
        name = _text(sponsorship.get("name"))
        if not name:
            continue
        role = "primary" if sponsorship.get("primary") else "cosponsor"
        person = sponsorship.get("person") or {}
        district = (person.get("current_role") or {}).get("district")
        out.setdefault((name, role), Sponsor(
            name=name, role=role, party=_text(person.get("party")),
            district=str(district) if district not in (None, "") else None, person_id=_text(person.get("id"))))
    return list(out.values())


def _versions(raw: list[dict[str, Any]]) -> list[Version]:
    return [Version(url=link["url"], note=_text(version.get("note")), date=_date(version.get("date")),
                    media_type=_text(link.get("media_type")))
            for version in raw for link in version.get("links") or []]


def bill_to_item(bill: dict[str, Any], source_url: str | None = None) -> BillItem:
    """Map one Open States bill (with whatever ``include=`` brought) onto the shared bill model.

    A child list the response did not include stays ``None`` so the store keeps what it has.
    """
    code = jurisdiction_code(bill["jurisdiction"]["id"])
    abstracts = [a.get("abstract") for a in bill.get("abstracts") or []]
    sources = [s.get("url") for s in bill.get("sources") or [] if isinstance(s, dict)]
    own_page = next((u for u in sources if isinstance(u, str) and u.startswith(("http://", "https://"))), None)
    classification = bill.get("classification") or []
    return BillItem(
        jurisdiction=code,
        session=bill["session"],
        identifier=bill["identifier"],
        title=bill["title"],
        source="openstates",
        source_id=bill.get("id"),
        source_url=source_url,
        chamber=(bill.get("from_organization") or {}).get("classification"),
        classification=classification[0] if classification else None,
        summary="\n\n".join(dict.fromkeys(t for a in abstracts if (t := _text(a)))) or None,
        subjects=[s for s in bill.get("subject") or [] if isinstance(s, str)],
        other_titles=[t["title"] for t in bill.get("other_titles") or []
                      if isinstance(t, dict) and isinstance(t.get("title"), str)],
        introduced_date=_date(bill.get("first_action_date")),
        url=own_page or bill.get("openstates_url"),
        source_updated_at=bill.get("updated_at"),
        source_meta={
            "openstates_id": bill.get("id"),
            "openstates_url": bill.get("openstates_url"),
            "latest_passage_date": bill.get("latest_passage_date") or None,
            "created_at": bill.get("created_at") or None,  # when Open States first listed it: the discovery lag
        },
        actions=None if "actions" not in bill else _actions(bill["actions"]),
        sponsors=None if "sponsorships" not in bill else _sponsors(bill["sponsorships"]),
        versions=None if "versions" not in bill else _versions(bill["versions"]),
    )


def searchable_text(bill: dict[str, Any]) -> str:
    """Title, other titles and abstracts: what a title scan matches the AI phrases against."""
    parts = [bill.get("title")] + [t.get("title") for t in bill.get("other_titles") or []]
    parts += [a.get("abstract") for a in bill.get("abstracts") or []]
    return " ; ".join(p for p in parts if isinstance(p, str))


def older_sessions(payload: dict[str, Any], keep: int) -> dict[str, set[str]]:
    """For each jurisdiction, the sessions before its ``keep`` latest regular ones (and their special sessions).

    Sessions are ranked by start date (list order when undated, which Open
    States keeps chronological). What is named is what new bills are not
    taken from: a session the list does not name began after the list was
    made (a cached list is up to a week old), so its bills are kept, as are
    those of a jurisdiction whose sessions are not listed.
    """
    out: dict[str, set[str]] = {}
    for jurisdiction in payload.get("results") or []:
        try:
            code = jurisdiction_code(jurisdiction["id"])
        except (KeyError, TypeError, OpenStatesError):
            continue
        sessions = [s for s in jurisdiction.get("legislative_sessions") or [] if s.get("identifier")]
        if not sessions:
            continue
        ranked = sorted(enumerate(sessions), key=lambda p: (p[1].get("start_date") or "", p[0]), reverse=True)
        older: set[str] = set()
        regular = 0
        for _, session in ranked:
            if regular == keep:
                older.add(session["identifier"])
            elif session.get("classification") != "special":
                regular += 1
        out[code] = older
    return out


@dataclass
class Query:
    """One request series and how far it got.

    Kinds: ``search`` (a ``q`` of AI phrases, nationwide or in one
    jurisdiction), ``scan`` (every bill a jurisdiction updates, kept when its
    titles or abstracts name AI), ``reread`` (followed bills by identifier)
    and ``watch`` (a bill asked for by number). Searches and scans keep a
    watermark each, under ``key``, so a query added after a topics.yml edit
    reads from the backfill start while the others go on from where they were.
    """

    key: str
    params: list[tuple[str, str]]
    kind: str = "search"
    ref: str | None = None
    since: datetime | None = None
    start_mark: datetime | None = None
    done: bool = False
    max_seen: datetime | None = None
    stored_upto: datetime | None = None
    seen: set[str] = field(default_factory=set)
    wanted: set[str] | None = None  # a re-read keeps only the bills it asked for


def build_queries(config: dict[str, Any], searches: list[str]) -> list[Query]:
    """The searches (every ``q`` nationwide, or in each listed jurisdiction), then the title scans."""
    def key(q: str) -> str:
        return hashlib.sha1(q.encode()).hexdigest()[:12]

    queries = [Query(f"q:{j}:{key(q)}", [("jurisdiction", j), ("q", q)]) for j in config["jurisdictions"]
               for q in searches] or [Query(f"q:{key(q)}", [("q", q)]) for q in searches]
    queries += [Query(f"scan:{j}", [("jurisdiction", j)], kind="scan") for j in config["title_scan"]]
    return queries


class OpenStatesSpider(OpenStatesApi):
    name = "openstates"
    reads_texts = True

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.config = openstates_config(source_config(self.name))
        self.keep = OPENSTATES_SESSIONS[self.config["sessions"]]
        self.sessions: dict[str, set[str]] | None = None
        overlap = timedelta(hours=self.config["overlap_hours"])
        backfill = datetime.fromisoformat(self.config["backfill_start"]).replace(tzinfo=UTC)
        marks = self.previous_marks()
        self.watch_only = bool(getattr(self, "watch", None))
        # The searches and title scans, which keep watermarks; the queries in the order they run: the searches,
        # then (planned once they are done) the re-reads, the bills asked for by number and the scans.
        self.marked = [] if self.watch_only else build_queries(self.config, self.taxonomy.openstates_queries())
        self.queries = [q for q in self.marked if q.kind == "search"]
        for query in self.marked:
            query.start_mark = parse_time(marks.get(query.key))
            query.since = query.start_mark - overlap if query.start_mark else backfill
        self.reread_mark = parse_time(marks.get(REREAD_MARK))
        self.started = datetime.now(UTC)
        self.later_planned = False
        self.reread_count = 0
        self.query_of: dict[str, Query] = {}
        self.passed: dict[str, str | None] = {}  # bill id → updated_at of the copy already judged this run
        self.rejected: set[Any] = set()
        self.bills_seen = 0
        self.older_sessions = 0
        self.order_shifted = False
        self.daily_quota_spent = False
        self.update_report()
        if not self.queries:
            self.plan_later()
        if not self.queries:
            self.outcome.nothing_to_ask = True
            return
        request = self.page_request(0, 1)
        if request is not None:
            yield request

    def previous_marks(self) -> dict[str, str]:
        """Each search's watermark as the last run that got anywhere left it (crawl_runs.details ``_marks``)."""
        row = self.run.db.execute(
            "SELECT json_extract(details, '$._marks') FROM crawl_runs WHERE source = ? AND status IN ('ok', 'partial')"
            " AND json_extract(details, '$._marks') IS NOT NULL AND id != ? ORDER BY id DESC LIMIT 1",
            [self.name, self.run.id]).fetchone()
        try:
            marks = json.loads(row[0]) if row and row[0] else {}
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in marks.items()} if isinstance(marks, dict) else {}

    def plan_later(self) -> None:
        """After the searches: re-reads of the bills the union follows, bills asked for by number, title scans."""
        self.later_planned = True
        if not self.watch_only and self.config["reread"]:
            self.queries += self.reread_queries()
        self.queries += self.watch_queries()
        self.queries += [q for q in self.marked if q.kind == "scan"]

    def reread_queries(self) -> list[Query]:
        """The followed bills (relevant and still moving, positioned or watched) this run has not read yet.

        A bill amended so that it no longer matches the searches (a
        gut-and-amend) is still followed this way: by its identifier, twenty
        to a request per jurisdiction, each run, asking only for what changed
        since the last re-read (so other sessions' bills of the same number
        rarely come back, and are dropped when they do).
        """
        since = (datetime.now(UTC) - timedelta(days=self.config["reread_days"])).date().isoformat()
        rows = self.run.db.execute(
            "SELECT id, jurisdiction, identifier FROM bills WHERE source = ? AND ("
            " (relevant = 1 AND coalesce(status, '') NOT IN ('enacted', 'failed', 'withdrawn')"
            "  AND coalesce(latest_action_date, introduced_date, '') >= ?)"
            " OR id IN (SELECT bill_id FROM positions) OR id IN (SELECT bill_id FROM watchlist))"
            " ORDER BY jurisdiction, identifier", [self.name, since]).fetchall()
        groups: dict[str, dict[str, str]] = {}
        for bill_key, jurisdiction, identifier in rows:
            if bill_key not in self.passed:  # a search brought it this run, changed or not
                groups.setdefault(jurisdiction, {})[bill_key] = identifier
        mark = self.reread_mark
        start = mark - timedelta(hours=self.config["overlap_hours"]) if mark else datetime.fromisoformat(
            self.config["backfill_start"]).replace(tzinfo=UTC)
        queries = []
        for jurisdiction, bills in groups.items():
            keys = list(bills)
            for i in range(0, len(keys), MAX_IDENTIFIERS):
                chunk = keys[i:i + MAX_IDENTIFIERS]
                params = [("jurisdiction", jurisdiction), *(("identifier", bills[k]) for k in chunk)]
                queries.append(Query(f"reread:{jurisdiction}:{i}", params, kind="reread", since=start,
                                     wanted=set(chunk)))
        self.reread_count = sum(len(v) for v in groups.values())
        return queries

    def watch_queries(self) -> list[Query]:
        """One query per state bill the director asked for by number and that is not found yet."""
        rows = self.run.db.execute(
            "SELECT ref, jurisdiction, session, identifier FROM watchlist WHERE jurisdiction != 'us'"
            " AND status = 'pending'").fetchall()
        queries = []
        for ref, jurisdiction, session, identifier in rows:
            params = [("jurisdiction", jurisdiction), ("identifier", identifier)]
            if session:
                params.append(("session", session))
            queries.append(Query(f"watch:{ref}", params, kind="watch", ref=ref))
        return queries

    # Requests -----------------------------------------------------------------------------------

    def page_request(self, index: int, page: int, minute_waits: int = 0) -> scrapy.Request | None:
        """The request for a page of query ``index``, or None once the day's budget for bills is spent."""
        if self.quota_left() <= self.config["quota_reserve"] and not self.daily_quota_spent:
            self.stop_partial(f"the day's Open States budget for bills is spent ({self.config['quota_reserve']} "
                              f"requests kept for hearings); the next run resumes {self.resumes_at}")
            return None
        query = self.queries[index]
        params = list(query.params)
        if query.since is not None:
            params.append(("updated_since", since_param(query.since)))
        params += [("sort", "updated_desc" if query.kind == "watch" else "updated_asc"),
                   ("per_page", str(self.config["per_page"]))]
        params += [("include", name) for name in INCLUDES] + [("page", str(page))]
        return self.listing_request("/bills", params, {"index": index, "page": page, "minute_waits": minute_waits})

    def next_query(self, index: int) -> Iterable[scrapy.Request]:
        self.queries[index].done = True
        if index + 1 == len(self.queries) and not self.later_planned:
            self.plan_later()
        if index + 1 < len(self.queries):
            request = self.page_request(index + 1, 1)
            if request is not None:
                yield request

    # Parsing ------------------------------------------------------------------------------------

    async def parse(self, response: Response, index: int, page: int, minute_waits: int = 0) -> AsyncIterator[Any]:
        if response.status == 429:
            async for request in self.rate_limited(response):
                yield request
            return
        query = self.queries[index]
        if response.status == 404:
            # "invalid page, must be in [1, N]": the matches shrank while we paged; nothing is left.
            if query.kind == "watch":
                yield self.watch_outcome(query, None)
            for request in self.next_query(index):
                yield request
            return
        data = self.listing_page(response, page)
        if data is None:
            return  # the search stays unfinished, so the watermark holds at its last bill stored
        results = data["results"]
        if query.kind == "watch":
            for item in self.watched(response, query, results):
                yield item
            for request in self.next_query(index):
                yield request
            return
        candidates = []
        for bill in results:
            item = self.read_bill(response, query, bill)
            if item is not None:
                candidates.append(item)
        for item in await self.worth_storing(response, candidates):
            self.query_of[item.id] = query
            yield item
        self.update_report()
        if self.outcome.partial_reason:  # the quota ran out during the sessions lookup
            return
        max_page = (data.get("pagination") or {}).get("max_page")
        if isinstance(max_page, int) and page < max_page:
            request = self.page_request(index, page + 1)
            if request is not None:
                yield request
        else:
            for request in self.next_query(index):
                yield request

    def watched(self, response: Response, query: Query, results: list[Any]) -> Iterable[Any]:
        """A bill asked for by number: its latest session's bill, stored whatever its session or subject."""
        items = []
        for bill in results:
            try:
                items.append(bill_to_item(bill, response.url))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                self.reject(response.url, "bad_bill", f"{query.ref}: {type(exc).__name__}: {exc}")
        latest = max(items, key=lambda i: (i.introduced_date or "", i.source_updated_at or ""), default=None)
        if latest is not None:
            self.query_of[latest.id] = query
            yield latest
        yield self.watch_outcome(query, latest)

    @staticmethod
    def watch_outcome(query: Query, item: BillItem | None) -> WatchOutcome:
        if item is None:
            where = dict(query.params)
            return WatchOutcome(query.ref or "", False, message=f"Open States has no bill {where['identifier']} in "
                                f"{where['jurisdiction'].upper()}" + (f" {where['session']}" if "session" in where
                                                                      else ""))
        return WatchOutcome(query.ref or "", True, bill_id=item.id)

    def read_bill(self, response: Response, query: Query, bill: Any) -> BillItem | None:
        self.bills_seen += 1
        try:
            item = bill_to_item(bill, response.url)
            updated = parse_time(item.source_updated_at)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            name = bill.get("id") if isinstance(bill, dict) else None
            if name is None or name not in self.rejected:  # several searches may bring the same broken bill
                self.rejected.add(name)
                self.reject(response.url, "bad_bill", f"bill {name or '?'}: {type(exc).__name__}: {exc}")
            return None
        if item.id in query.seen:
            # Page numbers over a list in updated_at order: a bill updated while we paged moved to the
            # end and pushed another back onto a page already read. Re-read this window next run.
            logger.warning("%s came back on a later page: upstream order shifted during the run", item.id)
            self.order_shifted = True
        query.seen.add(item.id)
        if updated and (query.max_seen is None or updated > query.max_seen):
            query.max_seen = updated
        if query.kind == "scan" and not self.taxonomy.mentions_ai(searchable_text(bill)):
            return None
        if query.wanted is not None and item.id not in query.wanted:
            return None  # another session's bill of the same number
        return item

    async def worth_storing(self, response: Response, items: list[BillItem]) -> list[BillItem]:
        """The items that change something: unchanged bills are dropped, new ones of older sessions too.

        A bill that several searches find is passed on once: the store may not
        have written it yet when the next search brings it again.
        """
        items = [i for i in items if self.passed.get(i.id) != i.source_updated_at]
        if not items:
            return []
        ids = [i.id for i in items]
        stored = dict(self.run.db.execute(
            f"SELECT id, source_updated_at FROM bills WHERE id IN ({','.join('?' for _ in ids)})", ids).fetchall())
        fresh = [i for i in items if i.id not in stored or stored[i.id] != i.source_updated_at]
        self.passed.update((i.id, i.source_updated_at) for i in items)
        if self.keep is None or all(i.id in stored for i in fresh):
            return fresh
        if self.sessions is None:
            self.sessions = self.cached_sessions()
        if self.sessions is None:
            self.sessions = await self.load_sessions()
        kept = []
        for item in fresh:
            if item.id in stored or item.session not in self.sessions.get(item.jurisdiction, ()):
                kept.append(item)
            else:
                self.older_sessions += 1
        return kept

    async def load_sessions(self) -> dict[str, set[str]]:
        """Every jurisdiction's sessions in one request; on any failure, no bill is dropped for its session."""
        params = [("classification", "state"), ("include", "legislative_sessions"), ("per_page", "52")]
        url = f"{self.base_url}/jurisdictions?{urlencode(params)}"
        request = scrapy.Request(url, headers=self.headers, dont_filter=True)
        try:
            response = await self.crawler.engine.download_async(request)
            if response.status != 200:
                detail = error_detail(response)
                if response.status == 429 and rate_limit_kind(detail) == "day":
                    self.quota_spent_now(url, detail)
                raise OpenStatesError(f"HTTP {response.status}: {detail}")
            sessions = older_sessions(json.loads(response.text), self.keep or 0)
        except Exception as exc:  # a failed lookup costs precision, never bills
            self.reject(url, "sessions_unavailable", f"{exc}; bills of every session kept", lost=False)
            return {}
        self.sessions_fetched = {"fetched_at": datetime.now(UTC).isoformat(), "keep": self.keep,
                                 "older": {code: sorted(names) for code, names in sessions.items()}}
        return sessions

    def cached_sessions(self) -> dict[str, set[str]] | None:
        """The older sessions a run fetched within ``sessions_cache_days``, for the same setting; a session
        begun since is not among them, so a week-old list costs a little precision, never a new bill."""
        rows = self.run.db.execute(
            "SELECT json_extract(details, '$._sessions') FROM crawl_runs WHERE source = ? AND id != ?"
            " AND json_extract(details, '$._sessions') IS NOT NULL ORDER BY id DESC LIMIT 1",
            [self.name, self.run.id]).fetchall()
        try:
            cache = json.loads(rows[0][0]) if rows else None
            fetched = parse_time(cache["fetched_at"]) if cache else None
        except (ValueError, TypeError, KeyError):
            return None
        if fetched is None or cache.get("keep") != self.keep or not isinstance(cache.get("older"), dict):
            return None
        if datetime.now(UTC) - fetched >= timedelta(days=float(self.config["sessions_cache_days"])):
            return None
        return {str(code): set(names) for code, names in cache["older"].items()}

    def update_report(self) -> None:
        texts = {k: v for k, v in self.report.items() if k.startswith("text")}  # kept by the base spider
        self.report = {"bills": self.bills_seen}
        if self.older_sessions:
            self.report["skipped_older_sessions"] = self.older_sessions
        self.report["quota_left"] = self.quota_left()
        if self.later_planned and not self.watch_only:
            self.report["reread"] = self.reread_count
        self.report.update(texts)
        if getattr(self, "sessions_fetched", None):
            # Read back by later runs (cached_sessions); ailabor/crawl.py does not print "_" keys.
            self.report["_sessions"] = self.sessions_fetched

    # Watermark ----------------------------------------------------------------------------------

    def stored(self, items: list[Any]) -> None:
        for item in items:
            query = self.query_of.get(getattr(item, "id", ""))
            updated = parse_time(getattr(item, "source_updated_at", None))
            if query is not None and updated and (query.stored_upto is None or updated > query.stored_upto):
                query.stored_upto = updated

    def marks(self, complete: bool) -> dict[str, datetime]:
        """Where each search and title scan resumes next run.

        A finished one resumes after the newest bill it saw; an unfinished one
        after the last bill it stored (results come oldest first). A rejected
        bill, or upstream order shifting while paging, sends every one back to
        where this run began.
        """
        out: dict[str, datetime] = {}
        for query in getattr(self, "marked", []):
            if self.order_shifted or (self.outcome.lost_items and not complete):
                mark = query.start_mark
            elif query.done:
                # A search that found nothing new has still read everything up to when this run began.
                mark = max((m for m in (query.max_seen, query.start_mark) if m), default=self.started)
            else:
                mark = max((m for m in (query.stored_upto, query.start_mark) if m), default=None)
            if mark is not None:
                out[query.key] = mark
        # The followed bills were all re-read if the re-reads were planned and each finished.
        rereads = [q for q in getattr(self, "queries", []) if q.kind == "reread"]
        reread_mark = getattr(self, "reread_mark", None)
        if getattr(self, "later_planned", False) and all(q.done for q in rereads) and not (
                self.outcome.lost_items and not complete):
            reread_mark = self.started
        if reread_mark is not None:
            out[REREAD_MARK] = reread_mark
        if not getattr(self, "watch_only", False):  # a watch run reads no search: the marks stay as they were
            self.report["_marks"] = {key: mark.isoformat() for key, mark in out.items()}
        return out

    def final_watermark(self) -> str | None:
        return self.oldest(self.marks(complete=True))

    def partial_watermark(self) -> str | None:
        return self.oldest(self.marks(complete=False))

    def oldest(self, marks: dict[str, datetime]) -> str | None:
        """The run's watermark: the search that is furthest behind (what ``ailabor status`` shows)."""
        searches = [mark for key, mark in marks.items() if key != REREAD_MARK]
        return min(searches).isoformat() if searches else self.previous_watermark
