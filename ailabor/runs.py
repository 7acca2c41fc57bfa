"""Bookkeeping of crawls: one ``crawl_runs`` row per run, its errors and its watermark."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from ailabor.dates import utcnow
from ailabor.redaction import redact
from db import exclusive, write_transaction

MESSAGE_LENGTH = 2000
#: How many runs in a row a rejected record holds the watermark back before it is taken as broken upstream.
HOLDING_RUNS = 2


@dataclass
class RunOutcome:
    """What one crawl met, counted as it goes; :meth:`status` makes of it the run's status and message.

    A run is ``failed`` when nothing usable came back although something
    was asked (or nothing could be asked), ``partial`` when it lost a request,
    an item or a callback, or was stopped, and ``ok`` otherwise.
    """

    good_responses: int = 0
    failed_requests: int = 0
    #: Exceptions that escaped the spider's code (callbacks, errbacks, start(), pipeline stages).
    exceptions: int = 0
    lost_items: int = 0
    #: Records rejected as in the HOLDING_RUNS runs before: recorded, but no longer holding the watermark.
    known_bad: int = 0
    #: Set by a spider that found nothing to ask: a run without requests is then complete, not failed.
    nothing_to_ask: bool = False
    #: Why the run was stopped early (a spent quota), if it was.
    partial_reason: str | None = None
    #: The last request that reached no upstream, as one line.
    last_failure: str | None = None

    def status(self, requests: int, reason: str = "finished") -> tuple[str, str | None]:
        """The run's status and its one-line message, given its request count and Scrapy's close reason."""
        failures = self.failed_requests + self.exceptions
        if not self.good_responses and (failures or not (requests or self.nothing_to_ask)):
            return "failed", self.partial_reason or self.last_failure or "no usable response from the upstream"
        if self.partial_reason or failures or self.lost_items or reason != "finished":
            counted = [f"{n} {what}" for n, what in ((self.failed_requests, "request(s) failed"),
                                                      (self.exceptions, "callback error(s)"),
                                                      (self.lost_items, "item(s) rejected")) if n]
            notes = [*counted, note] if (note := self.known_bad_note()) else counted
            return "partial", self.partial_reason or "; ".join(notes) or f"stopped: {reason}"
        return "ok", self.known_bad_note()

    def known_bad_note(self) -> str | None:
        if not self.known_bad:
            return None
        return (f"{self.known_bad} item(s) rejected as in the {HOLDING_RUNS} runs before, "
                "no longer holding the watermark")


@contextmanager
def source_lock(db_file: str | os.PathLike[str] | None, source: str) -> Iterator[bool]:
    """Held for as long as a source is crawled; yields False when another process crawls it."""
    with exclusive(source, db_file) as acquired:
        yield acquired


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunLog:
    """The record of one crawl of one source, opened at start and closed at the end."""

    def __init__(self, db: sqlite_utils.Database, source: str) -> None:
        self.db = db
        self.source = source
        self.errors = 0
        self.close_interrupted()
        with write_transaction(db):
            self.id = db["crawl_runs"].insert(
                {"source": source, "started_at": utcnow(), "status": "running", "pid": os.getpid()}
            ).last_pk

    def close_interrupted(self) -> None:
        """A run left as running by a process that is gone was killed: say so."""
        rows = self.db.execute(
            "SELECT id, pid FROM crawl_runs WHERE source = ? AND status = 'running'", [self.source]
        ).fetchall()
        dead = [run_id for run_id, pid in rows if not _alive(pid) or pid == os.getpid()]
        if dead:
            with write_transaction(self.db):
                for run_id in dead:
                    self.db["crawl_runs"].update(
                        run_id, {"status": "failed", "finished_at": utcnow(), "message": "interrupted"}
                    )

    def last_watermark(self) -> str | None:
        """Where the last run that stored something stopped; the next run resumes there."""
        row = self.db.execute(
            "SELECT watermark FROM crawl_runs WHERE source = ? AND status IN ('ok', 'partial')"
            " AND watermark IS NOT NULL AND id != ? ORDER BY id DESC LIMIT 1",
            [self.source, self.id],
        ).fetchone()
        return row[0] if row else None

    def error(self, url: str | None, kind: str, message: str) -> None:
        self.errors += 1
        if url:
            # Scrapy's reasons quote the URL (a Federal Register one runs to 1,500 characters), which has its column.
            message = message.replace(url, "<url>")
        with write_transaction(self.db):
            self.db["crawl_errors"].insert(
                {"run_id": self.id, "url": redact(url) if url else url, "kind": kind,
                 "message": redact(message)[:MESSAGE_LENGTH], "at": utcnow()}
            )

    def rejected_before(self, kind: str, message: str, runs: int) -> bool:
        """Whether each of the last ``runs`` runs that got anywhere rejected the same thing for the same reason."""
        (count,) = self.db.execute(
            "SELECT count(DISTINCT run_id) FROM crawl_errors WHERE kind = ? AND message = ? AND run_id IN"
            " (SELECT id FROM crawl_runs WHERE source = ? AND id < ? AND status IN ('ok', 'partial')"
            "  ORDER BY id DESC LIMIT ?)",
            [kind, redact(message)[:MESSAGE_LENGTH], self.source, self.id, runs],
        ).fetchone()
        return count == runs

    def finish(self, status: str, **counts: Any) -> None:
        # The message and details quote upstreams (an error body, a quota notice): no secret may ride along.
        counts = {name: redact(value) if isinstance(value, str) else value for name, value in counts.items()}
        if counts.get("message"):
            counts["message"] = counts["message"][:MESSAGE_LENGTH]
        with write_transaction(self.db):
            self.db["crawl_runs"].update(
                self.id, dict(counts, status=status, errors=self.errors, finished_at=utcnow())
            )


def record_skipped(db: sqlite_utils.Database, source: str, message: str) -> int:
    """A source that could not run at all (no key) still leaves a visible run row."""
    now = utcnow()
    with write_transaction(db):
        return db["crawl_runs"].insert(
            {"source": source, "started_at": now, "finished_at": now, "status": "skipped", "message": redact(message)}
        ).last_pk
