"""The crawl scheduler: trigger arithmetic, no overlap, timeouts, clean stops, --list/--once, and Scrapyd."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from click.testing import CliRunner

import db
from ailabor.cli import cli
from ailabor.config import ConfigError
from ailabor.runs import source_lock
from ailabor.schedule.config import SCHEDULE_FILE, Job, load_schedule
from ailabor.schedule.runners import LocalRunner, ScrapydRunner
from ailabor.schedule.service import build_scheduler, run_schedule, scheduler_lock
from tests.conftest import FIXTURES, REPO, crawl

NEW_YORK = ZoneInfo("America/New_York")
DEFAULT_SOURCES = ["federal_register", "congress", "openstates", "openstates_events", "congress_hearings",
                   "regulations_gov", "agency_pages"]


def _schedule_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "schedule.yml"
    path.write_text(textwrap.dedent(text))
    return path


def _two_jobs(tmp_path: Path) -> Path:
    return _schedule_file(tmp_path, """\
        timezone: America/New_York
        sources:
          federal_register: {cron: "15 7 * * mon-fri", timeout: 30m}
          congress: {cron: "20 6,14 * * *", timeout: 2h}
        """)


def _job(source: str = "federal_register", timeout: float = 1) -> Job:
    return Job(source, "15 7 * * mon-fri", NEW_YORK, timeout)


def _runs(db_path: Path) -> list[dict]:
    return list(db.connect(db_path).query("SELECT * FROM crawl_runs ORDER BY id"))


def _alive(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _wait_for(condition, timeout: float = 10) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


# A stand-in crawl that opens its run row, as a real one does, starts a grandchild, and hangs.
HANGING_CRAWL = """
import os, signal, sqlite3, subprocess, sys, time
if sys.argv[3] == "ignore-term":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("INSERT INTO crawl_runs (source, started_at, status, pid) VALUES ('federal_register',"
             " '2026-03-02T12:00:00+00:00', 'running', ?)", [os.getpid()])
