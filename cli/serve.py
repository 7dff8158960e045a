"""`okrbot serve`: the HTTP server (Slack, Teams, health) and the scheduler, in one process
(or in several, with --workers)."""

from __future__ import annotations

import asyncio
import gc
import ipaddress
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from multiprocessing.synchronize import Event
from typing import Annotated

import requests
import typer
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from okrbot.adapters.server import build_web_app
from okrbot.adapters.slack.http import SlackEndpoint
from okrbot.adapters.slack.socket_mode import SocketMode, SocketModeRefused
from okrbot.adapters.teams.auth import TokenUnavailable
from okrbot.adapters.teams.http import TeamsEndpoint
from okrbot.bot.settings import Settings
from okrbot.cli.common import console, fail, run_with_database, settings
from okrbot.cli.logs import configure_logging
from okrbot.cli.runtime import ConfigurationError, Runtime, build_runtime
from okrbot.cli.workers import Supervisor, WorkerStartupError
from okrbot.storage.db import Database, DatabaseURLError

log = logging.getLogger("okrbot")

# Within the 30 s a container orchestrator usually waits between SIGTERM and SIGKILL.
DRAIN_SECONDS = 20


def web_app(runtime: Runtime, socket_mode: SocketMode | None = None) -> web.Application:
    slack = None
    if runtime.slack is not None and runtime.settings.slack_signing_secret:
        slack = SlackEndpoint(
            runtime.slack.app, runtime.settings.slack_signing_secret, runtime.slack.first_time
        ).handle
    teams = None
    teams_authenticated = runtime.teams is None or runtime.teams.auth_enabled
    if runtime.teams is not None:
        if not runtime.teams.auth_enabled:
            log.warning(
                "OKRBOT_TEAMS_DEV_NO_AUTH=1: /api/messages accepts UNAUTHENTICATED requests from "
                "anyone who can reach it. Use this only with the Bot Framework Emulator or local "
                "tests, never on a reachable server; set MICROSOFT_APP_ID for real Teams."
            )
        teams = TeamsEndpoint(
            runtime.teams.cloud,
            runtime.teams.bot,
            runtime.teams.app_id,
            issuer=runtime.settings.botframework_issuer,
        ).handle
    return build_web_app(
        slack=runtime.requests.counting(slack) if slack is not None else None,
        teams=runtime.requests.counting(teams) if teams is not None else None,
        health=runtime.healthy,
        teams_authenticated=teams_authenticated,
        slack_socket=socket_mode.connected if socket_mode is not None else None,
    )


def serving_modes(runtime: Runtime, socket_mode: bool) -> list[str]:
    """What this server answers, in the words the README uses."""
    modes = []
    if runtime.slack is not None and runtime.settings.slack_signing_secret:
        modes.append("Slack HTTP")
    if socket_mode:
        modes.append("Slack Socket Mode")
    if runtime.teams is not None:
        modes.append("Teams authenticated" if runtime.teams.auth_enabled else "Teams dev")
    return modes


def log_modes(runtime: Runtime, socket_mode: bool) -> None:
    if modes := serving_modes(runtime, socket_mode):
        log.info("serving %s", ", ".join(modes))
    else:
        log.warning(
            "no platform is on: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN "
            "with --socket-mode) for Slack, MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD for Teams"
        )


async def check_teams_credentials(runtime: Runtime) -> None:
    """Ask for the connector token at start, so that a wrong secret or tenant shows now rather
    than at the first message to Teams."""
    credentials = runtime.teams.credentials if runtime.teams is not None else None
    if credentials is None:
        return
    tokens = credentials.connector_tokens()
    try:
        await asyncio.to_thread(tokens.get)
    except (TokenUnavailable, requests.RequestException) as error:
        log.error("Teams: okrbot cannot write to anyone on Teams, it got no app token: %s", error)
        return
    log.info("Teams: okrbot got its app token from %s", tokens.token_url)


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def keep_out_of_full_collections() -> None:
    """What startup built (modules, the app, the ORM's mappers and compiled statements) lives as
    long as the process: moved out of the garbage collector's sight, the full collections
    that stalled the event loop for 130-220 ms under load walk only what requests create."""
    gc.collect()
    gc.freeze()


