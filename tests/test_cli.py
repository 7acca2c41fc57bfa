"""The ``ailabor`` command: every subcommand documented, init idempotent, demo builds a real database."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

import db
from scrapers.cli import cli
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
    from scrapers.crawl import spider_classes

    return list(spider_classes())


def test_status_says_when_nothing_has_run(fresh_db, db_path):
    result = CliRunner().invoke(cli, ["status", "--db", str(db_path)])
    assert "no crawl has run yet" in result.output


def test_demo_builds_a_database_from_shipped_responses(tmp_path):
    target = tmp_path / "demo" / "tracker.db"
    done = subprocess.run([sys.executable, "-m", "scrapers.cli", "demo", "--db", str(target), "--no-serve"],
                          cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert "federal_register: ok" in done.stdout
    built = db.connect(target)
    assert built["meetings"].count > 0
    assert built.execute("SELECT count(*) FROM meetings WHERE relevant = 1").fetchone()[0] > 0
    assert (tmp_path / "demo" / "public" / "tracker.db").exists()
