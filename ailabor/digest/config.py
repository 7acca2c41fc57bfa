"""digests.yml (each digest's readers and filters) and the SMTP settings, checked when read.

A mistake in either is reported as one line naming its fix, before anything is selected or sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import yaml

from ailabor.config import ConfigError, read_yaml
from db import REPO_ROOT
from db.vocab import EVENT_KINDS, PRIORITIES

DIGESTS_FILE = REPO_ROOT / "digests.yml"

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_ADDRESS = re.compile(r"^[^@\s<>,;:\"()\[\]]+@[^@\s<>,;:\"()\[\]]+$")
_JURISDICTION = re.compile(r"^[a-z]{2}$")
_SETTINGS = ("subject", "recipients", "topics", "jurisdictions", "kinds", "min_priority", "watched_only",
             "look_ahead_days", "send_when_empty", "show_notes", "unsubscribe", "max_per_section")


@dataclass(frozen=True)
class DigestDef:
    """One digest of digests.yml: its readers and its filters."""

    name: str
    subject: str
    recipients: tuple[str, ...]
    topics: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    min_priority: str | None = None
    watched_only: bool = False
    look_ahead_days: int = 14
    send_when_empty: bool = False
    show_notes: bool = False
    unsubscribe: str | None = None
    max_per_section: int = 100


def load_digests(path: Path = DIGESTS_FILE) -> dict[str, DigestDef]:
    """Read and check every definition, so a mistake is reported as one line naming its fix."""
    data = read_yaml(path)
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"{path.name}: expected one or more digests, each starting with its name and a colon")
    digests = {}
    for name, raw in data.items():
        digests[str(name)] = _definition(path.name, str(name), raw)
    if any(d.topics for d in digests.values()):
        _check_topics(path.name, digests.values())
    return digests


def get_digest(name: str, path: Path = DIGESTS_FILE) -> DigestDef:
    digests = load_digests(path)
    if name not in digests:
        raise ConfigError(f"no digest named {name!r} in {path.name}; the digests are: {', '.join(digests)}")
    return digests[name]


def _definition(source: str, name: str, raw: Any) -> DigestDef:
    where = f"{source}: digest {name!r}"

    def fail(message: str) -> None:
        raise ConfigError(f"{where}: {message}")

    if not _NAME.match(name):
        fail("a digest name may use only lowercase letters, digits, '-' and '_'")
    if not isinstance(raw, dict):
        fail("needs its settings indented below its name, such as 'subject:' and 'recipients:'")
    unknown = [k for k in raw if k not in _SETTINGS]
    if unknown:
        fail(f"unknown setting {unknown[0]!r}; the settings are: {', '.join(_SETTINGS)}")

    def words(key: str, check: re.Pattern[str] | tuple[str, ...] | None = None, hint: str = "") -> tuple[str, ...]:
        value = raw.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            fail(f"'{key}' must be a list, one entry per line starting with '- '")
        out = tuple(v.strip() for v in value)
        for v in out:
            ok = check is None or (check.match(v) if isinstance(check, re.Pattern) else v in check)
            if not ok:
                fail(f"{key}: {v!r} is not {hint}")
        return out

    def flag(key: str, default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            fail(f"'{key}' must be true or false")
        return value

    subject = raw.get("subject")
    if not isinstance(subject, str) or not subject.strip() or "\n" in subject.strip() or "\r" in subject:
        fail("needs a 'subject': one line of text")
    recipients = words("recipients", _ADDRESS, "an email address")
    if not recipients:
        fail("needs 'recipients': at least one email address, one per line starting with '- '")
    jurisdictions = tuple(j.lower() for j in words("jurisdictions"))
    for j in jurisdictions:
        if not _JURISDICTION.match(j):
            fail(f"jurisdictions: {j!r} is not a two-letter code such as us, ca or ny")
    kinds = words("kinds", EVENT_KINDS, f"a kind of change; the kinds are: {', '.join(EVENT_KINDS)}")
    min_priority = raw.get("min_priority")
    if min_priority is not None and min_priority not in PRIORITIES:
        fail(f"'min_priority' must be one of {', '.join(PRIORITIES)}")
    days = raw.get("look_ahead_days", 14)
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 366:
        fail("'look_ahead_days' must be a whole number of days from 0 to 366, such as 14")
    limit = raw.get("max_per_section", 100)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 10_000:
        fail("'max_per_section' must be a whole number from 1 to 10000, such as 100")
    unsubscribe = raw.get("unsubscribe")
    if unsubscribe is not None and not (isinstance(unsubscribe, str) and _ADDRESS.match(unsubscribe)):
        fail("'unsubscribe' must be an email address")
    return DigestDef(
        name=name, subject=" ".join(subject.split()), recipients=recipients,
        topics=words("topics"), jurisdictions=jurisdictions, kinds=kinds, min_priority=min_priority,
        watched_only=flag("watched_only", False), look_ahead_days=days,
        send_when_empty=flag("send_when_empty", False), show_notes=flag("show_notes", False),
        unsubscribe=unsubscribe, max_per_section=limit)


def _check_topics(source: str, digests: Iterable[DigestDef]) -> None:
    """A misspelt topic would silently empty a digest: the worst kind of missed alert.

    Only the slugs are read: compiling the whole taxonomy takes a second, and its
    own checks run where it is used.
    """
    from ailabor.relevance import topics_path

    taxonomy = topics_path()
    try:
        data = yaml.safe_load(taxonomy.read_text(encoding="utf-8"))
        known = [t["slug"] for t in data["topics"] if isinstance(t, dict) and "slug" in t]
    except (OSError, yaml.YAMLError, TypeError, KeyError) as exc:
        raise ConfigError(f"{source}: digests use topics, but {taxonomy.name} cannot be read ({exc})") from exc
    for d in digests:
        for slug in d.topics:
            if slug not in known:
                raise ConfigError(f"{source}: digest {d.name!r}: topics: {slug!r} is not in topics.yml; "
                                  f"the topics are: {', '.join(known)}")


def address_of(sender: str) -> str:
    """The bare address of a From header such as 'AI Labor Watch <alerts@example.org>'."""
    return parseaddr(sender)[1] or sender


def check_sender(sender: str) -> str:
    """DIGEST_FROM as the From header takes it: a line break in it would start a header of its own."""
    if not sender.isprintable():
        raise ConfigError("DIGEST_FROM must be one line, without line breaks or control characters, such as "
                          "'AI Labor Watch <alerts@example.org>'")
    if not _ADDRESS.match(address_of(sender)):
        raise ConfigError("DIGEST_FROM must be an email address, such as 'AI Labor Watch <alerts@example.org>'")
    return sender


def _env_flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1 or 0 (true or false), not {value!r}")


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send, from the environment only; the password is kept out of every repr."""

    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    ssl: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpSettings:
        host = env.get("SMTP_HOST", "").strip()
        sender = env.get("DIGEST_FROM", "").strip()
        if not host or not sender:
            missing = " and ".join(n for n, v in (("SMTP_HOST", host), ("DIGEST_FROM", sender)) if not v)
            raise ConfigError(f"{missing} not set: set SMTP_HOST, DIGEST_FROM (and SMTP_PORT, SMTP_USER, "
                              "SMTP_PASSWORD as your mail provider says) to send digests, or use --dry-run")
        check_sender(sender)
        use_ssl = _env_flag(env, "SMTP_SSL", False)
        starttls = _env_flag(env, "SMTP_STARTTLS", not use_ssl)
        user = env.get("SMTP_USER") or None
        if user and not (use_ssl or starttls):
            raise ConfigError("SMTP_USER is set but the connection would not be encrypted, which would send the "
                              "password in the clear: set SMTP_STARTTLS=1 or SMTP_SSL=1")
        port_text = env.get("SMTP_PORT", "").strip() or ("465" if use_ssl else "587" if starttls else "25")
        if not port_text.isdigit():
            raise ConfigError(f"SMTP_PORT must be a port number, not {port_text!r}")
        return cls(host=host, port=int(port_text), sender=sender, user=user,
                   password=env.get("SMTP_PASSWORD") or None, starttls=starttls and not use_ssl, ssl=use_ssl)
