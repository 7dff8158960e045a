"""The outbox: idempotent enqueue, leased claims, retries with backoff, parking, manual retry."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import DBAPIError, OperationalError
from typer.testing import CliRunner

from okrbot.bot.clock import FakeClock
from okrbot.bot.delivery import (
    Deferred,
    PermanentDeliveryError,
    Throttled,
    TransientDeliveryError,
)
from okrbot.cli.common import console
from okrbot.cli.main import app
from okrbot.scheduler.cadence import PLAN_BATCH
from okrbot.scheduler.outbox import (
    CLAIM_BATCH,
    LEASE,
    MAX_ATTEMPTS,
    PENDING,
    SEND_CONCURRENCY,
    SENT,
    Delivery,
    Outbox,
    database_unreachable,
    enqueue,
    list_deliveries,
)
from okrbot.scheduler.ticker import BUSY_CONCURRENCY, BUSY_PLAN_BATCH, Ticker, TickReport
from okrbot.storage.db import Database
from okrbot.storage.events import first_time

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


@dataclass
class ScriptedCourier:
    """Fails as told, then succeeds; records every attempt."""

    failures: list[Exception] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    attempts: int = 0

    async def deliver(self, delivery: Delivery) -> None:
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.append(delivery.key)


async def add(database: Database, *keys: str, due: datetime = NOW) -> None:
    async with database.transaction() as session:
        for key in keys:
            await enqueue(session, key=key, kind="prompt", due_at=due)


async def test_enqueue_is_idempotent(database: Database) -> None:
    async with database.transaction() as session:
        assert await enqueue(session, key="prompt:1:2026-W47", kind="prompt", due_at=NOW)
        assert not await enqueue(session, key="prompt:1:2026-W47", kind="prompt", due_at=NOW)
    assert len(await list_deliveries(database)) == 1


async def test_only_due_rows_are_sent(database: Database) -> None:
    clock = FakeClock(NOW)
    await add(database, "now")
    await add(database, "later", due=NOW + timedelta(hours=1))
    courier = ScriptedCourier()
    assert await Outbox(database, clock).deliver_due(courier) == 1
    assert courier.delivered == ["now"]
    clock.advance(timedelta(hours=1))
    assert await Outbox(database, clock).deliver_due(courier) == 1
    assert await Outbox(database, clock).deliver_due(courier) == 0


async def test_concurrent_claims_never_overlap(database: Database) -> None:
    clock = FakeClock(NOW)
    await add(database, *(f"k{n}" for n in range(60)))
    outboxes = [Outbox(database, clock, worker=f"w{n}") for n in range(4)]
    claims = await asyncio.gather(*(outbox.claim(limit=20) for outbox in outboxes))
    keys = [d.key for claim in claims for d in claim]
    assert len(keys) == len(set(keys)) == 60


async def test_a_crashed_senders_lease_expires_and_the_row_is_retried(database: Database) -> None:
    clock = FakeClock(NOW)
    await add(database, "orphan")
    crashed = Outbox(database, clock, worker="crashed")
    assert [d.key for d in await crashed.claim()] == ["orphan"]  # then it dies, never finishing
    survivor, courier = Outbox(database, clock, worker="survivor"), ScriptedCourier()
    assert await survivor.deliver_due(courier) == 0  # still leased
    clock.advance(LEASE + timedelta(seconds=1))
    assert await survivor.deliver_due(courier) == 1
    assert courier.delivered == ["orphan"]


async def test_transient_failures_back_off_and_honour_retry_after(database: Database) -> None:
    clock = FakeClock(NOW)
    await add(database, "flaky")
    courier = ScriptedCourier(
        failures=[TransientDeliveryError("HTTP 500"), TransientDeliveryError("429", 600)]
    )
    outbox = Outbox(database, clock)
    assert await outbox.deliver_due(courier) == 0
    [row] = await list_deliveries(database)
    assert row.status == "pending" and row.due_at == NOW + timedelta(seconds=5)
    clock.advance(timedelta(seconds=5))
    assert await outbox.deliver_due(courier) == 0
    [row] = await list_deliveries(database)
    assert row.due_at == clock.now() + timedelta(seconds=600)  # Retry-After beats the backoff
    clock.advance(timedelta(seconds=600))
    assert await outbox.deliver_due(courier) == 1
    assert courier.delivered == ["flaky"] and courier.attempts == 3


async def test_throttling_is_waiting_not_failing(database: Database) -> None:
    """Twice as many 429s as a row has attempts: it is still sent, each one honoured."""
    clock = FakeClock(NOW)
    await add(database, "busy")
    throttles = [Throttled("Slack rate limit (ratelimited)", 5) for _ in range(2 * MAX_ATTEMPTS)]
    courier = ScriptedCourier(failures=[*throttles])
    outbox = Outbox(database, clock)
    for _ in range(2 * MAX_ATTEMPTS):
        assert await outbox.deliver_due(courier) == 0
        [row] = await list_deliveries(database)
        assert row.status == "pending" and row.attempts == 0
        assert row.due_at == clock.now() + timedelta(seconds=5)  # Retry-After, no backoff
        clock.advance(timedelta(seconds=5))
    assert await outbox.deliver_due(courier) == 1
    [row] = await list_deliveries(database)
    assert (row.status, row.attempts, courier.delivered) == ("sent", 1, ["busy"])


async def test_a_sender_that_lost_its_lease_cannot_overwrite_the_new_holder(
    database: Database,
) -> None:
    """A send hangs past its lease; another replica takes the row, fails it for good; the
    first sender's late success changes nothing, and neither does its late failure."""
    clock = FakeClock(NOW)
    await add(database, "slow")
    started, release = asyncio.Event(), asyncio.Event()

    class Hanging:
        async def deliver(self, delivery: Delivery) -> None:
            started.set()
            await release.wait()

    slow = Outbox(database, clock, worker="slow", renew_every=3600)
    first = asyncio.create_task(slow.deliver_due(Hanging()))
    await started.wait()
    clock.advance(LEASE + timedelta(seconds=1))
    other = Outbox(database, clock, worker="other")

    class Refused:
        async def deliver(self, delivery: Delivery) -> None:
            raise PermanentDeliveryError("Slack: channel_not_found")

    assert await other.deliver_due(Refused()) == 0
    release.set()
    assert await first == 0  # its success was not recorded
    [row] = await list_deliveries(database)
    assert (row.status, row.last_error) == ("failed", "Slack: channel_not_found")
    assert slow.lost_leases == 1


