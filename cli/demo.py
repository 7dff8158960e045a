"""`okrbot demo`: a whole quarter of a sample company, played through the real stacks, offline.

Nothing is mocked between the people and the database: the sample people "click" and "type"
through signed Slack requests and Teams Activities sent over loopback HTTP to okrbot's own
server (real slack-bolt, real botbuilder), okrbot answers through the real scheduler and outbox
into local stand-ins of the Slack Web API and the Bot Framework connector, and a simulated clock
jumps from one due moment to the next so thirteen weeks take seconds.

The parts: the company (`demo_company`), the stage okrbot and the stand-ins run on
(`demo_stage`), the clock (`demo_timeline`), what is watched and kept (`demo_watch`), how the
sample people behave (`demo_people`) and what is written at the end (`demo_report`).
"""

from __future__ import annotations

import asyncio
import random
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.progress import BarColumn, Progress, TextColumn

from okrbot.bot.clock import FakeClock
from okrbot.bot.quarters import Quarter
from okrbot.cli.common import console
from okrbot.cli.demo_company import QUARTER, DemoCompany, build_company
from okrbot.cli.demo_people import SamplePeople
from okrbot.cli.demo_report import write_outputs
from okrbot.cli.demo_stage import Stage, open_stage
from okrbot.cli.demo_timeline import Timeline
from okrbot.cli.demo_watch import Record, Watcher

TALLIES = ("prompts", "checkins", "snoozes", "skips", "kudos", "reflections")


async def run_demo(
    out: Path, people: int, weeks: int, seed: int, show_progress: bool
) -> dict[str, Any]:
    company = build_company(people, seed)
    rng = random.Random(seed)
    quarter = Quarter.parse(QUARTER)
    opening = datetime.combine(quarter.start, datetime.min.time(), tzinfo=UTC)
    clock = FakeClock(opening - timedelta(hours=12))
    timeline = Timeline(clock)
    record = Record()
    with tempfile.TemporaryDirectory(prefix="okrbot-demo-") as scratch:
        stage = await open_stage(company, Path(scratch), clock, quarter.start)
        try:
            record.keep_manager_reports(stage)
            cast = SamplePeople(company, rng, stage, timeline, record)
            watcher = Watcher(company, stage, record, cast)
            cast.plan_time_off(quarter)
            cast.plan_new_hire()
            cast.plan_draft(quarter)
            cast.plan_one_on_one(quarter)
            watcher.collect()
            end = _last_moment(company, stage, quarter, opening, weeks)
            if show_progress:
                with Progress(
                    TextColumn("{task.description}"), BarColumn(), console=console, transient=False
                ) as progress:
                    origin = clock.now()
                    task = progress.add_task("", total=(end - origin).total_seconds())

                    def show() -> None:
                        progress.update(
                            task,
                            completed=(clock.now() - origin).total_seconds(),
                            description=_status(clock, cast),
                        )

                    await timeline.play(stage.runtime.ticker, end, watcher.collect, show)
            else:
                await timeline.play(stage.runtime.ticker, end, watcher.collect)
            figures = await write_outputs(out, company, record, stage)
            shutil.copytree(Path(scratch) / "data", out / "data")
        finally:
            await stage.close()
    for name in TALLIES:
        figures[name] = cast.tally[name]
    figures["people"] = len(company.people)
    return figures


def _last_moment(
    company: DemoCompany, stage: Stage, quarter: Quarter, opening: datetime, weeks: int
) -> datetime:
    end = opening + timedelta(weeks=weeks)
    if weeks >= 13:
        # Play on until the reflection window closes: every manager's quarter summary has
        # gone out by then (sooner when all their reports have reflected).
        zones = {ZoneInfo(p.timezone) for p in company.people if p.reports}
        cadence = stage.runtime.cadence
        end = max(end, *(cadence.summary_deadline(quarter, z) for z in zones))
        end += timedelta(hours=1)
    return end


def _status(clock: FakeClock, cast: SamplePeople) -> str:
    day = clock.now().strftime("%a %d %b %Y")
    t = cast.tally
    return (
        f"{day} · prompts {t['prompts']} · check-ins {t['checkins']} · "
        f"snoozes {t['snoozes']} · skips {t['skips']} · kudos {t['kudos']}"
    )


def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Where to write what the demo produced.")
    ] = Path("okrbot-demo"),
    people: Annotated[
        int, typer.Option("--people", min=1, max=200, help="People below the CEO.")
    ] = 15,
    weeks: Annotated[int, typer.Option("--weeks", min=1, max=13, help="Weeks to play.")] = 13,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same quarter.")] = 7,
) -> None:
    """Play a quarter of a sample company through okrbot, offline, and show what it did."""
    console.print(
        f"Playing {weeks} weeks of {QUARTER} for a company of {people + 1} people (and a new "
        "hire partway) on Slack and Teams (local stand-ins, simulated clock)…"
    )
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    figures = asyncio.run(run_demo(out, people, weeks, seed, show_progress=True))
    console.print(
        f"\nDone: {figures['prompts']} prompts, {figures['checkins']} check-ins, "
        f"{figures['snoozes']} snoozes, {figures['skips']} skips, {figures['kudos']} kudos, "
        f"{figures['reflections']} reflections. "
        f"Teams ran authenticated both ways ({figures['teams_app_tokens']} app token(s))."
    )
    page = (out / "index.html").resolve()
    console.print(f"\nOpen [bold]{page.as_uri()}[/] in a browser (it works offline):")
    rows = [
        (f"{out / 'index.html'}", "each person's quarter as a Slack or Teams chat"),
        (f"{out / 'transcripts'}/<email>.txt", "what each person was sent and answered, as text"),
        (f"{out / 'managers'}/<email>/", "weekly digests and the quarter summary, as Markdown"),
        (f"{out / 'cards'}/slack|teams/", "raw Block Kit and Adaptive Card JSON"),
        (f"{out / 'data'}/", "the people CSV and OKR YAML it imported"),
    ]
    width = max(len(path) for path, _what in rows)
    for path, what in rows:
        console.print(f"  {path:<{width}}  {what}", markup=False, highlight=False, soft_wrap=True)
    console.print(
        "\nNext: connect a real workspace. Slack: create an app from manifest/slack.yaml, set "
        "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET, run `okrbot serve` (or `--socket-mode`). "
        "Teams: `okrbot teams package --app-id …` and upload it. Then `okrbot import people` "
        "and `okrbot import okrs` (see README)."
    )
