"""What ``ailabor status`` says: the last run of each source and what the database holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlite_utils

from ailabor.config import OPENSTATES_JURISDICTIONS, ConfigError, openstates_config, source_config
from ailabor.schedule.config import DEFAULT_EMPTY_RUNS, Job, Schedule, duration, load_schedule


def last_runs(database: sqlite_utils.Database) -> list[dict]:
    return list(database.query(
        "SELECT * FROM crawl_runs WHERE id IN (SELECT max(id) FROM crawl_runs GROUP BY source) ORDER BY source"))


def openstates_silent_jurisdictions(database: sqlite_utils.Database, days: int = 180) -> str | None:
    """The jurisdictions Open States has sent no bill from lately, so a gap upstream is seen, not assumed quiet.

    Open States' search only reaches bills whose text it extracted, and a
    state's scraper can stop for months: both look like a state with nothing
    on AI and work. "Lately" is counted back from the newest update received,
    so a source that stopped altogether shows in its run line instead. Says
    nothing until the openstates spider has run.
    """
    ran = database.execute(
        "SELECT 1 FROM crawl_runs WHERE source = 'openstates' AND status IN ('ok', 'partial') LIMIT 1").fetchone()
    if not ran:
        return None
    expected = openstates_config(source_config("openstates"))["jurisdictions"] or list(OPENSTATES_JURISDICTIONS)
    newest = database.execute("SELECT max(source_updated_at) FROM bills WHERE source = 'openstates'").fetchone()[0]
    latest = datetime.fromisoformat(newest).date() if newest else datetime.now(UTC).date()
    since = (latest - timedelta(days=days)).isoformat()
    heard = {row[0] for row in database.execute(
        "SELECT DISTINCT jurisdiction FROM bills WHERE source = 'openstates' AND source_updated_at >= ?", [since])}
    silent = [code for code in expected if code not in heard]
    if not silent:
        return None
    return (f"openstates: no bill updated in the last {days} days from {len(silent)} of {len(expected)} "
            f"jurisdictions (a gap upstream, or nothing on AI and work): {', '.join(silent)}")


BILL_SOURCES = ("congress", "openstates")


def discovery_lags(database: sqlite_utils.Database, days: int = 90) -> list[str]:
    """How soon each bill source found the relevant bills introduced since it first ran: one line per source.

    The lag is counted from a bill's introduction to when this tracker first
    stored it (a scheduled daily run finds a bill the day after at best), and,
    where the upstream says when it first listed the bill (Open States'
    ``created_at``), from then. Bills introduced before a source's first run
    were found by its backfill and say nothing of its speed; they are left out.
    """
    lines = []
    since = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    for source in BILL_SOURCES:
        first = database.execute("SELECT min(started_at) FROM crawl_runs WHERE source = ? AND status IN"
                                 " ('ok', 'partial')", [source]).fetchone()[0]
        if first is None:
            continue
        rows = database.execute(
            "SELECT julianday(substr(first_seen_at, 1, 10)) - julianday(introduced_date),"
            " (julianday(first_seen_at) - julianday(json_extract(source_meta, '$.created_at'))) * 24"
            " FROM bills WHERE source = ? AND relevant = 1 AND introduced_date >= substr(?, 1, 10)"
            " AND first_seen_at >= ?", [source, first, since]).fetchall()
        days_after = sorted(max(0, round(r[0])) for r in rows if r[0] is not None)
        if not days_after:
            lines.append(f"{source}: no relevant bill introduced since its first run ({first[:10]}) was found in the"
                         f" last {days} days")
            continue
        line = (f"{source}: {len(days_after)} relevant bills introduced since its first run found in the last {days}"
                f" days, a median {_median(days_after):g} days after introduction (longest {days_after[-1]})")
        hours = sorted(max(0.0, r[1]) for r in rows if r[1] is not None)
        if hours:
            line += f"; a median {_median(hours):.0f} hours after Open States first listed them"
        lines.append(line)
    return lines


def _median(values: list[float]) -> float:
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def status_report(database: sqlite_utils.Database) -> str:
    lines = []
    runs = last_runs(database)
    if not runs:
        lines.append("no crawl has run yet: try `ailabor crawl` or `ailabor demo`")
    for run in runs:
        success = database.execute(
            "SELECT max(finished_at) FROM crawl_runs WHERE source = ? AND status = 'ok'", [run["source"]]
        ).fetchone()[0]
        line = (f"{run['source']}: last run {run['started_at']} {run['status']}, {run['requests']} requests, "
                f"{run['items']} items, {run['new']} new, {run['updated']} updated, {run['errors']} errors; "
                f"last success {success or 'never'}")
        if run["message"]:
            line += f" ({run['message']})"
        lines.append(line)
    silent = openstates_silent_jurisdictions(database)
    if silent:
        lines.append(silent)
    lines.extend(f"discovery: {line}" for line in discovery_lags(database))
    lines.extend(f"flag: {flag}" for flag in source_flags(database))
    counts = {t: database[t].count for t in ("bills", "meetings", "events", "crawl_errors")}
    relevant = {t: database.execute(f"SELECT count(*) FROM {t} WHERE relevant = 1").fetchone()[0]
                for t in ("bills", "meetings")}
    lines.append(f"bills: {counts['bills']} ({relevant['bills']} relevant); meetings: {counts['meetings']} "
                 f"({relevant['meetings']} relevant); events: {counts['events']}; "
                 f"crawl errors: {counts['crawl_errors']}")
    return "\n".join(lines)


def source_flags(database: sqlite_utils.Database, schedule: Schedule | None = None,
                 now: datetime | None = None) -> list[str]:
    """One line per source a person should look at before anyone misses a bill.

    Stale: no successful run within twice its scheduled interval (from
    schedule.yml), counted from the last success or, if it never succeeded,
    from its first run. Suspicious: its recent runs returned no items although
    earlier ones did (an upstream that changed its format or started to answer
    empty). Used by ``ailabor status`` and at the foot of the director's digest.
    """
    flags = []
    if schedule is None:
        try:
            schedule = load_schedule()
        except ConfigError as exc:
            flags.append(f"{exc} (staleness not checked)")
    now = now or datetime.now(UTC)
    for (source,) in database.execute("SELECT DISTINCT source FROM crawl_runs ORDER BY source").fetchall():
        job = schedule.job(source) if schedule else None
        flags.extend(flag for flag in (_stale(database, source, job, now),
                                        _suspicious(database, source, job)) if flag)
    return flags


def _when(stamp: str) -> str:
    return f"{stamp[:16].replace('T', ' ')} UTC"


def _stale(database: sqlite_utils.Database, source: str, job: Job | None, now: datetime) -> str | None:
    interval = job.interval(now) if job else None
    if interval is None:
        return None
    success, first = database.execute(
        "SELECT max(CASE WHEN status = 'ok' THEN finished_at END), min(started_at) FROM crawl_runs WHERE source = ?",
        [source]).fetchone()
    since = datetime.fromisoformat(success or first)
    if now - since <= 2 * interval:
        return None
    status, message = database.execute(
        "SELECT status, message FROM crawl_runs WHERE source = ? ORDER BY id DESC LIMIT 1", [source]).fetchone()
    last = f"{status}: {message}" if message else status
    what = f"no success since {_when(success)}" if success else f"never succeeded since its first run {_when(first)}"
    return (f"{source}: stale: {what}, yet it is scheduled at least every {duration(interval.total_seconds())} "
            f"(last run {last})")


def _suspicious(database: sqlite_utils.Database, source: str, job: Job | None) -> str | None:
    threshold = job.flag_after_empty_runs if job else DEFAULT_EMPTY_RUNS
    runs = database.execute(
        "SELECT items, started_at FROM crawl_runs WHERE source = ? AND status IN ('ok', 'partial') "
        "ORDER BY id DESC LIMIT 500", [source]).fetchall()
    empty = next((i for i, (items, _) in enumerate(runs) if items), len(runs))
    if empty < threshold or empty == len(runs):
        return None
    items, started = runs[empty]
    runs_word = "run" if empty == 1 else f"{empty} runs"
    return (f"{source}: suspicious: the last {runs_word} returned no items, "
            f"yet the run of {_when(started)} returned {items}")
