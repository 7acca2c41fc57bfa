"""A new published snapshot is served from the first request after ``ailabor publish``, without a restart.

``publish`` writes the new snapshot to a temporary file and renames it over
the served one. Datasette opens an immutable database once per thread and
keeps it, so without this plugin some threads would read the old file and
some the new one until a restart. Here every request first looks at the
file (one ``stat``); when it is a different file, new requests wait while
the requests in flight finish on the old one, then the database is
attached afresh, and no request ever reads from both.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from typing import Any

from datasette import hookimpl
from datasette.database import Database, connections

# How long a switch waits for requests in flight (a slow reader of a long CSV) before it goes ahead.
DRAIN_SECONDS = 10.0
_keys = itertools.count()


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    return lambda app: SnapshotSwitch(app, datasette)


class Snapshot(Database):
    """An immutable database whose per-thread connections belong to this object, not to its name.

    Datasette keys a thread's connection by database name, so a file attached
    again under the same name would still be read through the old file's
    connections.
    """

    def __init__(self, ds: Any, path: str) -> None:
        super().__init__(ds, path=path, is_mutable=False)
        self.connection_key = f"ailabor_snapshot_{next(_keys)}"

    async def execute_fn(self, fn: Any) -> Any:
        if self.ds.executor is None:
            return await super().execute_fn(fn)

        def in_thread() -> Any:
            conn = getattr(connections, self.connection_key, None)
            if conn is None:
                conn = self.connect()
                self.ds._prepare_connection(conn, self.name)
                setattr(connections, self.connection_key, conn)
            return fn(conn)

        return await asyncio.get_running_loop().run_in_executor(self.ds.executor, in_thread)


def _identity(path: str) -> tuple[int, ...] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns


class SnapshotSwitch:
    def __init__(self, app: Any, datasette: Any) -> None:
        self.app, self.datasette = app, datasette
        self.served = {name: _identity(db.path) for name, db in self._files()}
        self.in_flight = 0
        self.drained = asyncio.Event()
        self.open = asyncio.Event()
        self.open.set()
        self.switching = asyncio.Lock()

    def _files(self) -> list[tuple[str, Any]]:
        return [(name, db) for name, db in self.datasette.databases.items() if not db.is_mutable and db.path]

    def _replaced(self) -> list[str]:
        return [name for name, db in self._files()
                if (found := _identity(db.path)) is not None and found != self.served.get(name)]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.open.wait()
        while self._replaced():
            await self._switch()
            await self.open.wait()
        # Nothing awaits between the last look at the file and this count, so no switch can slip in between.
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            if not self.in_flight:
                self.drained.set()

    async def _switch(self) -> None:
        async with self.switching:
            replaced = self._replaced()
            if not replaced:
                return
            self.open.clear()
            try:
                drained = await self._drain()
                for name in replaced:
                    await self._attach_again(name, close_old=drained)
            finally:
                self.open.set()

    async def _drain(self) -> bool:
        while self.in_flight:
            self.drained.clear()
            try:
                await asyncio.wait_for(self.drained.wait(), DRAIN_SECONDS)
            except TimeoutError:
                return False
        return True

    async def _attach_again(self, name: str, *, close_old: bool) -> None:
        old = self.datasette.databases[name]
        self.served[name] = _identity(old.path)
        new = Snapshot(self.datasette, old.path)
        self.datasette.remove_database(name)
        self.datasette.add_database(new, name=name, route=old.route)
        # Datasette counts an immutable database's tables once, when it starts; this is the new start.
        await new.table_counts(limit=60 * 60 * 1000)
        if close_old:
            old.close()
