"""1:1 agendas on Teams, end to end: `1on1 @person` (a real Teams mention) between a manager and
a direct report answers in the 1:1 chat with an agenda card (valid Adaptive Card 1.5) whose Mark
discussed replaces it; `agenda add @person …` adds to it; anyone else is refused without
learning anything, and in a group chat nobody's agenda is shown."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from okrbot.adapters.teams.simulator import TeamsUser
from okrbot.bot.agenda import ADD_NOTE, ITEM_FORM, ITEM_TEXT, MARK_DISCUSSED
from okrbot.bot.settings import Settings
from okrbot.storage.db import Database
from okrbot.storage.models import AgendaItemRow, CheckInRow, KeyResultRow, OneOnOneRow, PersonRow
from tests.test_teams_e2e import (
    TeamsWorld,
    assert_cards_valid,
    elements,
    seed,
    start_world,
    texts,
)
from tests.world import ANA, LI, MIA, add_members

ZOE = TeamsUser.named("Zoe Chief", "zoe@example.com")
REFUSED = "works only between a manager and their direct report"
GROUP = ("19:meeting_team-chat@thread.v2", "groupChat")


@pytest.fixture
async def world(database: Database) -> AsyncIterator[TeamsWorld]:
    ids = await seed(database)
    async with database.transaction() as session:
        zoe = PersonRow(email=ZOE.email, name=ZOE.name, teams_aad_id=ZOE.aad_object_id)
        session.add(zoe)
        await session.flush()
        await session.execute(
            update(PersonRow).where(PersonRow.email == MIA.email).values(manager_id=zoe.id)
        )
        session.add(
            CheckInRow(
                key_result_id=ids["activation"],
                person_id=(
                    await session.scalar(select(PersonRow.id).where(PersonRow.email == ANA.email))
                ),
                period="2026-W46",
                value=44,
                confidence="off_track",
                note="Waiting on the design review",
                platform="teams",
                created_at=datetime(2026, 11, 9, 15, tzinfo=UTC),
                updated_at=datetime(2026, 11, 9, 15, tzinfo=UTC),
            )
        )
    settings = Settings(database_url=database.url, teams_dev_no_auth=True)
    async for running in start_world(database, settings):
        add_members(running.sandbox, ZOE)
        for user in (ANA, LI, MIA, ZOE):
            await running.teams.install(user)
        yield running
        assert_cards_valid(running.sandbox)


async def say(world: TeamsWorld, user: TeamsUser, text: str, *named: TeamsUser) -> str:
    reply = await world.teams.say(user, text, mentions=list(named))
    assert reply.status in (200, 201)
    return texts(world.last(user))


async def test_a_manager_gets_the_agenda_card_and_marks_it_discussed(world: TeamsWorld) -> None:
    added = await say(world, ANA, "agenda add @Mia Boss Moving to the platform team", MIA)
    assert "Added to your 1:1 agenda with Mia Boss: “Moving to the platform team”" in added
    world.clock.advance(timedelta(hours=1))

    shown = await say(world, MIA, "1on1 @Ana Lima", ANA)
    agenda = world.last(MIA)
    assert "1:1 agenda · Ana Lima" in shown
    assert "Since the quarter started (Thu 1 Oct); no 1:1 recorded yet" in shown
    assert "Off track" in shown and "Activation from 40% to 60%" in shown
    assert "“Waiting on the design review”" in shown
    assert "Ana Lima: “Moving to the platform team”" in shown
    assert "`agenda add @Ana Lima …`" in shown  # Teams' own spelling, no slash

    for _ in range(2):  # a double click: the same card's submit twice
        await world.teams.press(MIA, agenda, MARK_DISCUSSED)
    [now] = [a for a in world.chat(MIA) if a["id"] == agenda["id"]]
    assert "Mia Boss marked this 1:1 held on Mon 16 Nov (1 item marked discussed)" in texts(now)
    async with world.database.reading() as session:
        assert len(list(await session.scalars(select(OneOnOneRow)))) == 1
        [item] = await session.scalars(select(AgendaItemRow))
        assert item.discussed_at is not None

    # `okr 1on1` works too, and the report sees the agenda from their side.
    world.clock.advance(timedelta(days=1))
    again = await say(world, ANA, "okr 1on1 @Mia Boss", MIA)
    assert "1:1 agenda · Mia Boss" in again and "Since your last 1:1 (Mon 16 Nov)" in again
    assert "platform team" not in again and "design review" not in again


async def test_an_agenda_with_nothing_to_discuss_says_so_plainly(world: TeamsWorld) -> None:
    shown = await say(world, MIA, "1on1 @Li Wei", LI)
    assert "Nothing to discuss yet: no key result at risk or stale" in shown
    assert "Mark discussed" not in str(world.last(MIA))


@pytest.mark.parametrize(
    ("who", "named"),
    [(LI, ANA), (ZOE, ANA), (ANA, ANA)],
    ids=["a peer", "a skip-level manager", "themself"],
)
async def test_anyone_but_the_pair_is_refused_and_learns_nothing(
    world: TeamsWorld, who: TeamsUser, named: TeamsUser
) -> None:
    for typed in (f"1on1 @{named.name}", f"agenda add @{named.name} Her next review"):
        answer = await say(world, who, typed, named)
        assert REFUSED in answer
        assert "design review" not in answer and "Off track" not in answer
    async with world.database.reading() as session:
        assert list(await session.scalars(select(AgendaItemRow))) == []


async def test_in_a_group_chat_no_agenda_is_shown(world: TeamsWorld) -> None:
    reply = await world.teams.say(MIA, "1on1 @Ana Lima", mentions=[ANA], where=GROUP)
    assert reply.status in (200, 201)
    [answer] = world.sandbox.activities_in(GROUP[0])
    assert "1:1 agendas are" in texts(answer)
    assert "design review" not in texts(answer)


async def test_a_deactivated_report_has_no_agenda(world: TeamsWorld) -> None:
    async with world.database.transaction() as session:
        await session.execute(
            update(PersonRow)
            .where(PersonRow.email == ANA.email)
            .values(deactivated_at=datetime(2026, 11, 10, tzinfo=UTC))
        )
    answer = await say(world, MIA, "1on1 @Ana Lima", ANA)
    assert "Ana Lima no longer uses okrbot (deactivated)" in answer
    assert REFUSED in await say(world, LI, "1on1 @Ana Lima", ANA)


async def key_result_id(world: TeamsWorld, title: str) -> int:
    async with world.database.reading() as session:
        found = await session.scalar(select(KeyResultRow.id).where(KeyResultRow.title == title))
    assert found is not None
    return found


async def test_a_check_in_note_goes_on_the_agenda_from_the_summary(world: TeamsWorld) -> None:
    await world.send_prompts()
    prompt = world.last(ANA)
    activation = await key_result_id(world, "Activation from 40% to 60%")
    guide = await key_result_id(world, "Publish the setup guide")
    await world.teams.press(
        ANA,
        prompt,
        "checkin_form",
        {
            f"kr-{activation}-value": "46",
            f"kr-{activation}-confidence": "at_risk",
            f"kr-{activation}-note": "Signups stall at the email step",
            f"kr-{guide}-value": "not_done",
            f"kr-{guide}-confidence": "on_track",
        },
    )
    summary = world.sandbox.activity(ANA.conversation_id, prompt["id"])
    assert "Checked in · week 47" in texts(summary)
    await world.teams.press(ANA, summary, ADD_NOTE)
    form = world.last(ANA)
    [field] = [e for e in elements(form, "Input.Text") if e.get("id") == ITEM_TEXT]
    assert field["label"] == "What to talk about with Mia Boss"
    assert field["value"] == "Signups stall at the email step"

    await world.teams.press(ANA, form, ITEM_FORM, {ITEM_TEXT: ""})
    fixed = world.last(ANA)
    assert "Write what you would like to talk about." in texts(fixed)
    for _ in range(2):  # the same card's submit twice
        await world.teams.press(ANA, fixed, ITEM_FORM, {ITEM_TEXT: "Email step drop-off"})
    assert "Added to your 1:1 agenda with Mia Boss: “Email step drop-off”" in texts(world.last(ANA))
    async with world.database.reading() as session:
        [item] = await session.scalars(select(AgendaItemRow))
    assert item.checkin_id is not None

    world.clock.advance(timedelta(minutes=5))
    shown = await say(world, MIA, "1on1 @Ana Lima", ANA)
    assert "Ana Lima: “Email step drop-off”" in shown
    assert "“Signups stall at the email step”" in shown  # the note itself, as a note


async def test_with_a_rhythm_both_get_the_agenda_card_an_hour_before_once(
    world: TeamsWorld,
) -> None:
    answer = await say(world, ANA, "1on1 @Mia Boss every other tuesday 10:00", MIA)
    assert "Your 1:1 with Mia Boss is every other Tuesday at 10:00 (Europe/Berlin time)" in answer
    assert "the first is Tue 17 Nov at 10:00" in answer
    assert "couldn't read" in await say(world, ANA, "1on1 @Mia Boss weekly-ish", MIA)
    world.clock.set(datetime(2026, 11, 17, 8, 0, tzinfo=UTC))  # 09:00 in Berlin
    for _ in range(2):  # two replicas' outboxes, one after the other
        while await world.deliver():
            pass
    for_mia = [a for a in world.chat(MIA) if "1:1 agenda · Ana Lima" in texts(a)]
    for_ana = [a for a in world.chat(ANA) if "1:1 agenda · Mia Boss" in texts(a)]
    assert len(for_mia) == 1 and len(for_ana) == 1
    assert "Tue 17 Nov 10:00" in texts(for_mia[0]) and "Tue 17 Nov 04:00" in texts(for_ana[0])
    assert "“Waiting on the design review”" in texts(for_mia[0])
    await world.teams.press(MIA, for_mia[0], MARK_DISCUSSED)
    [now] = [a for a in world.chat(MIA) if a["id"] == for_mia[0]["id"]]
    assert "Mia Boss marked this 1:1 held on Tue 17 Nov" in texts(now)
