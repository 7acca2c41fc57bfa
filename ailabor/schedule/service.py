"""The scheduler service: one APScheduler job per source of schedule.yml, until stopped.

Nothing runs twice at once: one job instance per source in a scheduler, a
lock per source taken by the crawl command itself (so a manual ``ailabor
crawl`` and a second scheduler are kept out too), and a lock per scheduler.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from apscheduler.events import EVENT_SCHEDULER_STARTED, SchedulerEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

import db
from ailabor.schedule.config import Schedule, duration, load_schedule
from ailabor.schedule.runners import Outcome, Runner, make_runner

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class SchedulerBusy(RuntimeError):
    """Another scheduler already runs against this database."""


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


@contextmanager
def scheduler_lock(db_file: str | os.PathLike[str] | None) -> Iterator[None]:
    """One scheduler per database: a second one stops at once with SchedulerBusy."""
    with db.exclusive("scheduler", db_file) as acquired:
        if not acquired:
            raise SchedulerBusy("another scheduler is already running for this database "
                                f"(it holds {db.lock_path('scheduler', db_file)})")
        yield


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
    from ailabor.crawl import spider_classes

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
