"""Two real sender processes on one PostgreSQL database deliver every prompt exactly once,
also when one of them is killed with SIGKILL in the middle of the fan-out."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from okrbot.adapters.slack.sandbox import SlackSandbox
from okrbot.storage.db import Database
from okrbot.storage.models import DeliveryRow
from tests.test_faults import prompt_statuses, seed, slack_id, start_serve, stop

pytestmark = pytest.mark.postgres

PEOPLE = 500


async def all_sent(database: Database) -> bool:
    return await prompt_statuses(database) == {"sent": PEOPLE}


async def test_two_replicas_deliver_each_prompt_once_even_when_one_is_killed(
    postgres_database: Database,
) -> None:
    await seed(postgres_database, PEOPLE, datetime.now(UTC) - timedelta(seconds=1))
    sandbox = SlackSandbox()
    for n in range(1, PEOPLE + 1):
        sandbox.add_user(slack_id(n), f"p{n}", f"p{n}@example.com")
    await sandbox.start()
    victim = start_serve(postgres_database.url, sandbox.url)
    survivor = start_serve(postgres_database.url, sandbox.url)
    try:
        async with asyncio.timeout(60):
            # Polls a counter that other processes drive; there is no event to wait on.
            while len(sandbox.calls_to("chat.postMessage")) < PEOPLE // 4:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        victim.send_signal(signal.SIGKILL)
        await asyncio.to_thread(victim.wait)
        killed_at = len(sandbox.calls_to("chat.postMessage"))
        async with asyncio.timeout(60):
            while not await all_sent(postgres_database):  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        survivor_log = await stop(survivor)
    finally:
        for process in (victim, survivor):
            if process.poll() is None:
                process.kill()
        await sandbox.stop()
    assert victim.returncode == -signal.SIGKILL
    assert survivor.returncode == 0, survivor_log
    assert killed_at < PEOPLE  # the kill really happened mid-run
    posts = [call for call in sandbox.calls_to("chat.postMessage") if call.ok]
    per_person = Counter(call.params["channel"] for call in posts)
    assert len(per_person) == PEOPLE  # nobody lost
    assert max(per_person.values()) == 1  # nobody doubled
    async with postgres_database.reading() as session:
        statuses = Counter(
            await session.scalars(select(DeliveryRow.status).where(DeliveryRow.kind == "prompt"))
        )
    assert statuses == {"sent": PEOPLE}
