"""Slack's App Home, end to end: the simulator opens the Home tab through signed HTTP, okrbot's
real Bolt app publishes it, and the sandbox records the view after checking it the way Slack
does (Block Kit limits, slack_sdk's View model). "My team", the company's alignment tree
(collapsed below two levels), the caps of a big company, and nothing anyone confided."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from okrbot.adapters.slack.blockkit_limits import view_problems
from okrbot.storage.db import Database
from tests.test_slack_e2e import SlackWorld, slack_world, texts
from tests.world import DEEP_OBJECTIVES, PRIVATE_TEXTS, section, seed_crowd, seed_home


@pytest.fixture
async def world(sqlite_database: Database) -> AsyncIterator[SlackWorld]:
    async with slack_world(sqlite_database) as running:
        await seed_home(sqlite_database)
        running.sandbox.add_user("U0VIC", "victor", "victor@example.com")
        yield running


async def open_home(world: SlackWorld, user: str) -> dict[str, Any]:
    """The Home view okrbot published for `user`, checked as Slack checks it."""
    publishes = len(world.sandbox.calls_to("views.publish"))
    reply = await world.slack.open_home(user)
    assert reply.status == 200
    calls = world.sandbox.calls_to("views.publish")[publishes:]
    assert [call.ok for call in calls] == [True], [call.response for call in calls]
    home = world.sandbox.home_views[user]
    assert view_problems(home) == []
    assert len(home["blocks"]) <= 100
    return home


async def test_my_team_is_my_manager_and_peers_with_progress_and_confidence(
    world: SlackWorld,
) -> None:
    shown = texts(await open_home(world, "U0ANA"))
    team = section(shown, "My team", "Company")
    assert "You work with Mia Boss (your manager), Li Wei." in team
    assert "You lead" not in team  # Ana manages nobody
    assert "*Cut churn*" in team and "owner: Li Wei" in team
    assert "Churn from 3.5% to 2%: ▱▱▱▱▱▱▱▱▱▱ 0% · 3.5% of 2% · At risk" in team
    assert "Activation from 40% to 60%" in team and "On track" in team
    assert "Grow trust in every team" in team  # what Ana's and Li's objectives support
    assert "*Grow trust in every team*" not in team  # a company objective: under Company
    assert "Victor" not in team


async def test_a_manager_sees_the_team_they_lead(world: SlackWorld) -> None:
    team = section(texts(await open_home(world, "U0MIA")), "My team", "Company")
    assert "You lead Ana Lima, Li Wei." in team
    assert "your manager" not in team  # Mia has none
    for title in ("Make onboarding effortless", "Cut churn"):
        assert title in team
    assert "Customers love the product" not in team  # her company objective: under Company
    assert "At risk" in team and "On track" in team


async def test_someone_in_no_team_is_told_so(world: SlackWorld) -> None:
    shown = texts(await open_home(world, "U0VIC"))
    team = section(shown, "My team", "Company")
    assert "You are in no team in okrbot: nobody is your manager or reports to you." in team
    assert "`/okr @someone` shows anyone's OKRs." in team
    assert DEEP_OBJECTIVES[0] in section(shown, "Your key results", "My team")  # his own


async def test_the_company_tree_shows_two_levels_and_counts_the_rest(world: SlackWorld) -> None:
    shown = texts(await open_home(world, "U0ANA"))
    company = section(shown, "Company", None)
    assert "🏢 *Grow trust in every team*\n▰▰▰▰▰▱▱▱▱▱ 50% · owner: Mia Boss" in company
    assert "↳ *Make onboarding effortless* · ▱▱▱▱▱▱▱▱▱▱ 0% · Ana Lima" in company
    assert "↳ *Cut churn* · ▱▱▱▱▱▱▱▱▱▱ 0% · Li Wei" in company
    # Victor's objectives support "Cut churn" two and three levels down: a count, no titles.
    assert "+ 2 more objectives support it (Victor Solo): `/okr @name` shows them" in company
    for title in DEEP_OBJECTIVES:
        assert title not in company  # ("My team" names what supports Li's objective)
    assert "🏢 *Customers love the product*" in company  # a company objective nothing supports


async def test_a_big_company_home_stays_within_slacks_limits_and_says_what_it_left_out(
    world: SlackWorld,
) -> None:
    await seed_crowd(world.database)
    home = await open_home(world, "U0ANA")  # at most 100 blocks, valid as Slack checks it
    shown = texts(home)
    assert "Ana's extra objective 00" in shown
    assert "more objectives: `/okr` lists them all." in shown
    assert "Kudos you received this quarter (25)" in shown and "…and 15 more." in shown
    # Mia, Li and 40 peers: twelve names, then a count.
    assert "Li Wei, Peer Number 00, Peer Number 01," in shown
    assert "Peer Number 09 and 30 more." in shown
    assert "more: `/okr team` shows them all." in shown
    assert "Company goal 00" in shown and "↳ *Team goal 00.0" in shown
    assert "↳ …and 2 more supporting objectives: `/okr company` names them" in shown
    assert "more company objectives: `/okr company` shows them." in shown
    for block in home["blocks"]:
        text = block.get("text")
        assert not isinstance(text, dict) or len(text["text"]) <= 3000


async def test_no_home_carries_a_note_blocker_or_reflection(world: SlackWorld) -> None:
    homes = {user: texts(await open_home(world, user)) for user in ("U0ANA", "U0LI", "U0MIA")}
    homes["U0VIC"] = texts(await open_home(world, "U0VIC"))
    assert "Activation from 40% to 60%" in homes["U0MIA"]  # the checked-in key results show
    assert "Churn from 3.5% to 2%" in homes["U0ANA"]
    for shown in homes.values():
        for private in PRIVATE_TEXTS:
            assert private not in shown
