"""`POST /slack/events`: one URL for events, interactivity and slash commands (Bolt's convention).

The signature is checked here, on the raw body, before Bolt parses anything: a request that is
not from Slack gets 401 and never reaches a parser or a listener.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024


class SlackEndpoint:
    def __init__(self, app: AsyncApp, signing_secret: str) -> None:
        self.app = app
        self.verifier = SignatureVerifier(signing_secret)

    async def handle(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return web.json_response({"error": "request too large"}, status=413)
        body = await request.read()
        if len(body) > MAX_BODY_BYTES:
            return web.json_response({"error": "request too large"}, status=413)
        if not self._signed_by_slack(request, body):
            log.warning("rejected a Slack request with a bad or stale signature")
            return web.json_response({"error": "invalid signature"}, status=401)
        problem = malformed(body, request.content_type)
        if problem is not None:
            log.info("rejected a signed Slack request that is not shaped like Slack's: %s", problem)
            return web.json_response({"error": problem}, status=400)
        response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    def _signed_by_slack(self, request: web.Request, body: bytes) -> bool:
        try:
            # Slack only ever sends UTF-8; anything else cannot carry a valid signature.
            body.decode("utf-8")
        except UnicodeDecodeError:
            return False
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        # slack_sdk's verifier raises (a 500) on a timestamp that is not a number.
        if not (timestamp.isascii() and timestamp.isdigit()):
            return False
        return self.verifier.is_valid(
            body=body,
            timestamp=timestamp,
            signature=request.headers.get("X-Slack-Signature", ""),
        )


# Fields that are objects whenever Slack sends them; Bolt and the listeners rely on it.
_OBJECT_FIELDS = ("user", "team", "view", "container", "channel", "message", "event", "enterprise")


def malformed(body: bytes, content_type: str) -> str | None:
    """Why a (signed) body cannot be from Slack, if it cannot; Bolt answers 500 to such shapes.

    Only shapes are checked here (a JSON object where Slack always sends one); the listeners
    judge the values.
    """
    data: Any
    if content_type == "application/json" or body.startswith(b"{"):  # as Bolt decides
        try:
            data = json.loads(body)
        except ValueError:
            return "the body is not JSON"
    else:
        payload = parse_qs(body.decode("utf-8"), keep_blank_values=True).get("payload")
        if not payload:
            return None  # a slash command: flat form fields only
        try:
            data = json.loads(payload[0])
        except ValueError:
            return "the payload is not JSON"
    if not isinstance(data, dict):
        return "the payload is not a JSON object"
    for field in _OBJECT_FIELDS:
        if field in data and not isinstance(data[field], dict):
            return f"{field} is not an object"
    event = data.get("event", {})
    for field in ("type", "user", "channel"):
        if field in event and not isinstance(event[field], str | dict):
            return f"event.{field} is neither a string nor an object"
    actions = data.get("actions", [])
    if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
        return "actions is not a list of objects"
    if data.get("type") == "block_actions":
        # Bolt reads every action's action_id while matching listeners, before any listener runs.
        if not actions:
            return "block_actions without actions"
        if not all(isinstance(a.get("action_id"), str) for a in actions):
            return "an action without an action_id"
    if data.get("type") in ("view_submission", "view_closed"):
        view = data.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("callback_id"), str):
            return "a view without a callback_id"
    return None
