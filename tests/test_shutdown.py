"""A rolling restart loses nothing Slack was told had worked.

okrbot acks a check-in modal first and stores it right after (Slack gives it three seconds).
`okrbot serve` stopped with SIGTERM the moment the last modal closed must still store every one
of those check-ins and send each person their summary before it exits, whether the modals came
over HTTP or over a Socket Mode connection (closed first on SIGTERM).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from okrbot.storage.models import CheckInRow
from tests.test_faults import (
    open_checkin_modals,
    serving_slack,
    sqlite_copy,
    stop,
    submit_checkins,
)

PEOPLE = 80


@pytest.mark.slow
@pytest.mark.parametrize("socket_mode", [False, True], ids=["http", "socket_mode"])
async def test_sigterm_right_after_a_burst_of_check_ins_stores_every_one(
    sqlite_template: Path, tmp_path: Path, socket_mode: bool
) -> None:
    database = sqlite_copy(sqlite_template, tmp_path)
    async with serving_slack(database, PEOPLE, socket_mode=socket_mode) as (serve, slack, sandbox):
        modals = await open_checkin_modals(slack, sandbox, PEOPLE)
        replies = await submit_checkins(slack, modals, "at_risk")
        stderr = await stop(serve)  # SIGTERM the moment the last modal closed
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
