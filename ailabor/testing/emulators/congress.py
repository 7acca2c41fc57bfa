"""Congress.gov API v3 (SOURCES.md §1): the bill and summary change feeds, bill details and their sub-resources.

Answers follow the documented semantics and the recorded responses in
shared/fixtures/congress/: ``fromDateTime``/``toDateTime`` window ``updateDate``
(not a legislative date), ``limit`` defaults to 20 and silently caps at 250,
``pagination.count`` is the total and ``next`` disappears on the last page,
numbers are strings, types upper case, empty sub-resources are left out of the
detail, and every answer carries the api.data.gov rate-limit headers. Answers
are JSON whatever ``format`` asks, as the project always sends ``format=json``.
"""

from __future__ import annotations

import re
import time
from collections import deque
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import ailabor.testing.emulators.render as render
from ailabor.testing.emulators.common import Answer, Request, json_answer, noon, parse_int, seed, zulu
from ailabor.testing.emulators.dataset import Dataset, FedRecord
from ailabor.testing.emulators.facts import FEDERAL_TYPES, Action, FederalBill

EASTERN = ZoneInfo("America/New_York")
MAX_LIMIT = 250
LOC = {"code": 9, "name": "Library of Congress"}
HOUSE_FLOOR = {"code": 2, "name": "House floor actions"}
HOUSE_COMMITTEE = {"code": 1, "name": "House committee actions"}
SENATE = {"name": "Senate"}  # recorded Senate actions carry no code
PARTS = ("actions", "amendments", "committees", "cosponsors", "relatedbills", "subjects", "summaries", "text",
         "titles")
FIRST = ("Maria", "James", "Linda", "Robert", "Patricia", "John", "Jennifer", "Michael", "Elizabeth", "David",
         "Susan", "Richard", "Karen", "Joseph", "Nancy", "Thomas", "Lisa", "Charles", "Sandra", "Daniel")
LAST = ("Alvarez", "Brennan", "Castillo", "Donnelly", "Eastman", "Fairbanks", "Gallagher", "Hartley", "Ingram",
        "Jennings", "Kowalski", "Lindqvist", "Montoya", "Nakamura", "Okafor", "Pellegrino", "Quintana", "Rasmussen",
        "Sorensen", "Thibodeaux", "Underwood", "Villanueva", "Whitfield", "Yamamoto")
STATES = ("CA", "NY", "TX", "FL", "IL", "PA", "OH", "GA", "NC", "MI", "NJ", "VA", "WA", "AZ", "MA", "MN", "CO",
          "OR", "WI", "MD")
_SPONSOR = re.compile(r"^(?P<title>Rep\.|Sen\.|Del\.|Resident Commissioner)\s+(?P<last>[^,]+),\s*(?P<first>.+?)\s*"
                      r"\[(?P<party>[A-Z]+)-(?P<state>[A-Z]{2})(?:-(?P<district>\d+|At Large))?\]$")
_COMMITTEE = re.compile(r"Committee on (?:the )?(.+?)(?=\.|;|, and in addition| for a period|$)")
_LAW = re.compile(r"Became (Public|Private) Law No: (\d+-\d+)")


def sponsor_json(text: str, base: str) -> dict[str, Any]:
    """A member as Congress.gov lists one, from a full name like ``Sen. Coons, Christopher A. [D-DE]``."""
    m = _SPONSOR.match(text.strip())
    if m is None:
        return {"bioguideId": f"X{seed(text) % 1_000_000:06d}", "fullName": text, "isByRequest": "N"}
    first, _, middle = m["first"].partition(" ")
    out: dict[str, Any] = {"bioguideId": f"{m['last'][0].upper()}{seed(text) % 1_000_000:06d}", "fullName": text,
                           "firstName": first, "lastName": m["last"], "party": m["party"], "state": m["state"],
                           "isByRequest": "N"}
    if middle:
        out["middleName"] = middle
    if m["district"]:
        out["district"] = 0 if m["district"] == "At Large" else int(m["district"])
    out["url"] = f"{base}/member/{out['bioguideId']}?format=json"
    return out


