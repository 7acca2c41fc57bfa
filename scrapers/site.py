"""The two faces of the Datasette site (DESIGN.md §7), defined once for the CLI and the tests.

The members' face serves the published snapshot immutable with no
arbitrary SQL and tight limits; the director's face serves the working
database with full SQL, bound to localhost or behind a password.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from db import REPO_ROOT

METADATA = REPO_ROOT / "metadata.yml"
TEMPLATES = REPO_ROOT / "templates"
STATIC = REPO_ROOT / "static"

PUBLIC_SETTINGS: dict[str, Any] = {
    "default_allow_sql": False,
    "sql_time_limit_ms": 1000,
    "facet_time_limit_ms": 500,
    "suggest_facets": False,
    "max_returned_rows": 1000,
    "allow_download": False,
    "default_cache_ttl": 300,
}
DIRECTOR_SETTINGS: dict[str, Any] = {
    "default_allow_sql": True,
    "sql_time_limit_ms": 10_000,
}


def settings_for(public: bool) -> dict[str, Any]:
    return dict(PUBLIC_SETTINGS if public else DIRECTOR_SETTINGS)


def load_metadata() -> dict[str, Any]:
    return yaml.safe_load(METADATA.read_text())


def datasette_command(database: Path, *, public: bool, host: str = "127.0.0.1", port: int = 8001) -> list[str]:
    """The ``datasette serve`` command line of one face."""
    args = [sys.executable, "-m", "datasette", "serve"]
    args += ["-i", str(database)] if public else [str(database)]
    args += ["-m", str(write_metadata(database)), "--template-dir", str(TEMPLATES), "--static", f"static:{STATIC}",
             "-h", host, "-p", str(port)]
    for name, value in settings_for(public).items():
        args += ["--setting", name, _setting_text(value)]
    return args


def make_datasette(database: Path, *, public: bool) -> Any:
    """An in-process Datasette of one face, for tests and benchmarks."""
    from datasette.app import Datasette

    files = {"immutables": [str(database)]} if public else {"files": [str(database)]}
    return Datasette(
        metadata=metadata_for(database), template_dir=str(TEMPLATES), static_mounts=[("static", str(STATIC))],
        settings=settings_for(public), **files)


def write_metadata(database: Path) -> Path:
    """The metadata for serving this file, written beside it (Datasette reads metadata from a file)."""
    target = database.parent / f".{database.stem}.metadata.json"
    target.write_text(json.dumps(metadata_for(database), indent=2))
    return target


def _setting_text(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def serve(database: Path, *, public: bool, host: str, port: int) -> int:
    """Run Datasette in the foreground until it is stopped."""
    command = datasette_command(database, public=public, host=host, port=port)
    os.execv(command[0], command)
    return 0  # pragma: no cover - execv does not return


def metadata_for(database: Path) -> dict[str, Any]:
    """metadata.yml with its database section under the name Datasette will give this file."""
    metadata = load_metadata()
    databases = metadata.get("databases", {})
    if database.stem not in databases and "tracker" in databases:
        databases[database.stem] = databases.pop("tracker")
    return metadata
