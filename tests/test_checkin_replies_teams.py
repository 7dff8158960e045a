"""Answering a check-in on Teams, end to end: the digest card has 👍 and Reply under each
check-in; the reply goes to the connector as a reply to the person's own summary card (the
Bot Framework's reply-to-activity), with a Reply button that opens a card to answer back, which
reaches the manager quoting the check-in. Private, once, and only for the pair."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from okrbot.adapters.teams.simulator import TeamsUser
from okrbot.bot.checkin_replies import (
    REACT,
    RECOGNISE,
    RECOGNISE_FORM,
    REPLY,
    REPLY_FORM,
    REPLY_MAX,
    REPLY_TEXT,
)
from okrbot.bot.kudos import KUDOS_MESSAGE
from okrbot.bot.settings import Settings
from okrbot.storage.db import Database
from okrbot.storage.models import CheckInMessageRow, KudosRow, PersonRow
from tests.test_teams_e2e import TeamsWorld, assert_cards_valid, seed, start_world, texts
from tests.world import ANA, LI, MIA

FRIDAY = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)  # 15:00 Berlin, 09:00 New York
NOTE = "Design review pending"


@pytest.fixture
async def world(database: Database) -> AsyncIterator[TeamsWorld]:
    async for running in installed_world(database):
        yield running


async def installed_world(database: Database) -> AsyncIterator[TeamsWorld]:
    """Ana, Li and Mia on Teams with okrbot installed (`ids`: the seeded key results); the
    cards sent are checked valid at the end."""
    ids = await seed(database)
    settings = Settings(database_url=database.url, teams_dev_no_auth=True)
    async for running in start_world(database, settings):
        for user in (ANA, LI, MIA):
            await running.teams.install(user)
        running.ids = ids  # type: ignore[attr-defined]
        yield running
        assert_cards_valid(running.sandbox)


async def deliver(world: TeamsWorld) -> None:
    while await world.deliver():
        pass


async def digest_after_checkin(world: TeamsWorld) -> tuple[dict[str, Any], str]:
    """Ana checks in on her prompt card; Mia's digest, and the id of Ana's summary card."""
    await world.runtime.ticker.tick()
    await world.send_prompts()
    prompt = world.last(ANA)
    ids = world.ids  # type: ignore[attr-defined]
    activation, guide = ids["activation"], ids["guide"]
    await world.teams.press(
        ANA,
        prompt,
        "checkin_form",
        {
            f"kr-{activation}-value": "50",
            f"kr-{activation}-confidence": "at_risk",
            f"kr-{activation}-note": NOTE,
            f"kr-{guide}-value": "not_done",
            f"kr-{guide}-confidence": "on_track",
        },
    )
    summary = world.sandbox.activity(ANA.conversation_id, prompt["id"])
    assert "Checked in · week 47" in texts(summary)
    world.clock.set(FRIDAY)
    await world.runtime.ticker.tick()
    [digest] = [a for a in world.chat(MIA) if "Your team" in texts(a)]
    return digest, prompt["id"]


def replies_to(world: TeamsWorld, user: TeamsUser, activity_id: str) -> list[dict[str, Any]]:
    """What the connector was asked to post in `user`'s chat as a reply to `activity_id`."""
    return [
        a
        for a in world.chat(user)
        if a.get("replyToId") == activity_id and "Checked in" not in texts(a)
    ]


async def reply_card(world: TeamsWorld, user: TeamsUser, card: dict[str, Any]) -> dict[str, Any]:
    before = len(world.chat(user))
    await world.teams.press(user, card, REPLY)
    [form] = world.chat(user)[before:]
    assert "Your reply to" in texts(form)
    return form


async def stored(database: Database) -> list[CheckInMessageRow]:
    async with database.reading() as session:
        return list(await session.scalars(select(CheckInMessageRow).order_by(CheckInMessageRow.id)))


