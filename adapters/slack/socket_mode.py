"""Slack over Socket Mode (`okrbot serve --socket-mode`): Bolt's AsyncSocketModeHandler on
slack_sdk's aiohttp client, which reconnects by itself when Slack asks it to or the line drops.

A refused app-level token stops okrbot at once with Slack's reason: left to the client, it would
retry forever, every few seconds, while nothing ever arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

# apps.connections.open answers these when the token itself is wrong, not when Slack is down.
_REFUSALS = {
    "invalid_auth": "Slack does not know this token",
    "not_authed": "no token was sent",
    "not_allowed_token_type": "it is not an app-level token (xapp-...)",
    "missing_scope": "the token lacks the connections:write scope",
    "token_revoked": "the token was revoked",
    "token_expired": "the token expired",
    "account_inactive": "the app or workspace is inactive",
}


class SocketModeRefused(Exception):
    """Slack refused the app-level token; retrying will not help."""


class SocketMode:
    def __init__(self, app: AsyncApp, app_token: str) -> None:
        # The handler's Web API client is the app's, so apps.connections.open goes to the same
        # OKRBOT_SLACK_API_URL as every other call.
        self.handler = AsyncSocketModeHandler(app, app_token)
        self._connecting: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Check the token with apps.connections.open, then connect in the background: if Slack
        is unreachable now, okrbot serves everything else meanwhile and keeps trying."""
        client = self.handler.client
        try:
            client.wss_uri = await client.issue_new_wss_url()
        except SlackApiError as error:
            code = str(error.response.get("error", ""))
            if code in _REFUSALS:
                raise SocketModeRefused(
                    f"Slack refused SLACK_APP_TOKEN for Socket Mode ({code}: {_REFUSALS[code]}). "
                    "Create an app-level token with the connections:write scope under Basic "
                    "Information -> App-Level Tokens."
                ) from None
            log.warning("Slack answered apps.connections.open with %s; retrying", code)
        except (aiohttp.ClientError, OSError) as error:
            log.warning("Slack is not reachable for Socket Mode yet (%s); retrying", error)
        self._connecting = asyncio.create_task(self.handler.connect_async())

    async def connected(self) -> bool:
        return await self.handler.client.is_connected()

    async def close(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        await self.handler.close_async()
