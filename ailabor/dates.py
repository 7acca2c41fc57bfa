"""Dates and times: now as the database stamps it, and dates written in prose as upstreams print them
("Friday, January 19, 2024, from 1 p.m.")."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime


def utcnow() -> str:
    """Now in UTC to the second, as every stamp in the database is written."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9

_DATE = re.compile(
    r"\b(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+"
    r"(?P<year>\d{4})",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"\b(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<ampm>a\.?\s?m\.?|p\.?\s?m\.?)|\b(?P<noon>noon)\b",
    re.IGNORECASE,
)


def parse_prose_date(text: str | None) -> date | None:
    """The first calendar date written out in ``text``."""
    match = _DATE.search(text or "")
    if not match:
        return None
    try:
        return date(int(match["year"]), _MONTHS[match["month"].lower().rstrip(".")], int(match["day"]))
    except (KeyError, ValueError):
        return None


def parse_meeting_start(text: str | None) -> str | None:
    """The start of a meeting from a notice's DATES text: ``2024-01-19T13:00`` or ``2024-01-19``.

    The time is the first clock time written after the date (local time of the
    notice, usually Eastern); without one, the date alone.
    """
    match = _DATE.search(text or "")
    if not match:
        return None
    day = parse_prose_date(match.group(0))
    if day is None:
        return None
    after = (text or "")[match.end(): match.end() + 120]
    # The sentence about a different day ("Comments due by ...") must not lend its time.
    after = re.split(r"(?<=[a-z]{3})\.\s", after, maxsplit=1)[0]
    clock = _TIME.search(after)
    if not clock:
        return day.isoformat()
    if clock["noon"]:
        hour, minute = 12, 0
    else:
        hour, minute = int(clock["hour"]), int(clock["minute"] or 0)
        pm = clock["ampm"].lower().startswith("p")
        if hour > 12 or minute > 59:
            return day.isoformat()
        hour = hour % 12 + (12 if pm else 0)
    return datetime(day.year, day.month, day.day, hour, minute).isoformat(timespec="minutes")