def invented_sponsor(bill: FederalBill) -> str:
    """A plausible, stable sponsor for a bill whose facts name none."""
    s = seed(bill.key, "sponsor")
    first, last = FIRST[s % len(FIRST)], LAST[(s // 7) % len(LAST)]
    party, state = ("D", "R")[(s // 11) % 2], STATES[(s // 13) % len(STATES)]
    if render.chamber(bill) == "Senate":
        return f"Sen. {last}, {first} [{party}-{state}]"
    return f"Rep. {last}, {first} [{party}-{state}-{(s // 17) % 20 + 1}]"


def action_details(bill: FederalBill, action: Action) -> tuple[str, dict[str, Any], str | None]:
    """An action's ``type``, ``sourceSystem`` and ``actionCode``, read from its wording as Congress.gov assigns them."""
    t = action.text.lower()
    house_acts = ("house" in t and "senate" not in t) or ("senate" not in t and render.chamber(bill) == "House")
    floor = HOUSE_FLOOR if house_acts else SENATE
    if t.startswith("introduced in"):
        return "IntroReferral", LOC, "Intro-H" if "house" in t else "10000"
    if "became public law" in t or "became private law" in t:
        return "BecameLaw", LOC, "36000"
    if t.startswith("signed by president"):
        return "President", LOC, "E30000"
    if t.startswith("presented to president"):
        return "Floor", HOUSE_FLOOR if house_acts else SENATE, "E20000" if house_acts else None
    if "vetoed" in t:
        return "Veto", LOC, "31000"
    if "subcommittee" in t:
        return "Committee", HOUSE_COMMITTEE if house_acts else SENATE, "H11200" if house_acts else None
    if "referred to" in t and "committee" in t:
        return "IntroReferral", floor, "H11100" if house_acts else None
    if "calendar" in t:
        return "Calendars", floor, "H12410" if house_acts else None
    if "reported" in t or "committee" in t or "hearings held" in t:
        return "Committee", HOUSE_COMMITTEE if house_acts else SENATE, "H12100" if house_acts else None
    if "passed" in t or "agreed to" in t:
        return "Floor", floor, "H37300" if house_acts else None
    return "Floor", floor, None


def committees_of(record: FedRecord) -> list[dict[str, Any]]:
    """The committees the visible actions refer the bill to, with their "Referred To" activity."""
    out: dict[str, dict[str, Any]] = {}
    for action in record.visible_actions():
        if "referred to" not in action.text.lower():
            continue
        _, source, _ = action_details(record.bill, action)
        body = "House" if source in (HOUSE_FLOOR, HOUSE_COMMITTEE) else "Senate"
        for name in _COMMITTEE.findall(action.text):
            name = name.strip()
            full = f"{name} Committee"
            if full in out:
                continue
            letters = "".join(w[0] for w in re.findall(r"[A-Za-z]+", name) if w[0].isupper())[:2].lower() or "xx"
            out[full] = {"name": full, "chamber": body, "type": "Standing",
                         "systemCode": f"{'hs' if body == 'House' else 'ss'}{letters.ljust(2, 'x')}00",
                         "activities": [{"name": "Referred To", "date": zulu(noon(action.date))}]}
    return list(out.values())


def summary_fields(record: FedRecord) -> dict[str, Any]:
    """A CRS summary's fields. CRS now summarises introduced versions only (issue #384), so it describes those."""
    bill = record.bill
    assert bill.summary is not None
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", bill.summary.text) if p.strip()]
    text = f" <p><strong>{_html(bill.display_title)}</strong></p> " + " ".join(f"<p>{_html(p)}</p>" for p in paragraphs)
    return {"actionDate": bill.introduced, "actionDesc": f"Introduced in {render.chamber(bill)}", "text": text,
            "updateDate": zulu(record.summary_updated), "versionCode": "00"}


def eastern_midnight(day: str) -> str:
    """A text version's date as the API gives it: midnight in Washington, in UTC."""
    moment = datetime.fromisoformat(day).replace(tzinfo=EASTERN)
    return zulu(moment)


class CongressEmulator:
    """Congress.gov v3 over a dataset, with the gateway's key check and hourly limit."""

    def __init__(self, dataset: Dataset) -> None:
        self.ds = dataset
        self._calls: deque[float] = deque()

    def base(self, req: Request) -> str:
        return "https://api.congress.gov/v3" if self.ds.options.real_hosts else req.base

    def answer(self, req: Request) -> Answer:
        if self.ds.options.require_api_keys and not (req.header("X-Api-Key") or req.first("api_key")):
            return json_answer({"error": {"code": "API_KEY_MISSING",
                                          "message": "No api_key was supplied. Get one at https://api.data.gov:443"}},
                               401)
        limit = self.ds.options.congress_hourly_limit
        clock = time.monotonic()
        while self._calls and clock - self._calls[0] > 3600:
            self._calls.popleft()
        if len(self._calls) >= limit:
            return json_answer({"error": {"code": "OVER_RATE_LIMIT", "message": "You have exceeded your rate limit. "
                                          "Try again later or contact us at https://api.data.gov:443/contact/ for "
                                          "assistance"}}, 429, {"X-Ratelimit-Limit": str(limit),
                                                                 "X-Ratelimit-Remaining": "0"})
        self._calls.append(clock)
        answer = self._route(req)
        answer.headers.update({"X-Ratelimit-Limit": str(limit),
                               "X-Ratelimit-Remaining": str(max(0, limit - len(self._calls)))})
        return answer

    def _route(self, req: Request) -> Answer:
        path = req.path[3:] if req.path.startswith("/v3/") else req.path
        parts = [p for p in path.split("/") if p]
        if parts == ["congress", "current"]:
            return self.current(req)
        if not parts or parts[0] not in ("bill", "summaries"):
            return self.error(req, 404, f"Unknown resource: {path}")
        congress: int | None = None
        if len(parts) >= 2:
            if not parts[1].isdigit():
                return self.error(req, 400, f"Invalid congress: {parts[1]}")
            congress = int(parts[1])
        bill_type = parts[2].lower() if len(parts) >= 3 else None
        if bill_type is not None and bill_type not in FEDERAL_TYPES:
            return self.error(req, 400, f"Invalid bill type: {parts[2]}")
        if len(parts) <= 3:
            return self.feed(req, parts[0], congress, bill_type)
        if parts[0] != "bill" or len(parts) > 5 or not parts[3].isdigit():
            return self.error(req, 404, f"Unknown resource: {path}")
        record = self.ds.fed_by_key.get(f"{congress}/{bill_type}/{int(parts[3])}")
        if record is None or not record.visible:
            return self.error(req, 404, f"Unknown bill: {congress}/{bill_type}/{parts[3]}")
        if len(parts) == 4:
            return self.detail(req, record)
        return self.part(req, record, parts[4].lower())

    def error(self, req: Request, status: int, message: str) -> Answer:
        return json_answer({"error": message, "request": {"contentType": "application/json", "format": "json"}},
                           status)

    def current(self, req: Request) -> Answer:
        number = render.congress_of(self.ds.as_of)
        start = 1789 + 2 * (number - 1)
        return json_answer({"congress": {
            "number": number, "name": f"{render.ordinal(number)} Congress", "startYear": str(start),
            "endYear": str(start + 1), "url": f"{self.base(req)}/congress/{number}?format=json",
            "sessions": [{"chamber": c, "number": s, "startDate": f"{start + s - 1}-01-03",
                          "type": "R"} for s in (1, 2) for c in ("House of Representatives", "Senate")
                         if start + s - 1 <= int(self.ds.as_of[:4])]},
            "request": {"contentType": "application/json", "format": "json"}})

    # Feeds ------------------------------------------------------------------------------------------------

    def _window(self, req: Request) -> tuple[datetime | None, datetime | None] | Answer:
        out: list[datetime | None] = []
        for name in ("fromDateTime", "toDateTime"):
            value = req.first(name)
            if not value:
                out.append(None)
                continue
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                return self.error(req, 400, f"Invalid {name}: {value}; expected YYYY-MM-DDT00:00:00Z")
            if moment.tzinfo is None:
                return self.error(req, 400, f"Invalid {name}: {value}; expected YYYY-MM-DDT00:00:00Z")
            out.append(moment)
        return out[0], out[1]

    def _paging(self, req: Request) -> tuple[int, int] | Answer:
        offset, limit = parse_int(req.first("offset"), 0), parse_int(req.first("limit"), 20)
        if offset is None or limit is None or offset < 0:
            return self.error(req, 400, "offset and limit must be non-negative integers")
        return offset, min(MAX_LIMIT, limit if limit > 0 else 20)

    def _pagination(self, req: Request, path: str, total: int, offset: int, limit: int) -> dict[str, Any]:
        out: dict[str, Any] = {"count": total}
        keep = [(k, v) for k, values in req.query.items() for v in values
                if k not in ("offset", "limit", "format", "api_key")]

        def link(at: int) -> str:
            params = keep + [("offset", str(at)), ("limit", str(limit)), ("format", "json")]
            # The API writes sort=updateDate+asc with a literal "+", as its documentation does.
            return f"{self.base(req)}{path}?{urlencode(params, safe=':+')}"

        if offset + limit < total:
            out["next"] = link(offset + limit)
        if offset > 0:
            out["prev"] = link(max(0, offset - limit))
        return out

    def feed(self, req: Request, name: str, congress: int | None, bill_type: str | None) -> Answer:
        window = self._window(req)
        if isinstance(window, Answer):
            return window
        paging = self._paging(req)
        if isinstance(paging, Answer):
            return paging
        offset, limit = paging
        since, until = window
        if name == "summaries" and since is None:
            since = self.ds.now() - timedelta(days=1)  # without fromDateTime, only the last day (SummariesEndpoint.md)
        sort = (req.first("sort") or "updateDate+desc").replace(" ", "+")
        if sort not in ("updateDate+asc", "updateDate+desc"):
            return self.error(req, 400, f"Invalid sort: {sort}; use updateDate+asc or updateDate+desc")
        scope: Any = None if congress is None else congress if bill_type is None else (congress, bill_type)
        feeds = self.ds.bill_feeds if name == "bill" else self.ds.summary_feeds
        feed = feeds.get(scope)
        records: list[FedRecord] = []
        total = 0
        if feed is not None:
            lo, hi = feed.window(since, until)
            total = hi - lo
            if sort.endswith("asc"):
                records = feed.records[lo + offset: min(hi, lo + offset + limit)]
            else:
                end = hi - offset
                records = list(reversed(feed.records[max(lo, end - limit): max(lo, end)]))
        path = "/" + "/".join(str(p) for p in (name, congress, bill_type) if p is not None)
        pagination = self._pagination(req, path, total, offset, limit)
        request = {"contentType": "application/json", "format": "json"}
        if congress is not None:
            request["congress"] = str(congress)
        if bill_type is not None:
            request["billType"] = bill_type
        if name == "bill":
            return json_answer({"bills": [self.list_item(req, r) for r in records], "pagination": pagination,
                                "request": request})
        return json_answer({"summaries": [self.summary_item(req, r) for r in records], "pagination": pagination,
                            "request": request})

    def bill_url(self, req: Request, record: FedRecord, part: str = "") -> str:
        return f"{self.base(req)}/bill/{record.key}{'/' + part if part else ''}?format=json"

    def latest_action(self, record: FedRecord) -> dict[str, str]:
        action = record.visible_actions()[-1]
        return {"actionDate": action.date, "text": action.text}

    def list_item(self, req: Request, record: FedRecord) -> dict[str, Any]:
        bill = record.bill
        return {"congress": bill.congress, "latestAction": self.latest_action(record), "number": str(bill.number),
                "originChamber": render.chamber(bill), "originChamberCode": render.chamber(bill)[0],
                "title": bill.display_title, "type": bill.type.upper(),
                "updateDate": record.updated.date().isoformat(),
                "updateDateIncludingText": zulu(record.updated_including_text), "url": self.bill_url(req, record)}

    def summary_item(self, req: Request, record: FedRecord) -> dict[str, Any]:
        bill = record.bill
        return {**summary_fields(record),
                "bill": {"congress": bill.congress, "number": str(bill.number), "originChamber": render.chamber(bill),
                         "originChamberCode": render.chamber(bill)[0], "title": bill.display_title,
                         "type": bill.type.upper(), "updateDateIncludingText": zulu(record.updated_including_text),
                         "url": self.bill_url(req, record)},
                "currentChamber": render.chamber(bill), "currentChamberCode": render.chamber(bill)[0],
                "lastSummaryUpdateDate": zulu(record.summary_updated)}

    # Detail -----------------------------------------------------------------------------------------------

    def counts(self, record: FedRecord) -> dict[str, int]:
        bill = record.bill
        return {"actions": record.n_actions, "amendments": 0, "committees": len(committees_of(record)),
                "cosponsors": len(self.cosponsors(record)), "relatedBills": 0,
                "subjects": (len(bill.subjects) + (1 if bill.policy_area else 0)) if record.has_subjects else 0,
                "summaries": int(record.has_summary), "textVersions": record.n_versions,
                "titles": len(self.titles(record))}

    def cosponsors(self, record: FedRecord) -> list[str]:
        return record.bill.cosponsors if record.visible else []

    def detail(self, req: Request, record: FedRecord) -> Answer:
        bill = record.bill
        out: dict[str, Any] = {
            "congress": bill.congress, "introducedDate": bill.introduced, "latestAction": self.latest_action(record),
            "legislationUrl": render.legislation_url(bill), "number": str(bill.number),
            "originChamber": render.chamber(bill), "originChamberCode": render.chamber(bill)[0],
            "sponsors": [sponsor_json(bill.sponsor or invented_sponsor(bill), self.base(req))],
            "title": bill.display_title, "type": bill.type.upper(), "updateDate": zulu(record.updated),
            "updateDateIncludingText": zulu(record.updated_including_text)}
        if record.has_subjects and bill.policy_area:
            out["policyArea"] = {"name": bill.policy_area}
        laws = [{"number": m.group(2), "type": f"{m.group(1)} Law"} for a in record.visible_actions()
                for m in [_LAW.search(a.text)] if m]
        if laws:
            out["laws"] = laws
        paths = {"relatedBills": "relatedbills", "textVersions": "text"}
        for name, count in self.counts(record).items():
            if count:  # the API leaves empty sub-resources out (#65)
                pointer: dict[str, Any] = {"count": count, "url": self.bill_url(req, record, paths.get(name, name))}
                if name == "cosponsors":
                    pointer["countIncludingWithdrawnCosponsors"] = count
                out[name] = pointer
        return json_answer({"bill": dict(sorted(out.items())), "request": self.bill_request(req, record)})

    def bill_request(self, req: Request, record: FedRecord, part: bool = False) -> dict[str, str]:
        out = {"billNumber": str(record.bill.number), "billType": record.bill.type,
               "congress": str(record.bill.congress), "contentType": "application/json", "format": "json"}
        if part:
            out["billUrl"] = self.bill_url(req, record)
        return out

    def titles(self, record: FedRecord) -> list[dict[str, Any]]:
        bill = record.bill
        first = record.versions[0] if record.versions else None
        code = (first.code.upper(), first.type) if first else \
            ("IH" if render.chamber(bill) == "House" else "IS", f"Introduced in {render.chamber(bill)}")
        stamp = zulu(noon(bill.introduced))
        out = [{"title": bill.display_title, "titleType": "Display Title", "titleTypeCode": 45, "updateDate": stamp},
               {"billTextVersionCode": code[0], "billTextVersionName": code[1], "chamberCode": None,
                "chamberName": None, "title": bill.official_title, "titleType": "Official Title as Introduced",
                "titleTypeCode": 6, "updateDate": stamp}]
        out += [{"billTextVersionCode": code[0], "billTextVersionName": code[1], "chamberCode": None,
                 "chamberName": None, "title": t, "titleType": "Short Title(s) as Introduced", "titleTypeCode": 8,
                 "updateDate": stamp} for t in bill.short_titles]
        return out

    def part(self, req: Request, record: FedRecord, part: str) -> Answer:
        if part not in PARTS:
            return self.error(req, 404, f"Unknown resource: bill/{record.key}/{part}")
        paging = self._paging(req)
        if isinstance(paging, Answer):
            return paging
        offset, limit = paging
        bill = record.bill
        key = {"relatedbills": "relatedBills", "text": "textVersions"}.get(part, part)
        items: list[Any]
        if part == "actions":
            items = []
            for action in reversed(record.visible_actions()):  # newest first
                kind, source, code = action_details(bill, action)
                item: dict[str, Any] = {"actionDate": action.date, "sourceSystem": source, "text": action.text,
                                        "type": kind}
                if code:
                    item["actionCode"] = code
                items.append(dict(sorted(item.items())))
        elif part == "cosponsors":
            window = self._window(req)
            if isinstance(window, Answer):
                return window
            items = [{**sponsor_json(name, self.base(req)), "isOriginalCosponsor": True,
                      "sponsorshipDate": bill.introduced} for name in self.cosponsors(record)]
        elif part == "committees":
            items = committees_of(record)
        elif part == "subjects":
            subjects = bill.subjects if record.has_subjects else []
            count = len(subjects) + (1 if record.has_subjects and bill.policy_area else 0)
            stamp = zulu(record.subjects_updated)
            area = {"name": bill.policy_area, "updateDate": stamp} if record.has_subjects and bill.policy_area else {}
            page = [{"name": s, "updateDate": stamp} for s in subjects[offset: offset + limit]]
            return json_answer({"pagination": self._pagination(req, f"/bill/{record.key}/subjects", count, offset,
                                                               limit),
                                "request": self.bill_request(req, record, True),
                                "subjects": {"legislativeSubjects": page, "policyArea": area}})
        elif part == "summaries":
            items = [summary_fields(record)] if record.has_summary else []
        elif part == "text":
            items = []
            for version in reversed(record.visible_versions()):
                stem = f"https://www.congress.gov/{bill.congress}/bills/{bill.type}{bill.number}/" \
                       f"BILLS-{bill.congress}{bill.type}{bill.number}{version.code}"
                items.append({"date": eastern_midnight(version.date), "formats": [
                    {"type": "Formatted Text", "url": f"{stem}.htm"}, {"type": "PDF", "url": f"{stem}.pdf"},
                    {"type": "Formatted XML", "url": f"{stem}.xml"}], "type": version.type})
        elif part == "titles":
            items = self.titles(record)
        else:  # amendments, relatedbills: the facts know none
            items = []
        page_items = items[offset: offset + limit]
        return json_answer({key: page_items,
                            "pagination": self._pagination(req, f"/bill/{record.key}/{part}", len(items), offset,
                                                           limit),
                            "request": self.bill_request(req, record, True)})


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
