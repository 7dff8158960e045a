"""`okrbot okrs show`: a readable table of a quarter's OKRs, with progress and writing hints."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from sqlalchemy import update
from typer.testing import CliRunner, Result

from okrbot.bot.quarters import Quarter
from okrbot.cli.main import app
from okrbot.storage.db import Database
from okrbot.storage.models import KeyResultRow

DATA = Path(__file__).parent / "data"

# Short titles, so that the 80-column table of a test run never wraps them.
PLAN = """\
quarter: {quarter}
objectives:
  - title: Happy users
    owner: ada@example.com
    level: company
    key_results:
      - title: Activation
        type: percent
        start: 35
        target: 60
      - title: Ship the guide
        owner: grace@example.com
        start: 0
        target: 1
  - title: Lean costs
    owner: margaret@example.com
    level: team
    kind: committed
    parent: Happy users
    key_results:
      - title: Cloud spend
        type: currency
        start: 9000
        target: 6000
        unit: $
      - title: Guide live
        type: milestone
  - title: Quiet plans
    owner: linus@example.com
    level: personal
"""


async def cli(database: Database, *args: str) -> Result:
    """Run the CLI in a thread: it calls asyncio.run, which cannot nest in the test's loop."""
    env = {"OKRBOT_DATABASE_URL": database.url}
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)


async def load(database: Database, tmp_path: Path, quarter: str) -> None:
    assert (await cli(database, "import", "people", str(DATA / "people.csv"))).exit_code == 0
    path = tmp_path / "okrs.yaml"
    path.write_text(PLAN.format(quarter=quarter), encoding="utf-8")
    result = await cli(database, "import", "okrs", str(path))
    assert result.exit_code == 0, result.output
    async with database.transaction() as session:
        for title, current in (("Activation", 45), ("Cloud spend", 7500), ("Guide live", 1)):
            await session.execute(
                update(KeyResultRow).where(KeyResultRow.title == title).values(current=current)
            )


async def test_shows_the_current_quarter_with_progress_and_hints(
    database: Database, tmp_path: Path
) -> None:
    await load(database, tmp_path, Quarter.containing(date.today()).id)
    result = await cli(database, "okrs", "show")
    assert result.exit_code == 0, result.output
    output = result.output
    assert f"OKRs {Quarter.containing(date.today()).id}" in output
    for text in ("Happy users", "Lean costs", "Quiet plans", "Activation", "Cloud spend"):
        assert text in output
    assert "45% / 60%" in output
    assert "$7,500 / $6,000" in output
    assert "done" in output
    assert "▰▰▰▰▱▱▱▱▱▱" in output and "0.40" in output
    assert "▰▰▰▰▰▱▱▱▱▱" in output and "0.50" in output
    assert "▰▰▰▰▰▰▰▰▰▰" in output and "1.00" in output
    assert "aligned to:" in output
    assert "Key result 'Ship the guide' reads like a task" in output
    assert "Objective 'Quiet plans' has no key results yet" in output


async def test_person_filter_shows_objectives_they_own_or_contribute_to(
    database: Database, tmp_path: Path
) -> None:
    await load(database, tmp_path, "2026-Q4")
    result = await cli(
        database, "okrs", "show", "--quarter", "2026-Q4", "--person", "Grace@example.com"
    )
    assert result.exit_code == 0, result.output
    assert "Happy users" in result.output and "Grace Hopper" in result.output
    assert "Lean costs" not in result.output and "Quiet plans" not in result.output


async def test_unknown_person_bad_quarter_and_empty_quarter(database: Database) -> None:
    unknown = await cli(database, "okrs", "show", "--person", "who@example.com")
    assert unknown.exit_code != 0
    assert "--person: no person with email who@example.com" in unknown.output
    bad = await cli(database, "okrs", "show", "--quarter", "2026-Q9")
    assert bad.exit_code != 0 and "--quarter: '2026-Q9' is not a quarter" in bad.output
    empty = await cli(database, "okrs", "show", "--quarter", "2031-Q1")
    assert empty.exit_code == 0 and "No objectives in 2031-Q1." in empty.output
