"""SQLite reads run on the event loop's own thread.

aiosqlite gives every connection a thread and hands each call to it through a queue, then
back through the event loop: a read transaction of one indexed SELECT is eight such trips,
which cost about 2.8 ms of CPU (and more under load, waiting for the GIL) where SQLite itself
needs 0.05 ms. Every Slack click, command and submission starts with reads like that.

A read in WAL mode never waits for a writer, so running it where it is awaited blocks nothing
for longer than SQLite takes to answer. Writes keep aiosqlite's threads: a write may wait for
another process's lock (`okrbot serve --workers N`, an import), which must not stop the loop.
A read that finds the database locked (only while another process rebuilds the WAL index)
gives up after READ_BUSY_TIMEOUT_MS instead of holding the loop for the writers' 30 s.
Background work (the scheduler's scans of thousands of rows) reads on the threads too
(`Database.reading`): a read that long on the loop would stall every request behind it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Generator
from typing import Any

import aiosqlite

READ_BUSY_TIMEOUT_MS = 200


class _AtOnce:
    """In place of aiosqlite's queue to its thread (SQLAlchemy puts work on it directly too):
    each call runs as it is put, and its future is answered."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:
            if future is not None:
                future.set_exception(error)
        else:
            if future is not None:
                future.set_result(result)


class OnTheLoop(aiosqlite.Connection):
    """aiosqlite's connection, with each call made where it is awaited instead of on a thread."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _AtOnce()  # type: ignore[assignment]

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    def __await__(self) -> Generator[Any, None, aiosqlite.Connection]:
        return self._connect().__await__()  # no thread to start


def connect_on_the_loop(path: str) -> Callable[[], Any]:
    """An `async_creator` for SQLAlchemy: connections to the database file at `path`."""

    async def create() -> aiosqlite.Connection:
        def connector() -> sqlite3.Connection:
            # The pool may close a connection from a garbage collector's thread.
            return sqlite3.connect(
                path, timeout=READ_BUSY_TIMEOUT_MS / 1000, check_same_thread=False
            )

        return await OnTheLoop(connector)

    return create
