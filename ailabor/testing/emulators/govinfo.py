"""govinfo (SOURCES.md §2): the search service, packages and collections, BILLSTATUS bulk data, and bill texts.

govinfo is the federal full-text search and the source of bill text, so the
emulation serves each text version as a BILLS package (searchable, with HTML,
XML and PDF renditions) and each bill as a BILLSTATUS file in schema 3.0.0,
with the element paths of the real sample (shared/fixtures/congress/
billstatus_117_s_35.xml). BILLSTATUS lags Congress.gov (new bills are missing
for ``billstatus_lag_days``), and the per-Congress ZIPs answer conditional
requests with 304, as a key-free mirror relies on.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from datetime import datetime
from typing import Any

import ailabor.testing.emulators.render as render
from ailabor.testing.emulators.common import (
    Answer,
    Request,
    http_date,
    json_answer,
    parse_http_date,
    parse_int,
    seed,
    text_answer,
    zulu,
)
from ailabor.testing.emulators.congress import (
    action_details,
    committees_of,
    eastern_midnight,
    invented_sponsor,
    sponsor_json,
    summary_fields,
)
from ailabor.testing.emulators.dataset import Dataset, FedRecord, Package
from ailabor.testing.emulators.govsearch import Bool, Field, Query, QueryError, Words, parse, positive_words, words
from ailabor.testing.emulators.pdf import write_pdf
from ailabor.testing.emulators.textsearch import WordIndex

MAX_PAGE_SIZE = 1000
_BILLSTATUS_FILE = re.compile(r"^BILLSTATUS-(\d+)([a-z]+)(\d+)\.xml$")
_BILLSTATUS_ZIP = re.compile(r"^BILLSTATUS-(\d+)-([a-z]+)\.zip$")
_PACKAGE = re.compile(r"^BILLS-(\d+)([a-z]+?)(\d+)([a-z]+\d?)$")
SORT_FIELDS = {"score", "lastmodified", "publishdate", "dateissued", "title", "packageid"}


def package_title(package: Package) -> str:
    """A BILLS package's title: the official title; an act once a chamber has passed it ("An Act To ...")."""
    bill = package.record.bill
    title = bill.official_title
    if render.legis_type(bill, package.version) == "AN ACT" and title.startswith("To "):
        return f"An Act {title}"
    return title


class PackageIndex:
    """Words of every BILLS package (title and text) to the packages holding them, and packages by metadata."""

    def __init__(self, dataset: Dataset) -> None:
        self.ds = dataset
        self.words = WordIndex(self.document, words)
        self.by_congress: dict[str, set[int]] = {}
        self.by_type: dict[str, set[int]] = {}
        issued = []
        for package in dataset.packages:
            self.words.put(package.n)
            self.by_congress.setdefault(str(package.record.bill.congress), set()).add(package.n)
            self.by_type.setdefault(package.record.bill.type, set()).add(package.n)
            issued.append((package.version.date, package.n))
        self.issued = sorted(issued)

    def document(self, n: int) -> str:
        """What a package's search matches: its title and its text with the printed header (words only)."""
        package = self.ds.packages[n]
        title = package_title(package)
        return f"{title}\n{render.govinfo_text(package.record.bill, package.version, title, wrap=False)}"

    @property
    def postings(self) -> dict[str, set[int]]:
        return self.words.postings

    def evaluate(self, node: Query, universe: set[int]) -> set[int]:
        if isinstance(node, Words):
            found = self.words.with_all(node.parts, universe)
            if len(node.parts) == 1:
                return found
            parts = tuple((word, offset) for offset, word in enumerate(node.parts))
            return {n for n in found if self.words.has_sequence(n, parts)}
        if isinstance(node, Field):
            return self.field(node, universe)
        if node.op == "NOT":
            return universe - self.evaluate(node.children[0], universe)
        if node.op == "OR":
            out: set[int] = set()
            for child in node.children:
                out |= self.evaluate(child, universe)
            return out
        current = universe
        negatives = [c for c in node.children if isinstance(c, Bool) and c.op == "NOT"]
        for child in node.children:
            if child not in negatives:
                current = self.evaluate(child, current)
                if not current:
                    return set()
        for child in negatives:
            assert isinstance(child, Bool)
            current = current - self.evaluate(child.children[0], current)
        return current

    def field(self, node: Field, universe: set[int]) -> set[int]:
        if node.name == "collection":
            return set(universe) if any(v.upper() == "BILLS" for v in node.values) else set()
        if node.name == "congress":
            out: set[int] = set()
            for value in node.values:
                out |= self.by_congress.get(value.strip(), set())
            return out & universe
        if node.name in ("billtype", "docclass"):
            out = set()
            for value in node.values:
                out |= self.by_type.get(value.strip().lower(), set())
            return out & universe
        if node.name == "lastmodified":
            lo, hi = self.ds.package_feed.window(node.low, node.high)
            return {p.n for p in self.ds.package_feed.records[lo:hi]} & universe
        low = node.low.date().isoformat() if node.low else ""
        high = node.high.date().isoformat() if node.high else "9999"
        lo = bisect_left(self.issued, (low, -1))
        hi = bisect_right(self.issued, (high, len(self.ds.packages)))
        return {n for _, n in self.issued[lo:hi]} & universe


