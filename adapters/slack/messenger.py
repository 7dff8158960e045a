"""Sending to people on Slack: identity, DM channels, posting and updating messages.

Slack user ids are resolved once (by email) and DM channel ids are cached on the person, so a
weekly fan-out costs one chat.postMessage per person, not a users.lookupByEmail and a
conversations.open as well.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from okrbot.adapters.slack.render import message_kwargs
from okrbot.bot.delivery import (
    FIRST_TRY,
    PermanentDeliveryError,
    Progress,
    Throttled,
    TransientDeliveryError,
    Unreachable,
)
from okrbot.bot.domain import Person
from okrbot.bot.messages import Context, Message
from okrbot.bot.messenger import Target
from okrbot.scheduler.ratelimit import PostThrottle
from okrbot.storage.checkin_messages import remember_summary
from okrbot.storage.checkins import get_week
from okrbot.storage.db import Database
from okrbot.storage.people import (
    get_person,
    get_person_by_email,
    get_person_by_slack_id,
    link_slack_user,
    remember_slack_dm_channel,
)
from okrbot.storage.recent_people import RecentPeople

# Errors after which retrying the same send can never succeed.
PERMANENT_ERRORS = {
    "account_inactive",
    "cannot_dm_bot",
    "channel_not_found",
    "invalid_blocks",
    "is_archived",
    "msg_too_long",
    "no_text",
    "user_disabled",
    "user_not_found",
    "users_not_found",
    "not_authed",
    "invalid_auth",
}
log = logging.getLogger(__name__)

# Slack answers these when the bot may not post in a channel; retrying cannot help.
NOT_ALLOWED_HERE = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}
DELIVERY_EVENT = "okrbot_delivery"
RECENT_MESSAGES = 20
UNREACHABLE_ERRORS = {"account_inactive", "user_disabled", "user_not_found", "users_not_found"}


def web_client(
    token: str | None,
    base_url: str,
    retries: int = 2,
    backoff: float = 0.5,
    session: aiohttp.ClientSession | None = None,
) -> AsyncWebClient:
    """A Web API client that rides out short rate limits and server hiccups by itself.

    Longer outages are the outbox's business: it retries the whole delivery later. Without a
    `session`, slack_sdk opens a new one, and so a new connection (a TLS handshake with Slack),
    for every call: pass the process's one session so that calls reuse its connections.
    """
    if not base_url.endswith("/"):
        base_url += "/"
    intervals = BackoffRetryIntervalCalculator(backoff_factor=backoff)
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=15,
        session=session,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(retries, intervals),
            AsyncRateLimitErrorRetryHandler(retries),
            AsyncServerErrorRetryHandler(retries, intervals),
        ],
    )


def without_connection_retries(
    client: AsyncWebClient, *, rate_limits: bool = True
) -> AsyncWebClient:
    """The same client for posting, minus the retry of a cut connection: a post whose answer
    was lost may be in the channel already, and a blind retry would post it twice. The outbox
    retries it instead, after looking in the DM for it.

    With `rate_limits=False` a 429 is not waited out in the client either: the outbox waits
    for its Retry-After without holding one of its sending slots, which would otherwise sit
    idle for seconds while other messages could go."""
    dropped: tuple[type, ...] = (AsyncConnectionErrorRetryHandler,)
    if not rate_limits:
        dropped += (AsyncRateLimitErrorRetryHandler,)
    return AsyncWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        session=client.session,
        headers=client.headers,
        retry_handlers=[
            handler for handler in client.retry_handlers if not isinstance(handler, dropped)
        ],
    )


def _error_code(error: SlackApiError) -> str:
    response = error.response
    return str(response.get("error", "")) if response is not None else ""


def as_delivery_error(error: Exception) -> Exception:
    """Classify a failed Slack call for the outbox: retry later, or give up."""
    if isinstance(error, SlackApiError):
        response = error.response
        code = _error_code(error)
        status = getattr(response, "status_code", 0)
        if status == 429 or code == "ratelimited":
            retry_after = response.headers.get("Retry-After") or response.headers.get("retry-after")
            return Throttled(f"Slack rate limit ({code or status})", float(retry_after or 1))
        if status >= 500:
            return TransientDeliveryError(f"Slack answered HTTP {status}")
        if code in UNREACHABLE_ERRORS:
            return Unreachable(f"Slack: {code}")
        if code in PERMANENT_ERRORS:
            return PermanentDeliveryError(f"Slack: {code}")
        return TransientDeliveryError(f"Slack: {code or status}")
    if isinstance(error, aiohttp.ClientError | asyncio.TimeoutError | OSError):
        # Slack may have acted on a request whose answer never arrived.
        return TransientDeliveryError(
            f"network: {type(error).__name__}: {error}", outcome_unknown=True
        )
    return error


class SlackMessenger:
    kudos_pointer = "Your kudos this quarter are on your okrbot Home tab."

    def __init__(
        self, client: AsyncWebClient, database: Database, throttle: PostThrottle | None = None
    ) -> None:
        self.client = client
        self.database = database
        self.throttle = throttle
        self.recent = RecentPeople(database)
        self._poster = without_connection_retries(client)
        self._outbox_poster = without_connection_retries(client, rate_limits=False)

    async def person_for_user(self, user_id: str) -> Person | None:
        """The imported person behind a Slack user id, learning the id by email the first time."""
        person = self.recent.get(user_id)
        if person is not None:
            return person
        generation = self.recent.generation
        async with self.database.reading() as session:
            person = await get_person_by_slack_id(session, user_id)
        if person is not None:
            self.recent.keep(user_id, person, generation)
            return person
        try:
            info = await self.client.users_info(user=user_id)
        except SlackApiError:
            return None
        profile = info["user"].get("profile") or {}
        email = profile.get("email")
        if not email:
            return None
        async with self.database.transaction() as session:
            person = await get_person_by_email(session, email)
            if person is None or person.slack_user_id not in (None, user_id):
                return None
            await link_slack_user(session, person.id, user_id, info["user"].get("tz"))
            return await get_person(session, person.id)

    async def user_id(self, person: Person) -> str:
        if person.slack_user_id:
            return person.slack_user_id
        try:
            found = await self.client.users_lookupByEmail(email=person.email)
        except SlackApiError as error:
            raise as_delivery_error(error) from error
        user = found["user"]
        async with self.database.transaction() as session:
            await link_slack_user(session, person.id, str(user["id"]), user.get("tz"))
        return str(user["id"])

    async def dm_target(self, person: Person) -> tuple[str, bool]:
        """Where to post a DM: the cached DM channel, else the user id (Slack opens the DM).

        Returns the target and whether it is already the cached channel.
        """
        if person.slack_dm_channel:
            return person.slack_dm_channel, True
        return await self.user_id(person), False

    async def send(self, person: Person, messages: list[Message]) -> list[dict[str, Any]]:
        """Post messages to the person's DM; return references for updating them later."""
        return await self.send_parts(person, messages)

    async def send_parts(
        self,
        person: Person,
        messages: list[Message],
        progress: Progress = FIRST_TRY,
        thread: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Post the parts not yet `sent`, each tagged with the outbox `key` and its part number
        in Slack's message metadata (so a sender that crashed after posting can later find
        it), telling `on_sent` about each as soon as Slack has it; every part's reference."""
        key, sent, on_sent = progress.key, dict(progress.sent), progress.on_sent
        refs: list[dict[str, Any]] = []
        try:
            target, cached = await self.dm_target(person)
            if sent:
                target = str(next(iter(sent.values())).get("channel") or target)
            if thread is not None:
                # A thread reply: Slack's history (find_tagged) lists only the thread's parent,
                # so a retry whose outcome was unknown may post it twice.
                target = str(thread["channel"])
            for part, message in enumerate(messages):
                if part in sent:
                    refs.append(sent[part])
                    continue
                if self.throttle is not None:
                    await self.throttle.before_post(target)
                extra: dict[str, Any] = {}
                if thread is not None:
                    extra["thread_ts"] = thread["ts"]
                if key is not None:
                    extra["metadata"] = {
                        "event_type": DELIVERY_EVENT,
                        "event_payload": {"key": key, "part": part},
                    }
                # The outbox's sends (tagged with their key) leave a 429 to the outbox.
                poster = self._outbox_poster if key is not None else self._poster
                posted = await poster.chat_postMessage(
                    channel=target, **message_kwargs(message), **extra
                )
                ref = {"platform": "slack", "channel": posted["channel"], "ts": posted["ts"]}
                refs.append(ref)
                target = str(posted["channel"])
                if on_sent is not None:
                    await on_sent(part, ref)
            if not cached and refs:
                async with self.database.transaction() as session:
                    await remember_slack_dm_channel(session, person.id, refs[0]["channel"])
            return refs
        except (TimeoutError, SlackApiError, aiohttp.ClientError, OSError) as error:
            failure = as_delivery_error(error)
            if refs and isinstance(failure, TransientDeliveryError):
                failure.outcome_unknown = True  # its first parts are posted already
            raise failure from error

    async def post(self, target: Target, message: Message) -> None:
        """Post in a channel, or to a user id (Slack opens the DM): the kudos post, and the
        kudos DM to someone in the workspace okrbot has not imported."""
        if not isinstance(target, str) or not target:
            raise PermanentDeliveryError(f"Slack cannot post to {target!r}")
        to_user = target[:1] in ("U", "W")
        # Links in a channel post would unfurl into previews nobody asked for.
        extra: dict[str, Any] = {} if to_user else {"unfurl_links": False}
        try:
            if self.throttle is not None:
                await self.throttle.before_post(target)
            await self.client.chat_postMessage(channel=target, **extra, **message_kwargs(message))
        except SlackApiError as error:
            code = _error_code(error)
            if not to_user and code in NOT_ALLOWED_HERE:
                raise PermanentDeliveryError(
                    f"Slack: {code}: okrbot cannot post in {target}; invite it to the channel "
                    "(/invite @okrbot in the channel)"
                ) from error
            raise as_delivery_error(error) from error
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            raise as_delivery_error(error) from error

    async def why_unreachable(self, person: Person) -> str | None:
        """Never known in advance: Slack opens a DM with anyone in the workspace."""
        return None

    async def attach(self, person: Person, filename: str, title: str, png: bytes) -> None:
        """Share an image (a chart) in the person's DM with Slack's external upload flow."""
        try:
            channel = person.slack_dm_channel
            if channel is None:
                opened = await self.client.conversations_open(users=await self.user_id(person))
                channel = str(opened["channel"]["id"])
            await self.client.files_upload_v2(
                channel=channel, file=png, filename=filename, title=title
            )
        except (TimeoutError, SlackApiError, aiohttp.ClientError, OSError) as error:
            raise as_delivery_error(error) from error

    async def find_tagged(self, person: Person, key: str) -> dict[int, dict[str, Any]]:
        """References of messages already posted for outbox `key` (newest DM history only)."""
        try:
            channel = person.slack_dm_channel
            if channel is None:
                # Only on a retry whose first attempt never recorded the DM channel.
                opened = await self.client.conversations_open(users=await self.user_id(person))
                channel = str(opened["channel"]["id"])
            history = await self.client.conversations_history(
                channel=channel, limit=RECENT_MESSAGES, include_all_metadata=True
            )
        except SlackApiError as error:
            if _error_code(error) != "missing_scope":
                raise as_delivery_error(error) from error
            # Installed from a manifest without im:history: a possible duplicate is better
            # than a message that never arrives.
            log.warning(
                "cannot look for %s in %s's DM (missing_scope %s); sending it again",
                key,
                person.email,
                (error.response or {}).get("needed"),
            )
            return {}
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            raise as_delivery_error(error) from error
        found = {}
        for message in history.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == DELIVERY_EVENT and payload.get("key") == key:
                part = int(payload.get("part", 0))
                found[part] = {"platform": "slack", "channel": channel, "ts": message["ts"]}
        return found

    async def show_summary(self, person: Person, period: str, summary: Message) -> None:
        """A check-in's summary takes the place of the week's latest prompt, and the earlier
        prompts point at it; with no prompt to replace, it comes as a DM."""
        async with self.database.reading() as session:
            week = await get_week(session, person.id, period)
        refs = [ref for ref in (week.prompt_refs if week else []) if ref.get("platform") == "slack"]
        if refs:
            shown = refs[-1]
            await self.update(shown, summary)
            pointer = Message("Checked in", (Context("Checked in ✅ (see below)"),))
            for ref in refs[:-1]:
                await self.update(ref, pointer)
        else:
            [shown] = await self.send(person, [summary])
        # Where the manager's answers to this check-in will be threaded.
        async with self.database.transaction() as session:
            await remember_summary(session, person.id, period, shown)

    async def update(self, ref: dict[str, Any], message: Message) -> None:
        try:
            await self.client.chat_update(
                channel=ref["channel"], ts=ref["ts"], **message_kwargs(message)
            )
        except (TimeoutError, SlackApiError, aiohttp.ClientError, OSError) as error:
            raise as_delivery_error(error) from error
