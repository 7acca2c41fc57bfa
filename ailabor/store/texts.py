"""What a stored bill is judged on, and which of its texts to read next."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

# The latest version first. A version without a date is a law's text (Congress.gov dates none): the last.
LATEST_FIRST = "coalesce(date, '9999') DESC"
#: The text a bill is judged on: the latest version's that has been read.
LATEST_TEXT = f"SELECT text FROM bill_texts WHERE bill_id = {{bill}} ORDER BY {LATEST_FIRST}, fetched_at DESC LIMIT 1"
#: Runs in which a version's text could not be read before it is no longer asked for.
TEXT_ATTEMPTS = 3


def stored_text(database: Any, bill_id: str) -> str | None:
    """The text of the latest version of a bill that has been read, if any."""
    row = database.execute(LATEST_TEXT.format(bill="?"), [bill_id]).fetchone()
    return row[0] if row else None


def bill_fields(database: Any, bill_id: str) -> tuple[str, list[str], str | None, list[str]] | None:
    """A stored bill's title, other titles, summary and subjects: what it is judged on besides its text."""
    row = database.execute("SELECT title, other_titles, summary, subjects FROM bills WHERE id = ?",
                           [bill_id]).fetchone()
    if row is None:
        return None
    return row[0], json_list(row[1]), row[2], json_list(row[3])


def json_list(value: str | None) -> list[str]:
    """The strings of a stored JSON list; nothing for a value that is not one."""
    try:
        found = json.loads(value or "[]")
    except ValueError:
        return []
    return [s for s in found if isinstance(s, str)] if isinstance(found, list) else []


def text_backlog(db: sqlite_utils.Database, source: str, limit: int) -> list[tuple[str, str, Any, Any, Any]]:
    """The bills of ``source`` whose latest version's text is worth reading and not read yet, most wanted first.

    Worth reading: a bill the union follows (a position, the watchlist), one
    in which the classifier saw any phrase of its own, one without a summary
    (most states publish none, and CRS summarises fewer than two bills in
    three), or one whose upstream said its text mentions AI. Of a version
    published as HTML and PDF, the HTML is read. A text that failed
    ``TEXT_ATTEMPTS`` times is left alone.
    Returns (bill id, url, note, date, media type).
    """
    followed = ("(EXISTS (SELECT 1 FROM positions p WHERE p.bill_id = b.id)"
                " OR EXISTS (SELECT 1 FROM watchlist w WHERE w.bill_id = b.id))")
    rows = db.execute(
        "SELECT b.id, v.url, v.note, v.date, v.media_type FROM bills b JOIN versions v ON v.rowid = ("
        f"  SELECT rowid FROM versions WHERE bill_id = b.id ORDER BY {LATEST_FIRST},"
        "  (coalesce(media_type, '') LIKE '%html%') DESC, rowid DESC LIMIT 1)"
        " WHERE b.source = ? AND NOT EXISTS (SELECT 1 FROM bill_texts t WHERE t.bill_id = b.id AND t.url = v.url)"
        f" AND (b.relevance_score > 0 OR b.summary IS NULL OR json_extract(b.source_meta, '$.text_hint') = 1"
        f"      OR {followed})"
        " AND (SELECT count(*) FROM crawl_errors e WHERE e.kind = 'text_unavailable' AND e.url = v.url) < ?"
        f" ORDER BY {followed} DESC, b.relevant DESC, b.first_seen_at DESC LIMIT ?",
        [source, TEXT_ATTEMPTS, limit]).fetchall()
    return [tuple(r) for r in rows]