async def test_a_long_send_keeps_its_lease_while_it_runs(database: Database) -> None:
    clock = FakeClock(NOW)
    await add(database, "throttled")
    started, release = asyncio.Event(), asyncio.Event()

    class Waiting:
        async def deliver(self, delivery: Delivery) -> None:
            started.set()
            await release.wait()

    class Watched(Outbox):
        renewed = asyncio.Event()

        async def renew(self, delivery: Delivery) -> bool:
            kept = await super().renew(delivery)
            self.renewed.set()
            return kept

    sender = Watched(database, clock, worker="sender", renew_every=0.01)
    running = asyncio.create_task(sender.deliver_due(Waiting()))
    await started.wait()
    clock.advance(LEASE + timedelta(seconds=1))  # past the first lease...
    for _ in range(2):  # ...but the sender renews it while it waits (twice: one may be mid-way)
        sender.renewed.clear()
        await asyncio.wait_for(sender.renewed.wait(), 10)
    [row] = await list_deliveries(database)
    assert row.lease_until == clock.now() + LEASE
    other, courier = Outbox(database, clock, worker="other"), ScriptedCourier()
    assert await other.deliver_due(courier) == 0 and courier.attempts == 0
    release.set()
    assert await running == 1
    [row] = await list_deliveries(database)
    assert row.status == "sent"


