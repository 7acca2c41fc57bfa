"""Publishing: copy the working database to the snapshot that the public face serves immutable.

Members never see a half-written crawl: the copy is made with ``VACUUM
INTO`` (a consistent read) into a temporary file that then replaces the
snapshot in one rename.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import db


def publish(source: str | os.PathLike[str] | None = None, target: str | os.PathLike[str] | None = None) -> Path:
    """Write the snapshot and return its path."""
    working = db.db_path(source)
    # Refuses a missing, foreign or newer database before VACUUM INTO would make an empty file of a mistyped path.
    db.connect(working).close()
    snapshot = db.snapshot_path(target, working)
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    tmp = snapshot.with_name(snapshot.name + ".tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(str(working), timeout=db.BUSY_TIMEOUT_MS / 1000)
    try:
        conn.execute("VACUUM INTO ?", [str(tmp)])
    finally:
        conn.close()
    out = sqlite3.connect(str(tmp))
    try:
        # The union's internal record stays home: digest recipients, override, position and watch notes.
        out.execute("DELETE FROM digests")
        out.execute("UPDATE overrides SET note = NULL")
        out.execute("UPDATE positions SET note = NULL")
        out.execute("UPDATE watchlist SET note = NULL")
        out.commit()
        out.execute("VACUUM")
        # The copy is served immutable, so it must not keep a WAL beside it.
        out.execute("PRAGMA journal_mode = DELETE")
    finally:
        out.close()
    os.replace(tmp, snapshot)
    return snapshot
