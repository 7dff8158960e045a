"""Privacy of the conversation on a check-in: a manager's reply and 👍, the person's answer
and their feedback requests stay between the two of them. None of it reaches a public /okr
answer, the team's channel post, anyone else's Home, any export, or a skip-level manager's
digest or summary (which show counts only)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from okrbot.bot.checkin_replies import REPLY_TEXT
from okrbot.bot.markdown import messages_markdown
from okrbot.bot.messages import TOGGLED
from okrbot.bot.quarters import Quarter
from okrbot.storage.db import Database
from okrbot.storage.export import export_okrs_csv, export_okrs_json, export_people
from okrbot.storage.models import PersonRow
from okrbot.storage.people import get_person_by_email
from tests.test_checkin_replies_slack import deliver
from tests.test_slack_e2e import SlackWorld, _krs, slack_world, texts
from tests.test_team_updates import TEAM_CHANNEL, opt_in
from tests.world import seed_browse

REPLY = "Reply-secret-otter-12"
ANSWER = "Answer-secret-lynx-34"
NOTE = "Blocker-secret-heron-56"
SECRETS = (REPLY, ANSWER, NOTE, "Asked for your feedback", "liked your check-in")
THURSDAY = datetime(2026, 11, 19, 14, 0, tzinfo=UTC)
FRIDAY = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # digests in Berlin and UTC are due


@pytest.fixture
async def world(database: Database) -> AsyncIterator[SlackWorld]:
    async with slack_world(database) as running:
        await seed_browse(database)
        running.sandbox.add_channel(TEAM_CHANNEL)
        running.sandbox.add_user("U0VIC", "victor", "victor@example.com")
        # Bea manages Mia: Ana's skip-level manager.
        async with database.transaction() as session:
            bea = PersonRow(email="bea@example.com", name="Bea Top", slack_user_id="U0BEA")
            session.add(bea)
            await session.flush()
            await session.execute(
                update(PersonRow)
                .where(PersonRow.email == "mia@example.com")
                .values(manager_id=bea.id)
            )
        running.sandbox.add_user("U0BEA", "bea", "bea@example.com")
        await running.runtime.ticker.tick()
        yield running


async def person(world: SlackWorld, email: str):  # type: ignore[no-untyped-def]
    async with world.database.reading() as session:
        return await get_person_by_email(session, email)


async def converse(world: SlackWorld) -> None:
    """Ana checks in with a blocker and asks for feedback; on Thursday Mia replies and gives a
    👍 (what her digest's buttons do), and Ana answers in the thread."""
    await opt_in(world)
    await world.send_prompts()
    krs = await _krs(world.database, "ana@example.com")
    await world.slack.command("U0ANA", "/okr", "checkin")
    answers: dict[str, object] = {}
    for kr in krs:
        answers[f"kr-{kr.id}-value"] = "not_done" if kr.type == "milestone" else "45"
        answers[f"kr-{kr.id}-confidence"] = "at_risk"
    answers[f"kr-{krs[0].id}-note"] = NOTE
    answers[f"kr-{krs[0].id}-feedback"] = [TOGGLED]
    await world.slack.submit("U0ANA", world.last_modal(), answers)
    world.clock.set(THURSDAY)
    mia, ana = await person(world, "mia@example.com"), await person(world, "ana@example.com")
    checkin = f"{ana.id}:2026-W47"
    replies = world.runtime.slack.replies
    assert (await replies.reply(mia, checkin, {REPLY_TEXT: REPLY}, "privacy-1")).sent
    await replies.react(mia, checkin)
    await deliver(world)
    [summary] = [m for m in world.dm("U0ANA") if "Checked in · week 47" in texts(m)]
    event = world.sandbox.user_writes("U0ANA", ANSWER, thread_ts=summary["ts"])
    assert event is not None
    await world.slack.event(event)
    await deliver(world)
    assert REPLY in json.dumps(world.dm("U0ANA"), ensure_ascii=False)
    assert ANSWER in json.dumps(world.dm("U0MIA"), ensure_ascii=False)


def assert_private(shown: object) -> None:
    text = shown if isinstance(shown, str) else json.dumps(shown, ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in text


async def test_public_answers_homes_and_channel_posts_never_show_the_conversation(
    world: SlackWorld,
) -> None:
    await converse(world)
    for typed in ("", "@ana", "team", "company", "onboarding"):
        text = typed.replace("@ana", "<@U0ANA|ana>")
        answer = await world.slack.command("U0LI", "/okr", text)
        assert_private(answer.body)
    for user in ("U0LI", "U0VIC", "U0BEA"):
        await world.slack.open_home(user)
    assert_private([c.params for c in world.sandbox.calls_to("views.publish")])
    world.clock.set(FRIDAY)
    await world.runtime.ticker.tick()
    posts = world.sandbox.messages_in(TEAM_CHANNEL)
    assert posts  # the team's update went out, without any of it
    assert_private(posts)
    # The skip-level manager's digest and summary: counts for Mia's team, nothing said.
    [bea_digest] = [m for m in world.dm("U0BEA") if "Your team" in texts(m)]
    assert "*Mia Boss*'s team (" in texts(bea_digest)  # the counts
    assert_private(world.dm("U0BEA"))
    bea = await person(world, "bea@example.com")
    summary, _charts = await world.runtime.slack.reports.summary(bea, "2026-Q4")
    assert_private(messages_markdown(summary))
    # Mia's own digest and summary do show Ana's request: she is the one asked.
    mia = await person(world, "mia@example.com")
    summary, _charts = await world.runtime.slack.reports.summary(mia, "2026-Q4")
    assert "🙋 Asked for your feedback once: 1 answered, 0 unanswered" in messages_markdown(summary)


async def test_exports_carry_no_reply_reaction_or_feedback_request(world: SlackWorld) -> None:
    await converse(world)
    quarter = Quarter.parse("2026-Q4", 1)
    async with world.database.reading() as session:
        exported = [
            await export_people(session),
            await export_okrs_csv(session, quarter),
            await export_okrs_json(session, quarter),
        ]
    for text in exported:
        for secret in (REPLY, ANSWER, "feedback"):
            assert secret not in text
