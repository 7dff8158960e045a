"""The baseline for the ack-latency benchmark: a slack-bolt AsyncApp that only acknowledges.

    python -m bench.bare_bolt --port 3001   (env: SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN,
                                             OKRBOT_SLACK_API_URL)

It is configured like okrbot's app (same signing secret, a client pointed at the same sandbox,
process_before_response=False as okrbot's default) and listens for the same three things the
benchmarks send — the /okr and /kudos commands, the checkin_open button and the checkin_form
modal — so the difference between the two is what okrbot does before it acks, not what Bolt
costs. Like the okrbot the load benchmark runs, it has an event-loop lag probe at /bench/lag.
"""

from __future__ import annotations

import argparse
import os

from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bench.lag import LagProbe


def bare_app(signing_secret: str, token: str, api_url: str) -> AsyncApp:
    # Like okrbot's: the token only on the client (Bolt takes it from there).
    app = AsyncApp(
        client=AsyncWebClient(token=token, base_url=api_url),
        signing_secret=signing_secret,
        process_before_response=False,
    )

    async def just_ack(ack: AsyncAck) -> None:
        await ack()

    app.command("/okr")(just_ack)
    app.command("/kudos")(just_ack)
    app.action("checkin_open")(just_ack)
    app.view("checkin_form")(just_ack)
    return app


def web_application(app: AsyncApp) -> web.Application:
    """Bolt's own aiohttp adapter at /slack/events, plus the /healthz the benchmark waits on."""
    application = app.web_app(path="/slack/events")

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    application.router.add_get("/healthz", healthz)
    return LagProbe().install(application)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = bare_app(
        os.environ["SLACK_SIGNING_SECRET"],
        os.environ["SLACK_BOT_TOKEN"],
        os.environ["OKRBOT_SLACK_API_URL"],
    )
    web.run_app(web_application(app), host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
