"""`okrbot digests send --now`, `okrbot reflections send --now`, `okrbot quarter close`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from okrbot.adapters.slack.sandbox import SlackSandbox
from okrbot.cli.common import console
from okrbot.cli.main import app
from okrbot.storage.db import Database
from tests.world import Seed


async def seed(database: Database) -> None:
    await (
        Seed()
        .person("mia", "mia@example.com", "Mia Boss", slack_user_id="U0MIA")
        .person("ana", "ana@example.com", "Ana Lima", slack_user_id="U0ANA", manager="mia")
        .objective("onboarding", "Onboarding", owner="ana", kind="committed")
        .key_result(
            None,
            "Activation from 40 to 60",
            objective="onboarding",
            owner="ana",
            start=40,
            target=60,
            current=50,
        )
        .write(database)
    )


@pytest.fixture
async def sandbox() -> SlackSandbox:
    sandbox = SlackSandbox()
    sandbox.add_user("U0MIA", "mia", "mia@example.com")
    sandbox.add_user("U0ANA", "ana", "ana@example.com")
    await sandbox.start()
    yield sandbox
    await sandbox.stop()


async def invoke(args: list[str], database: Database, sandbox: SlackSandbox) -> str:
    env = {
        "OKRBOT_DATABASE_URL": database.url,
        "SLACK_BOT_TOKEN": sandbox.token,
        "SLACK_SIGNING_SECRET": "cli-test",
        "OKRBOT_SLACK_API_URL": sandbox.url,
    }
    result = await asyncio.to_thread(CliRunner().invoke, app, args, env=env)
    assert result.exit_code == 0, result.output
    return result.output


async def test_digests_reflections_and_quarter_close_from_the_cli(
    sqlite_database: Database,
    sandbox: SlackSandbox,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(console, "width", 200)
    await seed(sqlite_database)
    out = await invoke(["digests", "send", "--now"], sqlite_database, sandbox)
    # Nobody was asked to check in this week yet: no digest about nothing.
    assert "queued 1 digest(s); 0 delivered now" in out
    assert sandbox.messages_in("U0MIA") == []
    await invoke(["checkins", "send", "--now"], sqlite_database, sandbox)
    assert sandbox.messages_in("U0ANA")  # Ana was asked
    out = await invoke(["digests", "send", "--now"], sqlite_database, sandbox)
    assert "queued 1 digest(s); 1 delivered now" in out

    def digests() -> list[dict[str, Any]]:
        return [m for m in sandbox.messages_in("U0MIA") if "Your team" in str(m["blocks"])]

    assert len(digests()) == 1
    again = await invoke(
        ["digests", "send", "--now", "--manager", "mia@example.com"], sqlite_database, sandbox
    )
    assert "1 delivered now" in again and len(digests()) == 2

    out = await invoke(["reflections", "send", "--now"], sqlite_database, sandbox)
    assert "reflection prompt(s)" in out
    assert any("Looking back" in str(m["blocks"]) for m in sandbox.messages_in("U0ANA"))
    assert not any("Looking back" in str(m["blocks"]) for m in sandbox.messages_in("U0MIA"))

    out = await invoke(["quarter", "close", "--quarter", "2026-Q4"], sqlite_database, sandbox)
    assert "quarter summar(ies)" in out
    assert any(
        "Quarter summary · 2026-Q4" in str(m["blocks"]) for m in sandbox.messages_in("U0MIA")
    )
    assert any(f.content.startswith(b"\x89PNG") for f in sandbox.files.values())


def test_bad_arguments_are_named(sqlite_database: Database) -> None:
    runner = CliRunner()
    env = {"OKRBOT_DATABASE_URL": sqlite_database.url}
    bad = runner.invoke(app, ["quarter", "close", "--quarter", "Q4"], env=env)
    assert bad.exit_code == 1 and "--quarter" in bad.output
    missing = runner.invoke(app, ["digests", "send"], env=env)
    assert missing.exit_code == 1 and "--now" in missing.output
