"""Plays Slack's side of a conversation: signed requests, shaped like Slack's, to the bot's URL.

Used by the end-to-end tests and by `okrbot demo`, which drive the real Bolt app over loopback
HTTP exactly as Slack would: slash commands form-encoded, interactions as `payload=<json>`,
events as JSON, every one signed with the signing secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from okrbot.adapters.simulator_http import Reply, SimulatorClient
from okrbot.adapters.slack.sandbox import SlackSandbox


@dataclass(frozen=True, slots=True)
class Grid:
    """An Enterprise Grid organisation the app is installed on org-wide.

    Slack then names the organisation in every request (`enterprise`, `enterprise_id`), says
    `is_enterprise_install: true`, and in interactive payloads sends `"team": null`: the
    workspace is only in `user.team_id` (and a modal's `view.team_id`).
    """

    id: str = "E0SANDBOX"
    name: str = "Sandbox Org"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackSimulator(SimulatorClient[SlackSandbox]):
    """Sends what Slack sends, every documented field included, nulls too.

    Outside Enterprise Grid (`grid=None`) interactive payloads carry `"enterprise": null` and
    `"is_enterprise_install": false`; with a `Grid` they carry the organisation instead (see
    `Grid`). Shapes follow Slack's payload references and captured requests (tests/data/
    slack_payloads has the fixtures and where each shape comes from).
    """

    def __init__(
        self,
        url: str,
        signing_secret: str,
        sandbox: SlackSandbox,
        team_id: str = "T0SANDBOX",
        clock: Callable[[], float] = time.time,
        grid: Grid | None = None,
    ) -> None:
        super().__init__(url, sandbox)
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.clock = clock
        self.grid = grid
        self._event_ids = 0
        self._hashes: dict[str, str] = {}
        self._view_ids = 0
        self._last: tuple[bytes, dict[str, str]] | None = None

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: str | None = None,
        signature: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        stamp = timestamp if timestamp is not None else str(int(self.clock()))
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature or sign(self.signing_secret, stamp, body),
            **(headers or {}),
        }
        self._last = (body, all_headers)
        return await self._send(body, all_headers)

    async def replay(self) -> Reply:
        """Send the last request again byte for byte, timestamp and signature included: what a
        retrying proxy, or someone who captured it, sends within its five minutes."""
        if self._last is None:
            raise LookupError("nothing was sent yet")
        return await self._send(*self._last)

    async def _send(self, body: bytes, headers: Mapping[str, str]) -> Reply:
        return await self._post(body, headers)

    # -- what every request says about where it comes from ------------------------------------

    def _enterprise(self) -> dict[str, str] | None:
        return None if self.grid is None else {"id": self.grid.id, "name": self.grid.name}

    def _team(self) -> dict[str, str] | None:
        return None if self.grid is not None else {"id": self.team_id, "domain": "sandbox"}

    def _origin(self) -> dict[str, Any]:
        """The fields of an interactive payload that say which workspace and org it is from."""
        return {
            "team": self._team(),
            "enterprise": self._enterprise(),
            "is_enterprise_install": self.grid is not None,
        }

    def _interactive(self, kind: str, user_id: str) -> dict[str, Any]:
        """What every interactive payload starts with: its type, who, which app, from where."""
        return {
            "type": kind,
            "user": self._user(user_id),
            "api_app_id": self.sandbox.app_id,
            "token": "legacy-verification-token",
            **self._origin(),
        }

    def _user(self, user_id: str) -> dict[str, Any]:
        return {
            "id": user_id,
            "username": user_id.lower(),
            "name": user_id.lower(),
            "team_id": self.team_id,
        }

    # -- slash commands -------------------------------------------------------------------------

    async def command(
        self, user_id: str, command: str, text: str = "", channel: str = "C0GENERAL"
    ) -> Reply:
        form = {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "team_domain": "sandbox",
            "channel_id": channel,
            "channel_name": "directmessage" if channel.startswith("D") else "general",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": self.sandbox.app_id,
            "is_enterprise_install": "true" if self.grid is not None else "false",
            "response_url": f"https://hooks.slack.invalid/commands/{self.team_id}/1/x",
            "trigger_id": self.sandbox.issue_trigger_id(),
        }
        if self.grid is not None:
            form.update({"enterprise_id": self.grid.id, "enterprise_name": self.grid.name})
        return await self.deliver("slash_commands", form)

    async def deliver(
        self, kind: str, payload: dict[str, Any], *, retry: int | None = None, **http: Any
    ) -> Reply:
        """Hand one payload to the bot as Slack's HTTP delivery does: a slash command
        (`kind` "slash_commands", as Socket Mode names the envelopes) form-encoded, an
        interaction ("interactive") as `payload=<json>`, an event ("events_api") as JSON, a
        retried one with Slack's retry headers. `http` goes to `post` (timestamp, signature)."""
        form = "application/x-www-form-urlencoded"
        if kind == "slash_commands":
            return await self.post(urlencode(payload).encode(), form, **http)
        if kind == "interactive":
            return await self.post(
                urlencode({"payload": json.dumps(payload)}).encode(), form, **http
            )
        if retry:
            http["headers"] = {
                "X-Slack-Retry-Num": str(retry),
                "X-Slack-Retry-Reason": "http_timeout",
            }
        return await self.post(json.dumps(payload).encode(), "application/json", **http)

    # -- interactivity --------------------------------------------------------------------------

    async def interaction(self, payload: dict[str, Any], **kwargs: Any) -> Reply:
        return await self.deliver("interactive", payload, **kwargs)

    def _action(self, block: Mapping[str, Any], element: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "action_id": element["action_id"],
            # Slack gives every block a block_id; a message stored without one gets a made-up id.
            "block_id": block.get("block_id", "b0"),
            "text": element.get("text"),
            "value": element.get("value", ""),
            "type": element.get("type", "button"),
            "action_ts": f"{self.clock():.6f}",
        }

    async def click(
        self, user_id: str, message: Mapping[str, Any], action_id: str, channel: str
    ) -> Reply:
        """Click the button `action_id` in a message the bot posted (as the sandbox stored it)."""
        block, element = _button(message, action_id)
        payload = {
            **self._interactive("block_actions", user_id),
            "container": {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "trigger_id": self.sandbox.issue_trigger_id(),
            "channel": {"id": channel, "name": "directmessage"},
            "message": dict(message),
            "state": {"values": {}},
            "response_url": f"https://hooks.slack.invalid/actions/{self.team_id}/1/x",
            "actions": [self._action(block, element)],
        }
        return await self.interaction(payload)

    async def click_in_view(self, user_id: str, view: Mapping[str, Any], action_id: str) -> Reply:
        """Click a button in a modal or on App Home (`view` as the sandbox stored it, with its id).

        Slack then sends the whole view and no channel, message or response_url.
        """
        block, element = _button(view, action_id)
        payload = {
            **self._interactive("block_actions", user_id),
            "container": {"type": "view", "view_id": view["id"]},
            "trigger_id": self.sandbox.issue_trigger_id(),
            "view": self._view(view, view["id"], {}),
            "state": {"values": {}},
            "actions": [self._action(block, element)],
        }
        return await self.interaction(payload)

    def _view(
        self, view: Mapping[str, Any], view_id: str, values: dict[str, Any]
    ) -> dict[str, Any]:
        """A view as Slack describes it in payloads: every field, whatever okrbot sent."""
        described: dict[str, Any] = {
            "id": view_id,
            "team_id": self.team_id,
            "type": "modal",
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "state": {"values": values},
            "hash": view.get("hash") or self._hash(view, view_id),
            "title": None,
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": None,
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": self.sandbox.app_id,
            "external_id": "",
            "app_installed_team_id": self.team_id,
            "bot_id": self.sandbox.bot_id,
        }
        for key in _VIEW_CONTENT:
            if key in view:
                described[key] = view[key]
        return described

    def _new_view_id(self) -> str:
        self._view_ids += 1
        return f"V0SIM{self._view_ids:06d}"

    def _hash(self, view: Mapping[str, Any], view_id: str) -> str:
        """Slack's hash of a view version: the same until the view is updated, then new."""
        content = {key: view[key] for key in _VIEW_CONTENT if key in view}
        version = json.dumps([view_id, content], sort_keys=True, default=str)
        digest = hashlib.sha256(version.encode()).hexdigest()
        return self._hashes.setdefault(digest, f"{int(self.clock())}.{digest[:8]}")

    async def submit(
        self,
        user_id: str,
        view: Mapping[str, Any],
        answers: Mapping[str, Any],
        view_id: str | None = None,
    ) -> Reply:
        """Submit a modal the bot opened. `answers` maps block ids to what the person entered:
        a string for text and numbers, ("option", value) for selects, a list for users-selects
        and for checkboxes (the values ticked),
        a channel id for a conversations select ("" clears it).
        A view as the sandbox stored it carries its id and hash, and submitting it twice is
        what a double click sends; a view without an id is taken for a new one each time.
        """
        values: dict[str, dict[str, Any]] = {}
        for block in view.get("blocks") or []:
            if block.get("type") != "input":
                continue
            element = block["element"]
            block_id = block["block_id"]
            action_id = element.get("action_id", "input")
            kind = element["type"]
            answer = answers.get(block_id, _initial(element))
            if kind in ("static_select", "radio_buttons"):
                option = next((o for o in element.get("options", []) if o["value"] == answer), None)
                state: dict[str, Any] = {"type": kind, "selected_option": option}
            elif kind == "checkboxes":
                ticked = [o for o in element.get("options", []) if o["value"] in (answer or [])]
                state = {"type": kind, "selected_options": ticked}
            elif kind == "multi_users_select":
                state = {"type": kind, "selected_users": list(answer or [])}
            elif kind == "users_select":
                state = {"type": kind, "selected_user": answer}
            elif kind == "conversations_select":
                state = {"type": kind, "selected_conversation": answer or None}
            else:
                state = {"type": kind, "value": None if answer is None else str(answer)}
            values[block_id] = {action_id: state}
        payload = {
            **self._interactive("view_submission", user_id),
            "trigger_id": self.sandbox.issue_trigger_id(),
            "view": self._view(view, view.get("id") or view_id or self._new_view_id(), values),
            "response_urls": [],
        }
        return await self.interaction(payload)

    async def close_view(self, user_id: str, view: Mapping[str, Any]) -> Reply:
        """Cancel a modal; Slack sends view_closed only for views with notify_on_close."""
        payload = {
            **self._interactive("view_closed", user_id),
            "view": self._view(view, view.get("id") or "V0SIM", {}),
            "is_cleared": False,
        }
        return await self.interaction(payload)

    # -- events ---------------------------------------------------------------------------------

    async def event(
        self, event: dict[str, Any], event_id: str | None = None, retry: int | None = None
    ) -> Reply:
        self._event_ids += 1
        enterprise_id = self.grid.id if self.grid is not None else None
        body = {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "enterprise_id": enterprise_id,
            "context_team_id": self.team_id,
            "context_enterprise_id": enterprise_id,
            "api_app_id": self.sandbox.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{self._event_ids:08d}",
            "event_time": int(self.clock()),
            "authorizations": [
                {
                    "enterprise_id": enterprise_id,
                    # An org-wide install is authorised for the org, not one workspace.
                    "team_id": None if self.grid is not None else self.team_id,
                    "user_id": self.sandbox.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": self.grid is not None,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-eyJldCI6ImFwcF9ob21lX29wZW5lZCIsInRpZCI6Ij{self._event_ids:04d}",
        }
        if self.grid is None:
            del body["enterprise_id"]
        return await self.deliver("events_api", body, retry=retry)

    async def write(
        self, user_id: str, text: str, thread_ts: str | None = None, retry: int | None = None
    ) -> Reply | None:
        """`user_id` writes in their DM with the bot; the event Slack sends for it (None when
        the app's manifest does not get it: no message.im subscription, or no im:history)."""
        event = self.sandbox.user_writes(user_id, text, thread_ts)
        if event is None:
            return None
        return await self.event(event, retry=retry)

    async def open_home(self, user_id: str, tab: str = "home", **kwargs: Any) -> Reply:
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.sandbox.dm_channel(user_id) or "D0HOME",
            "tab": tab,
            "event_ts": f"{self.clock():.6f}",
        }
        published = self.sandbox.home_views.get(user_id)
        if tab == "home" and published is not None:
            event["view"] = self._view(published, published["id"], {})
        return await self.event(event, **kwargs)


# What okrbot chose for a view; Slack describes the rest (ids, hash, state) itself.
_VIEW_CONTENT = (
    "type",
    "blocks",
    "private_metadata",
    "callback_id",
    "title",
    "close",
    "submit",
    "external_id",
    "clear_on_close",
    "notify_on_close",
)


def _button(
    surface: Mapping[str, Any], action_id: str
) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """The block and element of the button `action_id` in a message or view."""
    for block in surface.get("blocks") or []:
        elements = list(block.get("elements") or [])
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        for element in elements:
            if element.get("action_id") == action_id:
                return block, element
    raise LookupError(f"no button {action_id!r} there")


def _initial(element: Mapping[str, Any]) -> Any:
    if "initial_option" in element:
        return element["initial_option"]["value"]
    if "initial_value" in element:
        return element["initial_value"]
    if "initial_users" in element:
        return element["initial_users"]
    if "initial_conversation" in element:
        return element["initial_conversation"]
    return None
