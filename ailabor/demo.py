"""``ailabor demo``: the real spiders and pipeline run against recorded responses on loopback.

The recorded responses are the ones the end-to-end tests replay
(tests/fixtures/<source>/cassette.yml); each source's base URL is pointed
at a local replay server and keyed sources get a stand-in key, so nothing
leaves the machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

from ailabor.site.publish import publish
from ailabor.testing.replay import Cassette, serving
from db import REPO_ROOT, connect

FIXTURES = REPO_ROOT / "tests" / "fixtures"
# source → (base-URL variable, key variable or None)
DEMO_SOURCES = {
    "federal_register": ("FEDERAL_REGISTER_API_URL", None),
    "congress": ("CONGRESS_API_URL", "CONGRESS_API_KEY"),
    "openstates": ("OPENSTATES_API_URL", "OPENSTATES_API_KEY"),
    "openstates_events": ("OPENSTATES_API_URL", "OPENSTATES_API_KEY"),
    "congress_hearings": ("CONGRESS_API_URL", "CONGRESS_API_KEY"),
    "regulations_gov": ("REGULATIONS_GOV_API_URL", "DATA_GOV_API_KEY"),
    "agency_pages": ("AGENCY_PAGES_BASE_URL", None),
}
# Sources that look for hearings on the bills the others store: crawled once those are stored.
AFTER_BILLS = ("openstates_events", "congress_hearings")


def merged_cassette(paths: list[Path]) -> Cassette:
    """One cassette for the sources that share a base-URL variable, which can point at one server only."""
    routes = []
    for path in paths:
        cassette = Cassette.load(path)
        for route in cassette.routes:
            if route.file:
                route.file = str(cassette.folder / route.file)
            routes.append(route)
    return Cassette(routes, FIXTURES)


def build_demo(database: Path) -> Iterator[str]:
    """Build (from scratch) a demo database and its snapshot; yields the crawl's summary lines."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    connect(database, create=True).close()
    # Recorded responses need no pacing: no delays, and Open States' minute is half a second.
    env = dict(os.environ, AILABOR_DB=str(database), OPENSTATES_MINUTE_SECONDS="0.5",
               AILABOR_DOWNLOAD_DELAY="0")
    cassettes: dict[str, list[Path]] = {}
    passes: tuple[list[str], list[str]] = ([], [])
    for source, (url_var, key_var) in DEMO_SOURCES.items():
        cassette = FIXTURES / source / "cassette.yml"
        if not cassette.exists():
            continue
        cassettes.setdefault(url_var, []).append(cassette)
        if key_var:
            env[key_var] = "demo-key-not-secret"
        passes[source in AFTER_BILLS].append(source)
    with ExitStack() as stack:
        for url_var, paths in cassettes.items():
            env[url_var] = stack.enter_context(serving(merged_cassette(paths))).url
        # govinfo (Congress's bill texts, BILLSTATUS, text search) is recorded beside Congress.gov.
        for url_var in ("GOVINFO_URL", "GOVINFO_API_URL", "AILABOR_TEXT_BASE_URL"):
            env[url_var] = env["CONGRESS_API_URL"]
        results = [subprocess.run(
            [sys.executable, "-m", "ailabor.cli", "crawl", *sources, "--db", str(database)],
            env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=False) for sources in passes if sources]
    for result in results:
        yield from result.stdout.splitlines()
    for result in results:
        if result.returncode not in (0, 1):
            yield f"demo crawl failed: {result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ''}"
            return
    snapshot = publish(database)
    yield f"demo database: {database}; snapshot: {snapshot}"
