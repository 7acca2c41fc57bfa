"""The two faces of the Datasette site (DESIGN.md §7), defined once for the CLI and the tests.

The members' face serves the published snapshot immutable with no
arbitrary SQL and tight limits; the director's face serves the working
database with full SQL, bound to localhost or behind a password.
Everything else the site shows (canned queries, feeds, facets, column
help) comes from metadata.yml and is the same on both faces.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import sqlite3
import sys
from contextlib import closing
from pathlib import Path
from typing import Any, NoReturn

import click
import yaml

from db import REPO_ROOT
from db.schema import INTERNAL_TABLES

METADATA = REPO_ROOT / "metadata.yml"
TEMPLATES = REPO_ROOT / "templates"
STATIC = REPO_ROOT / "static"
PLUGINS = Path(__file__).resolve().parent / "plugins"
# The director's password hash (from `datasette hash-password`); only its name is ever written to a file.
PASSWORD_HASH_ENV = "AILABOR_DIRECTOR_PASSWORD_HASH"
DIRECTOR = "director"
PASSWORD_HASH = re.compile(r"pbkdf2_sha256\$[0-9]+\$[^$]+\$[^$]+")
# The plugin configuration (in metadata) that tells this project's own plugins which face they serve.
SITE_PLUGIN = "ailabor-site"

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


class Refused(click.ClickException):
    """A face that must not start as asked; the message says what to do instead."""


def password_protected() -> bool:
    return bool(os.environ.get(PASSWORD_HASH_ENV))


def check_exposure(*, public: bool, host: str) -> None:
    """The director's face answers any SQL, so it listens beyond this machine only behind a password."""
    if password_protected() and not public and not PASSWORD_HASH.fullmatch(os.environ[PASSWORD_HASH_ENV].strip()):
        raise Refused(f"{PASSWORD_HASH_ENV} is not a password hash: make one with `datasette hash-password`")
    if public or password_protected() or _loopback(host):
        return
    raise Refused(f"refusing to serve the director's face on {host} without a password: set {PASSWORD_HASH_ENV}"
                  " (make one with `datasette hash-password`), or use --host 127.0.0.1, or --public")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def datasette_command(database: Path, *, public: bool, host: str = "127.0.0.1", port: int = 8001) -> list[str]:
    """The ``datasette serve`` command line of one face."""
    check_exposure(public=public, host=host)
    args = [sys.executable, "-m", "datasette", "serve"]
    args += ["-i", str(database)] if public else [str(database)]
    args += ["-m", str(write_metadata(database, public=public)), "--template-dir", str(TEMPLATES),
             "--static", f"static:{STATIC}", "--plugins-dir", str(PLUGINS), "-h", host, "-p", str(port)]
    for name, value in settings_for(public).items():
        args += ["--setting", name, _setting_text(value)]
    return args


def make_datasette(database: Path, *, public: bool) -> Any:
    """An in-process Datasette of one face, for tests and benchmarks."""
    from datasette.app import Datasette

    files = {"immutables": [str(database)]} if public else {"files": [str(database)]}
    return Datasette(
        metadata=metadata_for(database, public=public), template_dir=str(TEMPLATES),
        static_mounts=[("static", str(STATIC))], plugins_dir=str(PLUGINS), settings=settings_for(public), **files)


def write_metadata(database: Path, *, public: bool) -> Path:
    """The metadata for serving this file, written beside it (Datasette reads metadata from a file)."""
    target = database.parent / f".{database.stem}.{'public' if public else 'director'}.metadata.json"
    target.write_text(json.dumps(metadata_for(database, public=public), indent=2))
    return target


def topic_slugs(database: Path) -> list[str]:
    """The topics the served data is filed under (the ``topics`` table, mirrored from topics.yml at each crawl)."""
    try:
        with closing(sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            return [slug for (slug,) in conn.execute("SELECT slug FROM topics ORDER BY rowid")]
    except sqlite3.Error:
        return []


def _setting_text(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def serve(database: Path, *, public: bool, host: str, port: int) -> NoReturn:
    """Run Datasette in the foreground until it is stopped."""
    command = datasette_command(database, public=public, host=host, port=port)
    os.execv(command[0], command)


def metadata_for(database: Path, *, public: bool) -> dict[str, Any]:
    """metadata.yml with its database section under the name Datasette will give this file, plus the face's rules.

    Hidden tables are only unlisted; on the members' face the internal ones
    (crawl errors, digest recipients, overrides) are refused outright. With
    a password hash in the environment the director's face admits only the
    director (site_plugins/ailabor_director.py); without one it answers only
    at a loopback address.
    """
    metadata = load_metadata()
    databases = metadata.get("databases", {})
    if database.stem not in databases and "tracker" in databases:
        databases[database.stem] = databases.pop("tracker")
    tables = databases.setdefault(database.stem, {}).setdefault("tables", {})
    topics = ", ".join(topic_slugs(database))
    for query in databases[database.stem].get("queries", {}).values():
        if "{topics}" in query.get("description", ""):
            query["description"] = query["description"].replace("{topics}", topics or "none yet")
    face: dict[str, Any] = {"face": "public" if public else "director"}
    if public:
        for name in INTERNAL_TABLES:
            tables.setdefault(name, {}).update(hidden=True, allow=False)
    elif password_protected():
        face["password_hash"] = {"$env": PASSWORD_HASH_ENV}
        metadata["allow"] = {"id": DIRECTOR}
    else:
        face["loopback_only"] = True
    metadata.setdefault("plugins", {})[SITE_PLUGIN] = face
    return metadata
