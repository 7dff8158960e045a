"""`okrbot import`, `okrbot export` and `okrbot okrs show`: bulk data in and out of okrbot."""

from __future__ import annotations

import enum
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from sqlalchemy import select

from okrbot.bot.clock import SystemClock
from okrbot.bot.domain import KeyResult, Objective, Person, Source
from okrbot.bot.import_problems import ImportFailed, raise_problems, read_text
from okrbot.bot.okr_import import check_okrs, parse_okrs
from okrbot.bot.people_import import check_people, parse_people
from okrbot.bot.quality import okr_warnings
from okrbot.bot.quarters import Quarter
from okrbot.bot.scoring import format_value, key_result_progress, objective_score, progress_bar
from okrbot.bot.settings import Settings
from okrbot.cli.common import console, fail, run_with_database
from okrbot.scheduler.cadence import Cadence
from okrbot.storage.db import Database
from okrbot.storage.export import export_okrs_csv, export_okrs_json, export_people
from okrbot.storage.models import KeyResultRow, ObjectiveRow, PersonRow
from okrbot.storage.okrs import objective_parents, objectives_for_quarter, upsert_okrs
from okrbot.storage.people import get_person_by_email, list_people, upsert_people

import_app = typer.Typer(
    help="Import people (CSV) or OKRs (YAML); all or nothing.", no_args_is_help=True
)
export_app = typer.Typer(
    help="Export a quarter's OKRs, check-ins and kudos, or everyone as a people CSV.",
    invoke_without_command=True,
)
okrs_app = typer.Typer(help="Look at OKRs.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
    app.add_typer(export_app, name="export")
    app.add_typer(okrs_app, name="okrs")


def _fail_import(error: ImportFailed) -> None:
    count = len(error.problems)
    heading = "1 problem" if count == 1 else f"{count} problems"
    lines = "\n".join(escape(str(problem)) for problem in error.problems)
    fail(f"{heading}, nothing was imported:\n{lines}")


FileArgument = Annotated[Path, typer.Argument(help="The file to import.", show_default=False)]


@import_app.command("people")
def import_people(file: FileArgument) -> None:
    """Create or update people from a CSV file, matched by email.

    Columns: email,name,manager_email,timezone,slack_user_id,teams_aad_id and optionally
    checkin_day (mon…sun) and checkin_time (HH:MM, local), and a person's own working hours:
    work_hours (HH:MM-HH:MM, local) and work_days (mon-fri, sun-thu, mon,wed,fri); empty cells
    mean the company's (OKRBOT_WORK_START/END/DAYS).
    """
    name = str(file)
    try:
        parsed = parse_people(read_text(file, name), name)
    except ImportFailed as error:
        _fail_import(error)

    async def work(database: Database, settings: Settings) -> str:
        async with database.transaction() as session:
            existing = await list_people(session)
            raise_problems([*parsed.problems, *check_people(parsed, existing)])
            counts = await upsert_people(session, parsed)
            emails = [record.email for record in parsed.records]
            ids = list(
                await session.scalars(select(PersonRow.id).where(PersonRow.email.in_(emails)))
            )
            await Cadence(database, settings, SystemClock()).reschedule(session, ids)
            gone = [p.email for p in await list_people(session) if p.deactivated and p.id in ids]
        await database.refresh_statistics(PersonRow.__tablename__)
        summary = f"{name}: people {counts}"
        if gone:
            # An import never reactivates: a stale HR export must not bring back who has left.
            summary += (
                f"\n{len(gone)} in the file stay deactivated (okrbot people reactivate EMAIL "
                f"brings one back): {', '.join(gone)}"
            )
        return summary

    try:
        summary = run_with_database(work)
    except ImportFailed as error:
        _fail_import(error)
    console.print(escape(summary), soft_wrap=True)


class _DryRun(Exception):
    """Rolls the import's transaction back, carrying what it would have done."""

    def __init__(self, summary: str) -> None:
        super().__init__(summary)
        self.summary = summary


@import_app.command("okrs")
def import_okrs(
    file: FileArgument,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Check everything and print what would change; write nothing."
        ),
    ] = False,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune",
            help="Archive the quarter's objectives and key results the file no longer has.",
        ),
    ] = False,
) -> None:
    """Create, update or rename a quarter's objectives and key results from a YAML file.

    Objectives are matched by their `id:` within the quarter, else by title; key results by
    `id:`, else by title within their objective. A match keeps its check-ins and current value.
    What the file no longer has is listed and kept, or archived with --prune.
    """
    name = str(file)
    try:
        parsed = parse_okrs(read_text(file, name), name)
    except ImportFailed as error:
        _fail_import(error)

    async def work(database: Database, _settings: Settings) -> str:
        heading = f"{name}: {parsed.quarter}"
        try:
            async with database.transaction() as session:
                people = await list_people(session)
                parents = await objective_parents(session, parsed.quarter) if parsed.quarter else {}
                emails = [person.email for person in people]
                gone = [person.email for person in people if person.deactivated]
                raise_problems([*parsed.problems, *check_okrs(parsed, emails, parents, gone)])
                diff = await upsert_okrs(session, parsed, SystemClock().now(), prune)
                if dry_run:
                    raise _DryRun(diff.summary(f"{heading} (dry run, nothing was written):"))
        except _DryRun as rolled_back:
            return rolled_back.summary
        await database.refresh_statistics(ObjectiveRow.__tablename__, KeyResultRow.__tablename__)
        return diff.summary(heading)

    try:
        summary = run_with_database(work)
    except ImportFailed as error:
        _fail_import(error)
    console.print(escape(summary), soft_wrap=True, highlight=False)


