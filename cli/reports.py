"""`okrbot digests send --now`, `okrbot reflections send --now`, `okrbot quarter close`.

Each queues fresh deliveries in the outbox and sends them at once, through the same courier the
scheduler uses; an explicit send counts as that week's (or quarter's) delivery, so the scheduler
does not repeat it.
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from okrbot.bot.delivery import DeliveryKind
from okrbot.bot.domain import Person
from okrbot.bot.quarters import Quarter
from okrbot.cli.common import console, fail, run_runtime
from okrbot.cli.runtime import Runtime
from okrbot.scheduler.outbox import enqueue
from okrbot.scheduler.ticker import SEND_BUDGET
from okrbot.storage.convert import to_person
from okrbot.storage.models import PersonRow
from okrbot.storage.people import get_person_by_email

digests_app = typer.Typer(help="Managers' weekly digests.", no_args_is_help=True)
reflections_app = typer.Typer(help="Quarter-end reflections.", no_args_is_help=True)

NowOption = Annotated[bool, typer.Option("--now", help="Send immediately.")]


async def _queue_and_send(
    runtime: Runtime, items: list[tuple[str, str, int, str | None, dict[str, object]]]
) -> tuple[int, int]:
    """Queue (key, kind, person id, period, payload) deliveries due now, then deliver them."""
    now = runtime.clock.now()
    stamp = now.isoformat()
    async with runtime.database.transaction() as session:
        for key, kind, person_id, period, payload in items:
            # The regular key first, so the scheduler counts it as done; a fresh key if it was.
            if not await enqueue(
                session,
                key=key,
                kind=kind,
                due_at=now,
                person_id=person_id,
                period=period,
                payload=payload,
            ):
                await enqueue(
                    session,
                    key=f"{key}:now:{stamp}",
                    kind=kind,
                    due_at=now,
                    person_id=person_id,
                    period=period,
                    payload=payload,
                )
    sent = await runtime.outbox.deliver_for(runtime.courier, SEND_BUDGET.total_seconds())
    return len(items), sent


async def _managers(runtime: Runtime, email: str | None) -> list[PersonRow]:
    async with runtime.database.reading() as session:
        if email is not None:
            person = await get_person_by_email(session, email)
            if person is None:
                fail(f"--manager: no person with email {email}")
            return list(await session.scalars(select(PersonRow).where(PersonRow.id == person.id)))
        managers = select(PersonRow.manager_id).where(PersonRow.manager_id.is_not(None))
        return list(await session.scalars(select(PersonRow).where(PersonRow.id.in_(managers))))


def _report(queued: int, sent: int, what: str) -> None:
    console.print(f"queued {queued} {what}; {sent} delivered now")
    if sent < queued:
        console.print("see `okrbot outbox list` for the rest (nothing to say, or to be retried)")


@digests_app.command("send")
def send_digests(
    now: NowOption = False,
    manager: Annotated[
        str | None, typer.Option("--manager", metavar="EMAIL", help="Only this manager.")
    ] = None,
) -> None:
    """Build and send this week's digest to every manager (or one) now."""
    if not now:
        fail("digests send: add --now to send immediately (the scheduler sends on Fridays)")

    async def work(runtime: Runtime) -> tuple[int, int]:
        items = []
        for row in await _managers(runtime, manager):
            period = runtime.checkins.moment(_as_person(row)).period
            items.append(
                (
                    f"{DeliveryKind.DIGEST}:{row.id}:{period}",
                    DeliveryKind.DIGEST,
                    row.id,
                    period,
                    {},
                )
            )
        return await _queue_and_send(runtime, items)

    _report(*run_runtime(work), "digest(s)")


@reflections_app.command("send")
def send_reflections(now: NowOption = False) -> None:
    """Ask everyone who owns key results this quarter to reflect on it, now."""
    if not now:
        fail("reflections send: add --now to send immediately")

    async def work(runtime: Runtime) -> tuple[int, int]:
        async with runtime.database.reading() as session:
            people = list(await session.scalars(select(PersonRow)))
        items = []
        for row in people:
            moment = runtime.checkins.moment(_as_person(row))
            quarter = moment.quarter.id
            items.append(
                (
                    f"{DeliveryKind.REFLECTION}:{row.id}:{quarter}",
                    DeliveryKind.REFLECTION,
                    row.id,
                    moment.period,
                    # An admin's explicit --now: no quiet hours, no budget.
                    {"quarter": quarter, "forced": True},
                )
            )
        return await _queue_and_send(runtime, items)

    _report(*run_runtime(work), "reflection prompt(s)")


def close_quarter(
    quarter: Annotated[str, typer.Option("--quarter", help="The quarter to close, e.g. 2026-Q4.")],
) -> None:
    """Send every manager the quarter-end summary of `--quarter` now."""
    try:
        Quarter.parse(quarter)
    except ValueError as error:
        fail(f"--quarter: {error}")

    async def work(runtime: Runtime) -> tuple[int, int]:
        items = [
            (
                f"{DeliveryKind.SUMMARY}:{row.id}:{quarter}",
                DeliveryKind.SUMMARY,
                row.id,
                None,
                {"quarter": quarter},
            )
            for row in await _managers(runtime, None)
        ]
        return await _queue_and_send(runtime, items)

    _report(*run_runtime(work), "quarter summar(ies)")


def _as_person(row: PersonRow) -> Person:
    return to_person(row)