async def serve_forever(
    runtime: Runtime,
    host: str,
    port: int,
    socket_mode: bool,
    reuse_port: bool = False,
    ready: Callable[[], object] | None = None,
) -> None:
    scheduler = AsyncIOScheduler(timezone="UTC")
    # The first tick runs at once, and as a job like the others: max_instances=1 then keeps
    # it from overlapping the next tick, which could claim its deliveries again once their
    # lease ran out and send them twice.
    scheduler.add_job(
        runtime.ticker.safe_tick,
        "interval",
        seconds=runtime.settings.tick_seconds,
        max_instances=1,
        coalesce=True,
        id="okrbot-tick",
        next_run_time=datetime.now(UTC),
    )
    socket = None
    if socket_mode:
        assert runtime.slack is not None and runtime.settings.slack_app_token  # serve() checked
        socket = SocketMode(runtime.slack.app, runtime.settings.slack_app_token)
        try:
            await socket.start()
        except SocketModeRefused as refused:
            await socket.close()
            fail(str(refused))
    log_modes(runtime, socket_mode)
    runner = web.AppRunner(web_app(runtime, socket), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port, reuse_port=reuse_port or None).start()
    keep_out_of_full_collections()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    scheduler.start()
    # What people's actions enqueue (kudos, a nudge) goes out at once, not at the next tick.
    sending = asyncio.create_task(runtime.outbox.send_when_woken(runtime.courier))
    # Kept referenced: a task nobody holds may be collected before it runs.
    checking = asyncio.create_task(check_teams_credentials(runtime))
    worker = f", worker {os.getpid()}" if reuse_port else ""
    console.print(f"okrbot is serving on http://{host}:{port} (health: /healthz{worker})")
    if ready is not None:
        ready()
    try:
        await stop.wait()
    finally:
        checking.cancel()
        # No tick starts now; the one under way finishes its sends once the outbox stops
        # (APScheduler's shutdown would cancel it mid-send).
        scheduler.pause()
        if socket is not None:
            await socket.close()
        await runner.cleanup()
        # No new requests now; what was acked before the signal still gets written.
        if left := await runtime.drain(DRAIN_SECONDS):
            log.warning("shutting down with %d Slack request(s) still being handled", left)
        runtime.outbox.stop_sending()
        if not await runtime.ticker.finish(DRAIN_SECONDS):
            log.warning("shutting down with the scheduler's tick still sending")
        scheduler.shutdown(wait=False)
        try:
            await asyncio.wait_for(sending, DRAIN_SECONDS)
        except TimeoutError:  # its rows come back to the next replica when their leases end
            log.warning("shutting down with messages still being sent")


def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (OKRBOT_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (OKRBOT_PORT).")] = None,
    socket_mode: Annotated[
        bool,
        typer.Option(
            "--socket-mode",
            help="Receive Slack over a Socket Mode connection instead of HTTP (no public URL): "
            "needs SLACK_APP_TOKEN (xapp-, connections:write), not SLACK_SIGNING_SECRET.",
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes sharing the port (Linux SO_REUSEPORT), one per core is a "
            "good start; each also runs the scheduler, and nothing is sent twice.",
        ),
    ] = 1,
) -> None:
    """Run okrbot: Slack at POST /slack/events, Teams at POST /api/messages, GET /healthz, and
    the scheduler."""
    config = settings()
    configure_logging(config.log_level)
    if socket_mode and not config.slack_app_token:
        fail("--socket-mode needs SLACK_APP_TOKEN (an app-level token with connections:write)")
    if socket_mode and not config.slack_bot_token:
        fail("--socket-mode needs SLACK_BOT_TOKEN")
    listen_on = host or config.host
    if config.teams_dev_no_auth and not config.microsoft_app_id and not is_loopback(listen_on):
        fail(
            f"OKRBOT_TEAMS_DEV_NO_AUTH=1 turns off authentication of Teams requests, so okrbot "
            f"only listens on a loopback address in that mode (not {listen_on}). Use "
            "--host 127.0.0.1, or set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD."
        )
    port = port or config.port
    if workers == 1:
        asyncio.run(_serve(config, listen_on, port, socket_mode, reuse_port=False))
        return
    if not hasattr(socket, "SO_REUSEPORT"):
        fail("--workers needs SO_REUSEPORT, which this system does not have; use --workers 1")
    # Once, here: workers racing to migrate the same database would trip over each other.
    run_with_database(_migrated)
    supervisor = Supervisor(workers, run_worker, (listen_on, port, socket_mode))
    try:
        code = supervisor.run()
    except WorkerStartupError as error:
        fail(f"{error} (its error is above); okrbot stopped every worker")
    raise typer.Exit(code)


async def _serve(
    config: Settings,
    host: str,
    port: int,
    socket_mode: bool,
    *,
    reuse_port: bool,
    ready: Callable[[], object] | None = None,
) -> None:
    try:
        runtime = await build_runtime(config, migrate=not reuse_port, slack_socket_mode=socket_mode)
    except (ConfigurationError, DatabaseURLError) as error:
        fail(str(error))
    try:
        await serve_forever(runtime, host, port, socket_mode, reuse_port=reuse_port, ready=ready)
    finally:
        await runtime.close()


async def _migrated(_database: Database, _config: Settings) -> None:
    """Nothing more: `run_with_database` has applied the migrations by the time this runs."""


def run_worker(host: str, port: int, socket_mode: bool, ready: Event) -> None:
    """One of `okrbot serve --workers N`'s processes; sets `ready` once it is serving."""
    config = settings()
    configure_logging(config.log_level)
    try:
        asyncio.run(_serve(config, host, port, socket_mode, reuse_port=True, ready=ready.set))
    except typer.Exit as exit:
        sys.exit(exit.exit_code)