grandchild = subprocess.Popen(["sleep", "30"])
open(sys.argv[2], "w").write(str(grandchild.pid))
time.sleep(30)
"""


def _hanging(db_path: Path, pid_file: Path, ignore_term: bool = False):  # type: ignore[no-untyped-def]
    return lambda source: [sys.executable, "-c", HANGING_CRAWL, str(db_path), str(pid_file),
                           "ignore-term" if ignore_term else "-"]


# Trigger arithmetic ---------------------------------------------------------------------------


def test_default_schedule_skips_the_weekend_and_keeps_local_time_across_the_november_change():
    schedule = load_schedule(SCHEDULE_FILE, known_sources=DEFAULT_SOURCES)
    friday = datetime(2026, 10, 30, 9, 0, tzinfo=NEW_YORK)
    runs = schedule.job("federal_register").next_runs(friday, 3)
    # Monday 2 November, after the clocks went back on Sunday: 07:15 EST is 12:15 UTC, not 11:15.
    assert [run.astimezone(UTC) for run in runs] == [
        datetime(2026, 11, 2, 12, 15, tzinfo=UTC), datetime(2026, 11, 3, 12, 15, tzinfo=UTC),
        datetime(2026, 11, 4, 12, 15, tzinfo=UTC)]
    assert runs[0].strftime("%a %H:%M %Z") == "Mon 07:15 EST"
    daily = schedule.job("openstates").next_runs(friday, 2)
    assert [run.astimezone(UTC).hour for run in daily] == [9, 10]  # 05:10 EDT on Saturday, 05:10 EST on Sunday


def test_default_schedule_keeps_local_time_across_the_march_change():
    schedule = load_schedule(SCHEDULE_FILE, known_sources=DEFAULT_SOURCES)
    saturday_night = datetime(2026, 3, 7, 21, 0, tzinfo=NEW_YORK)
    runs = [run.astimezone(UTC) for run in schedule.job("congress").next_runs(saturday_night, 3)]
    assert runs == [datetime(2026, 3, 8, 3, 20, tzinfo=UTC),     # Saturday 22:20 EST
                    datetime(2026, 3, 8, 10, 20, tzinfo=UTC),    # Sunday 06:20 EDT: clocks went forward at 2:00
                    datetime(2026, 3, 8, 14, 20, tzinfo=UTC)]


def test_default_schedule_runs_every_spider_and_only_spiders_that_exist():
    assert {job.source for job in load_schedule(SCHEDULE_FILE, known_sources=_spiders()).jobs} == set(_spiders())


def test_default_schedule_has_every_source_with_a_timeout_and_interval():
    schedule = load_schedule(SCHEDULE_FILE, known_sources=DEFAULT_SOURCES)
    assert [job.source for job in schedule.jobs] == DEFAULT_SOURCES
    assert schedule.timezone.key == "America/New_York" and schedule.misfire_grace_time >= 60
    monday = datetime(2026, 3, 9, tzinfo=NEW_YORK)
    assert schedule.job("federal_register").interval(monday).days == 3  # Friday to Monday
    assert schedule.job("congress").interval(monday).total_seconds() == 8 * 3600
    assert all(job.timeout >= 600 for job in schedule.jobs)


def test_scheduler_jobs_never_overlap_merge_missed_runs_and_allow_late_starts(tmp_path):
    schedule = load_schedule(_two_jobs(tmp_path))
    scheduler = build_scheduler(schedule, LocalRunner(tmp_path / "t.db"), BackgroundScheduler)
    jobs = scheduler.get_jobs()
    assert [job.id for job in jobs] == ["federal_register", "congress"]
    for job in jobs:
        assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, 1800)
        assert job.trigger.timezone.key == "America/New_York"


# Configuration errors -------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "message"), [
    ("sources:\n  federal_register: {cron: '15 7 * * 1-5'}\n", "write days as names (mon-fri, sat,sun)"),
    ("sources:\n  federal_register: {cron: '15 7 * *'}\n", "needs 5 fields"),
    ("sources:\n  federal_register: {cron: '99 7 * * mon'}\n", "is not valid"),
    ("sources:\n  federal_register: {cron: '15 7 * * mon', timout: 3}\n", "unknown setting timout"),
    ("sources:\n  federal_register: {cron: '15 7 * * mon', timeout: soon}\n", "is not a duration"),
    ("timezone: Mars/Olympus\nsources:\n  federal_register: {cron: '15 7 * * mon'}\n", "unknown timezone"),
    ("runner: kubernetes\nsources:\n  federal_register: {cron: '15 7 * * mon'}\n", "runner must be one of"),
    ("sources:\n  federal_register: {cron: \"15 7 * * mon}\n", "YAML syntax error at line 2"),
    ("- federal_register\n", "must be a mapping"),
])
def test_a_bad_schedule_is_one_line_saying_what_to_fix(tmp_path, text, message):
    with pytest.raises(ConfigError) as caught:
        load_schedule(_schedule_file(tmp_path, text))
    assert message in str(caught.value)
    assert str(caught.value).startswith("schedule.yml: ") and "\n" not in str(caught.value)


def test_a_schedule_entry_for_an_unknown_source_is_a_one_line_error(tmp_path):
    path = _schedule_file(tmp_path, "sources:\n  federal_regster: {cron: '15 7 * * mon'}\n")
    result = CliRunner().invoke(cli, ["schedule", "--list", "--schedule", str(path)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"ailabor: schedule.yml: unknown source 'federal_regster'; the sources are: {', '.join(_spiders())}"]


def _spiders() -> list[str]:
    from ailabor.crawl import spider_classes

    return list(spider_classes())


def test_malformed_schedule_never_shows_a_traceback(tmp_path):
    path = _schedule_file(tmp_path, "sources:\n  federal_register:\n    cron: [\n")
    done = subprocess.run([sys.executable, "scheduler.py", "--list", "--schedule", str(path)],
                          cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith("ailabor: schedule.yml: YAML syntax error at line")


# --list and --once ----------------------------------------------------------------------------


def test_list_prints_each_job_with_its_next_run_times(tmp_path):
    result = CliRunner().invoke(cli, ["schedule", "--list", "--schedule", str(_two_jobs(tmp_path))])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "2 jobs, run as local processes; late runs start within 30m"
    assert lines[1] == ('federal_register: "15 7 * * mon-fri" America/New_York, timeout 30m, '
                        "stale after 6 days without success")
    assert len([line for line in lines[2:5] if line.startswith("  next ") and "07:15 E" in line]) == 3
    assert lines[5].startswith('congress: "20 6,14 * * *" America/New_York, timeout 2h, stale after 32h')
    assert all(line.startswith("  next ") for line in lines[6:9]) and len(lines) == 9


def test_once_runs_every_job_in_order_and_exits_non_zero_when_one_failed(tmp_path, fresh_db, db_path):
    commands = {"federal_register": ["true"], "congress": ["sh", "-c", "echo 'congress: failed: boom'; exit 1"]}
    runner = LocalRunner(db_path, command=commands.__getitem__, publish=False)
    lines: list[str] = []
    code = run_schedule(_two_jobs(tmp_path), db_path, once=True, echo=lines.append, runner=runner)
    assert code == 1
    assert lines == ["federal_register: the crawl printed no summary", "congress: failed: boom"]
    # A crawl that died without opening its run still leaves a failed run behind.
    assert [(r["source"], r["status"], r["message"]) for r in _runs(db_path)] == [
        ("congress", "failed", "the crawl exited with code 1")]


def test_once_exits_zero_when_every_job_succeeded(tmp_path, fresh_db, db_path):
    runner = LocalRunner(db_path, command=lambda source: ["echo", f"{source}: ok"], publish=False)
    lines: list[str] = []
    assert run_schedule(_two_jobs(tmp_path), db_path, once=True, echo=lines.append, runner=runner) == 0
    assert lines == ["federal_register: ok", "congress: ok"]


@pytest.mark.slow
def test_once_crawls_for_real_and_publishes_the_snapshot(tmp_path, fresh_db, db_path, replay):
    server = replay(FIXTURES / "federal_register" / "cassette.yml")
    schedule = _schedule_file(tmp_path, "sources:\n  federal_register: {cron: '15 7 * * mon-fri'}\n")
    env = dict(os.environ, FEDERAL_REGISTER_API_URL=server.url, AILABOR_RETRY_BACKOFF="0.05")
    done = subprocess.run([sys.executable, "scheduler.py", "--once", "--schedule", str(schedule), "--db", str(db_path)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("federal_register: ok: 2 requests, 6 items, 6 new")
    assert db.connect(db.snapshot_path(working=db_path))["meetings"].count == 6


# No overlap -----------------------------------------------------------------------------------


def test_a_crawl_still_running_when_its_trigger_fires_again_is_not_started_twice(tmp_path, db_path):
    log = tmp_path / "starts.log"
    slow = ["sh", "-c", f"echo start >> {log}; sleep 0.6; echo end >> {log}"]
    schedule = load_schedule(_schedule_file(tmp_path, "sources:\n  federal_register: {cron: '15 7 * * mon'}\n"))
    scheduler = build_scheduler(schedule, LocalRunner(db_path, command=lambda source: slow, publish=False),
                                BackgroundScheduler)
    scheduler.start()
    try:
        scheduler.reschedule_job("federal_register", trigger=IntervalTrigger(seconds=0.2))
        _wait_for(lambda: log.exists() and log.read_text().count("end") >= 2)
    finally:
        scheduler.shutdown(wait=True)
    lines = log.read_text().split()
    # Fired about every 0.2 s, yet each run started only after the one before it ended.
    assert lines == ["start", "end"] * (len(lines) // 2)


@pytest.mark.slow
def test_a_manual_crawl_is_turned_away_while_the_source_is_being_crawled(db_path, replay):
    server = replay(FIXTURES / "federal_register" / "cassette.yml")
    with source_lock(db_path, "federal_register") as acquired:
        assert acquired
        result = crawl("federal_register", server, db_path)
    assert result.returncode == 0, result.stderr
    assert "federal_register: not started: another process is crawling it right now" in result.stdout
    assert server.hits == [] and _runs(db_path) == []
    with source_lock(db_path, "federal_register") as acquired:
        assert acquired  # free again once its holder let go


def test_a_second_scheduler_stops_at_once_with_one_line(tmp_path, fresh_db, db_path):
    with scheduler_lock(db_path):
        done = subprocess.run([sys.executable, "scheduler.py", "--schedule", str(_two_jobs(tmp_path)),
                               "--db", str(db_path)], cwd=REPO, capture_output=True, text=True, timeout=60,
                              check=False)
    assert done.returncode == 1
    assert done.stderr.strip() == ("ailabor: another scheduler is already running for this database "
                                   f"(it holds {db_path.with_name('tracker.scheduler.lock')})")


# Timeouts and stopping ------------------------------------------------------------------------


@pytest.mark.slow
def test_a_hung_crawl_is_killed_at_its_timeout_recorded_as_failed_and_the_next_run_goes_on(tmp_path, fresh_db,
                                                                                          db_path):
    pid_file = tmp_path / "grandchild.pid"
    runner = LocalRunner(db_path, command=_hanging(db_path, pid_file), publish=False)
    started = time.monotonic()
    outcome = runner.run(_job(timeout=1))
    assert time.monotonic() - started < 5
    assert outcome.failed and outcome.line == "federal_register: failed: timed out after 1 s"
    [run] = _runs(db_path)
    assert (run["status"], run["message"]) == ("failed", "timed out after 1 s") and run["finished_at"]
    # The whole process group went, not just the child (the kernel may take a moment to end it under load).
    _wait_for(lambda: not _alive(int(pid_file.read_text())), timeout=5)
    runner.command = lambda source: ["echo", "federal_register: ok: 1 requests"]
    assert runner.run(_job(timeout=1)).line == "federal_register: ok: 1 requests"


def test_a_crawl_that_hangs_before_opening_its_run_still_leaves_a_failed_run(fresh_db, db_path):
    outcome = LocalRunner(db_path, command=lambda source: ["sleep", "30"], publish=False).run(_job(timeout=1))
    assert outcome.failed
    [run] = _runs(db_path)
    assert (run["source"], run["status"], run["message"]) == ("federal_register", "failed", "timed out after 1 s")


@pytest.mark.slow
def test_stopping_the_runner_ends_a_crawl_that_ignores_sigterm_and_marks_its_run(tmp_path, fresh_db, db_path):
    pid_file = tmp_path / "grandchild.pid"
    runner = LocalRunner(db_path, command=_hanging(db_path, pid_file, ignore_term=True), publish=False,
                         stop_grace=0.5)
    outcomes = []
    worker = threading.Thread(target=lambda: outcomes.append(runner.run(_job(timeout=30))))
    worker.start()
    _wait_for(lambda: pid_file.exists() and pid_file.read_text())
    runner.stop()
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert outcomes[0].line == "federal_register: failed: stopped: the scheduler was shut down"
    assert [(r["status"], r["message"]) for r in _runs(db_path)] == [
        ("failed", "stopped: the scheduler was shut down")]
    assert runner.run(_job()).line == "federal_register: not started: the scheduler is stopping"


@pytest.mark.slow
def test_sigterm_during_once_stops_the_crawl_marks_its_run_and_starts_no_other(tmp_path, fresh_db, db_path):
    pid_file = tmp_path / "grandchild.pid"
    runner = LocalRunner(db_path, command=_hanging(db_path, pid_file), publish=False, stop_grace=2)

    def terminate_when_the_crawl_hangs() -> None:
        _wait_for(lambda: pid_file.exists() and pid_file.read_text())
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=terminate_when_the_crawl_hangs).start()
    lines: list[str] = []
    assert run_schedule(_two_jobs(tmp_path), db_path, once=True, echo=lines.append, runner=runner) == 1
    assert lines == ["federal_register: failed: stopped: the scheduler was shut down",
                     "congress: not started: the scheduler is stopping"]
    assert [(r["status"], r["message"]) for r in _runs(db_path)] == [
        ("failed", "stopped: the scheduler was shut down")]
    assert not _alive(int(pid_file.read_text()))


# A parent that leaves SIGTERM blocked (the mask is inherited through exec), then starts the scheduler.
BLOCKED_BY_PARENT = """
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
os.execv(sys.executable, [sys.executable, "scheduler.py", *sys.argv[1:]])
"""


@pytest.mark.slow
@pytest.mark.parametrize("command", [["scheduler.py"], ["-c", BLOCKED_BY_PARENT]], ids=["plain", "blocked-by-parent"])
def test_sigterm_stops_the_scheduler_process_cleanly_and_frees_its_lock(tmp_path, fresh_db, db_path, command):
    child = subprocess.Popen([sys.executable, *command, "--schedule", str(_two_jobs(tmp_path)),
                              "--db", str(db_path)], cwd=REPO, stderr=subprocess.PIPE, text=True)
    try:
        for line in child.stderr:
            if "scheduler started with 2 jobs" in line:
                break
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=60) == 0
        assert "scheduler stopped" in child.stderr.read()
    finally:
        child.kill()
        child.wait()
    with scheduler_lock(db_path):
        pass


# `python scheduler.py`, except that SIGTERM arrives at one of the worst moments: while the loop's
# wake-up event holds its lock, or inside the scheduler's listener (which swallows exceptions),
# as it may when the signal comes just after start.
SIGNAL_AT = """
import logging, os, signal, sys
from apscheduler.schedulers.blocking import BlockingScheduler