async def test_after_the_last_attempt_the_row_is_parked_and_can_be_retried(
    database: Database,
) -> None:
    clock = FakeClock(NOW)
    await add(database, "doomed", "blocked")

    class Failing:
        async def deliver(self, delivery: Delivery) -> None:
            if delivery.key == "blocked":
                raise PermanentDeliveryError("Teams: MessageWritesBlocked")
            raise TransientDeliveryError("down")

    outbox = Outbox(database, clock)
    for _ in range(MAX_ATTEMPTS + 2):
        await outbox.deliver_due(Failing())
        clock.advance(timedelta(hours=2))
    rows = {row.key: row for row in await list_deliveries(database)}
    assert rows["blocked"].status == "failed" and rows["blocked"].attempts == 1
    assert rows["doomed"].status == "failed" and rows["doomed"].attempts == MAX_ATTEMPTS
    assert "down" in (rows["doomed"].last_error or "")
    courier = ScriptedCourier()
    assert await outbox.deliver_due(courier) == 0  # parked rows are left alone
    assert await outbox.retry(rows["doomed"].id)
    assert await outbox.deliver_due(courier) == 1 and courier.delivered == ["doomed"]


async def test_a_send_is_retried_within_seconds_and_rides_out_a_25_minute_outage(
    database: Database,
) -> None:
    clock = FakeClock(NOW)
    await add(database, "prompt")
    back_at = NOW + timedelta(minutes=25)

    class DownFor25Minutes:
        def __init__(self) -> None:
            self.delivered: list[str] = []

        async def deliver(self, delivery: Delivery) -> None:
            if clock.now() < back_at:
                raise TransientDeliveryError("Slack: 503")
            self.delivered.append(delivery.key)

    courier, outbox = DownFor25Minutes(), Outbox(database, clock)
    await outbox.deliver_due(courier)
    [row] = await list_deliveries(database)
    assert row.due_at == NOW + timedelta(seconds=5)  # a blip costs seconds, not half a minute
    while (row := (await list_deliveries(database))[0]).status == "pending":
        clock.advance(row.due_at - clock.now())
        await outbox.deliver_due(courier)
    assert row.status == "sent" and courier.delivered == ["prompt"]
    assert row.attempts == MAX_ATTEMPTS


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, sqlite_database: Database) -> Database:
    monkeypatch.setenv("OKRBOT_DATABASE_URL", sqlite_database.url)
    return sqlite_database


def test_outbox_cli_lists_failures_and_retries(
    cli_env: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "width", 200)

    async def park() -> int:
        clock = FakeClock(NOW)
        await add(cli_env, "prompt:9:2026-W47")
        await Outbox(cli_env, clock).deliver_due(
            ScriptedCourier(failures=[PermanentDeliveryError("Slack: channel_not_found")])
        )
        [row] = await list_deliveries(cli_env)
        await cli_env.dispose()
        return row.id

    delivery_id = asyncio.run(park())
    runner = CliRunner()
    listed = runner.invoke(app, ["outbox", "list", "--failed"])
    assert listed.exit_code == 0, listed.output
    assert "prompt:9" not in listed.output  # rows show kind and person, not raw keys
    assert "failed" in listed.output and "channel_not_found" in listed.output
    retried = runner.invoke(app, ["outbox", "retry", str(delivery_id)])
    assert retried.exit_code == 0 and "next scheduler tick" in retried.output
    missing = runner.invoke(app, ["outbox", "retry", "999"])
    assert missing.exit_code == 1 and "no failed or pending delivery 999" in missing.output


