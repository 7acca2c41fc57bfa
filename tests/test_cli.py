"""The ``ailabor`` command: every subcommand documented, init idempotent, demo builds a real database."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

import db
from ailabor.cli import cli
from tests.conftest import REPO


def _commands() -> list[str]:
    return sorted(cli.commands)


@pytest.mark.parametrize("name", _commands())
def test_every_command_has_help_text(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert cli.commands[name].help and len(cli.commands[name].help.strip()) > 20


def test_init_twice_is_harmless(db_path):
    runner = CliRunner()
    first = runner.invoke(cli, ["init", "--db", str(db_path)])
    second = runner.invoke(cli, ["init", "--db", str(db_path)])
    assert first.exit_code == second.exit_code == 0
    assert first.output == second.output
    assert "bills" in db.connect(db_path).table_names()


def test_unknown_source_is_one_line_and_exit_code(db_path):
    result = CliRunner().invoke(cli, ["crawl", "nosuchsource", "--db", str(db_path)])
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [
        f"ailabor: unknown source nosuchsource; the sources are: {', '.join(_sources())}"]


def _sources() -> list[str]:
    from ailabor.crawl import spider_classes

    return list(spider_classes())


def test_status_says_when_nothing_has_run(fresh_db, db_path):
    result = CliRunner().invoke(cli, ["status", "--db", str(db_path)])
    assert "no crawl has run yet" in result.output


@pytest.mark.slow
def test_demo_builds_a_database_from_shipped_responses(tmp_path):
    target = tmp_path / "demo" / "tracker.db"
    done = subprocess.run([sys.executable, "-m", "ailabor.cli", "demo", "--db", str(target), "--no-serve"],
                          cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert "federal_register: ok" in done.stdout
    built = db.connect(target)
    assert built["meetings"].count > 0
    assert built.execute("SELECT count(*) FROM meetings WHERE relevant = 1").fetchone()[0] > 0
    assert (tmp_path / "demo" / "public" / "tracker.db").exists()


# What a command leaves loaded, printed by a fresh interpreter after running it.
_LOADED_AFTER = """\
import json, runpy, sys
sys.argv = ["ailabor", *sys.argv[1:]]
try:
    runpy.run_module("ailabor.cli", run_name="__main__")
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("scrapy", "twisted", "apscheduler"))))
"""
# APScheduler's cron arithmetic (apscheduler.triggers.cron) is how status reads schedule.yml's intervals;
# its scheduler, executors and job stores are the service's alone.
_SERVICE = ("scrapy", "twisted", "apscheduler.schedulers", "apscheduler.executors", "apscheduler.jobstores",
            "apscheduler.events", "apscheduler.job")


@pytest.mark.parametrize("command", [["status"], ["digest", "director", "--dry-run"]])
def test_status_and_digest_load_neither_scrapy_nor_the_scheduler_service(fresh_db, db_path, command):
    # Runs of the sources whose health the two commands report, the Open States coverage check included.
    for source in ("openstates", "federal_register"):
        fresh_db["crawl_runs"].insert({"source": source, "started_at": "2026-03-02T12:00:00+00:00",
                                       "finished_at": "2026-03-02T12:05:00+00:00", "status": "ok", "items": 3})
    done = subprocess.run([sys.executable, "-c", _LOADED_AFTER, *command, "--db", str(db_path)], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert [m for m in loaded if m.startswith(_SERVICE)] == []
