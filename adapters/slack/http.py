"""`POST /slack/events`: one URL for events, interactivity and slash commands (Bolt's convention).

The signature is checked here, on the raw body, before Bolt parses anything: a request that is
not from Slack gets 401 and never reaches a parser or a listener.
"""

from __future__ import annotations

import logging

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
