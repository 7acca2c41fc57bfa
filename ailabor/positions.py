"""The union's own position on a bill: the one record here that a person types rather than a crawl.

A bill with a position is *watched*: digests follow it even when the
classifier would not count it as AI-and-work, because the union decided it
matters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlite_utils

from ailabor.dates import utcnow
from db import write_transaction
from db.vocab import DEFAULT_PRIORITY, PRIORITIES, STANCES


class PositionRefused(ValueError):
    """A position that cannot be recorded; the message is one line saying what to type instead."""


class UnknownBill(PositionRefused):
    """A bill id that is not in the database; the message says what ids look like."""


@dataclass(frozen=True)
class Recorded:
    bill_id: str
    label: str
    stance: str
    priority: str
    note: str | None
    created: bool

    def line(self) -> str:
        verb = "recorded" if self.created else "updated"
        note = f"; note: {self.note}" if self.note else ""
        return f"position {verb}: {self.label} ({self.bill_id}): {self.stance}, priority {self.priority}{note}"


def set_position(database: sqlite_utils.Database, bill_id: str, stance: str, priority: str | None = None,
                 note: str | None = None) -> Recorded:
    """Record or update the union's position on a stored bill.

    A priority or note left out keeps what was recorded before, so changing
    a stance does not erase the note; ``note=""`` clears it.
    """
    if stance not in STANCES:
        raise PositionRefused(f"stance must be one of {', '.join(STANCES)}, not {stance!r}")
    if priority is not None and priority not in PRIORITIES:
        raise PositionRefused(f"priority must be one of {', '.join(PRIORITIES)}, not {priority!r}")
    with write_transaction(database):
        bill = _find_bill(database, bill_id)
        old = next(database.query("SELECT priority, note FROM positions WHERE bill_id = ?", [bill["id"]]), None)
        row = {
            "bill_id": bill["id"],
            "stance": stance,
            "priority": priority or (old["priority"] if old else None) or DEFAULT_PRIORITY,
            "note": (note.strip() or None) if note is not None else (old["note"] if old else None),
            "updated_at": utcnow(),
        }
        database["positions"].upsert(row, pk="bill_id")
    return Recorded(bill["id"], bill["name"], row["stance"], row["priority"], row["note"], created=old is None)


def _find_bill(database: sqlite_utils.Database, bill_id: str) -> dict:
    wanted = bill_id.strip().lower()
    found = next(database.query("SELECT id, name FROM bills WHERE id = ?", [wanted]), None)
    if found:
        return found
    # Someone who typed "AB 1018" or "ab1018" meant a bill whose id ends that way.
    tail = re.sub(r"[\s.\-]+", "", wanted.rsplit("-", 1)[-1])
    guesses = [r["id"] for r in database.query(
        "SELECT id FROM bills WHERE id LIKE ? ORDER BY id DESC LIMIT 3", [f"%-{tail}"])] if tail else []
    hint = f"; did you mean {' or '.join(guesses)}?" if guesses else \
        "; bill ids look like ca-20252026-ab1018 (see the bills table)"
    raise UnknownBill(f"no bill with id {bill_id!r} in the database{hint}")
