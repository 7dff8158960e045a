"""Ack latency: how fast `okrbot serve` answers Slack, next to a bare Bolt app that only acks.

    python -m bench.ack_latency [--people 10000] [--requests 200 500] [--concurrency 1 50]

Slack waits three seconds for an answer to a slash command, a button click or a modal
submission, and a person waits with it. This starts a real `okrbot serve` on a seeded SQLite
database and, next to it, bench/bare_bolt.py (the same Bolt configuration with listeners that
only ack), then sends both the same signed requests over loopback HTTP — /okr, the check-in
button, a valid check-in submission for the person who clicked — at each concurrency level, and
measures the time to the HTTP response on the client. The ratio to bare Bolt, taken in the same
run on the same machine, is the figure that travels between machines; the absolute p99 is for
the 50 ms aim.

The Slack sandbox that answers the bot's Web API calls (views.open after the click, the summary
DM after a check-in) runs on the client's event loop, as in the end-to-end tests. The bot's
posting rate is set high so that the summary DMs of hundreds of check-ins a second do not queue
behind Slack's limit; that queue is the fan-out benchmark's subject, not this one's.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select, text

from bench.fanout import seed_people
from okrbot.adapters.slack import render
from okrbot.adapters.slack.sandbox import SlackSandbox
from okrbot.adapters.slack.simulator import Reply, SlackSimulator
from okrbot.bot.checkins import CHECK_IN, CONFIDENCE_CHOICES, FORM_ID, input_id
from okrbot.bot.messages import ChoiceInput, Form, NumberInput
from okrbot.storage.db import Database
from okrbot.storage.models import CheckInRow, KeyResultRow, PersonRow

SIGNING_SECRET = "bench-signing-secret"
TOKEN = "xoxb-sandbox-token"
KINDS = ("command", "click", "submit")
TARGETS = ("okrbot", "bolt")
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Latency:
    """One target × kind × concurrency: client-side time to the HTTP response."""

    target: str
    kind: str
    concurrency: int
    requests: int
    failures: int
    p50_ms: float
    p99_ms: float
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class AckReport:
    people: int
    latencies: list[Latency] = field(default_factory=list)
    checkins_stored: int = 0
    # Submissions okrbot acked, each a different person's check-in: every one must be stored
    # by the time `okrbot serve` has shut down (it finishes acked work before it exits).
    checkins_acked: int = 0

    def find(self, target: str, kind: str, concurrency: int) -> Latency | None:
        for latency in self.latencies:
            if (latency.target, latency.kind, latency.concurrency) == (target, kind, concurrency):
                return latency
        return None

    def ratio(self, kind: str, concurrency: int) -> tuple[float, float] | None:
        """okrbot's p50 and p99 as multiples of bare Bolt's."""
        ours, bare = self.find("okrbot", kind, concurrency), self.find("bolt", kind, concurrency)
        if ours is None or bare is None:
            return None
        return ours.p50_ms / bare.p50_ms, ours.p99_ms / bare.p99_ms


@dataclass(frozen=True)
class Person:
    slack_user_id: str
    email: str
    key_result_id: int


def percentile(samples: Sequence[float], share: float) -> float:
    """Nearest-rank percentile: the smallest sample at or above `share` of them."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def seed_world(url: str, people: int) -> list[Person]:
    """People on Slack with one key result each in this quarter; nobody due for a prompt, so
    the scheduler tick inside `okrbot serve` stays idle while we measure."""
    database = Database(url)
    await database.upgrade()
    await database.dispose()
    await seed_people(url, people, datetime.now(UTC).replace(microsecond=0))
    database = Database(url)
    async with database.transaction() as session:
        await session.execute(
            text("UPDATE schedules SET next_at = :later"),
            {"later": datetime.now(UTC) + timedelta(days=30)},
        )
    async with database.reading() as session:
        rows = (
            await session.execute(
                select(PersonRow.slack_user_id, PersonRow.email, KeyResultRow.id)
                .join(KeyResultRow, KeyResultRow.owner_id == PersonRow.id)
                .order_by(PersonRow.id)
            )
        ).all()
    await database.dispose()
    return [Person(str(user), email, int(kr)) for user, email, kr in rows]


async def count_checkins(url: str) -> int:
    database = Database(url)
    async with database.reading() as session:
        count = await session.scalar(select(func.count()).select_from(CheckInRow))
    await database.dispose()
    return int(count or 0)


