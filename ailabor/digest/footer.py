"""The footer's source health: which sources may have missed news, in the words the email uses."""

from __future__ import annotations

import sqlite_utils

from ailabor.digest.text import human_date, one_line, short_title

# How the footer tells what a source's last run did when it was not ok.
_NOT_OK = {"failed": "failed", "skipped": "was skipped", "partial": "stopped early"}

# Each source's last finished run, and when it last ran ok: news since then may be missing.
_LAST_RUNS_SQL = """
SELECT r.source, r.status, r.started_at, r.message,
       (SELECT max(coalesce(ok.finished_at, ok.started_at)) FROM crawl_runs ok
         WHERE ok.source = r.source AND ok.status = 'ok') AS last_ok
  FROM crawl_runs r
 WHERE r.id IN (SELECT max(id) FROM crawl_runs WHERE status != 'running' GROUP BY source)
 ORDER BY r.source
"""


def health_flags(database: sqlite_utils.Database) -> list[str]:
    """The sources in trouble, so a quiet digest is not mistaken for a quiet week.

    First each source whose last finished run was not ok, with when it last
    ran ok; then the flags of ``ailabor status`` (stale, suspicious) for the
    other sources. Before any crawl, that nothing has run yet.
    """
    try:
        runs = database.execute(_LAST_RUNS_SQL).fetchall()
        if not runs:
            return ["no source has run yet"]
        # Imported here: health reads the schedule, whose module loads APScheduler.
        from ailabor.health import source_flags

        flags, troubled = [], set()
        for source, status, started, message, last_ok in runs:
            if status == "ok":
                continue
            troubled.add(source)
            why = f" ({short_title(message)})" if message else ""
            since = f"last ok run {human_date(last_ok)} UTC" if last_ok else "no ok run yet"
            flags.append(f"{source} {_NOT_OK.get(status, status)} on {human_date(started)} UTC{why}; {since}")
        # One line per source: a source that failed is often stale as well.
        flags.extend(flag for flag in map(one_line, source_flags(database))
                     if flag.split(":", 1)[0] not in troubled)
        return flags
    except Exception as exc:  # a broken health check must not cost the director the digest
        return [f"source health could not be checked: {one_line(exc)}"]
