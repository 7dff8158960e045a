"""A local stand-in for the Bot Framework connector REST API as Microsoft Teams serves it.

The real botbuilder `CloudAdapter` / `ConnectorClient` talk to whatever `serviceUrl` an inbound
Activity carries, so pointing that URL at a `TeamsSandbox` lets tests and the offline demo run the
whole Teams path (proactive 1:1 conversations, sends, replies, card updates, member lookups)
without Microsoft's cloud. The sandbox also reproduces the failures a Teams bot has to live with:
429 throttling with Retry-After, 5xx, 403 `MessageWritesBlocked` after a user blocks or
uninstalls the bot, and 413 `MessageSizeTooBig` for oversize messages.

Only the routes okrbot uses are served; anything else answers 404 so a gap shows up loudly.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import math
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from aiohttp import web

from okrbot.adapters.stand_in_server import StandInServer

RouteKind = Literal["create_conversation", "send", "reply", "update", "member", "members"]
ROUTE_KINDS: tuple[RouteKind, ...] = (
    "create_conversation",
    "send",
    "reply",
    "update",
    "member",
    "members",
)

DEFAULT_TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
DEFAULT_BOT_ID = "28:00000000-0000-0000-0000-000000000000"
DEFAULT_BOT_NAME = "okrbot"

# Teams documents about 100 KB per bot message (and advises staying under 80 KB).
MAX_ACTIVITY_BYTES = 100 * 1024

_WRITE_KINDS: frozenset[str] = frozenset({"send", "reply", "update"})


# Teams' ids, as long as Teams makes them -------------------------------------------------


def opaque(seed: str, length: int) -> str:
    """`length` URL-safe characters derived from `seed`, like the opaque part of Teams' ids."""
    out, n = "", 0
    while len(out) < length:
        digest = hashlib.sha256(f"{seed}#{n}".encode()).digest()
        out += base64.urlsafe_b64encode(digest).decode().rstrip("=")
        n += 1
    return out[:length]


def user_id_for(aad_object_id: str) -> str:
    """A Teams user id as a bot sees it: `29:1` and about 108 more characters."""
    return "29:1" + opaque(f"user/{aad_object_id}", 108)


def personal_conversation_id(user_id: str) -> str:
    """The 1:1 chat between the bot and a user: `a:1` and about 128 more characters.

    Teams keeps one such conversation per user and bot, so the same user always gets the same id.
    """
    return "a:1" + opaque(f"chat/{user_id}", 128)


def thread_id(seed: str, suffix: str = "thread.tacv2") -> str:
    """A group chat, channel or team id: `19:<32 hex>@thread.v2` / `@thread.tacv2`."""
    return f"19:{hashlib.md5(seed.encode()).hexdigest()}@{suffix}"


