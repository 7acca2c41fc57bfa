"""The email of a digest: plain text and HTML from templates/email/, and its headers."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid
from functools import cache
from urllib.parse import quote

import css_inline
import jinja2

from ailabor.digest.config import address_of
from ailabor.digest.select import Digest
from db import REPO_ROOT

TEMPLATES = REPO_ROOT / "templates" / "email"


@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


def render(digest: Digest, unsubscribe: str) -> tuple[str, str]:
    """The plain-text and the HTML body; the HTML with its CSS inlined, as mail programs want."""
    context = {"digest": digest, "subject": digest.subject, "sections": digest.sections,
               "unsubscribe": unsubscribe, "site_url": digest.site_url}
    text = _templates().get_template("digest.txt.j2").render(context)
    html = _templates().get_template("digest.html.j2").render(context)
    return text, _INLINER.inline(html)


def build_message(digest: Digest, sender: str) -> EmailMessage:
    """The email, headers built by the email package so no text can add a header."""
    d = digest.definition
    unsubscribe_to = d.unsubscribe or address_of(sender)
    unsubscribe = f"mailto:{unsubscribe_to}?subject={quote(f'unsubscribe {d.name}')}"
    text, html = render(digest, unsubscribe)
    message = EmailMessage(policy=SMTP_POLICY)
    message["Subject"] = digest.subject
    message["From"] = sender
    message["To"] = ", ".join(d.recipients)
    message["Date"] = formatdate(localtime=True)
    domain = address_of(sender).rpartition("@")[2] or "localhost"
    if digest.first_event_id is not None:
        # The same range gets the same id, so a copy resent after a crash is shown once by most mail programs.
        message["Message-ID"] = f"<ailabor.{d.name}.{digest.first_event_id}-{digest.last_event_id}@{domain}>"
    else:
        message["Message-ID"] = make_msgid(f"ailabor.{d.name}", domain=domain)
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Id"] = f"AI Labor Watch {d.name} digest <{d.name}.digest.{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
