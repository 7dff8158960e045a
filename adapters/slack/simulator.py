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

import aiohttp

from okrbot.adapters.slack.sandbox import SlackSandbox


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackSimulator:
    def __init__(
        self,
        url: str,
        signing_secret: str,
        sandbox: SlackSandbox,
        team_id: str = "T0SANDBOX",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self.signing_secret = signing_secret
        self.sandbox = sandbox
        self.team_id = team_id
        self.clock = clock
        self._session: aiohttp.ClientSession | None = None
        self._event_ids = 0

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: str | None = None,
        signature: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        stamp = timestamp if timestamp is not None else str(int(self.clock()))
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature or sign(self.signing_secret, stamp, body),
            **(headers or {}),
        }
        async with self._session.post(self.url, data=body, headers=all_headers) as response:
            return Reply(response.status, await response.text())

    async def command(
        self, user_id: str, command: str, text: str = "", channel: str = "C0GENERAL"
    ) -> Reply:
        form = {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "team_domain": "sandbox",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": self.sandbox.app_id,
            "response_url": f"https://hooks.slack.invalid/commands/{self.team_id}/1/x",
            "trigger_id": self.sandbox.issue_trigger_id(),
        }
        return await self.post(urlencode(form).encode(), "application/x-www-form-urlencoded")

    async def interaction(self, payload: dict[str, Any], **kwargs: Any) -> Reply:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, "application/x-www-form-urlencoded", **kwargs)

    def _user(self, user_id: str) -> dict[str, Any]:
        return {
            "id": user_id,
            "username": user_id.lower(),
            "name": user_id.lower(),
            "team_id": self.team_id,
        }

    async def click(
        self, user_id: str, message: Mapping[str, Any], action_id: str, channel: str
    ) -> Reply:
        """Click the button `action_id` in a message the bot posted (as the sandbox stored it)."""
        for block in message.get("blocks") or []:
            for element in block.get("elements") or []:
                if element.get("action_id") == action_id:
                    return await self.interaction(
                        {
                            "type": "block_actions",
                            "user": self._user(user_id),
                            "api_app_id": self.sandbox.app_id,
                            "token": "legacy-verification-token",
                            "container": {
                                "type": "message",
                                "message_ts": message["ts"],
                                "channel_id": channel,
                                "is_ephemeral": False,
                            },
                            "trigger_id": self.sandbox.issue_trigger_id(),
                            "team": {"id": self.team_id, "domain": "sandbox"},
                            "channel": {"id": channel, "name": "directmessage"},
                            "message": dict(message),
                            "actions": [
                                {
                                    "action_id": action_id,
                                    "block_id": block.get("block_id", "b"),
                                    "text": element.get("text"),
                                    "value": element.get("value", ""),
                                    "type": "button",
                                    "action_ts": f"{self.clock():.6f}",
                                }
                            ],
                        }
                    )
        raise LookupError(f"no button {action_id!r} in that message")

    async def submit(
        self,
        user_id: str,
        view: Mapping[str, Any],
        answers: Mapping[str, Any],
        view_id: str = "V0SIM",
    ) -> Reply:
        """Submit a modal the bot opened. `answers` maps block ids to what the person entered:
        a string for text and numbers, ("option", value) for selects, a list for users-selects.
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
            elif kind == "multi_users_select":
                state = {"type": kind, "selected_users": list(answer or [])}
            elif kind == "users_select":
                state = {"type": kind, "selected_user": answer}
            else:
                state = {"type": kind, "value": None if answer is None else str(answer)}
            values[block_id] = {action_id: state}
        payload = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": "sandbox"},
            "user": self._user(user_id),
            "api_app_id": self.sandbox.app_id,
            "token": "legacy-verification-token",
            "trigger_id": self.sandbox.issue_trigger_id(),
            "view": {
                **dict(view),
                "id": view_id,
                "team_id": self.team_id,
                "state": {"values": values},
                "hash": "1.abc",
                "app_id": self.sandbox.app_id,
                "bot_id": self.sandbox.bot_id,
            },
            "response_urls": [],
        }
        return await self.interaction(payload)

    async def event(
        self, event: dict[str, Any], event_id: str | None = None, retry: int | None = None
    ) -> Reply:
        self._event_ids += 1
        body = {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "api_app_id": self.sandbox.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{self._event_ids:08d}",
            "event_time": int(self.clock()),
            "authorizations": [
                {"team_id": self.team_id, "user_id": self.sandbox.bot_user_id, "is_bot": True}
            ],
        }
        headers = (
            {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            if retry
            else None
        )
        return await self.post(json.dumps(body).encode(), "application/json", headers=headers)

    async def open_home(self, user_id: str, **kwargs: Any) -> Reply:
        event = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.sandbox.dm_channel(user_id) or "D0HOME",
            "tab": "home",
            "event_ts": f"{self.clock():.6f}",
        }
        return await self.event(event, **kwargs)


def _initial(element: Mapping[str, Any]) -> Any:
    if "initial_option" in element:
        return element["initial_option"]["value"]
    if "initial_value" in element:
        return element["initial_value"]
    if "initial_users" in element:
        return element["initial_users"]
    return None
