"""Throttling: shared token buckets hold the rate across replicas; per-conversation buckets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from okrbot.bot.clock import FakeClock
from okrbot.scheduler.ratelimit import LocalRateLimiter, Rate, SharedRateLimiter
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
