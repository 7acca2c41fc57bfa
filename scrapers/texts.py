"""A bill version's text as plain text, from the HTML or PDF a legislature or govinfo publishes.

The classifier reads a bill's text, so the text must keep what matters for
matching phrases: words in order, paragraphs apart. HTML goes through lxml
(block elements become line breaks, scripts and styles go); PDF through
pypdf. Legislatures number the lines of their PDFs and hyphenate words at
line ends; both would cut phrases in two, so both are undone. Texts are
capped (an appropriations act runs to millions of characters); the cap is
recorded, never silent.
"""

from __future__ import annotations

import html
import io
import logging
import re

import lxml.html
from lxml import etree
from w3lib.html import replace_tags

logger = logging.getLogger(__name__)

#: Characters of a converted text that are kept (and classified); the rest is cut, and the cut recorded.
MAX_TEXT_CHARS = 400_000
#: Bytes of a text download accepted: a larger file is refused by the downloader, not read into memory.
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024

_BLOCKS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "table", "pre", "blockquote",
           "dd", "dt", "ul", "ol")
_LINE_NUMBER = re.compile(r"^\s*\d{1,3}(?:\s+|$)")
_HYPHEN_BREAK = re.compile(r"(\w)-\n\s*(?:\d{1,3}\s+)?([a-z])")
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANKS = re.compile(r"\n{3,}")


class TextUnavailable(ValueError):
    """A download that holds no text we can read; the message says why."""


def to_text(body: bytes, media_type: str | None = None) -> str:
    """The plain text of an HTML, PDF or text file, paragraphs separated by blank lines."""
    kind = (media_type or "").split(";")[0].strip().lower()
    head = body[:1024].lstrip()
    if head.startswith(b"%PDF") or kind == "application/pdf":
        text = pdf_text(body)
    elif kind in ("text/html", "application/xhtml+xml") or head[:1] == b"<":
        text = html_text(body)
    else:
        text = body.decode("utf-8", "replace")
    text = tidy(text)
    if not text.strip():
        raise TextUnavailable("the file holds no text (a scanned image, or an empty page)")
    return text


def html_text(body: bytes) -> str:
    try:
        root = lxml.html.fromstring(body)
    except (etree.ParserError, ValueError) as exc:
        raise TextUnavailable(f"not readable as HTML: {exc}") from exc
    for element in root.xpath("//script|//style|//head|//noscript"):
        element.drop_tree()
    for element in root.iter(*_BLOCKS):
        element.tail = "\n\n" + (element.tail or "") if element.tag != "br" else "\n" + (element.tail or "")
    return root.text_content()


def strip_markup(fragment: str, tag: str = "") -> str:
    """The text of an HTML fragment an API returns in a field: each tag replaced by ``tag``, entities decoded.

    Entities go through the standard library rather than w3lib's ``replace_entities``, which knows
    only HTML 4's names and would drop ``&apos;`` from "Don&apos;t".
    """
    return html.unescape(replace_tags(fragment, tag))


def pdf_text(body: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(body))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise TextUnavailable(f"not readable as PDF: {type(exc).__name__}: {exc}") from exc
    return "\n\n".join(pages)


def tidy(text: str) -> str:
    """Whitespace made regular, line numbers dropped, words hyphenated across lines joined again."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    filled = [line for line in lines if line]
    if filled and sum(bool(_LINE_NUMBER.match(line)) for line in filled) >= 0.5 * len(filled):
        lines = [_LINE_NUMBER.sub("", line, count=1) for line in lines]
    text = "\n".join(lines)
    text = _HYPHEN_BREAK.sub(r"\1\2", text)
    return _BLANKS.sub("\n\n", text).strip()


def capped(text: str, limit: int = MAX_TEXT_CHARS) -> tuple[str, bool]:
    """The text within ``limit`` characters, and whether it was cut."""
    if len(text) <= limit:
        return text, False
    return text[:limit], True
