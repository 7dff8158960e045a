"""Fan-out: the weekly prompts of a whole workspace against Slack's posting limit.

    python -m bench.fanout [--people 10000] [--rate 3000] [--replicas 1 2] [--database URL]

Seeds N people who are all due at once, starts the Slack sandbox enforcing a workspace-wide
chat.postMessage limit of --rate messages per minute (and Slack's per-channel limit), then runs
1 and 2 real `okrbot` sender processes (the same scheduler tick `okrbot serve` runs) until the
outbox is empty. Prints the achieved rate as a ratio of the allowed rate, 429s received,
duplicates and losses; then the time one scheduler tick takes to find what is due among
100,000 people. Slack documents "several hundred per minute" for a workspace (okrbot's default
is 300); the default here is higher so that 10,000 prompts take minutes, not half an hour —
the ratio is what matters, and it does not depend on the rate.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import OperationalError

from okrbot.adapters.slack.sandbox import SlackSandbox
from okrbot.bot.clock import SystemClock
from okrbot.bot.delivery import DeliveryKind
from okrbot.bot.quarters import Quarter
from okrbot.bot.settings import Settings
from okrbot.cli.runtime import build_runtime
from okrbot.storage.db import Database
from okrbot.storage.models import (
    Base,
    DeliveryRow,
    KeyResultRow,
    ObjectiveRow,
    PersonRow,
    ScheduleRow,
)

SIGNING_SECRET = "bench-signing-secret"


@dataclass(frozen=True)
class FanoutResult:
    replicas: int
    people: int
    seconds: float
    allowed_per_minute: float
    requests: int
    rate_limited: int
    duplicates: int
    losses: int

    @property
    def achieved_ratio(self) -> float:
        return (self.people / self.seconds * 60) / self.allowed_per_minute


async def reset(url: str) -> None:
    database = Database(url)
    await database.upgrade()
    async with database.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            await session.execute(table.delete())
    await database.dispose()


async def seed_people(url: str, people: int, due: datetime, with_key_results: bool = True) -> None:
    """N people on Slack, each owning one key result, all due for their prompt at `due`."""
    database = Database(url)
    quarter = Quarter.containing(due.date()).id
    async with database.transaction() as session:
        rows = [
            {
                "id": n + 1,
                "email": f"p{n}@bench.example",
                "name": f"Person {n}",
                "timezone": "UTC",
                "slack_user_id": f"U{n:08d}",
                "created_at": due,
                "updated_at": due,
            }
            for n in range(people)
        ]
        for start in range(0, people, 5000):
            await session.execute(insert(PersonRow), rows[start : start + 5000])
        if with_key_results:
            await session.execute(
                insert(ObjectiveRow),
                [
                    {
                        "id": n + 1,
                        "quarter": quarter,
                        "title": f"Objective {n}",
                        "level": "personal",
                        "kind": "aspirational",
                        "owner_id": n + 1,
                        "position": 0,
                        "created_at": due,
                    }
                    for n in range(people)
                ],
            )
            await session.execute(
                insert(KeyResultRow),
                [
                    {
                        "objective_id": n + 1,
                        "title": "Signups from 10 to 20",
                        "owner_id": n + 1,
                        "type": "number",
                        "start": 10,
                        "target": 20,
                        "current": 12,
                        "position": 0,
                    }
                    for n in range(people)
                ],
            )
        await session.execute(
            insert(ScheduleRow),
            [
                {"person_id": n + 1, "kind": DeliveryKind.PROMPT, "next_at": due}
                for n in range(people)
            ],
        )
    await database.dispose()


async def everyone_due(url: str, people: int, rate: int) -> SlackSandbox:
    """An empty database with `people` due for their prompt now, and a Slack sandbox (not yet
    started) that knows them and enforces `rate` posts a minute for the workspace."""
    await reset(url)
    due = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    await seed_people(url, people, due)
    sandbox = SlackSandbox(enforce_rate_limits=True, posts_per_minute=rate)
    for n in range(people):
        sandbox.add_user(f"U{n:08d}", f"person{n}", f"p{n}@bench.example")
    return sandbox


def sender(url: str, api_url: str, rate: int, index: int, lease_seconds: int = 120) -> None:
    """One replica: the scheduler tick, in a loop, until nothing is left to send."""

    async def main() -> None:
        settings = Settings(
            database_url=url,
            slack_bot_token="xoxb-sandbox-token",
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=api_url,
            slack_post_rate=rate,
            outbox_lease_seconds=lease_seconds,
        )
        runtime = await build_runtime(settings, clock=SystemClock(), migrate=False)
        runtime.outbox.worker = f"bench-{index}"
        idle = 0
        while idle < 3:
            try:
                report = await runtime.ticker.tick()
            except OperationalError as error:
                # As `okrbot serve` does: a tick that lost a race for SQLite's write lock
                # (another replica planning thousands of prompts) is tried again.
                print(f"replica {index}: tick failed ({error.orig}); trying again", flush=True)
                continue
            if report.sent or report.queued:
                idle = 0
                continue
            async with runtime.database.reading() as session:
                left = await session.scalar(
                    select(func.count())
                    .select_from(DeliveryRow)
                    .where(
                        DeliveryRow.status.in_(("pending", "sending")),
                        DeliveryRow.kind == DeliveryKind.PROMPT,
                    )
                )
            idle = idle + 1 if not left else 0
            await asyncio.sleep(0.2)
        await runtime.close()

    asyncio.run(main())


async def fanout(url: str, people: int, rate: int, replicas: int) -> FanoutResult:
    sandbox = await everyone_due(url, people, rate)
    await sandbox.start()
    context = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    processes = [
        context.Process(target=sender, args=(url, sandbox.url, rate, index))
        for index in range(replicas)
    ]
    for process in processes:
        process.start()
    for process in processes:
        # Join in a thread: the sandbox keeps answering on this event loop meanwhile.
        await asyncio.to_thread(process.join)
    posts = [call for call in sandbox.calls_to("chat.postMessage") if call.ok]
    seconds = max(call.time for call in posts) - min(call.time for call in posts) if posts else 0
    counts = Counter(call.params["channel"] for call in posts)
    duplicates = sum(count - 1 for count in counts.values() if count > 1)
    losses = people - len(counts)  # every person's first DM goes to their user id
    result = FanoutResult(
        replicas=replicas,
        people=people,
        seconds=seconds or (time.perf_counter() - started),
        allowed_per_minute=rate,
        requests=len(sandbox.calls_to("chat.postMessage")),
        rate_limited=sandbox.rate_limited_count,
        duplicates=duplicates,
        losses=losses,
    )
    await sandbox.stop()
    return result


@dataclass(frozen=True)
class ChaosResult:
    """A fan-out through a flaky Slack with a replica killed halfway."""

    people: int
    seconds: float
    allowed_per_minute: float
    requests: int
    throttled: int  # 429s: the injected ones and the workspace limit's own
    server_errors: int
    in_flight_at_kill: int
    duplicates: int
    losses: int

    @property
    def achieved_ratio(self) -> float:
        return (self.people / self.seconds * 60) / self.allowed_per_minute


CHAOS_LEASE_SECONDS = 10  # how soon the killed replica's messages come back to the survivor


async def chaos(url: str, people: int, rate: int, seed: int = 7) -> ChaosResult:
    """2 replicas fan out `people` prompts while Slack answers 10% of posts with 429
    (Retry-After 1–5 s) and 1% with 500; replica 0 is SIGKILLed once half the prompts are out."""
    sandbox = await everyone_due(url, people, rate)
    sandbox.flaky("chat.postMessage", seed=seed)
    await sandbox.start()
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=sender, args=(url, sandbox.url, rate, index, CHAOS_LEASE_SECONDS))
        for index in range(2)
    ]
    for process in processes:
        process.start()
    started = time.perf_counter()
    # Other processes post: polling the sandbox is the plain way to see how far they got.
    while sum(call.ok for call in sandbox.calls_to("chat.postMessage")) < people // 2:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    processes[0].kill()
    await asyncio.to_thread(processes[0].join)
    database = Database(url)
    async with database.reading() as session:
        in_flight = await session.scalar(
            select(func.count())
            .select_from(DeliveryRow)
            .where(DeliveryRow.status == "sending", DeliveryRow.leased_by.like("bench-0:%"))
        )
    await database.dispose()
    await asyncio.to_thread(processes[1].join)
    calls = sandbox.calls_to("chat.postMessage")
    posts = [call for call in calls if call.ok]
    seconds = max(c.time for c in posts) - min(c.time for c in posts) if posts else 0.0
    # Every prompt's first post goes to the user id; a retry after a refusal does too, but a
    # post that went through and was sent again would go to the user id or the DM channel.
    by_person: Counter[str] = Counter()
    for call in posts:
        by_person[str(call.response.get("channel"))] += 1
    result = ChaosResult(
        people=people,
        seconds=seconds or (time.perf_counter() - started),
        allowed_per_minute=rate,
        requests=len(calls),
        throttled=sum(call.status == 429 for call in calls),
        server_errors=sum(call.status == 500 for call in calls),
        in_flight_at_kill=int(in_flight or 0),
        duplicates=sum(count - 1 for count in by_person.values() if count > 1),
        losses=people - len(by_person),
    )
    await sandbox.stop()
    return result


def print_chaos(result: ChaosResult) -> None:
    r = result
    print(
        f"flaky Slack (10% 429 with Retry-After 1-5 s, 1% 500), 2 replicas, one SIGKILLed "
        f"halfway: {r.people} prompts in {r.seconds:.1f} s = {r.achieved_ratio:.3f} of the "
        f"allowed {r.allowed_per_minute:.0f}/min; {r.requests} requests, {r.throttled} "
        f"answered 429, {r.server_errors} answered 500; {r.in_flight_at_kill} in flight at the "
        f"kill; {r.duplicates} duplicates, {r.losses} lost"
    )


async def due_scan(url: str, people: int = 100_000, due_share: float = 0.01) -> tuple[float, int]:
    """Time the part of a tick that finds what is due among `people` schedules."""
    await reset(url)
    now = datetime.now(UTC)
    await seed_people(url, people, now + timedelta(days=3), with_key_results=False)
    database = Database(url)
    due_count = int(people * due_share)
    async with database.transaction() as session:
        await session.execute(
            text("UPDATE schedules SET next_at = :due WHERE person_id <= :n"),
            {"due": now - timedelta(minutes=1), "n": due_count},
        )
    started = time.perf_counter()
    async with database.reading() as session:
        found = (
            await session.execute(
                select(ScheduleRow.person_id)
                .where(ScheduleRow.kind == DeliveryKind.PROMPT, ScheduleRow.next_at <= now)
                .order_by(ScheduleRow.next_at)
                .limit(1000)
            )
        ).all()
    seconds = time.perf_counter() - started
    await database.dispose()
    return seconds, len(found)


def main(argv: list[str] | None = None) -> list[FanoutResult]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=3000, help="allowed posts per minute")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--database", help="database URL (default: a SQLite file in a temp dir)")
    parser.add_argument("--scan-people", type=int, default=100_000)
    parser.add_argument(
        "--chaos", action="store_true", help="only the flaky-Slack fan-out with a killed replica"
    )
    args = parser.parse_args(argv)
    if args.chaos:
        with tempfile.TemporaryDirectory() as folder:
            url = args.database or f"sqlite+aiosqlite:///{Path(folder) / 'fanout.db'}"
            print_chaos(asyncio.run(chaos(url, args.people, args.rate)))
        return []
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite+aiosqlite:///{Path(folder) / 'fanout.db'}"
        results = [asyncio.run(fanout(url, args.people, args.rate, n)) for n in args.replicas]
        scan_seconds, found = asyncio.run(due_scan(url, args.scan_people))
    print(f"fan-out of {args.people} weekly prompts, allowed {args.rate}/min ({_backend(url)})")
    print("replicas  seconds  achieved/allowed  requests  429s  429 %  duplicates  losses")
    for r in results:
        print(
            f"{r.replicas:>8}  {r.seconds:7.1f}  {r.achieved_ratio:16.3f}  {r.requests:8}  "
            f"{r.rate_limited:4}  {r.rate_limited / max(r.requests, 1):5.1%}  "
            f"{r.duplicates:10}  {r.losses:6}"
        )
    print(f"finding {found} due among {args.scan_people} schedules: {scan_seconds * 1000:.1f} ms")
    return results


def _backend(url: str) -> str:
    return url.split(":", 1)[0]


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
