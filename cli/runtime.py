"""Wiring: settings in, a running okrbot out (database, clock, conversations, outbox, adapters).

The CLI, `okrbot serve`, the demo and the end-to-end tests all build okrbot here, so that what
the tests exercise is what production runs.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import timedelta

import aiohttp
from sqlalchemy import text

from okrbot.adapters.conversations import CheckIns
from okrbot.adapters.courier import Courier
from okrbot.adapters.inflight import InFlight
from okrbot.adapters.preferences import PreferencesFlow
from okrbot.adapters.slack.app import SlackAdapter
from okrbot.adapters.slack.messenger import web_client
from okrbot.adapters.teams.app import TeamsAdapter
from okrbot.bot.clock import Clock, SystemClock
from okrbot.bot.settings import Settings
from okrbot.scheduler.cadence import Cadence
from okrbot.scheduler.outbox import Outbox
from okrbot.scheduler.ratelimit import LocalRateLimiter, PostThrottle, Rate, SharedRateLimiter
from okrbot.scheduler.ticker import Ticker
from okrbot.storage.db import Database

# Slack: about one message per second per conversation, with short bursts allowed.
SLACK_CONVERSATION_RATE = Rate(per_second=1.0, burst=3.0)
# Teams: at most 7 messages a second per conversation (and 8 in 2 s, 60 in 30 s): keep well in.
TEAMS_CONVERSATION_RATE = Rate(per_second=2.0, burst=4.0)
# The fan-out stays narrow for this long after the last request: while people are clicking,
# whether one request happens to be under way at the instant a tick asks is a coin toss.
REQUESTS_RECENTLY = 2.0


def slack_channel(conversation: str) -> bool:
    """A public or private channel (C…, G…), not a DM (D…) or a user id (U…, W…)."""
    return conversation[:1] in ("C", "G")


def teams_channel(conversation: str) -> bool:
    """A channel or group chat (19:…), not a one-to-one chat (a:…)."""
    return conversation.startswith("19:")


class ConfigurationError(ValueError):
    """Settings that parse but cannot run together (e.g. a Slack token with no signing secret)."""


@dataclass
class Runtime:
    settings: Settings
    database: Database
    clock: Clock
    checkins: CheckIns
    outbox: Outbox
    courier: Courier
    cadence: Cadence
    ticker: Ticker
    slack: SlackAdapter | None = None
    teams: TeamsAdapter | None = None
    # The connections okrbot's Slack Web API calls share (closed with the runtime).
    http: aiohttp.ClientSession | None = None
    # Slack and Teams requests under way over HTTP (Socket Mode's are the Slack listeners').
    requests: InFlight = field(default_factory=InFlight)
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")

    async def healthy(self) -> bool:
        try:
            async with self.database.reading() as session:
                await session.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    def busy(self) -> bool:
        """Whether people's requests are being answered, or were a moment ago: the fan-out
        narrows meanwhile (Ticker.busy)."""
        listening = self.slack is not None and self.slack.in_flight.busy(REQUESTS_RECENTLY)
        return listening or self.requests.busy(REQUESTS_RECENTLY)

    async def drain(self, seconds: float) -> int:
        """Let Slack listeners that already acked finish their writes; how many did not."""
        return await self.slack.in_flight.drain(seconds) if self.slack is not None else 0

    async def close(self) -> None:
        if self.http is not None:
            await self.http.close()
        await self.database.dispose()


async def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    database: Database | None = None,
    migrate: bool = True,
    slack_retry_backoff: float = 0.5,
    slack_socket_mode: bool = False,
) -> Runtime:
    """`slack_socket_mode`: Slack reaches okrbot over Socket Mode, so requests need no signing
    secret (only the app-level token opens the connection)."""
    clock = clock or SystemClock()
    database = database or Database(settings.database_url)
    if migrate:
        await database.upgrade()
    checkins = CheckIns(database, settings, clock)
    cadence = Cadence(database, settings, clock)
    slack = http = None
    if settings.slack_bot_token:
        if not settings.slack_signing_secret and not slack_socket_mode:
            raise ConfigurationError(
                "SLACK_SIGNING_SECRET: required with SLACK_BOT_TOKEN, so that okrbot can verify "
                "that requests come from Slack (or use okrbot serve --socket-mode)"
            )
        http = aiohttp.ClientSession()
        client = web_client(
            settings.slack_bot_token,
            settings.slack_api_url,
            backoff=slack_retry_backoff,
            session=http,
        )
        slack = SlackAdapter(
            database=database,
            checkins=checkins,
            client=client,
            signing_secret=settings.slack_signing_secret or "",
            process_before_response=settings.slack_process_before_response,
            next_prompt=lambda person: cadence.next_prompt(person.id),
            preferences=PreferencesFlow(checkins, cadence),
            throttle=PostThrottle(
                SharedRateLimiter(database, clock),
                "slack:chat.postMessage",
                Rate.per_minute(settings.slack_post_rate),
                LocalRateLimiter(clock),
                SLACK_CONVERSATION_RATE,
                is_shared=slack_channel,
            ),
        )
    teams = None
    if settings.microsoft_app_id or settings.teams_dev_no_auth:
        if settings.microsoft_app_id and not settings.microsoft_app_password:
            raise ConfigurationError(
                "MICROSOFT_APP_PASSWORD: required with MICROSOFT_APP_ID, so that okrbot can "
                "authenticate its messages to Teams"
            )
        teams = TeamsAdapter(
            database=database,
            checkins=checkins,
            settings=settings,
            clock=clock,
            preferences=PreferencesFlow(checkins, cadence),
            next_prompt=lambda person: cadence.next_prompt(person.id),
            throttle=PostThrottle(
                SharedRateLimiter(database, clock),
                "teams:tenant",
                Rate(settings.teams_tenant_rate, float(settings.teams_tenant_rate)),
                LocalRateLimiter(clock),
                TEAMS_CONVERSATION_RATE,
                is_shared=teams_channel,
            ),
        )
    courier = Courier(
        database,
        checkins,
        slack=slack.messenger if slack else None,
        teams=teams.messenger if teams else None,
    )
    outbox = Outbox(database, clock, lease=timedelta(seconds=settings.outbox_lease_seconds))
    ticker = Ticker(cadence, outbox, courier)
    runtime = Runtime(
        settings,
        database,
        clock,
        checkins,
        outbox,
        courier,
        cadence,
        ticker,
        slack=slack,
        teams=teams,
        http=http,
    )
    ticker.busy = runtime.busy
    outbox.worker = runtime.worker
    return runtime
