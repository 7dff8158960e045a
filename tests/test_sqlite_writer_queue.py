"""SQLite has one writer; in one process, people's requests take it before background work (the
scheduler's fan-out), so a click does not wait behind a weekly fan-out's writes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from sqlalchemy import text

from okrbot.storage.db import FOREGROUND_RUN, Database, WriterQueue, background, before_the_ack


async def _take_turn(
    queue: WriterQueue,
    name: str,
    order: list[str],
    lane: Callable[[], AbstractContextManager[None]] = nullcontext,
) -> None:
    """A write in `lane` (a request's, unless `background` or `before_the_ack`)."""
    with lane():
        async with queue.turn():
            order.append(name)


async def test_a_waiting_request_writes_before_waiting_background_work() -> None:
    queue = WriterQueue()
    order: list[str] = []
    async with queue.turn():
        waiting = [
            asyncio.create_task(_take_turn(queue, "fan-out 1", order, background)),
            asyncio.create_task(_take_turn(queue, "fan-out 2", order, background)),
            asyncio.create_task(_take_turn(queue, "click", order)),
            asyncio.create_task(_take_turn(queue, "check-in", order)),
        ]
        await asyncio.sleep(0)  # every task is now waiting for the turn
        assert order == []
    await asyncio.gather(*waiting)
    assert order == ["click", "check-in", "fan-out 1", "fan-out 2"]


async def test_a_writer_cancelled_while_waiting_does_not_hold_up_the_others() -> None:
    queue = WriterQueue()
    order: list[str] = []
    async with queue.turn():
        cancelled = asyncio.create_task(_take_turn(queue, "gone", order))
        later = asyncio.create_task(_take_turn(queue, "fan-out", order, background))
        await asyncio.sleep(0)
        cancelled.cancel()
        await asyncio.sleep(0)
    await asyncio.wait_for(later, 1)
    assert order == ["fan-out"]
    assert cancelled.cancelled()
    async with queue.turn():  # and the writer is free again
        order.append("next")
    assert order == ["fan-out", "next"]


async def test_background_writes_to_sqlite_still_commit(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    try:
        async with database.transaction() as session:
            await session.execute(text("CREATE TABLE t (n INTEGER)"))

        async def write(n: int, is_background: bool) -> None:
            if is_background:
                with background():
                    async with database.transaction() as session:
                        await session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
            else:
                async with database.transaction() as session:
                    await session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})

        await asyncio.gather(*(write(n, n % 2 == 0) for n in range(20)))
        async with database.reading() as session:
            stored = sorted((await session.execute(text("SELECT n FROM t"))).scalars())
        assert stored == list(range(20))
    finally:
        await database.dispose()


async def test_a_stream_of_requests_never_stops_background_work() -> None:
    """Requests go first, but a fan-out waiting behind a steady stream of them (and the renewal
    of its leases) gets the writer after every FOREGROUND_RUN requests."""
    queue = WriterQueue()
    order: list[str] = []
    async with queue.turn():
        waiting = [asyncio.create_task(_take_turn(queue, "fan-out", order, background))]
        waiting += [asyncio.create_task(_take_turn(queue, f"click {n}", order)) for n in range(20)]
        await asyncio.sleep(0)
    await asyncio.gather(*waiting)
    assert order.index("fan-out") == FOREGROUND_RUN
    assert order[:FOREGROUND_RUN] == [f"click {n}" for n in range(FOREGROUND_RUN)]
    assert len(order) == 21


async def test_a_replay_key_an_ack_waits_for_goes_before_other_waiting_writes() -> None:
    """A click's replay key must commit before the click is acknowledged; a check-in stored
    after its modal closed has had its answer already, so it waits."""
    queue = WriterQueue()
    order: list[str] = []

    async with queue.turn():
        waiting = [
            asyncio.create_task(_take_turn(queue, "fan-out", order, background)),
            asyncio.create_task(_take_turn(queue, "check-in", order)),
            asyncio.create_task(_take_turn(queue, "click's key", order, before_the_ack)),
        ]
        await asyncio.sleep(0)
    await asyncio.gather(*waiting)
    assert order == ["click's key", "check-in", "fan-out"]


async def test_replay_keys_do_not_stop_background_work_either() -> None:
    queue = WriterQueue()
    order: list[str] = []

    async with queue.turn():
        waiting = [asyncio.create_task(_take_turn(queue, "fan-out", order, background))]
        waiting += [
            asyncio.create_task(_take_turn(queue, f"key {n}", order, before_the_ack))
            for n in range(20)
        ]
        await asyncio.sleep(0)
    await asyncio.gather(*waiting)
    assert order.index("fan-out") == FOREGROUND_RUN
