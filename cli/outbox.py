"""`okrbot outbox`: what okrbot has sent, is about to send, or gave up on; and a manual retry."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from okrbot.bot.clock import SystemClock
from okrbot.bot.settings import Settings
from okrbot.cli.common import console, fail, run_with_database
from okrbot.scheduler.outbox import FAILED, PENDING, Outbox, list_deliveries
from okrbot.storage.db import Database
from okrbot.storage.models import DeliveryRow, PersonRow

app = typer.Typer(help="Inspect and retry outgoing messages.", no_args_is_help=True)


@app.command("list")
def list_command(
    failed: Annotated[bool, typer.Option("--failed", help="Only deliveries that gave up.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many.")] = 50,
) -> None:
    """List deliveries, newest due first."""

    async def work(database: Database, _settings: Settings) -> list[tuple[DeliveryRow, str]]:
        rows = await list_deliveries(database, [FAILED] if failed else None, limit)
        async with database.reading() as session:
            ids = {row.person_id for row in rows if row.person_id is not None}
            emails = dict(
                (
                    await session.execute(
                        select(PersonRow.id, PersonRow.email).where(PersonRow.id.in_(ids))
                    )
                ).all()
            )
        return [(row, emails.get(row.person_id, "")) for row in rows]

    rows = run_with_database(work)
    if not rows:
        console.print("no failed deliveries" if failed else "the outbox is empty")
        return
    table = Table("id", "kind", "person", "week", "status", "tries", "due (UTC)", "why")
    for row, email in rows:
        table.add_row(
            str(row.id),
            row.kind,
            email,
            row.period or "",
            row.status,
            str(row.attempts),
            row.due_at.strftime("%Y-%m-%d %H:%M"),
            why(row),
        )
    console.print(table)


def why(row: DeliveryRow) -> str:
    """Why a delivery is waiting (quiet hours, throttled, over the budget) or what went wrong."""
    note = (row.last_error or "")[:120]
    if row.status == PENDING and note:
        waiting = note.startswith(("quiet hours", "throttled", "over this week's budget"))
        return f"waiting: {note}" if waiting else f"will retry; last error: {note}"
    return note


@app.command("retry")
def retry(
    delivery_id: Annotated[
        int, typer.Argument(metavar="ID", help="Delivery id from `outbox list`.")
    ],
) -> None:
    """Send a failed delivery again (at the next scheduler tick)."""

    async def work(database: Database, _settings: Settings) -> bool:
        return await Outbox(database, SystemClock()).retry(delivery_id)

    if not run_with_database(work):
        fail(f"ID: no failed or pending delivery {delivery_id} (see `okrbot outbox list --failed`)")
    console.print(f"delivery {delivery_id} will be sent at the next scheduler tick")
