"""`okrbot people`: who okrbot knows, where it can reach them, and pausing someone's prompts."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import func, select

from okrbot.bot.clock import SystemClock
from okrbot.bot.quarters import Quarter
from okrbot.bot.settings import Settings
from okrbot.cli.common import console, err_console, fail, run_with_database, settings
from okrbot.storage.db import Database
from okrbot.storage.models import PersonRow
from okrbot.storage.offboarding import Offboarded, OffboardingError, deactivate, reactivate

app = typer.Typer(
    help="People: list them, pause their check-ins, deactivate them when they leave.",
    no_args_is_help=True,
)


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
        "Deactivated",
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
            f"{row.deactivated_at:%Y-%m-%d}" if row.deactivated_at else "—",
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


EmailArgument = Annotated[str, typer.Argument(help="The person's email.", show_default=False)]


@app.command("deactivate")
def deactivate_command(
    email: EmailArgument,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="EMAIL",
            help="Who takes over their key results (default: their manager).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Offboard someone: okrbot sends them nothing more and nobody can give them kudos; their
    history stays. Their key results and objectives of this quarter and later go to --to or
    their manager, and their direct reports move up to their manager."""

    async def work(database: Database, config: Settings) -> Offboarded:
        now = SystemClock().now()
        quarter = Quarter.containing(now.date(), config.fiscal_year_start_month)
        try:
            async with database.transaction() as session:
                return await deactivate(session, email, to, quarter.id, now)
        except OffboardingError as error:
            fail(escape(str(error)))

    report = run_with_database(work)
    _print_offboarded(report)


def _who(row: PersonRow) -> str:
    return f"{row.name} ({row.email})"


def _print_offboarded(report: Offboarded) -> None:
    def say(text: str) -> None:
        console.print(escape(text), soft_wrap=True, highlight=False)

    def warn(text: str) -> None:
        err_console.print(
            f"[bold yellow]warning:[/] {escape(text)}", soft_wrap=True, highlight=False
        )

    say(
        f"deactivated {_who(report.person)}: okrbot sends them nothing from now on and nobody "
        "can give them kudos; their check-ins, kudos and reflections stay"
    )
    owned = [*(f"objective {o}" for o in report.objectives)]
    owned += [f"key result {kr}" for kr in report.key_results]
    if owned and report.successor is not None:
        say(f"now owned by {_who(report.successor)}:")
    elif owned:
        warn(
            f"{report.person.email} has no active manager and no --to was given, so these stay "
            "theirs and nobody is asked about them; give them a new owner in the OKR file and "
            "import it again:"
        )
    for line in owned:
        say(f"  {line}")
    if report.reports and report.reports_manager is not None:
        say(f"their direct reports now report to {_who(report.reports_manager)}:")
    elif report.reports:
        warn(
            f"their direct reports now have no manager ({report.person.email} had no active "
            "one); set one with `okrbot import people`:"
        )
    for person in report.reports:
        say(f"  {_who(person)}")


@app.command("reactivate")
def reactivate_command(email: EmailArgument) -> None:
    """Undo deactivate: prompts and reports resume from the next regular time. What
    deactivating handed over (key results, direct reports) stays where it went."""

    async def work(database: Database, _config: Settings) -> PersonRow:
        try:
            async with database.transaction() as session:
                return await reactivate(session, email)
        except OffboardingError as error:
            fail(escape(str(error)))

    row = run_with_database(work)
    console.print(
        escape(f"reactivated {_who(row)}: okrbot writes to them again from their next check-in"),
        soft_wrap=True,
        highlight=False,
    )
