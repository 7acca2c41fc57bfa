"""A minimal PDF writer: plain text on Letter pages in Helvetica, one text object per page, line by line.

Many legislatures publish bill text only as PDF, so a spider that reads state
versions must extract text from a PDF. The emulators serve real PDFs, small
and uncompressed but well formed (cross-reference table, WinAnsi-encoded
standard font), whose text a PDF library such as pypdf extracts line for line.
"""

from __future__ import annotations

import textwrap

PAGE_WIDTH, PAGE_HEIGHT = 612, 792  # US Letter, in points
FONT_SIZE, LEADING = 10, 13
MARGIN = 72
LINES_PER_PAGE = (PAGE_HEIGHT - 2 * MARGIN) // LEADING
WRAP = 90  # characters of 10-point Helvetica that fit 6.5 inches, roughly
# Typographic characters that WinAnsi has at other code points than Latin-1, or not at all.
_PLAIN = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2212": "-", "\u00a0": " "})


def _escape(line: str) -> bytes:
    raw = line.translate(_PLAIN).encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)").replace(b"\r", b"")


def wrap_lines(text: str, width: int = WRAP) -> list[str]:
    """The text's lines, each paragraph line wrapped to ``width``; blank lines kept."""
    lines: list[str] = []
    for line in text.splitlines():
        lines.extend(textwrap.wrap(line, width, break_long_words=True, break_on_hyphens=False) or [""])
    return lines


def write_pdf(text: str, title: str = "") -> bytes:
    """A PDF of the text, as many pages as it needs (at least one)."""
    lines = wrap_lines(text)
    pages = [lines[i:i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)] or [[]]
    # Objects: 1 catalog, 2 page tree, 3 font, 4 info, then a page and its content stream per page.
    objects: dict[int, bytes] = {
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        4: b"<< /Producer (ailabor emulators) /Title (" + _escape(title) + b") >>",
    }
    kids = []
    for n, page_lines in enumerate(pages):
        page_id, content_id = 5 + 2 * n, 6 + 2 * n
        kids.append(f"{page_id} 0 R".encode())
        stream = [f"BT /F1 {FONT_SIZE} Tf {LEADING} TL {MARGIN} {PAGE_HEIGHT - MARGIN} Td".encode()]
        for i, line in enumerate(page_lines):
            stream.append((b"" if i == 0 else b"T* ") + b"(" + _escape(line) + b") Tj")
        stream.append(b"ET")
        body = b"\n".join(stream)
        objects[content_id] = b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream"
        objects[page_id] = (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
                            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content_id} 0 R >>").encode()
    objects[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[2] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % len(pages)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += b"%010d 00000 n \n" % offsets[number]
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)
