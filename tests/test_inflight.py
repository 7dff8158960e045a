"""Listener runs that outlive their request are counted, and a shutdown can wait for them."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from okrbot.adapters.inflight import InFlight


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
