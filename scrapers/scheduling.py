"""Crawls on a schedule: schedule.yml, the APScheduler jobs, and the runners that start each crawl.

The tracker is only as good as its freshest run, so each source is crawled on
its own cron trigger without a person. A crawl runs as its own process (a
Twisted reactor cannot restart), is killed at its timeout and then recorded as
failed, and is followed by publishing the public snapshot. Nothing runs twice
at once: one job instance per source in a scheduler, a lock file per source
taken by the crawl command itself (so a manual ``ailabor crawl`` and a second
scheduler are kept out too), and a lock file per scheduler.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.events import EVENT_SCHEDULER_STARTED, SchedulerEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

import db
from scrapers.relevance import topics_path
from scrapers.sources import ConfigError, read_yaml
from scrapers.store import utcnow

logger = logging.getLogger(__name__)

SCHEDULE_FILE = db.REPO_ROOT / "schedule.yml"
RUNNERS = ("local", "scrapyd")
JOB_KEYS = {"cron", "timeout", "timezone", "flag_after_empty_runs"}
TOP_KEYS = {"timezone", "misfire_grace", "runner", "scrapyd_url", "scrapyd_project", "sources"}
DEFAULT_TIMEOUT = 3600
DEFAULT_EMPTY_RUNS = 3
# How long a crawl asked to stop (SIGTERM) may take to close its run before it is killed.
STOP_GRACE = 10.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class SchedulerBusy(RuntimeError):
    """Another scheduler already runs against this database."""


# The schedule --------------------------------------------------------------------------------


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


def list_jobs(schedule: Schedule, now: datetime, count: int = 3) -> list[str]:
    """What ``--list`` prints: each job, its settings and its next run times."""
    where = (f"on Scrapyd at {schedule.scrapyd_url} (project {schedule.scrapyd_project})"
             if schedule.runner == "scrapyd" else "as local processes")
    lines = [f"{len(schedule.jobs)} jobs, run {where}; late runs start within {duration(schedule.misfire_grace_time)}"]
    for job in schedule.jobs:
        interval = job.interval(now)
        stale = f", stale after {duration(2 * interval.total_seconds())} without success" if interval else ""
        lines.append(f"{job.source}: \"{job.cron}\" {job.timezone.key}, timeout {duration(job.timeout)}{stale}")
        lines.extend(f"  next {run:%a %Y-%m-%d %H:%M %Z}" for run in job.next_runs(now, count))
    return lines


# Locks ---------------------------------------------------------------------------------------


@contextmanager
def source_lock(db_file: str | os.PathLike[str] | None, source: str) -> Iterator[bool]:
    """Held for as long as a source is crawled; yields False when another process crawls it."""
    with db.exclusive(source, db_file) as acquired:
        yield acquired


@contextmanager
def scheduler_lock(db_file: str | os.PathLike[str] | None) -> Iterator[None]:
    """One scheduler per database: a second one stops at once with SchedulerBusy."""
    with db.exclusive("scheduler", db_file) as acquired:
        if not acquired:
            raise SchedulerBusy("another scheduler is already running for this database "
                                f"(it holds {db.lock_path('scheduler', db_file)})")
        yield


# Runners -------------------------------------------------------------------------------------


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
    return [sys.executable, "-m", "scrapers.cli", "crawl", source, "--db", str(db_file)]


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
        from scrapers.publish import publish

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


# The scheduler -------------------------------------------------------------------------------


def build_scheduler(schedule: Schedule, runner: Runner,
                    scheduler_class: type[BaseScheduler] = BlockingScheduler) -> BaseScheduler:
    """One job per source: never two instances at once, missed runs merged, late runs allowed for minutes."""
    options = {"coalesce": True, "max_instances": 1, "misfire_grace_time": schedule.misfire_grace_time}
    scheduler = scheduler_class(timezone=schedule.timezone, job_defaults=options,
                                executors={"default": ThreadPoolExecutor(max(len(schedule.jobs), 1))})
    for job in schedule.jobs:
        scheduler.add_job(runner.run, job.trigger(), args=[job], id=job.source, name=f"crawl {job.source}",
                          **options)
    return scheduler


def answer_stop_signals() -> None:
    """Unblock SIGTERM and SIGINT in this thread, and so in the threads and crawls it starts after.

    A process inherits its parent's signal mask: with SIGTERM left blocked, the
    signal would wait forever, pending, and the scheduler would never stop.
    """
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def run_once(schedule: Schedule, runner: Runner, echo: Callable[[str], None]) -> list[Outcome]:
    """Every job now, one after the other, for those who drive everything from cron.

    The jobs run in a worker thread so that SIGTERM or Ctrl-C, handled in
    this one, can stop the running crawl and close its run; the jobs left
    then do not start.
    """
    outcomes: list[Outcome] = []

    def work() -> None:
        for job in schedule.jobs:
            outcomes.append(runner.run(job))
            echo(outcomes[-1].line)

    answer_stop_signals()
    worker = threading.Thread(target=work, name="once")
    previous = {sig: signal.signal(sig, lambda signum, frame: runner.stop()) for sig in STOP_SIGNALS}
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return outcomes


def serve(schedule: Schedule, runner: Runner, db_file: str | os.PathLike[str] | None) -> None:
    """Run the schedule until SIGTERM or SIGINT; stopping ends every running crawl and closes its run."""
    answer_stop_signals()
    with scheduler_lock(db_file):
        scheduler = build_scheduler(schedule, runner)
        started, stop_requested = threading.Event(), threading.Event()
        received: list[int] = []

        def request_stop(signum: int, frame: Any) -> None:
            # A handler runs wherever the main thread was: inside the scheduler's loop, holding the lock
            # a shutdown takes, or inside a listener, whose exceptions the scheduler swallows. So it
            # only flags the request (the main thread never touches that event's lock); a thread of
            # its own does the stopping.
            received.append(signum)
            stop_requested.set()

        def stop_when_asked() -> None:
            stop_requested.wait()
            started.wait()
            logger.info("%s: stopping the running crawls and the scheduler", signal.Signals(received[0]).name)
            runner.stop()
            scheduler.shutdown(wait=True)

        def on_start(event: SchedulerEvent) -> None:
            started.set()
            logger.info("scheduler started with %d jobs (%s)", len(schedule.jobs),
                        ", ".join(job.source for job in schedule.jobs))

        scheduler.add_listener(on_start, EVENT_SCHEDULER_STARTED)
        stopper = threading.Thread(target=stop_when_asked, name="stopper", daemon=True)
        stopper.start()
        for sig in STOP_SIGNALS:
            signal.signal(sig, request_stop)
        scheduler.start()
        stopper.join()
    logger.info("scheduler stopped")


def spider_names() -> list[str]:
    from scrapers.crawl import spider_classes

    return list(spider_classes())


def run_schedule(schedule_file: str | os.PathLike[str] | None = None, db_file: str | os.PathLike[str] | None = None,
                 *, list_only: bool = False, once: bool = False, echo: Callable[[str], None] = print,
                 runner: Runner | None = None) -> int:
    """What ``python scheduler.py`` does; returns the exit code.

    Raises ConfigError for a schedule that cannot be used, UnusableDatabase
    for a database that is missing or cannot be used, and SchedulerBusy when
    another scheduler runs; each carries a one-line message.
    """
    schedule = load_schedule(schedule_file, known_sources=spider_names())
    if list_only:
        for line in list_jobs(schedule, datetime.now(schedule.timezone)):
            echo(line)
        return 0
    # A mistyped --db or AILABOR_DB is said now, in one line, not once per crawl in the log for ever after.
    db.connect(db_file).close()
    runner = runner or make_runner(schedule, db_file)
    if once:
        return 1 if any(outcome.failed for outcome in run_once(schedule, runner, echo)) else 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    serve(schedule, runner, db_file)
    return 0