@contextmanager
def process(
    command: list[str], env: dict[str, str], cwd: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A server child; its stderr goes to a file (a pipe nobody reads would fill and block it),
    and is shown afterwards if it holds an error."""
    with tempfile.TemporaryFile() as stderr:
        child = subprocess.Popen(
            command, env={**os.environ, **env}, cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr
        )
        try:
            yield child
        finally:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
                try:
                    child.wait(15)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
            stderr.seek(0)
            errors = stderr.read().decode(errors="replace").strip()
            # Bolt warns that SLACK_BOT_TOKEN is unused next to a client, and about every late
            # ack (counted as failures anyway); the first error is what is worth showing.
            starts = [errors.find(mark) for mark in ("Traceback", " ERROR ")]
            first = min((start for start in starts if start >= 0), default=-1)
            if first >= 0:
                print(
                    f"{command[2]} said on stderr:\n{errors[first : first + 3000]}", file=sys.stderr
                )


async def wait_healthy(base_url: str, child: subprocess.Popen[bytes], seconds: float = 60) -> None:
    async with aiohttp.ClientSession() as session:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if child.poll() is not None:
                raise RuntimeError(f"{base_url}: the server exited with {child.returncode}")
            try:
                async with session.get(f"{base_url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{base_url}/healthz did not answer within {seconds:.0f} s")


@asynccontextmanager
async def servers(
    url: str, sandbox: SlackSandbox, folder: Path, workers: int = 1
) -> AsyncIterator[dict[str, str]]:
    """`okrbot serve` and bare Bolt, both healthy; yields their /slack/events URLs by target."""
    env = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "OKRBOT_SLACK_API_URL": sandbox.url,
        "OKRBOT_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    ours, bare = free_port(), free_port()
    okrbot_env = {**env, "OKRBOT_DATABASE_URL": url, "OKRBOT_SLACK_POST_RATE": "1000000"}
    serve = [sys.executable, "-m", "okrbot", "serve", "--host", "127.0.0.1", "--port", str(ours)]
    serve += ["--workers", str(workers)]
    bolt = [sys.executable, "-m", "bench.bare_bolt", "--port", str(bare)]
    # okrbot runs in the temp dir so that no okrbot.toml of the working directory applies.
    with process(serve, okrbot_env, folder) as okrbot, process(bolt, env, REPO_ROOT) as baseline:
        await asyncio.gather(
            wait_healthy(f"http://127.0.0.1:{ours}", okrbot),
            wait_healthy(f"http://127.0.0.1:{bare}", baseline),
        )
        yield {
            "okrbot": f"http://127.0.0.1:{ours}/slack/events",
            "bolt": f"http://127.0.0.1:{bare}/slack/events",
        }


def prompt_message(period: str) -> dict[str, Any]:
    """The part of a weekly prompt a click carries: its ts and the Check in button."""
    return {
        "ts": f"{time.time():.6f}",
        "blocks": [
            {
                "type": "actions",
                "block_id": "prompt-actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": CHECK_IN,
                        "value": period,
                        "text": {"type": "plain_text", "text": "Check in"},
                    }
                ],
            }
        ],
    }


def checkin_view(key_result_id: int) -> dict[str, Any]:
    """A one-key-result check-in modal, rendered by okrbot's own renderer."""
    form = Form(
        id=FORM_ID,
        title="Weekly check-in",
        submit_label="Check in",
        items=(
            NumberInput(input_id(key_result_id, "value"), "New value", initial=12),
            ChoiceInput(input_id(key_result_id, "confidence"), "Confidence", CONFIDENCE_CHOICES),
        ),
    )
    return render.modal(form, {"page": 0})


Send = Callable[[int], Awaitable[Reply]]


def sender(simulator: SlackSimulator, kind: str, people: Sequence[Person], offset: int) -> Send:
    """Request number i of `kind`, from person (offset + i) — each person checks in once per
    run, so every submission is a new, valid check-in for the one who sends it."""
    period = datetime.now(UTC).strftime("%G-W%V")

    async def send(i: int) -> Reply:
        person = people[(offset + i) % len(people)]
        user = person.slack_user_id
        if kind == "command":
            return await simulator.command(user, "/okr")
        if kind == "click":
            return await simulator.click(user, prompt_message(period), CHECK_IN, f"D{user}")
        view = checkin_view(person.key_result_id)
        answers = {
            input_id(person.key_result_id, "value"): "15",
            input_id(person.key_result_id, "confidence"): "on_track",
        }
        return await simulator.submit(user, view, answers)

    return send


def acked(reply: Reply) -> bool:
    return reply.status == 200 and '"errors"' not in reply.body


async def load(send: Send, requests: int, concurrency: int) -> tuple[list[float], int, float]:
    """`concurrency` clients, each sending its next request as soon as the last is answered."""
    latencies: list[float] = []
    failures = 0
    numbers = itertools.count()

    async def client() -> None:
        nonlocal failures
        while (i := next(numbers)) < requests:
            started = time.perf_counter()
            reply = await send(i)
            latencies.append(time.perf_counter() - started)
            failures += not acked(reply)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, failures, time.perf_counter() - started


async def measure(
    people: int,
    requests: Sequence[int] = (200, 500),
    concurrency: Sequence[int] = (1, 50),
    targets: Sequence[str] = TARGETS,
    warmup: int = 30,
    workers: int = 1,
) -> AckReport:
    """Latencies against `okrbot serve --workers {workers}` and bare Bolt, taken in turns."""
    report = AckReport(people)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'ack.db'}"
        world = await seed_world(url, people)
        sandbox = SlackSandbox(token=TOKEN)
        for person in world:
            sandbox.add_user(person.slack_user_id, person.slack_user_id.lower(), person.email)
        await sandbox.start()
        simulators: list[SlackSimulator] = []
        try:
            async with servers(url, sandbox, Path(folder), workers) as urls:
                offset = 0
                for target in targets:
                    simulator = SlackSimulator(urls[target], SIGNING_SECRET, sandbox)
                    simulators.append(simulator)
                    for kind in KINDS:
                        send = sender(simulator, kind, world, offset)
                        _, failures, _ = await load(send, warmup, 5)
                        if (target, kind) == ("okrbot", "submit"):
                            report.checkins_acked += warmup - failures
                    offset += warmup
                for level, count in zip(concurrency, requests, strict=True):
                    for kind in KINDS:
                        # Alternate the targets kind by kind, so that both see the same machine.
                        for target, simulator in zip(targets, simulators, strict=True):
                            send = sender(simulator, kind, world, offset)
                            latencies, failures, seconds = await load(send, count, level)
                            offset += count
                            if (target, kind) == ("okrbot", "submit"):
                                report.checkins_acked += count - failures
                            report.latencies.append(
                                Latency(
                                    target,
                                    kind,
                                    level,
                                    count,
                                    failures,
                                    percentile(latencies, 0.50) * 1000,
                                    percentile(latencies, 0.99) * 1000,
                                    seconds,
                                )
                            )
        finally:
            for simulator in simulators:
                await simulator.close()
            await sandbox.stop()
        report.checkins_stored = await count_checkins(url)
    return report


