"""Reads scrapers/sources.yml: what each spider asks its upstream for."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

SOURCES_FILE = Path(__file__).with_name("sources.yml")


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message says what to fix."""


@cache
def source_config(name: str, path: Path = SOURCES_FILE) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path.name}: cannot be read: {str(exc).splitlines()[0]}") from exc
    if not isinstance(data, dict) or not isinstance(data.get(name, {}), dict):
        raise ConfigError(f"{path.name}: the section {name!r} must be a mapping of settings")
    return dict(data.get(name) or {})
