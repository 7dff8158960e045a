"""An event-loop lag probe for the servers the load benchmark drives (bench/served.py adds it
to `okrbot serve`, bench/bare_bolt.py to bare Bolt).

The probe is a task that asks to wake every PERIOD seconds and records how late it woke: the
longest time the loop was busy with something else (synchronous work, a long callback, garbage
collection) and so could not start answering a request. GET /bench/lag answers the worst lag
since the previous GET, in milliseconds, and starts over.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

PERIOD = 0.005
LAG_PATH = "/bench/lag"


class LagProbe:
    def __init__(self, period: float = PERIOD) -> None:
        self.period = period
        self.worst = 0.0
        self.wakeups = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time()
            await asyncio.sleep(self.period)
            late = loop.time() - asked - self.period
            self.wakeups += 1
            self.worst = max(self.worst, late)

    async def start(self, _app: web.Application | None = None) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self, _app: web.Application | None = None) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def handle(self, _request: web.Request) -> web.Response:
        report = {"worst_ms": self.worst * 1000, "wakeups": self.wakeups}
        self.worst, self.wakeups = 0.0, 0
        return web.json_response(report)

    def install(self, application: web.Application) -> web.Application:
        application.on_startup.append(self.start)
        application.on_cleanup.append(self.stop)
        application.router.add_get(LAG_PATH, self.handle)
        return application
