"""Engines and sessions for SQLite (the embedded default) and PostgreSQL.

SQLite is tuned for a bot that several coroutines and processes write to at once: WAL so readers
never block the writer, `synchronous=NORMAL` (durable across application crashes, fast enough for
a chat bot), a busy timeout, foreign keys on, and write transactions opened with `BEGIN IMMEDIATE`
so that two writers queue on the busy timeout instead of one failing with "database is locked"
when it upgrades a read lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# What repository functions take: callers outside storage name the type through here, so that
# SQLAlchemy stays storage's own business.
Session: TypeAlias = AsyncSession

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///okrbot.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "okrbot_read_only"


class DatabaseURLError(ValueError):
    """The configured database URL names a backend okrbot does not run on."""


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def create_engine(url: str = DEFAULT_DATABASE_URL, **kwargs: Any) -> AsyncEngine:
    parsed = make_url(url)
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    # Statement parameters are people's notes and kudos: keep them out of logs and errors.
    kwargs.setdefault("hide_parameters", True)
    if (backend, driver) == ("sqlite", "aiosqlite"):
        engine = create_async_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        _tune_sqlite(engine)
        return engine
    if (backend, driver) == ("postgresql", "asyncpg"):
        kwargs.setdefault("pool_pre_ping", True)
        # No statement or connection attempt may wait forever on a server that went away.
        kwargs.setdefault("connect_args", {"timeout": 5, "command_timeout": 15})
        kwargs.setdefault("pool_timeout", 10)
        return create_async_engine(url, **kwargs)
    raise DatabaseURLError(
        f"OKRBOT_DATABASE_URL: {parsed.render_as_string(hide_password=True)!r} is not supported; "
        "use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB"
    )


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so the "begin" hook decides how to begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

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
        self._writer_lock = asyncio.Lock()
        self._writer_loop: asyncio.AbstractEventLoop | None = None
        self._read_sessions = async_sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )
        # Called with a write session's `info` once its transaction has committed: how the
        # outbox learns that a row someone is waiting for can be sent now.
        self.after_commit: list[Callable[[Mapping[str, Any]], None]] = []

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
            # costs nothing, rather than in SQLite's busy handler, which polls with sleeps;
            # other processes still wait on the busy timeout.
            async with self._sqlite_writer(), self._sessions() as session, session.begin():
                yield session
        for committed in self.after_commit:
            committed(session.info)

    def _sqlite_writer(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._writer_loop is not loop:
            self._writer_lock, self._writer_loop = asyncio.Lock(), loop
        return self._writer_lock

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only; on SQLite it does not take the write lock."""
        async with self._read_sessions() as session, session.begin():
            yield session

    async def upgrade(self) -> None:
        from okrbot.storage.migrate import upgrade

        await upgrade(self.engine)

    async def dispose(self) -> None:
        await self.engine.dispose()
