"""What a person's action causes goes out at once, not at the scheduler's next tick.

`/kudos` in a real `okrbot serve` ticking once a minute: its first tick is over (nothing is due)
by the time the server answers its health check, so the public post and the recipient's DM can
only arrive before the next tick, a minute later, if enqueuing them woke the sender. The server
runs on the wall clock, so its working hours are the whole week (a kudos DM waits for them).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from okrbot.storage.models import DeliveryRow
from tests.test_faults import serving_slack, slack_id, sqlite_copy, stop, wait_for

GENERAL = "C0GENERAL"
# Well under the minute between ticks, and far above the two seconds aimed at.
WITHIN = 20


async def test_a_kudos_post_and_its_dm_go_out_without_waiting_for_the_tick(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database = sqlite_copy(sqlite_template, tmp_path)
    always = {"OKRBOT_WORK_START": "00:00", "OKRBOT_WORK_END": "24:00"}
    always["OKRBOT_WORK_DAYS"] = "mon-sun"
    async with serving_slack(database, 2, OKRBOT_TICK_SECONDS="60", **always) as (
        serve,
        slack,
        sandbox,
    ):
        sandbox.add_channel(GENERAL)
        giver, recipient = slack_id(1), slack_id(2)
        reply = await slack.command(giver, "/kudos", f"<@{recipient}|p2> thanks!", channel=GENERAL)
        assert reply.status == 200 and "Kudos sent to P 2" in reply.body

        def both_arrived() -> bool:
            return bool(sandbox.messages_in(GENERAL) and sandbox.messages_in(recipient))

        await wait_for(both_arrived, WITHIN, "the kudos post and DM before the next tick")
        stderr = await stop(serve)
    assert serve.returncode == 0, stderr
    [post] = sandbox.messages_in(GENERAL)
    assert "thanks!" in str(post["blocks"])
    [dm] = sandbox.messages_in(recipient)
    assert "recognised you" in str(dm["blocks"])
    async with database.reading() as session:
        sent = (await session.execute(select(DeliveryRow.kind, DeliveryRow.status))).all()
    assert sorted(sent) == [("kudos_dm", "sent"), ("kudos_post", "sent")]
    await database.dispose()
