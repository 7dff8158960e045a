"""Engines and sessions for SQLite (the embedded default) and PostgreSQL.

SQLite is tuned for a bot that several coroutines and processes write to at once: WAL so readers
never block the writer, `synchronous=NORMAL` (durable across application crashes, fast enough for
a chat bot), a busy timeout, foreign keys on, and write transactions opened with `BEGIN IMMEDIATE`
so that two writers queue on the busy timeout instead of one failing with "database is locked"
when it upgrades a read lock.

In one process, SQLite's writers queue in `WriterQueue`, where people's requests (the replay
key of a click, a check-in) go ahead of background work (the scheduler's planning, the outbox's
claims and settlements, run inside `background()`): a weekly fan-out then takes what the
requests leave of the one writer instead of making each click wait behind its writes.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Any, TypeAlias

from sqlalchemy import event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import PoolResetState
from sqlalchemy.util import await_only

from okrbot.storage.sqlite_reads import READ_BUSY_TIMEOUT_MS, connect_on_the_loop

# What repository functions take: callers outside storage name the type through here, so that
# SQLAlchemy stays storage's own business.
Session: TypeAlias = AsyncSession

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///okrbot.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "okrbot_read_only"


# Which of the writer's queues a write waits in: before the ack, a request's, background.
_LANE: ContextVar[str] = ContextVar("okrbot_write_lane", default="request")


@contextmanager
def _in_lane(lane: str) -> Iterator[None]:
    token = _LANE.set(lane)
    try:
        yield
    finally:
        _LANE.reset(token)


def background() -> AbstractContextManager[None]:
    """Writes made in this block (and by the tasks it starts) wait for SQLite's writer behind
    those of people's requests: for work nobody is waiting on at this moment."""
    return _in_lane("background")


def writes_before_the_ack() -> Callable[[], None]:
    """From here on, this task's writes go in the lane of `before_the_ack()`, until the
    function returned is called: for a handler that writes before it answers, then goes on."""
    _LANE.set("ack")

    def acked() -> None:
        if _LANE.get() == "ack":
            _LANE.set("request")

    return acked


def before_the_ack() -> AbstractContextManager[None]:
    """Writes made in this block go ahead of every other waiting writer: a request cannot be
    acknowledged until they commit (its replay key), whereas a request's own work (a check-in
    stored after its modal closed) is already answered."""
    return _in_lane("ack")


# Requests let in one after another while background work waits, before one background writer
# goes: under a steady stream of requests the fan-out (and the renewal of its leases) slows
# down but never stops.
FOREGROUND_RUN = 8


class WriterQueue:
    """One writer at a time, as SQLite allows; waiting writes before an ack go first, then
    requests' other writes, then background work, each group in the order it came, but never
    more than FOREGROUND_RUN of the first two in a row while background work waits."""

    def __init__(self) -> None:
        self._busy = False
        self._run = 0  # requests let in in a row while background work waited
        self._ack: deque[asyncio.Future[None]] = deque()
        self._foreground: deque[asyncio.Future[None]] = deque()
        self._background: deque[asyncio.Future[None]] = deque()
        self._lanes = {"ack": self._ack, "request": self._foreground}

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        await self._acquire(_LANE.get())
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, lane: str) -> None:
        if not self._busy:
            self._busy = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._lanes.get(lane, self._background)
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # the turn came as the waiter was cancelled: pass it on
            elif waiter in queue:
                queue.remove(waiter)
            raise

    def _release(self) -> None:
        self._drop_cancelled()
        requests = self._ack or self._foreground
        if requests and not (self._background and self._run >= FOREGROUND_RUN):
            self._run = self._run + 1 if self._background else 0
            requests.popleft().set_result(None)  # handed over: still busy
        elif self._background:
            self._run = 0
            self._background.popleft().set_result(None)
        else:
            self._busy = False

    def _drop_cancelled(self) -> None:
        for queue in (self._ack, self._foreground, self._background):
            while queue and queue[0].done():
                queue.popleft()


