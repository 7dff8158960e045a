"""`okrbot teams channel`: where each team's weekly OKR update is posted (a team is a manager
and their direct reports), on Slack or on Teams."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from okrbot.bot.clock import SystemClock
from okrbot.bot.delivery import DeliveryKind
from okrbot.bot.domain import Person, Platform
from okrbot.bot.settings import Settings
from okrbot.bot.team_updates import ChannelError, check_channel
from okrbot.cli.common import console, fail, run_with_database
from okrbot.storage.db import Database, Session
from okrbot.storage.models import DeliveryRow
from okrbot.storage.people import direct_reports, get_person_by_email
from okrbot.storage.team_channels import (
    TeamChannel,
    last_team_updates,
    set_team_channel,
    team_channels,
    unset_team_channel,
)

app = typer.Typer(
    help=(
        "Each team's channel for its weekly OKR update (objectives, progress and confidence; "
        "never check-in notes), posted after the week's check-ins close."
    ),
    no_args_is_help=True,
)

MANAGER_HELP = "The team's manager, by email: the team is them and their direct reports."


class Refused(Exception):
    """What is wrong with the command's arguments, naming the argument."""


async def _manager(session: Session, email: str) -> Person:
    manager = await get_person_by_email(session, email.strip())
    if manager is None:
        raise Refused(f"--manager: nobody with the email {email!r}; see `okrbot people list`")
    if manager.deactivated:
        raise Refused(f"--manager: {manager.email} is deactivated")
    return manager


@app.command("set")
def set_command(
    manager: Annotated[str, typer.Option("--manager", help=MANAGER_HELP)],
    slack_channel: Annotated[
        str | None,
        typer.Option(
            "--slack-channel",
            help="A Slack channel id (C… or G…, at the bottom of the channel's details). "
            "Invite okrbot to the channel.",
        ),
    ] = None,
    teams_channel: Annotated[
        str | None,
        typer.Option(
            "--teams-channel",
            help="A Teams channel's conversation id (19:…@thread.tacv2) or its link (the "
            "channel's ⋯ → Get link to channel). okrbot must be installed in that team.",
        ),
    ] = None,
) -> None:
    """Post the team's weekly OKR update to a channel (replacing the one it had)."""
    if (slack_channel is None) == (teams_channel is None):
        fail("give exactly one of --slack-channel or --teams-channel")
    platform = Platform.SLACK if slack_channel is not None else Platform.TEAMS
    option = "--slack-channel" if platform is Platform.SLACK else "--teams-channel"
    try:
        channel = check_channel(platform, slack_channel or teams_channel or "")
    except ChannelError as error:
        fail(f"{option}: {escape(str(error))}")

    async def work(database: Database, config: Settings) -> Person:
        async with database.transaction() as session:
            lead = await _manager(session, manager)
            if not await direct_reports(session, lead.id):
                raise Refused(
                    f"--manager: nobody reports to {lead.email}, so there is no team to post for"
                )
            await set_team_channel(
                session,
                lead.id,
                platform=platform.value,
                channel=channel,
                set_by="cli",
                now=SystemClock().now(),
            )
            return lead

    try:
        lead = run_with_database(work)
    except Refused as error:
        fail(escape(str(error)))
    console.print(
        f"{lead.name}'s team: weekly OKR update goes to {platform.value.capitalize()} channel "
        f"{channel} after each week's check-ins close",
        highlight=False,
        soft_wrap=True,
    )


@app.command("unset")
def unset_command(
    manager: Annotated[str, typer.Option("--manager", help=MANAGER_HELP)],
) -> None:
    """Stop posting the team's weekly OKR update."""

    async def work(database: Database, config: Settings) -> tuple[Person, bool]:
        async with database.transaction() as session:
            lead = await _manager(session, manager)
            return lead, await unset_team_channel(session, lead.id)

    try:
        lead, had = run_with_database(work)
    except Refused as error:
        fail(escape(str(error)))
    console.print(
        f"{lead.name}'s team: no more weekly OKR updates in a channel"
        if had
        else f"{lead.name}'s team had no channel for weekly OKR updates; nothing changed",
        highlight=False,
        soft_wrap=True,
    )


def _last_post(row: DeliveryRow | None) -> str:
    if row is None:
        return "none yet"
    when = f"{row.period or ''} {row.status}"
    if row.status in ("failed", "suppressed") or (row.status == "pending" and row.last_error):
        when += f": {row.last_error or ''}"
    return when


@app.command("list")
def list_command() -> None:
    """Every team whose weekly OKR update goes to a channel, and how its last post went."""

    async def work(
        database: Database, config: Settings
    ) -> tuple[list[TeamChannel], dict[int, DeliveryRow]]:
        async with database.reading() as session:
            found = await team_channels(session)
            last = await last_team_updates(
                session, DeliveryKind.TEAM_UPDATE, [team.manager_id for team in found]
            )
            return found, last

    found, last = run_with_database(work)
    if not found:
        console.print(
            "no team posts its weekly OKR update to a channel; "
            "set one with `okrbot teams channel set --manager EMAIL --slack-channel C…`"
        )
        return
    table = Table(title="Team update channels")
    for column in ("Manager", "Platform", "Channel", "Set by", "Last update"):
        table.add_column(column, overflow="fold")
    for team in found:
        table.add_row(
            escape(team.manager_email),
            team.platform.capitalize(),
            escape(team.channel),
            escape(f"{team.set_by}, {_when(team.set_at)}"),
            escape(_last_post(last.get(team.manager_id))),
        )
    console.print(table)


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"
