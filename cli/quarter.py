"""`okrbot quarter report`: the quarter-end summaries archived as Markdown with PNG charts.

Chat messages scroll away; an archive in files lets each manager keep their summaries next to
their own notes, or an admin hand them over when a team changes managers. Every manager gets
one file with exactly what the bot would have sent them, so the archive keeps the same privacy:
each file holds only that manager's direct reports.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from okrbot.bot.charts import person_chart
from okrbot.bot.markdown import messages_markdown
from okrbot.bot.quarters import Quarter
from okrbot.bot.settings import Settings
from okrbot.bot.summaries import build_summary
from okrbot.cli.common import console, fail, run_with_database
from okrbot.storage.db import Database
from okrbot.storage.reports import summary_data

app = typer.Typer(help="Quarter-end summaries and archives.", no_args_is_help=True)


@app.callback()
def quarter_commands() -> None:
    """Quarter-end summaries and archives."""


_UNSAFE = re.compile(r"[^A-Za-z0-9@._+-]")


def file_stem(email: str) -> str:
    """An email as a file name; anything a file system could misread becomes `_`."""
    return _UNSAFE.sub("_", email.strip().lower()) or "unknown"


async def write_report(database: Database, quarter: Quarter, out: Path) -> tuple[int, int]:
    """Write `out/<manager>.md`, `out/charts/<person>.png` and `out/index.md`; return the number
    of managers and charts written."""
    async with database.reading() as session:
        summaries = await summary_data(session, quarter)
    charts_dir = out / "charts"
    charts_dir.mkdir(parents=True, exist_ok=True)
    index = [f"# Quarter summaries · {quarter.id}", ""]
    charts = 0
    ordered = sorted(summaries.values(), key=lambda data: data.manager.email.lower())
    for data in ordered:
        urls = {}
        for person in data.reports:
            png = person_chart(person, quarter)
            if png is None:
                continue  # no key results: nothing to draw
            name = f"{file_stem(person.person.email)}.png"
            (charts_dir / name).write_bytes(png)
            urls[person.person.id] = f"charts/{name}"
            charts += 1
        manager_file = f"{file_stem(data.manager.email)}.md"
        text = messages_markdown(build_summary(data, urls))
        (out / manager_file).write_text(f"# {data.manager.name}\n\n{text}", encoding="utf-8")
        index.append(
            f"- [{data.manager.name}]({manager_file}) · "
            f"{len(data.reports)} direct report{'s' if len(data.reports) != 1 else ''}"
        )
    if not ordered:
        index.append(
            f"No manager has direct reports, so there is nothing to summarise for {quarter}."
        )
    (out / "index.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    return len(ordered), charts


@app.command("report")
def report(
    quarter: Annotated[
        str, typer.Option("--quarter", metavar="YYYY-QN", help="The quarter, e.g. 2026-Q4.")
    ],
    out: Annotated[
        Path, typer.Option("--out", metavar="DIR", help="Directory to write the archive to.")
    ],
) -> None:
    """Write every manager's quarter summary as Markdown, with a progress chart per person."""

    async def work(database: Database, config: Settings) -> tuple[Quarter, int, int]:
        try:
            parsed = Quarter.parse(quarter, config.fiscal_year_start_month)
        except ValueError as error:
            fail(f"--quarter: {error}")
        if out.exists() and not out.is_dir():
            fail(f"--out: {out} exists and is not a directory")
        managers, charts = await write_report(database, parsed, out)
        return parsed, managers, charts

    parsed, managers, charts = run_with_database(work)
    console.print(
        f"wrote {managers} summar{'y' if managers == 1 else 'ies'} and {charts} chart(s) for "
        f"{parsed} to {out} (start at {out / 'index.md'})",
        highlight=False,
    )