def test_outbox_list_says_why_a_message_waits_and_until_when(
    cli_env: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "width", 250)

    async def hold() -> None:
        await add(cli_env, "nudge:1:2026-W47", "prompt:2:2026-W47", "prompt:3:2026-W47")
        monday = datetime(2026, 11, 16, 23, 0, tzinfo=UTC)
        await Outbox(cli_env, FakeClock(NOW)).deliver_due(
            ScriptedCourier(
                failures=[
                    Deferred("quiet hours until Tue 08:00 (Asia/Tokyo)", monday),
                    Throttled("Slack rate limit (429)", 30),
                    TransientDeliveryError("Slack: 503"),
                ]
            ),
            concurrency=1,
        )
        rows = await list_deliveries(cli_env)
        assert {row.due_at for row in rows} >= {monday, NOW + timedelta(seconds=5)}
        await cli_env.dispose()

    asyncio.run(hold())
    listed = CliRunner().invoke(app, ["outbox", "list"])
    assert listed.exit_code == 0, listed.output
    assert "waiting: quiet hours until Tue 08:00 (Asia/Tokyo)" in listed.output
    assert "waiting: throttled until 09:00:30 UTC: Slack rate limit (429)" in listed.output
    assert "will retry; last error: Slack: 503" in listed.output


@dataclass
class GatedCourier:
    """Each send waits until the test lets one finish; says when the number under way changes."""

    started: list[str] = field(default_factory=list)
    finished: int = 0
    gate: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(0))
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def deliver(self, delivery: Delivery) -> None:
        async with self.changed:
            self.started.append(delivery.key)
            self.changed.notify_all()
        await self.gate.acquire()
        async with self.changed:
            self.finished += 1
            self.changed.notify_all()

    async def until_under_way(self, count: int) -> None:
        async with asyncio.timeout(10), self.changed:
            await self.changed.wait_for(lambda: len(self.started) - self.finished == count)


async def test_a_fan_out_keeps_every_sending_slot_busy_across_claim_batches(
    database: Database,
) -> None:
    keys = [f"prompt:{n:02d}" for n in range(45)]  # over two claims of 20
    await add(database, *keys)
    courier = GatedCourier()
    sending = asyncio.create_task(Outbox(database, FakeClock(NOW)).deliver_for(courier, 60, 8))
    for finished in range(len(keys)):
        # Eight at a time until fewer than eight are left: no slot waits for a batch's last send.
        await courier.until_under_way(min(8, len(keys) - finished))
        courier.gate.release()
    assert await sending == len(keys)
    assert sorted(courier.started) == keys  # each once


async def test_a_pass_past_its_time_finishes_what_it_claimed_and_claims_no_more(
    database: Database,
) -> None:
    await add(database, *(f"prompt:{n:02d}" for n in range(30)))
    courier = ScriptedCourier()
    outbox = Outbox(database, FakeClock(NOW))
    assert await outbox.deliver_for(courier, 0, 8) == 0  # no time: nothing claimed
    assert await outbox.deliver_for(courier, 60, 8) == 30
    assert len(courier.delivered) == 30


