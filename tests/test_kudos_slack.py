"""Kudos on Slack, end to end: /kudos, its modal and the check-in's recognition, through the real
Bolt app over signed HTTP, with the public post and DMs sent by the outbox into the sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from okrbot.adapters.slack.kudos import where_posted
from okrbot.adapters.slack.sandbox import SlackSandbox
from okrbot.adapters.slack.simulator import SlackSimulator
from okrbot.bot.clock import FakeClock
from okrbot.bot.kudos import has_broadcast
from okrbot.cli.runtime import Runtime, build_runtime
from okrbot.storage.db import Database
from okrbot.storage.models import CheckInRow, DeliveryRow, KudosRow, PersonRow
from tests.test_import_okrs import cli
from tests.world import MONDAY, Seed, serving, slack_settings

SECRET = "test-signing-secret"
# 10:00 UTC is 05:00 for Ana in New York: her day ends 19 hours later.
GENERAL = "C0GENERAL"
KUDOS = "C0KUDOS"


@dataclass
class World:
    runtime: Runtime
    sandbox: SlackSandbox
    slack: SlackSimulator
    clock: FakeClock
    database: Database

    async def deliver(self) -> int:
        sent = 0
        while count := await self.runtime.outbox.deliver_due(self.runtime.courier):
            sent += count
        return sent

    async def kudos(self, text: str, user: str = "U0ANA", channel: str = GENERAL) -> str:
        reply = await self.slack.command(user, "/kudos", text, channel=channel)
        assert reply.status == 200, reply.body
        body = reply.json()
        return body.get("text", "") + "\n" + texts(body)


def texts(message: dict[str, Any]) -> str:
    parts = []
    for block in message.get("blocks") or []:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        for element in block.get("elements") or []:
            if isinstance(element.get("text"), str):
                parts.append(element["text"])
            elif isinstance(element.get("text"), dict):
                parts.append(element["text"]["text"])
    return "\n".join(parts)


async def seed(database: Database) -> int:
    ids = await (
        Seed()
        .person(
            "ana",
            "ana@example.com",
            "Ana Lima",
            timezone="America/New_York",
            slack_user_id="U0ANA",
        )
        .person("li", "li@example.com", "Li Wei", timezone="Asia/Shanghai")
        .person("mia", "mia@example.com", "Mia Boss", slack_user_id="U0MIA")
        .onboarding("mine", owner="ana")
        .activation("activation", objective="mine", owner="ana")
        .write(database)
    )
    return ids["activation"]


async def start(database: Database, **overrides: Any) -> AsyncIterator[World]:
    sandbox = SlackSandbox()
    await sandbox.start()
    sandbox.add_user("U0ANA", "ana", "ana@example.com", tz="America/New_York", real_name="Ana Lima")
    sandbox.add_user("U0LI", "li", "li@example.com", tz="Asia/Shanghai", real_name="Li Wei")
    sandbox.add_user("U0MIA", "mia", "mia@example.com", real_name="Mia Boss")
    sandbox.add_user("U0ZED", "zed", "zed@example.com", real_name="Zed Guest")
    sandbox.add_user("U0HOOK", "deploybot", "hook@example.com")["is_bot"] = True
    sandbox.add_channel(GENERAL)
    sandbox.add_channel(KUDOS)
    settings = slack_settings(
        database, sandbox, SECRET, company_values=["ownership", "customer-focus"], **overrides
    )
    clock = FakeClock(MONDAY)
    runtime = await build_runtime(
        settings, clock=clock, database=database, migrate=False, slack_retry_backoff=0
    )
    async with serving(runtime) as root:
        slack = SlackSimulator(f"{root}/slack/events", SECRET, sandbox)
        yield World(runtime, sandbox, slack, clock, database)
        await slack.close()
    await sandbox.stop()


@pytest.fixture
async def activation(sqlite_database: Database) -> int:
    return await seed(sqlite_database)


@pytest.fixture
async def world(sqlite_database: Database, activation: int) -> AsyncIterator[World]:
    async for world in start(sqlite_database):
        yield world


@pytest.fixture
async def channel_world(sqlite_database: Database, activation: int) -> AsyncIterator[World]:
    async for world in start(sqlite_database, kudos_channel=KUDOS):
        yield world


async def stored(database: Database) -> list[KudosRow]:
    async with database.reading() as session:
        return list((await session.scalars(select(KudosRow).order_by(KudosRow.id))).all())


async def person_id(database: Database, email: str) -> int:
    async with database.reading() as session:
        return int(await session.scalar(select(PersonRow.id).where(PersonRow.email == email)))


async def test_one_recipient_with_a_value(world: World) -> None:
    reply = await world.kudos("<@U0LI|li> thanks for the churn analysis #ownership")
    assert "Kudos sent to Li Wei" in reply and "posted in this channel" in reply
    assert "You can recognise 4 people more today" in reply
    [row] = await stored(world.database)
    assert row.recipient_id == await person_id(world.database, "li@example.com")
    assert row.recipient_platform_id == "U0LI" and row.giver_platform_id == "U0ANA"
    assert row.message == "thanks for the churn analysis" and row.values == ["ownership"]
    assert row.source == "command" and row.platform == "slack"
    assert world.sandbox.messages_in(GENERAL) == []  # nothing is sent before the outbox runs

    assert await world.deliver() == 2
    [post] = world.sandbox.messages_in(GENERAL)
    shown = texts(post)
    assert "*Ana Lima* recognised *Li Wei*" in shown and "thanks for the churn analysis" in shown
    assert "#ownership" in shown
    [dm] = world.sandbox.messages_in("U0LI")
    assert "recognised you" in texts(dm) and "shared with the team" in texts(dm)
    assert "Your kudos this quarter are on your okrbot Home tab." in texts(dm)


async def test_several_recipients_and_the_remaining_count(world: World) -> None:
    reply = await world.kudos("<@U0LI|li> <@U0MIA|mia>, thanks for the launch!")
    assert "Kudos sent to Li Wei and Mia Boss" in reply
    assert "You can recognise 3 people more today" in reply
    rows = await stored(world.database)
    assert [r.recipient_platform_id for r in rows] == ["U0LI", "U0MIA"]
    assert {r.message for r in rows} == {"thanks for the launch!"}
    assert await world.deliver() == 3
    [post] = world.sandbox.messages_in(GENERAL)
    assert "*Li Wei* and *Mia Boss*" in texts(post)
    assert world.sandbox.messages_in("U0LI") and world.sandbox.messages_in("U0MIA")


async def test_unknown_value_stays_in_the_text_and_the_reply_lists_the_values(
    world: World,
) -> None:
    reply = await world.kudos("<@U0LI|li> great demo #teamwork #customer-focus")
    assert "#teamwork is not one of our values" in reply
    assert "#ownership, #customer-focus" in reply
    [row] = await stored(world.database)
    assert row.message == "great demo #teamwork" and row.values == ["customer-focus"]


async def test_self_and_bot_kudos_are_refused(world: World) -> None:
    reply = await world.kudos("<@U0ANA|ana> I did great")
    assert "can't recognise yourself" in reply
    reply = await world.kudos("<@U0BOTUSER|okrbot> thanks bot")
    assert "only the messenger" in reply
    reply = await world.kudos("<@U0HOOK|deploybot> thanks for deploying")
    assert "only the messenger" in reply
    reply = await world.kudos("<@U0NOPE|ghost> thanks")
    assert "couldn't find @ghost" in reply
    assert await stored(world.database) == []
    reply = await world.kudos("<@U0ANA|ana> <@U0LI|li> we did it")
    assert "Kudos sent to Li Wei" in reply and "you were left out" in reply
    assert [r.recipient_platform_id for r in await stored(world.database)] == ["U0LI"]


async def test_a_workspace_member_who_is_not_imported_still_gets_kudos(world: World) -> None:
    reply = await world.kudos("<@U0ZED|zed> thanks for the visit")
    assert "Kudos sent to Zed Guest" in reply
    [row] = await stored(world.database)
    assert row.recipient_id is None and row.recipient_platform_id == "U0ZED"
    assert await world.deliver() == 2
    assert "recognised you" in texts(world.sandbox.messages_in("U0ZED")[0])


async def test_problems_and_help(world: World) -> None:
    assert "Mention who you want to thank" in await world.kudos("thanks everyone")
    assert "Add a few words" in await world.kudos("<@U0LI|li> #ownership")
    too_long = await world.kudos("<@U0LI|li> " + "wow " * 200)
    assert "Keep it under 500 characters" in too_long
    helping = await world.kudos("help")
    assert "/kudos @someone" in helping and "#customer-focus" in helping
    assert await stored(world.database) == []
    reply = await world.slack.command("U0STRANGER", "/kudos", "<@U0LI|li> hi")
    assert "I don't know you yet" in reply.body


async def test_broadcasts_are_neutralised_links_kept(world: World) -> None:
    text = (
        "<@U0LI|li> <!channel> look: <!here> &lt;!everyone&gt; @here @channel "
        "<!subteam^S0ENG|@engineers> see <https://example.com/launch?a=1&amp;b=2|the doc> "
        "and https://example.com/x"
    )
    await world.kudos(text)
    [row] = await stored(world.database)
    assert not has_broadcast(row.message)
    assert "the doc (https://example.com/launch?a=1&b=2)" in row.message
    assert "https://example.com/x" in row.message
    await world.deliver()
    [post] = world.sandbox.messages_in(GENERAL)
    everything = texts(post) + post["text"]
    assert "<!" not in everything and not has_broadcast(everything)
    assert "https://example.com/launch?a=1&amp;b=2" in everything


async def test_daily_limit_and_its_reset_at_local_midnight(world: World) -> None:
    for words in ("thanks!", "thanks again!"):
        await world.kudos(f"<@U0LI|li> <@U0MIA|mia> {words}")
    reply = await world.kudos("<@U0LI|li> <@U0MIA|mia> <@U0ZED|zed> again")
    assert "You named 3 people, but you can recognise only 1 more today" in reply
    assert "resets at midnight your time (in 19 h)" in reply
    reply = await world.kudos("<@U0ZED|zed> one more")
    assert "That was your last one for today" in reply
    world.clock.advance(timedelta(hours=18, minutes=40))
    reply = await world.kudos("<@U0LI|li> and another")
    assert (
        "You have recognised 5 people today, the daily limit. It resets at midnight your time "
        "(in 20 min)." in reply
    )
    assert len(await stored(world.database)) == 5
    world.clock.advance(timedelta(minutes=20))  # 00:00 in New York: a new day
    assert "Kudos sent to Li Wei" in await world.kudos("<@U0LI|li> and another")
    assert len(await stored(world.database)) == 6


async def test_the_public_post_is_retried_after_a_server_error(channel_world: World) -> None:
    world = channel_world
    # Three tries each (the client retries twice) for the post and the DM, all answered 500.
    world.sandbox.fail_next("chat.postMessage", status=500, count=6)
    reply = await world.kudos("<@U0LI|li> thanks for covering", channel=GENERAL)
    assert "posted in the kudos channel" in reply
    await world.runtime.outbox.deliver_due(world.runtime.courier)
    assert world.sandbox.messages_in(KUDOS) == []
    async with world.database.reading() as session:
        post = await session.scalar(select(DeliveryRow).where(DeliveryRow.kind == "kudos_post"))
        assert post is not None and post.status == "pending" and "500" in (post.last_error or "")
    world.clock.advance(timedelta(minutes=5))
    await world.deliver()
    [posted] = world.sandbox.messages_in(KUDOS)
    assert "thanks for covering" in texts(posted)
    assert world.sandbox.messages_in(GENERAL) == []
    assert len(world.sandbox.messages_in("U0LI")) == 1
    assert len(await stored(world.database)) == 1
    world.clock.advance(timedelta(hours=1))
    assert await world.deliver() == 0


async def test_the_modal(world: World) -> None:
    reply = await world.slack.command("U0ANA", "/kudos", "", channel=GENERAL)
    assert reply.status == 200
    view = world.sandbox.calls_to("views.open")[-1].params["view"]
    kinds = {b["block_id"]: b["element"]["type"] for b in view["blocks"] if b["type"] == "input"}
    assert kinds == {
        "kudos-to": "multi_users_select",
        "kudos-value": "static_select",
        "kudos-message": "plain_text_input",
    }
    answer = await world.slack.submit("U0ANA", view, {"kudos-to": ["U0ANA"], "kudos-message": "me"})
    assert answer.json()["errors"]["kudos-to"].startswith("Kudos are for others")
    answer = await world.slack.submit(
        "U0ANA",
        view,
        {"kudos-to": ["U0LI", "U0MIA"], "kudos-value": "ownership", "kudos-message": "@here wow"},
    )
    body = answer.json()
    assert body["response_action"] == "update" and "Kudos sent to Li Wei and Mia Boss" in str(body)
    rows = await stored(world.database)
    assert len(rows) == 2 and rows[0].values == ["ownership"]
    assert not has_broadcast(rows[0].message)
    await world.deliver()
    assert len(world.sandbox.messages_in(GENERAL)) == 1


async def test_recognition_in_the_check_in(channel_world: World, activation: int) -> None:
    world = channel_world
    await world.slack.command("U0ANA", "/okr", "checkin")
    view = world.sandbox.calls_to("views.open")[-1].params["view"]
    answer = await world.slack.submit(
        "U0ANA",
        view,
        {
            f"kr-{activation}-value": "45",
            f"kr-{activation}-confidence": "on_track",
            "kudos-to": ["U0LI", "U0ANA"],
            "kudos-message": "for the research <!channel> #customer-focus",
        },
    )
    assert answer.status == 200
    [row] = await stored(world.database)
    assert row.source == "checkin" and row.recipient_platform_id == "U0LI"
    assert row.values == ["customer-focus"] and not has_broadcast(row.message)
    await world.deliver()
    [post] = world.sandbox.messages_in(KUDOS)
    assert "for the research" in texts(post)
    dms = texts(world.sandbox.messages_in("U0LI")[-1])
    assert "recognised you" in dms
    summary = "\n".join(texts(m) for m in world.sandbox.messages_in("U0ANA"))
    assert "Kudos sent to Li Wei" in summary


# -- the same submission twice: a double click, a retried or replayed request --------------------


@pytest.fixture
async def both_backends(database: Database) -> AsyncIterator[tuple[World, int]]:
    """Ana, Li and Mia with a kudos channel, on SQLite and on PostgreSQL."""
    activation = await seed(database)
    async for world in start(database, kudos_channel=KUDOS):
        yield world, activation


def opened_modal(world: World) -> dict[str, Any]:
    """The modal okrbot opened last, as Slack holds it: with its id and hash, which every
    submission of it carries until it is updated."""
    return list(world.sandbox.views.values())[-1]


async def posted_once_and_told_li_once(world: World) -> None:
    assert await world.deliver() == 2
    assert len(world.sandbox.messages_in(KUDOS)) == 1
    assert len(world.sandbox.messages_in("U0LI")) == 1


async def test_a_check_in_submitted_twice_recognises_once(
    both_backends: tuple[World, int],
) -> None:
    world, activation = both_backends
    await world.slack.command("U0ANA", "/okr", "checkin")
    view = opened_modal(world)
    answers = {
        f"kr-{activation}-value": "45",
        f"kr-{activation}-confidence": "on_track",
        "kudos-to": ["U0LI"],
        "kudos-message": "for the research",
    }
    first, second = await asyncio.gather(
        world.slack.submit("U0ANA", view, answers), world.slack.submit("U0ANA", view, answers)
    )
    assert (first.status, first.body) == (second.status, second.body) == (200, "")
    [row] = await stored(world.database)
    assert row.source == "checkin" and row.recipient_platform_id == "U0LI"
    async with world.database.reading() as session:
        assert len((await session.scalars(select(CheckInRow))).all()) == 1
    [summary] = world.sandbox.messages_in("U0ANA")
    assert "Kudos sent to Li Wei" in texts(summary)
    await posted_once_and_told_li_once(world)


async def test_the_kudos_modal_submitted_twice_gives_once_and_answers_alike(
    both_backends: tuple[World, int],
) -> None:
    world, _ = both_backends
    await world.slack.command("U0ANA", "/kudos", "", channel=GENERAL)
    view = opened_modal(world)
    oneself = {"kudos-to": ["U0ANA"], "kudos-message": "me"}
    refused = await world.slack.submit("U0ANA", view, oneself)
    assert "Kudos are for others" in refused.json()["errors"]["kudos-to"]
    answers = {"kudos-to": ["U0LI"], "kudos-message": "thanks for the launch"}
    first, second = await asyncio.gather(
        world.slack.submit("U0ANA", view, answers), world.slack.submit("U0ANA", view, answers)
    )
    assert first.status == second.status == 200
    assert first.json() == second.json()
    assert first.json()["response_action"] == "update"
    assert "Kudos sent to Li Wei" in str(first.json())
    assert "4 people more today" in str(first.json())
    [row] = await stored(world.database)
    assert row.message == "thanks for the launch"
    await posted_once_and_told_li_once(world)


async def test_a_replayed_kudos_command_does_not_act_twice(
    both_backends: tuple[World, int],
) -> None:
    world, _ = both_backends
    reply = await world.kudos("<@U0LI|li> thanks for the churn analysis")
    assert "Kudos sent to Li Wei" in reply
    replayed = await world.slack.replay()
    assert replayed.status == 200 and "Kudos sent" not in replayed.body
    [row] = await stored(world.database)
    assert row.recipient_platform_id == "U0LI"
    await posted_once_and_told_li_once(world)
    # The same words typed again soon after are not a replay, but not new recognition either:
    # the giver is told, and nothing is stored or sent twice; ten minutes on they are new.
    again = await world.kudos("<@U0LI|li> thanks for the churn analysis")
    assert "You sent these kudos to Li Wei less than a minute ago" in again
    assert len(await stored(world.database)) == 1
    world.clock.advance(timedelta(minutes=10))
    assert "Kudos sent to Li Wei" in await world.kudos("<@U0LI|li> thanks for the churn analysis")
    assert len(await stored(world.database)) == 2


async def test_someone_deactivated_cannot_be_given_kudos_nor_gets_a_waiting_dm(
    world: World,
) -> None:
    reply = await world.kudos("<@U0MIA|mia> thanks for the review")
    assert "Kudos sent to Mia Boss" in reply
    result = await cli(world.database, "people", "deactivate", "mia@example.com")
    assert result.exit_code == 0, result.output
    # The DM queued before she left is dropped; the public post still goes out.
    assert await world.deliver() == 1
    assert world.sandbox.messages_in(GENERAL) and world.sandbox.messages_in("U0MIA") == []

    reply = await world.kudos("<@U0LI|li> <@U0MIA|mia> thanks for the launch")
    assert (
        "Kudos not sent: Mia Boss has left and been deactivated in okrbot, so kudos can't go to "
        "them. Thank the others without them."
    ) in reply
    assert len(await stored(world.database)) == 1


def test_the_receipt_calls_the_place_of_the_post_as_the_giver_would() -> None:
    assert where_posted("#wins", None) == "#wins"
    assert where_posted("C0KUDOS", "C0KUDOS") == "the kudos channel"
    assert where_posted("C0TEAM", None) == "this channel"
    assert where_posted("", None) is None
