"""A Slack listener's writes before its ack go ahead of other requests' waiting writes; those
after it wait their turn (storage.db.WriterQueue's lanes)."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from okrbot.adapters.slack.ack_lane import ack_lane
from okrbot.storage.db import WriterQueue


async def test_a_listener_writes_ahead_of_others_until_it_acks_then_waits_its_turn() -> None:
    queue = WriterQueue()
    order: list[str] = []
    acks: list[dict[str, Any]] = []

    async def ack(**answer: Any) -> None:
        acks.append(answer)

    async def write(name: str) -> None:
        async with queue.turn():
            order.append(name)

    @ack_lane
    async def give_kudos(ack: Any, body: dict[str, Any]) -> None:
        await write("kudos, before its ack")
        await ack(text="Kudos sent")
        await write("kudos, after its ack")

    async with queue.turn():
        earlier = asyncio.create_task(write("check-in stored after its modal closed"))
        await asyncio.sleep(0)
        listener = asyncio.create_task(give_kudos(ack=ack, body={}))
        await asyncio.sleep(0)
        later = asyncio.create_task(write("another check-in"))
        await asyncio.sleep(0)
    await asyncio.gather(earlier, listener, later)
    assert order == [
        "kudos, before its ack",
        "check-in stored after its modal closed",
        "another check-in",
        "kudos, after its ack",
    ]
    assert acks == [{"text": "Kudos sent"}]


def test_bolt_still_sees_the_arguments_the_listener_asks_for() -> None:
    async def listener(ack: Any, body: dict[str, Any], client: Any) -> None: ...

    assert list(inspect.signature(ack_lane(listener)).parameters) == ["ack", "body", "client"]
