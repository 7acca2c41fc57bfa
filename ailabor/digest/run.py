"""One run of a digest: under its lock, send again what was refused, then select, render, send and record."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import sqlite_utils

import db
from ailabor.dates import utcnow
from ailabor.digest.config import DIGESTS_FILE, DigestDef, SmtpSettings, check_sender, get_digest
from ailabor.digest.render import build_message
from ailabor.digest.select import select_digest
from ailabor.digest.send import DigestFailed, deliver, deliveries_after, refusals
from db import write_transaction


@dataclass
class Outcome:
    """What a run did, for the CLI's one line (and the preview of a dry run)."""

    status: str  # sent, empty, nothing, busy, dry-run
    line: str
    preview: str | None = None
    retries: list[str] = field(default_factory=list)  # one line per recipient an earlier digest was sent again


def run_digest(name: str, db_file: str | os.PathLike[str] | None = None, *, dry_run: bool = False,
               out: str | os.PathLike[str] | None = None, today: date | None = None,
               env: Mapping[str, str] | None = None) -> Outcome:
    """Select, render and send digest ``name``; record it as sent only once the server accepted it.

    First, the recipients an earlier digest was refused for get that digest again
    (see send.RETRY_RUNS). ``AILABOR_DIGESTS`` names another definitions file, for
    recipients kept out of the repository.
    """
    env = os.environ if env is None else env
    definition = get_digest(name, Path(env.get("AILABOR_DIGESTS") or DIGESTS_FILE))
    settings = None if dry_run else SmtpSettings.from_env(env)
    sender = settings.sender if settings else check_sender(env.get("DIGEST_FROM", "").strip()
                                                           or "AI Labor Watch <ailabor@localhost>")
    site = env.get("AILABOR_SITE_URL")
    database = db.connect(db_file)
    try:
        if dry_run:
            digest = select_digest(database, definition, today=today, site_url=site)
            message = build_message(digest, sender)
            _save(message, out)
            preview = (f"To: {message['To']}\nSubject: {message['Subject']}\n\n"
                       f"{message.get_body(('plain',)).get_content()}")
            return Outcome("dry-run", f"{name}: dry run, nothing sent or recorded: {digest.subject}", preview)
        with db.exclusive(f"digest-{name}", db_file) as locked:
            if not locked:
                return Outcome("busy", f"{name}: another run is sending this digest; nothing done")
            assert settings is not None
            retries = _send_to_refused(database, definition, settings, today, site)
            outcome = _send(database, definition, settings, today, site, out)
            outcome.retries = retries
            return outcome
    finally:
        database.close()


def _send(database: sqlite_utils.Database, definition: DigestDef, settings: SmtpSettings, today: date | None,
          site: str | None, out: str | os.PathLike[str] | None) -> Outcome:
    name = definition.name
    with write_transaction(database):
        # Under the lock no other run is sending, so a row still 'sending' is one whose process died.
        database.execute("UPDATE digests SET status = 'failed', message = 'interrupted before the mail server"
                         " answered; sent again by a later run' WHERE name = ? AND status = 'sending'", [name])
    digest = select_digest(database, definition, today=today, site_url=site)
    row = {"name": name, "sent_at": utcnow(), "recipients": ", ".join(definition.recipients),
           "first_event_id": digest.first_event_id, "last_event_id": digest.last_event_id}
    if not digest.news and not definition.send_when_empty:
        if not digest.events_checked:
            return Outcome("nothing", f"{name}: nothing new since the last digest; not sent")
        # Record the range as checked, so that events outside this digest's filters are not read again.
        with write_transaction(database):
            database["digests"].insert({**row, "status": "empty",
                                        "message": f"{digest.events_checked} events, none for this digest"})
        return Outcome("empty", f"{name}: nothing new for this digest ({digest.events_checked} events checked); "
                                "not sent")
    message = build_message(digest, settings.sender)
    _save(message, out)
    with write_transaction(database):
        row_id = database["digests"].insert({**row, "status": "sending"}).last_pk
    try:
        refused = deliver(message, settings, definition.recipients)
    except DigestFailed as exc:
        with write_transaction(database):
            database["digests"].update(row_id, {"status": "failed", "message": str(exc)})
        raise
    deliveries = deliveries_after(definition.recipients, refused, {})
    note = refusals(deliveries)
    with write_transaction(database):
        database["digests"].update(row_id, {"status": "sent", "sent_at": utcnow(), "message": note,
                                            "deliveries": json.dumps(deliveries)})
    accepted = ", ".join(a for a, d in deliveries.items() if d["status"] == "accepted")
    line = f"{name}: sent to {accepted}: {digest.subject} ({_span(digest.first_event_id, digest.last_event_id)})"
    return Outcome("sent", line + (f"; {note}" if note else ""))


def _send_to_refused(database: sqlite_utils.Database, definition: DigestDef, settings: SmtpSettings,
                     today: date | None, site: str | None) -> list[str]:
    """Send each earlier digest again to the recipients the server refused it for, and to no one else.

    The copy covers the same events and has the same Message-ID as the one the
    others got. Returns one line per recipient tried.
    """
    name = definition.name
    rows = database.execute(
        "SELECT id, first_event_id, last_event_id, deliveries FROM digests WHERE name = ? AND status = 'sent' AND"
        " EXISTS (SELECT 1 FROM json_each(deliveries) WHERE json_extract(value, '$.status') = 'refused')"
        " ORDER BY id", [name]).fetchall()
    lines = []
    for row_id, first, last, stored in rows:
        deliveries = json.loads(stored)
        span = _span(first, last)
        waiting = [a for a, d in deliveries.items() if d["status"] == "refused"]
        # Someone taken off the list since must not get the news they were refused.
        for address in waiting:
            if address not in definition.recipients:
                deliveries[address]["status"] = "removed"
                lines.append(f"{name}: {span} not sent again to {address}: no longer a recipient of this digest")
        to = [a for a in waiting if a in definition.recipients]
        if to:
            digest = select_digest(database, definition, today=today, site_url=site,
                                   span=(first - 1, last) if first is not None else (0, 0))
            try:
                refused = deliver(build_message(digest, settings.sender), settings, to)
            except DigestFailed as exc:
                if not exc.refused:
                    raise  # no server to take it, or it refused the sender: this run's own digest cannot go either
                refused = exc.refused
            deliveries.update(deliveries_after(to, refused, deliveries))
            lines.extend(_retry_line(name, span, address, deliveries[address]) for address in to)
        with write_transaction(database):
            database["digests"].update(row_id, {"deliveries": json.dumps(deliveries),
                                                "message": refusals(deliveries)})
    return lines


def _retry_line(name: str, span: str, address: str, record: Mapping[str, Any]) -> str:
    if record["status"] == "accepted":
        return f"{name}: {span} sent to {address}, refused before"
    said = f"{record['code']} {record['reply']}"
    if record["status"] == "refused":
        return f"{name}: {span} refused again for {address} ({said}); tried again next run"
    return f"{name}: gave up on {address} after {record['tries']} tries ({said}); {span} not sent to them"


def _span(first: int | None, last: int | None) -> str:
    return f"events {first}–{last}" if first is not None else "no new events"


def _save(message: EmailMessage, out: str | os.PathLike[str] | None) -> None:
    if out:
        Path(out).write_bytes(message.as_bytes())
