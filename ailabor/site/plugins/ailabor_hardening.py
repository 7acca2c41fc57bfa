"""What every response of the site carries, and what the members' face does not answer at all.

Every response says how a browser may use it: a Content-Security-Policy
that runs only the site's own scripts (its files, and the few inline
scripts Datasette's templates hold verbatim, by hash), no framing, no
sniffing, no full referrer. CSV (Datasette's ``.csv`` of any table or
query) is rewritten as it streams so that no cell a spreadsheet would
take for a formula (``= + - @``, tab, CR) stays one: upstream titles
are not trusted. The members' face does not answer Datasette's debug
pages, which show the snapshot's path on disk and the server's threads.
"""

from __future__ import annotations

import base64
import codecs
import csv
import hashlib
import io
import re
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response

from ailabor.site.faces import SITE_PLUGIN

# Members have no use for these, and some show the file's path, the threads or hash passwords on the event loop.
CLOSED_TO_MEMBERS = re.compile(
    r"/-/(databases|threads|password-tool|login|allow-debug|messages|patterns|permissions)(\.json)?/?")
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    public = (datasette.plugin_config(SITE_PLUGIN) or {}).get("face") == "public"
    return lambda app: Hardened(app, datasette, public=public)


def content_security_policy(datasette: Any) -> str:
    scripts = " ".join(f"'sha256-{digest}'" for digest in sorted(_inline_script_hashes(datasette)))
    return ("default-src 'self'; "
            f"script-src 'self' {scripts}; "
            # Datasette's own templates set colours and sizes in style attributes.
            "style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def _inline_script_hashes(datasette: Any) -> set[str]:
    """The hashes of the inline scripts in the templates that hold no template variable, plus the facet switch.

    They come from the template files, never from a response, so a script
    that found its way into a page through the data has no hash here.
    """
    env = datasette.jinja_env
    bodies = {f"DATASETTE_ALLOW_FACET = {'true' if datasette.setting('allow_facet') else 'false'};"}
    for name in env.list_templates(filter_func=lambda name: name.endswith(".html")):
        source = env.loader.get_source(env, name)[0]
        bodies.update(body for body in INLINE_SCRIPT.findall(source) if "{{" not in body and "{%" not in body)
    return {base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() for body in bodies}


class Hardened:
    def __init__(self, app: Any, datasette: Any, *, public: bool) -> None:
        self.app, self.datasette, self.public = app, datasette, public
        self.policy: bytes | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.policy is None:
            self.policy = content_security_policy(self.datasette).encode()
        path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1").partition("?")[0]
        headers = [(b"content-security-policy", self.policy), (b"x-content-type-options", b"nosniff"),
                   (b"x-frame-options", b"DENY"), (b"referrer-policy", b"strict-origin-when-cross-origin")]
        if self.public and CLOSED_TO_MEMBERS.fullmatch(path):
            response = Response.text("404 not on this site", status=404)
            response.headers.update({name.decode(): value.decode() for name, value in headers})
            await response.asgi_send(send)
            return
        csv_cells = path.endswith(".csv")
        rewriter: FormulaFree | None = None

        async def hardened_send(message: dict[str, Any]) -> None:
            nonlocal rewriter
            if message["type"] == "http.response.start":
                kept = list(message.get("headers") or [])
                content_type = dict(kept).get(b"content-type", b"")
                if csv_cells and content_type.startswith((b"text/plain", b"text/csv")):
                    rewriter = FormulaFree()
                    kept = [(name, value) for name, value in kept if name.lower() != b"content-length"]
                present = {name.lower() for name, _ in kept}
                # Datasette's data views already say no-referrer, which is stricter: kept.
                message = {**message, "headers": [*kept, *(h for h in headers if h[0] not in present)]}
            elif message["type"] == "http.response.body" and rewriter is not None:
                more = message.get("more_body", False)
                message = {**message, "body": rewriter.feed(message.get("body", b""), final=not more)}
            await send(message)

        await self.app(scope, receive, hardened_send)


class FormulaFree:
    """A CSV body, record by record as it streams, with each formula-like cell prefixed by ``'``.

    A record may hold line breaks inside quotes: a line ends a record only
    when the quotes seen so far are balanced.
    """

    def __init__(self) -> None:
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.tail = ""
        self.record = ""

    def feed(self, chunk: bytes, *, final: bool) -> bytes:
        lines = (self.tail + self.decoder.decode(chunk, final=final)).split("\n")
        self.tail = lines.pop()
        done = []
        for line in lines:
            self.record += line + "\n"
            if self.record.count('"') % 2 == 0:
                done.append(_formula_free(self.record))
                self.record = ""
        if final and (self.record or self.tail):
            done.append(_formula_free(self.record + self.tail))
            self.record = self.tail = ""
        return "".join(done).encode("utf-8")


def _formula_free(record: str) -> str:
    rows = list(csv.reader(io.StringIO(record, newline="")))
    if not any(_formula(cell) for row in rows for cell in row):
        return record
    out = io.StringIO()
    csv.writer(out).writerows([["'" + cell if _formula(cell) else cell for cell in row] for row in rows])
    return out.getvalue()


def _formula(cell: str) -> bool:
    return cell.startswith(FORMULA_START) and not NUMBER.fullmatch(cell)
