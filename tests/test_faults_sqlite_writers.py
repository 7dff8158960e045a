"""Many writers on one SQLite file: 50 people check in at the same moment on one okrbot server
while another process (`okrbot serve`, ticking every 0.2 s) fans prompts out to 300 others and
records each delivery in the same file.

Nobody sees "database is locked" or an error: every submission closes its modal, and all 50
check-ins are stored.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from okrbot.adapters.slack.sandbox import SlackSandbox
from okrbot.adapters.slack.simulator import SlackSimulator
from okrbot.cli.runtime import build_runtime
from okrbot.storage.models import CheckInRow
from tests.test_faults import (
    SECRET,
    open_checkin_modals,
    posts_per_channel,
    prompt_statuses,
    seed,
    slack_id,
    sqlite_copy,
    start_serve,
    stop,
    submit_checkins,
    wait_for,
)
from tests.world import serving, slack_settings

SUBMITTERS = 50
FANNED_OUT = 300


@pytest.mark.slow
async def test_fifty_check_ins_while_another_process_fans_out(
    sqlite_template: Path, tmp_path: Path
) -> None:
    people = SUBMITTERS + FANNED_OUT
    database = sqlite_copy(sqlite_template, tmp_path)
    # Everyone has a prompt due: the other process sends them all, writing as it goes.
    await seed(database, people, datetime.now(UTC) - timedelta(seconds=1))
    async with SlackSandbox() as sandbox:
        for n in range(1, people + 1):
            sandbox.add_user(slack_id(n), f"p{n}", f"p{n}@example.com")
        settings = slack_settings(database, sandbox, SECRET)
        runtime = await build_runtime(settings, database=database, migrate=False)
        async with serving(runtime) as root:
            url = f"{root}/slack/events"
            slack = SlackSimulator(url, SECRET, sandbox)
            other = None
            try:
                modals = await open_checkin_modals(slack, sandbox, SUBMITTERS)
                other = start_serve(database.url, sandbox.url, OKRBOT_TICK_SECONDS="0.2")
                await wait_for(lambda: len(sandbox.calls_to("chat.postMessage")) > 0, 30, "fan-out")
                replies = await submit_checkins(slack, modals)
                fanning = len(posts_per_channel(sandbox)) < people  # still going at the end
                await wait_for(lambda: _all_sent(database, people), 120, "every prompt sent")
                stderr = await stop(other)
            finally:
                if other is not None and other.poll() is None:
                    other.kill()
                await slack.close()
        await runtime.close()
    assert [(r.status, r.body) for r in replies] == [(200, "")] * SUBMITTERS  # modals close
    assert fanning or len(posts_per_channel(sandbox)) == people
    async with database.reading() as session:
        stored = await session.scalar(select(func.count()).select_from(CheckInRow))
    assert stored == SUBMITTERS
    said = " ".join(str(call.params) for call in sandbox.calls)
    assert "locked" not in said and "went wrong" not in said
    assert "database is locked" not in stderr and other.returncode == 0, stderr
    await database.dispose()


async def _all_sent(database: object, people: int) -> bool:
    return await prompt_statuses(database) == {"sent": people}  # type: ignore[arg-type]
