"""How bills are written out: citations, govinfo's pre-formatted text, bill XML, legislature pages, identifiers.

govinfo serves a version's text as ``<html><body><pre>`` with the bill's header
lines (Congress, session, citation, chamber, date, "A BILL") and the body hard
wrapped at about 70 columns; a spider that extracts text from it meets those
header lines and line breaks inside phrases, so the emulation keeps both.
"""

from __future__ import annotations

import html
import re
import textwrap
from datetime import date
from xml.sax.saxutils import escape

from ailabor.testing.emulators.facts import FederalBill, StateBill, StateVersion, TextVersion

CITATION = {"hr": "H.R.", "s": "S.", "hjres": "H.J.Res.", "sjres": "S.J.Res.", "hconres": "H.Con.Res.",
            "sconres": "S.Con.Res.", "hres": "H.Res.", "sres": "S.Res."}
# The citation as the printed bill's header writes it.
PRINTED = {"hr": "H. R.", "s": "S.", "hjres": "H. J. RES.", "sjres": "S. J. RES.", "hconres": "H. CON. RES.",
           "sconres": "S. CON. RES.", "hres": "H. RES.", "sres": "S. RES."}
LEGISLATION_KIND = {"hr": "house-bill", "s": "senate-bill", "hjres": "house-joint-resolution",
                    "sjres": "senate-joint-resolution", "hconres": "house-concurrent-resolution",
                    "sconres": "senate-concurrent-resolution", "hres": "house-resolution",
                    "sres": "senate-resolution"}
WIDTH = 70


def chamber(bill: FederalBill) -> str:
    return "House" if bill.type.startswith("h") else "Senate"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def congress_of(day: str) -> int:
    """The Congress sitting on a day (each begins on 3 January of an odd year)."""
    d = date.fromisoformat(day)
    year = d.year if (d.month, d.day) >= (1, 3) else d.year - 1
    return (year - 1789) // 2 + 1


def session_of(bill: FederalBill, day: str) -> int:
    first_year = 1789 + 2 * (bill.congress - 1)
    return 1 if date.fromisoformat(day).year <= first_year else 2


def legislation_url(bill: FederalBill) -> str:
    return f"https://www.congress.gov/bill/{ordinal(bill.congress)}-congress/{LEGISLATION_KIND[bill.type]}/" \
           f"{bill.number}"


def long_date(day: str) -> str:
    d = date.fromisoformat(day)
    return f"{d.strftime('%B')} {d.day}, {d.year}"


# Versions printed after a chamber passed the bill: engrossed, enrolled, and the other chamber's prints of them.
_PASSED = {"rfs", "rfh", "rds", "rdh", "pcs", "pch", "ats", "ath", "cps", "cph", "enr"}


def legis_type(bill: FederalBill, version: TextVersion) -> str:
    if bill.type in ("hres", "sres"):
        return "RESOLUTION"
    if bill.type in ("hjres", "sjres"):
        return "JOINT RESOLUTION"
    if bill.type in ("hconres", "sconres"):
        return "CONCURRENT RESOLUTION"
    return "AN ACT" if version.code.startswith("e") or version.code.rstrip("0123456789") in _PASSED else "A BILL"


def enacting_clause(bill: FederalBill) -> str:
    if bill.type in ("hres", "sres"):
        return "Resolved,"
    if bill.type == "hconres":
        return "Resolved by the House of Representatives (the Senate concurring),"
    if bill.type == "sconres":
        return "Resolved by the Senate (the House of Representatives concurring),"
    assembled = "by the Senate and House of Representatives of the United States of America in Congress assembled,"
    return f"Resolved {assembled}" if bill.type in ("hjres", "sjres") else f"Be it enacted {assembled}"


def chamber_line(bill: FederalBill) -> str:
    return "IN THE SENATE OF THE UNITED STATES" if chamber(bill) == "Senate" else "IN THE HOUSE OF REPRESENTATIVES"


def _wrap(text: str, initial: str = "", subsequent: str = "") -> list[str]:
    """Hard-wrap at WIDTH on spaces only, as govinfo's text does (never inside a hyphenated word)."""
    return textwrap.wrap(text, WIDTH, initial_indent=initial, subsequent_indent=subsequent, break_on_hyphens=False)


def _center(line: str) -> str:
    return line.center(WIDTH).rstrip()


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def _is_heading(paragraph: str) -> bool:
    return bool(re.match(r"^(SECTION|SEC\.|TITLE|Subtitle|PART|DIVISION)\s", paragraph))


