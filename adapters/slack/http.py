"""`POST /slack/events`: one URL for events, interactivity and slash commands (Bolt's convention).

The signature is checked here, on the raw body, before Bolt parses anything: a request that is
not from Slack gets 401 and never reaches a parser or a listener. A signed body is then Bolt's
to parse, with no list of shapes of okrbot's own in front of it (such a list refused what real
workspaces send, `"enterprise": null`, and still let odd bodies through to a 500): what Bolt
cannot read gets 400, here or in the app's error handler (`shapes`).

A signed request is good for five minutes, so whoever holds one (a proxy retrying it, someone
who captured it) could send it again. Each signature is acted on once: a replay is acknowledged
and ignored. View submissions and events carry their own keys (the view with its state, the
event id), checked by the app after its answer, so they are left to those.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from okrbot.adapters.slack.shapes import BODY_SHAPE_ERRORS, NOT_SLACKS, read_as_bolt_does

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
# Payload types whose listeners key themselves (adapters/slack/app.py): a view submission by
# its view, hash and state after the modal has its answer, an event by its id.
OWN_KEYS = ("view_submission", "event_callback")

FirstTime = Callable[[str], Awaitable[bool]]


class SlackEndpoint:
    def __init__(
        self, app: AsyncApp, signing_secret: str, first_time: FirstTime | None = None
    ) -> None:
        self.app = app
        self.verifier = SignatureVerifier(signing_secret)
        # Records a key and says whether it is new; None turns replay protection off.
        self.first_time = first_time

    async def handle(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return web.json_response({"error": "request too large"}, status=413)
        body = await request.read()
        if len(body) > MAX_BODY_BYTES:
            return web.json_response({"error": "request too large"}, status=413)
        if not self._signed_by_slack(request, body):
            log.warning("rejected a Slack request with a bad or stale signature")
            return web.json_response({"error": "invalid signature"}, status=401)
        try:
            bolt_request = await to_bolt_request(request)
            read_as_bolt_does(bolt_request)
        except BODY_SHAPE_ERRORS as error:
            # Bolt parses the body and reads its ids before any listener runs; what it cannot
            # read (a list where Slack sends an object, JSON that is not JSON) is not Slack's.
            log.info("rejected a signed Slack request Bolt cannot parse: %r", error)
            return web.json_response({"error": NOT_SLACKS}, status=400)
        if await self._replayed(request, bolt_request.body):
            log.info("ignoring a replayed Slack request")
            return web.Response(status=200)
        response = await self.app.async_dispatch(bolt_request)
        return await to_aiohttp_response(response)

    async def _replayed(self, request: web.Request, body: object) -> bool:
        if self.first_time is None or (isinstance(body, dict) and body.get("type") in OWN_KEYS):
            return False
        signature = request.headers.get("X-Slack-Signature", "")
        return not await self.first_time(f"slack:signature:{signature}")

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