async def test_a_lost_database_connection_is_one_line_in_the_log_and_the_send_is_retried(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await add(database, "prompt:1")
    lost = OperationalError("SELECT 1", None, ConnectionRefusedError("connection refused"))
    courier = ScriptedCourier(failures=[lost, RuntimeError("a bug")])
    clock = FakeClock(NOW)
    outbox = Outbox(database, clock)
    with caplog.at_level(logging.WARNING, logger="okrbot.scheduler.outbox"):
        assert await outbox.deliver_due(courier) == 0
    unreachable = [r for r in caplog.records if "database unreachable" in r.getMessage()]
    assert len(unreachable) == 1 and unreachable[0].exc_info is None
    caplog.clear()
    clock.advance(timedelta(minutes=5))
    with caplog.at_level(logging.WARNING, logger="okrbot.scheduler.outbox"):
        assert await outbox.deliver_due(courier) == 0
    crashed = [r for r in caplog.records if "crashed" in r.getMessage()]
    assert len(crashed) == 1 and crashed[0].exc_info is not None  # a bug keeps its traceback
    clock.advance(timedelta(minutes=5))
    assert await outbox.deliver_due(courier) == 1
    assert courier.delivered == ["prompt:1"]


class ServerStartingUp(Exception):
    """Like asyncpg's CannotConnectNowError: a PostgreSQL error carrying its SQLSTATE."""

    sqlstate = "57P03"


def wrapped(cause: BaseException) -> DBAPIError:
    """What SQLAlchemy raises: the driver's error as `orig`, its own cause behind that."""
    driver_error = Exception(str(cause))
    driver_error.__cause__ = cause
    return DBAPIError("SELECT 1", None, driver_error)


def test_what_counts_as_the_database_being_unreachable() -> None:
    assert database_unreachable(wrapped(ServerStartingUp("the database system is starting up")))
    assert database_unreachable(wrapped(ConnectionResetError("reset by peer")))
    assert database_unreachable(ConnectionRefusedError("connect call failed"))
    assert not database_unreachable(wrapped(ValueError("invalid input syntax")))
    assert not database_unreachable(RuntimeError("a bug"))


class FailingTicker(Ticker):
    """A tick that fails the way it is told to."""

    def __init__(self, error: Exception) -> None:
        super().__init__(None, None, None)  # type: ignore[arg-type]
        self.error = error

    async def tick(self, budget: timedelta = timedelta(minutes=5)) -> TickReport:
        raise self.error


async def test_a_failed_tick_is_logged_and_the_next_tick_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="okrbot.scheduler.ticker"):
        await FailingTicker(wrapped(ConnectionResetError("reset by peer"))).safe_tick()
        await FailingTicker(RuntimeError("a bug")).safe_tick()
    outage, bug = caplog.records
    assert "database unreachable" in outage.getMessage() and outage.exc_info is None
    assert "tick failed" in bug.getMessage() and bug.exc_info is not None


async def test_the_scheduler_forgets_old_inbound_events_once_an_hour(database: Database) -> None:
    clock = FakeClock(NOW)
    assert await first_time(database, "slack:Ev-old", NOW - timedelta(days=2))
    assert await first_time(database, "slack:Ev-new", NOW - timedelta(hours=2))
    outbox = Outbox(database, clock)
    ticker = Ticker(cadence=None, outbox=outbox, courier=ScriptedCourier())  # type: ignore[arg-type]
    assert await ticker.prune() == 1
    assert await first_time(database, "slack:Ev-old", NOW)  # forgotten: would act again
    assert not await first_time(database, "slack:Ev-new", NOW)  # still remembered
    clock.advance(timedelta(minutes=59))
    assert await ticker.prune() == 0  # at most once an hour
    clock.advance(timedelta(days=1))
    assert await ticker.prune() == 2


async def test_what_a_person_waits_for_is_sent_once_committed_ahead_of_the_backlog(
    database: Database,
) -> None:
    outbox = Outbox(database, FakeClock(NOW))
    courier = ScriptedCourier()
    arrived = asyncio.Event()

    class Signalling:
        async def deliver(self, delivery: Delivery) -> None:
            await courier.deliver(delivery)
            arrived.set()

    await add(database, "prompt:backlog")  # due, but the tick's to send
    sender = asyncio.create_task(outbox.send_when_woken(Signalling()))
    try:
        with pytest.raises(RuntimeError):
            async with database.transaction() as session:
                await enqueue(session, key="kudos_dm:gone", kind="kudos_dm", due_at=NOW, wake=True)
                raise RuntimeError("rolled back: nothing to send")
        async with database.transaction() as session:
            await enqueue(session, key="kudos_dm:1", kind="kudos_dm", due_at=NOW, wake=True)
        await asyncio.wait_for(arrived.wait(), 10)
    finally:
        outbox.stop_sending()  # returns once what it is sending is settled
        await asyncio.wait_for(sender, 10)
    assert courier.delivered == ["kudos_dm:1"]
    statuses = {row.key: row.status for row in await list_deliveries(database)}
    assert statuses == {"prompt:backlog": PENDING, "kudos_dm:1": SENT}


