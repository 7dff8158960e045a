"""`okrbot checkins`: send this week's prompts now."""

from __future__ import annotations

from typing import Annotated

import typer

from okrbot.cli.common import console, fail, run_runtime
from okrbot.cli.runtime import Runtime
from okrbot.scheduler.prompts import enqueue_prompts_now
from okrbot.scheduler.ticker import SEND_BUDGET
from okrbot.storage.people import get_person_by_email, list_people

app = typer.Typer(help="Weekly check-ins.", no_args_is_help=True)


@app.command("send")
def send(
    now: Annotated[
        bool, typer.Option("--now", help="Send this week's prompts immediately.")
    ] = False,
    person: Annotated[
        str | None, typer.Option("--person", metavar="EMAIL", help="Only this person.")
    ] = None,
) -> None:
    """Send this week's check-in prompts now, through the same outbox as the scheduler."""
    if not now:
        fail("checkins send: add --now to send immediately (the scheduler sends on its own)")

    async def work(runtime: Runtime) -> tuple[int, int]:
        async with runtime.database.reading() as session:
            if person is not None:
                found = await get_person_by_email(session, person)
                if found is None:
                    fail(f"--person: no person with email {person}")
                people = [found]
            else:
                people = await list_people(session)
        queued = await enqueue_prompts_now(
            runtime.database, people, runtime.clock.now(), runtime.settings.default_timezone
        )
        sent = await runtime.outbox.deliver_for(runtime.courier, SEND_BUDGET.total_seconds())
        return queued, sent

    queued, sent = run_runtime(work)
    console.print(f"queued {queued} prompt(s); {sent} delivered now")
    if sent < queued:
        console.print("the rest will be retried by `okrbot serve` (see `okrbot outbox list`)")
