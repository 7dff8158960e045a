"""Throttling: shared token buckets hold the rate across replicas; per-conversation buckets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from okrbot.bot.clock import FakeClock
from okrbot.cli.runtime import slack_channel, teams_channel
from okrbot.scheduler.ratelimit import LocalRateLimiter, PostThrottle, Rate, SharedRateLimiter
from okrbot.storage.db import Database

START = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


async def test_shared_bucket_paces_to_the_rate_after_the_burst(database: Database) -> None:
    clock = FakeClock(START)
    limiter = SharedRateLimiter(database, clock)
    rate = Rate(per_second=5.0, burst=5.0)
    for _ in range(25):
        await limiter.acquire("slack:chat.postMessage", rate)
    # 5 from the burst, then 20 more at 5 per second.
    assert clock.now() - START == timedelta(seconds=4)


async def test_replicas_share_one_budget(database: Database) -> None:
    clock = FakeClock(START)
    replicas = [SharedRateLimiter(database, clock) for _ in range(3)]
    rate = Rate.per_minute(300)  # 5 per second, burst of one second's worth
    for n in range(30):
        await replicas[n % 3].acquire("w", rate)
    # Thirty messages by three replicas still take at least (30 - 5) / 5 seconds, not a
    # third of it; tokens a replica took but did not use in time only make it slower.
    assert timedelta(seconds=5) <= clock.now() - START <= timedelta(seconds=6)


async def test_separate_keys_do_not_share(database: Database) -> None:
    clock = FakeClock(START)
    limiter = SharedRateLimiter(database, clock)
    rate = Rate(per_second=1.0, burst=1.0)
    await limiter.acquire("workspace-a", rate)
    await limiter.acquire("workspace-b", rate)
    assert clock.now() == START


async def test_local_bucket_allows_a_short_burst_per_conversation() -> None:
    clock = FakeClock(START)
    limiter = LocalRateLimiter(clock)
    rate = Rate(per_second=1.0, burst=3.0)
    for _ in range(3):
        await limiter.acquire("D1", rate)
    assert clock.now() == START
    await limiter.acquire("D2", rate)
    assert clock.now() == START
    await limiter.acquire("D1", rate)
    assert clock.now() == START + timedelta(seconds=1)


async def test_replicas_posting_to_one_channel_share_its_pace(database: Database) -> None:
    """Two replicas post kudos to the same channel: together they keep the channel's rate (a
    burst of 3, then 1 a second), where two in-memory buckets would each allow all of it.
    DMs stay in memory, each replica owning its own."""
    clock = FakeClock(START)
    workspace = Rate(per_second=100.0, burst=100.0)
    channel = Rate(per_second=1.0, burst=3.0)

    def replica() -> PostThrottle:
        return PostThrottle(
            SharedRateLimiter(database, clock),
            "slack:chat.postMessage",
            workspace,
            LocalRateLimiter(clock),
            channel,
            is_shared=slack_channel,
        )

    first, second = replica(), replica()
    for n in range(9):
        await (first, second)[n % 2].before_post("C0KUDOS")
    # 3 from the burst, then 6 more at 1 per second, whichever replica posts them.
    assert clock.now() - START >= timedelta(seconds=6)

    clock.set(START + timedelta(hours=1))
    before = clock.now()
    for throttle in (first, second):
        for _ in range(3):
            await throttle.before_post("D0ANA")  # each replica's own DM bucket
    assert clock.now() == before


def test_which_conversations_are_channels() -> None:
    assert [slack_channel(c) for c in ("C0KUDOS", "G0PRIVATE", "D0ANA", "U0ANA")] == [
        True,
        True,
        False,
        False,
    ]
    assert teams_channel("19:general@thread.tacv2;messageid=1")
    assert not teams_channel("a:1" + "x" * 128)
