"""The delivery outbox: every outgoing message is a row first, then a claimed, leased send.

A row's unique key (kind, person, period) makes enqueueing idempotent. Senders claim due rows
with a lease in one atomic UPDATE … RETURNING (with FOR UPDATE SKIP LOCKED on PostgreSQL), so two
processes never send the same row; a crashed sender's lease runs out and the row is retried.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from okrbot.bot.clock import Clock
from okrbot.bot.delivery import (
    Deferred,
    PermanentDeliveryError,
    Suppressed,
    Throttled,
    TransientDeliveryError,
)
from okrbot.storage.db import Database, background, dialect_insert
from okrbot.storage.models import DeliveryRow

log = logging.getLogger(__name__)

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
SUPPRESSED = "suppressed"
MAX_ATTEMPTS = 6
LEASE = timedelta(minutes=2)
# A failed send is tried again soon (most 5xx and cut connections pass within seconds), then
# ever more rarely: 5 s, 20 s, 80 s, 5 min 20 s, 21 min 20 s — about half an hour of outage is
# ridden out before a message is given up, and a fan-out's few failures do not trail it by 30 s.
FIRST_BACKOFF = timedelta(seconds=5)
BACKOFF_GROWTH = 4
MAX_BACKOFF = timedelta(hours=1)
SEND_CONCURRENCY = 8
# Small claims: a batch must be sent well within its lease even when the platform throttle
# slows it down, or another replica would take rows that are still on their way.
CLAIM_BATCH = 20
# Where a session collects the keys of deliveries to send as soon as it commits.
WAKE_KEYS = "okrbot.outbox.wake"


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    key: str
    kind: str
    person_id: int | None
    period: str | None
    payload: dict[str, Any]
    due_at: datetime
    attempts: int
    # The last attempt may have delivered: look for its post before sending again.
    outcome_unknown: bool = False
    lease: str = ""  # the claim's token: only its holder may renew, finish or fail the row


class Courier(Protocol):
    """Turns a delivery into a message on the right platform."""

    async def deliver(self, delivery: Delivery) -> None: ...


def delivery_of(row: DeliveryRow) -> Delivery:
    """A stored row as the courier sees it."""
    return Delivery(
        row.id,
        row.key,
        row.kind,
        row.person_id,
        row.period,
        dict(row.payload or {}),
        row.due_at,
        row.attempts,
        row.outcome_unknown,
        row.leased_by or "",
    )


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    due_at: datetime,
    person_id: int | None = None,
    period: str | None = None,
    payload: dict[str, Any] | None = None,
    wake: bool = False,
) -> bool:
    """Add a delivery unless one with this key exists; True when it was added.

    `wake`: someone is waiting for it (the answer to what they did), so once the transaction
    commits, this process's outbox sends it at once rather than at the next tick."""
    batch = DeliveryBatch()
    batch.add(
        key=key,
        kind=kind,
        due_at=due_at,
        person_id=person_id,
        period=period,
        payload=payload,
        counted=True,
    )
    added = await batch.write(session) == 1
    if added and wake:
        session.info.setdefault(WAKE_KEYS, []).append(key)
    return added


class DeliveryBatch:
    """Deliveries to add together, in one statement, each unless its key exists.

    Planning a fan-out added them one INSERT at a time: on SQLite a trip to the connection's
    thread each, two or three per person, all while the planning transaction held the one
    writer that every click's replay key waits for.
    """

    def __init__(self) -> None:
        self._rows: list[dict[str, Any]] = []
        self._counted: set[str] = set()

    def add(
        self,
        *,
        key: str,
        kind: str,
        due_at: datetime,
        person_id: int | None = None,
        period: str | None = None,
        payload: dict[str, Any] | None = None,
        counted: bool = False,
    ) -> None:
        """`counted`: `write` counts it among what it returns, if it is added."""
        self._rows.append(
            {
                "key": key,
                "kind": kind,
                "due_at": due_at,
                "person_id": person_id,
                "period": period,
                "payload": payload or {},
                "status": PENDING,
                "attempts": 0,
                "created_at": due_at,
            }
        )
        if counted:
            self._counted.add(key)

    async def write(self, session: AsyncSession) -> int:
        """Add them all; how many of the counted ones were added (not there already)."""
        if not self._rows:
            return 0
        # The key makes planning the same message twice (two replicas, a retried tick) add it
        # once.
        insert = dialect_insert(session)(DeliveryRow)
        statement = insert.on_conflict_do_nothing(index_elements=["key"]).returning(DeliveryRow.key)
        added = set((await session.scalars(statement, self._rows)).all())
        self._rows.clear()
        return len(added & self._counted)


SENT_PARTS = "sent_parts"  # payload key: part index -> the platform's reference to it
ATTACHED = "attached"  # payload key: file names of the images already shared


