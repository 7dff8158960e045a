"""Inbound platform events already handled: a platform's retry must never act twice."""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import weakref
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from okrbot.storage.db import Database, before_the_ack, dialect_insert
from okrbot.storage.models import InboundEventRow


def stored_key(key: str) -> str:
    """The row id for `key`: its platform prefix, then the SHA-256 of the whole key.

    Keys are built from platform ids of any length (a Teams personal conversation id alone is
    about 130 characters); cutting them to the column's 128 made every later activity of a
    chat look like a retry of the first. The digest keeps each key distinct at a fixed length.
    """
    prefix, _, _ = key.partition(":")
    return f"{prefix[:32]}:{hashlib.sha256(key.encode('utf-8')).hexdigest()}"


# Keys recorded in one transaction at most; far below SQLite's limit on bound parameters.
BATCH = 500


async def first_time(database: Database, key: str, now: datetime) -> bool:
    """Record `key`; True only the first time it is seen.

    Every signed Slack request and every Teams activity records one key before anything else
    happens, so under load these writes are most of the writes a request makes. Keys that
    arrive while one batch is being written go together in the next: one transaction (and one
    turn of SQLite's single writer, one commit on PostgreSQL) for all of them, each caller
    still told whether its own key was new only once it is stored.
    """
    return await _recorder(database).record(stored_key(key), now)


class _Recorder:
    """Group commit of first-time keys for one database, on one event loop."""

    def __init__(self, database: Database, loop: asyncio.AbstractEventLoop) -> None:
        self.database = database
        self.loop = loop
        self._waiting: dict[str, tuple[datetime, list[asyncio.Future[bool]]]] = {}
        self._writer: asyncio.Task[None] | None = None

    async def record(self, stored: str, now: datetime) -> bool:
        answer: asyncio.Future[bool] = self.loop.create_future()
        self._waiting.setdefault(stored, (now, []))[1].append(answer)
        if self._writer is None:
            # A fresh context: the keys of people's requests are not background work, whoever
            # happened to start the batch.
            self._writer = self.loop.create_task(self._write_all(), context=contextvars.Context())
        return await answer

    async def _write_all(self) -> None:
        batch: dict[str, tuple[datetime, list[asyncio.Future[bool]]]] = {}
        try:
            with before_the_ack():
                while self._waiting:
                    batch = dict(list(self._waiting.items())[:BATCH])
                    for stored in batch:
                        del self._waiting[stored]
                    await self._write(batch)
        except BaseException:  # cancelled with the loop: nobody may wait for ever
            for _, answers in [*batch.values(), *self._waiting.values()]:
                for answer in answers:
                    answer.cancel()
            self._waiting.clear()
            raise
        finally:
            self._writer = None

    async def _write(self, batch: dict[str, tuple[datetime, list[asyncio.Future[bool]]]]) -> None:
        try:
            async with self.database.transaction() as session:
                insert = dialect_insert(session)
                result = await session.execute(
                    insert(InboundEventRow)
                    .values(
                        [{"id": stored, "received_at": now} for stored, (now, _) in batch.items()]
                    )
                    .on_conflict_do_nothing(index_elements=["id"])
                    .returning(InboundEventRow.id)
                )
                new = set(result.scalars())
        except Exception as error:  # every caller of this batch hears of it, as before
            for _, answers in batch.values():
                for answer in answers:
                    if not answer.done():
                        answer.set_exception(error)
            return
        for stored, (_, answers) in batch.items():
            for position, answer in enumerate(answers):
                if not answer.done():
                    answer.set_result(position == 0 and stored in new)


_RECORDERS: weakref.WeakKeyDictionary[Database, _Recorder] = weakref.WeakKeyDictionary()


def _recorder(database: Database) -> _Recorder:
    loop = asyncio.get_running_loop()
    recorder = _RECORDERS.get(database)
    if recorder is None or recorder.loop is not loop:
        recorder = _RECORDERS[database] = _Recorder(database, loop)
    return recorder


async def first_time_in(session: AsyncSession, key: str, now: datetime) -> bool:
    """Record `key` in `session`'s transaction, so that it is seen only if the work done with
    it commits too; True only the first time. A concurrent transaction recording the same key
    waits for this one, then sees it."""
    insert = dialect_insert(session)
    result = await session.execute(
        insert(InboundEventRow)
        .values(id=stored_key(key), received_at=now)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(InboundEventRow.id)
    )
    return result.first() is not None


async def seen_in(session: AsyncSession, key: str) -> bool:
    """Whether `key` was recorded (and committed, or recorded in `session`)."""
    return await session.get(InboundEventRow, stored_key(key)) is not None


async def forget(database: Database, key: str) -> None:
    """Unrecord `key`: what it stood for failed, so that trying again must act."""
    async with database.transaction() as session:
        await session.execute(delete(InboundEventRow).where(InboundEventRow.id == stored_key(key)))


async def forget_before(database: Database, moment: datetime) -> int:
    """Drop the events recorded before `moment` (platforms retry within minutes); how many."""
    async with database.transaction() as session:
        result = await session.execute(
            delete(InboundEventRow).where(InboundEventRow.received_at < moment)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
