"""One loopback server for every emulated upstream, dispatching by path; every request is recorded as a Hit.

Spiders reach all upstreams through base-URL settings, so in a test they can
all point at this one server: the paths of Congress.gov v3, the govinfo API,
govinfo's bulk data and content, Open States v3 and the legislatures' text
pages do not collide. The server is the replay server (ailabor/testing/replay.py)
answering from a Dataset instead of a cassette, so tests read ``hits`` the
same way for both.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ailabor.testing.emulators.common import Answer, Request, json_answer, text_answer
from ailabor.testing.emulators.congress import CongressEmulator
from ailabor.testing.emulators.dataset import Changes, Dataset
from ailabor.testing.emulators.facts import JURISDICTIONS
from ailabor.testing.emulators.govinfo import GovinfoEmulator
from ailabor.testing.emulators.openstates import OpenStatesEmulator
from ailabor.testing.replay import Cassette, Hit, ReplayServer

CONGRESS = {"v3", "bill", "summaries", "congress"}
GOVINFO_API = {"search", "packages", "collections"}
GOVINFO_WWW = {"bulkdata", "content"}
OPENSTATES = {"bills", "jurisdictions"}
CLOUDFLARE = ("<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title></head><body>"
              "<noscript>Enable JavaScript and cookies to continue</noscript></body></html>")


class EmulatorServer(ReplayServer):
    """Serves a Dataset as Congress.gov, govinfo, Open States and the legislatures would, on 127.0.0.1."""

    def __init__(self, dataset: Dataset) -> None:
        super().__init__(Cassette([], Path(".")))
        self.dataset = dataset
        self.congress = CongressEmulator(dataset)
        self.govinfo = GovinfoEmulator(dataset)
        self.openstates = OpenStatesEmulator(dataset)
        # A short poll interval: stop() returns at once, so a test suite that starts many servers stays quick.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    def start(self) -> EmulatorServer:
        super().start()
        return self

    def advance(self, as_of: date | str) -> Changes:
        """Move the dataset's clock (see Dataset.advance); requests in flight finish first."""
        return self.dataset.advance(as_of)

    def warm(self) -> EmulatorServer:
        """Build the full-text indexes (Open States, govinfo) now instead of on the first query."""
        with self.dataset.lock:
            self.dataset.warm()
            self.govinfo.index()
        return self

    def hits_to(self, prefix: str) -> list[Hit]:
        """The requests whose path starts with ``prefix`` (``/bills``, ``/bulkdata/BILLSTATUS`` ...)."""
        with self._lock:
            return [h for h in self.hits if h.path.startswith(prefix)]

    def _answer(self, handler: Any) -> None:
        split = urlsplit(handler.path)
        query = parse_qs(split.query, keep_blank_values=True)
        body = self.request_body(handler)
        headers = dict(handler.headers.items())
        request = Request(handler.command, unquote(split.path), query, headers, body, self.url)
        with self.dataset.lock:
            try:
                answer = self.dispatch(request)
            except Exception as exc:  # a bug here must show as a server error, not hang the spider
                answer = json_answer({"error": f"{type(exc).__name__}: {exc}"}, 500)
        with self._lock:
            self.hits.append(Hit(split.path, query, headers, answer.status, None, body, handler.command))
        self._send(handler, answer.status, answer.headers, answer.body)

    def dispatch(self, req: Request) -> Answer:
        """Which upstream a path belongs to; each answers its own errors."""
        parts = [p for p in req.path.split("/") if p]
        first = parts[0] if parts else ""
        if first in CONGRESS:
            return self.congress.answer(req)
        if first in GOVINFO_API:
            return self.govinfo.answer_api(req)
        if first in GOVINFO_WWW:
            return self.govinfo.answer_www(req)
        if first in OPENSTATES:
            return self.openstates.answer(req)
        if first.isdigit() and len(parts) == 4 and parts[1] == "bills":
            return self.congress_gov_text(parts)
        if first in JURISDICTIONS:
            return self.openstates.answer_text(req)
        return json_answer({"error": f"no emulated upstream serves {req.path}"}, 404)

    def congress_gov_text(self, parts: list[str]) -> Answer:
        """www.congress.gov/{congress}/bills/{type}{number}/BILLS-….htm: Cloudflare's challenge, as crawlers get."""
        if self.dataset.options.congress_gov_text_blocked:
            return text_answer(CLOUDFLARE, "text/html; charset=UTF-8", 403, {"cf-mitigated": "challenge"})
        stem, _, ext = parts[3].rpartition(".")
        package = self.govinfo.visible_package(stem)
        if package is None or ext not in ("htm", "pdf", "xml"):
            return text_answer("<html><body>Page not found</body></html>", "text/html; charset=UTF-8", 404)
        return self.govinfo.rendition(package, {"htm": "html"}.get(ext, ext))


@contextmanager
def emulating(dataset: Dataset) -> Iterator[EmulatorServer]:
    """Serve a dataset for the length of a ``with`` block."""
    server = EmulatorServer(dataset).start()
    try:
        yield server
    finally:
        server.stop()


def hit_json(hit: Hit) -> Any:
    """A POST hit's JSON body (govinfo search), or None."""
    try:
        return json.loads(hit.body) if hit.body else None
    except ValueError:
        return None