def wakeup(self):
    with self._event._cond:
        os.kill(os.getpid(), signal.SIGTERM)
        self._event._flag = True
        self._event._cond.notify_all()

info = logging.Logger.info

def info_then_signal(self, msg, *args, **kwargs):
    info(self, msg, *args, **kwargs)
    if msg.startswith("scheduler started"):
        os.kill(os.getpid(), signal.SIGTERM)

if sys.argv[1] == "wakeup":
    BlockingScheduler.wakeup = wakeup
else:
    logging.Logger.info = info_then_signal
from ailabor.cli import schedule
schedule.main(sys.argv[2:], prog_name="scheduler.py")
"""


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["wakeup", "listener"])
def test_sigterm_at_an_awkward_moment_still_stops_the_scheduler(tmp_path, fresh_db, db_path, moment):
    child = subprocess.run([sys.executable, "-c", SIGNAL_AT, moment, "--schedule", str(_two_jobs(tmp_path)),
                            "--db", str(db_path)], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr
    assert "SIGTERM: stopping the running crawls and the scheduler" in child.stderr
    assert "scheduler stopped" in child.stderr
    with scheduler_lock(db_path):
        pass


# Scrapyd --------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_scrapyd(home: Path, env: dict[str, str]) -> tuple[str, subprocess.Popen[bytes]]:
    port = _free_port()
    (home / "scrapyd.conf").write_text(textwrap.dedent(f"""\
        [scrapyd]
        bind_address = 127.0.0.1
        http_port = {port}
        poll_interval = 0.2
        eggs_dir = {home}/eggs
        logs_dir = {home}/logs
        dbs_dir = {home}/dbs
        items_dir =
        """))
    process = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=home, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return json.load(urllib.request.urlopen(f"{url}/daemonstatus.json", timeout=1))["status"] == "ok"
        except OSError:
            return process.poll() is not None

    _wait_for(ready, timeout=30)
    assert process.poll() is None, "scrapyd did not start"
    return url, process


@pytest.fixture
def scrapyd_env(replay) -> dict[str, str]:
    server = replay(FIXTURES / "federal_register" / "cassette.yml")
    return dict(os.environ, FEDERAL_REGISTER_API_URL=server.url, AILABOR_RETRY_BACKOFF="0.05")


@pytest.fixture
def scrapyd(tmp_path, scrapyd_env):
    """A real Scrapyd on loopback, started in a folder with the project's scrapy.cfg (project "default")."""
    home = tmp_path / "scrapyd"
    home.mkdir()
    shutil.copy(REPO / "scrapy.cfg", home / "scrapy.cfg")
    url, process = _start_scrapyd(home, scrapyd_env)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def bare_scrapyd(tmp_path, scrapyd_env):
    """A real Scrapyd in an empty folder: it knows only the projects deployed to it."""
    home = tmp_path / "bare-scrapyd"
    home.mkdir()
    url, process = _start_scrapyd(home, dict(scrapyd_env, AILABOR_TOPICS=""))
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.mark.slow
def test_scrapyd_runner_schedules_the_crawl_on_scrapyd_and_publishes(scrapyd, fresh_db, db_path):
    runner = ScrapydRunner(scrapyd, "default", db_path, poll=0.2)
    outcome = runner.run(_job(timeout=120))
    assert not outcome.failed, outcome.line
    assert outcome.line.startswith("federal_register: ok: 6 items, 6 new, 0 updated, 0 errors (Scrapyd job ")
    jobs = json.load(urllib.request.urlopen(f"{scrapyd}/listjobs.json?project=default"))
    assert [(job["spider"], job["id"] in outcome.line) for job in jobs["finished"]] == [("federal_register", True)]
    assert db.connect(db.snapshot_path(working=db_path))["meetings"].count == 6