async def test_a_reply_answers_the_summary_card_and_the_answer_comes_back(
    world: TeamsWorld,
) -> None:
    digest, summary_id = await digest_after_checkin(world)
    form = await reply_card(world, MIA, digest)
    assert NOTE in texts(form)  # the manager sees what they answer
    await world.teams.press(MIA, form, REPLY_FORM, {REPLY_TEXT: "Let's unblock it together."})
    sent = world.sandbox.activity(MIA.conversation_id, form["id"])
    assert texts(sent) == "💬 Sent to Ana."
    await deliver(world)
    [reply] = replies_to(world, ANA, summary_id)
    shown = texts(reply)
    # Teams cards have no quote: a quoted line shows with a speech balloon.
    assert shown.startswith(
        "💬 **Mia Boss** replied on your check-in · week 47\n\n💬 Let's unblock it together."
    )
    # Sent as the connector's reply to that card: POST …/activities/{summary id}.
    [posted] = [r for r in world.sandbox.requests if r.kind == "reply" and r.status == 201][-1:]
    assert posted.activity_id == summary_id

    # Ana answers with the Reply button on Mia's reply; Mia gets it quoting the check-in.
    answer_form = await reply_card(world, ANA, reply)
    assert "Your reply to Mia Boss" in texts(answer_form)
    for _ in range(2):  # Teams sends a submit again: acted on once
        await world.teams.press(ANA, answer_form, REPLY_FORM, {REPLY_TEXT: "Thanks, Mia!"})
    await deliver(world)
    back = world.last(MIA)
    assert texts(back).startswith(
        "💬 **Ana Lima** answered on their check-in · week 47\n\n💬 Thanks, Mia!\n"
        "_Re: Ana Lima's check-in · week 47_\n\n💬 " + NOTE
    )
    assert [(r.kind, r.text) for r in await stored(world.database)] == [
        ("reply", "Let's unblock it together."),
        ("reply", "Thanks, Mia!"),
    ]


async def test_a_thumbs_up_goes_once(world: TeamsWorld) -> None:
    digest, summary_id = await digest_after_checkin(world)
    await world.teams.press(MIA, digest, REACT)
    await world.teams.press(MIA, digest, REACT)
    await deliver(world)
    liked = replies_to(world, ANA, summary_id)
    assert [texts(a).split("\n")[0] for a in liked] == [
        "👍 **Mia Boss** liked your check-in · week 47"
    ]
    assert texts(world.last(MIA)) == "You already gave 👍 on Ana's check-in; it went once."


async def test_a_peer_cannot_answer_and_a_person_who_left_gets_nothing(
    world: TeamsWorld,
) -> None:
    digest, summary_id = await digest_after_checkin(world)
    await world.teams.press(LI, digest, REACT)
    assert "only answer the check-ins of your own direct reports" in texts(world.last(LI))
    await world.teams.press(LI, digest, REPLY)
    assert "only answer the check-ins of your own direct reports" in texts(world.last(LI))
    form = await reply_card(world, MIA, digest)
    async with world.database.transaction() as session:
        await session.execute(
            update(PersonRow).where(PersonRow.email == ANA.email).values(deactivated_at=FRIDAY)
        )
    await world.teams.press(MIA, form, REPLY_FORM, {REPLY_TEXT: "Hello?"})
    assert texts(world.last(MIA)) == "Ana has left okrbot (deactivated), so nothing was sent."
    await deliver(world)
    assert replies_to(world, ANA, summary_id) == []
    assert await stored(world.database) == []


async def test_an_empty_or_too_long_reply_keeps_the_card_with_the_reason(
    world: TeamsWorld,
) -> None:
    digest, _ = await digest_after_checkin(world)
    form = await reply_card(world, MIA, digest)
    await world.teams.press(MIA, form, REPLY_FORM, {REPLY_TEXT: ""})
    assert "Write the reply to send." in texts(
        world.sandbox.activity(MIA.conversation_id, form["id"])
    )
    await world.teams.press(MIA, form, REPLY_FORM, {REPLY_TEXT: "y" * (REPLY_MAX + 5)})
    card = world.sandbox.activity(MIA.conversation_id, form["id"])
    assert f"Keep the reply under {REPLY_MAX} characters" in texts(card)
    assert await stored(world.database) == []


async def test_recognise_from_the_digest_gives_a_kudos_to_the_person(world: TeamsWorld) -> None:
    digest, _ = await digest_after_checkin(world)
    before = len(world.chat(MIA))
    await world.teams.press(MIA, digest, RECOGNISE)
    [form] = world.chat(MIA)[before:]
    assert "Kudos for Ana Lima" in texts(form)
    await world.teams.press(MIA, form, RECOGNISE_FORM, {KUDOS_MESSAGE: "Great call on the review"})
    shown = texts(world.sandbox.activity(MIA.conversation_id, form["id"]))
    assert shown.startswith("🙌 Kudos sent to Ana Lima.")
    await deliver(world)
    async with world.database.reading() as session:
        [given] = list(await session.scalars(select(KudosRow)))
    assert (given.source, given.message) == ("checkin", "Great call on the review")
    assert any("Great call on the review" in texts(a) for a in world.chat(ANA))
    await world.teams.press(LI, digest, RECOGNISE)
    assert "own direct reports" in texts(world.last(LI))
