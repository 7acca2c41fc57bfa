"""Publishing: copy the working database to the snapshot that the public face serves immutable.

Members never see a half-written crawl: the copy is made with ``VACUUM
INTO`` (a consistent read) into a temporary file that then replaces the
snapshot in one rename.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import db


def publish(source: str | os.PathLike[str] | None = None, target: str | os.PathLike[str] | None = None) -> Path:
    """Write the snapshot and return its path; a missing or unreadable working database leaves the old one served."""
    working = db.db_path(source)
    # Refuses a missing, foreign or newer database before VACUUM INTO would make an empty file of a mistyped path.
    db.connect(working).close()
    snapshot = db.snapshot_path(target, working)
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    tmp = snapshot.with_name(snapshot.name + ".tmp")
    tmp.unlink(missing_ok=True)
    try:
        _copy_public_part(working, tmp)
    except sqlite3.DatabaseError as exc:
        tmp.unlink(missing_ok=True)
        raise db.UnusableDatabase(f"{working} cannot be published: {exc}") from exc
    os.replace(tmp, snapshot)
    return snapshot


def _copy_public_part(working: Path, tmp: Path) -> None:
    conn = sqlite3.connect(f"{working.resolve().as_uri()}?mode=ro", uri=True, timeout=db.BUSY_TIMEOUT_MS / 1000)
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


def check_snapshot(snapshot: Path) -> None:
    """Refuse, in one line, a snapshot the public face could not serve (damaged, or not the tracker's)."""
    try:
        with closing(sqlite3.connect(f"{snapshot.resolve().as_uri()}?immutable=1", uri=True)) as conn:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                raise sqlite3.DatabaseError(verdict)
            conn.execute("SELECT 1 FROM bills LIMIT 1").fetchall()
    except sqlite3.DatabaseError as exc:
        raise db.UnusableDatabase(f"{snapshot} cannot be served: {exc}; run `ailabor publish` to write it again"
                                  ) from exc
