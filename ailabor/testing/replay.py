"""A local HTTP server on loopback that replays recorded upstream responses.

Spiders are pointed at it through their base-URL setting, so tests and
``ailabor demo`` run the real spiders and pipeline with no network. A
cassette is a list of routes; the first route whose path and query match
answers, and a route with ``times`` answers only that many times, which is
how a test serves a 429 first and the real page after it. Faults (a delay,
a reset connection, a truncated body) are route options too; tests/faults.py
derives a faulty route from a good one, and each hit names the route that
answered it, so a test can tell that its fault was really served.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml


@dataclass
class Route:
    path: str
    status: int = 200
    file: str | None = None
    body: str | None = None
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None
    delay: float = 0.0
    reset: bool = False
    truncate: int | None = None
    content_type: str | None = None

    def matches(self, path: str, query: dict[str, list[str]]) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if path != self.path:
            return False
        for name, wanted in self.query.items():
            values = query.get(name, [])
            wanted_list = wanted if isinstance(wanted, list) else [wanted]
            if wanted_list == [None]:
                if values:
                    return False
            elif not all(str(w) in values for w in wanted_list):
                return False
        return True


@dataclass
class Hit:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    status: int
    route: Route | None = None
    body: bytes = b""  # a POST's request body (govinfo's search takes its query as JSON)
    method: str = "GET"


class Cassette:
    """Routes and the folder their files live in, loaded from a YAML list or given directly."""

    def __init__(self, routes: list[Route], folder: Path) -> None:
        self.routes = routes
        self.folder = folder

    @classmethod
    def load(cls, path: Path) -> Cassette:
        entries = yaml.safe_load(Path(path).read_text()) or []
        return cls([Route(**entry) for entry in entries], Path(path).parent)

    def body(self, route: Route) -> bytes:
        if route.file:
            return (self.folder / route.file).read_bytes()
        return (route.body or "").encode()


class ReplayServer:
    """Serves a cassette on 127.0.0.1 and remembers every request it answered."""

    def __init__(self, cassette: Cassette) -> None:
        self.cassette = cassette
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ReplayServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def requests_to(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path == path]

    @staticmethod
    def request_body(handler: BaseHTTPRequestHandler) -> bytes:
        """The request's body (a POST's), read once and kept on the handler; empty for a GET."""
        cached = getattr(handler, "_replay_body", None)
        if cached is None:
            length = int(handler.headers.get("Content-Length") or 0)
            cached = handler.rfile.read(length) if length > 0 else b""
            handler._replay_body = cached  # type: ignore[attr-defined]
        return cached

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        query = parse_qs(split.query, keep_blank_values=True)
        body = self.request_body(handler)
        with self._lock:
            route = next((r for r in self.cassette.routes if r.matches(split.path, query)), None)
            if route is not None and route.times is not None:
                route.times -= 1
            self.hits.append(Hit(split.path, query, dict(handler.headers.items()), route.status if route else 404,
                                 route, body, handler.command))
        if route is None:
            self._send(handler, 404, {"Content-Type": "application/json"},
                       json.dumps({"error": f"no recorded response for {handler.path}"}).encode())
            return
        if route.delay:
            time.sleep(route.delay)
        if route.reset:
            # SO_LINGER 0 makes close() send RST: the client sees a reset connection.
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            handler.connection.close()
            handler.close_connection = True
            return
        body = self.cassette.body(route)
        headers = {"Content-Type": route.content_type or _guess_type(route, body)}
        headers.update(route.headers)
        if route.truncate is not None:
            body = body[: route.truncate]
        self._send(handler, route.status, headers, body)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
        try:
            handler.send_response(status)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            # A client that timed out on a delayed route has gone: that is the fault being played.
            handler.close_connection = True

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches on
                # One handler serves every request of a kept-alive connection: forget the last one's body.
                self._replay_body = None
                server._answer(self)

            def do_POST(self) -> None:  # noqa: N802 - the name http.server dispatches on
                self._replay_body = None
                server._answer(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        return Handler


def _guess_type(route: Route, body: bytes) -> str:
    name = route.file or ""
    if name.endswith((".html", ".htm")) or body.lstrip()[:1] == b"<":
        return "text/html; charset=utf-8"
    if name.endswith(".xml"):
        return "application/xml"
    return "application/json"


@contextmanager
def serving(cassette: Cassette | Path | str) -> Iterator[ReplayServer]:
    """Serve a cassette for the length of a ``with`` block."""
    if not isinstance(cassette, Cassette):
        cassette = Cassette.load(Path(cassette))
    server = ReplayServer(cassette).start()
    try:
        yield server
    finally:
        server.stop()
