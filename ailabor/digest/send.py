"""Handing a digest to the SMTP server, and what became of each recipient: accepted, refused, given up."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping, Sequence
from contextlib import suppress
from email.message import EmailMessage
from typing import Any

from ailabor.dates import utcnow
from ailabor.digest.config import SmtpSettings
from ailabor.digest.text import one_line
from ailabor.redaction import redact

SMTP_TIMEOUT = 60


class DigestFailed(RuntimeError):
    """The digest could not be sent; the message is one line for the operator, with no secret in it.

    ``refused`` holds the recipients the server answered for (address → code and reply) when it
    refused them or the message; it is empty when the server could not be reached or refused the sender.
    """

    def __init__(self, message: str, refused: Mapping[str, tuple[int, str]] | None = None) -> None:
        super().__init__(message)
        self.refused = dict(refused or {})


def deliver(message: EmailMessage, settings: SmtpSettings,
            to: Sequence[str] | None = None) -> dict[str, tuple[int, str]]:
    """Hand the message to the server for ``to`` (default: its To header); returns the recipients refused.

    Raises DigestFailed when the server did not accept the message for anyone.
    Once the server answered 250 to the message it has it, for every recipient it
    did not refuse: what it says to QUIT afterwards, or a connection dropped then,
    changes nothing, or the next run would send a second copy.
    """
    context = ssl.create_default_context()
    try:
        if settings.ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=SMTP_TIMEOUT,
                                                    context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT)
    except (smtplib.SMTPException, OSError) as exc:
        raise _failed(exc, settings, ()) from None
    try:
        if settings.starttls:
            client.starttls(context=context)
        if settings.user:
            client.login(settings.user, settings.password or "")
        refused = client.send_message(message, to_addrs=list(to) if to else None)
    except (smtplib.SMTPException, OSError) as exc:
        client.close()
        raise _failed(exc, settings, to or ()) from None
    with suppress(smtplib.SMTPException, OSError):
        client.quit()
    client.close()
    return {address: (code, redact(_text(reply), settings.password)) for address, (code, reply) in refused.items()}


def _failed(exc: BaseException, settings: SmtpSettings, to: Sequence[str]) -> DigestFailed:
    """The one-line failure; for a refusal of the recipients or of the message itself, who was refused."""
    refused: dict[str, tuple[int, str]] = {}
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = {address: (code, redact(_text(reply), settings.password))
                   for address, (code, reply) in exc.recipients.items()}
    elif isinstance(exc, smtplib.SMTPDataError):
        refused = dict.fromkeys(to, (exc.smtp_code, redact(_text(exc.smtp_error), settings.password)))
    return DigestFailed(redact(_reason(exc, settings), settings.password), refused)


def _reason(exc: BaseException, settings: SmtpSettings) -> str:
    server = f"{settings.host}:{settings.port}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(f"{addr} ({code} {_text(msg)})" for addr, (code, msg) in exc.recipients.items())
        return f"the mail server {server} refused every recipient: {refused}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"the mail server {server} refused the login of SMTP_USER: {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the mail server {server} refused the message: {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"the certificate of the mail server {server} could not be verified: {exc.verify_message}"
    if isinstance(exc, smtplib.SMTPException):
        return f"sending through {server} failed: {one_line(exc)}"
    return f"could not talk to the mail server {server}: {one_line(getattr(exc, 'strerror', None) or exc)}"


def _text(value: bytes | str) -> str:
    return one_line(value.decode("utf-8", "replace") if isinstance(value, bytes) else value)


# How many later runs try again a recipient the server refused. A 4xx says "not now" (a full mailbox,
# greylisting, a rate limit). A 5xx says this message will be refused again: one more run catches a
# mailbox or a rule fixed meanwhile, and more would look like spam to the receiving server.
RETRY_RUNS = {4: 3, 5: 1}


def deliveries_after(to: Sequence[str], refused: Mapping[str, tuple[int, str]],
                     before: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each recipient's record after one more try: accepted, refused (tried again later) or given up."""
    now = utcnow()
    records: dict[str, dict[str, Any]] = {}
    for address in to:
        tries = before.get(address, {}).get("tries", 0) + 1
        if address not in refused:
            records[address] = {"status": "accepted", "tries": tries, "at": now}
            continue
        code, reply = refused[address]
        retries = RETRY_RUNS.get(code // 100, RETRY_RUNS[5])
        records[address] = {"status": "refused" if tries <= retries else "given up", "tries": tries,
                            "code": code, "reply": reply, "at": now}
    return records


def refusals(deliveries: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The recipients the server refused, for the digest's record and the CLI's line."""
    parts = []
    for status, says in (("refused", "refused, tried again next run"), ("given up", "refused, given up")):
        refused = [f"{a} ({d['code']} {d['reply']})" for a, d in deliveries.items() if d["status"] == status]
        if refused:
            parts.append(f"{says}: {'; '.join(refused)}")
    return "; ".join(parts) or None
