"""What every request pays for before its own work: recording that it came (once, even when
many arrive together) and finding who sent it (remembered briefly, never past a change)."""

from __future__ import annotations

import asyncio
import gc
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text, update

from okrbot.bot.domain import Weekday
from okrbot.cli.serve import keep_out_of_full_collections
from okrbot.storage.db import POOL_SIZE, Database, background
from okrbot.storage.events import first_time
from okrbot.storage.models import InboundEventRow, PersonRow
from okrbot.storage.people import get_person_by_slack_id, save_checkin_settings
from okrbot.storage.recent_people import RecentPeople
from okrbot.storage.sqlite_reads import OnTheLoop

NOW = datetime(2026, 11, 16, 9, tzinfo=UTC)


class FakeSeconds:
    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


async def test_keys_arriving_together_are_written_in_one_transaction(database: Database) -> None:
    commits = []
    event.listen(database.engine.sync_engine, "commit", lambda _conn: commits.append(1))
    keys = [f"slack:signature:v0={n}" for n in range(40)] + ["slack:signature:v0=7"]
    answers = await asyncio.gather(*(first_time(database, key, NOW) for key in keys))
    # Each distinct key is new exactly once, the repeat of v0=7 in the same batch is not.
    assert answers == [True] * 40 + [False]
    assert len(commits) <= 2  # the first key alone, then everyone who came meanwhile
    assert not await first_time(database, "slack:signature:v0=3", NOW)
    async with database.reading() as session:
        assert await session.scalar(select(func.count()).select_from(InboundEventRow)) == 40


