"""Everything okrbot shows on Slack passes slack_sdk's own Block Kit models and Slack's id rules.

One tour through every flow (prompts, the check-in modal and its summary, snooze, /okr and its
help, kudos by command and by modal, App Home, settings, a digest with several people still to
check in and its Nudge buttons, the reflection and the quarter summary) collects every message,
modal and Home view okrbot sent to Slack's Web API or answered in an HTTP reply. Each goes through
`Block.parse(...).validate_json()` / `View(...).validate_json()` and the uniqueness rules
(action_ids within a block, block_ids within a message or view); the demo's messages are checked
the same way in test_demo.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from okrbot.adapters.slack.blockkit_limits import (
    duplicate_id_problems,
    model_problems,
    view_model_problems,
)
from okrbot.adapters.slack.simulator import Reply
from okrbot.storage.db import Database
from tests.test_slack_e2e import (
    SlackWorld,
    _krs,
    add_other_team,
    checkin_as,
    slack_world,
    texts,
)

SENT_WITH_BLOCKS = ("chat.postMessage", "chat.update", "chat.postEphemeral")
SENT_WITH_VIEWS = ("views.open", "views.update", "views.publish")


def blocks_problems(blocks: list[Any]) -> list[str]:
    return duplicate_id_problems(blocks) + model_problems(blocks)


def view_problems(view: dict[str, Any]) -> list[str]:
    return view_model_problems(view) + blocks_problems(view.get("blocks") or [])


async def tour(world: SlackWorld) -> list[Reply]:
    """Every flow once; the HTTP replies, whose bodies are messages or views too."""
    replies: list[Reply] = []
    slack = world.slack
    await add_other_team(world)
    world.sandbox.add_channel("C0GENERAL")
    await world.send_prompts()
    await world.runtime.ticker.tick()  # the scheduler plans the week (and Friday's digest)
    for words in ("", "help", "dance", "checkin"):
        replies.append(await slack.command("U0ANA", "/okr", words))
    channel = world.sandbox.dm_channel("U0LI") or ""
    [li_prompt] = world.dm("U0LI")
    replies.append(await slack.click("U0LI", li_prompt, "checkin_snooze", channel))
    world.clock.set(datetime(2026, 11, 20, 14, 0, tzinfo=UTC))  # Friday: Mia's digest
    await world.runtime.ticker.tick()
    [digest] = [m for m in world.dm("U0MIA") if "Your team" in texts(m)]
    nudges = [e for b in digest["blocks"] for e in b.get("elements") or [] if "Nudge" in str(e)]
    assert len(nudges) >= 2  # Ana and Li are both still to check in
    mia = world.sandbox.dm_channel("U0MIA") or ""
    replies.append(await slack.click("U0MIA", digest, nudges[0]["action_id"], mia))
    await world.runtime.ticker.tick()
    await checkin_as(world, "U0ANA", "ana@example.com", "45", "Waiting on the design review")
    for words in ("help", "<@U0LI|li> thanks for the review #ownership", ""):
        replies.append(await slack.command("U0ANA", "/kudos", words, channel="C0GENERAL"))
    kudos_modal = world.last_modal()
    replies.append(
        await slack.submit("U0ANA", kudos_modal, {"kudos-to": ["U0LI"], "kudos-message": "Thanks"})
    )
    replies.append(await slack.open_home("U0ANA"))
    replies.append(
        await slack.click_in_view("U0ANA", world.sandbox.home_views["U0ANA"], "prefs_open")
    )
    replies.append(
        await slack.submit("U0ANA", world.last_modal(), {"prefs-day": "mon", "prefs-time": "09:30"})
    )
    world.clock.set(datetime(2026, 12, 27, 12, 0, tzinfo=UTC))
    await world.runtime.ticker.tick()
    world.clock.set(datetime(2026, 12, 28, 15, 30, tzinfo=UTC))  # last week: reflections
    await world.runtime.ticker.tick()
    [reflect] = [m for m in world.dm("U0ANA") if "Looking back on 2026-Q4" in texts(m)]
    ana = world.sandbox.dm_channel("U0ANA") or ""
    replies.append(await slack.click("U0ANA", reflect, "reflection_open", ana))
    activation, guide = [kr.id for kr in await _krs(world.database, "ana@example.com")]
    answers = {f"kr-{activation}-self": "0.6", f"kr-{guide}-self": "0.2", "went-well": "Flow"}
    replies.append(await slack.submit("U0ANA", world.last_modal(), answers))
    # Li never reflects: the quarter summary goes out as the reflection window closes.
    world.clock.set(datetime(2027, 1, 1, 14, 30, tzinfo=UTC))
    await world.runtime.ticker.tick()
    world.clock.set(datetime(2027, 1, 7, 14, 30, tzinfo=UTC))
    await world.runtime.ticker.tick()
    return replies


async def test_every_message_modal_and_home_view_passes_slacks_models(
    sqlite_database: Database,
) -> None:
    async with slack_world(sqlite_database) as world:
        replies = await tour(world)
        checked: dict[str, int] = {}
        for call in world.sandbox.calls:
            if call.method in SENT_WITH_BLOCKS and "blocks" in call.params:
                assert blocks_problems(call.params["blocks"]) == [], (call.method, call.params)
            elif call.method in SENT_WITH_VIEWS:
                assert view_problems(call.params["view"]) == [], call.params["view"]
            else:
                continue
            assert call.ok, (call.method, call.response)
            checked[call.method] = checked.get(call.method, 0) + 1
        for reply in replies:
            assert reply.status == 200, reply.body
            body = reply.json() or {}
            if "blocks" in body:
                assert blocks_problems(body["blocks"]) == [], body
                checked["reply"] = checked.get("reply", 0) + 1
            if "view" in body:
                assert view_problems(body["view"]) == [], body
                checked["reply view"] = checked.get("reply view", 0) + 1
        assert set(checked) == {
            "chat.postMessage",
            "chat.update",
            "views.open",
            "views.publish",
            "reply",
            "reply view",
        }, checked
        texts_sent = [texts(c.params) for c in world.sandbox.calls if "blocks" in c.params]
        for surface in ("Weekly check-in", "Your team", "Looking back", "Quarter summary"):
            assert any(surface in shown for shown in texts_sent), surface
