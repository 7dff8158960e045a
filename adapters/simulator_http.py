"""How the Slack and Teams simulators reach okrbot: HTTP posts to its server over one aiohttp
session (opened on first use), each answered with a `Reply` the test or the demo reads."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import aiohttp


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


Sandbox = TypeVar("Sandbox")


class SimulatorClient(Generic[Sandbox]):
    """Posts to `url`, okrbot's endpoint for the platform, as the platform would; `sandbox` is
    the stand-in platform API that okrbot answers through, where the test reads what it did."""

    def __init__(self, url: str, sandbox: Sandbox) -> None:
        self.url = url
        self.sandbox = sandbox
        self._session: aiohttp.ClientSession | None = None

    async def _post(self, data: bytes, headers: Mapping[str, str]) -> Reply:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.post(self.url, data=data, headers=dict(headers)) as response:
            return Reply(response.status, await response.text())

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
