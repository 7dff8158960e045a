"""`POST /api/messages`: where Teams (through the Bot Framework) delivers activities to okrbot.

botbuilder verifies the bearer token (signature, issuer, audience, service URL), but it fetches
Microsoft's signing keys before it looks at anything else and answers a token that is not even
a JWT with an exception, i.e. a 500. So a cheap local check comes first: no header, a header
that is not `Bearer <JWT>`, a token for another app, or an expired one get 401 here, with no call
to Microsoft. Bodies that are not a JSON Activity get 400. Neither reaches the bot.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import jwt
from aiohttp import web
from botbuilder.core import Bot, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from msrest.exceptions import DeserializationError

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
CLOCK_SKEW_SECONDS = 300


def _unauthorized(reason: str) -> web.Response:
    log.warning("rejected a Teams request: %s", reason)
    return web.json_response({"error": "unauthorized"}, status=401)


def _bad_request(reason: str) -> web.Response:
    log.info("rejected a malformed Teams request: %s", reason)
    return web.json_response({"error": reason}, status=400)


def token_problem(
    header: str, app_id: str, now: float | None = None, issuer: str | None = None
) -> str | None:
    """Why this Authorization header cannot be a Bot Connector token for `app_id`, if it can't.

    Only what can be judged without Microsoft's keys; the signature is botbuilder's to check.
    With `issuer`, a token someone else issued is refused here: botbuilder would otherwise
    judge Emulator-issued tokens with keys it fetches with blocking calls on the event loop,
    and Teams' requests always come from the Bot Connector.
    """
    scheme, _, token = header.partition(" ")
    if scheme != "Bearer" or not token.strip():
        return "no bearer token"
    try:
        headers = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return "the bearer token is not a JWT"
    if headers.get("alg") != "RS256" or not headers.get("kid"):
        return "the token is not signed the way Bot Framework tokens are"
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if app_id not in audiences:
        return "the token is for another app"
    if issuer is not None and claims.get("iss") != issuer:
        return "the token is not from the Bot Connector"
    moment = time.time() if now is None else now
    expires = claims.get("exp")
    if not isinstance(expires, int | float) or expires < moment - CLOCK_SKEW_SECONDS:
        return "the token has expired"
    not_before = claims.get("nbf")
    if isinstance(not_before, int | float) and not_before > moment + CLOCK_SKEW_SECONDS:
        return "the token is not valid yet"
    return None


def _printable_ascii(value: object) -> bool:
    return isinstance(value, str) and value.isascii() and value.isprintable()


def parse_activity(body: bytes) -> Activity | str:
    """The Activity in a request body, or why there is none."""
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return "the body is not JSON"
    if not isinstance(data, dict):
        return "the body is not an Activity"
    try:
        activity = Activity().deserialize(data)
    except (DeserializationError, ValueError, TypeError, AttributeError):
        return "the body is not an Activity"
    if not isinstance(activity.type, str) or not activity.type:
        return "the Activity has no type"
    if not isinstance(activity.service_url, str) or not activity.service_url.startswith("http"):
        return "the Activity has no serviceUrl"
    if activity.conversation is None or not activity.conversation.id:
        return "the Activity has no conversation"
    if not _printable_ascii(activity.conversation.id):
        # Replies carry it in a header (x-ms-conversation-id), where control characters and
        # non-ASCII break the request; Teams' ids are plain ASCII.
        return "the Activity's conversation id is not one Teams sends"
    if activity.from_property is None or not activity.from_property.id:
        return "the Activity has no sender"
    # botbuilder reads these lists item by item (entity.type.lower(), member.id) unguarded.
    for items in (activity.entities, activity.members_added, activity.members_removed):
        if items is not None and any(item is None for item in items):
            return "the Activity has an empty entity or member"
    if any(not isinstance(entity.type, str) for entity in activity.entities or []):
        return "the Activity has an entity without a type"
    if activity.channel_data is not None and not isinstance(activity.channel_data, dict):
        # Teams always sends an object; botbuilder's Teams handlers call .get() on it unguarded.
        return "the Activity's channelData is not an object"
    return activity


class TeamsEndpoint:
    def __init__(
        self, adapter: CloudAdapter, bot: Bot, app_id: str, issuer: str | None = None
    ) -> None:
        self.adapter = adapter
        self.bot = bot
        self.app_id = app_id
        self.issuer = issuer

    async def handle(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return web.json_response({"error": "request too large"}, status=413)
        header = request.headers.get("Authorization", "")
        if self.app_id:
            problem = token_problem(header, self.app_id, issuer=self.issuer)
            if problem is not None:
                return _unauthorized(problem)
        body = await request.read()
        if len(body) > MAX_BODY_BYTES:
            return web.json_response({"error": "request too large"}, status=413)
        activity = parse_activity(body)
        if isinstance(activity, str):
            return _bad_request(activity)
        try:
            auth = await self.adapter.bot_framework_authentication.authenticate_request(
                activity, header
            )
        except PermissionError as error:  # botbuilder's "Unauthorized"; an OSError, so first
            return _unauthorized(str(error) or "botbuilder refused the token")
        except OSError as error:  # requests' errors: Microsoft's signing keys are out of reach
            log.error("could not check a Teams token: %s", error)
            return web.json_response({"error": "could not check the token"}, status=503)
        except Exception as error:
            # botbuilder's verdicts on a forged token are not only PermissionError and jwt's
            # errors: a key id Microsoft never published is an IndexError, a failed endorsement
            # check a bare Exception. Whatever it is, the request is not authenticated.
            return _unauthorized(f"botbuilder refused the token: {error!r}")
        invoke = await self.adapter.process_activity(auth, activity, self.bot.on_turn)
        if invoke is None:
            return web.Response(status=200)
        status = int(invoke.status or 200)
        try:
            data = serializer_helper(invoke.body)
        except ValueError as error:
            # botbuilder's own answer to a malformed invoke (e.g. adaptiveCard/action) is a 400
            # whose body holds an Exception, which it cannot serialize: keep the status.
            log.info("could not serialize the answer to a Teams invoke: %s", error)
            if status < 400:
                raise
            return web.json_response({"error": "the invoke is malformed"}, status=status)
        return web.json_response(data=data, status=status)
