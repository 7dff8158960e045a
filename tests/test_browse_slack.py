"""Browsing OKRs on Slack, end to end: `/okr @person`, `/okr team [@manager]`, `/okr company`
and `/okr <words>` as signed slash commands to the real Bolt app, every answer valid Block Kit,
and nothing anyone confided in a check-in or reflection in any of them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from okrbot.adapters.slack.blockkit_limits import blockkit_problems
from okrbot.storage.db import Database
from tests.test_slack_e2e import SlackWorld, slack_world, texts
from tests.world import PRIVATE_TEXTS, Seed, seed_browse

GENERAL = "C0GENERAL"


@pytest.fixture
async def world(sqlite_database: Database) -> AsyncIterator[SlackWorld]:
    async with slack_world(sqlite_database) as running:
        await seed_browse(sqlite_database)
        running.sandbox.add_channel(GENERAL)
        yield running


async def browse(world: SlackWorld, text: str, user: str = "U0ANA") -> list[dict[str, Any]]:
    """What the asker sees: the command's answer, or the pages posted after it (visible only to
    them in the channel); each checked as Block Kit Slack accepts."""
    before = len(world.sandbox.ephemeral_for(user))
    reply = await world.slack.command(user, "/okr", text, channel=GENERAL)
    assert reply.status == 200, reply.body
    answer = reply.json() if reply.body else {}
    pages = [answer] if answer.get("blocks") else world.sandbox.ephemeral_for(user)[before:]
    assert pages, f"no answer to /okr {text}"
    for page in pages:
        assert blockkit_problems(page["blocks"], "message") == []
        assert len(page["blocks"]) <= 50
    return pages


def shown(pages: list[dict[str, Any]]) -> str:
    return "\n".join(texts(page) for page in pages)


async def test_a_persons_okrs_with_kind_score_confidence_owner_and_alignment(
    world: SlackWorld,
) -> None:
    answer = shown(await browse(world, "<@U0LI|li>"))
    assert "Li Wei's OKRs · 2026-Q4" in answer
    assert "*Cut churn*" in answer and "Aspirational" in answer and "owner: Li Wei" in answer
    assert "Supports: Grow trust in every team" in answer
    assert "Churn from 3.5% to 2%" in answer and "At risk" in answer
    assert "Make onboarding effortless" not in answer  # Ana's, not Li's


async def test_a_team_is_the_manager_and_their_reports(world: SlackWorld) -> None:
    named = shown(await browse(world, "team <@U0MIA|mia>"))
    assert "Mia Boss's team · 2026-Q4" in named
    for title in ("Make onboarding effortless", "Cut churn", "Customers love the product"):
        assert title in named
    # Ana manages nobody: her `team` is the one she is in, her manager's.
    assert shown(await browse(world, "team")) == named


async def test_company_objectives_show_what_supports_them(world: SlackWorld) -> None:
    answer = shown(await browse(world, "company"))
    assert "Company OKRs · 2026-Q4" in answer
    assert "Grow trust in every team" in answer and "Committed" in answer
    assert "Supported by: Make onboarding effortless, Cut churn" in answer
    assert "Trust score from 60 to 80" in answer and "no check-in yet" in answer
    assert "Cut churn*" not in answer  # a team objective: only named as support


async def test_search_ignores_case_and_reads_key_result_titles(world: SlackWorld) -> None:
    answer = shown(await browse(world, "ONBOARDING"))
    assert "OKRs matching “ONBOARDING”" in answer and "Make onboarding effortless" in answer
    assert "Cut churn" not in answer
    answer = shown(await browse(world, "trust score"))
    assert "Grow trust in every team" in answer


async def test_archived_objectives_and_key_results_are_left_out(world: SlackWorld) -> None:
    assert "Retired onboarding metric" not in shown(await browse(world, "<@U0ANA|ana>"))
    answer = shown(await browse(world, "archived"))
    assert answer == "No objective in 2026-Q4 matches “archived”. `/okr help` shows what I can do."


async def test_unknown_people_teams_and_searches_get_one_line(world: SlackWorld) -> None:
    unknown = shown(await browse(world, "<@U0NOBODY|nobody>"))
    assert unknown.startswith("I don't know nobody: okrbot only knows the people")
    typed = shown(await browse(world, "@ghost"))
    assert typed.startswith("I don't know @ghost")
    assert shown(await browse(world, "team <@U0NOBODY|nobody>")).startswith("I don't know nobody")
    assert shown(await browse(world, "team <@U0VIC|victor>")) == (
        "Victor Solo has no team: nobody reports to them in okrbot."
    )
    assert shown(await browse(world, "<@U0VIC|victor>")) == (
        "No objectives for Victor Solo in 2026-Q4."
    )
    assert shown(await browse(world, "dance")).startswith(
        "No objective in 2026-Q4 matches “dance”."
    )


async def test_help_lists_the_browse_forms_and_own_okrs_are_unchanged(world: SlackWorld) -> None:
    helping = shown(await browse(world, "help"))
    for form in ("/okr @someone", "/okr team [@manager]", "/okr company", "/okr &lt;words&gt;"):
        assert f"`{form}`" in helping
    own = shown(await browse(world, ""))
    assert "Your OKRs · 2026-Q4" in own


async def test_a_long_answer_comes_in_pages(world: SlackWorld) -> None:
    seed = Seed()
    for n in range(50):
        seed.objective(f"o{n}", f"Company goal number {n:02}", owner="mia", level="company")
        seed.key_result(
            None,
            f"Measure {n:02}",
            objective=f"o{n}",
            owner="mia",
            start=0,
            target=10,
            current=n % 10,
        )
    await seed.write(world.database, await _mia(world))
    pages = await browse(world, "company")
    assert len(pages) == 2
    assert "page 1 of 2" in texts(pages[0]) and "page 2 of 2" in texts(pages[1])
    answer = shown(pages)
    for n in range(50):
        assert answer.count(f"Company goal number {n:02}") == 1

    # Where okrbot may not post, the pages come in the asker's DM with it, still in order.
    reply = await world.slack.command("U0ANA", "/okr", "company", channel="C0PRIVATE")
    assert reply.status == 200 and not reply.body
    dm = world.dm("U0ANA")[-2:]
    assert ["page 1 of 2" in texts(dm[0]), "page 2 of 2" in texts(dm[1])] == [True, True]


async def test_no_browse_answer_carries_a_note_blocker_or_reflection(world: SlackWorld) -> None:
    answers = []
    for text in (
        "<@U0ANA|ana>",
        "<@U0LI|li>",
        "team",
        "team <@U0MIA|mia>",
        "company",
        "onboarding",
        "churn",
        "Confided",
        "Reflection",
        "legal",
    ):
        pages = await browse(world, text)
        answers.append(shown(pages) + "".join(page.get("text", "") for page in pages))
    assert "Activation from 40% to 60%" in answers[0]  # the check-in's key result is shown
    for answer in answers:
        for private in PRIVATE_TEXTS:
            assert private not in answer


async def _mia(world: SlackWorld) -> dict[str, int]:
    from sqlalchemy import select

    from okrbot.storage.models import PersonRow

    async with world.database.reading() as session:
        mia = await session.scalar(select(PersonRow.id).where(PersonRow.email == "mia@example.com"))
    assert mia is not None
    return {"mia": mia}
