"""After a bulk import, PostgreSQL's planner knows how many rows there are: it does not wait a
minute or more for autovacuum while every request runs on plans made for empty tables."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner, Result

from okrbot.cli.main import app
from okrbot.storage.db import Database
from okrbot.storage.models import KeyResultRow, ObjectiveRow, PersonRow

DATA = Path(__file__).parent / "data"

pytestmark = pytest.mark.postgres


async def cli(database: Database, *args: str) -> Result:
    env = {"OKRBOT_DATABASE_URL": database.url}
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)


async def planned_rows(database: Database, table: str) -> float:
    """The row count the planner works from (pg_class.reltuples; -1: never counted)."""
    async with database.reading() as session:
        reltuples = await session.scalar(
            text("SELECT reltuples FROM pg_class WHERE oid = CAST(:table AS regclass)"),
            {"table": table},
        )
    return float(reltuples)


async def rows(database: Database, model: type) -> int:
    async with database.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_the_planner_counts_imported_people_and_okrs_at_once(
    postgres_database: Database,
) -> None:
    database = postgres_database
    assert await planned_rows(database, "people") <= 0

    result = await cli(database, "import", "people", str(DATA / "people.csv"))
    assert result.exit_code == 0, result.output
    people = await rows(database, PersonRow)
    assert people > 0
    assert await planned_rows(database, "people") == people

    dry = await cli(database, "import", "okrs", "--dry-run", str(DATA / "okrs.yaml"))
    assert dry.exit_code == 0, dry.output
    assert await planned_rows(database, "objectives") <= 0

    result = await cli(database, "import", "okrs", str(DATA / "okrs.yaml"))
    assert result.exit_code == 0, result.output
    for model in (ObjectiveRow, KeyResultRow):
        count = await rows(database, model)
        assert count > 0
        assert await planned_rows(database, model.__tablename__) == count
