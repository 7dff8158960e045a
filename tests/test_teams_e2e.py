"""The weekly check-in on Teams, end to end: real botbuilder, real HTTP, the connector sandbox.

The bot runs in dev no-auth mode (as with the Bot Framework Emulator) except in the tests of
authentication, which configure an app id and check that nothing unauthenticated gets through
(test_teams_auth.py runs the same world with real Bot Framework authentication both ways).
Every card the bot sends or updates is checked against the Adaptive Card 1.5 schema.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from okrbot.adapters.teams.auth import SigningKeys
from okrbot.adapters.teams.sandbox import (
    DEFAULT_BOT_ID,
    RateLimits,
    TeamsSandbox,
    message_activity,
)
from okrbot.adapters.teams.simulator import TeamsSimulator, TeamsUser, card_of, inputs_of, walk
from okrbot.bot.clock import FakeClock
from okrbot.bot.delivery import Progress, TransientDeliveryError
from okrbot.bot.messages import NOT_SET_UP, Message, Text
from okrbot.bot.settings import Settings
from okrbot.cli.main import app as cli_app
from okrbot.cli.runtime import Runtime, build_runtime
from okrbot.scheduler.prompts import enqueue_prompts_now
from okrbot.storage.checkins import get_week
from okrbot.storage.convert import to_person
from okrbot.storage.db import Database
from okrbot.storage.models import (
    CheckInRow,
    DeliveryRow,
    KeyResultRow,
    KudosRow,
    PersonRow,
)
from okrbot.storage.people import list_people
from tests.card_schema import card_problems, card_size
from tests.world import ANA, LI, MIA, MONDAY, Seed, add_members, serving

APP_ID = "11111111-2222-3333-4444-555555555555"

STRANGER = TeamsUser.named("Zed Outsider", "zed@elsewhere.example")


@dataclass
class TeamsWorld:
    runtime: Runtime
    sandbox: TeamsSandbox
    teams: TeamsSimulator
    clock: FakeClock
    database: Database

    async def send_prompts(self) -> int:
        async with self.database.reading() as session:
            people = await list_people(session)
        await enqueue_prompts_now(self.database, people, self.clock.now(), "UTC")
        return await self.deliver()

    async def deliver(self) -> int:
        return await self.runtime.outbox.deliver_due(self.runtime.courier)

    def chat(self, user: TeamsUser) -> list[dict[str, Any]]:
        return self.sandbox.activities_in(user.conversation_id)

    def last(self, user: TeamsUser) -> dict[str, Any]:
        return self.chat(user)[-1]


async def seed(database: Database, ana_key_results: int = 0) -> dict[str, int]:
    """Ana is known to Teams by AAD id, Li only by email, Mia is their manager."""
    seed = (
        Seed()
        .person("mia", MIA.email, MIA.name, timezone="Europe/Berlin")
        .person(
            "ana",
            ANA.email,
            ANA.name,
            manager="mia",
            timezone="America/New_York",
            teams_aad_id=ANA.aad_object_id,
        )
        .person("li", LI.email, LI.name, manager="mia")
        .onboarding("mine", owner="ana")
        .churn_objective("theirs", owner="li", position=1)
        .activation("activation", objective="mine", owner="ana")
        .setup_guide("guide", objective="mine", owner="ana")
        .churn("churn", objective="theirs", owner="li")
    )
    for n in range(ana_key_results):
        seed.key_result(
            None,
            f"Onboarding improvement number {n} with a reasonably long title",
            objective="mine",
            owner="ana",
            start=0,
            target=100,
            current=n,
            position=2 + n,
        )
    ids = await seed.write(database)
    return {key: ids[key] for key in ("activation", "guide", "churn")}


async def start_world(
    database: Database,
    settings: Settings,
    *,
    authorize: Callable[[str | None], str | None] | None = None,
) -> AsyncIterator[TeamsWorld]:
    """`authorize` judges the bearer okrbot presents to the connector sandbox."""
    sandbox = TeamsSandbox(authorize=authorize)
    await sandbox.start()
    add_members(sandbox, ANA, LI, MIA, STRANGER)
    clock = FakeClock(MONDAY)
    runtime = await build_runtime(settings, clock=clock, database=database, migrate=False)
    async with serving(runtime) as root:
        teams = TeamsSimulator(f"{root}/api/messages", sandbox)
        yield TeamsWorld(runtime, sandbox, teams, clock, database)
        await teams.close()
    await sandbox.stop()


def assert_cards_valid(sandbox: TeamsSandbox) -> None:
    """Every card the bot posted or put, in every version, is a valid Adaptive Card 1.5."""
    seen = 0
    for request in sandbox.requests:
        for attachment in (request.body or {}).get("attachments") or []:
            assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
            assert card_problems(attachment["content"]) == [], attachment["content"]
            assert attachment["content"]["version"] == "1.5"
            seen += 1
    for request in sandbox.requests:
        if request.kind in ("send", "reply", "update") and request.status < 300:
            assert (request.body or {}).get("attachments"), "the bot sent something without a card"


@pytest.fixture
async def key_results(sqlite_database: Database) -> dict[str, int]:
    return await seed(sqlite_database)


@pytest.fixture
async def world(
    sqlite_database: Database, key_results: dict[str, int]
) -> AsyncIterator[TeamsWorld]:
    settings = Settings(database_url=sqlite_database.url, teams_dev_no_auth=True)
    async for running in start_world(sqlite_database, settings):
        yield running
        assert_cards_valid(running.sandbox)


def texts(activity: dict[str, Any]) -> str:
    card = card_of(activity)
    parts = [e.get("text", "") for e in walk(card.get("body") or []) if e["type"] == "TextBlock"]
    parts += [e.get("label", "") for e in walk(card.get("body") or []) if "label" in e]
    return "\n".join(parts)


def elements(activity: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in walk(card_of(activity).get("body") or []) if e.get("type") == kind]


async def person(database: Database, email: str) -> PersonRow:
    async with database.reading() as session:
        row = await session.scalar(select(PersonRow).where(PersonRow.email == email))
        assert row is not None
        return row


async def checkins(database: Database) -> list[CheckInRow]:
    async with database.reading() as session:
        return list((await session.scalars(select(CheckInRow).order_by(CheckInRow.id))).all())


async def kudos(database: Database) -> list[KudosRow]:
    async with database.reading() as session:
        return list((await session.scalars(select(KudosRow).order_by(KudosRow.id))).all())


async def installed_prompt(world: TeamsWorld, user: TeamsUser = ANA) -> dict[str, Any]:
    await world.teams.install(user)
    await world.send_prompts()
    return world.last(user)


# -- install and identity --------------------------------------------------------------------


async def test_install_stores_the_reference_and_welcomes_once(world: TeamsWorld) -> None:
    replies = await world.teams.install(ANA)
    assert [r.status for r in replies] == [200, 200]
    [welcome] = world.chat(ANA)
    shown = texts(welcome)
    assert "Hi Ana" in shown and "Monday at 10:00" in shown and "America/New_York" in shown
    assert "kudos @name" in shown and "you and your manager only" in shown
    assert "Your Home · 2026-Q4" in shown and "Your key results" in shown  # the Home, below

    row = await person(world.database, ANA.email)
    reference = row.teams_conversation
    assert reference is not None
    assert reference["serviceUrl"] == world.sandbox.service_url
    assert reference["conversation"]["id"] == ANA.conversation_id
    assert reference["conversation"]["tenantID"] == "72f988bf-86f1-41af-91ab-2d7cd011db47"
    assert reference["user"]["id"] == ANA.teams_user_id
    assert reference["bot"]["id"] == DEFAULT_BOT_ID

    await world.teams.install(ANA)  # installing again in the same chat: no second welcome
    assert len(world.chat(ANA)) == 1


async def test_someone_imported_by_email_only_is_recognised(world: TeamsWorld) -> None:
    await world.teams.install(LI)
    row = await person(world.database, LI.email)
    assert row.teams_aad_id == LI.aad_object_id  # learned from the member lookup
    assert row.teams_conversation is not None
    assert "Hi Li" in texts(world.last(LI))


async def test_a_stranger_gets_a_polite_explanation(world: TeamsWorld) -> None:
    await world.teams.install(STRANGER)
    reply = await world.teams.say(STRANGER, "okr")
    assert reply.status == 200
    said = world.chat(STRANGER)
    assert len(said) == 2  # once for the install (not twice), once for the message
    assert all(NOT_SET_UP in texts(a) for a in said)  # the same words as on Slack
    async with world.database.reading() as session:
        assert (
            await session.scalar(select(PersonRow).where(PersonRow.email == STRANGER.email)) is None
        )


async def test_a_retried_activity_is_handled_once(world: TeamsWorld) -> None:
    activity = message_activity(
        "help",
        from_id=ANA.teams_user_id,
        aad_object_id=ANA.aad_object_id,
        conversation_id=ANA.conversation_id,
        service_url=world.sandbox.service_url,
    )
    first, retry = await world.teams.post(activity), await world.teams.post(activity)
    assert first.status == retry.status == 200
    assert len(world.chat(ANA)) == 1


# -- the weekly prompt ----------------------------------------------------------------------


async def test_prompt_card_holds_the_inputs(world: TeamsWorld, key_results: dict[str, int]) -> None:
    prompt = await installed_prompt(world)
    activation, guide = key_results["activation"], key_results["guide"]
    shown = texts(prompt)
    assert "Weekly check-in · week 47" in shown and "Hi Ana" in shown
    assert "Activation from 40% to 60%" in shown and "Publish the setup guide" in shown
    assert "Churn" not in shown  # Li's key result
    assert prompt["summary"] == "Time for your weekly check-in"

    [number] = elements(prompt, "Input.Number")
    assert number["id"] == f"kr-{activation}-value" and number["value"] == 40
    choices = {e["id"]: e for e in elements(prompt, "Input.ChoiceSet")}
    assert [c["title"] for c in choices[f"kr-{guide}-value"]["choices"]] == ["Done", "Not done yet"]
    assert [c["title"] for c in choices[f"kr-{activation}-confidence"]["choices"]] == [
        "On track",
        "At risk",
        "Off track",
    ]
    text_ids = [e["id"] for e in elements(prompt, "Input.Text")]
    assert text_ids == [f"kr-{activation}-note", f"kr-{guide}-note", "kudos-to", "kudos-message"]
    buttons = [a for s in elements(prompt, "ActionSet") for a in s["actions"]]
    assert [b["title"] for b in buttons] == ["Check in", "Snooze 2h", "Skip this week"]
    assert [b.get("associatedInputs", "auto") for b in buttons] == ["auto", "none", "none"]

    async with world.database.reading() as session:
        ana = await person(world.database, ANA.email)
        week = await get_week(session, ana.id, "2026-W47")
    assert week is not None
    [ref] = week.prompt_refs
    assert ref["platform"] == "teams" and ref["activity_id"] == prompt["id"]
    assert ref["conversation"]["conversation"]["id"] == ANA.conversation_id


async def test_next_weeks_prompt_card_shows_where_each_key_result_stands(
    world: TeamsWorld, key_results: dict[str, int]
) -> None:
    prompt = await installed_prompt(world)
    first = texts(prompt)
    assert "▱▱▱▱▱▱▱▱▱▱ 0% · 40% of 60%" in first and "last:" not in first
    activation, guide = key_results["activation"], key_results["guide"]
    await world.teams.press(
        ANA,
        prompt,
        "checkin_form",
        {
            f"kr-{activation}-value": "47.5",
            f"kr-{activation}-confidence": "on_track",
            f"kr-{guide}-value": "not_done",
            f"kr-{guide}-confidence": "at_risk",
        },
    )
    world.clock.advance(timedelta(days=7))
    await world.send_prompts()
    card = world.last(ANA)
    assert card["id"] != prompt["id"] and "week 48" in texts(card)
    blocks = [e["text"] for e in elements(card, "TextBlock")]
    activation_block = next(t for t in blocks if "Activation from 40% to 60%" in t)
    assert "▰▰▰▰▱▱▱▱▱▱ 38% · 47.5% of 60% · last: On track" in activation_block
    guide_block = next(t for t in blocks if "Publish the setup guide" in t)
    assert "▱▱▱▱▱▱▱▱▱▱ 0% · not done · last: At risk" in guide_block
    # Each standing sits with its own inputs: the block comes right before its value input.
    body = [e for e in walk(card_of(card)["body"]) if e.get("type") != "ActionSet"]
    at = next(i for i, e in enumerate(body) if e.get("text") == activation_block)
    assert body[at + 1]["id"] == f"kr-{activation}-value"


async def test_checkins_send_now_reaches_teams_people(world: TeamsWorld) -> None:
    await world.teams.install(ANA)
    delivered = await world.send_prompts()
    assert delivered == 1  # Ana; Li and Mia never installed the app
    async with world.database.reading() as session:
        failed = list(
            await session.scalars(select(DeliveryRow).where(DeliveryRow.status == "failed"))
        )
    assert sorted(d.last_error or "" for d in failed) == [
        "li@example.com has no platform okrbot can reach",
        "mia@example.com has no platform okrbot can reach",
    ]


# -- submissions ---------------------------------------------------------------------------


async def test_check_in_then_amend(world: TeamsWorld, key_results: dict[str, int]) -> None:
    prompt = await installed_prompt(world)
    activation, guide = key_results["activation"], key_results["guide"]
    reply = await world.teams.press(
        ANA,
        prompt,
        "checkin_form",
        {
            f"kr-{activation}-value": "47.5",
            f"kr-{activation}-confidence": "on_track",
            f"kr-{activation}-note": "New welcome flow shipped",
            f"kr-{guide}-value": "not_done",
            f"kr-{guide}-confidence": "at_risk",
        },
    )
    assert reply.status == 200
    stored = await checkins(world.database)
    assert [(c.value, c.confidence, c.platform) for c in stored] == [
        (47.5, "on_track", "teams"),
        (0.0, "at_risk", "teams"),
    ]
    summary = world.sandbox.activity(ANA.conversation_id, prompt["id"])
    shown = texts(summary)
    assert "Checked in · week 47" in shown and "47.5%" in shown and "+7.5 pts" in shown
    assert "New welcome flow shipped" in shown
    assert len(world.chat(ANA)) == 2  # welcome + the prompt, now the summary: replaced in place

    await world.teams.press(ANA, summary, "checkin_open")  # Amend
    form = world.sandbox.activity(ANA.conversation_id, prompt["id"])
    assert inputs_of(card_of(form))[f"kr-{activation}-value"] == "47.5"
    await world.teams.press(
        ANA,
        form,
        "checkin_form",
        {f"kr-{activation}-value": "50", f"kr-{activation}-confidence": "at_risk"},
    )
    amended = await checkins(world.database)
    assert [(c.value, c.confidence) for c in amended] == [(50, "at_risk"), (0.0, "at_risk")]
    assert "+10 pts" in texts(world.sandbox.activity(ANA.conversation_id, prompt["id"]))


async def test_invalid_values_show_errors_and_keep_what_was_typed(
    world: TeamsWorld, key_results: dict[str, int]
) -> None:
    prompt = await installed_prompt(world)
    activation, guide = key_results["activation"], key_results["guide"]
    await world.teams.press(
        ANA,
        prompt,
        "checkin_form",
        {
            f"kr-{activation}-value": "lots",
            f"kr-{activation}-confidence": "",
            f"kr-{activation}-note": "Still typing this",
            f"kr-{guide}-value": "done",
            f"kr-{guide}-confidence": "on_track",
        },
    )
    assert await checkins(world.database) == []
    card = card_of(world.sandbox.activity(ANA.conversation_id, prompt["id"]))
    body = list(walk(card["body"]))
    ids = [e.get("id") for e in body]
    value_at = ids.index(f"kr-{activation}-value")
    assert body[value_at + 1]["color"] == "attention"
    assert "“lots” is not a number" in body[value_at + 1]["text"]
    confidence_at = ids.index(f"kr-{activation}-confidence")
    assert "Pick how confident you are" in body[confidence_at + 1]["text"]
    typed = inputs_of(card)
    assert typed[f"kr-{activation}-note"] == "Still typing this"
    assert typed[f"kr-{guide}-value"] == "done" and typed[f"kr-{guide}-confidence"] == "on_track"
    assert sum(1 for e in body if e.get("color") == "attention") == 3  # banner + two fields


async def test_a_forged_submit_cannot_touch_someone_elses_key_result(
    world: TeamsWorld, key_results: dict[str, int]
) -> None:
    await installed_prompt(world)
    churn, activation = key_results["churn"], key_results["activation"]
    await world.teams.submit(
        ANA,
        {
            "action": "checkin_form",
            "page": 0,
            f"kr-{churn}-value": "0.1",
            f"kr-{churn}-confidence": "on_track",
            f"kr-{activation}-value": "41",
            f"kr-{activation}-confidence": "on_track",
        },
    )
    stored = await checkins(world.database)
    assert [c.key_result_id for c in stored] == [activation]
    async with world.database.reading() as session:
        assert (await session.get(KeyResultRow, churn)).current == 3.5  # type: ignore[union-attr]


async def test_recognition_in_the_check_in(world: TeamsWorld, key_results: dict[str, int]) -> None:
    prompt = await installed_prompt(world)
    activation, guide = key_results["activation"], key_results["guide"]
    answers = {
        f"kr-{activation}-value": "45",
        f"kr-{activation}-confidence": "on_track",
        f"kr-{guide}-value": "not_done",
        f"kr-{guide}-confidence": "on_track",
        "kudos-to": "Nobody Known",
        "kudos-message": "for the research",
    }
    await world.teams.press(ANA, prompt, "checkin_form", answers)
    assert await checkins(world.database) == [] and await kudos(world.database) == []
    card = world.sandbox.activity(ANA.conversation_id, prompt["id"])
    assert "couldn't find Nobody Known" in texts(card)

    await world.teams.press(ANA, card, "checkin_form", {"kudos-to": "li@example.com, Mia Boss"})
    given = await kudos(world.database)
    assert len(given) == 2 and {k.source for k in given} == {"checkin"}
    assert all(k.message == "for the research" for k in given)
    assert "Kudos sent to Li Wei and Mia Boss" in texts(
        world.sandbox.activity(ANA.conversation_id, prompt["id"])
    )


async def test_snooze_and_the_prompt_comes_back(world: TeamsWorld) -> None:
    prompt = await installed_prompt(world)
    await world.teams.press(ANA, prompt, "checkin_snooze")
    snoozed = world.sandbox.activity(ANA.conversation_id, prompt["id"])
    assert "Snoozed" in texts(snoozed) and not elements(snoozed, "Input.Number")
    # Two hours after 05:00 in New York is still before Ana's working day: back at 08:00.
    assert "08:00" in texts(snoozed)
    world.clock.advance(timedelta(minutes=179))
    assert await world.deliver() == 0
    world.clock.advance(timedelta(minutes=1))
    assert await world.deliver() == 1
    again = world.last(ANA)
    assert again["id"] != prompt["id"] and elements(again, "Input.Number")


async def test_a_double_pressed_snooze_brings_the_prompt_back_once(world: TeamsWorld) -> None:
    prompt = await installed_prompt(world)
    world.clock.advance(timedelta(hours=4))  # into the working day: back in two hours
    await world.teams.press(ANA, prompt, "checkin_snooze")
    world.clock.advance(timedelta(seconds=1))
    await world.teams.press(ANA, prompt, "checkin_snooze")
    world.clock.advance(timedelta(hours=4))
    assert await world.deliver() == 1


async def test_skip_replaces_the_card_and_silences_the_week(world: TeamsWorld) -> None:
    prompt = await installed_prompt(world)
    await world.teams.press(ANA, prompt, "checkin_skip")
    skipped = world.sandbox.activity(ANA.conversation_id, prompt["id"])
    assert "Skipped week 47" in texts(skipped)
    row = await person(world.database, ANA.email)
    async with world.database.transaction() as session:
        await enqueue_reminder(session, row.id)
    assert await world.deliver() == 0
    assert world.last(ANA)["id"] == prompt["id"]


async def enqueue_reminder(session: Any, person_id: int) -> None:
    from okrbot.scheduler.outbox import enqueue

    await enqueue(
        session,
        key=f"reminder:{person_id}",
        kind="reminder",
        due_at=MONDAY,
        person_id=person_id,
        period="2026-W47",
    )


async def test_a_card_from_last_week_is_refreshed_not_recorded(
    world: TeamsWorld, key_results: dict[str, int]
) -> None:
    prompt = await installed_prompt(world)
    world.clock.advance(timedelta(days=7))
    activation = key_results["activation"]
    await world.teams.press(
        ANA,
        prompt,
        "checkin_form",
        {f"kr-{activation}-value": "45", f"kr-{activation}-confidence": "on_track"},
    )
    assert await checkins(world.database) == []
    refreshed = world.sandbox.activity(ANA.conversation_id, prompt["id"])
    assert "That card was for week 47" in texts(refreshed) and "week 48" in texts(refreshed)


# -- commands ------------------------------------------------------------------------------


async def test_commands(world: TeamsWorld) -> None:
    await world.teams.install(ANA)
    await world.teams.say(ANA, "okr")
    overview = texts(world.last(ANA))
    assert "Your OKRs · 2026-Q4" in overview and "Activation from 40% to 60%" in overview

    bot = TeamsUser(DEFAULT_BOT_ID, "", "okrbot", "")
    await world.teams.say(ANA, "@okrbot help", mentions=[bot])
    helped = texts(world.last(ANA))
    assert "okrbot help" in helped
    assert "`channel` — managers: post your team's OKRs" in helped and "okr channel" not in helped

    await world.teams.say(ANA, "checkin")
    assert elements(world.last(ANA), "Input.Number")
    await world.teams.say(ANA, "okr checkin")
    assert elements(world.last(ANA), "Input.Number")

    await world.teams.say(ANA, "what is this")
    assert "I don't know “what is this”" in texts(world.last(ANA))


async def test_overview_check_in_button_sends_a_form_below(world: TeamsWorld) -> None:
    await world.teams.install(ANA)
    await world.teams.say(ANA, "okr")
    overview = world.last(ANA)
    await world.teams.press(ANA, overview, "checkin_open")
    assert "Your OKRs" in texts(world.sandbox.activity(ANA.conversation_id, overview["id"]))
    assert elements(world.last(ANA), "Input.Number")


# -- limits and failures -------------------------------------------------------------------


async def test_recovers_from_throttling_and_server_errors(world: TeamsWorld) -> None:
    await world.teams.install(ANA)
    world.sandbox.fail_next("reply", 429, retry_after=30)
    assert await world.send_prompts() == 0
    world.clock.advance(timedelta(seconds=29))
    assert await world.deliver() == 0  # Retry-After is honoured
    world.sandbox.fail_next("reply", 502)
    world.sandbox.fail_next("reply", 500)
    world.clock.advance(timedelta(seconds=1))
    assert await world.deliver() == 0
    for _ in range(3):
        world.clock.advance(timedelta(minutes=10))
        await world.deliver()
    prompts = [a for a in world.chat(ANA) if elements(a, "Input.Number")]
    assert len(prompts) == 1  # delivered once, nothing lost, nothing doubled
    statuses = [r.status for r in world.sandbox.requests if r.kind == "reply"]
    assert statuses[-4:] == [429, 502, 500, 201]


async def test_blocked_bot_marks_the_person_unreachable(world: TeamsWorld) -> None:
    await world.teams.install(ANA)
    world.sandbox.fail_next("reply", 403)
    assert await world.send_prompts() == 0
    row = await person(world.database, ANA.email)
    assert row.teams_unreachable_at == MONDAY
    async with world.database.reading() as session:
        delivery = await session.scalar(select(DeliveryRow).where(DeliveryRow.person_id == row.id))
    assert delivery is not None and delivery.status == "failed"
    world.clock.advance(timedelta(days=1))
    assert await world.deliver() == 0  # not retried
    assert len([r for r in world.sandbox.requests if r.kind == "reply" and r.status == 403]) == 1

    env = {"OKRBOT_DATABASE_URL": world.database.url}
    listed = await asyncio.to_thread(
        CliRunner().invoke, cli_app, ["people", "list", "--unreachable"], env=env
    )
    assert listed.exit_code == 0, listed.output
    assert "ana@example.com" in listed.output and "li@example.com" not in listed.output

    await world.teams.say(ANA, "okr")  # writing to the bot again makes Ana reachable
    assert (await person(world.database, ANA.email)).teams_unreachable_at is None


async def test_uninstall_marks_unreachable(world: TeamsWorld) -> None:
    await world.teams.install(ANA)
    await world.teams.uninstall(ANA)
    assert (await person(world.database, ANA.email)).teams_unreachable_at == MONDAY
    await world.teams.install(ANA)  # reinstalling: reachable, and welcomed again
    assert (await person(world.database, ANA.email)).teams_unreachable_at is None
    assert sum("Hi Ana" in texts(a) for a in world.chat(ANA)) == 2


async def test_malformed_bodies_are_400(world: TeamsWorld) -> None:
    for body in (b"{not json", b"[]", b'"text"', b"{}", b'{"type": "message"}'):
        reply = await world.teams.post(body)
        assert reply.status == 400, body
    assert world.sandbox.requests == []


# -- many key results ------------------------------------------------------------------------


@pytest.fixture
async def crowded(sqlite_database: Database) -> AsyncIterator[TeamsWorld]:
    await seed(sqlite_database, ana_key_results=58)  # 60 in all
    settings = Settings(database_url=sqlite_database.url, teams_dev_no_auth=True)
    async for running in start_world(sqlite_database, settings):
        yield running
        assert_cards_valid(running.sandbox)


async def test_sixty_key_results_page_through_cards_under_80_kb(crowded: TeamsWorld) -> None:
    prompt = await installed_prompt(crowded)
    assert card_size(card_of(prompt)) < 80 * 1024
    card = prompt
    for page, size in enumerate((18, 18, 18, 6)):  # 18 key results a page
        numbers = elements(card, "Input.Number")
        assert len(numbers) == (size - 1 if page == 0 else size)  # page 1 has the milestone
        standings = [e for e in elements(card, "TextBlock") if "% · " in e["text"]]
        assert len(standings) == size  # every key result with its bar, next to its inputs
        typed = {}
        for element in walk(card_of(card)["body"]):
            if str(element.get("id", "")).endswith("-confidence"):
                typed[element["id"]] = "on_track"
            if element.get("id") == "kr-2-value":
                typed["kr-2-value"] = "done"
        await crowded.teams.press(ANA, card, "checkin_form", typed)
        card = crowded.sandbox.activity(ANA.conversation_id, prompt["id"])
        assert card_size(card_of(card)) < 80 * 1024
    assert len(await checkins(crowded.database)) == 60
    assert "Checked in · week 47" in texts(card)


# -- authentication --------------------------------------------------------------------------


@pytest.fixture
async def secured(
    sqlite_database: Database, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TeamsWorld]:
    await seed(sqlite_database)

    async def no_network(self: Any) -> None:
        raise AssertionError("okrbot tried to fetch Microsoft's signing keys")

    monkeypatch.setattr(SigningKeys, "_refresh", no_network)
    settings = Settings(
        database_url=sqlite_database.url,
        microsoft_app_id=APP_ID,
        microsoft_app_password="secret",
    )
    async for running in start_world(sqlite_database, settings):
        yield running


def unsigned_token(**claims: Any) -> str:
    body = {"iss": "https://api.botframework.com", "aud": APP_ID, "exp": 4102444800, **claims}
    return jwt.encode(
        body, "not-microsoft-not-microsoft-not-microsoft", algorithm="HS256", headers={"kid": "k1"}
    )


async def test_unauthenticated_requests_are_refused_and_touch_nothing(secured: TeamsWorld) -> None:
    activity = message_activity(
        "okr",
        from_id=ANA.teams_user_id,
        aad_object_id=ANA.aad_object_id,
        conversation_id=ANA.conversation_id,
        service_url=secured.sandbox.service_url,
    )
    headers = [
        {},
        {"Authorization": "Bearer junk"},
        {"Authorization": "Basic YWxhZGRpbjpvcGVuc2VzYW1l"},
        {"Authorization": "Bearer " + unsigned_token()},
        {"Authorization": "Bearer " + unsigned_token(aud="another-app")},
        {"Authorization": "Bearer " + unsigned_token(exp=1_000_000)},
    ]
    for header in headers:
        reply = await secured.teams.post(activity, headers=header)
        assert reply.status == 401, header
    malformed = await secured.teams.post(b"{not json")
    assert malformed.status == 401  # authentication comes before parsing
    assert secured.sandbox.requests == []
    row = await person(secured.database, ANA.email)
    assert row.teams_conversation is None
    async with secured.database.reading() as session:
        assert (await session.execute(select(CheckInRow))).first() is None


async def test_teams_is_off_without_an_app_id(sqlite_database: Database) -> None:
    runtime = await build_runtime(
        Settings(database_url=sqlite_database.url), database=sqlite_database, migrate=False
    )
    assert runtime.teams is None and runtime.courier.teams is None


def test_serve_refuses_dev_no_auth_on_a_public_interface(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OKRBOT_TEAMS_DEV_NO_AUTH", "1")
    monkeypatch.setenv("OKRBOT_DATABASE_URL", "sqlite+aiosqlite:///:memory:")
    result = CliRunner().invoke(cli_app, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert "loopback" in result.output


async def test_update_of_a_paused_flag_is_not_needed_for_teams(world: TeamsWorld) -> None:
    """A paused person gets no prompt on Teams either (the courier decides for both)."""
    await world.teams.install(ANA)
    async with world.database.transaction() as session:
        await session.execute(
            update(PersonRow)
            .where(PersonRow.email == ANA.email)
            .values(paused_until=MONDAY.date() + timedelta(days=3))
        )
    async with world.database.reading() as session:
        people = await list_people(session)
    from okrbot.scheduler.outbox import enqueue

    async with world.database.transaction() as session:
        ana = next(p for p in people if p.email == ANA.email)
        await enqueue(
            session,
            key="prompt:ana",
            kind="prompt",
            due_at=MONDAY,
            person_id=ana.id,
            period="2026-W47",
        )
    await world.deliver()
    assert not any(elements(a, "Input.Number") for a in world.chat(ANA))


# -- manager digests, nudges, reflections and the quarter summary on Teams --------------------


async def test_digest_nudge_reflection_and_summary_on_teams(
    world: TeamsWorld, key_results: dict[str, int]
) -> None:
    for user in (ANA, LI, MIA):
        await world.teams.install(user)
    await world.runtime.ticker.tick()
    prompt = await installed_prompt(world)
    activation, guide = key_results["activation"], key_results["guide"]
    await world.teams.press(
        ANA,
        prompt,
        "checkin_form",
        {
            f"kr-{activation}-value": "50",
            f"kr-{activation}-confidence": "at_risk",
            f"kr-{activation}-note": "Design review pending",
            f"kr-{guide}-value": "not_done",
            f"kr-{guide}-confidence": "on_track",
        },
    )
    world.clock.set(datetime(2026, 11, 20, 14, 0, tzinfo=UTC))  # Friday 15:00 in Berlin
    await world.runtime.ticker.tick()
    digest = world.last(MIA)
    shown = texts(digest)
    assert "Checked in 1 of 2" in shown and "Design review pending" in shown
    assert "Churn" not in shown or "Li Wei" in shown

    # Mia nudges Li from the digest card; Li gets the reminder.
    before = len(world.chat(LI))
    await world.teams.press(MIA, digest, "digest_nudge")
    await world.runtime.ticker.tick()
    assert len(world.chat(LI)) == before + 1

    # Last week of the quarter: the reflection card, filled in and saved.
    world.clock.set(datetime(2026, 12, 27, 12, 0, tzinfo=UTC))
    await world.runtime.ticker.tick()
    world.clock.set(datetime(2026, 12, 28, 15, 30, tzinfo=UTC))
    await world.runtime.ticker.tick()
    reflect = next(a for a in reversed(world.chat(ANA)) if "Looking back" in texts(a))
    await world.teams.press(ANA, reflect, "reflection_open")
    form = world.sandbox.activity(ANA.conversation_id, reflect["id"])
    await world.teams.press(ANA, form, "reflection_form", {f"kr-{activation}-self": "2"})
    form = world.sandbox.activity(ANA.conversation_id, reflect["id"])
    assert "0.0 to 1.0" in texts(form)
    await world.teams.press(
        ANA,
        form,
        "reflection_form",
        {f"kr-{activation}-self": "0.5", "went-well": "Shipped the flow"},
    )
    assert "is saved" in texts(world.sandbox.activity(ANA.conversation_id, reflect["id"]))

    # First weekday after the quarter: Mia's summary waits for Li's reflection.
    world.clock.set(datetime(2027, 1, 1, 14, 30, tzinfo=UTC))
    await world.runtime.ticker.tick()
    assert not any("Quarter summary" in texts(a) for a in world.chat(MIA))
    # Li reflects on Monday, in the week after the quarter: the last one, so the summary goes.
    world.clock.set(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))
    li_reflect = next(a for a in reversed(world.chat(LI)) if "Looking back" in texts(a))
    await world.teams.press(LI, li_reflect, "reflection_open")
    li_form = world.sandbox.activity(LI.conversation_id, li_reflect["id"])
    await world.teams.press(LI, li_form, "reflection_form", {"went-well": "Churn calls"})
    assert "is saved" in texts(world.sandbox.activity(LI.conversation_id, li_reflect["id"]))
    await world.runtime.ticker.tick()
    cards = [card_of(a) for a in world.chat(MIA)]
    assert any("Quarter summary · 2026-Q4" in texts(a) for a in world.chat(MIA))
    assert any("Shipped the flow" in texts(a) for a in world.chat(MIA))
    assert any("Churn calls" in texts(a) for a in world.chat(MIA))
    org = next(texts(a) for a in world.chat(MIA) if "Objectives your org owns" in texts(a))
    assert "🎯 **Make onboarding effortless** (Ana Lima) · " in org
    assert "🎯 **Cut churn** (Li Wei) · " in org
    images = [e for c in cards for e in walk(c.get("body") or []) if e.get("type") == "Image"]
    assert images and all(i["url"].startswith("data:image/png;base64,") for i in images)
    assert_cards_valid(world.sandbox)


async def test_settings_card_moves_the_checkin_and_pauses(
    world: TeamsWorld, key_results: dict[str, int]
) -> None:
    await world.teams.install(ANA)
    await world.runtime.ticker.tick()
    await world.teams.say(ANA, "settings")
    card = world.last(ANA)
    assert "Check-in settings" in texts(card) or "Ask me on" in texts(card)
    await world.teams.press(
        ANA, card, "prefs_form", {"prefs-day": "fri", "prefs-time": "08:00", "prefs-away": "x"}
    )
    card = world.sandbox.activity(ANA.conversation_id, card["id"])
    assert "not a date" in texts(card)
    await world.teams.press(
        ANA, card, "prefs_form", {"prefs-day": "fri", "prefs-time": "08:00", "prefs-away": ""}
    )
    saved = world.sandbox.activity(ANA.conversation_id, card["id"])
    assert "Fridays at 08:00" in texts(saved)
    # Teams has no Home tab: the confirmation names the command that opens the settings again.
    assert "type `settings` in our chat" in texts(saved)
    assert "Home tab" not in texts(saved)
    ana = await person(world.database, ANA.email)
    assert (ana.checkin_day, ana.checkin_time.strftime("%H:%M")) == (4, "08:00")
    assert_cards_valid(world.sandbox)


async def test_a_persons_own_working_hours_from_the_settings_card(
    world: TeamsWorld, key_results: dict[str, int]
) -> None:
    await world.teams.install(ANA)
    await world.teams.say(ANA, "settings")
    card = world.last(ANA)
    [days] = [e for e in elements(card, "Input.ChoiceSet") if e["id"] == "prefs-work-days"]
    assert days["value"] == "mon-fri"  # the company's, to start with
    own = {"prefs-work-start": "07:00", "prefs-work-end": "15:00", "prefs-work-days": "mon-thu"}
    await world.teams.press(
        ANA, card, "prefs_form", {"prefs-day": "fri", "prefs-time": "08:00", **own}
    )
    saved = world.sandbox.activity(ANA.conversation_id, card["id"])
    assert "Monday to Thursday, 07:00 to 15:00" in texts(saved)
    ana = await person(world.database, ANA.email)
    assert (ana.work_start.strftime("%H:%M"), ana.work_days) == ("07:00", "mon-thu")
    assert_cards_valid(world.sandbox)


async def test_sends_keep_within_teams_rate_limits(
    sqlite_database: Database, key_results: dict[str, int]
) -> None:
    """A burst to one conversation is paced by okrbot, so Teams never has to answer 429."""
    settings = Settings(database_url=sqlite_database.url, teams_dev_no_auth=True)
    async for running in start_world(sqlite_database, settings):
        clock = running.clock
        limits = RateLimits(per_conversation=((1.0, 7), (2.0, 8), (30.0, 60)))
        running.sandbox.rate_limits = limits
        running.sandbox.clock = lambda fake=clock: fake.now().timestamp()
        await running.teams.install(ANA)
        ana = await person(running.database, ANA.email)
        messenger = running.runtime.teams.messenger
        started = clock.now()
        note = Message("note", (Text("hello"),))
        for _ in range(12):
            await messenger.send(to_person(ana), [note])
        refused = [r for r in running.sandbox.requests if r.status == 429]
        assert refused == []
        assert clock.now() - started >= timedelta(seconds=3)


async def test_each_part_is_recorded_as_the_connector_takes_it(world: TeamsWorld) -> None:
    """Teams has no metadata to find a post by, so each activity id is recorded the moment the
    connector answers: when part 2 of 3 is refused, the retry sends parts 2 and 3 only."""
    await world.teams.install(ANA)
    ana = to_person(await person(world.database, ANA.email))
    messenger = world.runtime.teams.messenger
    parts = [Message(f"part {n}", (Text(f"part {n}"),)) for n in (1, 2, 3)]
    recorded: dict[int, dict[str, Any]] = {}

    async def record(part: int, ref: dict[str, Any]) -> None:
        recorded[part] = ref

    before = len(world.chat(ANA))
    world.sandbox.fail_next("reply", delay=0.001)  # part 1 is taken
    world.sandbox.fail_next("reply", status=500)  # part 2 is refused
    with pytest.raises(TransientDeliveryError):
        await messenger.send_parts(ana, parts, Progress(on_sent=record))
    assert list(recorded) == [0] and len(world.chat(ANA)) == before + 1
    refs = await messenger.send_parts(ana, parts, Progress(None, dict(recorded), record))
    assert [texts(a) for a in world.chat(ANA)[before:]] == ["part 1", "part 2", "part 3"]
    assert refs[0] == recorded[0] and [r["activity_id"] for r in refs] == [
        recorded[n]["activity_id"] for n in (0, 1, 2)
    ]
