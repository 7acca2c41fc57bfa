"""The one place that opens the tracker's SQLite database.

Every writer and reader goes through :func:`connect`, so WAL mode and the busy
timeout are always on and the schema is always current.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

DB_DIR = Path(__file__).resolve().parent
REPO_ROOT = DB_DIR.parent
DEFAULT_DB = DB_DIR / "tracker.db"
BUSY_TIMEOUT_MS = 30_000


def db_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The working database: an explicit path, else ``AILABOR_DB``, else db/tracker.db."""
    return Path(path or os.environ.get("AILABOR_DB") or DEFAULT_DB)


def snapshot_path(path: str | os.PathLike[str] | None = None,
                  working: str | os.PathLike[str] | None = None) -> Path:
    """The published copy that the public face serves immutable.

    It keeps the working file's name in a ``public/`` folder beside it, so
    both faces serve the database under the same name and links agree.
    """
    if path or os.environ.get("AILABOR_SNAPSHOT"):
        return Path(path or os.environ["AILABOR_SNAPSHOT"])
    source = db_path(working)
    return source.parent / "public" / source.name


def connect(path: str | os.PathLike[str] | None = None, *, migrate: bool = True,
            create: bool = False) -> sqlite_utils.Database:
    """Open the working database in WAL mode with a busy timeout, upgrading its schema in place.

    Only ``create`` makes a new file (``ailabor init`` and the commands that
    stand for it): without it a missing file is an error, so that a mistyped
    ``--db`` or ``AILABOR_DB`` is said at once instead of crawling into, or
    serving, an empty database of its own.
    """
    from db.schema import migrate as apply_migrations

    target = db_path(path)
    if create:
        target.parent.mkdir(parents=True, exist_ok=True)
    elif not target.is_file():
        raise UnusableDatabase(f"no database at {target}; run `ailabor init` to create one "
                               "(or check --db and AILABOR_DB)")
    conn = sqlite3.connect(str(target), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        # NORMAL is durable across application crashes in WAL mode; only a power cut can lose the last commit.
        conn.execute("PRAGMA synchronous = NORMAL")
        database = sqlite_utils.Database(conn)
        if migrate:
            apply_migrations(database)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise UnusableDatabase(f"{target} cannot be used as the tracker's database: {exc}") from exc
    return database


def check_integrity(database: sqlite_utils.Database) -> None:
    """Raise UnusableDatabase naming the first fault ``PRAGMA quick_check`` finds in the file.

    Opening and migrating read little of the file, so a damaged page deep in
    a table is found only by reading it all; ``ailabor init`` does so before it
    calls the database ready.
    """
    target = database.conn.execute("PRAGMA database_list").fetchone()[2]
    try:
        findings = [row[0] for row in database.conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        findings = [str(exc)]
    if findings != ["ok"]:
        first = " ".join(findings[0].replace("*** in database main ***", "").split())
        raise UnusableDatabase(f"{target} is damaged ({first}); restore it from a backup, "
                               "or move it aside and run `ailabor init` for a new one")


class UnusableDatabase(sqlite3.DatabaseError):
    """The file is missing, damaged, not a SQLite database, or not one this tracker can use; the message names it."""


def lock_path(name: str, path: str | os.PathLike[str] | None = None) -> Path:
    """``db/tracker.NAME.lock``: a lock file beside the working database it guards."""
    working = db_path(path)
    return working.with_name(f"{working.stem}.{name}.lock")


@contextmanager
def exclusive(name: str, path: str | os.PathLike[str] | None = None) -> Iterator[bool]:
    """Hold the lock NAME of this database for the ``with`` block; yields False when another process holds it.

    The lock belongs to the open file, so the kernel drops it when its
    process dies, however it dies: a crashed crawl or digest never blocks the next.
    """
    target = lock_path(name, path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True


@contextmanager
def write_transaction(database: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A transaction that takes the write lock at BEGIN.

    A deferred BEGIN that reads first and writes later fails at once with
    SQLITE_BUSY when another writer committed in between; BEGIN IMMEDIATE
    waits its turn under the busy timeout instead.
    """
    if database.conn.in_transaction:
        with database.atomic():
            yield database
        return
    database.conn.execute("BEGIN IMMEDIATE")
    try:
        yield database
    except BaseException:
        database.conn.execute("ROLLBACK")
        raise
    database.conn.execute("COMMIT")