def sent_parts(delivery: Delivery) -> dict[int, dict[str, Any]]:
    """The parts of a multi-part send that earlier attempts recorded as posted."""
    recorded = delivery.payload.get(SENT_PARTS) or {}
    return {int(part): dict(ref) for part, ref in recorded.items()}


async def record_progress(
    database: Database,
    delivery: Delivery,
    *,
    part: tuple[int, dict[str, Any]] | None = None,
    attached: str | None = None,
) -> None:
    """Remember, as soon as the platform has it, one part posted or one image shared, so that
    a retry after a crash or a failure further on sends only what is missing. Only the
    delivery's lease holder writes, so the read-modify-write of the payload cannot race."""
    async with database.transaction() as session:
        query = select(DeliveryRow).where(
            DeliveryRow.id == delivery.id, DeliveryRow.leased_by == delivery.lease
        )
        if not database.is_sqlite:
            query = query.with_for_update()
        row = (await session.scalars(query)).first()
        if row is None:
            return  # the lease passed to another sender: its record wins
        payload = dict(row.payload or {})
        if part is not None:
            payload[SENT_PARTS] = {**(payload.get(SENT_PARTS) or {}), str(part[0]): part[1]}
        if attached is not None:
            payload[ATTACHED] = [*(payload.get(ATTACHED) or []), attached]
        row.payload = payload
    delivery.payload.update(payload)


# SQLSTATE classes of a connection that failed or a server going down or starting up.
CONNECTION_SQLSTATES = ("08", "57P")


