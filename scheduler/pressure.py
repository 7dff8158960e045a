"""Whether people's requests are being served, so that background sending can step aside.

On Monday at 10:00 the scheduler fans out prompts from the same event loop that must answer
the clicks those prompts cause, within Slack's three seconds and, to feel instant, well under
a tenth of one. Sending is not urgent to the second; an answer is. While requests arrive the
outbox sends fewer messages at once (scheduler/outbox.py), and SQLite's writer lets requests
go first (storage/db.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# A request that just finished is usually followed by the work it set off (the listener's
# tail after Slack's ack) and by the next click: stay careful a little longer.
QUIET_AFTER_SECONDS = 0.25


class Pressure:
    def __init__(
        self,
        quiet_after: float = QUIET_AFTER_SECONDS,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.quiet_after = quiet_after
        self._now = now
        self._serving = 0
        self._last = -math.inf

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Around the handling of one request."""
        self._serving += 1
        try:
            yield
        finally:
            self._serving -= 1
            self._last = self._now()

    @property
    def busy(self) -> bool:
        return self._serving > 0 or self._now() - self._last < self.quiet_after
