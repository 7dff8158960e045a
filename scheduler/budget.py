"""The weekly notification budget, counted on the outbox's own rows.

How many unsolicited messages a person was sent this week is the number of their deliveries of
an unsolicited kind that went out in it; a kudos DM held back past the budget joins the
person's roundup, one delivery that says them all at once.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from okrbot.bot.delivery import UNSOLICITED, DeliveryKind
from okrbot.bot.working_hours import week_bounds
from okrbot.scheduler.outbox import SENDING, SENT, Delivery, enqueue
from okrbot.storage.models import DeliveryRow
from okrbot.storage.people import lock_person


async def reserve_budget(
    session: AsyncSession,
    person_id: int,
    delivery_id: int,
    zone: ZoneInfo,
    now: datetime,
    budget: int,
) -> int | None:
    """Take one of the person's unsolicited messages this week for this delivery; None when
    taken, else how many were already sent. Deliveries to one person decide one after another
    (the person's row is locked), and a message being sent counts as sent (its sent_at is set
    now), so sends that run side by side cannot overshoot the budget together."""
    await lock_person(session, person_id)
    start, end = week_bounds(now, zone)
    sent = await session.scalar(
        select(func.count())
        .select_from(DeliveryRow)
        .where(
            DeliveryRow.person_id == person_id,
            DeliveryRow.id != delivery_id,
            DeliveryRow.kind.in_(sorted(UNSOLICITED)),
            DeliveryRow.status.in_((SENT, SENDING)),
            DeliveryRow.sent_at >= start,
            DeliveryRow.sent_at < end,
        )
    )
    if (sent or 0) >= budget:
        return sent or 0
    await session.execute(
        update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(sent_at=now)
    )
    return None


async def fold_kudos(
    session: AsyncSession, person_id: int, due_at: datetime, delivery: Delivery
) -> str:
    """Add a held-back kudos DM to the person's roundup due at `due_at`; the roundup's key."""
    kind = DeliveryKind.KUDOS_ROUNDUP
    key = f"{kind}:{person_id}:{due_at:%Y%m%d%H%M}"
    await enqueue(session, key=key, kind=kind, due_at=due_at, person_id=person_id)
    query = select(DeliveryRow).where(DeliveryRow.key == key)
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    roundup = (await session.scalars(query)).one()
    payload = dict(roundup.payload or {})
    kudos_id = delivery.payload.get("kudos_id")
    item = {
        "kudos_id": kudos_id,
        "giver": delivery.payload.get("giver"),
        "message": delivery.payload.get("message"),
    }
    payload["kudos_ids"] = [*payload.get("kudos_ids", []), kudos_id]
    payload["received"] = [*payload.get("received", []), item]
    roundup.payload = payload
    return key
