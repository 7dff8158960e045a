"""Slack's Socket Mode, played locally: `apps.connections.open` on the sandbox's Web API and the
WebSocket it hands out, served by the sandbox's own loopback server.

The real slack_sdk Socket Mode client (Bolt's AsyncSocketModeHandler, as `okrbot serve
--socket-mode` runs it) calls apps.connections.open with the app-level token, connects to the
one-time ws:// URL it gets, receives `hello`, and from then on receives envelopes (`events_api`,
`interactive`, `slash_commands`) that it must acknowledge with their `envelope_id`, adding a
`payload` where the answer carries one (a slash command's reply, a modal's `response_action`).
`disconnect` asks it to fetch a new URL and connect again. Shapes follow Slack's Socket Mode
documentation and the envelopes in slack_sdk's own tests.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from okrbot.adapters.slack.sandbox import SlackError, SlackSandbox
from okrbot.adapters.slack.simulator import Grid, Reply, SlackSimulator

APP_TOKEN = "xapp-1-A0SANDBOX-1-0123456789abcdef"
CONNECTIONS_WRITE = "connections:write"
LINK_PATH = "/link/"
# How long a test waits for the bot (Slack itself gives up on an ack after 3 seconds).
WAIT_SECONDS = 10.0
# Envelope types and the interactions whose ack may carry a payload.
EVENTS_API = "events_api"
INTERACTIVE = "interactive"
SLASH_COMMANDS = "slash_commands"
_ANSWERED_INTERACTIONS = ("view_submission", "block_suggestion")


@dataclass(frozen=True, slots=True)
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None


@dataclass(eq=False)
class Connection:
    """One WebSocket the bot opened with a URL from apps.connections.open."""

    number: int
    socket: web.WebSocketResponse
    received: list[dict[str, Any]] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return not self.socket.closed


class SocketModeSandbox:
    """Adds Socket Mode to a SlackSandbox (create it before `sandbox.start()`).

    `send` delivers one envelope on the newest open connection and returns the bot's ack;
    `disconnect` sends Slack's `disconnect` message; `connection(n)` waits until the bot has
    opened its n-th connection. `sent` and `acks` record the traffic both ways.
    """

    def __init__(
        self,
        sandbox: SlackSandbox,
        *,
        app_token: str = APP_TOKEN,
        scopes: tuple[str, ...] = (CONNECTIONS_WRITE,),
    ) -> None:
        self.sandbox = sandbox
        self.app_token = app_token
        self.scopes = scopes
        self.connections: list[Connection] = []
        self.sent: list[dict[str, Any]] = []
        self.acks: list[Ack] = []
        self.stray: list[str] = []  # what the bot sent that acknowledges nothing
        # Acks with a payload for an envelope that takes none: Slack drops those payloads.
        self.ignored: list[Ack] = []
        self._tickets: set[str] = set()
        self._pending: dict[str, tuple[asyncio.Future[Ack], bool]] = {}
        self._changed = asyncio.Condition()
        self._numbers = itertools.count(1)
        sandbox.extend(
            self._routes,
            {"apps.connections.open": self._connections_open},
            token_check=self._check_app_token,
        )

    # -- the Web API method --------------------------------------------------------------------

    def _check_app_token(self, token: str) -> None:
        if not token.startswith("xapp-"):
            raise SlackError("not_allowed_token_type")
        if token != self.app_token:
            raise SlackError("invalid_auth")
        if CONNECTIONS_WRITE not in self.scopes:
            raise SlackError(
                "missing_scope", needed=CONNECTIONS_WRITE, provided=",".join(self.scopes)
            )

    def _connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        ticket = secrets.token_hex(16)
        self._tickets.add(ticket)
        root = self.sandbox.url.removesuffix("api/").replace("http://", "ws://", 1)
        return {"url": f"{root}{LINK_PATH.lstrip('/')}?ticket={ticket}&app_id={self.app_id}"}

    @property
    def app_id(self) -> str:
        return self.sandbox.app_id

    # -- the WebSocket ---------------------------------------------------------------------------

    def _routes(self, app: web.Application) -> None:
        app.router.add_get(LINK_PATH, self._link)
        app.on_shutdown.append(self._close_all)

    async def _link(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            # Each URL from apps.connections.open is good for one connection.
            return web.Response(status=401, text="invalid or used ticket")
        self._tickets.discard(ticket)
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        connection = Connection(next(self._numbers), socket)
        self.connections.append(connection)
        await self._send(connection, self._hello())
        await self._notify()
        try:
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    self._receive(connection, message.data)
        finally:
            await self._notify()
        return socket

    def _hello(self) -> dict[str, Any]:
        return {
            "type": "hello",
            "num_connections": sum(1 for c in self.connections if c.open),
            "debug_info": {
                "host": "applink-sandbox",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.app_id},
        }

    def _receive(self, connection: Connection, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            self.stray.append(text)
            return
        connection.received.append(message)
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        pending = self._pending.pop(envelope_id, None) if isinstance(envelope_id, str) else None
        if pending is None or pending[0].done():
            self.stray.append(text)
            return
        waiting, accepts_payload = pending
        payload = message.get("payload")
        ack = Ack(envelope_id, payload if isinstance(payload, dict) else None)
        self.acks.append(ack)
        if ack.payload is not None and not accepts_payload:
            self.ignored.append(ack)
        waiting.set_result(ack)

    async def _send(self, connection: Connection, message: dict[str, Any]) -> None:
        self.sent.append(message)
        await connection.socket.send_str(json.dumps(message))

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _close_all(self, _app: web.Application) -> None:
        for connection in self.connections:
            if connection.open:
                await connection.socket.close(code=WSCloseCode.GOING_AWAY)

    # -- what tests drive ------------------------------------------------------------------------

    def current(self) -> Connection:
        """The newest open connection: where Slack sends the next envelope."""
        for connection in reversed(self.connections):
            if connection.open:
                return connection
        raise LookupError("the bot has no open Socket Mode connection")

    async def connection(self, number: int = 1, seconds: float = WAIT_SECONDS) -> Connection:
        """Wait until the bot has opened its `number`-th connection (and it is still open)."""
        async with asyncio.timeout(seconds), self._changed:
            await self._changed.wait_for(
                lambda: len(self.connections) >= number and self.connections[number - 1].open
            )
        return self.connections[number - 1]

    async def closed(self, connection: Connection, seconds: float = WAIT_SECONDS) -> None:
        async with asyncio.timeout(seconds), self._changed:
            await self._changed.wait_for(lambda: not connection.open)

    async def send(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        retry_attempt: int | None = None,
        connection: Connection | None = None,
        seconds: float = WAIT_SECONDS,
    ) -> Ack:
        """Deliver one envelope and wait for its ack. Events carry `retry_attempt` (0 the first
        time; Slack's retries of an event it saw no ack for count up, same event_id)."""
        envelope: dict[str, Any] = {
            "envelope_id": str(uuid.uuid4()),
            "payload": payload,
            "type": kind,
            "accepts_response_payload": kind == SLASH_COMMANDS
            or (kind == INTERACTIVE and payload.get("type") in _ANSWERED_INTERACTIONS),
        }
        if kind == EVENTS_API:
            envelope["retry_attempt"] = retry_attempt or 0
            envelope["retry_reason"] = "timeout" if retry_attempt else ""
        waiting = asyncio.get_running_loop().create_future()
        self._pending[envelope["envelope_id"]] = (waiting, envelope["accepts_response_payload"])
        await self._send(connection or self.current(), envelope)
        try:
            async with asyncio.timeout(seconds):
                return await waiting
        finally:
            self._pending.pop(envelope["envelope_id"], None)

    async def disconnect(self, reason: str = "refresh_requested") -> Connection:
        """Tell the bot, on its newest connection, to reconnect (Slack does this every few
        hours with `refresh_requested`); returns that connection."""
        connection = self.current()
        await self._send(
            connection,
            {
                "type": "disconnect",
                "reason": reason,
                "debug_info": {"host": "applink-sandbox"},
            },
        )
        return connection


class SocketModeSimulator(SlackSimulator):
    """Slack's side over Socket Mode: the SlackSimulator's payloads, delivered as envelopes on the
    bot's WebSocket. The ack comes back as the Reply (status 200, its payload as the body)."""

    def __init__(
        self,
        socket: SocketModeSandbox,
        team_id: str = "T0SANDBOX",
        clock: Callable[[], float] = time.time,
        grid: Grid | None = None,
    ) -> None:
        super().__init__("", "", socket.sandbox, team_id=team_id, clock=clock, grid=grid)
        self.socket = socket

    async def deliver(
        self, kind: str, payload: dict[str, Any], *, retry: int | None = None, **http: Any
    ) -> Reply:
        if http:
            raise TypeError(f"Socket Mode envelopes have no HTTP options: {sorted(http)}")
        ack = await self.socket.send(kind, payload, retry_attempt=retry)
        return Reply(200, json.dumps(ack.payload) if ack.payload is not None else "")
