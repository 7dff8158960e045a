"""People recently found by a chat id, remembered by this process for a short while.

Every Slack request starts by finding who sent it; under load that lookup was a read
transaction of its own on each click, command and submission (on SQLite nine hops to the
database's thread, a fifth of a request's time). Someone who clicks Check in submits a minute
later, so a short memory answers most of them. What this process writes to the people table
forgets everything at once when it commits; what other processes write (an import, a
deactivation from the command line, another replica) is seen within `seconds`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event

from okrbot.bot.domain import Person
from okrbot.storage.db import Database

SECONDS = 30.0
MOST = 10_000
_PEOPLE_WRITES = ("insert into people", "update people", "delete from people")


class RecentPeople:
    """Found people by key (a platform's user id), with what a reader needs to keep them safely:
    `generation` read before the lookup, handed back to `keep`, so that a lookup which raced a
    write to the people table is not remembered."""

    def __init__(
        self,
        database: Database,
        seconds: float = SECONDS,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self._now = now
        self._found: dict[str, tuple[float, Person]] = {}
        self.generation = 0
        self._writing: set[int] = set()  # connections with an uncommitted write to people
        engine = database.engine.sync_engine
        event.listen(engine, "before_cursor_execute", self._watch)
        for done in ("checkin", "invalidate", "close"):
            event.listen(engine.pool, done, self._done_with)

    def get(self, key: str) -> Person | None:
        found = self._found.get(key)
        if found is None:
            return None
        if self._now() - found[0] > self.seconds:
            del self._found[key]
            return None
        return found[1]

    def keep(self, key: str, person: Person, generation: int) -> None:
        if generation != self.generation or self._writing:
            return
        if len(self._found) >= MOST:
            self._found.clear()
        self._found[key] = (self._now(), person)

    def forget(self) -> None:
        self._found.clear()
        self.generation += 1

    def _watch(self, connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip()[:20].lower().startswith(_PEOPLE_WRITES):
            self._writing.add(id(connection.connection.dbapi_connection))

    def _done_with(self, dbapi_connection: Any, *_: Any) -> None:
        # Back in the pool (or closed): the write is committed or rolled back, and the next
        # read sees it, and may fill the memory again.
        if id(dbapi_connection) in self._writing:
            self._writing.discard(id(dbapi_connection))
            self.forget()
