"""A rolling restart loses nothing Slack was told had worked.

okrbot acks a check-in modal first and stores it right after (Slack gives it three seconds).
`okrbot serve` stopped with SIGTERM the moment the last modal closed must still store every one
of those check-ins and send each person their summary before it exits.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from okrbot.adapters.slack.sandbox import SlackSandbox
from okrbot.adapters.slack.simulator import SlackSimulator
from okrbot.storage.models import CheckInRow
from tests.test_faults import (
    SECRET,
    Serve,
    open_checkin_modals,
    seed,
    slack_id,
    sqlite_copy,
    start_serve,
    stop,
    submit_checkins,
    wait_for,
)

PEOPLE = 80


async def healthy(serve: Serve) -> bool:
    try:
        async with (
            aiohttp.ClientSession() as client,
            client.get(f"http://127.0.0.1:{serve.port}/healthz") as response,
        ):
            return response.status == 200
    except aiohttp.ClientError:
        return False


@pytest.mark.slow
async def test_sigterm_right_after_a_burst_of_check_ins_stores_every_one(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database = sqlite_copy(sqlite_template, tmp_path)
    # Nobody is due a prompt: the only traffic is the people checking in.
    await seed(database, PEOPLE, datetime.now(UTC) + timedelta(days=30))
    async with SlackSandbox() as sandbox:
        for n in range(1, PEOPLE + 1):
            sandbox.add_user(slack_id(n), f"p{n}", f"p{n}@example.com")
        serve = start_serve(database.url, sandbox.url)
        slack = SlackSimulator(f"http://127.0.0.1:{serve.port}/slack/events", SECRET, sandbox)
        try:
            await wait_for(lambda: healthy(serve), 60, "okrbot serve healthy")
            modals = await open_checkin_modals(slack, sandbox, PEOPLE)
            replies = await submit_checkins(slack, modals, "at_risk")
            stderr = await stop(serve)  # SIGTERM the moment the last modal closed
        finally:
            if serve.poll() is None:
                serve.kill()
            await slack.close()
    assert [(reply.status, reply.body) for reply in replies] == [(200, "")] * PEOPLE
    assert serve.returncode == 0, stderr
    async with database.reading() as session:
        stored = await session.scalar(select(func.count()).select_from(CheckInRow))
    assert stored == PEOPLE
    summaries = {
        call.params["channel"]
        for call in sandbox.calls_to("chat.postMessage")
        if call.ok and "at risk" in str(call.params.get("blocks", "")).lower()
    }
    assert len(summaries) == PEOPLE  # everyone saw what was recorded
    await database.dispose()
