"""Synthetic agency upstreams for the request benchmark: the Federal Register and Regulations.gov, whole.

A cassette replays fixed answers; a request benchmark needs an upstream that
answers any page of any window over thousands of documents, and that changes
between runs the way a day of upstream activity does. Each class here holds
one such dataset (the texts come from bench/corpus.py), answers the requests
its spider makes exactly as the real API would (formats taken from the
spiders' parsers and tests/fixtures/<source>/), and says how many requests
the least a client could make for the same data would take ("needed").
The bill upstreams (Congress.gov, govinfo, Open States) are served by
ailabor/testing/emulators from bench/synthetic.py's facts instead (bench/bill_economy.py).

Stamps are real times: the dataset's history ends an hour before it is made,
and ``advance_day`` stamps a day's changes at the moment it is called, i.e.
between the previous run and the next, which is where a day's changes fall
for a daily crawl (only the overlap a spider re-reads is made smaller).
"""

from __future__ import annotations

import json
import math
import random
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

from ailabor.testing.replay import Cassette, Hit, ReplayServer
from bench.corpus import story_text

Answer = tuple[int, dict[str, str], bytes]
JSON = "application/json"


def _json(data: Any, status: int = 200, content_type: str = JSON, headers: dict[str, str] | None = None) -> Answer:
    return status, {"Content-Type": content_type, **(headers or {})}, json.dumps(data).encode()


def _first(query: dict[str, list[str]], name: str, default: str | None = None) -> str | None:
    values = query.get(name)
    return values[0] if values else default


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + timedelta(seconds=rng.uniform(0, max(0.0, (end - start).total_seconds())))


def _later(rng: random.Random, start: datetime, mean_days: float, end: datetime) -> datetime:
    """A last change some days after ``start`` but before ``end``; never piled up on ``end`` itself."""
    moment = start + timedelta(days=rng.expovariate(1 / mean_days))
    return moment if moment <= end else _between(rng, start, end)


def _pages(count: int, size: int) -> int:
    return math.ceil(count / size) if count else 0


class SyntheticServer(ReplayServer):
    """The replay server, answering from a synthetic upstream instead of a cassette; hits are recorded the same way."""

    def __init__(self, upstream: Upstream) -> None:
        super().__init__(Cassette([], Path(".")))
        self.upstream = upstream

    def start(self) -> SyntheticServer:
        super().start()
        self.upstream.base = self.url
        return self

    def _answer(self, handler: Any) -> None:
        split = urlsplit(handler.path)
        query = parse_qs(split.query, keep_blank_values=True)
        with self._lock:  # the dataset changes only between runs; one request at a time keeps answers coherent
            try:
                status, headers, body = self.upstream.answer(split.path, query)
            except Exception as exc:  # a bug here must show as a server error, not hang the spider
                status, headers, body = _json({"error": f"{type(exc).__name__}: {exc}"}, 500)
            self.hits.append(Hit(split.path, query, dict(handler.headers.items()), status))
        self._send(handler, status, headers, body)


class Upstream:
    """One synthetic API: a dataset, its answers, a day of changes, and the least requests for the same data."""

    base = ""

    def answer(self, path: str, query: dict[str, list[str]]) -> Answer:
        raise NotImplementedError

    def mark(self) -> None:
        """Remember what the tracker has now seen (after a run), to tell later what a refresh needs."""

    def advance_day(self, rng: random.Random) -> dict[str, int]:
        raise NotImplementedError

    def needed_backfill(self) -> int:
        raise NotImplementedError

    def needed_refresh(self) -> int:
        raise NotImplementedError


# Federal Register -----------------------------------------------------------------------------------------

FR_AGENCIES = ("labor-department", "national-labor-relations-board", "equal-employment-opportunity-commission",
               "copyright-office-library-of-congress", "federal-trade-commission",
               "national-telecommunications-and-information-administration",
               "national-institute-of-standards-and-technology", "patent-and-trademark-office")
FR_TYPES = {"NOTICE": "Notice", "PRORULE": "Proposed Rule", "RULE": "Rule"}


@dataclass
class FrDocument:
    number: str
    agency: str
    doc_type: str
    on_ai: bool
    published: date


