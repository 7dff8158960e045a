"""Asking for feedback: "I'd like feedback on this" per key result in the check-in form (a
Slack checkbox, a Teams toggle), stored with the check-in; the manager's digest lists those
first, and the quarter summary counts the requests answered (a reply or 👍 after it was asked)
and unanswered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from okrbot.adapters.slack.blockkit_limits import view_problems
from okrbot.bot.checkin_replies import REPLY_TEXT
from okrbot.bot.markdown import messages_markdown
from okrbot.bot.messages import TOGGLED
from okrbot.bot.settings import Settings
from okrbot.bot.summaries import FeedbackCount, feedback_line
from okrbot.storage.db import Database
from okrbot.storage.models import CheckInRow, KeyResultRow
from okrbot.storage.people import get_person_by_email
from tests.test_checkin_replies_slack import click, deliver
from tests.test_slack_e2e import SlackWorld, _krs, texts
from tests.test_slack_e2e import slack_world as slack_world_of
from tests.test_teams_e2e import TeamsWorld, assert_cards_valid, elements, seed, start_world
from tests.test_teams_e2e import texts as card_texts
from tests.world import ANA, LI, MIA

FRIDAY = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


@pytest.fixture
async def slack(database: Database) -> AsyncIterator[SlackWorld]:
    async with slack_world_of(database) as running:
        yield running


async def requested(database: Database) -> dict[int, bool]:
    async with database.reading() as session:
        rows = await session.scalars(select(CheckInRow))
        return {row.key_result_id: row.feedback_requested for row in rows}


async def open_checkin(world: SlackWorld) -> tuple[KeyResultRow, KeyResultRow, dict[str, Any]]:
    """Ana is asked to check in and opens the form (valid): her two key results, and the modal."""
    await world.runtime.ticker.tick()
    await world.send_prompts("ana@example.com", "li@example.com")
    activation, guide = await _krs(world.database, "ana@example.com")
    await world.slack.command("U0ANA", "/okr", "checkin")
    modal = world.last_modal()
    assert view_problems(modal) == []
    return activation, guide, modal


def checkin_answers(
    activation: int, guide: int, value: str, asked_on: int, toggled: object
) -> dict[str, object]:
    """Ana's answers: Activation at risk at `value`, the guide not done, feedback asked on the
    key result `asked_on` (a Slack checkbox's `[TOGGLED]`, a Teams toggle's `TOGGLED`)."""
    return {
        f"kr-{activation}-value": value,
        f"kr-{activation}-confidence": "at_risk",
        f"kr-{guide}-value": "not_done",
        f"kr-{guide}-confidence": "on_track",
        f"kr-{asked_on}-feedback": toggled,
    }


async def test_a_feedback_request_on_slack_leads_the_digest_and_counts_as_answered(
    slack: SlackWorld,
) -> None:
    world = slack
    activation, guide, modal = await open_checkin(world)
    boxes = [b for b in modal["blocks"] if b.get("element", {}).get("type") == "checkboxes"]
    assert [b["block_id"] for b in boxes] == [
        f"kr-{activation.id}-feedback",
        f"kr-{guide.id}-feedback",
    ]
    assert boxes[0]["element"]["options"][0]["text"]["text"] == "I'd like feedback on this"
    answers = checkin_answers(activation.id, guide.id, "45", activation.id, [TOGGLED])
    await world.slack.submit("U0ANA", modal, answers)
    assert await requested(world.database) == {activation.id: True, guide.id: False}
    # Amending shows the box ticked as it was.
    await world.slack.command("U0ANA", "/okr", "checkin")
    amend = world.last_modal()
    ticked = [b for b in amend["blocks"] if b.get("element", {}).get("initial_options")]
    assert [b["block_id"] for b in ticked] == [f"kr-{activation.id}-feedback"]

    world.clock.set(FRIDAY)
    await world.runtime.ticker.tick()
    [digest] = [m for m in world.dm("U0MIA") if "Your team" in texts(m)]
    shown = texts(digest)
    assert (
        "🙋 *Asked for your feedback* (1 person)\n• *Ana Lima* on *" + activation.title + "*"
    ) in shown
    assert shown.index("Asked for your feedback") < shown.index("*Ana Lima* · ✅ checked in")

    mia = await person(world.database, "mia@example.com")
    before = await world.runtime.slack.reports.summary(mia, "2026-Q4")
    assert "🙋 Asked for your feedback once: 0 answered, 1 unanswered" in summary_text(before)
    await click(world, "U0MIA", digest, "Reply to Ana")
    await world.slack.submit("U0MIA", world.last_modal(), {REPLY_TEXT: "Happy to: Tuesday?"})
    await deliver(world)
    after = await world.runtime.slack.reports.summary(mia, "2026-Q4")
    assert "🙋 Asked for your feedback once: 1 answered, 0 unanswered" in summary_text(after)


def summary_text(summary: tuple[list, list]) -> str:
    messages, _charts = summary
    return messages_markdown(messages)


async def person(database: Database, email: str):  # type: ignore[no-untyped-def]
    async with database.reading() as session:
        return await get_person_by_email(session, email)


def test_the_summary_line_counts_answered_and_unanswered() -> None:
    assert feedback_line(FeedbackCount(3, 2)) == (
        "🙋 Asked for your feedback 3 times: 2 answered, 1 unanswered"
    )


async def test_a_feedback_request_on_teams_is_a_toggle_and_leads_the_digest(
    database: Database,
) -> None:
    ids = await seed(database)
    settings = Settings(database_url=database.url, teams_dev_no_auth=True)
    async for world in start_world(database, settings):
        await run_teams(world, ids)
        assert_cards_valid(world.sandbox)


async def run_teams(world: TeamsWorld, ids: dict[str, int]) -> None:
    for user in (ANA, LI, MIA):
        await world.teams.install(user)
    await world.runtime.ticker.tick()
    await world.send_prompts()
    prompt = world.last(ANA)
    toggles = elements(prompt, "Input.Toggle")
    activation, guide = ids["activation"], ids["guide"]
    assert [t["id"] for t in toggles] == [f"kr-{activation}-feedback", f"kr-{guide}-feedback"]
    assert toggles[0]["title"] == "I'd like feedback on this" and toggles[0]["value"] == "no"
    await world.teams.press(
        ANA, prompt, "checkin_form", checkin_answers(activation, guide, "50", guide, TOGGLED)
    )
    assert await requested(world.database) == {activation: False, guide: True}
    world.clock.set(FRIDAY)
    await world.runtime.ticker.tick()
    [digest] = [a for a in world.chat(MIA) if "Your team" in card_texts(a)]
    shown = card_texts(digest)
    assert "🙋 **Asked for your feedback** (1 person)\n\n• **Ana Lima** on **" in shown
    assert shown.index("Asked for your feedback") < shown.index("**Ana Lima** · ✅ checked in")
