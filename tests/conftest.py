"""Shared fixtures: a fresh database file, recorded upstreams on loopback, and a crawl in a child process.

A crawl runs in its own process because a Twisted reactor cannot restart
inside the test process; that is also how the scheduler runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import db
from ailabor.testing.replay import Cassette, ReplayServer, Route

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures"

BASE_URL_VARS = {
    "federal_register": "FEDERAL_REGISTER_API_URL",
    "congress": "CONGRESS_API_URL",
    "congress_hearings": "CONGRESS_API_URL",
    "openstates": "OPENSTATES_API_URL",
    "openstates_events": "OPENSTATES_API_URL",
    "regulations_gov": "REGULATIONS_GOV_API_URL",
}


# Stand-in keys for the emulated upstreams (ailabor/testing/emulators), which refuse a request without one, and a
# short Open States "minute" so that pacing costs little.
EMULATED_KEYS = {"CONGRESS_API_KEY": "test-key-not-secret", "OPENSTATES_API_KEY": "test-key-not-secret",
                 "DATA_GOV_API_KEY": "test-key-not-secret", "OPENSTATES_MINUTE_SECONDS": "0.05"}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "tracker.db"


@pytest.fixture
def fresh_db(db_path: Path):
    database = db.connect(db_path, create=True)
    yield database
    database.close()


@dataclass
class CrawlResult:
    returncode: int
    stdout: str
    stderr: str


def crawl(source: str, server: ReplayServer, db_path: Path, env: dict[str, str] | None = None,
          timeout: float = 120) -> CrawlResult:
    """Run ``ailabor crawl SOURCE`` against a replay server, as the scheduler would, on a database `init` made."""
    db.connect(db_path, create=True).close()
    done = subprocess.run([sys.executable, "-m", "ailabor.cli", "crawl", source, "--db", str(db_path)],
                          env=crawl_env(server, db_path, env), cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, check=False)
    return CrawlResult(done.returncode, done.stdout, done.stderr)


def crawl_env(server: ReplayServer, db_path: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a test crawl: every upstream on the replay server, short pauses, the test database."""
    full_env = dict(os.environ)
    for var in set(BASE_URL_VARS.values()) | {"GOVINFO_URL", "GOVINFO_API_URL", "AILABOR_TEXT_BASE_URL"}:
        full_env[var] = server.url
    full_env.update({"AILABOR_DB": str(db_path), "AILABOR_RETRY_BACKOFF": "0.05",
                     "AILABOR_DOWNLOAD_DELAY": "0", "AILABOR_LOG_LEVEL": "INFO"})
    full_env.update(env or {})
    return full_env


@pytest.fixture
def replay():
    """Start replay servers for the test; each is stopped afterwards."""
    servers: list[ReplayServer] = []

    def start(routes: list[Route] | Path, folder: Path | None = None) -> ReplayServer:
        cassette = Cassette.load(routes) if isinstance(routes, Path) else Cassette(routes, folder or FIXTURES)
        server = ReplayServer(cassette).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def shared_samples(source: str, pattern: str = "*.json") -> list[Path]:
    folder = SHARED_FIXTURES / source
    return sorted(folder.glob(pattern)) if folder.is_dir() else []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test marked ``review`` shows one finding of the adversarial review holds: it runs with the fault suite."""
    for item in items:
        if item.get_closest_marker("review"):
            item.add_marker(pytest.mark.faults)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    marker = item.get_closest_marker("review")
    if marker and (report.when == "call" or (report.when == "setup" and not report.passed)):
        from tests.faults import reviewed

        reviewed(marker.args[0], item.nodeid, report.passed, report.user_properties)
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fault suite's figures, when fault cases ran (tests/faults.py)."""
    from tests.faults import report_figures

    report_figures(terminalreporter)