def test_scrapyd_that_cannot_be_reached_fails_the_run_with_one_line(fresh_db, db_path):
    url = f"http://127.0.0.1:{_free_port()}"
    outcome = ScrapydRunner(url, "default", db_path).run(_job())
    assert outcome.failed and outcome.line.startswith(f"federal_register: failed: could not reach Scrapyd at {url}")


@pytest.mark.slow
def test_scrapyd_deploy_packs_the_spiders_as_an_egg_that_runs_on_scrapyd(tmp_path, bare_scrapyd, fresh_db, db_path):
    checkout = tmp_path / "checkout"
    shutil.copytree(REPO, checkout, ignore=shutil.ignore_patterns(
        ".*", "tests", "bench", "build", "*.egg-info", "__pycache__", "*.db", "*.db-*", "*.lock", "public"))
    with (checkout / "scrapy.cfg").open("a") as cfg:
        cfg.write(f"\n[deploy:loopback]\nurl = {bare_scrapyd}/\nproject = ailabor\n")
    deploy = subprocess.run([str(Path(sys.executable).with_name("scrapyd-deploy")), "loopback", "--version", "r1"],
                            cwd=checkout, capture_output=True, text=True, timeout=300)
    assert deploy.returncode == 0, deploy.stderr
    assert json.loads(deploy.stdout)["spiders"] == len(DEFAULT_SOURCES)

    runner = ScrapydRunner(bare_scrapyd, "ailabor", db_path, poll=0.2)
    outcome = runner.run(_job(timeout=120))

    assert not outcome.failed, outcome.line
    assert outcome.line.startswith("federal_register: ok: 6 items, 6 new")
    working = db.connect(db_path)
    # The egg carries no topics.yml: the runner hands the job this host's taxonomy, and it classified.
    assert working["meeting_topics"].count > 0
    assert db.connect(db.snapshot_path(working=db_path))["meetings"].count == 6
