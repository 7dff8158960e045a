"""The one HTTP server okrbot runs: Slack at /slack/events, Teams at /api/messages, /healthz."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SLACK_PATH = "/slack/events"
TEAMS_PATH = "/api/messages"


def build_web_app(
    *,
    slack: Handler | None = None,
    teams: Handler | None = None,
    health: Callable[[], Awaitable[bool]] | None = None,
    teams_authenticated: bool = True,
    slack_socket: Callable[[], Awaitable[bool]] | None = None,
) -> web.Application:
    """`teams_authenticated` False: Teams runs in dev mode, which /healthz says. `slack_socket`
    says whether the Socket Mode connection is up, when Slack uses one."""
    app = web.Application(client_max_size=2 * 1024 * 1024)

    async def healthz(_request: web.Request) -> web.Response:
        healthy = await health() if health is not None else True
        report: dict[str, object] = {
            "ok": healthy,
            "slack": slack is not None or slack_socket is not None,
            "teams": teams is not None,
            # null when Teams is off; false only in OKRBOT_TEAMS_DEV_NO_AUTH mode.
            "teams_authenticated": teams_authenticated if teams is not None else None,
        }
        if slack_socket is not None:
            # Reported, not judged: the client reconnects by itself, and a restart would not
            # bring Slack back sooner.
            report["slack_socket_mode"] = "connected" if await slack_socket() else "disconnected"
        return web.json_response(report, status=200 if healthy else 503)

    app.router.add_get("/healthz", healthz)
    if slack is not None:
        app.router.add_post(SLACK_PATH, slack)
    if teams is not None:
        app.router.add_post(TEAMS_PATH, teams)
    return app
