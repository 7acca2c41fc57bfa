"""The runners that start one scheduled crawl: a local child process, or a Scrapyd job.

A crawl runs as its own process (a Twisted reactor cannot restart), is killed
at its timeout and then recorded as failed, and is followed by publishing the
public snapshot.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import db
from ailabor.dates import utcnow
from ailabor.relevance import topics_path
from ailabor.schedule.config import Job, Schedule

logger = logging.getLogger(__name__)

# How long a crawl asked to stop (SIGTERM) may take to close its run before it is killed.
STOP_GRACE = 10.0


@dataclass
class Outcome:
    """How one scheduled crawl ended, as one line for a person."""

    source: str
    failed: bool
    line: str


class Runner(Protocol):
    def run(self, job: Job) -> Outcome: ...

    def stop(self) -> None: ...


def crawl_command(source: str, db_file: str | os.PathLike[str]) -> list[str]:
    return [sys.executable, "-m", "ailabor.cli", "crawl", source, "--db", str(db_file)]


def last_run_id(db_file: Path, source: str) -> int:
    database = db.connect(db_file)
    try:
        return database.execute("SELECT coalesce(max(id), 0) FROM crawl_runs WHERE source = ?",
                                [source]).fetchone()[0]
    finally:
        database.close()


def record_unfinished(db_file: Path, source: str, message: str, *, pid: int | None = None,
                      after_id: int | None = None, started_at: str | None = None) -> None:
    """Close the runs a killed crawl left as running, or record the run it never got to open.

    The crawl process writes its own ``crawl_runs`` row; when it is killed
    (timeout, shutdown) that row would stay 'running' forever, so it becomes
    'failed' with the reason. A crawl killed before it opened its row still
    leaves a failed row, so the failure shows in ``ailabor status``.
    """
    where, params = "source = ?", [source]
    if pid is not None:
        where, params = where + " AND pid = ?", [*params, pid]
    if after_id is not None:
        where, params = where + " AND id > ?", [*params, after_id]
    database = db.connect(db_file)
    try:
        now = utcnow()
        with db.write_transaction(database):
            database.execute(f"UPDATE crawl_runs SET status = 'failed', finished_at = ?, message = ? "
                             f"WHERE {where} AND status = 'running'", [now, message, *params])
            if not database.execute(f"SELECT count(*) FROM crawl_runs WHERE {where}", params).fetchone()[0]:
                database["crawl_runs"].insert({"source": source, "started_at": started_at or now,
                                               "finished_at": now, "status": "failed", "message": message,
                                               "pid": pid})
    finally:
        database.close()


class _Runner:
    def __init__(self, db_file: str | os.PathLike[str] | None, publish: bool = True) -> None:
        self.db_file = db.db_path(db_file).resolve()
        self.publish = publish
        self.stopping = threading.Event()
        # Two crawls may end together; the snapshot is written through one temporary file.
        self._publishing = threading.Lock()

    def _not_started(self, job: Job) -> Outcome | None:
        if self.stopping.is_set():
            return Outcome(job.source, False, f"{job.source}: not started: the scheduler is stopping")
        return None

    @staticmethod
    def _logged(outcome: Outcome) -> Outcome:
        (logger.warning if outcome.failed else logger.info)("%s", outcome.line)
        return outcome

    def _published(self, outcome: Outcome) -> Outcome:
        if not self.publish:
            return outcome
        from ailabor.site.publish import publish

        try:
            with self._publishing:
                publish(self.db_file)
        except (OSError, ValueError, RuntimeError) as exc:
            return Outcome(outcome.source, True, f"{outcome.line}; publishing the snapshot failed: {exc}")
        return outcome


class LocalRunner(_Runner):
    """Runs each crawl as a child process in its own process group, on this machine."""

    def __init__(self, db_file: str | os.PathLike[str] | None = None,
                 command: Callable[[str], list[str]] | None = None, publish: bool = True,
                 stop_grace: float = STOP_GRACE) -> None:
        super().__init__(db_file, publish)
        self.command = command or (lambda source: crawl_command(source, self.db_file))
        self.stop_grace = stop_grace
        self._children: dict[int, subprocess.Popen] = {}
        self._lock = threading.Lock()

    def run(self, job: Job) -> Outcome:
        if stopped := self._not_started(job):
            return stopped
        started = utcnow()
        logger.info("%s: crawl started", job.source)
        try:
            child = subprocess.Popen(self.command(job.source), cwd=db.REPO_ROOT, stdout=subprocess.PIPE,
                                     text=True, start_new_session=True)
        except OSError as exc:
            return Outcome(job.source, True, f"{job.source}: failed: the crawl could not start: {exc}")
        with self._lock:
            self._children[child.pid] = child
        reason = None
        try:
            try:
                out, _ = child.communicate(timeout=job.timeout)
            except subprocess.TimeoutExpired:
                _kill_group(child.pid, signal.SIGKILL)
                out, _ = child.communicate()
                reason = f"timed out after {job.timeout:g} s"
        finally:
            with self._lock:
                self._children.pop(child.pid, None)
        if reason is None and child.returncode != 0 and self.stopping.is_set():
            reason = "stopped: the scheduler was shut down"
        if reason:
            record_unfinished(self.db_file, job.source, reason, pid=child.pid, started_at=started)
            return self._logged(Outcome(job.source, True, f"{job.source}: failed: {reason}"))
        summary = (out or "").strip().splitlines()
        line = summary[-1] if summary else f"{job.source}: the crawl printed no summary"
        if child.returncode != 0:
            record_unfinished(self.db_file, job.source, f"the crawl exited with code {child.returncode}",
                              pid=child.pid, started_at=started)
            return self._logged(Outcome(job.source, True, line))
        return self._logged(self._published(Outcome(job.source, False, line)))

    def stop(self) -> None:
        """Ask every running crawl to stop, then kill what is left after the grace time."""
        self.stopping.set()
        with self._lock:
            pids = list(self._children)
        for pid in pids:
            _kill_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_grace
        while time.monotonic() < deadline:
            with self._lock:
                if not self._children:
                    return
            time.sleep(0.05)
        with self._lock:
            pids = list(self._children)
        for pid in pids:
            _kill_group(pid, signal.SIGKILL)


def _kill_group(pid: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pid, sig)


class ScrapydUnavailable(RuntimeError):
    """Scrapyd could not be reached or refused a request."""


class ScrapydRunner(_Runner):
    """Runs each crawl as a job on a Scrapyd server that writes to the same database.

    Scrapyd runs ``scrapy crawl SOURCE`` for the project: the checkout it was
    started in (project ``default``) or an egg deployed to it with
    ``scrapyd-deploy`` (project ``ailabor``). This runner schedules the job, waits
    for it (cancelling it at the timeout), then reads the run's outcome from
    ``crawl_runs`` and publishes. Scrapyd's crawls do not pass through
    ``ailabor crawl``, so overlap is prevented by asking Scrapyd first.
    """

    def __init__(self, url: str, project: str, db_file: str | os.PathLike[str] | None = None,
                 poll: float = 2.0, publish: bool = True) -> None:
        super().__init__(db_file, publish)
        self.url = url
        self.project = project
        self.poll = poll

    def run(self, job: Job) -> Outcome:
        if stopped := self._not_started(job):
            return stopped
        try:
            return self._run(job)
        except ScrapydUnavailable as exc:
            return self._logged(Outcome(job.source, True, f"{job.source}: failed: {exc}"))

    def _run(self, job: Job) -> Outcome:
        jobs = self._call("listjobs.json", project=self.project)
        busy = [j for state in ("pending", "running") for j in jobs.get(state, []) if j.get("spider") == job.source]
        if busy:
            return Outcome(job.source, False, f"{job.source}: not started: Scrapyd job {busy[0]['id']} "
                                              "of it is still pending or running")
        before = last_run_id(self.db_file, job.source)
        # A deployed egg carries neither the database's path nor the director's taxonomy: both are this host's.
        settings = [f"AILABOR_DB={self.db_file}", f"AILABOR_TOPICS={topics_path().resolve()}"]
        job_id = self._call("schedule.json", post=True, project=self.project, spider=job.source,
                            setting=settings)["jobid"]
        logger.info("%s: Scrapyd job %s scheduled", job.source, job_id)
        deadline = time.monotonic() + job.timeout
        while self._call("status.json", project=self.project, job=job_id).get("currstate") != "finished":
            if self.stopping.is_set():
                # The job is Scrapyd's, not ours: it finishes and closes its own run without us.
                return Outcome(job.source, False, f"{job.source}: left running on Scrapyd (job {job_id})")
            if time.monotonic() > deadline:
                reason = f"timed out after {job.timeout:g} s"
                self._call("cancel.json", post=True, project=self.project, job=job_id, signal="KILL")
                record_unfinished(self.db_file, job.source, reason, after_id=before)
                return self._logged(Outcome(job.source, True, f"{job.source}: failed: {reason}"))
            time.sleep(self.poll)
        database = db.connect(self.db_file)
        try:
            row = database.execute("SELECT status, items, new, updated, errors, message FROM crawl_runs "
                                   "WHERE source = ? AND id > ? ORDER BY id DESC LIMIT 1",
                                   [job.source, before]).fetchone()
        finally:
            database.close()
        if row is None:
            log = f"{self.url.rstrip('/')}/logs/{self.project}/{job.source}/{job_id}.log"
            return self._logged(Outcome(job.source, True, f"{job.source}: failed: Scrapyd job {job_id} "
                                                                 f"finished without recording a run; see {log}"))
        status, items, new, updated, errors, message = row
        line = (f"{job.source}: {status}: {items} items, {new} new, {updated} updated, {errors} errors "
                f"(Scrapyd job {job_id})" + (f" ({message})" if message else ""))
        if status == "failed":
            return self._logged(Outcome(job.source, True, line))
        return self._logged(self._published(Outcome(job.source, False, line)))

    def stop(self) -> None:
        self.stopping.set()

    def _call(self, endpoint: str, post: bool = False, **params: str | list[str]) -> dict[str, Any]:
        url = f"{self.url.rstrip('/')}/{endpoint}"
        data = urllib.parse.urlencode(params, doseq=True).encode()
        request = urllib.request.Request(url, data=data) if post else urllib.request.Request(f"{url}?{data.decode()}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answer = json.load(response)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise ScrapydUnavailable(f"could not reach Scrapyd at {self.url}: {exc}") from exc
        if answer.get("status") != "ok":
            raise ScrapydUnavailable(f"Scrapyd refused {endpoint}: {answer.get('message', answer)}")
        return answer


def make_runner(schedule: Schedule, db_file: str | os.PathLike[str] | None = None) -> Runner:
    if schedule.runner == "scrapyd":
        return ScrapydRunner(schedule.scrapyd_url, schedule.scrapyd_project, db_file)
    return LocalRunner(db_file)
