"""schedule.yml: when each source is crawled, its timeout, and when its health is flagged.

Read by the scheduler service and by ``ailabor status`` (staleness is measured
against each source's interval), so it loads neither the scheduler nor Scrapy.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# APScheduler's cron arithmetic, not its scheduler: the intervals status measures are the ones the service fires.
from apscheduler.triggers.cron import CronTrigger

import db
from ailabor.config import ConfigError, read_yaml

SCHEDULE_FILE = db.REPO_ROOT / "schedule.yml"
RUNNERS = ("local", "scrapyd")
JOB_KEYS = {"cron", "timeout", "timezone", "flag_after_empty_runs"}
TOP_KEYS = {"timezone", "misfire_grace", "runner", "scrapyd_url", "scrapyd_project", "sources"}
DEFAULT_TIMEOUT = 3600
DEFAULT_EMPTY_RUNS = 3


@dataclass(frozen=True)
class Job:
    """One source's place in the schedule."""

    source: str
    cron: str
    timezone: ZoneInfo
    timeout: float
    flag_after_empty_runs: int = DEFAULT_EMPTY_RUNS

    def trigger(self) -> CronTrigger:
        return CronTrigger.from_crontab(self.cron, timezone=self.timezone)

    def next_runs(self, after: datetime, count: int) -> list[datetime]:
        trigger, runs, previous, now = self.trigger(), [], None, after
        while len(runs) < count:
            run = trigger.get_next_fire_time(previous, now)
            if run is None:
                break
            runs.append(run)
            previous, now = run, run + timedelta(seconds=1)
        return runs

    def interval(self, after: datetime | None = None) -> timedelta | None:
        """The longest gap between two runs: a weekday source's interval spans the weekend.

        Staleness is measured against it, so a quiet weekend never flags a
        source that runs only on weekdays.
        """
        runs = self.next_runs(after or datetime.now(UTC), 60)
        # Subtracting in UTC: two times in one zone subtract as wall-clock times, blind to a DST change.
        gaps = [b.astimezone(UTC) - a.astimezone(UTC) for a, b in zip(runs, runs[1:], strict=False)]
        return max(gaps) if gaps else None


@dataclass(frozen=True)
class Schedule:
    jobs: list[Job]
    timezone: ZoneInfo
    misfire_grace_time: int
    runner: str = "local"
    scrapyd_url: str = "http://127.0.0.1:6800"
    scrapyd_project: str = "default"

    def job(self, source: str) -> Job | None:
        return next((job for job in self.jobs if job.source == source), None)


def schedule_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The schedule file: an explicit path, else ``AILABOR_SCHEDULE``, else schedule.yml in the repo."""
    return Path(path or os.environ.get("AILABOR_SCHEDULE") or SCHEDULE_FILE)


def load_schedule(path: str | os.PathLike[str] | None = None,
                  known_sources: Iterable[str] | None = None) -> Schedule:
    """Read and check the schedule; anything wrong is a one-line ConfigError saying what to fix.

    ``known_sources``, when given, are the spiders that exist: an entry for
    any other name is an error (a typo would otherwise never run).
    """
    file = schedule_path(path)
    name = file.name
    data = read_yaml(file)
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: must be a mapping with a 'sources' section")
    _no_unknown_keys(name, "the top level", data, TOP_KEYS)
    timezone = _timezone(name, "timezone", data.get("timezone", "America/New_York"))
    grace = _seconds(name, "misfire_grace", data.get("misfire_grace", "30m"))
    runner = data.get("runner", "local")
    if runner not in RUNNERS:
        raise ConfigError(f"{name}: runner must be one of {', '.join(RUNNERS)}, not {runner!r}")
    sources = data.get("sources")
    if not isinstance(sources, dict) or not sources:
        raise ConfigError(f"{name}: 'sources' must map each source name to its cron, timeout, ...")
    known = list(known_sources) if known_sources is not None else None
    jobs = []
    for source, entry in sources.items():
        if known is not None and source not in known:
            raise ConfigError(f"{name}: unknown source {source!r}; the sources are: {', '.join(known)}")
        jobs.append(_job(name, str(source), entry, timezone))
    return Schedule(jobs, timezone, int(grace), runner, str(data.get("scrapyd_url", Schedule.scrapyd_url)),
                    str(data.get("scrapyd_project", Schedule.scrapyd_project)))


def _job(name: str, source: str, entry: Any, default_tz: ZoneInfo) -> Job:
    if not isinstance(entry, dict) or "cron" not in entry:
        raise ConfigError(f"{name}: {source}: give at least a cron, e.g. cron: \"15 7 * * mon-fri\"")
    _no_unknown_keys(name, source, entry, JOB_KEYS)
    cron = str(entry["cron"])
    fields = cron.split()
    if len(fields) != 5:
        raise ConfigError(f"{name}: {source}: cron {cron!r} needs 5 fields (minute hour day month day-of-week)")
    if re.search(r"\d", fields[4]):
        raise ConfigError(f"{name}: {source}: cron {cron!r}: write days as names (mon-fri, sat,sun), not numbers "
                          "(the scheduler counts 0 as Monday, cron as Sunday)")
    timezone = _timezone(name, f"{source}: timezone", entry["timezone"]) if "timezone" in entry else default_tz
    empty_runs = entry.get("flag_after_empty_runs", DEFAULT_EMPTY_RUNS)
    if not isinstance(empty_runs, int) or isinstance(empty_runs, bool) or empty_runs < 1:
        raise ConfigError(f"{name}: {source}: flag_after_empty_runs must be a whole number of runs, 1 or more")
    job = Job(source, cron, timezone, _seconds(name, f"{source}: timeout", entry.get("timeout", DEFAULT_TIMEOUT)),
              empty_runs)
    try:
        job.trigger()
    except ValueError as exc:
        raise ConfigError(f"{name}: {source}: cron {cron!r} is not valid: {exc}") from exc
    return job


def _no_unknown_keys(name: str, where: str, entry: dict, allowed: set[str]) -> None:
    unknown = sorted(set(map(str, entry)) - allowed)
    if unknown:
        raise ConfigError(f"{name}: {where}: unknown setting {', '.join(unknown)}; "
                          f"the settings are: {', '.join(sorted(allowed))}")


def _timezone(name: str, where: str, value: Any) -> ZoneInfo:
    try:
        return ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{name}: {where}: unknown timezone {value!r}; "
                          "use a name such as America/New_York") from exc


_UNITS = {"s": 1, "m": 60, "h": 3600}


def _seconds(name: str, where: str, value: Any) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", str(value))
    if isinstance(value, bool) or not match or float(match[1]) <= 0:
        raise ConfigError(f"{name}: {where}: {value!r} is not a duration; write seconds or e.g. 90s, 30m, 2h")
    return float(match[1]) * _UNITS[match[2] or "s"]


def duration(seconds: float) -> str:
    """A duration the way schedule.yml writes it: 30m, 3h, 6 days."""
    if seconds >= 2 * 86400 and seconds % 86400 == 0:
        return f"{seconds / 86400:g} days"
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and (seconds % size == 0 or unit == "h"):
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"