def database_unreachable(error: BaseException) -> bool:
    """A lost or refused database connection (a restart, say), as opposed to a bug."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectionError | TimeoutError):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if str(getattr(current, "sqlstate", "") or "").startswith(CONNECTION_SQLSTATES):
            return True
        orig = current.orig if isinstance(current, DBAPIError) else None
        pending += [orig, current.__cause__, current.__context__]
    return False


def backoff(attempts: int) -> timedelta:
    return min(FIRST_BACKOFF * (BACKOFF_GROWTH ** max(attempts - 1, 0)), MAX_BACKOFF)


class Outbox:
    """Claims, sends and settles deliveries.

    Each claim leases its rows under a fresh token. Only the holder of a row's current token
    may renew, finish or fail it: a sender that outlived its lease (it hung, or waited long on
    the platform's throttle) and lost the row to another replica changes nothing. While a send
    runs, its lease is renewed every `renew_every` seconds, so a slow send keeps its row.
    """

    def __init__(
        self,
        database: Database,
        clock: Clock,
        worker: str = "okrbot",
        lease: timedelta = LEASE,
        renew_every: float | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.worker = worker
        self.lease = lease
        self.renew_every = renew_every if renew_every is not None else lease.total_seconds() / 3
        self.lost_leases = 0
        self._woken: set[str] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        database.after_commit.append(self._committed)

    def _committed(self, info: Mapping[str, Any]) -> None:
        keys = info.get(WAKE_KEYS)
        if keys:
            self._woken.update(keys)
            self._wake.set()

    async def send_when_woken(self, courier: Courier, concurrency: int = SEND_CONCURRENCY) -> None:
        """Until `stop_sending`: send what a person's action enqueued as soon as it commits.

        Enqueues that come while a pass runs are sent by the next pass, so a burst is sent in
        a few passes, not one each. Only the woken rows are claimed (ahead of a weekly fan-out
        the tick is working through), under a lease like any claim, so another replica's tick
        that got there first is not doubled. Its writes are background work: the requests
        that enqueued these messages have their answers already.
        """
        with background():
            await self._send_woken(courier, concurrency)

    async def _send_woken(self, courier: Courier, concurrency: int) -> None:
        gate = asyncio.Semaphore(concurrency)

        async def one(delivery: Delivery) -> None:
            async with gate:
                await self._deliver(courier, delivery)

        while True:
            await self._wake.wait()
            self._wake.clear()
            keys, self._woken = sorted(self._woken), set()
            try:
                while keys and (claimed := await self.claim(keys=keys)):
                    await asyncio.gather(*(one(delivery) for delivery in claimed))
            except Exception as error:  # the tick sends what this pass could not
                log.warning("sending at once failed, the next tick sends instead: %s", error)
            if self._stopping and not self._woken:
                return

    @property
    def stopping(self) -> bool:
        return self._stopping

    def stop_sending(self) -> None:
        """Let `send_when_woken` finish what it is sending (and what is waiting), then return;
        a tick's `deliver_for` claims nothing more either and returns once its sends are done."""
        self._stopping = True
        self._wake.set()

    def _token(self) -> str:
        return f"{self.worker[:40]}:{uuid.uuid4().hex[:16]}"

    async def claim(
        self, limit: int = CLAIM_BATCH, keys: Sequence[str] | None = None
    ) -> list[Delivery]:
        """Lease up to `limit` due deliveries (only those with `keys`, when given)."""
        now = self.clock.now()
        token = self._token()
        due = or_(
            and_(DeliveryRow.status == PENDING, DeliveryRow.due_at <= now),
            and_(DeliveryRow.status == SENDING, DeliveryRow.lease_until < now),
        )
        if keys is not None:
            due = and_(due, DeliveryRow.key.in_(keys))
        async with self.database.transaction() as session:
            chosen = select(DeliveryRow.id).where(due).order_by(DeliveryRow.due_at).limit(limit)
            if not self.database.is_sqlite:
                chosen = chosen.with_for_update(skip_locked=True)
            statement = (
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(chosen.scalar_subquery()))
                .values(
                    status=SENDING,
                    lease_until=now + self.lease,
                    leased_by=token,
                    attempts=DeliveryRow.attempts + 1,
                    # A row still "sending" was abandoned mid-send (its sender died or hung):
                    # whether that send reached the platform is not known.
                    outcome_unknown=case(
                        (DeliveryRow.status == SENDING, True), else_=DeliveryRow.outcome_unknown
                    ),
                )
                .returning(DeliveryRow)
                .execution_options(synchronize_session=False)
            )
            rows = (await session.scalars(statement)).all()
            return sorted((delivery_of(row) for row in rows), key=lambda d: (d.due_at, d.id))

    async def _update_held(self, delivery: Delivery, **values: Any) -> bool:
        """Update a row only while this sender holds its lease; whether it still did."""
        async with self.database.transaction() as session:
            result = await session.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.id == delivery.id,
                    DeliveryRow.status == SENDING,
                    DeliveryRow.leased_by == delivery.lease,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def _settle(self, delivery: Delivery, **values: Any) -> bool:
        """Record a send's outcome; False (and nothing written) if another sender took it."""
        if await self._update_held(delivery, **values):
            return True
        self.lost_leases += 1
        log.warning(
            "delivery %s (%s): its lease passed to another sender; leaving the row to it",
            delivery.id,
            delivery.key,
        )
        return False

    async def renew(self, delivery: Delivery) -> bool:
        """Extend the lease of a send still running; False once the row is no longer ours."""
        return await self._update_held(delivery, lease_until=self.clock.now() + self.lease)

    async def _keep_leased(self, delivery: Delivery) -> None:
        while True:
            await asyncio.sleep(self.renew_every)
            try:
                if not await self.renew(delivery):
                    return
            except Exception as error:  # the send goes on; the next renewal tries again
                log.warning("delivery %s: could not renew its lease: %s", delivery.id, error)

    async def finish(self, delivery: Delivery, status: str = SENT, note: str | None = None) -> bool:
        return await self._settle(
            delivery, status=status, sent_at=self.clock.now(), lease_until=None, last_error=note
        )

    async def failed(
        self,
        delivery: Delivery,
        error: str,
        retry_after: float | None,
        permanent: bool,
        outcome_unknown: bool = False,
        throttled: bool = False,
    ) -> None:
        """Retry later, or give up after MAX_ATTEMPTS. Being `throttled` (a 429) is not a
        failure: the row waits `retry_after` and the attempt it was claimed with is given back."""
        now = self.clock.now()
        give_up = not throttled and (permanent or delivery.attempts >= MAX_ATTEMPTS)
        wait = timedelta(0) if throttled else backoff(delivery.attempts)
        if retry_after is not None or throttled:
            wait = max(wait, timedelta(seconds=retry_after or 1))
        values: dict[str, Any] = {
            "last_error": error[:2000],
            "lease_until": None,
            "outcome_unknown": outcome_unknown,
        }
        values.update({"status": FAILED} if give_up else {"status": PENDING, "due_at": now + wait})
        if throttled:
            values["attempts"] = DeliveryRow.attempts - 1
            # What `okrbot outbox list` shows: why it waits, and until when.
            values["last_error"] = f"throttled until {now + wait:%H:%M:%S} UTC: {error}"[:2000]
        if not await self._settle(delivery, **values):
            return
        if throttled:
            log.info("delivery %s (%s) throttled: %s", delivery.id, delivery.key, error)
        elif give_up:
            log.error("delivery %s (%s) failed for good: %s", delivery.id, delivery.key, error)
        else:
            log.warning("delivery %s (%s) will retry: %s", delivery.id, delivery.key, error)

    async def wait(self, delivery: Delivery, reason: str, until: datetime) -> None:
        """Hold a delivery back until `until` (quiet hours, the weekly budget): not a failure,
        so the attempt it was claimed with is given back, and `reason` says why it waits."""
        held = await self._settle(
            delivery,
            status=PENDING,
            due_at=until,
            lease_until=None,
            attempts=DeliveryRow.attempts - 1,
            last_error=reason[:2000],
        )
        if held:
            log.info("delivery %s (%s) waits: %s", delivery.id, delivery.key, reason)

    async def deliver_due(
        self, courier: Courier, limit: int = CLAIM_BATCH, concurrency: int = SEND_CONCURRENCY
    ) -> int:
        """Send what is due now, several at a time; return how many went out.

        Sends overlap so that one slow platform call does not hold up the rest; the
        platform throttle, not this loop, decides how fast messages really go out.
        """
        gate = asyncio.Semaphore(concurrency)

        async def one(delivery: Delivery) -> bool:
            async with gate:
                return await self._deliver(courier, delivery)

        results = await asyncio.gather(*(one(d) for d in await self.claim(limit)))
        return sum(results)

    async def deliver_for(
        self,
        courier: Courier,
        seconds: float,
        concurrency: int | Callable[[], int] = SEND_CONCURRENCY,
    ) -> int:
        """Send what is due, `concurrency` at a time (asked again before each start when it is
        a function), for at most `seconds`; how many went out.

        A send starts whenever another finishes, claiming the next small batch as the last one
        runs out, so a fan-out never idles while the slowest send of a batch completes (that
        wait cost a tenth of the platform's rate limit). What is claimed but not yet started
        stays within one batch, well inside its lease.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        waiting: deque[Delivery] = deque()
        running: set[asyncio.Task[bool]] = set()
        drained = False
        sent = 0
        try:
            while True:
                width = concurrency() if callable(concurrency) else concurrency
                if not waiting and not drained and len(running) < width:
                    if loop.time() < deadline and not self._stopping:
                        claimed = await self.claim()
                        waiting.extend(claimed)
                        drained = not claimed
                    else:
                        drained = True
                while waiting and len(running) < width:
                    running.add(asyncio.create_task(self._deliver(courier, waiting.popleft())))
                if not running:
                    return sent
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                # Look at every finished send's error before raising the first, so that none
                # is left unretrieved.
                failures = [error for task in done if (error := task.exception()) is not None]
                if failures:
                    raise failures[0]
                sent += sum(task.result() for task in done)
        finally:
            # A send whose bookkeeping failed (the database went away) ends this pass; the
            # others still finish, and anything claimed but not started returns with its lease.
            if running:
                await asyncio.gather(*running, return_exceptions=True)

    async def _send(self, courier: Courier, delivery: Delivery) -> None:
        """The courier's send, with the row's lease renewed for as long as it runs."""
        keeper = asyncio.create_task(self._keep_leased(delivery))
        try:
            await courier.deliver(delivery)
        finally:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)

    async def _deliver(self, courier: Courier, delivery: Delivery) -> bool:
        try:
            await self._send(courier, delivery)
        except Suppressed as error:
            await self.finish(delivery, SUPPRESSED, str(error))
        except Deferred as error:
            await self.wait(delivery, str(error), error.until)
        except Throttled as error:
            await self.failed(delivery, str(error), error.retry_after, False, throttled=True)
        except TransientDeliveryError as error:
            await self.failed(delivery, str(error), error.retry_after, False, error.outcome_unknown)
        except PermanentDeliveryError as error:
            await self.failed(delivery, str(error), None, permanent=True)
        except Exception as error:
            if database_unreachable(error):
                # Every send in flight fails alike while the database is away; a traceback
                # each would bury the one line that says what is wrong.
                log.warning(
                    "delivery %s (%s): database unreachable: %s", delivery.id, delivery.key, error
                )
            else:
                log.exception("delivery %s (%s) crashed", delivery.id, delivery.key)
            # It may have failed after the platform took the message.
            await self.failed(delivery, f"{type(error).__name__}: {error}", None, False, True)
        else:
            return await self.finish(delivery)
        return False

    async def retry(self, delivery_id: int) -> bool:
        async with self.database.transaction() as session:
            result = await session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == delivery_id, DeliveryRow.status.in_((FAILED, PENDING)))
                .values(status=PENDING, due_at=self.clock.now(), attempts=0)
            )
            return bool(result.rowcount)


async def list_deliveries(
    database: Database, statuses: Sequence[str] | None = None, limit: int = 200
) -> list[DeliveryRow]:
    async with database.reading() as session:
        query = select(DeliveryRow).order_by(DeliveryRow.due_at.desc()).limit(limit)
        if statuses:
            query = query.where(DeliveryRow.status.in_(statuses))
        return list((await session.scalars(query)).all())


async def delivery_status(database: Database, key: str) -> str | None:
    """Where the delivery with this key stands (pending, sent, …), or None if it was never
    enqueued."""
    async with database.reading() as session:
        return await session.scalar(select(DeliveryRow.status).where(DeliveryRow.key == key))
