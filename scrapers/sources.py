"""Reads scrapers/sources.yml: what each spider asks its upstream for."""

from __future__ import annotations

import os
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

# Package data rather than a path beside __file__: a zipped egg deployed to Scrapyd has no such path.
SOURCES_FILE = files("scrapers") / "sources.yml"


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message says what to fix."""


def read_yaml(path: Path | Traversable, error: type[ValueError] = ConfigError) -> Any:
    """A configuration file's content; an unreadable file or a YAML mistake is one line naming where to look.

    Every file a person edits (topics.yml, digests.yml, schedule.yml, sources.yml) is read here.
    """
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{path.name}: cannot be read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1
        raise error(f"{path.name}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} on line {line}); "
                    "save it as UTF-8") from exc
    except yaml.YAMLError as exc:
        # The context mark is where the broken construct began (an unclosed quote), nearer the mistake.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = ", ".join(filter(None, [getattr(exc, "context", None), getattr(exc, "problem", None)]))
        problem = problem or str(exc).splitlines()[0]
        raise error(f"{path.name}: YAML syntax error{where}: {problem} (check indentation and quotes)") from exc


@cache
def source_config(name: str, path: Path | Traversable | None = None) -> dict[str, Any]:
    """A section of sources.yml: ``AILABOR_SOURCES`` when set (to try an edit, a test's own), else the package's."""
    path = path or (Path(os.environ["AILABOR_SOURCES"]) if os.environ.get("AILABOR_SOURCES") else SOURCES_FILE)
    data = read_yaml(path) or {}
    if not isinstance(data, dict) or not isinstance(data.get(name, {}), dict):
        raise ConfigError(f"{path.name}: the section {name!r} must be a mapping of settings")
    return dict(data.get(name) or {})