class FederalRegister(Upstream):
    """Federal Register v1 ``/documents.json``: conditions on dates, agencies, types and the search term."""

    def __init__(self, scale: float = 1.0, seed: int = 9) -> None:
        rng = random.Random(seed)
        self.today = datetime.now(UTC).date()
        self.docs: list[FrDocument] = []
        days = (self.today - date(2023, 1, 1)).days
        for _ in range(round(4_000 * scale)):
            on_ai = rng.random() < 0.12  # of these agencies' documents, those the AI phrases find
            self._add(rng, on_ai, date(2023, 1, 1) + timedelta(days=rng.randint(0, days - 1)))
        self.seen: set[str] = set()

    def _add(self, rng: random.Random, on_ai: bool, published: date) -> None:
        agency = rng.choice(FR_AGENCIES + ("agriculture-department", "defense-department"))
        self.docs.append(FrDocument(f"{published.year}-{len(self.docs):05d}", agency,
                                    rng.choice(["Notice", "Notice", "Notice", "Proposed Rule", "Rule"]), on_ai,
                                    published))

    def matches(self, doc: FrDocument, query: dict[str, list[str]]) -> bool:
        gte = _first(query, "conditions[publication_date][gte]")
        lte = _first(query, "conditions[publication_date][lte]")
        agencies = query.get("conditions[agencies][]")
        types = [FR_TYPES.get(t, t) for t in query.get("conditions[type][]", [])]
        return ((not gte or doc.published.isoformat() >= gte) and (not lte or doc.published.isoformat() <= lte)
                and (not agencies or doc.agency in agencies) and (not types or doc.doc_type in types)
                and (not _first(query, "conditions[term]") or doc.on_ai))

    def wanted(self) -> list[FrDocument]:
        return [d for d in self.docs if d.on_ai and d.agency in FR_AGENCIES]

    def mark(self) -> None:
        self.seen = {d.number for d in self.wanted()}

    def needed_backfill(self) -> int:
        return _pages(len(self.wanted()), 1000)

    def needed_refresh(self) -> int:
        return max(1, _pages(sum(1 for d in self.wanted() if d.number not in self.seen), 1000))

    def advance_day(self, rng: random.Random, published: int = 60) -> dict[str, int]:
        """One day's issue: about 60 documents from these agencies, a few of them on AI."""
        before = len(self.wanted())
        for _ in range(published):
            self._add(rng, rng.random() < 0.12, self.today)
        return {"documents published": published, "of them on AI": len(self.wanted()) - before}

    def answer(self, path: str, query: dict[str, list[str]]) -> Answer:
        if path not in ("/documents.json", "/documents"):
            return _json({"errors": {"message": "not found"}}, 404)
        found = sorted((d for d in self.docs if self.matches(d, query)), key=lambda d: (d.published, d.number))
        per_page = int(_first(query, "per_page", "20") or 20)
        page = int(_first(query, "page", "1") or 1)
        if not 1 <= page <= 50 or page * per_page > 10_000:
            page = 1  # the API's silent clamp
        if not found:
            return _json({"count": 0, "description": "Documents matching your search", "total_pages": 0})
        total_pages = min(50, _pages(len(found), per_page))
        out: dict[str, Any] = {"count": len(found), "description": "Documents matching your search",
                               "total_pages": total_pages,
                               "results": [self.document(d) for d in found[(page - 1) * per_page: page * per_page]]}
        if page < total_pages:
            params = [(k, v) for k, values in query.items() for v in values if k != "page"] + [("page", str(page + 1))]
            out["next_page_url"] = f"https://www.federalregister.gov/api/v1/documents.json?{urlencode(params)}"
        return _json(out)

    @staticmethod
    def document(doc: FrDocument) -> dict[str, Any]:
        rng = random.Random(doc.number)
        title, summary = story_text(rng, "work" if doc.on_ai else "plain")
        title = rng.choice(["Request for Information on ", "Public Meeting on ", "Notice of Inquiry: ", ""]) + title
        closes = (doc.published + timedelta(days=60)).isoformat() if "Request" in title else None
        return {"document_number": doc.number, "title": title, "type": doc.doc_type, "subtype": None,
                "action": "Notice of public meeting." if "Meeting" in title else "Request for information.",
                "abstract": summary, "dates": None, "publication_date": doc.published.isoformat(),
                "effective_on": None, "comments_close_on": closes,
                "agencies": [{"raw_name": doc.agency.upper(), "name": doc.agency.replace("-", " ").title(),
                              "id": FR_AGENCIES.index(doc.agency) if doc.agency in FR_AGENCIES else 99,
                              "parent_id": None, "slug": doc.agency}],
                "docket_ids": [], "dockets": [], "regulations_dot_gov_info": {}, "regulation_id_numbers": [],
                "html_url": f"https://www.federalregister.gov/d/{doc.number}",
                "pdf_url": f"https://www.govinfo.gov/content/pkg/FR/pdf/{doc.number}.pdf", "comment_url": None,
                "significant": None, "topics": [], "cfr_references": [], "citation": None}


