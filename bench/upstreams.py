"""Synthetic upstreams for the request benchmark: whole upstream datasets served in each API's own format.

A cassette replays fixed answers; a request benchmark needs an upstream that
answers any page of any window over thousands of bills, and that changes
between runs the way a day of upstream activity does. Each class here holds
one such dataset (the texts come from bench/corpus.py), answers the requests
its spider makes exactly as the real API would (formats taken from the
spiders' parsers and tests/fixtures/<source>/), and says how many requests
the least a client could make for the same data would take ("needed").

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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

from bench.corpus import COMMITTEES, FIRST_NAMES, LAST_NAMES, ORDINARY_SUBJECTS, person, story_actions, story_text
from scrapers.replay import Cassette, Hit, ReplayServer

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


# Open States ------------------------------------------------------------------------------------------

STATES = ("al", "ak", "az", "ar", "ca", "co", "ct", "de", "fl", "ga", "hi", "id", "il", "in", "ia", "ks", "ky", "la",
          "me", "md", "ma", "mi", "mn", "ms", "mo", "mt", "ne", "nv", "nh", "nj", "nm", "ny", "nc", "nd", "oh", "ok",
          "or", "pa", "ri", "sc", "sd", "tn", "tx", "ut", "vt", "va", "wa", "wv", "wi", "wy", "dc", "pr")
# Bills the AI phrases find, by the year they were introduced: NCSL counted about 125 state AI bills in
# 2023 and 300+ in 2024, MultiState 1,079 in 2025 (SOURCES.md §7); a full-text search on "AI",
# "algorithm", "automation"... finds more than those counts, so these run higher.
OPENSTATES_AI_BY_YEAR = {2023: 300, 2024: 800, 2025: 1_200, 2026: 1_100}


@dataclass
class StateBill:
    n: int
    code: str
    session: str
    number: int
    kind: str  # work, ai or plain (as in corpus.story_text)
    introduced: date
    updated: datetime
    changes: int = 0

    @property
    def matches_q(self) -> bool:
        return self.kind != "plain"


def state_sessions(code: str) -> list[tuple[str, str]]:
    """(identifier, start date): half the jurisdictions sit in two-year sessions, half in one-year ones."""
    if STATES.index(code) % 2 == 0:
        return [("20232024", "2023-01-02"), ("20252026", "2025-01-06")]
    return [(str(y), f"{y}-01-09") for y in (2023, 2024, 2025, 2026)]


def session_of(code: str, year: int) -> str:
    if STATES.index(code) % 2 == 0:
        return "20232024" if year <= 2024 else "20252026"
    return str(year)


class OpenStates(Upstream):
    """Open States v3 ``/bills`` (q, updated_since, include=, 20 a page) and ``/jurisdictions``; the day's quota."""

    def __init__(self, scale: float = 1.0, ai_share: float = 0.04, seed: int = 3, daily_quota: int = 250) -> None:
        rng = random.Random(seed)
        self.now = datetime.now(UTC)
        self.end = self.now - timedelta(hours=1)
        self.daily_quota = daily_quota
        self.used_today = 0
        self.bills: list[StateBill] = []
        for year, ai_count in OPENSTATES_AI_BY_YEAR.items():
            ai = round(ai_count * scale)
            for kind_count, kind in ((ai, "ai"), (round(ai / ai_share) - ai, "plain")):
                for _ in range(kind_count):
                    self._new_bill(rng, year, "work" if kind == "ai" and rng.random() < 0.3 else kind)
        self.seen: dict[int, datetime] = {}

    def _new_bill(self, rng: random.Random, year: int, kind: str, when: datetime | None = None) -> StateBill:
        code = rng.choice(STATES)
        start = datetime(year, 1, 5, tzinfo=UTC)
        introduced = when or _between(rng, start, min(start + timedelta(days=170), self.end))
        updated = when or _later(rng, introduced, 90, self.end)
        bill = StateBill(len(self.bills), code, session_of(code, year), 1000 + len(self.bills), kind,
                         introduced.date(), updated)
        self.bills.append(bill)
        return bill

    # What the tracker could know ----------------------------------------------------------------------

    def current_session(self, bill: StateBill) -> bool:
        return bill.session == state_sessions(bill.code)[-1][0]

    def mark(self) -> None:
        self.seen = {b.n: b.updated for b in self.bills if b.matches_q}

    def ai_bills(self) -> list[StateBill]:
        return [b for b in self.bills if b.matches_q]

    def needed_backfill(self, since: datetime = datetime(2024, 1, 1, tzinfo=UTC), current_only: bool = False) -> int:
        """Pages of 20 that hold the AI bills updated since the backfill start (of the current sessions only)."""
        found = [b for b in self.ai_bills() if b.updated >= since and (not current_only or self.current_session(b))]
        return _pages(len(found), 20)

    def needed_refresh(self) -> int:
        changed = [b for b in self.ai_bills() if self.seen.get(b.n) != b.updated]
        return max(1, _pages(len(changed), 20))

    def advance_day(self, rng: random.Random, changed_ai: int = 60, new_ai: int = 15, changed_plain: int = 3_000
                    ) -> dict[str, int]:
        """A session day: AI bills move (a hearing, a vote), a few are filed, thousands of others change."""
        start, end = datetime.now(UTC) - timedelta(seconds=30), datetime.now(UTC)
        current = [b for b in self.bills if self.current_session(b)]
        ai = [b for b in current if b.matches_q]
        plain = [b for b in current if not b.matches_q]
        for bill in rng.sample(ai, min(changed_ai, len(ai))) + rng.sample(plain, min(changed_plain, len(plain))):
            bill.changes += 1
            bill.updated = _between(rng, start, end)
        for _ in range(new_ai):
            self._new_bill(rng, 2026, rng.choice(["ai", "work"]), _between(rng, start, end))
        return {"AI bills changed": changed_ai, "AI bills new": new_ai, "other bills changed": changed_plain}

    def new_day(self) -> None:
        self.used_today = 0

    # Answers --------------------------------------------------------------------------------------------

    def answer(self, path: str, query: dict[str, list[str]]) -> Answer:
        self.used_today += 1
        if self.used_today > self.daily_quota:
            # Open States sends no Retry-After; the detail names the limit that was hit.
            return _json({"detail": f"exceeded limit of {self.daily_quota}/day: {self.used_today}"}, 429)
        if path == "/jurisdictions":
            return _json({"results": [self.jurisdiction(c) for c in STATES],
                          "pagination": {"per_page": 52, "page": 1, "max_page": 1, "total_items": len(STATES)}})
        if path != "/bills":
            return _json({"detail": "Not Found"}, 404)
        q, jurisdiction = _first(query, "q"), _first(query, "jurisdiction")
        if not q and not jurisdiction:
            return _json({"detail": "either jurisdiction or q required"}, 400)
        since = _first(query, "updated_since")
        since_at = datetime.fromisoformat(since).replace(tzinfo=UTC) if since else None
        per_page = min(20, int(_first(query, "per_page", "10") or 10))
        page = int(_first(query, "page", "1") or 1)
        found = [b for b in self.bills if (not q or b.matches_q) and (not jurisdiction or b.code == jurisdiction)
                 and (since_at is None or b.updated >= since_at)]
        found.sort(key=lambda b: b.updated)
        max_page = max(1, _pages(len(found), per_page))
        if page > max_page:
            return _json({"detail": f"invalid page, must be in [1, {max_page}]"}, 404)
        includes = set(query.get("include", []))
        results = [self.bill_json(b, includes) for b in found[(page - 1) * per_page: page * per_page]]
        return _json({"results": results, "pagination": {"per_page": per_page, "page": page, "max_page": max_page,
                                                         "total_items": len(found)}})

    @staticmethod
    def jurisdiction(code: str) -> dict[str, Any]:
        kind = "district" if code == "dc" else "territory" if code == "pr" else "state"
        sessions = state_sessions(code)
        return {"id": f"ocd-jurisdiction/country:us/{kind}:{code}/government", "name": code.upper(),
                "classification": "state",
                "legislative_sessions": [{"identifier": s, "name": f"{s} Regular Session", "classification": "primary",
                                          "start_date": start, "end_date": None} for s, start in sessions]}

    def bill_json(self, bill: StateBill, includes: set[str]) -> dict[str, Any]:
        rng = random.Random(bill.n)
        title, summary = story_text(rng, bill.kind)
        chamber = rng.choice(["lower", "upper"])
        letter = "H" if chamber == "lower" else "S"
        kind = "district" if bill.code == "dc" else "territory" if bill.code == "pr" else "state"
        actions = story_actions(rng, bill.introduced.isoformat(), chamber, bill.updated.date().isoformat())
        actions += [{"date": bill.updated.date().isoformat(), "description": f"Hearing held ({n + 1})",
                     "actor": chamber, "classification": []} for n in range(bill.changes)]
        out: dict[str, Any] = {
            "id": f"ocd-bill/bench-{bill.n}", "session": bill.session,
            "jurisdiction": {"id": f"ocd-jurisdiction/country:us/{kind}:{bill.code}/government",
                             "name": bill.code.upper(), "classification": "state"},
            "from_organization": {"id": f"ocd-organization/{bill.code}-{chamber}", "name": chamber.title(),
                                  "classification": chamber},
            "identifier": f"{letter}B {bill.number}", "title": title, "classification": ["bill"],
            "subject": [rng.choice(["Labor", "Technology", "Commerce", "Education"])], "extras": {},
            "created_at": f"{bill.introduced.isoformat()}T08:00:00+00:00",
            "updated_at": bill.updated.isoformat(),
            "openstates_url": f"https://openstates.org/{bill.code}/bills/{bill.session}/{letter}B{bill.number}/",
            "first_action_date": bill.introduced.isoformat(),
            "latest_action_date": actions[-1]["date"], "latest_action_description": actions[-1]["description"],
            "latest_passage_date": next((a["date"] for a in reversed(actions) if "passage" in a["classification"]),
                                        ""),
        }
        if "sponsorships" in includes:
            out["sponsorships"] = [
                {"id": f"ocd-sponsorship/{bill.n}-{i}", "name": name, "entity_type": "person", "primary": i == 0,
                 "classification": "primary" if i == 0 else "cosponsor",
                 "person": {"id": f"ocd-person/{zlib.crc32(name.encode())}", "name": name,
                            "party": rng.choice(["Democratic", "Republican"]),
                            "current_role": {"district": str(rng.randint(1, 80))}}}
                for i, name in enumerate(person(rng) for _ in range(rng.randint(1, 4)))]
        if "abstracts" in includes:
            out["abstracts"] = [{"abstract": summary, "note": "summary"}]
        if "actions" in includes:
            out["actions"] = [{"id": f"ocd-action/{bill.n}-{i}", "organization": {
                "id": f"ocd-organization/{bill.code}-{a['actor']}", "name": str(a["actor"]).title(),
                "classification": a["actor"]}, "description": a["description"], "date": a["date"],
                "classification": a["classification"], "order": i + 1, "related_entities": []}
                for i, a in enumerate(actions)]
        if "versions" in includes:
            out["versions"] = [{"id": f"ocd-version/{bill.n}", "note": "Introduced",
                                "date": bill.introduced.isoformat(),
                                "links": [{"url": f"https://legislature.example/{bill.code}/{bill.number}/intro.pdf",
                                           "media_type": "application/pdf"}]}]
        if "sources" in includes:
            out["sources"] = [{"url": f"https://legislature.example/{bill.code}/bills/{bill.number}", "note": ""}]
        if "other_titles" in includes:
            out["other_titles"] = []
        return out