class GovinfoEmulator:
    """api.govinfo.gov (search, packages, collections) and www.govinfo.gov (bulkdata, content) over a dataset."""

    def __init__(self, dataset: Dataset) -> None:
        self.ds = dataset
        self._index: PackageIndex | None = None
        self._zips: OrderedDict[str, bytes] = OrderedDict()

    def index(self) -> PackageIndex:
        if self._index is None:
            self._index = PackageIndex(self.ds)
        return self._index

    def api_base(self, req: Request) -> str:
        return "https://api.govinfo.gov" if self.ds.options.real_hosts else req.base

    def www_base(self, req: Request) -> str:
        return "https://www.govinfo.gov" if self.ds.options.real_hosts else req.base

    @staticmethod
    def error(status: int, message: str) -> Answer:
        return json_answer({"message": message, "status": status}, status)

    # api.govinfo.gov --------------------------------------------------------------------------------------

    def answer_api(self, req: Request) -> Answer:
        if self.ds.options.require_api_keys and not (req.header("X-Api-Key") or req.first("api_key")):
            return json_answer({"error": {"code": "API_KEY_MISSING",
                                          "message": "No api_key was supplied. Get one at https://api.data.gov:443"}},
                               401)
        parts = [p for p in req.path.split("/") if p]
        if parts == ["search"]:
            if req.method != "POST":
                return self.error(405, "the search service takes a POST with a JSON body")
            return self.search(req)
        if parts and parts[0] == "packages" and len(parts) == 3:
            return self.package(req, parts[1], parts[2])
        if parts and parts[0] == "collections" and len(parts) in (3, 4):
            return self.collection(req, parts[1], parts[2], parts[3] if len(parts) == 4 else None)
        return self.error(404, f"no such resource: {req.path}")

    def search(self, req: Request) -> Answer:
        try:
            body = json.loads(req.body or b"{}")
        except ValueError:
            return self.error(400, "the request body is not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("query"), str) or not body["query"].strip():
            return self.error(400, "query is required")
        size = body.get("pageSize")
        if isinstance(size, str) and size.isdigit():
            size = int(size)
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_PAGE_SIZE:
            return self.error(400, f"pageSize must be a number from 1 to {MAX_PAGE_SIZE}")
        offset = decode_mark(body.get("offsetMark", "*"))
        if offset is None:
            return self.error(400, f"invalid offsetMark: {body.get('offsetMark')!r}")
        try:
            query = parse(body["query"])
        except QueryError as exc:
            return self.error(400, f"invalid query: {exc}")
        sorts = body.get("sorts") or [{"field": "score", "sortOrder": "DESC"}]
        if not isinstance(sorts, list) or not all(isinstance(s, dict) and str(s.get("field", "")).lower()
                                                  in SORT_FIELDS for s in sorts):
            return self.error(400, f"sorts: each needs a field among {', '.join(sorted(SORT_FIELDS))}")
        index = self.index()
        found = index.evaluate(query, self.ds.visible_packages)
        terms = positive_words(query)
        ordered = self.ordered([self.ds.packages[n] for n in found], sorts, terms)
        page = ordered[offset: offset + size]
        out: dict[str, Any] = {"count": len(ordered), "results": [self.result(req, p) for p in page]}
        if offset + size < len(ordered):
            out["offsetMark"] = encode_mark(offset + size)
        return json_answer(out)

    def ordered(self, packages: list[Package], sorts: list[dict[str, Any]], terms: list[Words]) -> list[Package]:
        index = self.index()

        def score(p: Package) -> int:
            return sum(all(p.n in index.postings.get(w, ()) for w in t.parts) for t in terms)

        keys = {"score": score, "lastmodified": lambda p: p.last_modified.timestamp(),
                "publishdate": lambda p: p.version.date, "dateissued": lambda p: p.version.date,
                "title": lambda p: package_title(p).lower(), "packageid": lambda p: p.package_id}
        # Stable sorts from the last key to the first; the package id settles ties the same way on every page.
        out = sorted(packages, key=lambda p: p.package_id)
        for spec in reversed(sorts):
            name = str(spec["field"]).lower()
            out.sort(key=keys[name], reverse=str(spec.get("sortOrder", "ASC")).upper() == "DESC")
        return out

    def result(self, req: Request, package: Package) -> dict[str, Any]:
        api, pid = self.api_base(req), package.package_id
        return {"title": package_title(package), "packageId": pid, "granuleId": None,
                "lastModified": zulu(package.last_modified),
                "governmentAuthor": ["Congress", "House" if render.chamber(package.record.bill) == "House"
                                     else "Senate"],
                "resultLink": f"{api}/packages/{pid}/summary", "relatedLink": f"{api}/related/{pid}",
                "dateIssued": package.version.date, "collectionCode": "BILLS",
                "download": self.downloads(req, pid), "dateIngested": package.last_modified.date().isoformat()}

    def downloads(self, req: Request, pid: str) -> dict[str, str]:
        api = self.api_base(req)
        return {f"{kind}Link": f"{api}/packages/{pid}/{path}" for kind, path in
                (("txt", "htm"), ("xml", "xml"), ("pdf", "pdf"), ("mods", "mods"), ("premis", "premis"),
                 ("zip", "zip"))}

    def visible_package(self, package_id: str) -> Package | None:
        package = self.ds.package_by_id.get(package_id)
        return package if package is not None and package.visible else None

    def package(self, req: Request, package_id: str, what: str) -> Answer:
        package = self.visible_package(package_id)
        if package is None:
            return self.error(404, f"No package found with packageId {package_id}")
        if what == "summary":
            return json_answer(self.package_summary(req, package))
        return self.rendition(package, {"htm": "html", "xml": "xml", "pdf": "pdf"}.get(what, what))

    def package_summary(self, req: Request, package: Package) -> dict[str, Any]:
        bill, version = package.record.bill, package.version
        chamber = render.chamber(bill).upper()
        return {"title": package_title(package), "collectionCode": "BILLS", "collectionName": "Congressional Bills",
                "category": "Bills and Statutes", "dateIssued": version.date,
                "detailsLink": f"https://www.govinfo.gov/app/details/{package.package_id}",
                "packageId": package.package_id, "download": self.downloads(req, package.package_id),
                "related": {"billStatusLink": f"{self.www_base(req)}/bulkdata/BILLSTATUS/{bill.congress}/{bill.type}/"
                                              f"BILLSTATUS-{bill.congress}{bill.type}{bill.number}.xml"},
                "branch": "legislative", "governmentAuthor1": "Congress", "billType": bill.type,
                "congress": str(bill.congress), "originChamber": chamber, "currentChamber": chamber,
                "session": str(render.session_of(bill, version.date)), "billNumber": str(bill.number),
                "billVersion": version.code, "isAppropriation": "false", "isPrivate": "false",
                "publisher": "U.S. Government Publishing Office", "lastModified": zulu(package.last_modified)}

    def collection(self, req: Request, name: str, start: str, end: str | None) -> Answer:
        try:
            since = datetime.fromisoformat(start)
            until = datetime.fromisoformat(end) if end else None
        except ValueError:
            return self.error(400, "dates must be written like 2025-01-01T00:00:00Z")
        size = parse_int(req.first("pageSize"), 100)
        offset = decode_mark(req.first("offsetMark", "*") or "*")
        if size is None or not 1 <= size <= MAX_PAGE_SIZE or offset is None:
            return self.error(400, f"pageSize (1 to {MAX_PAGE_SIZE}) and offsetMark are required")
        packages: list[Package] = []
        if name.upper() == "BILLS":
            lo, hi = self.ds.package_feed.window(since, until)
            congress, doc_class = req.first("congress"), (req.first("docClass") or "").lower()
            packages = [p for p in self.ds.package_feed.records[lo:hi]
                        if (not congress or str(p.record.bill.congress) == congress)
                        and (not doc_class or p.record.bill.type == doc_class)]
        page = packages[offset: offset + size]
        next_page = None
        if offset + size < len(packages):
            params = {k: v[0] for k, v in req.query.items() if k not in ("offsetMark", "api_key")}
            params["offsetMark"] = encode_mark(offset + size)
            query = "&".join(f"{k}={v}" for k, v in params.items())
            next_page = f"{self.api_base(req)}{req.path}?{query}"
        return json_answer({"count": len(packages), "message": None, "nextPage": next_page, "previousPage": None,
                            "packages": [{"packageId": p.package_id, "lastModified": zulu(p.last_modified),
                                          "packageLink": f"{self.api_base(req)}/packages/{p.package_id}/summary",
                                          "docClass": p.record.bill.type, "title": package_title(p),
                                          "congress": str(p.record.bill.congress), "dateIssued": p.version.date}
                                         for p in page]})

    # www.govinfo.gov --------------------------------------------------------------------------------------

    def answer_www(self, req: Request) -> Answer:
        parts = [p for p in req.path.split("/") if p]
        if len(parts) == 5 and parts[:2] == ["bulkdata", "BILLSTATUS"]:
            return self.billstatus(req, parts[2], parts[3], parts[4])
        if len(parts) == 5 and parts[:2] == ["content", "pkg"]:
            package_id, kind, filename = parts[2], parts[3], parts[4]
            stem, _, ext = filename.rpartition(".")
            expected = {"html": ("htm", "html"), "pdf": ("pdf",), "xml": ("xml",)}.get(kind, ())
            package = self.visible_package(package_id)
            if package is not None and stem == package_id and ext in expected:
                return self.rendition(package, kind)
        return text_answer("<html><body><h1>404 Not Found</h1></body></html>", "text/html; charset=utf-8", 404)

    def rendition(self, package: Package, kind: str) -> Answer:
        bill, version, title = package.record.bill, package.version, package_title(package)
        stamp = {"Last-Modified": http_date(package.last_modified)}
        if kind == "html":
            return text_answer(render.govinfo_html(bill, version, title), "text/html; charset=utf-8", headers=stamp)
        if kind == "xml":
            return text_answer(render.bill_xml(bill, version, title), "application/xml", headers=stamp)
        if kind == "pdf":
            return text_answer(write_pdf(render.govinfo_text(bill, version, title), package.package_id),
                               "application/pdf", headers=stamp)
        return self.error(404, f"no {kind} rendition of {package.package_id}")

    def billstatus(self, req: Request, congress: str, bill_type: str, filename: str) -> Answer:
        m = _BILLSTATUS_FILE.match(filename)
        if m and m.group(1) == congress and m.group(2) == bill_type:
            record = self.ds.fed_by_key.get(f"{congress}/{bill_type}/{int(m.group(3))}")
            if record is None or not self.ds.in_billstatus(record):
                return text_answer("<html><body><h1>404 Not Found</h1></body></html>", "text/html; charset=utf-8",
                                   404)
            stamp = record.updated_including_text
            return self.conditional(req, stamp, f'"{seed(record.key, stamp.isoformat()):08x}"',
                                    lambda: billstatus_xml(record, self.www_base(req)), "application/xml")
        z = _BILLSTATUS_ZIP.match(filename)
        if z and z.group(1) == congress and z.group(2) == bill_type and congress.isdigit():
            records = self.ds.billstatus.get((int(congress), bill_type), [])
            if not records:
                return text_answer("<html><body><h1>404 Not Found</h1></body></html>", "text/html; charset=utf-8",
                                   404)
            stamp = max(r.updated_including_text for r in records)
            etag = f'"{seed(*(f"{r.key}@{r.updated_including_text.isoformat()}" for r in records)):08x}"'
            return self.conditional(req, stamp, etag, lambda: self.billstatus_zip(req, records, etag),
                                    "application/zip")
        return text_answer("<html><body><h1>404 Not Found</h1></body></html>", "text/html; charset=utf-8", 404)

    def conditional(self, req: Request, stamp: datetime, etag: str, build: Any, content_type: str) -> Answer:
        """A file with Last-Modified and ETag; 304 when the client's If-None-Match or If-Modified-Since still holds."""
        headers = {"Last-Modified": http_date(stamp), "ETag": etag}
        none_match = req.header("If-None-Match")
        if none_match is not None:
            if etag in [t.strip() for t in none_match.split(",")] or none_match.strip() == "*":
                return Answer(304, b"", headers)
        else:
            since = parse_http_date(req.header("If-Modified-Since"))
            if since is not None and stamp.replace(microsecond=0) <= since:
                return Answer(304, b"", headers)
        body = build()
        return text_answer(body, content_type, headers=headers)

    def billstatus_zip(self, req: Request, records: list[FedRecord], etag: str) -> bytes:
        cache_key = f"{etag}@{self.www_base(req)}"
        if cache_key in self._zips:
            return self._zips[cache_key]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for record in records:
                bill = record.bill
                stamp = record.updated_including_text
                info = zipfile.ZipInfo(f"BILLSTATUS-{bill.congress}{bill.type}{bill.number}.xml",
                                       date_time=(max(1980, stamp.year),) + tuple(stamp.timetuple())[1:6])
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, billstatus_xml(record, self.www_base(req)))
        data = buffer.getvalue()
        self._zips[cache_key] = data
        if len(self._zips) > 8:
            self._zips.popitem(last=False)
        return data


