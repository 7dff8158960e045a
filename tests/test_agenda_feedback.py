"""Feedback requests on the 1:1 agenda, on Slack and Teams end to end: a report ticks "I'd like
feedback on this" on one key result in their check-in; their manager's `1on1` agenda lists it
as not answered yet, then as answered once the manager replied from the digest (Slack) or gave
👍 (Teams); after Mark discussed the next agenda leaves it out, and a peer learns nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from okrbot.adapters.slack.blockkit_limits import blockkit_problems
from okrbot.bot.agenda import MARK_DISCUSSED, AgendaData, FeedbackRequest, agenda_message
from okrbot.bot.checkin_replies import REACT, REPLY_TEXT
from okrbot.bot.domain import Person
from okrbot.bot.markdown import messages_markdown
from okrbot.bot.messages import TOGGLED
from okrbot.storage.db import Database
from tests.test_checkin_replies_slack import click, deliver
from tests.test_checkin_replies_teams import installed_world
from tests.test_feedback_requests import checkin_answers, open_checkin
from tests.test_slack_e2e import SlackWorld, slack_world, texts
from tests.test_teams_e2e import TeamsWorld
from tests.test_teams_e2e import texts as card_texts
from tests.world import ANA, LI, MIA

FRIDAY = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
ANA_SLACK, ANA_TEAMS = "<@U0ANA|ana>", "@Ana Lima"
REFUSED = "works only between a manager and their direct report"
ASKED = "Feedback Ana asked for"


@pytest.fixture
async def slack(database: Database) -> AsyncIterator[SlackWorld]:
    async with slack_world(database) as running:
        yield running


@pytest.fixture
async def teams(database: Database) -> AsyncIterator[TeamsWorld]:
    async for running in installed_world(database):
        yield running


async def slack_agenda(world: SlackWorld, user: str, named: str) -> dict[str, Any]:
    """`/okr 1on1 named` as `user`: the agenda okrbot put in their DM (valid Block Kit)."""
    reply = await world.slack.command(user, "/okr", f"1on1 {named}")
    assert reply.status == 200
    agenda = world.dm(user)[-1]
    assert blockkit_problems(agenda["blocks"], "message") == []
    return agenda


async def test_on_slack_the_agenda_lists_a_feedback_request_until_the_1on1_discussed_it(
    slack: SlackWorld,
) -> None:
    world = slack
    activation, guide, modal = await open_checkin(world)
    answers = checkin_answers(activation.id, guide.id, "45", activation.id, [TOGGLED])
    await world.slack.submit("U0ANA", modal, answers)
    world.clock.set(FRIDAY)
    await world.runtime.ticker.tick()
    [digest] = [m for m in world.dm("U0MIA") if "Your team" in texts(m)]

    shown = texts(await slack_agenda(world, "U0MIA", ANA_SLACK))
    assert f"*{ASKED}*\n• Week 47, {activation.title}: not answered yet" in shown
    assert guide.title not in shown.split(ASKED)[1].split("*")[1]  # only the one she asked on
    assert "1:1 agenda with Ana Lima: 2 to talk about" in world.dm("U0MIA")[-1]["text"]

    await click(world, "U0MIA", digest, "Reply to Ana")
    await world.slack.submit("U0MIA", world.last_modal(), {REPLY_TEXT: "Happy to: Tuesday?"})
    await deliver(world)
    world.clock.advance(timedelta(minutes=5))
    agenda = await slack_agenda(world, "U0MIA", ANA_SLACK)
    assert f"• Week 47, {activation.title}: answered ✅" in texts(agenda)
    # Ana sees the same on her side of the agenda.
    assert f"• Week 47, {activation.title}: answered ✅" in texts(
        await slack_agenda(world, "U0ANA", "<@U0MIA|mia>")
    )

    # A peer is refused, and nothing of the request reaches them.
    before = len(world.dm("U0LI"))
    refused = (await world.slack.command("U0LI", "/okr", f"1on1 {ANA_SLACK}")).json()
    said = texts(refused) or refused.get("text", "")
    assert REFUSED in said and "feedback" not in said.lower()
    assert world.dm("U0LI")[before:] == []

    channel = world.sandbox.dm_channel("U0MIA") or ""
    await world.slack.click("U0MIA", agenda, MARK_DISCUSSED, channel)
    world.clock.advance(timedelta(days=1))
    after = texts(await slack_agenda(world, "U0MIA", ANA_SLACK))
    assert "Since your last 1:1 (Fri 20 Nov)" in after
    assert ASKED not in after and "answered" not in after


async def teams_agenda(world: TeamsWorld, text: str = f"1on1 {ANA_TEAMS}") -> dict[str, Any]:
    reply = await world.teams.say(MIA, text, mentions=[ANA])
    assert reply.status in (200, 201)
    return world.last(MIA)


async def test_on_teams_a_thumbs_up_answers_the_request_and_mark_discussed_clears_it(
    teams: TeamsWorld,
) -> None:
    world = teams
    await world.runtime.ticker.tick()
    await world.send_prompts()
    activation, guide = world.ids["activation"], world.ids["guide"]  # type: ignore[attr-defined]
    answers = checkin_answers(activation, guide, "50", guide, TOGGLED)
    await world.teams.press(ANA, world.last(ANA), "checkin_form", answers)
    world.clock.set(FRIDAY)
    await world.runtime.ticker.tick()
    [digest] = [a for a in world.chat(MIA) if "Your team" in card_texts(a)]

    shown = card_texts(await teams_agenda(world))
    assert f"**{ASKED}**\n\n• Week 47, Publish the setup guide: not answered yet" in shown

    await world.teams.press(MIA, digest, REACT)
    while await world.deliver():
        pass
    world.clock.advance(timedelta(minutes=5))
    agenda = await teams_agenda(world)
    assert "• Week 47, Publish the setup guide: answered ✅" in card_texts(agenda)

    before = len(world.chat(LI))
    reply = await world.teams.say(LI, f"1on1 {ANA_TEAMS}", mentions=[ANA])
    assert reply.status in (200, 201)
    [refused] = world.chat(LI)[before:]
    assert REFUSED in card_texts(refused) and "feedback" not in card_texts(refused).lower()

    await world.teams.press(MIA, agenda, MARK_DISCUSSED)
    world.clock.advance(timedelta(days=1))
    after = card_texts(await teams_agenda(world))
    assert "Since your last 1:1 (Fri 20 Nov)" in after
    assert ASKED not in after and "setup guide" not in after


def test_requests_not_answered_yet_come_first_each_with_its_week() -> None:
    mia = Person(1, "mia@example.com", "Mia Boss")
    ana = Person(2, "ana@example.com", "Ana Lima", manager_id=1)
    data = AgendaData(
        manager=mia,
        report=ana,
        since=date(2026, 10, 1),
        since_last_one_on_one=False,
        as_of=FRIDAY,
        key_results=(),
        notes=(),
        kudos=(),
        items=(),
        feedback_requests=(
            FeedbackRequest("2026-W45", "Churn below 3%", answered=True),
            FeedbackRequest("2026-W46", "Activation from 40% to 60%", answered=False),
        ),
    )
    shown = messages_markdown([agenda_message(data, mia, "/okr")])
    lines = [line.rstrip() for line in shown.split("\n")]
    start = lines.index("**Feedback Ana asked for**")
    assert lines[start + 1 : start + 3] == [
        "• Week 46, Activation from 40% to 60%: not answered yet",
        "• Week 45, Churn below 3%: answered ✅",
    ]
