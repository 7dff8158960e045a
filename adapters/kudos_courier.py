"""Sending a kudos once it is stored: the public post and each recipient's DM, from the outbox.

What is said is rendered at send time from the delivery's payload; where it goes is the
platform's business, reached through the shared Messenger protocol only.
"""

from __future__ import annotations

from collections.abc import Mapping

from okrbot.bot.delivery import DeliveryKind, PermanentDeliveryError, Suppressed, active
from okrbot.bot.kudos import public_post, recipient_dm
from okrbot.bot.messenger import Messenger
from okrbot.scheduler.outbox import Delivery
from okrbot.storage.db import Database
from okrbot.storage.kudos import existing_kudos_ids
from okrbot.storage.people import get_person


class KudosCourier:
    """Sends the kudos deliveries through the messenger of the platform the kudos was given on."""

    def __init__(self, database: Database, messengers: Mapping[str, Messenger]) -> None:
        self.database = database
        self.messengers = dict(messengers)  # by Platform value

    def messenger(self, platform: str) -> Messenger:
        found = self.messengers.get(platform)
        if found is None:
            name = platform.capitalize() or "That platform"
            raise PermanentDeliveryError(
                f"{name} is not configured, so a {name} kudos cannot go out"
            )
        return found

    async def deliver(self, delivery: Delivery) -> None:
        payload = delivery.payload
        ids = payload.get("kudos_ids") or [payload.get("kudos_id")]
        async with self.database.reading() as session:
            present = await existing_kudos_ids(session, ids)
        if not present:
            raise Suppressed(f"the kudos behind {delivery.key} no longer exists")
        messenger = self.messenger(str(payload.get("platform") or ""))
        giver = str(payload.get("giver") or "")
        message = str(payload.get("message") or "")
        values = [str(value) for value in payload.get("values") or []]
        if delivery.kind == DeliveryKind.KUDOS_POST:
            recipients = [str(name) for name in payload.get("recipients") or []]
            try:
                await messenger.post(payload["to"], public_post(giver, recipients, message, values))
            except PermanentDeliveryError as error:
                if payload.get("platform") != "slack":
                    raise
                raise PermanentDeliveryError(
                    f"{error}, or set OKRBOT_KUDOS_CHANNEL to a channel it is in"
                ) from error
            return
        posted = bool(payload.get("posted"))
        dm = recipient_dm(giver, message, values, posted, messenger.kudos_pointer)
        if delivery.person_id is None:
            # Not an imported person: only a platform that can open a DM by user id reaches them.
            user_id = payload.get("user_id")
            if not user_id:
                raise PermanentDeliveryError("a kudos DM names no one")
            await messenger.post(str(user_id), dm)
            return
        async with self.database.reading() as session:
            person = active(await get_person(session, delivery.person_id), delivery.person_id)
        reason = await messenger.why_unreachable(person)
        if reason is not None:
            raise Suppressed(reason)
        await messenger.send(person, [dm])