class DatabaseURLError(ValueError):
    """The configured database URL names a backend okrbot does not run on."""


POOL_SIZE = 30


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def is_sqlite_memory(url: str) -> bool:
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def create_engine(
    url: str = DEFAULT_DATABASE_URL, reads_on_the_loop: bool = False, **kwargs: Any
) -> AsyncEngine:
    """`reads_on_the_loop`: a SQLite engine for read transactions only, whose connections run
    on the event loop's thread (storage/sqlite_reads.py)."""
    parsed = make_url(url)
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    # Statement parameters are people's notes and kudos: keep them out of logs and errors.
    kwargs.setdefault("hide_parameters", True)
    # Connections beyond the pool's size ("overflow") are opened for one checkout and closed
    # after it: under sustained load that is a new connection per request (on SQLite a new
    # thread, on PostgreSQL a login, a backend to fork and every statement prepared again).
    # So no overflow, and a pool as large as the old size plus overflow (20 + 10): the same
    # most connections per process, kept once opened; past them a request waits its turn.
    if not is_sqlite_memory(url):  # one connection, shared (StaticPool): no size to set
        kwargs.setdefault("pool_size", POOL_SIZE)
        kwargs.setdefault("max_overflow", 0)
    if (backend, driver) == ("sqlite", "aiosqlite"):
        # The pool's own reset (a ROLLBACK on every return) is a trip to the connection's
        # thread after each transaction that has already ended; _tune_sqlite rolls back only a
        # connection still in one.
        kwargs.setdefault("pool_reset_on_return", None)
        if reads_on_the_loop:
            kwargs["async_creator"] = connect_on_the_loop(parsed.database or "")
            busy = READ_BUSY_TIMEOUT_MS
        else:
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
            busy = SQLITE_BUSY_TIMEOUT_MS
        engine = create_async_engine(url, **kwargs)
        _tune_sqlite(engine, busy)
        return engine
    if (backend, driver) == ("postgresql", "asyncpg"):
        kwargs.setdefault("pool_pre_ping", True)
        # No statement or connection attempt may wait forever on a server that went away.
        # okrbot has a few hundred distinct statements: with asyncpg's default cache of 100
        # prepared statements per connection, the hot ones were prepared again and again.
        kwargs.setdefault(
            "connect_args",
            {"timeout": 5, "command_timeout": 15, "prepared_statement_cache_size": 1000},
        )
        kwargs.setdefault("pool_timeout", 10)
        engine = create_async_engine(url, **kwargs)
        _ping_in_one_trip(engine)
        return engine
    raise DatabaseURLError(
        f"OKRBOT_DATABASE_URL: {parsed.render_as_string(hide_password=True)!r} is not supported; "
        "use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB"
    )


def _ping_in_one_trip(engine: AsyncEngine) -> None:
    """The pool's ping before each checkout: SQLAlchemy's asyncpg ping wraps its `;` in a
    BEGIN and a ROLLBACK for pgbouncer's transaction mode, three round trips before every
    transaction; okrbot talks to PostgreSQL directly, so one does."""

    def do_ping(dbapi_connection: Any) -> bool:
        # The adapted connection turns a lost server into the DBAPI's error, which the pool
        # reads as "reconnect", exactly as for its own ping.
        try:
            await_only(dbapi_connection._connection.fetchrow(";"))
        except Exception as error:
            dbapi_connection._handle_exception(error)
        return True

    engine.dialect.do_ping = do_ping  # type: ignore[method-assign]


def _tune_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so the "begin" hook decides how to begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine.pool, "reset")
    def on_reset(dbapi_connection: Any, _record: Any, state: PoolResetState) -> None:
        # aiosqlite reads sqlite3's own flag without a trip to the connection's thread.
        if state.asyncio_safe and dbapi_connection.driver_connection.in_transaction:
            dbapi_connection.rollback()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def dialect_insert(session: AsyncSession) -> Any:
    """`insert` with ON CONFLICT support in the session's dialect (SQLite or PostgreSQL)."""
    name = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql.insert if name == "postgresql" else sqlite.insert


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


