"""What a Slack listener writes before it acks goes ahead of other waiting writers.

Slack shows the person a spinner until the ack. A listener that writes before it answers (a
kudos, with its limit checked in the same transaction) keeps them waiting for SQLite's one
writer, so until it calls `ack()` its writes join the replay keys' lane
(`storage.db.before_the_ack`); what it writes afterwards (a check-in stored once its modal has
closed) waits its turn among the other requests' writes, as before.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from okrbot.storage.db import writes_before_the_ack

Listener = TypeVar("Listener", bound=Callable[..., Awaitable[Any]])


def ack_lane(listener: Listener) -> Listener:
    """`listener`, its writes ahead of others' until it acks. Bolt reads the argument names it
    injects through `functools.wraps`, so the wrapper takes them by keyword."""

    @functools.wraps(listener)
    async def in_ack_lane(**kwargs: Any) -> Any:
        ack = kwargs.get("ack")
        if ack is None:
            return await listener(**kwargs)
        acked = writes_before_the_ack()

        async def ack_then_wait_turns(*args: Any, **named: Any) -> Any:
            try:
                return await ack(*args, **named)
            finally:
                acked()

        try:
            return await listener(**{**kwargs, "ack": ack_then_wait_turns})
        finally:
            acked()

    return in_ack_lane  # type: ignore[return-value]
