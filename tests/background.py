"""A server on its own event loop in a daemon thread: hypothesis tests are synchronous, and
each example sends it real HTTP requests while it keeps serving between examples."""

from __future__ import annotations

import asyncio
import http.client
import threading
from urllib.parse import urlsplit

from okrbot.cli.runtime import Runtime
from tests.world import serving


class BackgroundServer:
    """Subclasses implement `_serve`: set up, then `serve_until_stopped`."""

    request_timeout = 30.0

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

    async def serve_until_stopped(self, runtime: Runtime) -> None:
        """Serve okrbot's app for `runtime` until `stop`, then close the runtime."""
        assert self._stop is not None
        async with serving(runtime) as root:
            self.port = urlsplit(root).port or 0
            self._ready.set()
            await self._stop.wait()
        await runtime.close()

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        """One plain HTTP request to the server, from the test's thread."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, self.request_timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read().decode(errors="replace")
        finally:
            connection.close()
