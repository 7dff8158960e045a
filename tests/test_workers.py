"""`okrbot serve --workers N`: several processes answer on one port, a worker that dies is
replaced, and a worker that cannot start stops okrbot with a clear error."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from okrbot.adapters.slack.simulator import SlackSimulator
from tests.test_faults import (
    SECRET,
    Serve,
    free_port,
    healthy,
    serving_slack,
    slack_id,
    sqlite_copy,
    stop,
    wait_for,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; SO_REUSEPORT"),
]
PEOPLE = 30


def worker_pids(parent: int) -> set[int]:
    """The supervisor's worker processes (not multiprocessing's resource tracker)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent and b"spawn_main" in command:
            found.add(int(stat.parent.name))
    return found


def serving(serve: Serve, workers: set[int]) -> bool:
    """Every worker has said it is serving (the console may wrap the line)."""
    said = " ".join(serve.output().split())
    return all(f"worker {pid})" in said for pid in workers)


async def overviews(slack: SlackSimulator, people: range) -> list[tuple[int, bool]]:
    replies = await asyncio.gather(*(slack.command(slack_id(n), "/okr") for n in people))
    return [(reply.status, "KR" in reply.body) for reply in replies]


async def test_workers_share_the_port_and_a_killed_worker_is_replaced(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database = sqlite_copy(sqlite_template, tmp_path)
    async with serving_slack(database, PEOPLE, "--workers", "2") as (serve, slack, _sandbox):
        await wait_for(lambda: len(worker_pids(serve.pid)) == 2, 30, "two workers")
        first = worker_pids(serve.pid)
        # Both serving (a worker killed while it starts is a failed start, which stops okrbot).
        await wait_for(lambda: serving(serve, first), 60, "both workers serving")
        assert await overviews(slack, range(1, PEOPLE + 1)) == [(200, True)] * PEOPLE
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        await wait_for(
            lambda: len(worker_pids(serve.pid) - {victim}) == 2, 60, "a replacement worker"
        )
        await wait_for(lambda: healthy(serve), 60, "healthy again")
        assert await overviews(slack, range(1, PEOPLE + 1)) == [(200, True)] * PEOPLE
        workers = worker_pids(serve.pid)
        stderr = await stop(serve)
    assert victim not in workers and len(workers) == 2
    assert f"worker {victim} exited with code -{int(signal.SIGKILL)}; starting another" in stderr
    assert serve.returncode == 0, stderr
    assert not worker_pids(serve.pid)  # SIGTERM reached the workers and they finished
    await database.dispose()


async def test_workers_that_cannot_start_stop_okrbot_with_a_clear_error(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database = sqlite_copy(sqlite_template, tmp_path)
    with socket.socket() as taken:  # another program holds the port, without SO_REUSEPORT
        port = free_port()
        taken.bind(("127.0.0.1", port))
        taken.listen()
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "okrbot", "serve", "--workers", "2", "--port", str(port)],
            env={
                "PATH": "/usr/bin:/bin",
                "OKRBOT_DATABASE_URL": database.url,
                "SLACK_BOT_TOKEN": "xoxb-sandbox-token",
                "SLACK_SIGNING_SECRET": SECRET,
                "OKRBOT_LOG_LEVEL": "WARNING",
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1
    assert "address already in use" in done.stderr.lower()
    assert "a worker exited with code 1 while starting" in done.stderr
    await database.dispose()