# Regulations.gov ---------------------------------------------------------------------------------------------

EASTERN = ZoneInfo("America/New_York")
REGS_AGENCIES = ("COLC", "EEOC", "DOL", "WHD", "OSHA", "NLRB", "FTC", "NTIA", "PTO", "NIST", "OSTP")
WATCHED_DOCKETS = ("COLC-2023-0006", "NTIA-2023-0005", "OSTP-TECH-2023-0007")


@dataclass
class RegsDocument:
    id: str
    docket: str
    agency: str
    doc_type: str
    terms: set[str]
    posted: datetime
    modified: datetime
    comment_end: datetime | None
    count: int = 0


class RegulationsGov(Upstream):
    """Regulations.gov v4: documents and dockets by docket, term and agency since a date; details; comment counts."""

    TERMS = ("artificial intelligence", "automated decision", "digital replica")

    def __init__(self, scale: float = 1.0, seed: int = 13) -> None:
        rng = random.Random(seed)
        now = datetime.now(UTC)
        self.end = now - timedelta(hours=1)
        self.docs: list[RegsDocument] = []
        dockets = [(d, d.split("-")[0]) for d in WATCHED_DOCKETS]
        dockets += [(f"{a}-{rng.randint(2023, 2026)}-{n:04d}", a) for n, a in
                    enumerate(rng.choice(REGS_AGENCIES) for _ in range(round(60 * scale)))]
        for docket, agency in dockets:
            on_ai = docket in WATCHED_DOCKETS or rng.random() < 0.7
            terms = {t for t, p in zip(self.TERMS, (1.0, 0.2, 0.1), strict=True) if on_ai and rng.random() < p}
            posted = _between(rng, datetime(2023, 1, 5, tzinfo=UTC), self.end)
            for i in range(rng.randint(1, 4)):
                self._add(rng, docket, agency, terms, posted + timedelta(days=i * rng.randint(0, 30)))
        self.seen: dict[str, tuple[datetime, int]] = {}

    def _add(self, rng: random.Random, docket: str, agency: str, terms: set[str], posted: datetime) -> RegsDocument:
        posted = min(posted, self.end)
        kind = rng.choice(["Notice", "Proposed Rule", "Supporting & Related Material"])
        end = posted + timedelta(days=60) if kind != "Supporting & Related Material" else None
        doc = RegsDocument(f"{docket}-{sum(1 for d in self.docs if d.docket == docket) + 1:04d}", docket, agency,
                           kind, terms, posted, _later(rng, posted, 30, self.end), end,
                           rng.randint(0, 5000) if end else 0)
        self.docs.append(doc)
        return doc

    def open_for_comment(self, doc: RegsDocument, now: datetime | None = None) -> bool:
        return doc.comment_end is not None and doc.comment_end >= (now or datetime.now(UTC))

    def wanted(self) -> list[RegsDocument]:
        return [d for d in self.docs if d.docket in WATCHED_DOCKETS or d.terms]

    def mark(self) -> None:
        self.seen = {d.id: (d.modified, d.count) for d in self.wanted()}

    def needed_backfill(self) -> int:
        """One listing per 250 documents, then each document's detail and, with a comment period, its count."""
        docs = [d for d in self.wanted() if d.modified >= datetime(2023, 1, 1, tzinfo=UTC)]
        return max(1, _pages(len(docs), 250)) + len(docs) + sum(1 for d in docs if d.comment_end)

    def needed_refresh(self) -> int:
        changed = [d for d in self.wanted() if self.seen.get(d.id, (None,))[0] != d.modified]
        counted = [d for d in self.wanted() if d.comment_end and self.seen.get(d.id, (None, None))[1] != d.count]
        return max(1, _pages(len(changed), 250)) + len(changed) + len(counted)

    def advance_day(self, rng: random.Random, modified: int = 2, new: int = 1) -> dict[str, int]:
        """A day: comments arrive on open dockets, a comment period is extended, a new notice is posted."""
        start, end = datetime.now(UTC) - timedelta(seconds=30), datetime.now(UTC)
        wanted = self.wanted()
        open_docs = [d for d in wanted if self.open_for_comment(d)]
        for doc in open_docs:
            doc.count += rng.randint(1, 200)
        for doc in rng.sample(wanted, modified):
            doc.modified = _between(rng, start, end)
            if doc.comment_end:
                doc.comment_end += timedelta(days=30)
        for _ in range(new):
            base = rng.choice([d for d in wanted if d.terms])
            doc = self._add(rng, base.docket, base.agency, base.terms, end)
            doc.posted = doc.modified = _between(rng, start, end)
        return {"documents modified": modified, "documents new": new, "open dockets with new comments": len(open_docs)}

    # Answers ------------------------------------------------------------------------------------------------

    def answer(self, path: str, query: dict[str, list[str]]) -> Answer:
        vnd = "application/vnd.api+json;charset=utf-8"
        if path in ("/documents", "/dockets"):
            return _json(self.listing(path, query), content_type=vnd)
        parts = path.strip("/").split("/")
        doc = next((d for d in self.docs if d.id == parts[-1]), None) if len(parts) == 2 else None
        if doc is None:
            return _json({"errors": [{"status": "404", "title": "Not Found"}]}, 404, vnd)
        if parts[0] == "documents":
            return _json({"data": {"id": doc.id, "type": "documents",
                                   "attributes": {**self.attributes(doc), "docAbstract": self.abstract(doc),
                                                  "modifyDate": _z(doc.modified)}}}, content_type=vnd)
        if parts[0] == "document-comments-received-counts":
            return _json({"data": {"id": doc.id, "type": "document-comments-received-counts",
                                   "attributes": {"count": doc.count}}}, content_type=vnd)
        return _json({"errors": [{"status": "404", "title": "Not Found"}]}, 404, vnd)

    def listing(self, path: str, query: dict[str, list[str]]) -> dict[str, Any]:
        ge = _first(query, "filter[lastModifiedDate][ge]")
        since = datetime.strptime(ge, "%Y-%m-%d %H:%M:%S").replace(tzinfo=EASTERN) if ge else None
        agencies = set((_first(query, "filter[agencyId]") or "").split(",")) - {""}
        term, docket = _first(query, "filter[searchTerm]"), _first(query, "filter[docketId]")
        size, number = int(_first(query, "page[size]", "25") or 25), int(_first(query, "page[number]", "1") or 1)
        docs = [d for d in self.docs if (not agencies or d.agency in agencies) and (not term or term in d.terms)
                and (not docket or d.docket == docket)]
        if path == "/dockets":
            latest: dict[str, RegsDocument] = {}
            for d in docs:
                if d.docket not in latest or d.modified > latest[d.docket].modified:
                    latest[d.docket] = d
            rows = [(d.modified, d.docket, {"id": d.docket, "type": "dockets", "attributes": {
                "agencyId": d.agency, "docketId": d.docket, "docketType": "Nonrulemaking",
                "title": self.abstract(d)[:80], "lastModifiedDate": _z(d.modified)}}) for d in latest.values()]
        else:
            rows = [(d.modified, d.id, {"id": d.id, "type": "documents", "attributes": self.attributes(d)})
                    for d in docs]
        rows = sorted((r for r in rows if since is None or r[0] >= since), key=lambda r: (r[0], r[1]))
        page = rows[(number - 1) * size: number * size]
        return {"data": [r[2] for r in page],
                "meta": {"hasNextPage": number * size < len(rows), "hasPreviousPage": number > 1,
                         "numberOfElements": len(page), "pageNumber": number, "pageSize": size,
                         "totalElements": len(rows), "totalPages": max(1, _pages(len(rows), size))}}

    def attributes(self, doc: RegsDocument) -> dict[str, Any]:
        rng = random.Random(doc.id)
        return {"documentType": doc.doc_type, "lastModifiedDate": _z(doc.modified),
                "frDocNum": f"{doc.posted.year}-{rng.randint(10000, 29999)}" if rng.random() < 0.7 else None,
                "withdrawn": False, "agencyId": doc.agency, "title": story_text(rng, "work")[0],
                "postedDate": _z(doc.posted), "docketId": doc.docket,
                "subtype": "Request for Comments" if doc.comment_end else None,
                "commentStartDate": _z(doc.posted) if doc.comment_end else None,
                "commentEndDate": _z(doc.comment_end) if doc.comment_end else None,
                "openForComment": self.open_for_comment(doc), "objectId": f"0900006{zlib.crc32(doc.id.encode()):010d}"}

    @staticmethod
    def abstract(doc: RegsDocument) -> str:
        return story_text(random.Random(doc.id + "a"), "work")[1]


UPSTREAMS: dict[str, type[Upstream]] = {"federal_register": FederalRegister, "regulations_gov": RegulationsGov}
