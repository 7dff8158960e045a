"""A team's weekly OKR update in its channel, end to end on Slack and Teams: opted in with
`okrbot teams channel set`, posted through the outbox when the week's check-ins close (with the
manager's digest, in the manager's time), with numbers and confidence and never a note, blocker,
reflection or digest line; once per team and week, retried when the platform fails, and a channel
okrbot cannot post to shows up in `okrbot teams channel list` instead of vanishing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner, Result

from okrbot.adapters.slack.blockkit_limits import blockkit_problems
from okrbot.adapters.teams.sandbox import thread_id
from okrbot.bot.delivery import DeliveryKind
from okrbot.bot.settings import Settings
from okrbot.cli.common import console
from okrbot.cli.main import app
from okrbot.storage.db import Database
from okrbot.storage.models import DeliveryRow, PersonRow, ScheduleRow, TeamChannelRow
from tests.test_slack_e2e import SlackWorld, checkin_as, slack_world, texts
from tests.test_teams_e2e import TeamsWorld, assert_cards_valid, start_world
from tests.test_teams_e2e import seed as teams_seed
from tests.test_teams_e2e import texts as card_texts
from tests.world import ANA, LI, MIA, PRIVATE_TEXTS, Seed, seed_browse

TEAM_CHANNEL = "C0TEAMMIA1"
FRIDAY_CLOSE = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)  # Friday 15:00 in Berlin, Mia's zone
DIGEST_ONLY_NOTE = "Digest-only-note-heron-64"


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "width", 250)


async def cli(database: Database, *args: str) -> Result:
    env = {"OKRBOT_DATABASE_URL": database.url}
    return await asyncio.to_thread(CliRunner().invoke, app, ["teams", "channel", *args], env=env)


async def team_updates(database: Database) -> list[DeliveryRow]:
    async with database.reading() as session:
        query = select(DeliveryRow).where(DeliveryRow.kind == DeliveryKind.TEAM_UPDATE)
        return list(await session.scalars(query.order_by(DeliveryRow.id)))


# -- Slack ---------------------------------------------------------------------------------------


@pytest.fixture
async def slack(sqlite_database: Database) -> AsyncIterator[SlackWorld]:
    async with slack_world(sqlite_database) as running:
        await seed_browse(sqlite_database)
        running.sandbox.add_channel(TEAM_CHANNEL)
        await running.runtime.ticker.tick()  # Monday: everyone's schedules, Mia's digest
        yield running


def channel_posts(world: SlackWorld, channel: str = TEAM_CHANNEL) -> list[dict[str, Any]]:
    return world.sandbox.messages_in(channel)


async def opt_in(world: SlackWorld, channel: str = TEAM_CHANNEL) -> None:
    result = await cli(
        world.database, "set", "--manager", "mia@example.com", "--slack-channel", channel
    )
    assert result.exit_code == 0, result.output
    assert f"Mia Boss's team: weekly OKR update goes to Slack channel {channel}" in result.output


async def test_slack_the_update_is_posted_when_the_weeks_checkins_close_and_not_before(
    slack: SlackWorld,
) -> None:
    await opt_in(slack)
    await slack.send_prompts("ana@example.com", "li@example.com")
    await checkin_as(slack, "U0ANA", "ana@example.com", "45", DIGEST_ONLY_NOTE)
    slack.clock.set(FRIDAY_CLOSE - timedelta(minutes=1))
    await slack.runtime.ticker.tick()
    assert channel_posts(slack) == []
    slack.clock.set(FRIDAY_CLOSE)
    await slack.runtime.ticker.tick()
    [post] = channel_posts(slack)
    shown = texts(post)
    assert "Mia Boss's team · OKRs after week 2026-W47" in shown
    for title in ("Make onboarding effortless", "Cut churn", "Customers love the product"):
        assert title in shown
    # Ana's check-in moved her key result to 45% (a quarter of the way), at risk: the numbers,
    # the score and the confidence; Li's last confidence (an earlier week) stays on his.
    assert "• Activation from 40% to 60%: ▰▰▰▱▱▱▱▱▱▱ 25% · 45% of 60% · At risk" in shown
    assert "Committed · ▰▱▱▱▱▱▱▱▱▱ 12% · owner: Ana Lima" in shown
    assert "• Churn from 3.5% to 2%: ▱▱▱▱▱▱▱▱▱▱ 0% · 3.5% of 2% · At risk" in shown
    assert blockkit_problems(post["blocks"], "message") == []
    [call] = [
        c for c in slack.sandbox.calls_to("chat.postMessage") if c.params["channel"] == TEAM_CHANNEL
    ]
    assert call.params.get("unfurl_links") is False
    # The manager's digest went out at the same moment, to the manager only, with the note.
    digest = [m for m in slack.dm("U0MIA") if "Your team" in texts(m)]
    assert digest and DIGEST_ONLY_NOTE in texts(digest[0])


async def test_slack_no_note_blocker_reflection_or_digest_text_reaches_the_channel(
    slack: SlackWorld,
) -> None:
    await opt_in(slack)
    await slack.send_prompts("ana@example.com", "li@example.com")
    await checkin_as(slack, "U0ANA", "ana@example.com", "45", DIGEST_ONLY_NOTE)
    slack.clock.set(FRIDAY_CLOSE)
    await slack.runtime.ticker.tick()
    posted = [
        c.params
        for c in slack.sandbox.calls_to("chat.postMessage")
        if c.params["channel"] == TEAM_CHANNEL
    ]
    assert posted
    everything = json.dumps(posted, ensure_ascii=False)
    for private in (*PRIVATE_TEXTS, DIGEST_ONLY_NOTE, "Checked in", "Nudge"):
        assert private not in everything


async def test_slack_a_replayed_tick_or_a_second_replica_posts_once(slack: SlackWorld) -> None:
    await opt_in(slack)
    slack.clock.set(FRIDAY_CLOSE)
    await slack.runtime.ticker.tick()
    assert len(channel_posts(slack)) == 1
    # Another replica planned from the schedule as it was before this one moved it on.
    async with slack.database.transaction() as session:
        await session.execute(
            update(ScheduleRow)
            .where(ScheduleRow.kind == DeliveryKind.DIGEST)
            .values(next_at=FRIDAY_CLOSE)
        )
    await asyncio.gather(slack.runtime.ticker.tick(), slack.runtime.ticker.tick())
    assert len(channel_posts(slack)) == 1
    [delivery] = await team_updates(slack.database)
    assert (delivery.status, delivery.period) == ("sent", "2026-W47")


async def test_slack_a_failed_post_is_retried_not_dropped_nor_doubled(slack: SlackWorld) -> None:
    await opt_in(slack)
    slack.sandbox.fail_next("chat.postMessage", status=500, count=1)
    slack.clock.set(FRIDAY_CLOSE)
    await slack.runtime.ticker.tick()
    # Mia's digest or the team update met the 500; whichever did is retried.
    slack.clock.advance(timedelta(minutes=1))
    await slack.runtime.ticker.tick()
    assert len(channel_posts(slack)) == 1
    [delivery] = await team_updates(slack.database)
    assert delivery.status == "sent"


async def test_slack_opting_out_stops_the_posts(slack: SlackWorld) -> None:
    await opt_in(slack)
    slack.clock.set(FRIDAY_CLOSE)
    await slack.runtime.ticker.tick()
    assert len(channel_posts(slack)) == 1
    result = await cli(slack.database, "unset", "--manager", "mia@example.com")
    assert result.exit_code == 0 and "no more weekly OKR updates in a channel" in result.output
    slack.clock.set(FRIDAY_CLOSE + timedelta(weeks=1))
    await slack.runtime.ticker.tick()
    assert len(channel_posts(slack)) == 1
    assert [d.period for d in await team_updates(slack.database)] == ["2026-W47"]


async def test_slack_opting_out_after_the_update_was_queued_stops_it_too(
    slack: SlackWorld,
) -> None:
    await opt_in(slack)
    slack.clock.set(FRIDAY_CLOSE)
    await slack.runtime.cadence.plan_due()  # queued, not yet sent
    assert await cli(slack.database, "unset", "--manager", "mia@example.com")
    await slack.runtime.ticker.tick()
    assert channel_posts(slack) == []
    [delivery] = await team_updates(slack.database)
    assert delivery.status == "suppressed"
    assert "no longer posts updates to a channel" in (delivery.last_error or "")


async def test_slack_a_channel_okrbot_is_not_in_is_reported_not_lost(slack: SlackWorld) -> None:
    slack.sandbox.add_channel(TEAM_CHANNEL, member=False)
    await opt_in(slack)
    slack.clock.set(FRIDAY_CLOSE)
    await slack.runtime.ticker.tick()
    assert channel_posts(slack) == []
    [delivery] = await team_updates(slack.database)
    assert delivery.status == "failed"
    listed = await cli(slack.database, "list")
    line = next(line for line in listed.output.splitlines() if "mia@example.com" in line)
    assert "2026-W47 failed" in line
    assert "not_in_channel" in listed.output and "/invite @okrbot" in listed.output
    # Invited, and the admin retries it: posted once.
    slack.sandbox.invite_bot(TEAM_CHANNEL)
    assert await slack.runtime.outbox.retry(delivery.id)  # `okrbot outbox retry ID`
    await slack.runtime.ticker.tick()
    assert len(channel_posts(slack)) == 1


async def test_slack_a_private_channel_okrbot_was_not_invited_to_is_reported(
    slack: SlackWorld,
) -> None:
    slack.sandbox.add_channel("G0PRIVATE1", member=False)
    await opt_in(slack, "G0PRIVATE1")
    slack.clock.set(FRIDAY_CLOSE)
    await slack.runtime.ticker.tick()
    [delivery] = await team_updates(slack.database)
    assert delivery.status == "failed" and "channel_not_found" in (delivery.last_error or "")


async def test_slack_a_team_without_objectives_this_quarter_gets_no_post(
    slack: SlackWorld,
) -> None:
    await (
        Seed()
        .person("bob", "bob@example.com", "Bob Other", timezone="UTC")
        .person("zed", "zed@example.com", "Zed New", manager="bob", timezone="UTC")
        .write(slack.database)
    )
    await slack.runtime.ticker.tick()  # still Monday: Bob's schedules
    slack.sandbox.add_channel("C0TEAMBOB1")
    result = await cli(
        slack.database, "set", "--manager", "bob@example.com", "--slack-channel", "C0TEAMBOB1"
    )
    assert result.exit_code == 0, result.output
    slack.clock.set(datetime(2026, 11, 20, 15, 0, tzinfo=UTC))  # Friday 15:00 UTC, Bob's close
    await slack.runtime.ticker.tick()
    assert channel_posts(slack, "C0TEAMBOB1") == []
    async with slack.database.reading() as session:
        bob = await session.scalar(select(PersonRow.id).where(PersonRow.email == "bob@example.com"))
    [delivery] = [d for d in await team_updates(slack.database) if d.person_id == bob]
    assert delivery.status == "suppressed"
    assert delivery.last_error == "bob@example.com's team has no objectives in 2026-Q4"
    listed = await cli(slack.database, "list")
    assert "suppressed: bob@example.com's team has no objectives in 2026-Q4" in listed.output


# -- Teams ---------------------------------------------------------------------------------------

TEAMS_CHANNEL = thread_id("mia-team-general")


@pytest.fixture
async def teams(sqlite_database: Database) -> AsyncIterator[TeamsWorld]:
    await teams_seed(sqlite_database)
    await seed_browse(sqlite_database)
    settings = Settings(database_url=sqlite_database.url, teams_dev_no_auth=True)
    async for running in start_world(sqlite_database, settings):
        for user in (ANA, LI, MIA):
            await running.teams.install(user)
        await running.runtime.ticker.tick()
        yield running
        assert_cards_valid(running.sandbox)


async def teams_opt_in(world: TeamsWorld, channel: str) -> Result:
    return await cli(world.database, "set", "--manager", MIA.email, "--teams-channel", channel)


async def test_teams_the_update_is_posted_in_the_channel_when_checkins_close(
    teams: TeamsWorld,
) -> None:
    encoded = TEAMS_CHANNEL.replace(":", "%3a").replace("@", "%40")
    link = (
        f"https://teams.microsoft.com/l/channel/{encoded}/General"
        "?groupId=0b2a6c5e-0000-4000-8000-000000000001&tenantId=72f988bf"
    )
    result = await teams_opt_in(teams, link)
    assert result.exit_code == 0, result.output
    assert TEAMS_CHANNEL in result.output
    teams.clock.set(FRIDAY_CLOSE - timedelta(minutes=1))
    await teams.runtime.ticker.tick()
    assert teams.sandbox.activities_in(TEAMS_CHANNEL) == []
    teams.clock.set(FRIDAY_CLOSE)
    await teams.runtime.ticker.tick()
    [post] = teams.sandbox.activities_in(TEAMS_CHANNEL)
    shown = card_texts(post)
    assert "Mia Boss's team · OKRs after week 2026-W47" in shown
    assert "Make onboarding effortless" in shown and "Cut churn" in shown
    assert "Activation from 40% to 60%" in shown and "On track" in shown  # Ana's last, W46
    assert "Churn from 3.5% to 2%" in shown and "At risk" in shown  # Li's last, W46
    everything = json.dumps(post, ensure_ascii=False)
    for private in PRIVATE_TEXTS:
        assert private not in everything
    # A post into the channel itself (a new thread there), as okrbot, in Mia's tenant.
    [request] = [r for r in teams.sandbox.requests if r.conversation_id == TEAMS_CHANNEL]
    assert (request.kind, request.status) == ("send", 201)
    # Replayed: still one.
    await teams.runtime.ticker.tick()
    assert len(teams.sandbox.activities_in(TEAMS_CHANNEL)) == 1


async def test_teams_a_channel_of_a_team_okrbot_is_not_installed_in_is_reported(
    teams: TeamsWorld,
) -> None:
    teams.sandbox.without_bot(TEAMS_CHANNEL)
    assert (await teams_opt_in(teams, TEAMS_CHANNEL)).exit_code == 0
    teams.clock.set(FRIDAY_CLOSE)
    await teams.runtime.ticker.tick()
    [delivery] = await team_updates(teams.database)
    assert delivery.status == "failed"
    assert "BotNotInConversationRoster" in (delivery.last_error or "")
    assert "Add okrbot to that channel (Teams: to its team)" in (delivery.last_error or "")
    # Mia herself is still reachable: a channel refusing okrbot says nothing about her.
    async with teams.database.reading() as session:
        mia = await session.scalar(select(PersonRow).where(PersonRow.email == MIA.email))
    assert mia is not None and mia.teams_unreachable_at is None


async def test_teams_opting_out_stops_the_posts(teams: TeamsWorld) -> None:
    assert (await teams_opt_in(teams, TEAMS_CHANNEL)).exit_code == 0
    assert (await cli(teams.database, "unset", "--manager", MIA.email)).exit_code == 0
    teams.clock.set(FRIDAY_CLOSE)
    await teams.runtime.ticker.tick()
    assert teams.sandbox.activities_in(TEAMS_CHANNEL) == []
    assert await team_updates(teams.database) == []


# -- the admin's commands ----------------------------------------------------------------------


@pytest.fixture
async def people(database: Database) -> Database:
    await (
        Seed()
        .person("mia", "mia@example.com", "Mia Boss")
        .person("ana", "ana@example.com", "Ana Lima", manager="mia")
        .person("victor", "victor@example.com", "Victor Solo")
        .person(
            "gone",
            "gone@example.com",
            "Gone Boss",
            deactivated_at=datetime(2026, 11, 1, tzinfo=UTC),
        )
        .write(database)
    )
    return database


async def test_set_list_and_unset(people: Database) -> None:
    assert "no team posts its weekly OKR update" in (await cli(people, "list")).output
    result = await cli(
        people, "set", "--manager", "MIA@example.com", "--slack-channel", "C0123ABCD45"
    )
    assert result.exit_code == 0, result.output
    listed = await cli(people, "list")
    line = next(line for line in listed.output.splitlines() if "mia@example.com" in line)
    assert "Slack" in line and "C0123ABCD45" in line and "cli" in line and "none yet" in line
    # Moved to Teams: one channel per team.
    result = await cli(
        people, "set", "--manager", "mia@example.com", "--teams-channel", TEAMS_CHANNEL
    )
    assert result.exit_code == 0, result.output
    listed = await cli(people, "list")
    assert "C0123ABCD45" not in listed.output and "Teams" in listed.output
    assert (await cli(people, "unset", "--manager", "mia@example.com")).exit_code == 0
    again = await cli(people, "unset", "--manager", "mia@example.com")
    assert again.exit_code == 0 and "had no channel for weekly OKR updates" in again.output


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ["--manager", "nobody@example.com", "--slack-channel", "C0123ABCD45"],
            "--manager: nobody with the email 'nobody@example.com'",
        ),
        (
            ["--manager", "victor@example.com", "--slack-channel", "C0123ABCD45"],
            "--manager: nobody reports to victor@example.com, so there is no team to post for",
        ),
        (
            ["--manager", "gone@example.com", "--slack-channel", "C0123ABCD45"],
            "--manager: gone@example.com is deactivated",
        ),
        (
            ["--manager", "mia@example.com", "--slack-channel", "#general"],
            "--slack-channel: '#general' is a channel name; give its id",
        ),
        (
            ["--manager", "mia@example.com", "--slack-channel", "D0123ABCD45"],
            "--slack-channel: 'D0123ABCD45' is a direct message, not a channel",
        ),
        (
            ["--manager", "mia@example.com", "--slack-channel", "general"],
            "--slack-channel: 'general' is not a Slack channel id",
        ),
        (
            ["--manager", "mia@example.com", "--teams-channel", "General"],
            "--teams-channel: 'General' is not a Teams channel id (19:…@thread.tacv2)",
        ),
        (
            [
                "--manager",
                "mia@example.com",
                "--teams-channel",
                "https://teams.microsoft.com/l/chat/0/0",
            ],
            "is not a Teams channel link",
        ),
        (
            ["--manager", "mia@example.com"],
            "give exactly one of --slack-channel or --teams-channel",
        ),
        (
            [
                "--manager",
                "mia@example.com",
                "--slack-channel",
                "C0123ABCD45",
                "--teams-channel",
                TEAMS_CHANNEL,
            ],
            "give exactly one of --slack-channel or --teams-channel",
        ),
    ],
)
async def test_bad_input_gets_an_error_naming_the_argument(
    people: Database, args: list[str], error: str
) -> None:
    result = await cli(people, "set", *args)
    assert result.exit_code == 1
    assert error in " ".join(result.output.split())
    assert "no team posts" in (await cli(people, "list")).output


async def test_unset_names_an_unknown_manager(people: Database) -> None:
    result = await cli(people, "unset", "--manager", "nobody@example.com")
    assert result.exit_code == 1 and "--manager: nobody with the email" in result.output


# -- a manager's own settings in chat -----------------------------------------------------------


async def stored_channel(database: Database, email: str) -> tuple[str, str, str] | None:
    async with database.reading() as session:
        found = (
            await session.execute(
                select(TeamChannelRow.platform, TeamChannelRow.channel, TeamChannelRow.set_by)
                .join(PersonRow, PersonRow.id == TeamChannelRow.manager_id)
                .where(PersonRow.email == email)
            )
        ).first()
    return (found[0], found[1], found[2]) if found is not None else None


async def test_slack_a_manager_picks_the_channel_in_a_modal(slack: SlackWorld) -> None:
    reply = await slack.slack.command("U0MIA", "/okr", "channel")
    assert reply.status == 200 and not reply.body
    modal = slack.last_modal()
    assert modal["callback_id"] == "team_channel_form"
    [field] = [b for b in modal["blocks"] if b["type"] == "input"]
    assert field["element"]["type"] == "conversations_select"
    assert field["element"]["filter"]["include"] == ["public", "private"]
    assert blockkit_problems(modal["blocks"], "modal") == []
    answer = await slack.slack.submit("U0MIA", modal, {"team-channel": TEAM_CHANNEL})
    assert answer.status == 200 and not answer.body
    assert await stored_channel(slack.database, "mia@example.com") == (
        "slack",
        TEAM_CHANNEL,
        "mia@example.com",
    )
    saved = texts(slack.dm("U0MIA")[-1])
    assert "will be posted in the channel you chose each week, after check-ins close" in saved
    slack.clock.set(FRIDAY_CLOSE)
    await slack.runtime.ticker.tick()
    assert len(channel_posts(slack)) == 1
    # Opened again, it shows the channel; emptied, the posts stop.
    await slack.slack.command("U0MIA", "/okr", "channel")
    modal = slack.last_modal()
    [field] = [b for b in modal["blocks"] if b["type"] == "input"]
    assert field["element"]["initial_conversation"] == TEAM_CHANNEL
    await slack.slack.submit("U0MIA", modal, {"team-channel": ""})
    assert await stored_channel(slack.database, "mia@example.com") is None
    assert "no longer posted" in texts(slack.dm("U0MIA")[-1])
    slack.clock.set(FRIDAY_CLOSE + timedelta(weeks=1))
    await slack.runtime.ticker.tick()
    assert len(channel_posts(slack)) == 1


async def test_slack_someone_who_manages_nobody_cannot_set_a_team_channel(
    slack: SlackWorld,
) -> None:
    reply = await slack.slack.command("U0ANA", "/okr", "channel")
    assert "Team updates in a channel are for managers, Ana Lima" in reply.body
    assert not slack.sandbox.calls_to("views.open")
    # Ana submits the form Mia was given (a forged or forwarded view): refused, nothing kept.
    await slack.slack.command("U0MIA", "/okr", "channel")
    modal = slack.last_modal()
    answer = await slack.slack.submit("U0ANA", modal, {"team-channel": TEAM_CHANNEL})
    assert answer.json()["response_action"] == "errors"
    assert "for managers" in answer.json()["errors"]["team-channel"]
    assert await stored_channel(slack.database, "ana@example.com") is None
    assert await stored_channel(slack.database, "mia@example.com") is None


async def test_teams_a_manager_types_channel_in_the_teams_channel(teams: TeamsWorld) -> None:
    thread = f"{TEAMS_CHANNEL};messageid=1732000000000"
    await teams.teams.say(MIA, "channel", where=(thread, "channel"))
    [answer] = [a for a in teams.sandbox.sent if a["conversation"]["id"] == thread]
    assert "will be posted here each week, after check-ins close" in card_texts(answer)
    assert await stored_channel(teams.database, MIA.email) == ("teams", TEAMS_CHANNEL, MIA.email)
    teams.clock.set(FRIDAY_CLOSE)
    await teams.runtime.ticker.tick()
    [post] = teams.sandbox.activities_in(TEAMS_CHANNEL)
    assert "Mia Boss's team · OKRs after week 2026-W47" in card_texts(post)
    # `channel off`, from anywhere: no more posts.
    await teams.teams.say(MIA, "channel off")
    assert "no longer posted" in card_texts(teams.last(MIA))
    assert await stored_channel(teams.database, MIA.email) is None


async def test_teams_a_manager_pastes_the_channel_link_in_the_settings_card(
    teams: TeamsWorld,
) -> None:
    await teams.teams.say(MIA, "channel")
    card = teams.last(MIA)
    assert "Team updates" in card_texts(card)
    await teams.teams.press(MIA, card, "team_channel_form", {"team-channel": "not a link"})
    fixed = teams.sandbox.activity(MIA.conversation_id, card["id"])
    assert "is not a Teams channel id" in card_texts(fixed)
    assert await stored_channel(teams.database, MIA.email) is None
    link = f"https://teams.microsoft.com/l/channel/{TEAMS_CHANNEL.replace(':', '%3a')}/General"
    await teams.teams.press(MIA, fixed, "team_channel_form", {"team-channel": link})
    assert "will be posted in the channel you chose" in card_texts(
        teams.sandbox.activity(MIA.conversation_id, card["id"])
    )
    assert await stored_channel(teams.database, MIA.email) == ("teams", TEAMS_CHANNEL, MIA.email)


async def test_teams_someone_who_manages_nobody_cannot_set_a_team_channel(
    teams: TeamsWorld,
) -> None:
    thread = f"{TEAMS_CHANNEL};messageid=1732000000001"
    await teams.teams.say(ANA, "channel", where=(thread, "channel"))
    [answer] = [a for a in teams.sandbox.sent if a["conversation"]["id"] == thread]
    assert "Team updates in a channel are for managers, Ana Lima" in card_texts(answer)
    await teams.teams.say(ANA, "channel")
    assert "for managers" in card_texts(teams.last(ANA))
    # A forged submit of the form: refused.
    await teams.teams.submit(ANA, {"action": "team_channel_form", "team-channel": TEAMS_CHANNEL})
    assert "for managers" in card_texts(teams.last(ANA))
    assert await stored_channel(teams.database, ANA.email) is None
