"""What every emulated upstream shares: the shape of an answer, JSON bodies, time formats, query parameters."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

JSON = "application/json"


@dataclass
class Answer:
    """An HTTP answer: status, headers, body."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    """One request as the emulators see it; ``base`` is the server's own URL, for links back to it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    base: str

    def first(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


def json_answer(data: Any, status: int = 200, headers: dict[str, str] | None = None,
                content_type: str = JSON) -> Answer:
    return Answer(status, json.dumps(data, ensure_ascii=False).encode(), {"Content-Type": content_type,
                                                                         **(headers or {})})


def text_answer(text: str | bytes, content_type: str, status: int = 200,
                headers: dict[str, str] | None = None) -> Answer:
    body = text.encode() if isinstance(text, str) else text
    return Answer(status, body, {"Content-Type": content_type, **(headers or {})})


def noon(day: str) -> datetime:
    """A legislative date's stand-in system time: noon UTC that day."""
    return datetime.combine(date.fromisoformat(day), time(12), tzinfo=UTC)


def add_days(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def zulu(moment: datetime) -> str:
    """``2025-04-10T12:00:00Z``: Congress.gov's and govinfo's date-time format."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pg_text(moment: datetime) -> str:
    """A timestamptz cast to text by PostgreSQL with TimeZone UTC: ``2025-10-14 07:18:22.91+00``.

    Fractional seconds lose their trailing zeros and vanish when zero. Open
    States compares ``updated_since`` with this text, not with a time.
    """
    moment = moment.astimezone(UTC)
    out = moment.strftime("%Y-%m-%d %H:%M:%S")
    if moment.microsecond:
        out += f".{moment.microsecond:06d}".rstrip("0")
    return out + "+00"


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def parse_http_date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def seed(*parts: object) -> int:
    """A stable number from the parts: invented details (names, districts) stay the same on every run."""
    return zlib.crc32("/".join(str(p) for p in parts).encode())


def parse_int(text: str | None, default: int) -> int | None:
    """An integer query parameter; None when it is given but not a number."""
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        return None
