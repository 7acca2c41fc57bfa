"""Open States API v3 (SOURCES.md §3) and the legislatures' own text pages, over a dataset of state bill facts.

The semantics are openstates/api-v3's (api/bills.py, api/pagination.py,
api/auth.py): ``jurisdiction`` or ``q`` is required; ``q`` that looks like a bill
number is an identifier match, anything else a PostgreSQL full-text query
(textsearch.py) over bills whose text was extracted; ``updated_since`` and
``created_since`` are compared as TEXT with the timestamp as PostgreSQL writes
it (``2025-10-14 07:18:22.91+00``), so ``updated_since=2025-10-14T00:00:00``
misses bills updated later that same day (" " sorts before "T") while
``2025-10-14`` finds them; pages past ``max_page`` are a 404; ``include``
arrays not asked for are left out; 10 a page by default, 20 at most; a key's
per-minute and daily limits answer 429 with the limit and the count.

Version links point at ``https://legislature.{jurisdiction}.example/{jurisdiction}/
{session}/{identifier}/{n}.html|pdf`` and the same server serves that path, so a
spider whose text mirror replaces scheme and host fetches the text from it.
"""

from __future__ import annotations

import math
import re
import time
import uuid
from datetime import UTC, date, datetime
from typing import Any

import ailabor.testing.emulators.render as render
from ailabor.testing.emulators.common import Answer, Request, json_answer, parse_int, seed, text_answer
from ailabor.testing.emulators.dataset import Dataset, StateRecord
from ailabor.testing.emulators.facts import JURISDICTIONS, StateAction, StateBill
from ailabor.testing.emulators.pdf import write_pdf
from ailabor.testing.emulators.textsearch import websearch_to_tsquery

INCLUDES = ("sponsorships", "abstracts", "other_titles", "other_identifiers", "actions", "sources", "documents",
            "versions", "votes", "related_bills")
SORTS = ("updated_asc", "updated_desc", "first_action_asc", "first_action_desc", "latest_action_asc",
         "latest_action_desc")
MAX_PER_PAGE, MAX_IDENTIFIERS, JURISDICTIONS_PER_PAGE = 20, 20, 52
_LIKELY_BILL_ID = re.compile(r"\w{1,3}\s*\d{1,5}")
_NAMESPACE = uuid.UUID("0c2f4d5e-8b1a-4c3e-9f7d-2e6b5a4c3d21")
ASSEMBLY = {"ca", "nv", "ny", "wi", "nj"}
DELEGATES = {"md", "va", "wv"}
PEOPLE = ("Alvarez", "Brooks", "Chen", "Delgado", "Ellison", "Fischer", "Garcia", "Holloway", "Iverson", "Jackson",
          "Kim", "Larsen", "Morales", "Nguyen", "O'Brien", "Patel", "Quinn", "Reyes", "Stein", "Turner", "Vasquez",
          "Whitaker", "Young", "Zimmerman")


def ocd_jurisdiction(code: str) -> str:
    kind = "district" if code == "dc" else "territory" if code == "pr" else "state"
    return f"ocd-jurisdiction/country:us/{kind}:{code}/government"


def _uid(prefix: str, *parts: object) -> str:
    return f"{prefix}/{uuid.uuid5(_NAMESPACE, '/'.join(str(p) for p in parts))}"


def organization(code: str, chamber: str) -> dict[str, str]:
    """The chamber (or the governor) as Open States names it for a jurisdiction."""
    if chamber in ("executive", "governor"):
        return {"id": _uid("ocd-organization", code, "executive"), "name": "Office of the Governor",
                "classification": "executive"}
    if chamber == "legislature" or code in ("ne", "dc"):
        name = "Council of the District of Columbia" if code == "dc" else "Legislature"
        return {"id": _uid("ocd-organization", code, "legislature"), "name": name, "classification": "legislature"}
    if chamber == "upper":
        return {"id": _uid("ocd-organization", code, "upper"), "name": "Senate", "classification": "upper"}
    name = "Assembly" if code in ASSEMBLY else "House of Delegates" if code in DELEGATES else "House"
    return {"id": _uid("ocd-organization", code, "lower"), "name": name, "classification": "lower"}


def identifier_path(identifier: str) -> str:
    return identifier.replace(" ", "")


def detail(message: Any, status: int) -> Answer:
    return json_answer({"detail": message}, status)


