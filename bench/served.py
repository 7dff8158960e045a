"""`okrbot serve` with an event-loop lag probe, for the load benchmark.

    python -m bench.served serve --host 127.0.0.1 --port 3000 [--workers N]

This is okrbot's own CLI, unchanged, with bench/lag.py's probe and its GET /bench/lag route
added to the web application `okrbot serve` builds. The patch is applied on import, so the
spawned processes of `--workers N` (which import this module again) get it too, each
reporting its own loop.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bench.lag import LagProbe
from okrbot.cli import serve


def _with_probe() -> None:
    built = serve.web_app

    def web_app(*args: Any, **kwargs: Any) -> web.Application:
        return LagProbe().install(built(*args, **kwargs))

    serve.web_app = web_app  # type: ignore[assignment]


_with_probe()

if __name__ == "__main__":
    from okrbot.cli.main import app

    app()