@dataclass(frozen=True)
class RateLimits:
    """Teams' published throttles; `per_conversation` windows are (seconds, max operations)."""

    per_conversation: tuple[tuple[float, int], ...] = (
        (1.0, 7),
        (2.0, 8),
        (30.0, 60),
        (3600.0, 1800),
    )
    per_tenant_per_second: int = 50


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the sandbox saw it, including those it refused (status 0: dropped)."""

    method: str
    path: str
    kind: RouteKind | None
    conversation_id: str | None
    activity_id: str | None
    body: dict[str, Any] | None
    authorization: str | None
    status: int


@dataclass
class _Fault:
    status: int | None  # None: answer normally (after `delay`)
    remaining: int
    retry_after: float | None
    body: dict[str, Any] | None
    delay: float = 0.0
    drop: bool = False


@dataclass
class _Conversation:
    id: str
    tenant_id: str | None
    members: list[dict[str, Any]] = field(default_factory=list)
    activity_ids: list[str] = field(default_factory=list)


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


_DEFAULT_FAULT_BODIES: dict[int, dict[str, Any]] = {
    403: _error("MessageWritesBlocked", "Bot is not allowed to send messages to this user."),
    429: _error("TooManyRequests", "Too many requests."),
    500: _error("InternalServerError", "Internal server error."),
    502: _error("BadGateway", "Bad gateway."),
}


class TeamsSandbox(StandInServer):
    """An in-process Teams connector: start it, put `service_url` in the Activities you post.

    `activities_in(conversation_id)` gives the current version of every activity the bot sent
    there (a PUT replaces the stored version), `sent` every activity posted, in order and as first
    posted, and `requests` every request, refused ones included, with its Authorization header.
    """

    def __init__(
        self,
        *,
        rate_limits: RateLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_activity_bytes: int = MAX_ACTIVITY_BYTES,
        authorize: Callable[[str | None], str | None] | None = None,
    ) -> None:
        """`authorize`, if given, judges each request's Authorization header (None: accepted,
        else why not) and the sandbox answers 401 like the real connector when it refuses."""
        self.authorize = authorize
        self.rate_limits = rate_limits
        self.clock = clock
        self.max_activity_bytes = max_activity_bytes
        self.requests: list[RecordedRequest] = []
        self.sent: list[dict[str, Any]] = []
        self._activities: dict[tuple[str, str], dict[str, Any]] = {}
        self._conversations: dict[str, _Conversation] = {}
        # Channels of teams okrbot is not installed in: Teams refuses the bot's posts there.
        self._not_installed: set[str] = set()
        self._directory: list[dict[str, Any]] = []
        self._faults: dict[str, deque[_Fault]] = defaultdict(deque)
        self._conversation_log: dict[str, deque[float]] = defaultdict(deque)
        self._tenant_log: dict[str, deque[float]] = defaultdict(deque)
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._port: int | None = None

    # Lifecycle ------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 picks a free port) and return `service_url`."""
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._port = await self._serve(app, host, port)
        self._host = host
        return self.service_url

    @property
    def service_url(self) -> str:
        if self._port is None:
            raise RuntimeError("TeamsSandbox is not started")
        return f"http://{self._host}:{self._port}/"

    # Test set-up and inspection -------------------------------------------------------------

    def add_member(
        self,
        *,
        teams_user_id: str,
        aad_object_id: str,
        name: str,
        email: str,
        conversation_id: str | None = None,
        user_principal_name: str | None = None,
        tenant_id: str = DEFAULT_TENANT_ID,
    ) -> dict[str, Any]:
        """Register a user, in the tenant directory and, if given, as a conversation member.

        Lookups in a conversation with no registered members fall back to the directory, so a
        test only needs a conversation id when membership matters.
        """
        member = {
            "id": teams_user_id,
            "name": name,
            "aadObjectId": aad_object_id,
            "email": email,
            "userPrincipalName": user_principal_name or email,
            "tenantId": tenant_id,
            "userRole": "user",
            "givenName": name.split(" ")[0],
            "surname": name.split(" ")[-1],
        }
        self._directory = [m for m in self._directory if m["id"] != teams_user_id] + [member]
        if conversation_id is not None:
            conversation = self._conversation(conversation_id, tenant_id)
            conversation.members = [m for m in conversation.members if m["id"] != teams_user_id] + [
                member
            ]
        return member

    def without_bot(self, channel_id: str) -> None:
        """okrbot is not installed in the team of this channel (or was removed from it): a post
        there answers 403 BotNotInConversationRoster, as Teams does."""
        self._not_installed.add(channel_id)

    def fail_next(
        self,
        route_kind: RouteKind,
        status: int | None = None,
        count: int = 1,
        retry_after: float | None = None,
        body: dict[str, Any] | None = None,
        delay: float = 0.0,
        drop: bool = False,
    ) -> None:
        """Answer the next `count` requests of this kind with `status` (403 means blocked).

        `status` defaults to 500. `delay` waits that many real seconds first: with no `status`
        the request then succeeds (a slow Teams). `drop=True` closes the connection without
        answering (after `delay`), and the request changes nothing.
        """
        if route_kind not in ROUTE_KINDS:
            raise ValueError(f"unknown route kind {route_kind!r}; expected one of {ROUTE_KINDS}")
        if status is None and not (delay > 0 or drop):
            status = 500
        if status == 429 and retry_after is None:
            retry_after = 1
        fault = _Fault(status, count, retry_after, body, delay=delay, drop=drop)
        self._faults[route_kind].append(fault)

    def activities_in(self, conversation_id: str) -> list[dict[str, Any]]:
        """The current version of each activity sent to the conversation, oldest first."""
        conversation = self._conversations.get(conversation_id)
        if conversation is None:
            return []
        return [self._activities[(conversation_id, a)] for a in conversation.activity_ids]

    def activity(self, conversation_id: str, activity_id: str) -> dict[str, Any]:
        return self._activities[(conversation_id, activity_id)]

    def conversation_ids(self) -> list[str]:
        return list(self._conversations)

    async def wait_for_sent(self, count: int) -> list[dict[str, Any]]:
        """Wait until `count` activities were sent (bots may send after answering the turn).

        Bound it with `asyncio.timeout(...)` at the call site.
        """
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.sent) >= count)
        return self.sent

    # HTTP -----------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        # Parse the raw path: clients percent-encode ':' '@' ';' in conversation ids, or not.
        segments = [unquote(s) for s in request.raw_path.split("?", 1)[0].split("/") if s]
        kind, conversation_id, activity_id, member_id = _route(request.method, segments)
        raw = await request.read()
        body: dict[str, Any] | None = None
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
            body = parsed if isinstance(parsed, dict) else None

        if self.authorize is not None and self.authorize(request.headers.get("Authorization")):
            self._record(request, kind, conversation_id, activity_id, body, 401)
            return web.json_response(
                {"message": "Authorization has been denied for this request."}, status=401
            )
        fault = self._take_fault(kind) if kind is not None else None
        if fault is not None and fault.delay > 0:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.drop:
            # Close the connection unanswered, as a network cut would; recorded as status 0.
            self._record(request, kind, conversation_id, activity_id, body, 0)
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=204)
        status, payload, headers = self._respond(
            kind, conversation_id, activity_id, member_id, body, len(raw), fault
        )
        self._record(request, kind, conversation_id, activity_id, body, status)
        async with self._changed:
            self._changed.notify_all()
        return web.json_response(payload, status=status, headers=headers)

    def _record(
        self,
        request: web.Request,
        kind: RouteKind | None,
        conversation_id: str | None,
        activity_id: str | None,
        body: dict[str, Any] | None,
        status: int,
    ) -> None:
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.raw_path,
                kind=kind,
                conversation_id=conversation_id,
                activity_id=activity_id,
                body=body,
                authorization=request.headers.get("Authorization"),
                status=status,
            )
        )

    def _respond(
        self,
        kind: RouteKind | None,
        conversation_id: str | None,
        activity_id: str | None,
        member_id: str | None,
        body: dict[str, Any] | None,
        size: int,
        fault: _Fault | None,
    ) -> tuple[int, Any, dict[str, str]]:
        if kind is None:
            return 404, _error("NotFound", "No such route in the Teams sandbox."), {}

        if fault is not None and fault.status is not None:
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = _seconds(fault.retry_after)
            payload = fault.body or _DEFAULT_FAULT_BODIES.get(
                fault.status, _error("Error", f"Injected status {fault.status}.")
            )
            return fault.status, payload, headers

        throttled = self._throttle(kind, conversation_id, body)
        if throttled is not None:
            return (
                429,
                _error("TooManyRequests", "Too many requests."),
                {"Retry-After": _seconds(throttled)},
            )

        if kind in _WRITE_KINDS and (conversation_id or "").split(";")[0] in self._not_installed:
            return (
                403,
                _error("BotNotInConversationRoster", "The bot is not part of the roster."),
                {},
            )
        if kind in _WRITE_KINDS or kind == "create_conversation":
            if body is None:
                return 400, _error("BadArgument", "Request body must be JSON."), {}
            if size > self.max_activity_bytes:
                return 413, _error("MessageSizeTooBig", "Message size too large."), {}

        match kind:
            case "create_conversation":
                return self._create_conversation(body or {})
            case "send" | "reply":
                assert conversation_id is not None
                reply_to = activity_id if kind == "reply" else None
                new_id = self._store(conversation_id, body or {}, reply_to, tenant=None)
                return 201, {"id": new_id}, {}
            case "update":
                assert conversation_id is not None and activity_id is not None
                if (conversation_id, activity_id) not in self._activities:
                    return (
                        404,
                        _error("ActivityNotFoundInConversation", "Unknown activity."),
                        {},
                    )
                updated = dict(body or {})
                updated["id"] = activity_id
                updated.setdefault("conversation", {"id": conversation_id})
                self._activities[(conversation_id, activity_id)] = updated
                return 200, {"id": activity_id}, {}
            case "member":
                assert conversation_id is not None and member_id is not None
                for member in self._members(conversation_id):
                    if member_id in (member["id"], member["aadObjectId"]):
                        return 200, member, {}
                return (
                    404,
                    _error("MemberNotFoundInConversation", "The member is not in the roster."),
                    {},
                )
            case "members":
                assert conversation_id is not None
                return 200, self._members(conversation_id), {}
        raise AssertionError(kind)

    # Behaviour ------------------------------------------------------------------------------

    def _take_fault(self, kind: str) -> _Fault | None:
        queue = self._faults[kind]
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.popleft()
        return fault

    def _throttle(
        self, kind: str, conversation_id: str | None, body: dict[str, Any] | None
    ) -> float | None:
        """Seconds to wait if this request breaks a limit, else None (and count it)."""
        limits = self.rate_limits
        if limits is None:
            return None
        now = self.clock()
        tenant = self._tenant_of(conversation_id, body) or ""
        tenant_log = _prune(self._tenant_log[tenant], now, 1.0)
        if len(tenant_log) >= limits.per_tenant_per_second:
            return max(tenant_log[0] + 1.0 - now, 0.0)
        conversation_log: deque[float] | None = None
        if kind in _WRITE_KINDS and conversation_id is not None:
            longest = max(period for period, _ in limits.per_conversation)
            conversation_log = _prune(self._conversation_log[conversation_id], now, longest)
            for period, allowed in limits.per_conversation:
                in_window = [t for t in conversation_log if t > now - period]
                if len(in_window) >= allowed:
                    return max(in_window[0] + period - now, 0.0)
            conversation_log.append(now)
        tenant_log.append(now)
        return None

    def _tenant_of(self, conversation_id: str | None, body: dict[str, Any] | None) -> str | None:
        if conversation_id in self._conversations:
            known = self._conversations[conversation_id].tenant_id
            if known:
                return known
        return _body_tenant(body)

    def _conversation(self, conversation_id: str, tenant_id: str | None) -> _Conversation:
        conversation = self._conversations.get(conversation_id)
        if conversation is None:
            conversation = _Conversation(conversation_id, tenant_id)
            self._conversations[conversation_id] = conversation
        elif conversation.tenant_id is None:
            conversation.tenant_id = tenant_id
        return conversation

    def _members(self, conversation_id: str) -> list[dict[str, Any]]:
        conversation = self._conversations.get(conversation_id)
        if conversation is not None and conversation.members:
            return conversation.members
        return self._directory

    def _create_conversation(self, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        members = body.get("members") or []
        if not members or not members[0].get("id"):
            return 400, _error("BadArgument", "Conversation members are required."), {}
        tenant = _body_tenant(body) or DEFAULT_TENANT_ID
        known = {m["id"]: m for m in self._directory} | {
            m["aadObjectId"]: m for m in self._directory
        }
        # Teams answers the same 1:1 conversation id for the same user every time, whether the
        # user is named by their Teams id or their Azure AD object id.
        user_id = known.get(members[0]["id"], members[0])["id"]
        conversation_id = personal_conversation_id(user_id)
        conversation = self._conversation(conversation_id, tenant)
        for requested in members:
            member = known.get(requested["id"], requested)
            if all(m["id"] != member["id"] for m in conversation.members):
                conversation.members.append(member)
        response: dict[str, Any] = {"id": conversation_id}
        if body.get("activity"):
            response["activityId"] = self._store(conversation_id, body["activity"], None, tenant)
        return 201, response, {}

    def _store(
        self,
        conversation_id: str,
        activity: dict[str, Any],
        reply_to: str | None,
        tenant: str | None,
    ) -> str:
        conversation = self._conversation(conversation_id, tenant or _body_tenant(activity))
        activity_id = f"1:{next(self._ids):06d}"
        stored = dict(activity)
        stored["id"] = activity_id
        stored.setdefault("conversation", {"id": conversation_id})
        stored.setdefault("timestamp", datetime.now(UTC).isoformat())
        if reply_to is not None:
            stored["replyToId"] = reply_to
        self._activities[(conversation_id, activity_id)] = stored
        conversation.activity_ids.append(activity_id)
        self.sent.append(stored)
        return activity_id


def _route(
    method: str, segments: list[str]
) -> tuple[RouteKind | None, str | None, str | None, str | None]:
    """(kind, conversation id, activity id, member id) of a connector path; kind None if unknown."""
    if segments[:2] != ["v3", "conversations"]:
        return None, None, None, None
    rest = segments[2:]
    match method, rest:
        case "POST", []:
            return "create_conversation", None, None, None
        case "POST", [conversation_id, "activities"]:
            return "send", conversation_id, None, None
        case "POST", [conversation_id, "activities", activity_id]:
            return "reply", conversation_id, activity_id, None
        case "PUT", [conversation_id, "activities", activity_id]:
            return "update", conversation_id, activity_id, None
        case "GET", [conversation_id, "members"]:
            return "members", conversation_id, None, None
        case "GET", [conversation_id, "members", member_id]:
            return "member", conversation_id, None, member_id
    return None, None, None, None


def _body_tenant(body: dict[str, Any] | None) -> str | None:
    if not body:
        return None
    conversation = body.get("conversation") or {}
    channel_data = body.get("channelData") or {}
    return (
        body.get("tenantId")
        or body.get("tenantID")
        or conversation.get("tenantId")
        or conversation.get("tenantID")
        or (channel_data.get("tenant") or {}).get("id")
    )


def _prune(log: deque[float], now: float, period: float) -> deque[float]:
    while log and log[0] <= now - period:
        log.popleft()
    return log


def _seconds(value: float) -> str:
    # Retry-After carries whole seconds; rounding down could invite an immediate second 429.
    return str(max(math.ceil(value), 0))


# Inbound activities, shaped like the ones Teams posts to a bot's /api/messages --------------


CLIENT_TIMEZONE = "Europe/London"
_message_ids = itertools.count(int(time.time() * 1000))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _local_now() -> str:
    return datetime.now(ZoneInfo(CLIENT_TIMEZONE)).isoformat(timespec="milliseconds")


def _scope(
    conversation_type: str, conversation_id: str, tenant_id: str, team_id: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a conversation type adds to `conversation` and to `channelData`.

    Group chats and channels carry `isGroup`; channels also name their team and channel.
    """
    if conversation_type == "groupChat":
        return {"isGroup": True}, {}
    if conversation_type == "channel":
        channel = conversation_id.split(";", 1)[0]
        team = team_id or thread_id(f"team/{tenant_id}")
        return {"isGroup": True}, {
            "teamsChannelId": channel,
            "teamsTeamId": team,
            "channel": {"id": channel},
            "team": {"id": team},
        }
    return {}, {}


def _envelope(
    activity_type: str,
    *,
    from_id: str,
    aad_object_id: str,
    conversation_id: str,
    service_url: str,
    tenant_id: str,
    from_name: str,
    bot_id: str,
    bot_name: str,
    conversation_type: str,
    team_id: str | None = None,
) -> dict[str, Any]:
    """The fields every Teams activity carries (docs: "Receive a message", conversation events).

    Messages have an epoch-milliseconds id; events an `f:` one.
    """
    in_conversation, channel_data = _scope(conversation_type, conversation_id, tenant_id, team_id)
    return {
        "type": activity_type,
        "id": str(next(_message_ids)) if activity_type == "message" else f"f:{uuid.uuid4()}",
        "timestamp": _now(),
        "localTimestamp": _local_now(),
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": from_id, "name": from_name, "aadObjectId": aad_object_id},
        "conversation": {
            **in_conversation,
            "conversationType": conversation_type,
            "tenantId": tenant_id,
            "id": conversation_id,
        },
        "recipient": {"id": bot_id, "name": bot_name},
        "entities": [
            {
                "locale": "en-US",
                "country": "US",
                "platform": "Web",
                "timezone": CLIENT_TIMEZONE,
                "type": "clientInfo",
            }
        ],
        "channelData": {**channel_data, "tenant": {"id": tenant_id}},
        "locale": "en-US",
    }


def message_activity(
    text: str | None,
    *,
    from_id: str,
    aad_object_id: str,
    conversation_id: str,
    service_url: str,
    value: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    tenant_id: str = DEFAULT_TENANT_ID,
    from_name: str = "Megan Bowen",
    bot_id: str = DEFAULT_BOT_ID,
    bot_name: str = DEFAULT_BOT_NAME,
    reply_to_id: str | None = None,
    conversation_type: str = "personal",
) -> dict[str, Any]:
    """A `message` Activity as Teams posts it; with `value` it is an Action.Submit from a card.

    Teams sets `replyToId` on a card submit to the id of the message holding the card.

    `entities` are appended after the clientInfo entity (e.g. `mention` entities for @name).
    """
    activity = _envelope(
        "message",
        from_id=from_id,
        aad_object_id=aad_object_id,
        conversation_id=conversation_id,
        service_url=service_url,
        tenant_id=tenant_id,
        from_name=from_name,
        bot_id=bot_id,
        bot_name=bot_name,
        conversation_type=conversation_type,
    )
    activity["textFormat"] = "plain"
    if text is not None:
        activity["text"] = text
    if value is not None:
        activity["value"] = value
    if reply_to_id is not None:
        activity["replyToId"] = reply_to_id
    if text is not None and value is None:
        # What the person typed also comes as HTML, as in the captured activity.
        activity["attachments"] = [{"contentType": "text/html", "content": f"<p>{text}</p>"}]
    if entities:
        activity["entities"] = activity["entities"] + list(entities)
    return activity


def conversation_update_activity(
    *,
    from_id: str,
    aad_object_id: str,
    conversation_id: str,
    service_url: str,
    members_added: list[dict[str, Any]] | None = None,
    tenant_id: str = DEFAULT_TENANT_ID,
    from_name: str = "Megan Bowen",
    bot_id: str = DEFAULT_BOT_ID,
    bot_name: str = DEFAULT_BOT_NAME,
    conversation_type: str = "personal",
) -> dict[str, Any]:
    """A `conversationUpdate` adding members; by default the bot, as on an install.

    In a 1:1 chat Teams lists the bot and the user; in a team only the bot, with the
    `teamMemberAdded` event type and the channel chosen at install.
    """
    activity = _envelope(
        "conversationUpdate",
        from_id=from_id,
        aad_object_id=aad_object_id,
        conversation_id=conversation_id,
        service_url=service_url,
        tenant_id=tenant_id,
        from_name=from_name,
        bot_id=bot_id,
        bot_name=bot_name,
        conversation_type=conversation_type,
    )
    if members_added is None:
        members_added = [{"id": bot_id}]
        if conversation_type == "personal":
            members_added.append({"id": from_id, "aadObjectId": aad_object_id})
    activity["membersAdded"] = members_added
    if conversation_type != "personal":
        activity["channelData"]["eventType"] = "teamMemberAdded"
    if conversation_type == "channel":
        selected = {"id": conversation_id.split(";", 1)[0]}
        activity["channelData"]["settings"] = {"selectedChannel": selected}
    return activity


def installation_update_activity(
    *,
    from_id: str,
    aad_object_id: str,
    conversation_id: str,
    service_url: str,
    action: Literal["add", "remove"] = "add",
    tenant_id: str = DEFAULT_TENANT_ID,
    from_name: str = "Megan Bowen",
    bot_id: str = DEFAULT_BOT_ID,
    bot_name: str = DEFAULT_BOT_NAME,
    conversation_type: str = "personal",
) -> dict[str, Any]:
    """An `installationUpdate`: the app was added for (or removed by) the user."""
    activity = _envelope(
        "installationUpdate",
        from_id=from_id,
        aad_object_id=aad_object_id,
        conversation_id=conversation_id,
        service_url=service_url,
        tenant_id=tenant_id,
        from_name=from_name,
        bot_id=bot_id,
        bot_name=bot_name,
        conversation_type=conversation_type,
    )
    activity["action"] = action
    activity["channelData"]["source"] = {"name": "message"}
    return activity


def message_reaction_activity(
    reply_to_id: str, reactions: tuple[str, ...] = ("like",), **envelope: Any
) -> dict[str, Any]:
    """A `messageReaction`: someone reacted to the bot's message `reply_to_id`.

    `envelope` takes `_envelope`'s keywords (from_id, aad_object_id, conversation_id, ...).
    """
    activity = _envelope("messageReaction", **_defaults(envelope))
    activity["reactionsAdded"] = [{"type": reaction} for reaction in reactions]
    activity["replyToId"] = reply_to_id
    return activity


def invoke_activity(name: str, value: dict[str, Any], **envelope: Any) -> dict[str, Any]:
    """An `invoke`, e.g. `adaptiveCard/action` when an Action.Execute is pressed; Teams waits
    for the answer in the HTTP response."""
    activity = _envelope("invoke", **_defaults(envelope))
    activity["name"] = name
    activity["value"] = value
    return activity


def _defaults(envelope: dict[str, Any]) -> dict[str, Any]:
    return {
        "tenant_id": DEFAULT_TENANT_ID,
        "from_name": "Megan Bowen",
        "bot_id": DEFAULT_BOT_ID,
        "bot_name": DEFAULT_BOT_NAME,
        "conversation_type": "personal",
        **envelope,
    }