def invalid(name: str, message: str, kind: str) -> Answer:
    """FastAPI's 422 for a query parameter it cannot validate."""
    return json_answer({"detail": [{"loc": ["query", name], "msg": message, "type": kind}]}, 422)


class OpenStatesEmulator:
    """Open States v3 ``/bills`` and ``/jurisdictions`` over a dataset, with the key's rate limits."""

    def __init__(self, dataset: Dataset) -> None:
        self.ds = dataset
        self._minute: tuple[int, int] = (-1, 0)
        self._day: tuple[str, int] = ("", 0)

    def reset_quota(self) -> None:
        """A new UTC day and minute for the key's counters."""
        self._minute, self._day = (-1, 0), ("", 0)

    def _limited(self) -> Answer | None:
        options = self.ds.options
        minute = int(time.monotonic() // options.openstates_minute_seconds)
        self._minute = (minute, self._minute[1] + 1 if self._minute[0] == minute else 1)
        today = datetime.now(UTC).date().isoformat()
        self._day = (today, self._day[1] + 1 if self._day[0] == today else 1)
        if options.openstates_per_minute is not None and self._minute[1] > options.openstates_per_minute:
            return detail(f"exceeded limit of {options.openstates_per_minute}/min: {self._minute[1]}", 429)
        if options.openstates_per_day is not None and self._day[1] > options.openstates_per_day:
            return detail(f"exceeded limit of {options.openstates_per_day}/day: {self._day[1]}", 429)
        return None

    def answer(self, req: Request) -> Answer:
        if self.ds.options.require_api_keys and not (req.header("X-API-KEY") or req.first("apikey")):
            return detail("Must provide API Key as ?apikey or X-API-KEY. Login and visit "
                          "https://openstates.org/account/profile/ for your API key.", 403)
        limited = self._limited()
        if limited is not None:
            return limited
        parts = [p for p in req.path.split("/") if p]
        if parts == ["bills"]:
            return self.bills(req)
        if parts[:1] == ["bills"] and len(parts) == 3 and parts[1] == "ocd-bill":
            return self.one_bill(req, self.ds.state_by_id.get(f"ocd-bill/{parts[2]}"))
        if parts[:1] == ["bills"] and len(parts) == 4:
            code = self.jurisdiction_code(parts[1])
            record = self.ds.state_by_key.get((code or "", parts[2], render.bill_id_key(parts[3])))
            return self.one_bill(req, record)
        if parts == ["jurisdictions"]:
            return self.jurisdictions(req)
        if parts[:1] == ["jurisdictions"] and len(parts) >= 2:
            code = self.jurisdiction_code("/".join(parts[1:]))
            if code is None:
                return detail("No such Jurisdiction.", 404)
            includes = req.query.get("include", [])
            return json_answer(self.jurisdiction_json(code, includes))
        return detail("Not Found", 404)

    @staticmethod
    def jurisdiction_code(value: str) -> str | None:
        """An abbreviation, a full name or an ocd-jurisdiction id, as api/utils.py accepts them."""
        value = value.strip()
        if value.startswith("ocd-jurisdiction/"):
            m = re.match(r"ocd-jurisdiction/country:us/(?:state|district|territory):([a-z]{2})/government$", value)
            return m.group(1) if m and m.group(1) in JURISDICTIONS else None
        if value.lower() in JURISDICTIONS:
            return value.lower()
        return next((code for code, name in JURISDICTIONS.items() if name.lower() == value.lower()), None)

    # /bills -----------------------------------------------------------------------------------------------

    def bills(self, req: Request) -> Answer:
        includes = req.query.get("include", [])
        for i, name in enumerate(includes):
            if name not in INCLUDES:
                return invalid(f"include.{i}", "value is not a valid enumeration member; permitted: "
                               + ", ".join(f"'{n}'" for n in INCLUDES), "type_error.enum")
        sort = req.first("sort", "updated_desc") or "updated_desc"
        if sort not in SORTS:
            return invalid("sort", "value is not a valid enumeration member; permitted: "
                           + ", ".join(f"'{s}'" for s in SORTS), "type_error.enum")
        page, per_page = parse_int(req.first("page"), 1), parse_int(req.first("per_page"), 10)
        if page is None:
            return invalid("page", "value is not a valid integer", "type_error.integer")
        if per_page is None:
            return invalid("per_page", "value is not a valid integer", "type_error.integer")
        jurisdiction, session, q = req.first("jurisdiction"), req.first("session"), req.first("q")
        identifiers = req.query.get("identifier", [])
        if len(identifiers) > MAX_IDENTIFIERS:
            return detail(f"can only request up to {MAX_IDENTIFIERS} identifiers at once", 400)
        for name in ("updated_since", "created_since"):
            value = req.first(name)
            if value and not _iso(value):
                return detail(f"{name} must be an ISO-8601 date or date-time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)",
                              400)
        if session and not jurisdiction:
            return detail("filtering by session requires a jurisdiction parameter as well", 400)
        if not q and not jurisdiction:
            return detail("either 'jurisdiction' or 'q' required", 400)
        if per_page < 1 or per_page > MAX_PER_PAGE:
            return detail(f"invalid per_page, must be in [1, {MAX_PER_PAGE}]", 400)
        found = self.matching(req, jurisdiction, session, q, identifiers)
        found = self.sorted(found, sort)
        max_page = math.ceil(len(found) / per_page) or 1
        if page < 1 or page > max_page:
            return detail(f"invalid page, must be in [1, {max_page}]", 404)
        results = [self.bill_json(r, includes) for r in found[(page - 1) * per_page: page * per_page]]
        return json_answer({"results": results, "pagination": {"per_page": per_page, "page": page,
                                                               "max_page": max_page, "total_items": len(found)}})

    def matching(self, req: Request, jurisdiction: str | None, session: str | None, q: str | None,
                 identifiers: list[str]) -> list[StateRecord]:
        """The visible bills the filters select, in ascending ``updated_at`` order."""
        code = None
        if jurisdiction:
            code = self.jurisdiction_code(jurisdiction)
            if code is None:
                return []
        feed = self.ds.state_feeds.get(code)
        if feed is None:
            return []
        start = feed.since(req.first("updated_since"))
        window = feed.records[start:]
        candidates: set[int] | None = None
        id_match: str | None = None
        if q:
            if _LIKELY_BILL_ID.match(q):
                id_match = render.fix_bill_id(q).upper()
            else:
                query = websearch_to_tsquery(q)
                if query is None:
                    return []
                candidates = self.ds.state_index().search(query)
        if candidates is not None and len(candidates) < len(window):
            # Fewer matches than bills in the window: walk the matches instead (same order, same filters).
            since = req.first("updated_since") or ""
            pool = sorted((self.ds.states[n] for n in candidates), key=lambda r: (r.updated_text, r.id))
            window = [r for r in pool if r.visible and r.updated_text >= since
                      and (code is None or r.bill.jurisdiction == code)]
            candidates = None
        wanted_ids = {render.bill_id_key(i) for i in identifiers}
        created_since, action_since = req.first("created_since"), req.first("action_since")
        chamber, classification = req.first("chamber"), req.first("classification")
        subjects, sponsor = req.query.get("subject", []), req.first("sponsor")
        out = []
        for record in window:
            bill = record.bill
            if candidates is not None and record.n not in candidates:
                continue
            if id_match is not None and bill.identifier.upper() != id_match:
                continue
            if session and bill.session != session:
                continue
            if wanted_ids and render.bill_id_key(bill.identifier) not in wanted_ids:
                continue
            if created_since and record.created_text < created_since:
                continue
            if action_since and self.action_dates(record)[1] < action_since:
                continue
            if chamber and organization(bill.jurisdiction, bill.chamber)["classification"] != chamber:
                continue
            if classification and classification not in self.classifications(bill):
                continue
            if subjects and not all(s in bill.subjects for s in subjects):
                continue
            if sponsor and sponsor not in {s["name"] for s in self.sponsorships(record)} | \
                    {s["person"]["id"] for s in self.sponsorships(record)}:
                continue
            out.append(record)
        return out

    def sorted(self, records: list[StateRecord], sort: str) -> list[StateRecord]:
        if sort == "updated_asc":
            return records
        if sort == "updated_desc":
            return records[::-1]
        which = 0 if sort.startswith("first") else 1
        descending = sort.endswith("desc")
        dated = [r for r in records if self.action_dates(r)[which]]
        undated = [r for r in records if not self.action_dates(r)[which]]
        dated.sort(key=lambda r: (self.action_dates(r)[which], r.id), reverse=descending)
        return dated + undated  # NULLS LAST either way

    @staticmethod
    def action_dates(record: StateRecord) -> tuple[str, str]:
        actions = record.visible_actions()
        return (actions[0].date, actions[-1].date) if actions else ("", "")

    @staticmethod
    def classifications(bill: StateBill) -> list[str]:
        return [bill.classification]

    def one_bill(self, req: Request, record: StateRecord | None) -> Answer:
        if record is None or not record.visible:
            return detail("No such Bill.", 404)
        includes = req.query.get("include", [])
        for i, name in enumerate(includes):
            if name not in INCLUDES:
                return invalid(f"include.{i}", "value is not a valid enumeration member", "type_error.enum")
        return json_answer(self.bill_json(record, includes))

    # A bill -----------------------------------------------------------------------------------------------

    def sponsorships(self, record: StateRecord) -> list[dict[str, Any]]:
        bill = record.bill
        names = list(bill.sponsors)
        if not names:
            s = seed(bill.key, "sponsors")
            names = [PEOPLE[(s // (7 ** i)) % len(PEOPLE)] for i in range(1 + s % 3)]
            names = list(dict.fromkeys(names))
        out = []
        for i, name in enumerate(names):
            s = seed(bill.jurisdiction, name)
            chamber = bill.chamber
            title = "Senator" if chamber == "upper" else "Councilmember" if bill.jurisdiction == "dc" else \
                "Senator" if chamber == "legislature" else "Representative"
            district = str(s % 40 + 1)
            division = f"ocd-division/country:us/state:{bill.jurisdiction}/sld{'u' if chamber != 'lower' else 'l'}:" \
                       f"{district}"
            out.append({"id": _uid("ocd-sponsorship", bill.key, i), "name": name, "entity_type": "person",
                        "primary": i == 0, "classification": "primary" if i == 0 else "cosponsor",
                        "person": {"id": _uid("ocd-person", bill.jurisdiction, name), "name": name,
                                   "party": ("Democratic", "Republican")[s % 2],
                                   "current_role": {"title": title, "org_classification": chamber,
                                                    "district": district, "division_id": division}}})
        return out

    def action_json(self, record: StateRecord, i: int, action: StateAction) -> dict[str, Any]:
        bill = record.bill
        return {"id": _uid("ocd-action", bill.key, i), "organization": organization(
            bill.jurisdiction, action.chamber or bill.chamber), "description": action.description,
            "date": action.date, "classification": list(action.classification), "order": i + 1,
            "related_entities": [], "extras": {}}

    def version_url(self, record: StateRecord, n: int) -> str:
        bill = record.bill
        ext = "pdf" if record.versions[n - 1].format == "pdf" else "html"
        # The jurisdiction leads the path too, so a mirror that keeps only the path still finds the page.
        return f"https://legislature.{bill.jurisdiction}.example/{bill.jurisdiction}/{bill.session}/" \
               f"{identifier_path(bill.identifier)}/{n}.{ext}"

    def bill_json(self, record: StateRecord, includes: list[str]) -> dict[str, Any]:
        bill = record.bill
        actions = record.visible_actions()
        passage = [a.date for a in actions if "passage" in a.classification]
        out: dict[str, Any] = {
            "id": record.id, "session": bill.session,
            "jurisdiction": {"id": ocd_jurisdiction(bill.jurisdiction), "name": JURISDICTIONS[bill.jurisdiction],
                             "classification": "state"},
            "from_organization": organization(bill.jurisdiction, bill.chamber), "identifier": bill.identifier,
            "title": record.title, "classification": self.classifications(bill), "subject": list(bill.subjects),
            "extras": {}, "created_at": record.created.isoformat(), "updated_at": record.updated.isoformat(),
            "openstates_url": f"https://openstates.org/{bill.jurisdiction}/bills/{bill.session}/"
                              f"{identifier_path(bill.identifier)}/",
            "first_action_date": actions[0].date if actions else "",
            "latest_action_date": actions[-1].date if actions else "",
            "latest_action_description": actions[-1].description if actions else "",
            "latest_passage_date": passage[-1] if passage else ""}
        wanted = set(includes)
        if "sponsorships" in wanted:
            out["sponsorships"] = self.sponsorships(record)
        if "abstracts" in wanted:
            allowed = self.ds.options.abstract_jurisdictions
            carries = bill.digest and (allowed is None or bill.jurisdiction in allowed)
            out["abstracts"] = [{"abstract": bill.digest, "note": "digest"}] if carries else []
        if "other_titles" in wanted:
            out["other_titles"] = [{"title": t, "note": "short title"} for t in bill.other_titles]
        if "other_identifiers" in wanted:
            out["other_identifiers"] = []
        if "actions" in wanted:
            out["actions"] = [self.action_json(record, i, a) for i, a in enumerate(actions)]
        if "sources" in wanted:
            out["sources"] = [{"url": url, "note": ""} for url in bill.sources]
        if "documents" in wanted:
            out["documents"] = []
        if "versions" in wanted:
            out["versions"] = [
                {"id": _uid("ocd-version", bill.key, n), "note": version.note, "date": version.date,
                 "links": [{"url": self.version_url(record, n),
                            "media_type": "application/pdf" if version.format == "pdf" else "text/html"}]}
                for n, version in enumerate(record.visible_versions(), start=1)]
        if "votes" in wanted:
            out["votes"] = []
        if "related_bills" in wanted:
            out["related_bills"] = []
        return out

    # /jurisdictions ---------------------------------------------------------------------------------------

    def jurisdiction_json(self, code: str, includes: list[str]) -> dict[str, Any]:
        kind = "district" if code == "dc" else "territory" if code == "pr" else "state"
        feed = self.ds.state_feeds.get(code)
        latest = feed.records[-1].updated.isoformat() if feed and feed.records else None
        out: dict[str, Any] = {"id": ocd_jurisdiction(code), "name": JURISDICTIONS[code], "classification": "state",
                               "division_id": f"ocd-division/country:us/{kind}:{code}",
                               "url": f"https://legislature.{code}.example/"}
        if latest:
            out["latest_bill_update"] = latest
        if "legislative_sessions" in includes:
            out["legislative_sessions"] = self.ds.sessions(code)
        if "organizations" in includes:
            chambers = ["legislature"] if code in ("ne", "dc") else ["upper", "lower"]
            out["organizations"] = [organization(code, c) for c in chambers]
        if "latest_runs" in includes:
            out["latest_runs"] = [{"success": True, "start_time": latest, "end_time": latest}] if latest else []
        return out

    def jurisdictions(self, req: Request) -> Answer:
        includes = req.query.get("include", [])
        for i, name in enumerate(includes):
            if name not in ("organizations", "legislative_sessions", "latest_runs"):
                return invalid(f"include.{i}", "value is not a valid enumeration member", "type_error.enum")
        page, per_page = parse_int(req.first("page"), 1), parse_int(req.first("per_page"), JURISDICTIONS_PER_PAGE)
        if page is None or per_page is None:
            return invalid("page" if page is None else "per_page", "value is not a valid integer",
                           "type_error.integer")
        if per_page < 1 or per_page > JURISDICTIONS_PER_PAGE:
            return detail(f"invalid per_page, must be in [1, {JURISDICTIONS_PER_PAGE}]", 400)
        classification = req.first("classification")
        codes = sorted(JURISDICTIONS, key=lambda c: JURISDICTIONS[c])
        if classification and classification != "state":
            codes = []
        max_page = math.ceil(len(codes) / per_page) or 1
        if page < 1 or page > max_page:
            return detail(f"invalid page, must be in [1, {max_page}]", 404)
        results = [self.jurisdiction_json(c, includes) for c in codes[(page - 1) * per_page: page * per_page]]
        return json_answer({"results": results, "pagination": {"per_page": per_page, "page": page,
                                                               "max_page": max_page, "total_items": len(codes)}})

    # The legislatures' text pages -------------------------------------------------------------------------

    def answer_text(self, req: Request) -> Answer:
        """``/{jurisdiction}/{session}/{identifier}/{n}.html|pdf``: a visible version in its published format."""
        parts = [p for p in req.path.split("/") if p]
        not_found = text_answer("<html><body><h1>Not Found</h1></body></html>", "text/html; charset=utf-8", 404)
        if len(parts) != 4:
            return not_found
        code, session, identifier, filename = parts
        stem, _, ext = filename.partition(".")
        record = self.ds.state_by_key.get((code, session, render.bill_id_key(identifier)))
        if record is None or not stem.isdigit() or not 1 <= int(stem) <= record.n_versions:
            return not_found
        version = record.versions[int(stem) - 1]
        if ext != ("pdf" if version.format == "pdf" else "html"):
            return not_found
        title = record.title_at(int(stem))
        if version.format == "pdf":
            return text_answer(write_pdf(render.state_plain(record.bill, version, title), record.bill.identifier),
                               "application/pdf")
        return text_answer(render.state_page(record.bill, version, title), "text/html; charset=utf-8")


def _iso(value: str) -> bool:
    try:
        if len(value) == 10:
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
