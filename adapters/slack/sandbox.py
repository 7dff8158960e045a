"""A local stand-in for the Slack Web API, served over HTTP by aiohttp.

Tests, benchmarks and `okrbot demo` point the real `slack_sdk` AsyncWebClient at it
(`base_url=sandbox.url`), so the whole client stack - serialisation, retry handlers, error
mapping - runs exactly as in production, only against an in-memory workspace. It answers with
Slack's documented response shapes and error codes, enforces the Block Kit limits (see
`blockkit_limits`), can inject failures, and can enforce Slack-like rate limits on an
injectable clock so rate-limit behaviour is testable deterministically.

State is only touched synchronously after a request's body has been read, so each API call is
atomic with respect to the event loop and needs no locks.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import random
import secrets
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from aiohttp import web

from okrbot.adapters.slack.blockkit_limits import (
    MAX_MESSAGE_TEXT,
    MAX_VIEW_BYTES,
    blockkit_problems,
    view_problems,
)
from okrbot.adapters.stand_in_server import StandInServer

DEFAULT_TOKEN = "xoxb-sandbox-token"
TRIGGER_TTL_SECONDS = 3.0  # Slack: a trigger_id is good for 3 seconds
_JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: `per_minute` sustained, up to `burst` calls at once (default: a minute's)."""

    per_minute: float
    burst: float | None = None

    @property
    def capacity(self) -> float:
        return self.burst if self.burst is not None else self.per_minute

    @property
    def per_second(self) -> float:
        return self.per_minute / 60.0


TIER_3 = RateLimit(per_minute=50)
TIER_4 = RateLimit(per_minute=100)
# Per method and workspace, as in Slack's published tiers.
DEFAULT_RATE_LIMITS: dict[str, RateLimit] = {
    "chat.update": TIER_3,
    "conversations.open": TIER_3,
    "conversations.history": TIER_3,
    "users.lookupByEmail": TIER_3,
    "chat.postEphemeral": TIER_4,
    "users.info": TIER_4,
    "views.open": TIER_4,
    "views.update": TIER_4,
    "views.publish": TIER_4,
}


# The bot scope each Web API method needs ("Required scopes" on docs.slack.dev/reference/methods/
# <method>); views.* need none beyond a bot token, conversations.history depends on the channel.
REQUIRED_SCOPES: dict[str, str | None] = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    # channels:manage, groups:write or mpim:write also allow it, for other kinds of conversation.
    "conversations.open": "im:write",
    "users.info": "users:read",
    "users.lookupByEmail": "users:read.email",
    "views.open": None,
    "views.update": None,
    "views.publish": None,
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}
HISTORY_SCOPES = {"D": "im:history", "C": "channels:history", "G": "groups:history"}


def _manifest() -> dict[str, Any]:
    manifest = resources.files("okrbot.manifest").joinpath("slack.yaml").read_text("utf-8")
    return dict(yaml.safe_load(manifest))


def manifest_bot_scopes() -> frozenset[str]:
    """The bot scopes manifest/slack.yaml requests: what an install of okrbot is granted."""
    return frozenset(_manifest()["oauth_config"]["scopes"]["bot"])


def manifest_bot_events() -> frozenset[str]:
    """The events manifest/slack.yaml subscribes the bot to."""
    return frozenset(_manifest()["settings"]["event_subscriptions"].get("bot_events") or [])


# The scope Slack requires before it sends a bot event ("Required scopes" of each event).
EVENT_SCOPES = {"message.im": "im:history", "app_home_opened": None}


@dataclass
class RecordedCall:
    """One request the sandbox answered (status 0: dropped unanswered); `params` has
    blocks/view/files decoded from JSON."""

    method: str
    params: dict[str, Any]
    time: float
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))


@dataclass
class SandboxFile:
    id: str
    name: str
    title: str
    length: int
    content: bytes | None = None
    channels: list[str] = field(default_factory=list)


