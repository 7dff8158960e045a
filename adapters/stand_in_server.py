"""Serving a local stand-in of a platform's API (the Slack Web API, the Bot Framework connector,
Microsoft's identity service) on a loopback port, for the tests and the offline demo.

Each sandbox builds its own aiohttp app in `start` and hands it to `_serve`; starting, stopping
and `async with` work the same for all of them.
"""

from __future__ import annotations

from typing import Any, Self

from aiohttp import web


class StandInServer:
    _runner: web.AppRunner | None = None

    async def start(self) -> Any:
        raise NotImplementedError

    async def _serve(self, app: web.Application, host: str, port: int) -> int:
        """Serve `app` on host:port until `stop`; the port it is on (a free one for 0)."""
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        return int(self._runner.addresses[0][1])

    @property
    def started(self) -> bool:
        return self._runner is not None

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()
