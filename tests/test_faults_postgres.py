"""PostgreSQL restarted in the middle of a fan-out: `okrbot serve` rides it out.

Ticks fail while the server is down (logged, retried on the next tick); afterwards the pool's
pre-ping replaces the dead connections, and every prompt reaches Slack exactly once, also the
ones whose "sent" could not be recorded (the retry finds its outbox key in the DM first).

It restarts the PostgreSQL cluster the tests use, so it runs only against a local cluster that
`pg_ctlcluster` controls, only when OKRBOT_TEST_RESTART_POSTGRES=1 (`.ci/run` sets it; on a
shared cluster a restart would break other test runs), and always leaves it running.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from okrbot.adapters.slack.sandbox import SlackSandbox
from okrbot.storage.db import Database
from tests.test_faults import (
    posts_per_channel,
    prompt_statuses,
    seed,
    slack_id,
    start_serve,
    stop,
    wait_for,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
PEOPLE = 150


def cluster(url: str) -> tuple[str, str] | None:
    """The local cluster (version, name) behind `url`, if pg_ctlcluster can restart it."""
    local = make_url(url).host in ("127.0.0.1", "localhost")
    if shutil.which("pg_ctlcluster") is None or not local:
        return None
    versions = sorted(p.name for p in Path("/etc/postgresql").glob("*") if (p / "main").is_dir())
    return (versions[-1], "main") if versions else None


def pg_ctl(version: str, name: str, action: str) -> None:
    """`immediate`: like a crash, recovered on start. A `fast` stop here sometimes sat 60 s
    after its shutdown checkpoint and pg_ctl gave up ("server does not shut down")."""
    done = subprocess.run(
        [
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            "--mode",
            "immediate",
            version,
            name,
            action,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def ready(url: str) -> bool:
    parsed = make_url(url)
    probe = ["pg_isready", "-h", str(parsed.host), "-p", str(parsed.port or 5432)]
    return subprocess.run(probe, capture_output=True, timeout=10).returncode == 0


async def wait_until_ready(url: str, seconds: float = 60) -> None:
    await wait_for(lambda: ready(url), seconds, "PostgreSQL accepting connections")


async def test_postgres_restarted_mid_fan_out_sends_each_prompt_once(
    postgres_database: Database,
) -> None:
    if os.environ.get("OKRBOT_TEST_RESTART_POSTGRES") != "1":
        pytest.skip("restarts PostgreSQL; set OKRBOT_TEST_RESTART_POSTGRES=1 to run it")
    target = cluster(postgres_database.url)
    if target is None:
        pytest.skip("needs a local PostgreSQL cluster that pg_ctlcluster can restart")
    await seed(postgres_database, PEOPLE, datetime.now(UTC) - timedelta(seconds=1))
    sandbox = SlackSandbox()
    for n in range(1, PEOPLE + 1):
        sandbox.add_user(slack_id(n), f"p{n}", f"p{n}@example.com")
    # Slow posts, so that the restart lands mid-fan-out with posts in flight.
    sandbox.fail_next("chat.postMessage", delay=0.03, count=10**6)
    await sandbox.start()
    serve = start_serve(postgres_database.url, sandbox.url)
    try:
        await wait_for(lambda: len(sandbox.calls_to("chat.postMessage")) >= PEOPLE // 4, 60, "1/4")
        restarted_at = len(posts_per_channel(sandbox))
        try:
            await asyncio.to_thread(pg_ctl, *target, "restart")
        finally:
            if not ready(postgres_database.url):
                await asyncio.to_thread(pg_ctl, *target, "start")
            await wait_until_ready(postgres_database.url)
        try:
            await wait_for(lambda: _all_sent(postgres_database), 120, "every prompt sent")
        except TimeoutError:
            statuses = await prompt_statuses(postgres_database)
            serve.kill()
            raise AssertionError(f"not all sent: {statuses}\n{await stop(serve)}") from None
        assert serve.poll() is None  # it rode the outage out
        stderr = await stop(serve)
    finally:
        if serve.poll() is None:
            serve.kill()
        await sandbox.stop()
        if not ready(postgres_database.url):
            await asyncio.to_thread(pg_ctl, *target, "start")
            await wait_until_ready(postgres_database.url)
    assert serve.returncode == 0, stderr
    assert restarted_at < PEOPLE  # the restart really happened mid-run
    per_person = posts_per_channel(sandbox)
    assert len(per_person) == PEOPLE  # nobody lost
    assert max(per_person.values()) == 1  # nobody doubled
    assert await prompt_statuses(postgres_database) == {"sent": PEOPLE}


async def _all_sent(database: Database) -> bool:
    try:
        return await prompt_statuses(database) == {"sent": PEOPLE}
    except (OSError, DBAPIError):
        return False  # this process's own connections also died in the restart
