"""Browsing OKRs on Teams, end to end: `okr @person`, `okr team [@manager]`, `okr company` and
`okr <words>` typed to the real botbuilder app, with @mentions as Teams sends them; every card a
valid Adaptive Card, and nothing anyone confided in a check-in or reflection in any of them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from okrbot.adapters.teams.sandbox import message_activity
from okrbot.adapters.teams.simulator import TeamsUser
from okrbot.bot.settings import Settings
from okrbot.storage.db import Database
from okrbot.storage.models import PersonRow
from tests.card_schema import card_size
from tests.test_teams_e2e import STRANGER, TeamsWorld, assert_cards_valid, seed, start_world, texts
from tests.world import ANA, LI, MIA, PRIVATE_TEXTS, Seed, add_members, seed_browse

VICTOR = TeamsUser.named("Victor Solo", "victor@example.com")
MAX_CARD_BYTES = 80_000


@pytest.fixture
async def world(sqlite_database: Database) -> AsyncIterator[TeamsWorld]:
    await seed(sqlite_database)
    await seed_browse(sqlite_database)
    settings = Settings(database_url=sqlite_database.url, teams_dev_no_auth=True)
    async for running in start_world(sqlite_database, settings):
        add_members(running.sandbox, VICTOR)
        await running.teams.install(ANA)
        yield running
        assert_cards_valid(running.sandbox)


async def browse(
    world: TeamsWorld, text: str, mentions: list[TeamsUser] | None = None
) -> list[dict[str, Any]]:
    """The cards Ana gets for what she typed, in order; each inside a Teams card's size."""
    before = len(world.chat(ANA))
    await world.teams.say(ANA, text, mentions=mentions)
    cards = world.chat(ANA)[before:]
    assert cards, f"no answer to {text}"
    for card in cards:
        assert card_size(card["attachments"][0]["content"]) < MAX_CARD_BYTES
    return cards


def shown(cards: list[dict[str, Any]]) -> str:
    return "\n".join(texts(card) for card in cards)


async def test_a_persons_okrs_with_kind_score_confidence_owner_and_alignment(
    world: TeamsWorld,
) -> None:
    answer = shown(await browse(world, "okr @Li Wei", [LI]))
    assert "Li Wei's OKRs · 2026-Q4" in answer
    assert "**Cut churn**" in answer and "Aspirational" in answer and "owner: Li Wei" in answer
    assert "Supports: Grow trust in every team" in answer
    assert "Churn from 3.5% to 2%" in answer and "At risk" in answer
    assert "Make onboarding effortless" not in answer


async def test_a_team_is_the_manager_and_their_reports(world: TeamsWorld) -> None:
    named = shown(await browse(world, "okr team @Mia Boss", [MIA]))
    assert "Mia Boss's team · 2026-Q4" in named
    for title in ("Make onboarding effortless", "Cut churn", "Grow trust in every team"):
        assert title in named
    assert shown(await browse(world, "okr team")) == named


async def test_company_objectives_show_what_supports_them(world: TeamsWorld) -> None:
    answer = shown(await browse(world, "okr company"))
    assert "Company OKRs · 2026-Q4" in answer and "Committed" in answer
    assert "Supported by: Make onboarding effortless, Cut churn" in answer
    assert "Trust score from 60 to 80" in answer and "no check-in yet" in answer


async def test_search_ignores_case_and_leaves_archived_out(world: TeamsWorld) -> None:
    answer = shown(await browse(world, "okr Onboarding"))
    assert "Make onboarding effortless" in answer and "Cut churn" not in answer
    assert "Retired onboarding metric" not in answer
    assert shown(await browse(world, "okr archived plan")) == (
        "No objective in 2026-Q4 matches “archived plan”. `okr help` shows what I can do."
    )


async def test_unknown_people_teams_and_searches_get_one_line(world: TeamsWorld) -> None:
    stranger = shown(await browse(world, f"okr @{STRANGER.name}", [STRANGER]))
    assert stranger.startswith(f"I don't know {STRANGER.name}: okrbot only knows the people")
    team = shown(await browse(world, f"okr team @{STRANGER.name}", [STRANGER]))
    assert team.startswith(f"I don't know {STRANGER.name}")
    assert shown(await browse(world, "okr team @Victor Solo", [VICTOR])) == (
        "Victor Solo has no team: nobody reports to them in okrbot."
    )
    assert shown(await browse(world, "okr dance")).startswith(
        "No objective in 2026-Q4 matches “dance”."
    )


async def test_own_commands_and_help_still_work(world: TeamsWorld) -> None:
    assert "Your OKRs · 2026-Q4" in shown(await browse(world, "okr"))
    helping = shown(await browse(world, "okr help"))
    for form in ("`okr @someone`", "`okr team [@manager]`", "`okr company`", "`okr <words>`"):
        assert form in helping
    assert "I don't know “dance”" in shown(await browse(world, "dance"))  # not after `okr`


async def test_a_long_answer_comes_in_pages(world: TeamsWorld) -> None:
    async with world.database.reading() as session:
        mia = await session.scalar(select(PersonRow.id).where(PersonRow.email == MIA.email))
    assert mia is not None
    many = Seed()
    for n in range(50):
        many.objective(f"o{n}", f"Company goal number {n:02}", owner="mia", level="company")
        many.key_result(
            None, f"Measure {n:02}", objective=f"o{n}", owner="mia", start=0, target=10, current=n
        )
    await many.write(world.database, {"mia": mia})
    cards = await browse(world, "okr company")
    assert len(cards) == 2
    assert "page 1 of 2" in texts(cards[0]) and "page 2 of 2" in texts(cards[1])
    answer = shown(cards)
    for n in range(50):
        assert answer.count(f"Company goal number {n:02}") == 1


async def test_no_browse_answer_carries_a_note_blocker_or_reflection(world: TeamsWorld) -> None:
    asked: list[tuple[str, list[TeamsUser]]] = [
        ("okr @Ana Lima", [ANA]),
        ("okr @Li Wei", [LI]),
        ("okr team", []),
        ("okr team @Mia Boss", [MIA]),
        ("okr company", []),
        ("okr onboarding", []),
        ("okr churn", []),
        ("okr Confided", []),
        ("okr Reflection", []),
        ("okr legal", []),
    ]
    answers = []
    for text, mentions in asked:
        cards = await browse(world, text, mentions)
        answers.append(shown(cards) + "".join(str(card.get("text", "")) for card in cards))
    assert "Activation from 40% to 60%" in answers[0]
    for answer in answers:
        for private in PRIVATE_TEXTS:
            assert private not in answer


async def test_an_activity_whose_channel_data_is_not_an_object_is_refused(
    world: TeamsWorld,
) -> None:
    """Teams always sends channelData as an object; anything else is refused with a 400 before
    botbuilder's Teams handlers read it, so nothing is answered or stored."""
    stranger = {"type": "mention", "text": "<at>Zed</at>", "mentioned": {"id": "29:zed"}}
    activity = message_activity(
        "okr <at>Zed</at>",
        entities=[stranger],
        from_id=ANA.teams_user_id,
        aad_object_id=ANA.aad_object_id,
        conversation_id=ANA.conversation_id,
        service_url=world.sandbox.service_url,
    )
    activity["channelData"] = ["not", "an", "object"]
    before = len(world.chat(ANA))
    assert (await world.teams.post(activity)).status == 400
    assert world.chat(ANA)[before:] == []
