"""The secrets the project is given, and the one way they are kept out of everything it writes.

Secrets live in the environment only. An upstream may still echo a key back (an
error body quoting the request, a link with ``api_key=``), and a mail server the
password; so every string stored as a crawl's error or message, and every log
line of a crawl, goes through ``redact`` first.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from urllib.parse import quote

#: Every environment variable the code treats as a secret. SMTP_USER is not one: it is an address the
#: operator reads in messages ("the server refused the login of ..."), and hiding it would hide the mistake.
SECRET_VARS = ("CONGRESS_API_KEY", "OPENSTATES_API_KEY", "DATA_GOV_API_KEY", "SMTP_PASSWORD",
               "AILABOR_DIRECTOR_PASSWORD_HASH")
HIDDEN = "[hidden]"
# A key in a query string is hidden even when it is none of ours (a mirror's, DEMO_KEY): it is still a key.
_KEY_PARAMETER = re.compile(r"(?i)\b(api_key=)[^&\s\"'<>]+")


def secret_values(also: Iterable[str | None] = ()) -> list[str]:
    """The secrets set in the environment now, and ``also``, as written and URL-encoded, longest first."""
    values = {value for value in [*(os.environ.get(name) for name in SECRET_VARS), *also] if value}
    # Longest first, so that a secret that contains another is hidden whole.
    return sorted(values | {quote(value, safe="") for value in values}, key=len, reverse=True)


def redact(text: str, *also: str | None) -> str:
    """``text`` with every configured secret (and ``also``) replaced by ``[hidden]``."""
    for value in secret_values(also):
        text = text.replace(value, HIDDEN)
    return _KEY_PARAMETER.sub(rf"\g<1>{HIDDEN}", text)


class RedactingFilter(logging.Filter):
    """Rewrites a log record so that neither its message nor its traceback holds a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: logging reports it when it is emitted
            return True
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_guard = RedactingFilter()


def guard_logging() -> None:
    """Pass every log record this process makes through ``RedactingFilter``, whichever handler prints it.

    Done as the records are made rather than as a filter on a handler: Scrapy
    replaces its root handler each time a crawler is made, and a filter on a
    logger does not see its children's records.
    """
    make = logging.getLogRecordFactory()
    if getattr(make, "redacting", False):
        return

    def redacting_factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make(*args, **kwargs)
        _guard.filter(record)
        return record

    redacting_factory.redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacting_factory)