class ExportFormat(enum.StrEnum):
    CSV = "csv"
    JSON = "json"


OutOption = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Write to this file instead of standard output."),
]


def _write(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, encoding="utf-8", newline="")
    except OSError as error:
        fail(f"{out}: {error.strerror or error}")
    console.print(f"wrote {escape(str(out))}", soft_wrap=True)


def _quarter(text: str, settings: Settings) -> Quarter:
    try:
        return Quarter.parse(text, settings.fiscal_year_start_month)
    except ValueError as error:
        fail(f"--quarter: {error}")


@export_app.callback()
def export(
    ctx: typer.Context,
    quarter: Annotated[
        str | None, typer.Option(help="The quarter to export, like 2026-Q4.", show_default=False)
    ] = None,
    format: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.CSV,
    out: OutOption = None,
) -> None:
    """Export a quarter: CSV has one row per key result; JSON adds check-ins and kudos."""
    if ctx.invoked_subcommand is not None:
        return
    if quarter is None:
        fail("--quarter is required, e.g. okrbot export --quarter 2026-Q4 (or: export people)")

    async def work(database: Database, settings: Settings) -> str:
        which = _quarter(quarter, settings)
        async with database.reading() as session:
            if format is ExportFormat.JSON:
                return await export_okrs_json(session, which)
            return await export_okrs_csv(session, which)

    _write(run_with_database(work), out)


@export_app.command("people")
def export_people_command(out: OutOption = None) -> None:
    """Everyone as a CSV that `okrbot import people` reads back unchanged."""

    async def work(database: Database, _settings: Settings) -> str:
        async with database.reading() as session:
            return await export_people(session)

    _write(run_with_database(work), out)


@okrs_app.command("show")
def show(
    person: Annotated[
        str | None, typer.Option(help="Only this person's OKRs (by email).", show_default=False)
    ] = None,
    quarter: Annotated[
        str | None,
        typer.Option(help="Like 2026-Q4; the current quarter by default.", show_default=False),
    ] = None,
) -> None:
    """Objectives and key results with progress, scores and hints on how they are written."""

    async def work(
        database: Database, settings: Settings
    ) -> tuple[str, list[Objective], dict[int, Person], Person | None]:
        if quarter is None:
            which = Quarter.containing(date.today(), settings.fiscal_year_start_month)
        else:
            which = _quarter(quarter, settings)
        async with database.reading() as session:
            someone = None
            if person is not None:
                someone = await get_person_by_email(session, person)
                if someone is None:
                    fail(f"--person: no person with email {escape(person)}")
            objectives = await objectives_for_quarter(
                session, which.id, someone.id if someone else None, include_pending=True
            )
            people = {p.id: p for p in await list_people(session)}
        return which.id, objectives, people, someone

    which, objectives, people, someone = run_with_database(work)
    whose = f" for {someone.name} <{someone.email}>" if someone else ""
    if not objectives:
        console.print(escape(f"No objectives in {which}{whose}."), soft_wrap=True)
        return
    console.print(_okr_table(f"OKRs {which}{whose}", objectives, people))
    warnings = okr_warnings(objectives)
    if warnings:
        console.print(Text(f"\n{len(warnings)} hints on how these OKRs are written:", "bold"))
        for warning in warnings:
            console.print(Text(f"  ⚠ {warning.message}", "yellow"), soft_wrap=True)


def _okr_table(title: str, objectives: list[Objective], people: dict[int, Person]) -> Table:
    table = Table(title=title, title_justify="left", expand=False)
    table.add_column("Objective / key result", overflow="fold", ratio=3)
    table.add_column("Owner", overflow="fold", ratio=1)
    table.add_column("Current / target", justify="right", no_wrap=True)
    table.add_column("Progress", no_wrap=True)
    table.add_column("Score", justify="right")
    titles = {objective.id: objective.title for objective in objectives}
    for index, objective in enumerate(objectives):
        score = objective_score(objective.key_results)
        heading = Text(objective.title, "bold")
        heading.append(f"\n{objective.level.value}, {objective.kind.value}", "dim")
        heading.append(f"\n{_origin(objective, people)}", "dim")
        if objective.parent_id is not None and objective.parent_id in titles:
            heading.append(f"\naligned to: {titles[objective.parent_id]}", "dim")
        table.add_row(
            heading,
            Text(people[objective.owner_id].name, "bold"),
            "",
            progress_bar(score) if score is not None else "",
            f"{score:.2f}" if score is not None else "–",
            end_section=not objective.key_results and index < len(objectives) - 1,
        )
        for position, kr in enumerate(objective.key_results):
            progress = key_result_progress(kr)
            table.add_row(
                Text(f"  • {kr.title}"),
                Text(people[kr.owner_id].name),
                Text(_current_and_target(kr)),
                progress_bar(progress),
                f"{progress:.2f}",
                end_section=position == len(objective.key_results) - 1,
            )
    return table


def _origin(objective: Objective, people: dict[int, Person]) -> str:
    """Where an objective came from and, for one drafted in chat, its approval."""
    if objective.source is Source.IMPORT:
        return "from: import"
    if objective.pending:
        return "from: chat, pending approval"
    approver = people.get(objective.approved_by_id or 0)
    by = f" by {approver.name}" if approver else ""
    return f"from: chat, approved{by}"


def _current_and_target(kr: KeyResult) -> str:
    current = format_value(kr.current, kr.type, kr.unit)
    # "not done / done" reads oddly; a milestone's state says it all.
    if kr.is_milestone:
        return current
    return f"{current} / {format_value(kr.target, kr.type, kr.unit)}"