async def test_a_failed_batch_fails_every_request_in_it(tmp_path: Path) -> None:
    broken = Database(f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.db'}")  # no table
    results = await asyncio.gather(
        *(first_time(broken, f"slack:signature:{n}", NOW) for n in range(5)),
        return_exceptions=True,
    )
    assert all(isinstance(result, Exception) for result in results)
    await broken.dispose()


async def _ana(database: Database) -> int:
    async with database.transaction() as session:
        row = PersonRow(email="ana@example.com", name="Ana", slack_user_id="U0ANA")
        session.add(row)
        await session.flush()
        return row.id


async def _look_up(database: Database, recent: RecentPeople, user: str) -> str | None:
    person = recent.get(user)
    if person is None:
        generation = recent.generation
        async with database.reading() as session:
            person = await get_person_by_slack_id(session, user)
        if person is not None:
            recent.keep(user, person, generation)
    return person.timezone if person else None


async def test_a_change_this_process_commits_is_seen_at_once(database: Database) -> None:
    ana = await _ana(database)
    recent = RecentPeople(database, now=FakeSeconds())
    assert await _look_up(database, recent, "U0ANA") is None
    async with database.transaction() as session:
        await session.execute(
            update(PersonRow).where(PersonRow.id == ana).values(timezone="Asia/Tokyo")
        )
    assert await _look_up(database, recent, "U0ANA") == "Asia/Tokyo"
    async with database.transaction() as session:
        await save_checkin_settings(session, ana, Weekday(1), NOW.time(), None)
        session.add(PersonRow(email="li@example.com", name="Li"))
    assert recent.get("U0ANA") is None


async def test_another_process_s_change_is_seen_within_the_memory_s_seconds(
    database: Database,
) -> None:
    ana = await _ana(database)
    seconds = FakeSeconds()
    recent = RecentPeople(database, seconds=30, now=seconds)
    await _look_up(database, recent, "U0ANA")
    elsewhere = Database(database.url)  # another process: its writes are not watched here
    async with elsewhere.transaction() as session:
        await session.execute(
            update(PersonRow).where(PersonRow.id == ana).values(timezone="Europe/Lisbon")
        )
    await elsewhere.dispose()
    seconds.at += 29
    assert await _look_up(database, recent, "U0ANA") is None
    seconds.at += 2
    assert await _look_up(database, recent, "U0ANA") == "Europe/Lisbon"


async def test_a_lookup_that_raced_a_write_is_not_remembered(database: Database) -> None:
    ana = await _ana(database)
    recent = RecentPeople(database, now=FakeSeconds())
    generation = recent.generation
    async with database.reading() as session:
        before = await get_person_by_slack_id(session, "U0ANA")
    async with database.transaction() as session:
        await session.execute(
            update(PersonRow).where(PersonRow.id == ana).values(timezone="Asia/Tokyo")
        )
    assert before is not None
    recent.keep("U0ANA", before, generation)  # read before the write committed: stale
    assert recent.get("U0ANA") is None
    assert await _look_up(database, recent, "U0ANA") == "Asia/Tokyo"


async def test_nothing_is_remembered_while_a_write_to_people_is_uncommitted(
    database: Database,
) -> None:
    ana = await _ana(database)
    recent = RecentPeople(database, now=FakeSeconds())
    async with database.transaction() as session:
        await session.execute(
            update(PersonRow).where(PersonRow.id == ana).values(timezone="Asia/Tokyo")
        )
        async with database.reading() as reader:
            old = await get_person_by_slack_id(reader, "U0ANA")
        assert old is not None and old.timezone is None
        recent.keep("U0ANA", old, recent.generation)
        assert recent.get("U0ANA") is None
    assert await _look_up(database, recent, "U0ANA") == "Asia/Tokyo"


async def test_sqlite_reads_take_no_thread_and_never_wait_for_a_writer(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'okrbot.db'}")
    await database.upgrade()
    await _ana(database)  # the writer's connection (and its thread) exists from here
    threads = threading.active_count()
    async with database.transaction() as session:  # holds SQLite's write lock meanwhile
        session.add(PersonRow(email="li@example.com", name="Li"))
        await session.flush()
        for _ in range(3):
            async with database.reading() as reader:
                # Answered at once from the last commit, not after the writer's turn.
                count = await reader.scalar(select(func.count()).select_from(PersonRow))
            assert count == 1
    async with database.reading() as reader:
        assert await reader.scalar(select(func.count()).select_from(PersonRow)) == 2
    assert threading.active_count() == threads
    await database.dispose()


async def test_background_work_reads_sqlite_off_the_event_loop(tmp_path: Path) -> None:
    """The scheduler's scans read thousands of rows: on the loop's thread they would stall
    every request for as long, so they read through aiosqlite's threads; requests do not."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'okrbot.db'}")
    await database.upgrade()
    await _ana(database)

    async def read_on_the_loop() -> bool:
        async with database.reading() as reader:
            assert await reader.scalar(select(func.count()).select_from(PersonRow)) == 1
            raw = await (await reader.connection()).get_raw_connection()
            return isinstance(raw.driver_connection, OnTheLoop)

    assert await read_on_the_loop()
    with background():
        assert not await read_on_the_loop()
    await database.dispose()


async def _sessions_of_this_database(database: Database) -> list[int]:
    async with database.reading() as session:
        return list(
            (
                await session.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
            ).scalars()
        )


@pytest.mark.postgres
async def test_postgres_reads_autocommit_and_see_every_committed_write(
    postgres_database: Database,
) -> None:
    database = postgres_database
    # Reads take the writes' pool: autocommit costs no connections of its own.
    assert database.engines == (database.engine,)
    async with database.reading() as session:
        # Each statement of a read is its own transaction: nothing to BEGIN or end around it.
        first = await session.scalar(text("SELECT pg_current_xact_id()::text"))
        second = await session.scalar(text("SELECT pg_current_xact_id()::text"))
        assert first != second
    async with database.transaction() as session:
        first = await session.scalar(text("SELECT pg_current_xact_id()::text"))
        second = await session.scalar(text("SELECT pg_current_xact_id()::text"))
        assert first == second
    assert await first_time(database, "slack:signature:v0=read", NOW)
    async with database.reading() as session:
        stored = await session.scalar(select(func.count()).select_from(InboundEventRow))
    assert stored == 1


@pytest.mark.postgres
async def test_postgres_connections_killed_under_the_pool_are_replaced_unnoticed(
    postgres_database: Database,
) -> None:
    database = postgres_database
    assert await first_time(database, "slack:signature:v0=before", NOW)
    pids = await _sessions_of_this_database(database)
    async with database.reading() as session:
        for pid in pids:
            await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    # What the pool holds is dead now, read and write connections alike: the ping before
    # each checkout finds out and opens new ones, and nobody sees an error.
    assert await first_time(database, "slack:signature:v0=after", NOW)
    async with database.reading() as session:
        stored = await session.scalar(select(func.count()).select_from(InboundEventRow))
    assert stored == 2


async def test_a_busy_process_logs_in_once_per_connection_not_per_request(
    database: Database,
) -> None:
    """More requests at once than the pool holds: they take turns on the pooled connections.
    Connections opened for one request and closed after it (the pool's "overflow") cost a
    login, a backend and every prepared statement again, on each request while load lasts."""
    opened = 0

    def count(*_: object) -> None:
        nonlocal opened
        opened += 1

    for engine in database.engines:
        event.listen(engine.sync_engine, "connect", count)

    async def request(n: int) -> int:
        async with database.reading() as session:
            found = await session.scalar(select(func.count()).select_from(PersonRow))
            await asyncio.sleep(0)  # hold the connection across a turn of the loop
        return int(found or 0) + n

    for _ in range(3):
        answers = await asyncio.gather(*(request(n) for n in range(2 * POOL_SIZE)))
        assert answers == list(range(2 * POOL_SIZE))
    assert opened <= POOL_SIZE


def test_serve_moves_what_startup_built_out_of_full_collections() -> None:
    """Full collections walked everything startup built and stalled the loop for 130-220 ms
    under load; frozen, they walk only what requests create."""
    gc.unfreeze()
    try:
        keep_out_of_full_collections()
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
