"""Who may reach the director's face, decided before Datasette sees the request.

Behind a password the face admits the director by HTTP basic auth once,
then by Datasette's signed ``ds_actor`` cookie: the password hash (a slow
PBKDF2 on purpose) runs once per session, in a thread of its own, never
on the event loop that answers everyone else. A client address that gets
the password wrong too often in a minute is answered 429 without hashing
anything. Without a password the face listens on loopback only, and
answers only requests addressed to a loopback name, so that a web page
whose host name is rebound to 127.0.0.1 cannot read it from a browser.

The ``Authorization`` header is consumed here on every face: nothing
behind this wrapper parses it (datasette-auth-passwords' own parser
fails on a malformed or non-ASCII one).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import math
import re
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from typing import Any

from datasette import hookimpl
from datasette.actor_auth_cookie import actor_from_request as signed_actor
from datasette.utils import baseconv
from datasette.utils.asgi import Request, Response
from datasette_auth_passwords.utils import verify_password

from ailabor.site.faces import DIRECTOR, SITE_PLUGIN

FAILURES_PER_MINUTE = 5
SESSION_SECONDS = 12 * 60 * 60
LOOPBACK_HOST = re.compile(r"(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?")
# Where the gate leaves the actor it admitted for the request that logged in (it has no cookie yet).
ADMITTED = "ailabor.admitted"
# Clients remembered at most, so that guesses from many addresses cannot grow memory without bound.
MAX_CLIENTS = 10_000


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    config = datasette.plugin_config(SITE_PLUGIN) or {}
    password_hash = config.get("password_hash")
    if password_hash:
        return lambda app: PasswordGate(app, datasette, password_hash)
    if config.get("loopback_only"):
        return LoopbackOnly
    return WithoutAuthorization


@hookimpl
def actor_from_request(request: Any) -> Any:
    return request.scope.get(ADMITTED)


def _consume_authorization(scope: dict[str, Any]) -> tuple[dict[str, Any], bytes | None]:
    authorization = None
    headers = []
    for name, value in scope.get("headers") or []:
        if name.lower() == b"authorization":
            authorization = value
        else:
            headers.append((name, value))
    return {**scope, "headers": headers}, authorization


class WithoutAuthorization:
    """A face with no accounts: credentials mean nothing here and go no further."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope, _ = _consume_authorization(scope)
        await self.app(scope, receive, send)


class LoopbackOnly(WithoutAuthorization):
    """The passwordless face answers only requests addressed to this machine by a loopback name."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not _loopback_host(dict(scope.get("headers") or []).get(b"host")):
            await Response.text("400 this site answers only at localhost, 127.0.0.1 or [::1]", status=400).asgi_send(
                send)
            return
        await super().__call__(scope, receive, send)


def _loopback_host(host: bytes | None) -> bool:
    return bool(host and LOOPBACK_HOST.fullmatch(host.decode("latin-1").lower()))


class Failures:
    """Failed logins per client address in the last minute."""

    def __init__(self, limit: int = FAILURES_PER_MINUTE, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self.recent: dict[str, deque[float]] = {}

    def retry_after(self, client: str) -> int:
        """Seconds until this client may try again; 0 when it may now."""
        times = self._current(client)
        if len(times) < self.limit:
            return 0
        return max(1, math.ceil(times[0] + self.window - time.monotonic()))

    def add(self, client: str) -> None:
        if client not in self.recent and len(self.recent) >= MAX_CLIENTS:
            for other in list(self.recent):
                self._current(other)
            if len(self.recent) >= MAX_CLIENTS:
                self.recent.pop(next(iter(self.recent)))
        self.recent.setdefault(client, deque()).append(time.monotonic())

    def clear(self, client: str) -> None:
        self.recent.pop(client, None)

    def _current(self, client: str) -> deque[float]:
        times = self.recent.get(client, deque())
        while times and times[0] <= time.monotonic() - self.window:
            times.popleft()
        if not times:
            self.recent.pop(client, None)
        return times


class PasswordGate:
    """Only the director, by password once, then by signed cookie; guessers are slowed per address."""

    def __init__(self, app: Any, datasette: Any, password_hash: str) -> None:
        self.app, self.datasette, self.password_hash = app, datasette, password_hash
        self.failures = Failures()
        # One thread: however many guessers there are, hashing takes at most one CPU from the site.
        self.hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ailabor-password")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope, authorization = _consume_authorization(scope)
        actor = signed_actor(self.datasette, Request(scope, receive))
        if isinstance(actor, dict) and actor.get("id") == DIRECTOR:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("",))[0]
        wait = self.failures.retry_after(client)
        if wait:
            await Response.text("429 too many wrong passwords: try again later", status=429,
                                headers={"retry-after": str(wait)}).asgi_send(send)
            return
        if authorization is not None:
            if await self._verified(authorization):
                self.failures.clear(client)
                await self.app({**scope, ADMITTED: {"id": DIRECTOR}}, receive, self._with_session(scope, send))
                return
            self.failures.add(client)
        await Response.text("401 Authorization Required", status=401, headers={
            "www-authenticate": 'Basic realm="AI Labor Watch", charset="UTF-8"'}).asgi_send(send)

    async def _verified(self, authorization: bytes) -> bool:
        password = _basic_password(authorization)
        if password is None:
            return False
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.hasher, verify_password, password, self.password_hash)

    def _with_session(self, scope: dict[str, Any], send: Any) -> Any:
        expires = baseconv.base62.encode(int(time.time()) + SESSION_SECONDS)
        session = SimpleCookie()
        session["ds_actor"] = self.datasette.sign({"a": {"id": DIRECTOR}, "e": expires}, "actor")
        session["ds_actor"].update({"max-age": SESSION_SECONDS, "path": "/", "samesite": "lax", "httponly": True,
                                    "secure": scope.get("scheme") == "https"})
        cookie = session.output(header="").strip().encode("latin-1")

        async def send_with_session(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
            await send(message)

        return send_with_session


def _basic_password(authorization: bytes) -> str | None:
    """The director's password from a basic-auth header (RFC 7617, UTF-8); None for anything else."""
    scheme, _, credentials = authorization.partition(b" ")
    if scheme.lower() != b"basic":
        return None
    try:
        user, colon, password = base64.b64decode(credentials.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return password if colon and user == DIRECTOR else None
