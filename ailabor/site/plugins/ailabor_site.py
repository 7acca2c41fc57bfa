"""Datasette hooks of AI Labor Watch: the members' home page, the bill and meeting pages, and feed repairs.

Datasette loads this file from ``--plugins-dir`` (ailabor/site/faces.py passes
it to both faces), so the site works without installing anything beyond
the project. Templates stay free of SQL: every query a page needs is here,
keyed on bill and meeting ids, which the schema indexes.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urljoin

from datasette import hookimpl
from datasette.utils import tilde_encode, urlsafe_components
from datasette.utils.asgi import Response
from markupsafe import Markup

from db.vocab import END_STATES, STATUS_ORDER

STAGE_NAMES = {
    "introduced": "Introduced",
    "in_committee": "In committee",
    "passed_chamber": "Passed one chamber",
    "passed_legislature": "Passed the legislature",
    "enacted": "Enacted",
    "vetoed": "Vetoed",
    "failed": "Failed",
    "withdrawn": "Withdrawn",
}

# The tile map: (postal code, name, row, column) on an 11-column grid, so that
# neighbours stay roughly neighbours and every state is the same size.
TILES = (
    ("ak", "Alaska", 0, 0), ("me", "Maine", 0, 10),
    ("vt", "Vermont", 1, 9), ("nh", "New Hampshire", 1, 10),
    ("wa", "Washington", 2, 0), ("id", "Idaho", 2, 1), ("mt", "Montana", 2, 2), ("nd", "North Dakota", 2, 3),
    ("mn", "Minnesota", 2, 4), ("il", "Illinois", 2, 5), ("wi", "Wisconsin", 2, 6), ("mi", "Michigan", 2, 7),
    ("ny", "New York", 2, 8), ("ri", "Rhode Island", 2, 9), ("ma", "Massachusetts", 2, 10),
    ("or", "Oregon", 3, 0), ("nv", "Nevada", 3, 1), ("wy", "Wyoming", 3, 2), ("sd", "South Dakota", 3, 3),
    ("ia", "Iowa", 3, 4), ("in", "Indiana", 3, 5), ("oh", "Ohio", 3, 6), ("pa", "Pennsylvania", 3, 7),
    ("nj", "New Jersey", 3, 8), ("ct", "Connecticut", 3, 9),
    ("ca", "California", 4, 0), ("ut", "Utah", 4, 1), ("co", "Colorado", 4, 2), ("ne", "Nebraska", 4, 3),
    ("mo", "Missouri", 4, 4), ("ky", "Kentucky", 4, 5), ("wv", "West Virginia", 4, 6), ("va", "Virginia", 4, 7),
    ("md", "Maryland", 4, 8), ("de", "Delaware", 4, 9),
    ("az", "Arizona", 5, 1), ("nm", "New Mexico", 5, 2), ("ks", "Kansas", 5, 3), ("ar", "Arkansas", 5, 4),
    ("tn", "Tennessee", 5, 5), ("nc", "North Carolina", 5, 6), ("sc", "South Carolina", 5, 7),
    ("dc", "District of Columbia", 5, 8),
    ("ok", "Oklahoma", 6, 3), ("la", "Louisiana", 6, 4), ("ms", "Mississippi", 6, 5), ("al", "Alabama", 6, 6),
    ("ga", "Georgia", 6, 7),
    ("hi", "Hawaii", 7, 0), ("tx", "Texas", 7, 3), ("fl", "Florida", 7, 8), ("pr", "Puerto Rico", 7, 10),
)
# Upper bounds of the map's colour steps (relevant bills in a state).
SHADES = (0, 1, 4, 9)

# Results computed once per immutable database are kept on its Database
# object under this name: a snapshot never changes while it is served, and a
# new one is attached as a new object (ailabor_snapshot.py), so it starts
# with no cache. Nothing that depends on today's date is kept.
CACHE = "_ailabor_cache"


@hookimpl
def extra_template_vars(view_name: str, table: str | None, database: str | None, request: Any,
                        datasette: Any) -> Any:
    async def home() -> dict[str, Any]:
        name = await _tracker(datasette)
        if not name:
            return {"home": None}
        snapshot = await _cached(datasette, name, "home", _home)
        return {"home": {**snapshot, "upcoming": await _upcoming(datasette, datasette.get_database(name))}}

    async def bill() -> dict[str, Any]:
        return {"bill": await _bill(datasette.get_database(database), _row_id(request))}

    async def meeting() -> dict[str, Any]:
        return {"meeting": await _meeting(datasette.get_database(database), _row_id(request))}

    if view_name == "index":
        return home
    if view_name == "row" and table == "bills":
        return bill
    if view_name == "row" and table == "meetings":
        return meeting
    return None


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    # Row addresses escape characters with tildes (Datasette's own scheme), not percent signs.
    env.filters["tilde"] = tilde_encode


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    """In query results a bill or meeting id links to its page, as table views already do."""
    if table is not None or not value or not isinstance(value, str):
        return None
    target = {"bill_id": "bills", "meeting_id": "meetings"}.get(column)
    if target is None:
        return None
    return Markup('<a href="{}">{}</a>').format(datasette.urls.row(database, target, tilde_encode(value)), value)


@hookimpl(hookwrapper=True)
def menu_links(datasette: Any) -> Any:
    """No "Log in" link: members have nobody to log in as, and the director signs in at the browser's prompt.

    datasette-auth-passwords (installed for ``datasette hash-password``)
    offers its login form, which has no account here.
    """
    outcome = yield
    login = datasette.urls.path("/-/login")
    outcome.force_result([
        [link for link in links if link.get("href") != login] if isinstance(links, list) else links
        for links in outcome.get_result()
    ])


@hookimpl
def startup(datasette: Any) -> Any:
    renderer = datasette.renderers.get("atom")
    if renderer:
        datasette.renderers["atom"] = (_complete_atom(renderer[0]), renderer[1])

    async def warm() -> None:
        # The home page's counts read every relevant bill: do it before the first member asks.
        name = await _tracker(datasette)
        if name and not datasette.get_database(name).is_mutable:
            await _cached(datasette, name, "home", _home)

    return warm


def _complete_atom(render: Any) -> Any:
    """datasette-atom 0.9 fails on a query without rows and leaves relative links relative.

    A topic with no news yet must still be a valid, subscribable feed, and
    the canned feeds link entries to this site's own pages by relative URL
    (the database name and host are not known to the SQL).
    """

    def render_feed(datasette: Any, request: Any, sql: str, columns: list[str], rows: list[Any], database: str,
                    table: str | None, query_name: str | None, view_name: str, data: dict[str, Any]) -> Any:
        if not rows:
            return _empty_feed(datasette, request, database, query_name)
        if "atom_link" in columns:
            rows = [{**dict(zip(columns, row, strict=True)),
                     "atom_link": urljoin(request.url, row["atom_link"]) if row["atom_link"] else None}
                    for row in rows]
        return render(datasette=datasette, request=request, sql=sql, columns=columns, rows=rows, database=database,
                      table=table, query_name=query_name, view_name=view_name, data=data)

    return render_feed


def _empty_feed(datasette: Any, request: Any, database: str, query_name: str | None) -> Response:
    queries = (datasette.metadata(database=database) or {}).get("queries") or {}
    title = (queries.get(query_name) or {}).get("title") or "AI Labor Watch"
    feed = ET.Element("feed", xmlns="http://www.w3.org/2005/Atom")
    ET.SubElement(feed, "id").text = request.url
    ET.SubElement(feed, "title").text = title
    ET.SubElement(feed, "updated").text = datetime.now(UTC).replace(microsecond=0).isoformat()
    ET.SubElement(feed, "link", href=request.url, rel="self")
    body = ET.tostring(feed, encoding="unicode", xml_declaration=True)
    return Response(body, content_type="application/xml; charset=utf-8")


async def _cached(datasette: Any, database: str, key: str, compute: Any) -> Any:
    db = datasette.get_database(database)
    if db.is_mutable:
        return await compute(datasette, db)
    cache = getattr(db, CACHE, None)
    if cache is None:
        cache = {}
        setattr(db, CACHE, cache)
    if key not in cache:
        cache[key] = await compute(datasette, db)
    return cache[key]


async def _tracker(datasette: Any) -> str | None:
    """The database that holds the tracker (Datasette names it after the file)."""
    for name, db in datasette.databases.items():
        if name != "_internal" and await db.table_exists("bills"):
            return name
    return None


def _row_id(request: Any) -> str:
    return urlsafe_components(request.url_vars["pks"])[0]


def _rows(results: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in results.rows]


def _web(url: Any) -> str | None:
    """A link target only when it is a web address: a ``javascript:`` URL in upstream data must not run."""
    if isinstance(url, str) and url.strip().lower().startswith(("https://", "http://")):
        return url.strip()
    return None


def _json_list(text: Any) -> list[Any]:
    try:
        value = json.loads(text or "[]")
    except (TypeError, ValueError):
        return []
    return value if isinstance(value, list) else []


def _json_dict(text: Any) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _json_where(fields: Any) -> str:
    """Where a phrase was found, as a reader says it: "its title and text"."""
    names = [str(f) for f in fields] if isinstance(fields, list) else []
    if not names:
        return ""
    return "its " + (names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1])


def _shade(count: int) -> int:
    return next((step for step, bound in enumerate(SHADES) if count <= bound), len(SHADES))


async def _home(datasette: Any, db: Any) -> dict[str, Any]:
    counts = {row[0]: row[1] for row in (await db.execute(
        "SELECT jurisdiction, count(*) FROM bills WHERE relevant = 1 GROUP BY jurisdiction")).rows}
    tiles = [{"code": code, "name": name, "row": row + 1, "column": column + 1, "count": counts.get(code, 0),
              "shade": _shade(counts.get(code, 0))} for code, name, row, column in TILES]
    # Newest first, stopping at the first dozen about AI and work; the events index on id does the ordering.
    moves = _rows(await db.execute(
        "SELECT e.id, substr(e.detected_at, 1, 10) AS day, e.kind, e.summary, e.bill_id, e.meeting_id"
        " FROM events e LEFT JOIN bills b ON b.id = e.bill_id LEFT JOIN meetings m ON m.id = e.meeting_id"
        " WHERE coalesce(b.relevant, m.relevant, 0) = 1 AND e.kind != 'meeting_changed'"
        " ORDER BY e.id DESC LIMIT 12"))
    for item in moves:
        table, key = ("bills", item["bill_id"]) if item["bill_id"] else ("meetings", item["meeting_id"])
        item["link"] = datasette.urls.row(db.name, table, tilde_encode(key)) if key else None
    topics = _rows(await db.execute("SELECT slug, name FROM topics ORDER BY name"))
    totals = dict(zip(("bills", "meetings"), (await db.execute(
        "SELECT (SELECT count(*) FROM bills WHERE relevant = 1), (SELECT count(*) FROM meetings WHERE relevant = 1)"
    )).rows[0], strict=True))
    return {"database": db.name, "tiles": tiles, "federal": counts.get("us", 0), "moves": moves,
            "totals": totals, "shades": _legend(), "topics": topics}


async def _upcoming(datasette: Any, db: Any) -> list[dict[str, Any]]:
    upcoming = _rows(await db.execute(
        "SELECT id, title, agency, kind, start AS day, 'starts' AS what FROM meetings"
        " WHERE start >= date('now') AND +relevant = 1"
        " UNION ALL SELECT id, title, agency, kind, comments_close_on, 'comments close' FROM meetings"
        " WHERE comments_close_on >= date('now') AND +relevant = 1"
        " ORDER BY day LIMIT 6"))
    for item in upcoming:
        item["link"] = datasette.urls.row(db.name, "meetings", tilde_encode(item["id"]))
    return upcoming


def _legend() -> list[dict[str, Any]]:
    labels, low = [], 0
    for step, bound in enumerate(SHADES):
        labels.append({"shade": step, "label": str(bound) if low == bound else f"{low}–{bound}"})
        low = bound + 1
    labels.append({"shade": len(SHADES), "label": f"{low} or more"})
    return labels


async def _bill(db: Any, bill_id: str) -> dict[str, Any] | None:
    found = _rows(await db.execute("SELECT * FROM bills WHERE id = ?", [bill_id]))
    if not found:
        return None
    bill = found[0]
    actions = _rows(await db.execute(
        "SELECT seq, date, description, actor FROM actions WHERE bill_id = ? ORDER BY seq", [bill_id]))
    sponsors = _rows(await db.execute(
        "SELECT name, role, party, state, district FROM sponsors WHERE bill_id = ?"
        " ORDER BY role != 'primary', name", [bill_id]))
    versions = _rows(await db.execute(
        "SELECT url, note, date, media_type FROM versions WHERE bill_id = ? ORDER BY date, url", [bill_id]))
    for version in versions:
        version["url"] = _web(version["url"])
    topics = _rows(await db.execute(
        "SELECT bt.topic, coalesce(t.name, bt.topic) AS name, t.description, bt.score, bt.matched, bt.found_in"
        " FROM bill_topics bt LEFT JOIN topics t ON t.slug = bt.topic WHERE bt.bill_id = ?"
        " ORDER BY bt.score DESC, bt.topic", [bill_id]))
    for topic in topics:
        found_in = _json_dict(topic.pop("found_in"))
        topic["matched"] = [{"phrase": p, "where": _json_where(found_in.get(p))} for p in _json_list(topic["matched"])]
    watched = _rows(await db.execute(
        "SELECT added_at FROM watchlist WHERE bill_id = ? AND status = 'found'", [bill_id]))
    positions = _rows(await db.execute(
        "SELECT stance, priority, note, updated_at FROM positions WHERE bill_id = ?", [bill_id]))
    hearings = _rows(await db.execute(
        "SELECT m.id, m.title, m.agency, m.start, m.location FROM meeting_bills mb JOIN meetings m"
        " ON m.id = mb.meeting_id WHERE mb.bill_id = ? ORDER BY m.start", [bill_id]))
    return {
        **bill,
        "url": _web(bill["url"]),
        "subjects": _json_list(bill["subjects"]),
        "stages": _stages(bill),
        "ended": bill["status"] if bill["status"] in END_STATES else None,
        "status_name": STAGE_NAMES.get(bill["status"] or "", "Not known yet"),
        "actions": actions,
        "sponsors": sponsors,
        "versions": versions,
        "topics": topics,
        "position": positions[0] if positions else None,
        "watched_since": watched[0]["added_at"][:10] if watched and watched[0]["added_at"] else None,
        "hearings": hearings,
    }


def _stages(bill: dict[str, Any]) -> list[dict[str, str]]:
    """The pipeline with each step done, current or still ahead.

    A bill that ended (vetoed, failed, withdrawn) shows how far it got
    before it ended: the step the store found it had reached.
    """
    status = bill["status"]
    reached = bill["stage_reached"]
    position = STATUS_ORDER.index(reached) if reached in STATUS_ORDER else -1
    stages = []
    for index, stage in enumerate(STATUS_ORDER):
        if index < position or (index == position and status in END_STATES):
            state = "done"
        elif index == position:
            state = "current"
        else:
            state = "ahead"
        stages.append({"stage": stage, "name": STAGE_NAMES[stage], "state": state})
    return stages


async def _meeting(db: Any, meeting_id: str) -> dict[str, Any] | None:
    found = _rows(await db.execute("SELECT * FROM meetings WHERE id = ?", [meeting_id]))
    if not found:
        return None
    meeting = found[0]
    topics = _rows(await db.execute(
        "SELECT mt.topic, coalesce(t.name, mt.topic) AS name, mt.matched FROM meeting_topics mt"
        " LEFT JOIN topics t ON t.slug = mt.topic WHERE mt.meeting_id = ? ORDER BY mt.score DESC, mt.topic",
        [meeting_id]))
    for topic in topics:
        topic["matched"] = _json_list(topic["matched"])
    bills = _rows(await db.execute(
        "SELECT b.id, b.name, b.title, b.status"
        " FROM meeting_bills mb JOIN bills b ON b.id = mb.bill_id WHERE mb.meeting_id = ? ORDER BY b.id",
        [meeting_id]))
    docket = meeting["docket_id"]
    return {
        **meeting,
        "kind_name": (meeting["kind"] or "").replace("_", " "),
        "document_url": _web(meeting["document_url"]),
        "agenda_url": _web(meeting["agenda_url"]),
        "minutes_url": _web(meeting["minutes_url"]),
        "docket_url": f"https://www.regulations.gov/docket/{quote(docket)}" if docket else None,
        "topics": topics,
        "bills": bills,
    }
