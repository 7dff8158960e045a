"""A server on its own event loop in a daemon thread: hypothesis tests are synchronous, and
each example sends it real HTTP requests while it keeps serving between examples."""

from __future__ import annotations

import asyncio
import threading


class BackgroundServer:
    """Subclasses implement `_serve`: set `self.port`, then `self._ready`, then wait on
    `self._stop`."""

    def __init__(self) -> None:
        self.port = 0
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the okrbot server did not start")

    def stop(self) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def _run(self) -> None:
        self._loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        raise NotImplementedError
