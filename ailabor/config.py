"""Reads scrapers/sources.yml: what each spider asks its upstream for."""

from __future__ import annotations

import difflib
import os
import reprlib
from collections.abc import Callable, Iterable
from datetime import date
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

# Package data rather than a path beside __file__: a zipped egg deployed to Scrapyd has no such path.
SOURCES_FILE = files("scrapers") / "sources.yml"


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message says what to fix."""


def read_yaml(path: Path | Traversable, error: type[ValueError] = ConfigError) -> Any:
    """A configuration file's content; an unreadable file or a YAML mistake is one line naming where to look.

    Every file a person edits (topics.yml, digests.yml, schedule.yml, sources.yml) is read here.
    """
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{path.name}: cannot be read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1
        raise error(f"{path.name}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} on line {line}); "
                    "save it as UTF-8") from exc
    except yaml.YAMLError as exc:
        # The context mark is where the broken construct began (an unclosed quote), nearer the mistake.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = ", ".join(filter(None, [getattr(exc, "context", None), getattr(exc, "problem", None)]))
        problem = problem or str(exc).splitlines()[0]
        raise error(f"{path.name}: YAML syntax error{where}: {problem} (check indentation and quotes)") from exc


def sources_path() -> Path | Traversable:
    """sources.yml: ``AILABOR_SOURCES`` when set (to try an edit, or for a deployment's own), else the package's."""
    return Path(os.environ["AILABOR_SOURCES"]) if os.environ.get("AILABOR_SOURCES") else SOURCES_FILE


def source_config(name: str, path: Path | Traversable | None = None) -> dict[str, Any]:
    """The section ``name`` of sources.yml, its value types already checked (the whole file's, at first read)."""
    return dict(_sections(path or sources_path()).get(name) or {})


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(name), list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _iso_date(value: Any) -> bool:
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def _names(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _text_mapping(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def _entries(value: Any) -> bool:
    return isinstance(value, list) and all(_text_mapping(v) for v in value)


# What each kind of setting must be, and how the message says it.
_KINDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "seconds": (_number, "a number of seconds, such as 0.5"),
    "number": (_number, "a number, 0 or more"),
    "count": (_whole, "a whole number, 0 or more"),
    "flag": (lambda v: isinstance(v, bool), "true or false"),
    "date": (_iso_date, "a date written YYYY-MM-DD"),
    "text": (lambda v: isinstance(v, str), "a word or text"),
    "names": (_names, "a list of names, such as [a, b]"),
    "congresses": (lambda v: isinstance(v, list) and all(_whole(c) for c in v), "a list of numbers, such as [118]"),
    "names_to_text": (_text_mapping, "a mapping of names to text (NAME: text, one a line)"),
    "entries": (_entries, "a list of mappings (each entry's settings as NAME: text lines under '- ')"),
}

# What every source's section may set: its pace and the bounds of its responses (TrackerSpider.update_settings).
_EVERY_SOURCE = {"download_delay": "seconds", "download_maxsize_mb": "number", "download_warnsize_mb": "number"}

# The settings the spiders read, by section; a setting not listed here is not checked.
SETTINGS: dict[str, dict[str, str]] = {
    "federal_register": {
        **_EVERY_SOURCE,
        "agencies": "names", "types": "names", "topic_terms": "flag", "per_page": "count", "overlap_days": "count",
        "backfill_start": "date",
    },
    "congress": {
        **_EVERY_SOURCE,
        "earlier_congresses": "congresses", "overlap_hours": "number", "quota_reserve": "count",
        "billstatus_zip_threshold": "count", "billstatus_zip_maxsize_mb": "number",
        "billstatus_file_maxsize_mb": "number", "summaries_lookback_days": "number",
        "text_search": "flag", "search_phrases_per_query": "count", "texts_per_run": "count",
    },
    "openstates": {
        **_EVERY_SOURCE,
        "jurisdictions": "names", "sessions": "text", "sessions_cache_days": "number", "title_scan": "names",
        "reread": "flag", "reread_days": "number", "quota_reserve": "count", "texts_per_run": "count",
        "requests_per_minute": "number", "daily_quota": "count", "per_page": "count", "overlap_hours": "number",
        "backfill_start": "date",
    },
    "regulations_gov": {
        **_EVERY_SOURCE,
        "agencies": "names_to_text", "dockets": "names", "search_terms": "names", "overlap_hours": "number",
        "backfill_start": "date", "count_days": "count", "docket_search_days": "number",
        "quota_reserve": "count", "page_size": "count",
    },
    "agency_pages": {**_EVERY_SOURCE, "agencies": "entries"},
    "openstates_events": {
        **_EVERY_SOURCE,
        "require_bills": "flag", "overlap_days": "count", "lookahead_days": "count", "backfill_days": "count",
    },
    "congress_hearings": {
        **_EVERY_SOURCE,
        "overlap_hours": "number", "backfill_days": "number", "quota_reserve": "count",
    },
}


@cache
def _sections(path: Path | Traversable) -> dict[str, Any]:
    # Checked whole, once per process: a mistake in any section stops every crawl before a spider starts,
    # rather than surfacing mid-run as a failure that looks like the upstream's.
    data = read_yaml(path) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name}: must map each source's name to its settings")
    for section, settings in data.items():
        if section not in SETTINGS:
            raise ConfigError(f"{path.name}: no source is called {section!r}{_did_you_mean(section, SETTINGS)};"
                              f" the sources are: {', '.join(SETTINGS)}")
        if settings is None:
            continue
        if not isinstance(settings, dict):
            raise ConfigError(f"{path.name}: the section {section!r} must be a mapping of settings")
        # A misspelt setting would otherwise be ignored in silence, and its default used instead.
        for key in settings:
            if key not in SETTINGS[section]:
                raise ConfigError(f"{path.name}: {section}: no setting is called {key!r}"
                                  f"{_did_you_mean(key, SETTINGS[section])}")
        for key, kind in SETTINGS[section].items():
            valid, wanted = _KINDS[kind]
            if key in settings and not valid(settings[key]):
                raise ConfigError(f"{path.name}: {section}: {key} must be {wanted}, "
                                  f"not {reprlib.repr(settings[key])}")
    return data


# The 50 states, DC and Puerto Rico: what a nationwide query covers.
OPENSTATES_JURISDICTIONS = (
    "al", "ak", "az", "ar", "ca", "co", "ct", "de", "fl", "ga", "hi", "id", "il", "in", "ia", "ks", "ky", "la",
    "me", "md", "ma", "mi", "mn", "ms", "mo", "mt", "ne", "nv", "nh", "nj", "nm", "ny", "nc", "nd", "oh", "ok",
    "or", "pa", "ri", "sc", "sd", "tn", "tx", "ut", "vt", "va", "wa", "wv", "wi", "wy", "dc", "pr",
)
OPENSTATES_SESSIONS = {"current": 1, "current_and_previous": 2, "all": None}


def openstates_config(config: dict[str, Any]) -> dict[str, Any]:
    """sources.yml's ``openstates`` section with defaults, checked so a typo fails before any request."""
    out = {
        "jurisdictions": [str(j).lower() for j in config.get("jurisdictions") or []],
        "title_scan": [str(j).lower() for j in config.get("title_scan") or []],
        "sessions": str(config.get("sessions", "current_and_previous")),
        "sessions_cache_days": float(config.get("sessions_cache_days", 7)),
        "requests_per_minute": float(config.get("requests_per_minute", 10)),
        "daily_quota": int(config.get("daily_quota", 250)),
        "per_page": int(config.get("per_page", 20)),
        "overlap_hours": float(config.get("overlap_hours", 2)),
        "backfill_start": str(config.get("backfill_start", "2023-01-01")),
        "reread": bool(config.get("reread", True)),
        "reread_days": float(config.get("reread_days", 365)),
        "quota_reserve": int(config.get("quota_reserve", 20)),
    }
    if out["sessions"] not in OPENSTATES_SESSIONS:
        raise ConfigError(f"sources.yml: openstates sessions must be one of {', '.join(OPENSTATES_SESSIONS)}, "
                          f"not {out['sessions']!r}")
    unknown = [j for j in out["jurisdictions"] + out["title_scan"] if j not in OPENSTATES_JURISDICTIONS]
    if unknown:
        raise ConfigError(f"sources.yml: openstates jurisdictions must be postal codes such as ca or dc: "
                          f"{', '.join(unknown)}")
    if not 1 <= out["per_page"] <= 20:
        raise ConfigError("sources.yml: openstates per_page must be between 1 and 20 (the API's maximum)")
    if out["requests_per_minute"] <= 0:
        raise ConfigError("sources.yml: openstates requests_per_minute must be above 0")
    return out
