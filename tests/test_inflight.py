"""Listener runs that outlive their request are counted, and a shutdown can wait for them."""

from __future__ import annotations

import asyncio
import inspect

import pytest
from aiohttp.test_utils import TestClient, TestServer

from okrbot.adapters.inflight import InFlight
from okrbot.bot.settings import Settings
from okrbot.cli.runtime import REQUESTS_RECENTLY, build_runtime
from okrbot.cli.serve import web_app
from okrbot.storage.db import Database


async def test_drain_waits_for_tracked_runs_and_says_how_many_outlived_it() -> None:
    in_flight = InFlight()
    release = asyncio.Event()

    async def listener(ack: str, body: dict[str, str]) -> str:
        await release.wait()
        return f"{ack} {body['user']}"

    tracked = in_flight.track(listener)
    # Bolt injects arguments by the names it reads through functools.wraps.
    assert list(inspect.signature(tracked).parameters) == ["ack", "body"]
    run = asyncio.create_task(tracked(ack="acked", body={"user": "U1"}))
    await asyncio.sleep(0)
    assert in_flight.running == 1
    assert await in_flight.drain(0) == 1  # still writing: a shutdown would say so
    release.set()
    assert await in_flight.drain(5) == 0
    assert await run == "acked U1"


async def test_a_failing_run_is_not_counted_forever() -> None:
    in_flight = InFlight()

    async def listener(ack: str) -> None:
        raise RuntimeError(ack)

    with pytest.raises(RuntimeError, match="boom"):
        await in_flight.track(listener)(ack="boom")
    assert in_flight.running == 0
    assert await in_flight.drain(0) == 0


async def test_busy_lasts_a_moment_past_the_last_run() -> None:
    """Requests 40 ms apart leave nothing under way most of the time; they are still coming."""
    now = 100.0
    in_flight = InFlight(clock=lambda: now)
    assert not in_flight.busy(2.0)
    with in_flight.one():
        now += 30.0
        assert in_flight.busy(2.0)
    now += 1.9
    assert in_flight.busy(2.0)
    now += 0.2
    assert not in_flight.busy(2.0)


async def test_the_fan_out_narrows_from_a_request_s_arrival_until_a_moment_after_it(
    sqlite_database: Database,
) -> None:
    """Counted at the HTTP entry, before Bolt or botbuilder runs a listener: a click whose
    replay key waits for the database is a person waiting too."""
    settings = Settings(
        database_url=sqlite_database.url,
        slack_bot_token="xoxb-test",
        slack_signing_secret="secret",
        teams_dev_no_auth=True,
    )
    runtime = await build_runtime(settings, database=sqlite_database, migrate=False)
    now = 100.0
    runtime.requests = InFlight(clock=lambda: now)
    async with TestServer(web_app(runtime)) as server, TestClient(server) as client:
        assert (await client.get("/healthz")).status == 200
        assert not runtime.ticker.busy()  # health checks are not people
        for path, refused in (("/slack/events", 401), ("/api/messages", 400)):
            assert (await client.post(path, data=b"{}")).status == refused
            assert runtime.ticker.busy()
            now += REQUESTS_RECENTLY + 0.1
            assert not runtime.ticker.busy()
    await runtime.close()