@dataclass
class _Fault:
    status: int | None  # None: answer normally (after `delay`)
    error: str
    retry_after: int | None
    remaining: int
    delay: float = 0.0
    drop: bool = False
    applied: bool = False  # with drop: the call takes effect, only its answer is lost


class _Bucket:
    __slots__ = ("tokens", "updated")

    def __init__(self, tokens: float, updated: float) -> None:
        self.tokens = tokens
        self.updated = updated


class SlackError(Exception):
    """An `ok: false` answer; `extra` goes into the body next to `error`."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def _problem_messages(problems: list[str]) -> dict[str, Any]:
    """Slack's own wording: `[ERROR] <detail> [json-pointer:<path>]`."""
    messages = []
    for problem in problems:
        path, _, detail = problem.partition(": ")
        messages.append(f"[ERROR] {detail} [json-pointer:{path}]")
    return {"errors": problems, "response_metadata": {"messages": messages}}


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true")
    return bool(value)


class SlackSandbox(StandInServer):
    """An in-memory Slack workspace behind a local HTTP server speaking the Web API.

    Use `await start()` (or `async with`), then `AsyncWebClient(token=sandbox.token,
    base_url=sandbox.url)`. Register people with `add_user` and public channels with
    `add_channel`; simulate an interaction's trigger with `issue_trigger_id`. Inspect `calls`,
    `messages_in`, `ephemeral`, `home_views`, `views` and `files` afterwards.
    """

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        clock: Callable[[], float] = time.monotonic,
        enforce_rate_limits: bool = False,
        posts_per_minute: float = 300,
        channel_posts_per_second: float = 1.0,
        channel_burst: float = 3,
        rate_limits: Mapping[str, RateLimit] | None = None,
        team_id: str = "T0SANDBOX",
        bot_user_id: str = "U0BOTUSER",
        scopes: Iterable[str] | None = None,
        events: Iterable[str] | None = None,
    ) -> None:
        self.token = token
        # What the bot token was granted: by default exactly what the manifest requests.
        self.scopes = frozenset(scopes) if scopes is not None else manifest_bot_scopes()
        # The bot events the app subscribes to: by default the manifest's.
        self.events = frozenset(events) if events is not None else manifest_bot_events()
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = "B0SANDBOX"
        self.app_id = "A0SANDBOX"
        self.enforce_rate_limits = enforce_rate_limits
        self.rate_limits: dict[str, RateLimit] = dict(DEFAULT_RATE_LIMITS)
        self.rate_limits.update(rate_limits or {})
        self.channel_post_limit = RateLimit(channel_posts_per_second * 60, channel_burst)
        self.workspace_post_limit = RateLimit(posts_per_minute)
        self.rate_limited_count = 0
        self.calls: list[RecordedCall] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, dict[str, Any]]] = {}  # channel id -> ts -> message
        self.ephemeral: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}  # view id -> view, modals and home tabs
        self.home_views: dict[str, dict[str, Any]] = {}  # user id -> published home view
        self.files: dict[str, SandboxFile] = {}
        self._clock = clock
        self._dm_by_user: dict[str, str] = {}
        self._outside: set[str] = set()  # channels that exist but okrbot is not a member of
        self._users_by_email: dict[str, str] = {}
        self._triggers: dict[str, float] = {}  # trigger_id -> issued at; removed once used
        self._used_triggers: set[str] = set()
        self._faults: dict[str, deque[_Fault]] = {}
        self._flaky: dict[str, tuple[random.Random, float, float, tuple[int, int]]] = {}
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._ids = itertools.count(1)
        self._ts_base = int(time.time())
        self._ts_seq = itertools.count(1)
        self._root = ""
        self._extensions: list[Callable[[web.Application], None]] = []
        self._token_checks: dict[str, Callable[[str], None]] = {}
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
        }

    # -- server lifecycle --------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 = any free port) and return `url`."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/v1/{file_id}", self._handle_upload)
        for extend in self._extensions:
            extend(app)
        bound_port = await self._serve(app, host, port)
        shown_host = f"[{host}]" if ":" in host else host
        self._root = f"http://{shown_host}:{bound_port}/"
        return self.url

    def extend(
        self,
        setup: Callable[[web.Application], None],
        methods: Mapping[str, Callable[[dict[str, Any]], dict[str, Any]]],
        token_check: Callable[[str], None] | None = None,
    ) -> None:
        """Let another stand-in (Socket Mode's) share this server: `setup` adds its routes when
        the server starts; `methods` join the Web API, and take tokens `token_check` accepts
        (it raises SlackError) instead of the bot token."""
        if self.started:
            raise RuntimeError("SlackSandbox.extend() must come before start()")
        self._extensions.append(setup)
        self._handlers.update(methods)
        if token_check is not None:
            self._token_checks.update(dict.fromkeys(methods, token_check))

    @property
    def url(self) -> str:
        """The Web API base URL for slack_sdk's `base_url` (it must end with a slash)."""
        if not self._root:
            raise RuntimeError("SlackSandbox.start() has not been awaited")
        return f"{self._root}api/"

    # -- workspace set-up ----------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        email: str,
        tz: str = "UTC",
        real_name: str | None = None,
    ) -> dict[str, Any]:
        """Register a person; returns the user object users.info will answer with."""
        zone = ZoneInfo(tz)
        now = datetime.now(zone)
        offset = now.utcoffset()
        display = real_name or name
        user = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "real_name": display,
            "tz": tz,
            "tz_label": now.tzname() or tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "is_bot": False,
            "is_admin": False,
            "is_app_user": False,
            "profile": {
                "real_name": display,
                "real_name_normalized": display,
                "display_name": name,
                "display_name_normalized": name,
                "email": email,
                "team": self.team_id,
            },
        }
        self.users[user_id] = user
        self._users_by_email[email.lower()] = user_id
        return user

    def add_channel(self, channel_id: str, *, member: bool = True) -> None:
        """Make a channel exist, so posting to it does not answer channel_not_found; with
        `member=False` okrbot is not in it, and a post answers as Slack does then: not_in_channel
        in a public channel (C…) unless the token has chat:write.public, channel_not_found in a
        private one (G…), which the bot cannot even see."""
        self.channels.setdefault(channel_id, {})
        if member:
            self._outside.discard(channel_id)
        else:
            self._outside.add(channel_id)

    def invite_bot(self, channel_id: str) -> None:
        """Someone typed /invite @okrbot in the channel."""
        self._outside.discard(channel_id)

    def issue_trigger_id(self) -> str:
        """A fresh trigger_id, as Slack sends with an interaction; valid once, for 3 s."""
        trigger_id = f"{next(self._ids)}.{self._ts_base}.{secrets.token_hex(16)}"
        self._triggers[trigger_id] = self._clock()
        return trigger_id

    # -- fault injection ------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int | None = None,
        error: str | None = None,
        count: int = 1,
        retry_after: int | None = None,
        delay: float = 0.0,
        drop: bool = False,
        applied: bool = False,
    ) -> None:
        """Make the next `count` calls of `method` fail before they reach any state.

        `error="ratelimited"` answers HTTP 429 with `Retry-After: retry_after` (default 1);
        another `error` alone answers HTTP 200 `ok: false`; a bare `status` (default 500)
        answers that status with `error: fatal_error`. `method` "upload" targets the upload URL.

        `delay` waits that many real seconds before answering: with no `status` or `error` the
        call then succeeds (a slow Slack), otherwise it fails as above. `drop=True` closes the
        connection without answering (after `delay`), and the call changes nothing; with
        `applied=True` too the call takes effect first (Slack posted, the answer was lost).
        """
        if status is None and error is None and (delay > 0 or drop):
            fault = _Fault(None, "", None, count, delay=delay, drop=drop, applied=applied)
            self._faults.setdefault(method, deque()).append(fault)
            return
        if status is None:
            status = 429 if error == "ratelimited" else (200 if error else 500)
        if error is None:
            error = "ratelimited" if status == 429 else "fatal_error"
        if status == 429 and retry_after is None:
            retry_after = 1
        fault = _Fault(status, error, retry_after, remaining=count, delay=delay, drop=drop)
        self._faults.setdefault(method, deque()).append(fault)

    def flaky(
        self,
        method: str,
        *,
        seed: int,
        throttled: float = 0.10,
        failed: float = 0.01,
        retry_after: tuple[int, int] = (1, 5),
    ) -> None:
        """From now on answer a share of `method` calls with 429 (`Retry-After` drawn from
        `retry_after`) and another share with 500, at random but repeatably (`seed`): a
        platform having a bad day, for fan-out benchmarks. Queued `fail_next` faults go first."""
        self._flaky[method] = (random.Random(seed), throttled, failed, retry_after)

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return self._random_fault(method)
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.popleft()
        return fault

    def _random_fault(self, method: str) -> _Fault | None:
        if method not in self._flaky:
            return None
        rng, throttled, failed, (shortest, longest) = self._flaky[method]
        draw = rng.random()
        if draw < throttled:
            return _Fault(429, "ratelimited", rng.randint(shortest, longest), remaining=1)
        if draw < throttled + failed:
            return _Fault(500, "fatal_error", None, remaining=1)
        return None

    # -- inspection -----------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [call for call in self.calls if call.method == method]

    def dm_channel(self, user_id: str) -> str | None:
        return self._dm_by_user.get(user_id)

    def messages_in(self, channel: str) -> list[dict[str, Any]]:
        """Messages in a channel, oldest first; a user id means the bot's DM with that user."""
        channel = self._dm_by_user.get(channel, channel)
        return list(self.channels.get(channel, {}).values())

    def user_writes(
        self, user_id: str, text: str, thread_ts: str | None = None
    ) -> dict[str, Any] | None:
        """`user_id` types `text` in their DM with the bot (in the thread of `thread_ts`): the
        message joins the DM, and the `message` event Slack sends the app comes back, or None
        when Slack would send none (not subscribed to message.im, or without im:history)."""
        self._require_user(user_id)
        channel = self._open_dm(user_id)
        if thread_ts is not None and thread_ts not in self.channels[channel]:
            raise SlackError("thread_not_found")
        ts = self._next_ts()
        event: dict[str, Any] = {
            "client_msg_id": str(uuid.uuid4()),
            "type": "message",
            "text": text,
            "user": user_id,
            "ts": ts,
            "blocks": [
                {
                    "type": "rich_text",
                    "block_id": self._new_id("b"),
                    "elements": [
                        {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
                    ],
                }
            ],
            "team": self.team_id,
            "channel": channel,
            "event_ts": ts,
            "channel_type": "im",
        }
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
            event["parent_user_id"] = self.channels[channel][thread_ts].get("user")
        self.channels[channel][ts] = {k: v for k, v in event.items() if k != "channel_type"}
        needed = EVENT_SCOPES.get("message.im")
        if "message.im" not in self.events or (needed and needed not in self.scopes):
            return None
        return event

    def ephemeral_for(self, user_id: str) -> list[dict[str, Any]]:
        return [message for message in self.ephemeral if message["user"] == user_id]

    # -- rate limits ----------------------------------------------------------------------------

    def _rate_limit_wait(self, method: str, params: Mapping[str, Any]) -> float | None:
        """Take one token from each bucket the call needs, or return how long to wait."""
        needed: list[tuple[tuple[str, str], RateLimit]] = []
        if method == "chat.postMessage":
            channel = str(params.get("channel", ""))
            needed.append(((method, channel), self.channel_post_limit))
            needed.append(((method, "*workspace*"), self.workspace_post_limit))
        elif method in self.rate_limits:
            needed.append(((method, ""), self.rate_limits[method]))
        if not needed:
            return None
        now = self._clock()
        buckets: list[_Bucket] = []
        wait = 0.0
        for key, limit in needed:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(limit.capacity, now)
            else:
                elapsed = max(0.0, now - bucket.updated)
                bucket.tokens = min(limit.capacity, bucket.tokens + elapsed * limit.per_second)
                bucket.updated = now
            if bucket.tokens < 1:
                wait = max(wait, (1 - bucket.tokens) / limit.per_second)
            buckets.append(bucket)
        if wait > 0:
            return wait
        for bucket in buckets:
            bucket.tokens -= 1
        return None

    # -- HTTP -----------------------------------------------------------------------------------

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        """Merge query string and body: slack_sdk sends JSON, form data or query params."""
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise SlackError("invalid_json")
            params.update(body)
        elif request.content_type in _FORM_TYPES:
            form = await request.post()
            params.update({key: value for key, value in form.items() if isinstance(value, str)})
        return params

    def _authorize(self, request: web.Request, method: str, params: dict[str, Any]) -> None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header else params.pop("token", None)
        params.pop("token", None)
        if not token:
            raise SlackError("not_authed")
        if method in self._token_checks:
            self._token_checks[method](token)
            return
        if token.startswith("xapp-"):
            # An app-level token opens Socket Mode connections; it cannot act as the bot.
            raise SlackError("not_allowed_token_type")
        if token != self.token:
            raise SlackError("invalid_auth")

    def _require_scope(self, method: str, params: Mapping[str, Any]) -> None:
        if method == "conversations.history":
            channel = str(params.get("channel") or "")
            # A user id reads the bot's DM with them, as everywhere else in the sandbox.
            needed = HISTORY_SCOPES.get("D" if channel in self.users else channel[:1])
        else:
            needed = REQUIRED_SCOPES.get(method)
        if needed is not None and needed not in self.scopes:
            provided = ",".join(sorted(self.scopes))
            raise SlackError("missing_scope", needed=needed, provided=provided)

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        status, headers = 200, {}
        try:
            params = await self._read_params(request)
            self._authorize(request, method, params)
            self._require_scope(method, params)
            decode_error = self._decode_json_fields(params)
            fault = self._take_fault(method)
            if fault is not None and fault.delay > 0:
                await asyncio.sleep(fault.delay)
            if fault is not None and fault.drop and not fault.applied:
                return self._drop(request, method, params)
            if fault is not None and fault.status is not None:
                status = fault.status
                if fault.retry_after is not None:
                    headers["Retry-After"] = str(fault.retry_after)
                raise SlackError(fault.error)
            wait = self._rate_limit_wait(method, params) if self.enforce_rate_limits else None
            if wait is not None:
                status = 429
                headers["Retry-After"] = str(max(1, math.ceil(wait)))
                raise SlackError("ratelimited")
            handler = self._handlers.get(method)
            if handler is None:
                raise SlackError("unknown_method", req_method=method)
            if decode_error is not None:
                raise SlackError(decode_error)
            body = {"ok": True, **handler(params)}
            if fault is not None and fault.applied:
                return self._drop(request, method, params)
        except SlackError as failure:
            body = {"ok": False, "error": failure.error, **failure.extra}
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = {"ok": False, "error": "invalid_json"}
        if status == 429:
            self.rate_limited_count += 1
        self.calls.append(RecordedCall(method, params, self._clock(), status, body))
        return web.json_response(body, status=status, headers=headers)

    def _drop(self, request: web.Request, method: str, params: dict[str, Any]) -> web.Response:
        """Close the connection without an answer, as a crashed proxy or a network cut would."""
        self.calls.append(RecordedCall(method, params, self._clock(), 0, {}))
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=204)

    @staticmethod
    def _decode_json_fields(params: dict[str, Any]) -> str | None:
        """Form bodies carry blocks/view/files as JSON strings; decode them in place."""
        for key in _JSON_FIELDS:
            value = params.get(key)
            if isinstance(value, str):
                try:
                    params[key] = json.loads(value)
                except json.JSONDecodeError:
                    return "invalid_blocks_format" if key == "blocks" else "invalid_arguments"
        return None

    async def _handle_upload(self, request: web.Request) -> web.Response:
        """The upload URL from files.getUploadURLExternal: raw bytes or a multipart `file`."""
        file_id = request.match_info["file_id"]
        if request.content_type == "multipart/form-data":
            form = await request.post()
            part = form.get("file")
            content = part.file.read() if isinstance(part, web.FileField) else b""
        else:
            content = await request.read()
        params = {"file_id": file_id, "size": len(content)}
        fault = self._take_fault("upload")
        if fault is not None and fault.delay > 0:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.drop:
            return self._drop(request, "upload", params)
        sandbox_file = self.files.get(file_id)
        if fault is not None and fault.status is not None:
            status, text = fault.status, fault.error
        elif sandbox_file is None:
            status, text = 404, "file_not_found"
        else:
            sandbox_file.content = content
            status, text = 200, f"OK - {len(content)}"
        answer = {"ok": status == 200, "text": text}
        self.calls.append(RecordedCall("upload", params, self._clock(), status, answer))
        return web.Response(status=status, text=text, content_type="text/plain")

    # -- helpers for handlers -------------------------------------------------------------------

    def _next_ts(self) -> str:
        seq = next(self._ts_seq)
        return f"{self._ts_base + seq // 1_000_000}.{seq % 1_000_000:06d}"

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def _open_dm(self, user_id: str) -> str:
        channel = self._dm_by_user.get(user_id)
        if channel is None:
            channel = self._dm_by_user[user_id] = self._new_id("D")
            self.channels[channel] = {}
        return channel

    def _resolve_channel(self, channel: Any) -> str:
        """A channel id; a user id posts into the bot's DM with that user, as on Slack."""
        if isinstance(channel, str):
            if channel in self.channels:
                return channel
            if channel in self.users:
                return self._open_dm(channel)
        raise SlackError("channel_not_found")

    def _require_user(self, user_id: Any) -> dict[str, Any]:
        user = self.users.get(user_id) if isinstance(user_id, str) else None
        if user is None:
            raise SlackError("user_not_found")
        return user

    @staticmethod
    def _check_message_content(params: Mapping[str, Any], *, require: bool = True) -> None:
        text, blocks = params.get("text"), params.get("blocks")
        if require and not text and not blocks and not params.get("attachments"):
            raise SlackError("no_text")
        if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
            raise SlackError("msg_too_long")
        if blocks is not None:
            problems = blockkit_problems(blocks, "message")
            if problems:
                raise SlackError("invalid_blocks", **_problem_messages(problems))

    def _message(self, params: Mapping[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "text": params.get("text") or "",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "ts": ts,
        }
        for key in ("blocks", "attachments", "metadata", "thread_ts"):
            if params.get(key) is not None:
                message[key] = params[key]
        return message

    # -- methods --------------------------------------------------------------------------------

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://sandbox.slack.com/",
            "team": "okrbot sandbox",
            "user": "okrbot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        if channel in self._outside:
            if channel.startswith("G"):
                raise SlackError("channel_not_found")
            if "chat:write.public" not in self.scopes:
                raise SlackError("not_in_channel")
        self._check_message_content(params)
        ts = self._next_ts()
        message = self._message(params, ts)
        self.channels[channel][ts] = message
        return {"channel": channel, "ts": ts, "message": message}

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        limit = int(params.get("limit") or 100)
        with_metadata = _flag(params.get("include_all_metadata"))
        newest_first = sorted(self.channels[channel].values(), key=lambda m: float(m["ts"]))[::-1]
        messages = []
        for message in newest_first[:limit]:
            shown = dict(message)
            if not with_metadata:
                shown.pop("metadata", None)
            messages.append(shown)
        return {"messages": messages, "has_more": len(newest_first) > limit}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        stored = self.channels[channel].get(params.get("ts", ""))
        if stored is None:
            raise SlackError("message_not_found")
        self._check_message_content(params, require=False)
        # A new dict, so recorded earlier responses keep showing the message as it was then.
        message = dict(stored)
        # Slack keeps what the update leaves out (e.g. blocks when only text is sent).
        for key in ("text", "blocks", "attachments", "metadata"):
            if params.get(key) is not None:
                message[key] = params[key]
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        self.channels[channel][message["ts"]] = message
        return {
            "channel": channel,
            "ts": message["ts"],
            "text": message["text"],
            "message": message,
        }

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        user = self._require_user(params.get("user"))
        self._check_message_content(params)
        ts = self._next_ts()
        message = self._message(params, ts)
        self.ephemeral.append({**message, "channel": channel, "user": user["id"]})
        return {"message_ts": ts}

    def _checked_view(self, params: Mapping[str, Any], expected_type: str) -> dict[str, Any]:
        view = params.get("view")
        if not isinstance(view, dict):
            raise SlackError("invalid_arguments", response_metadata={"messages": ["missing view"]})
        if len(json.dumps(view, ensure_ascii=False).encode()) > MAX_VIEW_BYTES:
            raise SlackError("view_too_large")
        problems = view_problems(view)
        if view.get("type") != expected_type:
            problems.insert(0, f"/view/type: must be {expected_type}")
        if problems:
            # Slack reports view problems as invalid_arguments, not invalid_blocks.
            raise SlackError("invalid_arguments", **_problem_messages(problems))
        return view

    def _view_record(self, view: dict[str, Any], view_id: str) -> dict[str, Any]:
        record: dict[str, Any] = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{self._ts_base}.{secrets.token_hex(4)}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
        }
        for key in ("title", "submit", "close"):
            if key in view:
                record[key] = view[key]
        self.views[view_id] = record
        return record

    def _check_hash(self, params: Mapping[str, Any], current: dict[str, Any]) -> None:
        expected = params.get("hash")
        if expected and expected != current["hash"]:
            raise SlackError("hash_conflict")

    def _check_external_id(self, view: Mapping[str, Any], own_id: str | None) -> None:
        external_id = view.get("external_id")
        if external_id and any(
            other["external_id"] == external_id and other_id != own_id
            for other_id, other in self.views.items()
        ):
            raise SlackError("duplicate_external_id")

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        trigger_id = params.get("trigger_id")
        if trigger_id in self._used_triggers:
            raise SlackError("exchanged_trigger_id")
        issued = self._triggers.get(trigger_id) if isinstance(trigger_id, str) else None
        if issued is None:
            raise SlackError("invalid_trigger_id")
        if self._clock() - issued > TRIGGER_TTL_SECONDS:
            raise SlackError("expired_trigger_id")
        view = self._checked_view(params, "modal")
        self._check_external_id(view, None)
        del self._triggers[trigger_id]
        self._used_triggers.add(trigger_id)
        return {"view": self._view_record(view, self._new_id("V"))}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id = params.get("view_id")
        if not view_id and params.get("external_id"):
            view_id = next(
                (vid for vid, v in self.views.items() if v["external_id"] == params["external_id"]),
                None,
            )
        elif not view_id:
            raise SlackError("invalid_arguments")
        current = self.views.get(view_id) if isinstance(view_id, str) else None
        if current is None:
            raise SlackError("not_found")
        self._check_hash(params, current)
        view = self._checked_view(params, current["type"])
        self._check_external_id(view, current["id"])
        record = self._view_record(view, current["id"])
        for user_id, home in self.home_views.items():
            if home["id"] == record["id"]:
                self.home_views[user_id] = record
        return {"view": record}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._require_user(params.get("user_id"))
        current = self.home_views.get(user["id"])
        if current is not None:
            self._check_hash(params, current)
        view = self._checked_view(params, "home")
        view_id = current["id"] if current is not None else self._new_id("V")
        self._check_external_id(view, view_id)
        record = self._view_record(view, view_id)
        self.home_views[user["id"]] = record
        return {"view": record}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._require_user(params.get("user"))
        if "users:read.email" not in self.scopes:
            # Slack leaves the email out of the profile without this scope.
            profile = {k: v for k, v in user["profile"].items() if k != "email"}
            user = {**user, "profile": profile}
        return {"user": user}

    def _users_lookup_by_email(self, params: dict[str, Any]) -> dict[str, Any]:
        email = params.get("email")
        user_id = self._users_by_email.get(email.lower()) if isinstance(email, str) else None
        if user_id is None:
            raise SlackError("users_not_found")
        return {"user": self.users[user_id]}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        channel_id = params.get("channel")
        if isinstance(channel_id, str) and channel_id:
            if channel_id not in self.channels:
                raise SlackError("channel_not_found")
            return {"channel": {"id": channel_id}, "no_op": True, "already_open": True}
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if len(users) != 1:
            # okrbot only needs 1:1 DMs; group DMs are out of the sandbox's scope.
            raise SlackError("invalid_arguments" if not users else "not_supported")
        user = self._require_user(users[0])
        already_open = user["id"] in self._dm_by_user
        channel = self._open_dm(user["id"])
        answer: dict[str, Any] = {"channel": {"id": channel}}
        if _flag(params.get("return_im")):
            answer["channel"].update(
                {
                    "created": self._ts_base,
                    "is_im": True,
                    "is_org_shared": False,
                    "user": user["id"],
                    "is_open": True,
                    "last_read": "0000000000.000000",
                    "unread_count": 0,
                    "unread_count_display": 0,
                    "priority": 0,
                }
            )
        if already_open:
            answer.update({"no_op": True, "already_open": True})
        return answer

    def _files_get_upload_url_external(self, params: dict[str, Any]) -> dict[str, Any]:
        filename = params.get("filename")
        try:
            length = int(params.get("length", ""))
        except ValueError:
            length = -1
        if not filename or length < 0:
            raise SlackError("invalid_arguments")
        file_id = self._new_id("F")
        self.files[file_id] = SandboxFile(file_id, filename, filename, length)
        return {"upload_url": f"{self._root}upload/v1/{file_id}", "file_id": file_id}

    def _files_complete_upload_external(self, params: dict[str, Any]) -> dict[str, Any]:
        entries = params.get("files")
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments")
        uploaded: list[SandboxFile] = []
        for entry in entries:
            sandbox_file = self.files.get(entry.get("id")) if isinstance(entry, dict) else None
            if sandbox_file is None or sandbox_file.content is None:
                raise SlackError("file_not_found")
            sandbox_file.title = entry.get("title") or sandbox_file.title
            uploaded.append(sandbox_file)
        targets = [params["channel_id"]] if params.get("channel_id") else []
        targets += [c for c in str(params.get("channels") or "").split(",") if c]
        channels = [self._resolve_channel(target) for target in targets]
        described = [
            {"id": f.id, "name": f.name, "title": f.title, "size": len(f.content or b"")}
            for f in uploaded
        ]
        for channel in channels:
            ts = self._next_ts()
            message = self._message(
                {"text": params.get("initial_comment"), "thread_ts": params.get("thread_ts")}, ts
            )
            message.update({"subtype": "file_share", "files": described})
            self.channels[channel][ts] = message
            for sandbox_file in uploaded:
                sandbox_file.channels.append(channel)
        return {"files": [{**d, "channels": channels} for d in described]}
