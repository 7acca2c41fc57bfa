"""What ``ailabor status`` says: the last run of each source and what the database holds."""

from __future__ import annotations

import sqlite_utils


def last_runs(database: sqlite_utils.Database) -> list[dict]:
    return list(database.query(
        "SELECT * FROM crawl_runs WHERE id IN (SELECT max(id) FROM crawl_runs GROUP BY source) ORDER BY source"))


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
    counts = {t: database[t].count for t in ("bills", "meetings", "events", "crawl_errors")}
    relevant = {t: database.execute(f"SELECT count(*) FROM {t} WHERE relevant = 1").fetchone()[0]
                for t in ("bills", "meetings")}
    lines.append(f"bills: {counts['bills']} ({relevant['bills']} relevant); meetings: {counts['meetings']} "
                 f"({relevant['meetings']} relevant); events: {counts['events']}; "
                 f"crawl errors: {counts['crawl_errors']}")
    return "\n".join(lines)
