"""Upstream text as the email shows it: on one line, titles cut short, dates as a person reads them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

TITLE_LIMIT = 300


def one_line(text: Any) -> str:
    """Text from upstream on one line: a newline in a title must not fake a line of the email."""
    return " ".join(str(text).split()) if text else ""


def short_title(text: Any) -> str:
    text = one_line(text)
    return text if len(text) <= TITLE_LIMIT else text[:TITLE_LIMIT - 1].rstrip() + "…"


def words(code: Any) -> str:
    return str(code).replace("_", " ") if code else ""


def web_url(url: Any) -> str | None:
    """Only web addresses become links: a ``javascript:`` URL from upstream must not."""
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) and " " not in url else None


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def human_date(value: Any) -> str:
    """A date or time as a person reads it: ``Tue 14 Jan 2025, 10:00``."""
    if not value or not isinstance(value, str):
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return one_line(value)
    # Names spelt here rather than by strftime, whose names follow the locale cron happens to run in.
    text = f"{_DAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]} {moment.year}"
    return text + f", {moment.hour:02d}:{moment.minute:02d}" if len(value) > 10 else text