# Congress.gov -------------------------------------------------------------------------------------------

BILL_KINDS = (("hr", 0.55), ("s", 0.30), ("hres", 0.09), ("sres", 0.06))
PART_NAMES = ("actions", "cosponsors", "subjects", "summaries", "text", "titles")


@dataclass
class FedBill:
    congress: int
    bill_type: str
    number: int
    kind: str  # work, ai or plain title
    summary_ai: bool  # the CRS summary speaks of AI even where the title does not
    introduced: date
    updated: datetime
    summary_at: datetime | None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.congress}/{self.bill_type}/{self.number}"

    @property
    def candidate(self) -> bool:
        return self.kind != "plain" or (self.summary_ai and self.summary_at is not None)


class Congress(Upstream):
    """Congress.gov v3: the bill and summary change feeds of each Congress, bill details and their sub-resources."""

    SIZES = {119: 15_000, 118: 19_300}  # bills introduced (the 118th's final count; the 119th by late 2026)

    def __init__(self, scale: float = 1.0, ai_share: float = 0.012, seed: int = 5) -> None:
        rng = random.Random(seed)
        self.end = datetime.now(UTC) - timedelta(hours=1)
        self.bills: dict[str, FedBill] = {}
        self.seen: dict[str, tuple[datetime, dict[str, int], datetime | None]] = {}
        for congress, size in self.SIZES.items():
            start = datetime(1789 + 2 * (congress - 1), 1, 3, tzinfo=UTC)
            for _ in range(round(size * scale)):
                self._new_bill(rng, congress, start, ai_share)

    def _new_bill(self, rng: random.Random, congress: int, start: datetime, ai_share: float,
                  when: datetime | None = None, kind: str | None = None) -> FedBill:
        bill_type = rng.choices([k for k, _ in BILL_KINDS], [w for _, w in BILL_KINDS])[0]
        number = 1 + sum(1 for b in self.bills.values() if b.congress == congress and b.bill_type == bill_type) \
            if when else len(self.bills) + 1
        introduced = when or _between(rng, start, min(start + timedelta(days=700), self.end))
        # The Library re-stamps old bills in bulk: many an updateDate is long after the last real change.
        updated = when or _later(rng, introduced, 200, self.end)
        summary_at = None if rng.random() > 0.6 else (when or min(introduced + timedelta(days=rng.uniform(20, 200)),
                                                                  updated))
        kind = kind or (rng.choice(["work", "ai", "ai"]) if rng.random() < ai_share else "plain")
        bill = FedBill(congress, bill_type, number, kind, kind == "plain" and rng.random() < 0.005, introduced.date(),
                       updated, summary_at)
        bill.counts = {"actions": rng.randint(2, 12), "cosponsors": rng.choice([0, 0, 1, 3, 8, 25]),
                       "subjects": rng.randint(0, 8), "summaries": int(summary_at is not None),
                       "text": rng.randint(1, 3), "titles": rng.randint(2, 6)}
        self.bills[bill.key] = bill
        return bill

    # What the tracker could know ----------------------------------------------------------------------

    def mark(self) -> None:
        self.seen = {k: (b.updated, dict(b.counts), b.summary_at) for k, b in self.bills.items()}

    def needed_backfill(self) -> int:
        """One list feed and one summary feed over every Congress, then each candidate's detail and parts."""
        summaries = sum(1 for b in self.bills.values() if b.summary_at)
        need = _pages(len(self.bills), 250) + _pages(summaries, 250)
        for bill in self.bills.values():
            if bill.candidate:
                need += 1 + sum(1 for n in bill.counts.values() if n)
        return need

    def needed_refresh(self) -> int:
        changed = [b for k, b in self.bills.items() if k not in self.seen or self.seen[k][0] != b.updated]
        summaries = [b for k, b in self.bills.items() if b.summary_at and (k not in self.seen
                                                                            or self.seen[k][2] != b.summary_at)]
        need = max(1, _pages(len(changed), 250) + _pages(len(summaries), 250))
        for bill in changed:
            if not bill.candidate:
                continue
            old = self.seen.get(bill.key, (None, {}, None))[1]
            need += 1 + sum(1 for part, n in bill.counts.items() if n and old.get(part) != n)
        return need

    def advance_day(self, rng: random.Random, touched: int = 1_500, ai_moved: int = 12, ai_restamped: int = 20,
                    new_ai: int = 3, new_summaries: int = 40) -> dict[str, int]:
        """A day at the Library: bills re-stamped in bulk, a few AI bills really move, new bills and CRS summaries."""
        start, end = datetime.now(UTC) - timedelta(seconds=30), datetime.now(UTC)
        current = [b for b in self.bills.values() if b.congress == 119]
        ai = [b for b in current if b.candidate]
        moved = rng.sample(ai, min(ai_moved, len(ai)))
        for bill in moved:
            bill.counts["actions"] += 1
            if rng.random() < 0.4:
                bill.counts["cosponsors"] += 1
        restamped = rng.sample(ai, min(ai_restamped, len(ai))) + rng.sample(current, touched)
        for bill in moved + restamped:
            bill.updated = _between(rng, start, end)
        for bill in rng.sample(current, new_summaries):
            bill.summary_at = bill.updated = _between(rng, start, end)
            bill.counts["summaries"] += 1
        for _ in range(new_ai):
            self._new_bill(rng, 119, start, 0.0, _between(rng, start, end), kind="work")
        return {"bills re-stamped": touched + ai_restamped, "AI bills with new actions": len(moved),
                "AI bills new": new_ai, "new CRS summaries": new_summaries}

    # Answers --------------------------------------------------------------------------------------------

    def answer(self, path: str, query: dict[str, list[str]]) -> Answer:
        parts = path.strip("/").split("/")
        if parts == ["congress", "current"]:
            return _json({"congress": {"number": 119, "name": "119th Congress", "startYear": "2025",
                                       "endYear": "2026"}})
        if parts[0] in ("bill", "summaries") and len(parts) <= 2:
            return self.feed(parts[0], int(parts[1]) if len(parts) == 2 else None, query)
        if parts[0] == "bill" and len(parts) in (4, 5):
            bill = self.bills.get("/".join(parts[1:4]))
            if bill is None:
                return _json({"error": f"Unknown bill {path}"}, 404)
            return self.detail(bill) if len(parts) == 4 else self.part(bill, parts[4])
        return _json({"error": f"Unknown resource: {path}"}, 404)

    def feed(self, name: str, congress: int | None, query: dict[str, list[str]]) -> Answer:
        """A change feed of one Congress, or across Congresses (``/bill``, ``/summaries``) when ``congress`` is None."""
        since = datetime.fromisoformat((_first(query, "fromDateTime") or "1789-01-01T00:00:00Z").replace("Z", "+00:00"))
        until = datetime.fromisoformat((_first(query, "toDateTime") or "2999-01-01T00:00:00Z").replace("Z", "+00:00"))
        offset, limit = int(_first(query, "offset", "0") or 0), min(250, int(_first(query, "limit", "20") or 20))
        if name == "bill":
            found = sorted((b for b in self.bills.values() if congress in (None, b.congress)
                            and since <= b.updated <= until), key=lambda b: (b.updated, b.key))
        else:
            found = sorted((b for b in self.bills.values() if congress in (None, b.congress) and b.summary_at
                            and since <= b.summary_at <= until), key=lambda b: (b.summary_at, b.key))
        page = found[offset: offset + limit]
        pagination: dict[str, Any] = {"count": len(found)}
        if offset + limit < len(found):
            params = {"fromDateTime": _z(since), "toDateTime": _z(until), "sort": "updateDate+asc",
                      "offset": offset + limit, "limit": limit, "format": "json"}
            feed = name if congress is None else f"{name}/{congress}"
            pagination["next"] = f"{self.base}/{feed}?{urlencode(params, safe=':+')}"
        if name == "bill":
            return _json({"bills": [self.list_entry(b) for b in page], "pagination": pagination})
        return _json({"summaries": [self.summary_entry(b) for b in page], "pagination": pagination})

    def _title(self, bill: FedBill) -> tuple[str, str]:
        rng = random.Random(bill.key)
        title, summary = story_text(rng, bill.kind)
        if bill.summary_ai:
            summary += " It also commissions a study of artificial intelligence in the administration of the program."
        return title, summary

    def list_entry(self, bill: FedBill) -> dict[str, Any]:
        return {"congress": bill.congress, "number": str(bill.number), "type": bill.bill_type.upper(),
                "originChamber": "House" if bill.bill_type.startswith("h") else "Senate",
                "title": self._title(bill)[0], "updateDate": _z(bill.updated),
                "updateDateIncludingText": _z(bill.updated),
                "latestAction": {"actionDate": bill.updated.date().isoformat(), "text": "Referred to committee."},
                "url": f"https://api.congress.gov/v3/bill/{bill.key}?format=json"}

    def summary_entry(self, bill: FedBill) -> dict[str, Any]:
        assert bill.summary_at is not None
        return {"actionDate": bill.introduced.isoformat(), "actionDesc": "Introduced",
                "bill": {"congress": bill.congress, "number": str(bill.number), "type": bill.bill_type.upper(),
                         "title": self._title(bill)[0], "updateDateIncludingText": _z(bill.updated),
                         "url": f"https://api.congress.gov/v3/bill/{bill.key}?format=json"},
                "lastSummaryUpdateDate": _z(bill.summary_at), "updateDate": _z(bill.summary_at),
                "text": f" <p>{self._title(bill)[1]}</p>", "versionCode": "00"}

    def detail(self, bill: FedBill) -> Answer:
        url = f"https://api.congress.gov/v3/bill/{bill.key}"
        detail: dict[str, Any] = {
            "congress": bill.congress, "number": str(bill.number), "type": bill.bill_type.upper(),
            "title": self._title(bill)[0], "introducedDate": bill.introduced.isoformat(),
            "originChamber": "House" if bill.bill_type.startswith("h") else "Senate",
            "updateDate": _z(bill.updated), "updateDateIncludingText": _z(bill.updated),
            "policyArea": {"name": "Labor and Employment"},
            "sponsors": [{"bioguideId": f"B{bill.number:06d}", "fullName": f"Rep. {person(random.Random(bill.key))}",
                          "party": "D", "state": "CA"}],
        }
        pointer = {"text": "textVersions"}
        for part, n in bill.counts.items():
            if n:  # the API leaves out an empty sub-resource
                detail[pointer.get(part, part)] = {"count": n, "url": f"{url}/{part}?format=json"}
        return _json({"bill": detail})

    def part(self, bill: FedBill, part: str) -> Answer:
        n = bill.counts.get(part, 0)
        rng = random.Random(f"{bill.key}/{part}")
        day = bill.introduced.isoformat()
        if part == "actions":
            items: Any = [{"actionDate": day, "text": f"Referred to the Committee on {rng.choice(COMMITTEES)}.",
                           "type": "IntroReferral", "actionCode": "H11100" if i else "Intro-H",
                           "sourceSystem": {"code": 2, "name": "House floor actions"}} for i in range(n)]
            items[0]["text"] = "Introduced in House"
            for i, item in enumerate(items):
                item["actionDate"] = (bill.introduced + timedelta(days=i)).isoformat()
            items.reverse()  # newest first, as the API lists them
        elif part == "cosponsors":
            # Distinct people, as in a real list (a name listed twice is refused by the sponsors key).
            items = [{"bioguideId": f"C{i:06d}", "fullName": f"Rep. {FIRST_NAMES[i % 30]} {LAST_NAMES[(7 * i) % 40]}"
                      f" [D-NY-{i % 30 + 1}]", "party": "D",
                      "state": "NY", "sponsorshipDate": day, "isOriginalCosponsor": True} for i in range(n)]
        elif part == "subjects":
            items = {"legislativeSubjects": [{"name": s.capitalize()} for s in ORDINARY_SUBJECTS[:n]],
                     "policyArea": {"name": "Labor and Employment"}}
        elif part == "summaries":
            items = [{"actionDate": day, "actionDesc": "Introduced", "text": f"<p>{self._title(bill)[1]}</p>",
                      "updateDate": _z(bill.summary_at or bill.updated), "versionCode": f"{i:02d}"} for i in range(n)]
        elif part == "text":
            items = [{"date": f"{day}T04:00:00Z", "type": "Introduced in House", "formats": [
                {"type": "Formatted Text",
                 "url": f"https://www.congress.gov/{bill.congress}/bills/{bill.bill_type}{bill.number}/"
                        f"BILLS-{bill.congress}{bill.bill_type}{bill.number}ih{i}.htm"}]} for i in range(n)]
        elif part == "titles":
            items = [{"title": self._title(bill)[0] + ("" if i == 0 else f" ({i})"), "titleType": "Display Title"}
                     for i in range(n)]
        else:
            return _json({"error": f"Unknown resource: {part}"}, 404)
        key = {"text": "textVersions"}.get(part, part)
        return _json({key: items, "pagination": {"count": n}})


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


UPSTREAMS: dict[str, type[Upstream]] = {
    "openstates": OpenStates, "congress": Congress, "federal_register": FederalRegister,
    "regulations_gov": RegulationsGov,
}