async def test_the_fan_out_narrows_to_two_sends_while_people_are_being_answered(
    database: Database,
) -> None:
    keys = [f"prompt:{n:02d}" for n in range(12)]
    await add(database, *keys)
    courier = GatedCourier()
    requests_under_way = True
    outbox = Outbox(database, FakeClock(NOW))
    # What a tick sends with; planning is not what this is about.
    ticker = Ticker(None, outbox, courier, busy=lambda: requests_under_way)  # type: ignore[arg-type]
    sending = asyncio.create_task(outbox.deliver_for(courier, 60, ticker.width))
    await courier.until_under_way(BUSY_CONCURRENCY)
    for _ in range(50):  # time enough to start more sends, were the fan-out wider
        await asyncio.sleep(0)
    assert len(courier.started) == BUSY_CONCURRENCY
    requests_under_way = False
    courier.gate.release()  # the next start sees nobody waiting: back to full width
    await courier.until_under_way(SEND_CONCURRENCY)
    for _ in keys:
        courier.gate.release()
    assert await sending == len(keys)


@dataclass
class CountingCadence:
    """Plans nothing; records how many schedules each planning transaction was given."""

    limits: list[int] = field(default_factory=list)
    due: int = 120

    async def schedule_new_people(self) -> int:
        return 0

    async def plan_due(self, limit: int) -> int:
        self.limits.append(limit)
        planned = min(limit, self.due)
        self.due -= planned
        return planned


async def test_planning_takes_small_transactions_while_people_are_being_answered(
    database: Database,
) -> None:
    requests_under_way = True
    cadence = CountingCadence()
    ticker = Ticker(
        cadence,  # type: ignore[arg-type]
        Outbox(database, FakeClock(NOW)),
        ScriptedCourier(),  # type: ignore[arg-type]
        busy=lambda: requests_under_way,
    )
    report = await ticker.tick()
    assert report.queued == 120
    assert cadence.limits == [BUSY_PLAN_BATCH, BUSY_PLAN_BATCH, BUSY_PLAN_BATCH, BUSY_PLAN_BATCH]
    requests_under_way = False
    cadence.limits.clear()
    cadence.due = 120
    await ticker.tick()
    assert cadence.limits == [PLAN_BATCH, PLAN_BATCH]


async def test_a_tick_under_way_when_the_server_stops_finishes_its_sends_and_claims_no_more(
    database: Database,
) -> None:
    keys = [f"prompt:{n:02d}" for n in range(CLAIM_BATCH + 10)]
    await add(database, *keys)
    courier = GatedCourier()
    outbox = Outbox(database, FakeClock(NOW))
    ticker = Ticker(CountingCadence(due=0), outbox, courier)  # type: ignore[arg-type]
    tick = asyncio.create_task(ticker.safe_tick())
    await courier.until_under_way(SEND_CONCURRENCY)
    outbox.stop_sending()  # as `okrbot serve` does on SIGTERM, before waiting for the tick
    assert not await ticker.finish(0)
    for _ in keys:
        courier.gate.release()
    assert await ticker.finish(10)
    await tick
    rows = {row.key: row.status for row in await list_deliveries(database)}
    # What the tick had claimed went out and is recorded sent; the rest waits for a replica.
    assert len(courier.started) == CLAIM_BATCH
    assert sorted(courier.started) == sorted(k for k, status in rows.items() if status == SENT)
    assert sum(status == PENDING for status in rows.values()) == len(keys) - CLAIM_BATCH


async def test_a_stopping_server_plans_no_more(database: Database) -> None:
    outbox = Outbox(database, FakeClock(NOW))
    cadence = CountingCadence(due=500)
    outbox.stop_sending()
    await Ticker(cadence, outbox, ScriptedCourier()).tick()  # type: ignore[arg-type]
    assert cadence.limits == []  # another replica's tick plans them
