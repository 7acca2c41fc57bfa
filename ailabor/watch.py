"""Bills the director follows by hand: any bill, by number as people write it, fetched and kept fresh.

The classifier decides what the crawl keeps; the director sometimes knows
better ("watch SB 2096, it is the ELVIS Act's twin"). A bill asked for here
is put on the watchlist, fetched at once from its upstream (Congress.gov or
Open States) by a crawl of that source in watch mode, and from then on
followed on every run whatever the classifier says: it gets a ``watch``
position unless it has one, which digests and re-reads follow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlite_utils

from ailabor.dates import utcnow
from ailabor.records import bill_identifier
from db import write_transaction
from db.vocab import display_id

US = "us"
# How Congress writes each bill type, reduced to letters: "H.R." → "hr", "S.J.Res." → "sjres".
FEDERAL_TYPES = ("hr", "s", "hjres", "sjres", "hconres", "sconres", "hres", "sres")
STATE_CODES = frozenset((
    "al", "ak", "az", "ar", "ca", "co", "ct", "de", "fl", "ga", "hi", "id", "il", "in", "ia", "ks", "ky", "la",
    "me", "md", "ma", "mi", "mn", "ms", "mo", "mt", "ne", "nv", "nh", "nj", "nm", "ny", "nc", "nd", "oh", "ok",
    "or", "pa", "ri", "sc", "sd", "tn", "tx", "ut", "vt", "va", "wa", "wv", "wi", "wy", "dc", "pr",
))
_BILL_ID = re.compile(r"^([a-z]{2})-([a-z0-9]+)-([a-z]+)(\d[\da-z]*)$")
# A prefix of letters (dots and spaces allowed: "H.J.Res.", "A") and a number (Colorado's "24-205" too).
_NUMBER = re.compile(r"^([A-Za-z][A-Za-z. ]*?)\s*\.?\s*(\d+(?:-\d+)?[A-Za-z]?)$")


class BadReference(ValueError):
    """Text that names no bill; the message says what a bill number looks like."""


@dataclass(frozen=True)
class Reference:
    """A bill as the director named it: where, which session if she said, and its number."""

    jurisdiction: str
    identifier: str
    session: str | None = None

    @property
    def ref(self) -> str:
        """The watchlist key: ``CA AB 2602``, ``US H.R. 2794 (119)``."""
        session = f" ({self.session})" if self.session else ""
        return f"{display_id(self.jurisdiction, self.identifier)}{session}"

    @property
    def source(self) -> str:
        return "congress" if self.jurisdiction == US else "openstates"


def parse_reference(text: str) -> Reference:
    """Read "CA AB 2602", "H.R. 2794", "us-119-hr2794", "CO SB 24-205" or "ca-20232024-ab2602"."""
    cleaned = " ".join(text.split())
    match = _BILL_ID.match(cleaned.lower())
    if match:
        jurisdiction, session, letters, number = match.groups()
        return _reference(jurisdiction, letters, number, session, text)
    words = cleaned.split(" ", 1)
    jurisdiction = words[0].lower() if len(words) == 2 and words[0].lower() in STATE_CODES | {US} else None
    rest = words[1] if jurisdiction else cleaned
    found = _NUMBER.match(rest)
    if not found:
        raise BadReference(f"{text!r} is not a bill number: write it as people do, such as \"CA AB 2602\", "
                           "\"H.R. 2794\" or \"CO SB 24-205\", or give a bill id such as us-119-hr2794")
    letters = re.sub(r"[. ]", "", found.group(1)).lower()
    if jurisdiction is None:
        if letters not in FEDERAL_TYPES:
            raise BadReference(f"{text!r} names no state: put its postal code first, as in \"CA AB 2602\"")
        jurisdiction = US
    return _reference(jurisdiction, letters, found.group(2), None, text)


def _reference(jurisdiction: str, letters: str, number: str, session: str | None, text: str) -> Reference:
    if jurisdiction == US:
        if letters not in FEDERAL_TYPES or not number.isdigit():
            raise BadReference(f"{text!r} is not a bill of Congress: its type is one of H.R., S., H.J.Res., "
                               "S.J.Res., H.Con.Res., S.Con.Res., H.Res., S.Res.")
        if session is not None and not session.isdigit():
            raise BadReference(f"{text!r}: the session of a bill of Congress is its Congress, such as 119")
        return Reference(US, bill_identifier(letters, number), session)
    if jurisdiction not in STATE_CODES:
        raise BadReference(f"{text!r}: {jurisdiction.upper()} is not a state, DC or PR postal code")
    return Reference(jurisdiction, f"{letters.upper()} {number.upper()}", session)


@dataclass(frozen=True)
class Watched:
    ref: str
    status: str
    bill_id: str | None
    message: str | None


def add(database: sqlite_utils.Database, reference: Reference, note: str | None = None) -> None:
    """Put a bill on the watchlist as pending (again, if it was not found before); a known one keeps its row."""
    with write_transaction(database):
        old = next(database.query("SELECT status FROM watchlist WHERE ref = ?", [reference.ref]), None)
        if old and old["status"] == "found":
            if note is not None:
                database.execute("UPDATE watchlist SET note = ? WHERE ref = ?", [note or None, reference.ref])
            return
        database["watchlist"].upsert({
            "ref": reference.ref, "jurisdiction": reference.jurisdiction, "session": reference.session,
            "identifier": reference.identifier, "status": "pending", "message": None, "note": note or None,
            "added_at": utcnow(), "checked_at": None}, pk="ref")


def outcome(database: sqlite_utils.Database, reference: Reference) -> Watched:
    row = next(database.query("SELECT ref, status, bill_id, message FROM watchlist WHERE ref = ?",
                              [reference.ref]), None)
    if row is None:
        return Watched(reference.ref, "pending", None, None)
    return Watched(row["ref"], row["status"], row["bill_id"], row["message"])


def remove(database: sqlite_utils.Database, reference: Reference) -> bool:
    with write_transaction(database):
        return database.execute("DELETE FROM watchlist WHERE ref = ?", [reference.ref]).rowcount > 0


def listing(database: sqlite_utils.Database) -> list[str]:
    rows = database.query(
        "SELECT w.ref, w.status, w.bill_id, w.message, b.title FROM watchlist w LEFT JOIN bills b ON b.id = w.bill_id"
        " ORDER BY w.added_at")
    return [f"{r['ref']}: {r['status']}" + (f" ({r['bill_id']}) {r['title']}" if r["bill_id"] else "")
            + (f": {r['message']}" if r["message"] and r["status"] != "found" else "") for r in rows]


class WatchFailed(ValueError):
    """A bill that could not be fetched: the message says why, in one line."""


def follow(db_path: str | None, text: str, note: str | None = None) -> Watched:
    """Put the bill ``text`` names on the watchlist and fetch it now from its upstream.

    The crawl runs in watch mode: it asks only for the bills on the watchlist
    and leaves the source's watermark where it was.
    """
    import db
    from ailabor.crawl import run_crawls

    reference = parse_reference(text)
    database = db.connect(db_path)
    add(database, reference, note)
    summary = run_crawls([reference.source], db_path, spider_args={"watch": "1"})[0]
    found = outcome(database, reference)
    if found.status == "found":
        return found
    if summary.status == "skipped":
        raise WatchFailed(f"{summary.message} ({reference.ref} stays on the watchlist: a run with a key fetches it)")
    if found.status == "not_found":
        remove(database, reference)
        raise WatchFailed(found.message or f"{reference.ref}: no such bill upstream")
    reason = summary.message or f"{reference.source} answered {summary.status}"
    raise WatchFailed(f"{reference.ref} could not be fetched now ({reason}); it stays on the watchlist and the next "
                      "run fetches it")
