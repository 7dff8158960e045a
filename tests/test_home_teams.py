"""Teams' Home card, end to end: `home` typed to the real botbuilder app, and the Home below the
welcome when the app is installed; every card a valid Adaptive Card 1.5 under 80 KB. The same
Home as Slack's App Home: key results, next prompt, kudos, "My team", the company's alignment
tree collapsed below two levels, the caps of a big company, and nothing anyone confided.
Also `okr` where others read along, which shows confidence as browse does, never notes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from okrbot.adapters.teams.sandbox import thread_id
from okrbot.adapters.teams.simulator import TeamsUser, card_of
from okrbot.bot.settings import Settings
from okrbot.storage.db import Database
from okrbot.storage.models import KudosRow
from tests.card_schema import card_size
from tests.test_teams_e2e import TeamsWorld, assert_cards_valid, elements, seed, start_world, texts
from tests.world import (
    ANA,
    DEEP_OBJECTIVES,
    LI,
    MIA,
    MONDAY,
    PRIVATE_TEXTS,
    add_members,
    section,
    seed_crowd,
    seed_home,
)

VICTOR = TeamsUser.named("Victor Solo", "victor@example.com")
MAX_CARD_BYTES = 80_000
GROUP = (thread_id("okr-group-chat", "thread.v2"), "groupChat")


@pytest.fixture
async def world(sqlite_database: Database) -> AsyncIterator[TeamsWorld]:
    await seed(sqlite_database)
    ids = await seed_home(sqlite_database)
    async with sqlite_database.transaction() as session:
        session.add(
            KudosRow(
                giver_id=ids["li"],
                giver_platform_id=LI.teams_user_id,
                recipient_id=ids["ana"],
                recipient_platform_id=ANA.teams_user_id,
                message="Thanks for the onboarding demo",
                values=[],
                platform="teams",
                source="command",
                created_at=MONDAY,
            )
        )
    settings = Settings(database_url=sqlite_database.url, teams_dev_no_auth=True)
    async for running in start_world(sqlite_database, settings):
        add_members(running.sandbox, VICTOR)
        yield running
        assert_cards_valid(running.sandbox)


async def home(world: TeamsWorld, user: TeamsUser) -> dict[str, Any]:
    """The Home card `user` gets for typing `home` in their 1:1 chat with okrbot."""
    before = len(world.chat(user))
    reply = await world.teams.say(user, "home")
    assert reply.status == 200
    [card] = world.chat(user)[before:]
    assert card_size(card_of(card)) < MAX_CARD_BYTES
    return card


async def test_home_shows_key_results_next_prompt_kudos_team_and_company(
    world: TeamsWorld,
) -> None:
    await world.runtime.ticker.tick()  # the scheduler plans Ana's next prompt
    shown = texts(await home(world, ANA))
    assert "Hi Ana 👋 · 2026-Q4" in shown
    assert "Your next check-in prompt: Monday 16 November, 10:00 (EST)" in shown
    own = section(shown, "Your key results", "Kudos you received this quarter (1)")
    assert "Activation from 40% to 60%" in own and "last: On track" in own
    assert "**Li Wei**: Thanks for the onboarding demo" in shown
    team = section(shown, "My team", "Company")
    assert "You work with Mia Boss (your manager), Li Wei." in team
    assert "Churn from 3.5% to 2%: ▱▱▱▱▱▱▱▱▱▱ 0% · 3.5% of 2% · At risk" in team
    company = section(shown, "Company", None)
    assert "🏢 **Grow trust in every team**" in company
    assert "↳ **Cut churn** · ▱▱▱▱▱▱▱▱▱▱ 0% · Li Wei" in company
    assert "+ 2 more objectives support it (Victor Solo): `okr @name` shows them" in company
    for title in DEEP_OBJECTIVES:
        assert title not in company


async def test_the_home_card_buttons_open_the_check_in_and_the_settings(
    world: TeamsWorld,
) -> None:
    card = await home(world, ANA)
    await world.teams.press(ANA, card, "prefs_open")
    settings = world.last(ANA)
    assert settings["id"] != card["id"] and "Check-in settings" in texts(settings)
    assert elements(settings, "Input.ChoiceSet")
    assert "Hi Ana" in texts(world.sandbox.activity(ANA.conversation_id, card["id"]))  # kept
    await world.teams.press(ANA, card, "checkin_open")
    assert elements(world.last(ANA), "Input.Number")


async def test_install_sends_the_home_below_the_welcome_for_someone_in_no_team(
    world: TeamsWorld,
) -> None:
    await world.teams.install(VICTOR)
    [welcome] = world.chat(VICTOR)  # one card: the welcome, then the Home
    shown = texts(welcome)
    assert "Hi Victor 👋 I'm okrbot" in shown and "Your Home · 2026-Q4" in shown
    assert "You are in no team in okrbot: nobody is your manager or reports to you." in shown
    assert "`okr @someone` shows anyone's OKRs." in shown
    assert DEEP_OBJECTIVES[0] in section(shown, "Your key results", "My team")  # his own
    assert card_size(card_of(welcome)) < MAX_CARD_BYTES


async def test_a_manager_sees_the_team_they_lead(world: TeamsWorld) -> None:
    await world.teams.install(MIA)
    team = section(texts(world.last(MIA)), "My team", "Company")
    assert "You lead Ana Lima, Li Wei." in team and "your manager" not in team
    assert "Make onboarding effortless" in team and "Cut churn" in team
    assert "On track" in team and "At risk" in team


async def test_home_where_others_read_along_points_to_the_private_chat(world: TeamsWorld) -> None:
    await world.teams.say(ANA, "home", where=GROUP)
    [answer] = world.sandbox.activities_in(GROUP[0])
    shown = texts(answer)
    assert "Your Home and next prompt are private" in shown and "`home`" in shown
    assert "My team" not in shown and "Activation" not in shown


async def test_a_big_company_home_card_stays_under_80_kb_and_says_what_it_left_out(
    world: TeamsWorld,
) -> None:
    await seed_crowd(world.database)
    shown = texts(await home(world, ANA))  # under 80 KB, and valid (checked at teardown)
    assert "more objectives: `okr` lists them all." in shown
    assert "Kudos you received this quarter (26)" in shown and "…and 16 more." in shown
    assert "Peer Number 09 and 30 more." in shown
    assert "more: `okr team` shows them all." in shown
    assert "↳ …and 2 more supporting objectives: `okr company` names them" in shown
    assert "more company objectives: `okr company` shows them." in shown


async def test_no_home_card_carries_a_note_blocker_or_reflection(world: TeamsWorld) -> None:
    for user in (ANA, LI, MIA, VICTOR):
        await world.teams.install(user)
    cards = [texts(await home(world, user)) for user in (ANA, LI, MIA, VICTOR)]
    cards += [texts(world.chat(user)[0]) for user in (ANA, LI, MIA, VICTOR)]  # at install
    assert "Activation from 40% to 60%" in cards[2] and "Churn from 3.5% to 2%" in cards[0]
    for shown in cards:
        for private in PRIVATE_TEXTS:
            assert private not in shown


async def test_okr_where_others_read_along_shows_confidence_but_no_note(
    world: TeamsWorld,
) -> None:
    await world.teams.say(ANA, "okr", where=GROUP)
    [answer] = world.sandbox.activities_in(GROUP[0])
    shown = texts(answer)
    assert "Ana Lima's OKRs · 2026-Q4" in shown
    assert "Activation from 40% to 60%" in shown and "· On track" in shown
    assert "Publish the setup guide" in shown and "no check-in yet" in shown
    assert "check-in notes stay private" in shown
    for private in PRIVATE_TEXTS:
        assert private not in shown
