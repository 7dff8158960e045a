"""`okrbot people list` and `okrbot people pause`."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from typer.testing import CliRunner, Result

from okrbot.cli.common import console
from okrbot.cli.main import app
from okrbot.storage.db import Database
from okrbot.storage.models import PersonRow


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shared console fixed its width at import; give the table room for one row a line."""
    monkeypatch.setattr(console, "width", 200)


async def cli(database: Database, *args: str) -> Result:
    env = {"OKRBOT_DATABASE_URL": database.url}
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)


async def seed(database: Database) -> None:
    async with database.transaction() as session:
        boss = PersonRow(email="mia@example.com", name="Mia Boss", timezone="Europe/Berlin")
        session.add(boss)
        await session.flush()
        session.add_all(
            [
                PersonRow(
                    email="ana@example.com",
                    name="Ana Lima",
                    manager_id=boss.id,
                    timezone="America/New_York",
                    slack_user_id="U0ANA",
                ),
                PersonRow(
                    email="li@example.com",
                    name="Li Wei",
                    manager_id=boss.id,
                    teams_aad_id="aad-li",
                    teams_conversation={"conversation": {"id": "a:li"}},
                    teams_unreachable_at=datetime(2026, 11, 16, 10, tzinfo=UTC),
                ),
                PersonRow(email="ola@example.com", name="Ola Nord", teams_aad_id="aad-ola"),
            ]
        )


async def test_list_shows_manager_zone_platforms_and_reachability(database: Database) -> None:
    await seed(database)
    result = await cli(database, "people", "list")
    assert result.exit_code == 0, result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if "@" in line}
    assert set(lines) == {"ana@example.com", "li@example.com", "mia@example.com", "ola@example.com"}
    assert "Mia Boss" in lines["ana@example.com"] and "America/New_York" in lines["ana@example.com"]
    assert "Slack" in lines["ana@example.com"]
    assert "UTC (default)" in lines["li@example.com"]
    assert "Teams, since 2026-11-16 10:00 UTC" in lines["li@example.com"]
    assert "Teams (app not installed)" in lines["ola@example.com"]


async def test_list_unreachable_only(database: Database) -> None:
    await seed(database)
    result = await cli(database, "people", "list", "--unreachable")
    assert result.exit_code == 0, result.output
    assert "li@example.com" in result.output and "ana@example.com" not in result.output


async def test_list_when_nobody_is_unreachable(database: Database) -> None:
    result = await cli(database, "people", "list", "--unreachable")
    assert result.exit_code == 0 and "nobody is unreachable" in result.output
    result = await cli(database, "people", "list")
    assert "no people yet" in result.output


async def test_pause_sets_paused_until(database: Database) -> None:
    await seed(database)
    until = date.today() + timedelta(days=14)
    result = await cli(database, "people", "pause", "Ana@Example.com", "--until", until.isoformat())
    assert result.exit_code == 0, result.output
    assert f"until {until}" in result.output
    async with database.reading() as session:
        from sqlalchemy import select

        row = await session.scalar(select(PersonRow).where(PersonRow.email == "ana@example.com"))
        assert row is not None and row.paused_until == until
    listed = await cli(database, "people", "list")
    assert until.isoformat() in listed.output


async def test_pause_errors_are_clear(database: Database) -> None:
    await seed(database)
    unknown = await cli(database, "people", "pause", "nobody@example.com", "--until", "2099-01-01")
    assert unknown.exit_code == 1 and "no person with email nobody@example.com" in unknown.output
    bad = await cli(database, "people", "pause", "ana@example.com", "--until", "next friday")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
    past = await cli(database, "people", "pause", "ana@example.com", "--until", "2001-01-01")
    assert past.exit_code == 1 and "in the past" in past.output
    missing = await cli(database, "people", "pause", "ana@example.com")
    assert missing.exit_code == 2 and "--until" in missing.output
