"""`okrbot people`: who okrbot knows, where it can reach them, and pausing someone's prompts."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import func, select

from okrbot.bot.settings import Settings
from okrbot.cli.common import console, fail, run_with_database, settings
from okrbot.storage.db import Database
from okrbot.storage.models import PersonRow

app = typer.Typer(help="People: list them, pause their check-ins.", no_args_is_help=True)


def platforms(row: PersonRow) -> str:
    """Where okrbot can write to the person; Teams needs the app installed (a stored reference)."""
    found = []
    if row.slack_user_id:
        found.append("Slack")
    if row.teams_conversation:
        found.append("Teams")
    elif row.teams_aad_id:
        found.append("Teams (app not installed)")
    return ", ".join(found) or "—"


@app.command("list")
def list_command(
    unreachable: Annotated[
        bool,
        typer.Option(
            "--unreachable", help="Only people okrbot cannot reach (blocked or removed the bot)."
        ),
    ] = False,
) -> None:
    """Everyone okrbot knows, with manager, time zone, platforms and whether they are reachable."""

    async def work(database: Database, config: Settings) -> tuple[list[PersonRow], dict[int, str]]:
        async with database.reading() as session:
            query = select(PersonRow).order_by(PersonRow.email)
            if unreachable:
                query = query.where(PersonRow.teams_unreachable_at.is_not(None))
            rows = list(await session.scalars(query))
            manager_ids = {row.manager_id for row in rows if row.manager_id}
            found = await session.execute(
                select(PersonRow.id, PersonRow.name).where(PersonRow.id.in_(manager_ids))
            )
            return rows, {person_id: name for person_id, name in found.all()}

    config = settings()
    rows, managers = run_with_database(work)
    if not rows:
        console.print(
            "nobody is unreachable"
            if unreachable
            else "no people yet; import them with `okrbot import people`"
        )
        return
    table = Table(title="Unreachable people" if unreachable else "People")
    table.add_column("Email", no_wrap=True)
    for column in (
        "Name",
        "Manager",
        "Time zone",
        "Platforms",
        "Unreachable",
        "Paused until",
    ):
        table.add_column(column, overflow="fold")
    for row in rows:
        unreachable_since = (
            f"Teams, since {row.teams_unreachable_at:%Y-%m-%d %H:%M} UTC"
            if row.teams_unreachable_at
            else "—"
        )
        table.add_row(
            escape(row.email),
            escape(row.name),
            escape(managers.get(row.manager_id, "—")) if row.manager_id else "—",
            escape(row.timezone or f"{config.default_timezone} (default)"),
            platforms(row),
            unreachable_since,
            row.paused_until.isoformat() if row.paused_until else "—",
        )
    console.print(table)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; write it as YYYY-MM-DD") from None


@app.command()
def pause(
    email: Annotated[str, typer.Argument(help="The person's email.", show_default=False)],
    until: Annotated[
        str,
        typer.Option(
            "--until",
            metavar="YYYY-MM-DD",
            help="Last day without check-in prompts (e.g. the end of a holiday).",
            show_default=False,
        ),
    ],
) -> None:
    """Pause someone's check-in prompts and reminders up to and including a day."""
    last_day = _day(until)

    async def work(database: Database, config: Settings) -> str:
        async with database.transaction() as session:
            row = await session.scalar(
                select(PersonRow).where(func.lower(PersonRow.email) == email.strip().lower())
            )
            if row is None:
                fail(f"no person with email {email}; see `okrbot people list`")
            if last_day < date.today():
                fail(f"--until {last_day} is in the past; pick today or a later day")
            row.paused_until = last_day
            return row.name

    name = run_with_database(work)
    console.print(
        f"paused check-ins for {escape(name)} ({escape(email)}) until {last_day} (inclusive)",
        highlight=False,
    )
