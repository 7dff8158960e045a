"""Faults okrbot has to ride out: a killed process, a flaky Slack or Teams, a restarted PostgreSQL,
and many writers on one SQLite file. After each, every prompt went out exactly once and every
check-in is stored; nobody saw "database is locked" or a 500.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, insert, select

from okrbot.adapters.slack.sandbox import SlackSandbox
from okrbot.adapters.slack.simulator import Reply, SlackSimulator
from okrbot.adapters.slack.socket_sandbox import SocketModeSandbox, SocketModeSimulator
from okrbot.adapters.teams.sandbox import TeamsSandbox
from okrbot.adapters.teams.simulator import TeamsSimulator, TeamsUser
from okrbot.bot.clock import FakeClock
from okrbot.bot.quarters import Quarter
from okrbot.bot.settings import Settings
from okrbot.cli.runtime import Runtime, build_runtime
from okrbot.storage.db import Database
from okrbot.storage.models import (
    DeliveryRow,
    KeyResultRow,
    ObjectiveRow,
    PersonRow,
    ScheduleRow,
)
from tests.world import add_members, serving

SECRET = "faults-signing-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def slack_id(n: int) -> str:
    return f"U{n:05d}"


async def seed(database: Database, people: int, due: datetime, *, slack: bool = True) -> None:
    """`people` people, each with one number key result and a prompt due at `due`."""
    quarter = Quarter.containing(due.date()).id
    async with database.transaction() as session:
        await session.execute(
            insert(PersonRow),
            [
                {
                    "id": n,
                    "email": f"p{n}@example.com",
                    "name": f"P {n}",
                    "timezone": "UTC",
                    "slack_user_id": slack_id(n) if slack else None,
                    "created_at": due,
                    "updated_at": due,
                }
                for n in range(1, people + 1)
            ],
        )
        await session.execute(
            insert(ObjectiveRow),
            [
                {
                    "id": n,
                    "quarter": quarter,
                    "title": f"O{n}",
                    "level": "personal",
                    "kind": "aspirational",
                    "owner_id": n,
                    "position": 0,
                    "created_at": due,
                }
                for n in range(1, people + 1)
            ],
        )
        await session.execute(
            insert(KeyResultRow),
            [
                {
                    "id": n,
                    "objective_id": n,
                    "title": "KR",
                    "owner_id": n,
                    "type": "number",
                    "start": 0,
                    "target": 10,
                    "current": 1,
                    "position": 0,
                }
                for n in range(1, people + 1)
            ],
        )
        await session.execute(
            insert(ScheduleRow),
            [{"person_id": n, "kind": "prompt", "next_at": due} for n in range(1, people + 1)],
        )


async def healthy(serve: Serve) -> bool:
    try:
        async with (
            aiohttp.ClientSession() as client,
            client.get(f"http://127.0.0.1:{serve.port}/healthz") as response,
        ):
            return response.status == 200
    except aiohttp.ClientError:
        return False


@asynccontextmanager
async def serving_slack(
    database: Database, people: int, *args: str, socket_mode: bool = False, **env: str
) -> AsyncIterator[tuple[Serve, SlackSimulator, SlackSandbox]]:
    """A healthy `okrbot serve` (with `args` and `env`) for `people` seeded Slack users, none of
    them due a prompt; killed on the way out if the test has not stopped it. `socket_mode`:
    Slack reaches it over a Socket Mode connection instead of signed HTTP."""
    await seed(database, people, datetime.now(UTC) + timedelta(days=30))
    sandbox = SlackSandbox()
    socket = SocketModeSandbox(sandbox) if socket_mode else None
    if socket is not None:
        args = ("--socket-mode", *args)
        env = {"SLACK_APP_TOKEN": socket.app_token, **env}
    async with sandbox:
        for n in range(1, people + 1):
            sandbox.add_user(slack_id(n), f"p{n}", f"p{n}@example.com")
        serve = start_serve(database.url, sandbox.url, *args, **env)
        slack = (
            SocketModeSimulator(socket)
            if socket is not None
            else SlackSimulator(f"http://127.0.0.1:{serve.port}/slack/events", SECRET, sandbox)
        )
        try:
            await wait_for(lambda: healthy(serve), 60, "okrbot serve healthy")
            if socket is not None:
                await socket.connection(1)
            yield serve, slack, sandbox
        finally:
            if serve.poll() is None:
                serve.kill()
            await slack.close()


async def open_checkin_modals(
    slack: SlackSimulator, sandbox: SlackSandbox, people: int
) -> list[dict[str, Any]]:
    """Persons 1..people each run `/okr checkin`; their modals, in order."""
    modals = []
    for n in range(1, people + 1):
        assert (await slack.command(slack_id(n), "/okr", "checkin")).status == 200
        # The modal opens just after the ack, unless Bolt processes before responding.
        await wait_for(lambda: len(sandbox.calls_to("views.open")) >= n, 10, "modal")  # noqa: B023
        modals.append(sandbox.calls_to("views.open")[-1].params["view"])
    return modals


async def submit_checkins(
    slack: SlackSimulator, modals: list[dict[str, Any]], confidence: str = "on_track"
) -> list[Reply]:
    """Everyone submits at once: person n reports n/10 on key result n."""
    return await asyncio.gather(
        *(
            slack.submit(
                slack_id(n), modal, {f"kr-{n}-value": str(n / 10), f"kr-{n}-confidence": confidence}
            )
            for n, modal in enumerate(modals, start=1)
        )
    )


async def prompt_statuses(database: Database) -> Counter[str]:
    async with database.reading() as session:
        rows = await session.scalars(select(DeliveryRow.status).where(DeliveryRow.kind == "prompt"))
        return Counter(rows)


def posts_per_channel(sandbox: SlackSandbox) -> Counter[str]:
    """Prompts that really reached Slack, per DM; a dropped or refused call does not count."""
    return Counter(
        call.response["channel"]
        for call in sandbox.calls_to("chat.postMessage")
        if call.ok and call.params.get("metadata")
    )


class Serve(subprocess.Popen[bytes]):
    """A real `okrbot serve` whose output goes to a file, read back by `stop` or `output`.

    Not a pipe: a pipe nobody reads until the end fills at 64 KiB (a few logged tracebacks,
    say while PostgreSQL restarts), and the server then blocks in its next log write.
    """

    def __init__(self, env: dict[str, str], args: Sequence[str] = ()) -> None:
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - as long-lived as the process
        self.port = free_port()
        command = [sys.executable, "-m", "okrbot", "serve", "--port", str(self.port), *args]
        super().__init__(command, env=env, stdout=self.log, stderr=self.log)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


def start_serve(database_url: str, api_url: str, *args: str, **extra: str) -> Serve:
    env = {
        **os.environ,
        "OKRBOT_DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-sandbox-token",
        "SLACK_SIGNING_SECRET": SECRET,
        "OKRBOT_SLACK_API_URL": api_url,
        "OKRBOT_SLACK_POST_RATE": "60000",
        "OKRBOT_OUTBOX_LEASE_SECONDS": "2",
        "OKRBOT_TICK_SECONDS": "0.5",
        "OKRBOT_LOG_LEVEL": "WARNING",
        **extra,
    }
    return Serve(env, args)


async def stop(process: Serve) -> str:
    """SIGTERM, wait, and return what it wrote to stderr."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, 30)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)
    return process.output()