def print_report(report: AckReport) -> None:
    print(f"ack latency, {report.people} people in the database (SQLite), client-side ms")
    print("kind     clients  okrbot p50   p99   bolt p50   p99   ratio p50  p99  failures")
    for level in sorted({latency.concurrency for latency in report.latencies}):
        for kind in KINDS:
            ours = report.find("okrbot", kind, level)
            bare = report.find("bolt", kind, level)
            ratio = report.ratio(kind, level)
            if ours is None or bare is None or ratio is None:
                continue
            print(
                f"{kind:8} {level:7}  {ours.p50_ms:10.1f} {ours.p99_ms:5.1f}  "
                f"{bare.p50_ms:8.1f} {bare.p99_ms:5.1f}  {ratio[0]:9.2f} {ratio[1]:4.2f}  "
                f"{ours.failures + bare.failures:8}"
            )
    print(
        f"check-ins stored by okrbot: {report.checkins_stored} "
        f"(submissions acked: {report.checkins_acked})"
    )


def main(argv: list[str] | None = None) -> AckReport:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--requests", type=int, nargs="+", default=[200, 500])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 50])
    parser.add_argument("--workers", type=int, default=1, help="okrbot serve --workers N")
    args = parser.parse_args(argv)
    report = asyncio.run(
        measure(args.people, args.requests, args.concurrency, workers=args.workers)
    )
    print_report(report)
    return report


if __name__ == "__main__":
    main()
