"""Drafting your own OKR on Teams, end to end: `okr new` sends an Adaptive Card form (checked
against the 1.5 schema, as is every card), the manager's DM has Approve and Comment as
Action.Submit, and only an approved draft joins the weekly prompt."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from okrbot.bot.drafts import APPROVE, COMMENT, COMMENT_FORM, COMMENT_TEXT, FORM_ID, PARENT, TITLE
from okrbot.bot.settings import Settings
from okrbot.storage.db import Database
from okrbot.storage.models import ObjectiveRow
from tests.test_teams_e2e import (
    TeamsWorld,
    assert_cards_valid,
    elements,
    seed,
    start_world,
    texts,
)
from tests.world import ANA, LI, MIA

DRAFT = {
    TITLE: "Grow self-serve revenue",
    "kr-1-title": "Trial-to-paid conversion",
    "kr-1-start": "12",
    "kr-1-target": "20",
    "kr-1-unit": "%",
    "kr-2-title": "Launch the referral programme",
    "kr-2-start": "0",
    "kr-2-target": "1",
}


@pytest.fixture
async def world(sqlite_database: Database) -> AsyncIterator[TeamsWorld]:
    await seed(sqlite_database)
    settings = Settings(database_url=sqlite_database.url, teams_dev_no_auth=True)
    async for running in start_world(sqlite_database, settings):
        for user in (ANA, LI, MIA):
            await running.teams.install(user)
        yield running
        assert_cards_valid(running.sandbox)


async def deliver(world: TeamsWorld) -> None:
    while await world.deliver():
        pass


async def churn_id(world: TeamsWorld) -> str:
    async with world.database.reading() as session:
        row = await session.scalar(select(ObjectiveRow).where(ObjectiveRow.title == "Cut churn"))
        assert row is not None
        return str(row.id)


async def draft_row(world: TeamsWorld) -> ObjectiveRow | None:
    async with world.database.reading() as session:
        return await session.scalar(select(ObjectiveRow).where(ObjectiveRow.title == DRAFT[TITLE]))


async def form(world: TeamsWorld) -> dict[str, Any]:
    assert (await world.teams.say(ANA, "okr new")).status in (200, 201)
    card = world.last(ANA)
    assert "Draft your OKR" in texts(card)
    return card


async def press_draft(world: TeamsWorld, typed: dict[str, Any]) -> dict[str, Any]:
    card = await form(world)
    reply = await world.teams.press(ANA, card, FORM_ID, typed)
    assert reply.status in (200, 201)
    return world.last(ANA)


async def drafted(world: TeamsWorld) -> dict[str, Any]:
    answered = await press_draft(world, {**DRAFT, PARENT: await churn_id(world)})
    assert "Sent to Mia Boss for approval" in texts(answered)
    await deliver(world)
    review = world.last(MIA)
    assert "OKR draft from Ana Lima" in texts(review)
    return review


async def test_a_non_numeric_target_and_too_many_key_results_are_refused_on_their_fields(
    world: TeamsWorld,
) -> None:
    card = await press_draft(world, {**DRAFT, PARENT: await churn_id(world), "kr-1-target": "x"})
    shown = texts(card)
    assert "Please fix the fields marked" in shown
    assert "⚠️ 'x' is not a number; write the target as a number, e.g. 60." in shown
    # What was typed is kept on the card.
    assert any(e.get("value") == "Grow self-serve revenue" for e in elements(card, "Input.Text"))

    # A submit carrying a sixth key result (an older or altered card) is refused whole.
    six: dict[str, Any] = {TITLE: "Too much", PARENT: await churn_id(world)}
    for row in range(1, 7):
        six |= {f"kr-{row}-title": f"Metric {row}", f"kr-{row}-start": "0"}
        six[f"kr-{row}-target"] = "10"
    card = await press_draft(world, six)
    assert "⚠️ This draft has 6 key results; at most 5" in texts(card)
    assert await draft_row(world) is None


async def test_approve_makes_it_prompted_next_week_and_tells_the_drafter(
    world: TeamsWorld,
) -> None:
    review = await drafted(world)
    assert "reads like a task" in texts(review)
    await world.send_prompts()
    assert "Trial-to-paid" not in texts(world.last(ANA))

    for _ in range(2):  # a double click: the same card's submit twice
        await world.teams.press(MIA, review, APPROVE)
    [now] = [a for a in world.chat(MIA) if a["id"] == review["id"]]
    assert "Mia Boss approved Ana Lima's OKR" in texts(now)  # the card, replaced
    await deliver(world)
    approvals = [a for a in world.chat(ANA) if "approved your OKR" in texts(a)]
    assert len(approvals) == 1
    row = await draft_row(world)
    assert row is not None and row.approval == "approved"

    world.clock.advance(timedelta(days=7))
    await world.send_prompts()
    assert "Trial-to-paid conversion" in texts(world.last(ANA))


async def test_a_double_submitted_draft_is_stored_once(world: TeamsWorld) -> None:
    card = await form(world)
    for _ in range(2):
        await world.teams.press(ANA, card, FORM_ID, {**DRAFT, PARENT: await churn_id(world)})
    [now] = [a for a in world.chat(ANA) if a["id"] == card["id"]]
    assert "Sent to Mia Boss for approval" in texts(now)
    async with world.database.reading() as session:
        titles = list(await session.scalars(select(ObjectiveRow.title)))
    assert titles.count(DRAFT[TITLE]) == 1
    await deliver(world)
    assert sum("OKR draft from Ana Lima" in texts(a) for a in world.chat(MIA)) == 1


async def test_someone_else_pressing_approve_is_refused(world: TeamsWorld) -> None:
    review = await drafted(world)
    await world.teams.press(LI, review, APPROVE)
    assert "Only Ana Lima's manager can approve" in texts(world.last(LI))
    row = await draft_row(world)
    assert row is not None and row.approval == "pending"


async def test_a_comment_reaches_the_drafter(world: TeamsWorld) -> None:
    review = await drafted(world)
    await world.teams.press(MIA, review, COMMENT)
    comment_card = world.last(MIA)
    assert "Your comment to Ana Lima" in texts(comment_card)
    await world.teams.press(MIA, comment_card, COMMENT_FORM, {COMMENT_TEXT: ""})
    assert "⚠️ Write the comment to send." in texts(world.last(MIA))
    said = "How many referred sign-ups would count?"
    await world.teams.press(MIA, world.last(MIA), COMMENT_FORM, {COMMENT_TEXT: said})
    assert "on its way to Ana Lima" in texts(world.last(MIA))
    await deliver(world)
    told = texts(world.last(ANA))
    assert "Mia Boss commented on your OKR draft" in told and said in told
    row = await draft_row(world)
    assert row is not None and row.approval == "pending"


async def test_drafting_in_a_group_chat_points_to_the_private_chat(world: TeamsWorld) -> None:
    where = ("19:group-chat@thread.v2", "groupChat")
    await world.teams.say(ANA, "okr new", where=where)
    [answer] = world.sandbox.activities_in(where[0])
    assert "OKR drafts are private" in texts(answer)


async def test_help_names_okr_new(world: TeamsWorld) -> None:
    await world.teams.say(ANA, "help")
    assert "`okr new` — draft your own personal OKR; your manager approves it" in texts(
        world.last(ANA)
    )