class Database:
    """One engine and its sessions: what every part of okrbot is handed to reach storage."""

    def __init__(self, url: str = DEFAULT_DATABASE_URL, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self._sessions = session_factory(self.engine)
        self._writers = WriterQueue()
        self._writer_loop: asyncio.AbstractEventLoop | None = None
        self._read_engine = self.engine
        if is_sqlite(url) and not is_sqlite_memory(url):
            self._read_engine = create_engine(url, reads_on_the_loop=True, **engine_kwargs)
        read_options: dict[str, Any] = {READ_ONLY: True}
        if is_postgres(url):
            # Reads need no BEGIN and COMMIT: under READ COMMITTED each statement sees its own
            # snapshot inside a transaction too, so autocommit reads see what they saw before,
            # at a third of the round trips. Same pool as the writes: no more connections.
            read_options["isolation_level"] = "AUTOCOMMIT"
        self._read_sessions = async_sessionmaker(
            self._read_engine.execution_options(**read_options), expire_on_commit=False
        )
        # Background work reads thousands of rows at a time (the due scan, a fan-out's plan):
        # on the loop's thread that would stall every request for as long, so on SQLite its
        # reads keep the writers' threaded connections (still without the write lock).
        self._background_read_sessions = self._read_sessions
        if self.is_sqlite and self._read_engine is not self.engine:
            self._background_read_sessions = async_sessionmaker(
                self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
            )
        # Called with a write session's `info` once its transaction has committed: how the
        # outbox learns that a row someone is waiting for can be sent now.
        self.after_commit: list[Callable[[Mapping[str, Any]], None]] = []

    @property
    def engines(self) -> tuple[AsyncEngine, ...]:
        """Every engine statements go through: on SQLite, writes' and reads' own."""
        if self._read_engine is self.engine:
            return (self.engine,)
        return (self.engine, self._read_engine)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits together at the end, or not at all."""
        if not self.is_sqlite:
            async with self._sessions() as session, session.begin():
                yield session
        else:
            # SQLite has one writer at a time. Queue this process's writers here, where waiting
            # costs nothing (and requests can go first), rather than in SQLite's busy handler,
            # which polls with sleeps; other processes still wait on the busy timeout.
            async with self._sqlite_writer().turn(), self._sessions() as session, session.begin():
                yield session
        for committed in self.after_commit:
            committed(session.info)

    def _sqlite_writer(self) -> WriterQueue:
        loop = asyncio.get_running_loop()
        if self._writer_loop is not loop:
            self._writers, self._writer_loop = WriterQueue(), loop
        return self._writers

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only; on SQLite it does not take the write lock."""
        background = _LANE.get() == "background"
        sessions = self._background_read_sessions if background else self._read_sessions
        async with sessions() as session, session.begin():
            yield session

    async def refresh_statistics(self, *tables: str) -> None:
        """Have PostgreSQL's planner count the rows a bulk import has just written.

        Until autovacuum gets round to these tables (a minute or more), the planner plans for
        the empty tables of before the import: the weekly prompt's own query then walked every
        objective of the quarter instead of the person's few key results, 25 times the work
        (10 ms a request instead of 0.4 ms), for every click and command. SQLite's planner
        does not need this; `tables` are the models' own names, never user input.
        """
        if self.is_sqlite or not tables:
            return
        quoted = ", ".join(f'"{table}"' for table in tables)
        async with self.engine.begin() as connection:
            await connection.execute(text(f"ANALYZE {quoted}"))

    async def upgrade(self) -> None:
        from okrbot.storage.migrate import upgrade

        await upgrade(self.engine)

    async def dispose(self) -> None:
        if self._read_engine is not self.engine:
            await self._read_engine.dispose()
        await self.engine.dispose()