def encode_mark(offset: int) -> str:
    """An opaque offsetMark, as govinfo's are opaque; it carries the next offset."""
    return base64.urlsafe_b64encode(f"AoJ{offset}".encode()).decode().rstrip("=")


def decode_mark(mark: Any) -> int | None:
    if mark in (None, "", "*"):
        return 0
    if not isinstance(mark, str):
        return None
    try:
        text = base64.urlsafe_b64decode(mark + "=" * (-len(mark) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return int(text[3:]) if text.startswith("AoJ") and text[3:].isdigit() else None


def _sub(parent: ET.Element, tag: str, text: Any = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = str(text)
    return element


def billstatus_xml(record: FedRecord, www: str) -> bytes:
    """A bill's BILLSTATUS file, schema 3.0.0, with the element names and order of the real sample."""
    bill = record.bill
    root = ET.Element("billStatus")
    _sub(root, "version", "3.0.0")
    b = _sub(root, "bill")
    _sub(b, "number", bill.number)
    _sub(b, "updateDate", zulu(record.updated))
    _sub(b, "updateDateIncludingText", zulu(record.updated_including_text))
    _sub(b, "originChamber", render.chamber(bill))
    _sub(b, "type", bill.type.upper())
    _sub(b, "introducedDate", bill.introduced)
    _sub(b, "congress", bill.congress)
    committees = committees_of(record)
    if committees:
        c = _sub(b, "committees")
        for committee in committees:
            item = _sub(c, "item")
            for name in ("systemCode", "name", "chamber", "type"):
                _sub(item, name, committee[name])
            activities = _sub(item, "activities")
            for activity in committee["activities"]:
                a = _sub(activities, "item")
                _sub(a, "name", activity["name"])
                _sub(a, "date", activity["date"])
    actions = _sub(b, "actions")
    for action in reversed(record.visible_actions()):
        kind, source, code = action_details(bill, action)
        item = _sub(actions, "item")
        _sub(item, "actionDate", action.date)
        _sub(item, "text", action.text)
        _sub(item, "type", kind)
        if code:
            _sub(item, "actionCode", code)
        s = _sub(item, "sourceSystem")
        if "code" in source:
            _sub(s, "code", source["code"])
        _sub(s, "name", source["name"])
    sponsor = sponsor_json(bill.sponsor or invented_sponsor(bill), "")
    sponsors = _sub(b, "sponsors")
    item = _sub(sponsors, "item")
    for name in ("bioguideId", "fullName", "firstName", "lastName", "party", "state"):
        if name in sponsor:
            _sub(item, name, sponsor[name])
    _sub(_sub(item, "identifiers"), "bioguideId", sponsor["bioguideId"])
    _sub(item, "isByRequest", "N")
    if bill.cosponsors:
        cosponsors = _sub(b, "cosponsors")
        for name in bill.cosponsors:
            member = sponsor_json(name, "")
            item = _sub(cosponsors, "item")
            for field_name in ("bioguideId", "fullName", "firstName", "lastName", "party", "state"):
                if field_name in member:
                    _sub(item, field_name, member[field_name])
            _sub(item, "sponsorshipDate", bill.introduced)
            _sub(item, "isOriginalCosponsor", "True")
    if record.has_subjects and bill.policy_area:
        _sub(_sub(b, "policyArea"), "name", bill.policy_area)
    subjects = _sub(b, "subjects")
    legislative = _sub(subjects, "legislativeSubjects")
    if record.has_subjects:
        for subject in bill.subjects:
            _sub(_sub(legislative, "item"), "name", subject)
        if bill.policy_area:
            _sub(_sub(subjects, "policyArea"), "name", bill.policy_area)
    summaries = _sub(b, "summaries")
    if record.has_summary and bill.summary:
        fields = summary_fields(record)
        summary = _sub(summaries, "summary")
        for name in ("versionCode", "actionDate", "actionDesc", "updateDate", "text"):
            _sub(summary, name, fields[name])
    _sub(b, "title", bill.display_title)
    titles = _sub(b, "titles")
    for title_type, title in [("Display Title", bill.display_title),
                              ("Official Title as Introduced", bill.official_title)] + \
            [("Short Title(s) as Introduced", t) for t in bill.short_titles]:
        item = _sub(titles, "item")
        _sub(item, "titleType", title_type)
        _sub(item, "title", title)
    versions = _sub(b, "textVersions")
    for version in reversed(record.visible_versions()):
        pid = f"BILLS-{bill.congress}{bill.type}{bill.number}{version.code}"
        item = _sub(versions, "item")
        _sub(item, "type", version.type)
        _sub(item, "date", eastern_midnight(version.date))
        _sub(_sub(_sub(item, "formats"), "item"), "url", f"{www}/content/pkg/{pid}/xml/{pid}.xml")
    latest = record.visible_actions()[-1]
    la = _sub(b, "latestAction")
    _sub(la, "actionDate", latest.date)
    _sub(la, "text", latest.text)
    dublin = _sub(root, "dublinCore")
    dublin.set("xmlns:dc", "http://purl.org/dc/elements/1.1/")
    for tag, text in (("format", "text/xml"), ("language", "EN"),
                      ("contributor", "Congressional Research Service, Library of Congress")):
        _sub(dublin, f"dc:{tag}", text)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