def govinfo_text(bill: FederalBill, version: TextVersion, title: str, wrap: bool = True) -> str:
    """The version as govinfo's HTML rendition prints it (without the HTML): header lines, then the body.

    ``wrap=False`` gives the same words in the same order without the hard
    wrapping and centring, which is all a word index needs and much cheaper.
    """
    center = _center if wrap else str
    fill = _wrap if wrap else (lambda text, initial="", subsequent="": [initial + text])
    cite = f"{CITATION[bill.type]} {bill.number}"
    printed = f"{PRINTED[bill.type]} {bill.number}"
    session = session_of(bill, version.date)
    lines = [f"[Congressional Bills {ordinal(bill.congress)} Congress]",
             "[From the U.S. Government Publishing Office]",
             f"[{cite} {version.type} ({version.code.upper()})]", "", "<DOC>", "", "", "",
             f"{ordinal(bill.congress)} CONGRESS", f"  {ordinal(session)} Session", center(printed), ""]
    lines += [center(line) for line in textwrap.wrap(title, WIDTH - 8, break_on_hyphens=False)] if wrap else [title]
    lines += ["", "", "_" * 71, "", "", center(chamber_line(bill)), "", center(long_date(version.date)), "",
              "_" * 71, "", center(legis_type(bill, version)), ""]
    lines += fill(title, "", "    ")
    lines += [""]
    lines += fill(enacting_clause(bill), "    ")
    for paragraph in _paragraphs(version.text):
        lines.append("")
        lines += fill(paragraph, "" if _is_heading(paragraph) else "    ") or [""]
    lines += ["", center("<all>")]
    return "\n".join(lines) + "\n"


def govinfo_html(bill: FederalBill, version: TextVersion, title: str) -> str:
    """govinfo's ``/html/BILLS-….htm``: the pre-formatted text, escaped, inside ``<html><body><pre>``."""
    return f"<html><body><pre>\n{html.escape(govinfo_text(bill, version, title), quote=False)}</pre></body></html>\n"


def bill_xml(bill: FederalBill, version: TextVersion, title: str) -> str:
    """A bill-DTD-shaped XML rendition: the form (congress, session, citation, chamber, date) and the body."""
    session = session_of(bill, version.date)
    sections = []
    for paragraph in _paragraphs(version.text):
        tag = "header" if _is_heading(paragraph) else "text"
        sections.append(f"<section><{tag}>{escape(paragraph)}</{tag}></section>")
    stage = re.sub(r"\s+", "-", version.type)
    return ("<?xml version=\"1.0\"?>\n"
            f"<bill bill-stage=\"{escape(stage)}\" public-private=\"public\">\n"
            f"<form><congress>{ordinal(bill.congress)} CONGRESS</congress><session>{ordinal(session)} Session"
            f"</session><legis-num>{PRINTED[bill.type]} {bill.number}</legis-num><current-chamber>"
            f"{chamber_line(bill)}"
            f"</current-chamber><action><action-date date=\"{version.date.replace('-', '')}\">"
            f"{long_date(version.date)}</action-date></action><legis-type>{legis_type(bill, version)}</legis-type>"
            f"<official-title>{escape(title)}</official-title></form>\n"
            f"<legis-body>{''.join(sections)}</legis-body>\n</bill>\n")


# States --------------------------------------------------------------------------------------------------

_BILL_ID = re.compile(r"([A-Z]*)\s*0*([-\d]+)")
_MI_JOINT = re.compile(r"(SJR|HJR)\s*([A-Z]+)")


def fix_bill_id(bill_id: str) -> str:
    """Open States' normalisation of a bill identifier: ``HB1`` and ``HB 001`` are ``HB 1``."""
    if _MI_JOINT.match(bill_id):
        return _MI_JOINT.sub(r"\1 \2", bill_id, count=1).strip()
    return _BILL_ID.sub(r"\1 \2", bill_id, count=1).strip()


def bill_id_key(identifier: str) -> str:
    """The form identifiers are compared in: normalised and upper case."""
    return fix_bill_id(identifier.upper()).upper()


def session_name(session: str) -> str:
    if re.fullmatch(r"\d{8}", session):
        return f"{session[:4]}-{session[4:]} Regular Session"
    if re.fullmatch(r"\d{4}", session):
        return f"{session} Regular Session"
    return session


def state_page(bill: StateBill, version: StateVersion, title: str) -> str:
    """A legislature's HTML page of a version: the bill, the version's note and date, the text in paragraphs."""
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in _paragraphs(version.text))
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(bill.identifier)} - "
            f"{html.escape(version.note)}</title></head>\n<body>\n<h1>{html.escape(bill.identifier)}</h1>\n"
            f"<h2>{html.escape(title)}</h2>\n<p class=\"version\">{html.escape(version.note)}, "
            f"{html.escape(version.date)}</p>\n<div class=\"text\">\n{body}\n</div>\n</body></html>\n")


def state_plain(bill: StateBill, version: StateVersion, title: str) -> str:
    """A version as its PDF prints it: identifier, title, note and date, then the text."""
    return f"{bill.identifier}\n{title}\n{version.note} - {long_date(version.date)}\n\n{version.text.strip()}\n"