async def wait_for(condition: object, seconds: float, what: str) -> None:
    """Poll `condition()` (sync or async) until true; other processes drive it, so no event."""
    async with asyncio.timeout(seconds):
        while True:
            result = condition()  # type: ignore[operator]
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return
            await asyncio.sleep(0.05)


def sqlite_copy(template: Path, tmp_path: Path) -> Database:
    path = tmp_path / "okrbot.db"
    shutil.copy(template, path)
    return Database(f"sqlite+aiosqlite:///{path}")


# -- a killed process ------------------------------------------------------------------------


@pytest.mark.slow
async def test_serve_killed_mid_fan_out_and_restarted_sends_each_prompt_once(
    sqlite_template: Path, tmp_path: Path
) -> None:
    """SIGKILL while posts are in flight on SQLite (the default); the restarted process resends
    only what never reached Slack (it looks for the outbox key in the DM first)."""
    people = 200
    database = sqlite_copy(sqlite_template, tmp_path)
    await seed(database, people, datetime.now(UTC) - timedelta(seconds=1))
    sandbox = SlackSandbox()
    for n in range(1, people + 1):
        sandbox.add_user(slack_id(n), f"p{n}", f"p{n}@example.com")
    # Slow posts, so that the kill lands mid-fan-out with posts Slack completes after the kill.
    sandbox.fail_next("chat.postMessage", delay=0.03, count=10**6)
    await sandbox.start()
    first = start_serve(database.url, sandbox.url)
    second: Serve | None = None
    try:
        await wait_for(lambda: len(sandbox.calls_to("chat.postMessage")) >= people // 4, 60, "1/4")
        first.send_signal(signal.SIGKILL)
        await asyncio.to_thread(first.wait)
        killed_at = len(posts_per_channel(sandbox))
        second = start_serve(database.url, sandbox.url)
        await wait_for(
            lambda: _all_sent(database, people), 90, "every prompt sent after the restart"
        )
        stderr = await stop(second)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
        await sandbox.stop()
    assert first.returncode == -signal.SIGKILL
    assert second.returncode == 0, stderr
    assert killed_at < people  # the kill really happened mid-run
    per_person = posts_per_channel(sandbox)
    assert len(per_person) == people  # nobody lost
    assert max(per_person.values()) == 1  # nobody doubled
    assert await prompt_statuses(database) == {"sent": people}
    await database.dispose()


async def _all_sent(database: Database, people: int) -> bool:
    return await prompt_statuses(database) == {"sent": people}


# -- a flaky Slack and a flaky Teams ---------------------------------------------------------


@dataclass
class InProcess:
    runtime: Runtime
    clock: FakeClock
    database: Database

    async def deliver_until_done(self, rounds: int = 12) -> None:
        """Tick, then jump past the outbox's backoff, until nothing is left to send."""
        for _ in range(rounds):
            await self.runtime.ticker.tick()
            async with self.database.reading() as session:
                left = await session.scalar(
                    select(func.count())
                    .select_from(DeliveryRow)
                    .where(DeliveryRow.status.in_(("pending", "sending")))
                )
            if not left:
                return
            self.clock.advance(timedelta(hours=1))


async def in_process(database: Database, settings: Settings, now: datetime) -> InProcess:
    clock = FakeClock(now)
    runtime = await build_runtime(
        settings, clock=clock, database=database, migrate=False, slack_retry_backoff=0
    )
    return InProcess(runtime, clock, database)


NOW = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)


