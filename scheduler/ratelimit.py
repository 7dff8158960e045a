"""Throttling before the platform does: token buckets per workspace/tenant and per conversation.

The workspace-wide bucket lives in the database, so every replica draws from the same budget
and N replicas together send at the allowed rate, not N times it. A one-to-one conversation's
bucket is in memory: one delivery (and so one replica) owns a DM at a time. A conversation many
deliveries post to at once (the kudos channel) has its bucket in the database too, or replicas
posting kudos side by side would each allow the channel's whole rate. The workspace token is
taken first, so a busy conversation never holds one it cannot use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from okrbot.bot.clock import Clock
from okrbot.storage.db import Database, dialect_insert
from okrbot.storage.models import RateBucketRow


@dataclass(frozen=True, slots=True)
class Rate:
    per_second: float
    burst: float = 1.0

    @classmethod
    def per_minute(cls, count: float, burst_seconds: float = 1.0) -> Rate:
        per_second = count / 60
        return cls(per_second, max(1.0, per_second * burst_seconds))


def refill(tokens: float, since: datetime, now: datetime, rate: Rate) -> float:
    elapsed = max((now - since).total_seconds(), 0.0)
    return min(rate.burst, tokens + elapsed * rate.per_second)


class SharedRateLimiter:
    """A token bucket in the database, shared by every process that uses the same one.

    Tokens are taken a few at a time and spent locally within a second, which keeps the
    database round trips to a fraction of the messages without letting any replica exceed
    its share: a token is only ever taken from the shared bucket once.
    """

    RESERVE = 10
    RESERVATION_LIFETIME = timedelta(seconds=1)

    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock
        self._reserved: dict[str, tuple[int, datetime]] = {}

    async def acquire(self, key: str, rate: Rate) -> None:
        while True:
            count, taken_at = self._reserved.get(key, (0, self.clock.now()))
            if count and self.clock.now() - taken_at < self.RESERVATION_LIFETIME:
                self._reserved[key] = (count - 1, taken_at)
                return
            granted, wait = await self._take(key, rate, want=self.RESERVE)
            if granted:
                self._reserved[key] = (granted - 1, self.clock.now())
                return
            await self.clock.sleep(wait)

    async def _take(self, key: str, rate: Rate, want: int) -> tuple[int, float]:
        """Take up to `want` whole tokens; return how many, or how long to wait for one."""
        async with self.database.transaction() as session:
            now = self.clock.now()
            insert = dialect_insert(session)
            await session.execute(
                insert(RateBucketRow)
                .values(key=key, tokens=rate.burst, updated_at=now)
                .on_conflict_do_nothing(index_elements=["key"])
            )
            query = select(RateBucketRow).where(RateBucketRow.key == key)
            if not self.database.is_sqlite:
                query = query.with_for_update()
            bucket = (await session.scalars(query)).one()
            tokens = refill(bucket.tokens, bucket.updated_at, now, rate)
            bucket.updated_at = now
            granted = min(int(tokens), want)
            bucket.tokens = tokens - granted
            if granted:
                return granted, 0.0
            return 0, (1 - tokens) / rate.per_second


class LocalRateLimiter:
    """In-memory token buckets, for limits that one process owns (a single conversation)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._buckets: dict[str, tuple[float, datetime]] = {}

    async def acquire(self, key: str, rate: Rate) -> None:
        while True:
            now = self.clock.now()
            tokens, since = self._buckets.get(key, (rate.burst, now))
            tokens = refill(tokens, since, now, rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return
            self._buckets[key] = (tokens, now)
            await self.clock.sleep((1 - tokens) / rate.per_second)


class PostThrottle:
    """What a platform sender waits on before each post: the workspace, then the conversation.

    `is_shared(conversation)` says whether a conversation is posted to by many deliveries at
    once (a channel rather than a DM); those are paced in the database, by every replica alike.
    """

    def __init__(
        self,
        workspace: SharedRateLimiter | None,
        workspace_key: str,
        workspace_rate: Rate,
        conversations: LocalRateLimiter,
        conversation_rate: Rate,
        is_shared: Callable[[str], bool] = lambda _conversation: False,
    ) -> None:
        self.workspace = workspace
        self.workspace_key = workspace_key
        self.workspace_rate = workspace_rate
        self.conversations = conversations
        self.conversation_rate = conversation_rate
        self.is_shared = is_shared

    async def before_post(self, conversation: str) -> None:
        if self.workspace is not None:
            await self.workspace.acquire(self.workspace_key, self.workspace_rate)
        if self.workspace is not None and self.is_shared(conversation):
            key = f"{self.workspace_key}:{conversation}"
            await self.workspace.acquire(key, self.conversation_rate)
        else:
            await self.conversations.acquire(conversation, self.conversation_rate)