async def test_slack_answering_429_500_slow_and_dropped_still_gets_each_prompt_once(
    sqlite_database: Database,
) -> None:
    people = 12
    await seed(sqlite_database, people, NOW - timedelta(minutes=1))
    async with SlackSandbox() as sandbox:
        for n in range(1, people + 1):
            sandbox.add_user(slack_id(n), f"p{n}", f"p{n}@example.com")
        sandbox.fail_next("chat.postMessage", error="ratelimited", retry_after=0, count=3)
        sandbox.fail_next("chat.postMessage", status=500, count=5)
        sandbox.fail_next("chat.postMessage", delay=0.2, count=2)
        sandbox.fail_next("chat.postMessage", drop=True, count=4)
        sandbox.fail_next("conversations.history", drop=True, count=2)
        settings = Settings(
            database_url=sqlite_database.url,
            slack_bot_token=sandbox.token,
            slack_signing_secret=SECRET,
            slack_api_url=sandbox.url,
        )
        world = await in_process(sqlite_database, settings, NOW)
        await world.deliver_until_done()
        statuses = [call.status for call in sandbox.calls_to("chat.postMessage")]
    assert {429, 500, 0} <= set(statuses)  # every fault was really served
    per_person = posts_per_channel(sandbox)
    assert len(per_person) == people
    assert max(per_person.values()) == 1
    assert await prompt_statuses(sqlite_database) == {"sent": people}


TEAMS_USERS = [TeamsUser(f"29:u{n}", f"aad-{n}", f"P {n}", f"p{n}@example.com") for n in (1, 2, 3)]


async def test_teams_answering_429_500_slow_and_dropped_still_gets_each_prompt_once(
    sqlite_database: Database,
) -> None:
    await seed(sqlite_database, len(TEAMS_USERS), NOW + timedelta(days=7), slack=False)
    async with TeamsSandbox() as sandbox:
        add_members(sandbox, *TEAMS_USERS)
        settings = Settings(database_url=sqlite_database.url, teams_dev_no_auth=True)
        world = await in_process(sqlite_database, settings, NOW)
        async with serving(world.runtime) as root:
            teams = TeamsSimulator(f"{root}/api/messages", sandbox)
            try:
                for user in TEAMS_USERS:
                    assert all(reply.status == 200 for reply in await teams.install(user))
                welcomed = len(sandbox.sent)
                # A proactive prompt is a reply in the person's 1:1 chat.
                sandbox.fail_next("reply", 429, retry_after=0)
                sandbox.fail_next("reply", 500, count=2)
                sandbox.fail_next("reply", delay=0.2)
                sandbox.fail_next("reply", drop=True, count=2)
                world.clock.advance(timedelta(days=7, minutes=1))
                await world.deliver_until_done()
            finally:
                await teams.close()
        statuses = {r.status for r in sandbox.requests if r.kind == "reply"}
        prompts = Counter(a["conversation"]["id"] for a in sandbox.sent[welcomed:])
    assert {429, 500, 0} <= statuses
    assert sorted(prompts) == sorted(user.conversation_id for user in TEAMS_USERS)
    assert max(prompts.values()) == 1
    assert await prompt_statuses(sqlite_database) == {"sent": len(TEAMS_USERS)}
