"""Slack over Socket Mode, end to end: the real Bolt app behind slack_sdk's Socket Mode client,
connected through apps.connections.open to the sandbox's WebSocket, which delivers envelopes and
reads the acks. The HTTP end-to-end tests that do not depend on HTTP run here again over the
socket: the same payloads, the same guarantees."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from okrbot.adapters.slack.sandbox import SlackSandbox
from okrbot.adapters.slack.simulator import Grid, SlackSimulator
from okrbot.adapters.slack.socket_mode import SocketMode, SocketModeRefused
from okrbot.adapters.slack.socket_sandbox import (
    APP_TOKEN,
    SocketModeSandbox,
    SocketModeSimulator,
)
from okrbot.bot.clock import FakeClock
from okrbot.bot.kudos import KUDOS_MESSAGE, KUDOS_TO
from okrbot.bot.settings import Settings
from okrbot.cli.runtime import build_runtime
from okrbot.storage.db import Database
from okrbot.storage.models import KudosRow
from tests import test_slack_e2e as over_http
from tests.test_faults import seed as seed_people
from tests.test_faults import (
    serving_slack,
    slack_id,
    sqlite_copy,
    start_serve,
    stop,
    wait_for,
)
from tests.test_slack_e2e import (
    SECRET,
    SlackWorld,
    _krs,
    checkins,
    seed,
    texts,
)
from tests.test_workers import overviews, worker_pids
from tests.world import MONDAY

# These HTTP end-to-end tests, collected here again, get this module's `world`: the socket.
test_check_in_end_to_end = over_http.test_check_in_end_to_end
test_invalid_values_are_refused_and_nothing_is_stored = (
    over_http.test_invalid_values_are_refused_and_nothing_is_stored
)
test_okr_command_variants = over_http.test_okr_command_variants
test_skip_suppresses_this_weeks_prompts = over_http.test_skip_suppresses_this_weeks_prompts
test_app_home_is_published = over_http.test_app_home_is_published
test_a_retried_event_is_handled_once = over_http.test_a_retried_event_is_handled_once


@dataclass
class SocketWorld(SlackWorld):
    socket: SocketModeSandbox
    socket_mode: SocketMode


@pytest.fixture
async def world(sqlite_database: Database) -> AsyncIterator[SocketWorld]:
    """test_slack_e2e's world, with Slack on the other end of a Socket Mode connection."""
    await seed(sqlite_database)
    sandbox = SlackSandbox()
    socket = SocketModeSandbox(sandbox)
    await sandbox.start()
    sandbox.add_user("U0ANA", "ana", "ana@example.com", tz="America/New_York", real_name="Ana Lima")
    sandbox.add_user("U0LI", "li", "li@example.com", tz="Asia/Shanghai", real_name="Li Wei")
    sandbox.add_user("U0MIA", "mia", "mia@example.com", tz="Europe/Berlin", real_name="Mia Boss")
    sandbox.add_channel("C0GENERAL")
    settings = Settings(
        database_url=sqlite_database.url,
        slack_bot_token=sandbox.token,
        slack_app_token=APP_TOKEN,  # and no signing secret: Socket Mode needs none
        slack_api_url=sandbox.url,
        slack_process_before_response=True,
        company_values=["ownership"],
    )
    clock = FakeClock(MONDAY)
    runtime = await build_runtime(
        settings,
        clock=clock,
        database=sqlite_database,
        migrate=False,
        slack_retry_backoff=0,
        slack_socket_mode=True,
    )
    assert runtime.slack is not None
    socket_mode = SocketMode(runtime.slack.app, APP_TOKEN)
    await socket_mode.start()
    await socket.connection(1)
    slack = SocketModeSimulator(socket)
    yield SocketWorld(runtime, sandbox, slack, clock, sqlite_database, socket, socket_mode)
    await socket_mode.close()
    await sandbox.stop()
    # Every envelope was acknowledged once, and nothing else came back.
    assert socket.stray == [] and socket.ignored == []
    assert len(socket.acks) == sum(1 for m in socket.sent if "envelope_id" in m)


async def test_the_bot_connects_with_the_app_token_and_slack_says_hello(world: SocketWorld) -> None:
    [opened] = world.sandbox.calls_to("apps.connections.open")
    assert opened.ok and opened.response["url"].startswith("ws://127.0.0.1:")
    hello = world.socket.sent[0]
    assert hello["type"] == "hello" and hello["num_connections"] == 1
    assert hello["connection_info"] == {"app_id": world.sandbox.app_id}
    assert await world.socket_mode.connected()


async def test_slash_command_replies_travel_in_the_ack_payload(world: SocketWorld) -> None:
    reply = await world.slack.command("U0ANA", "/kudos", "<@U0LI|li> thanks for the churn deck")
    assert "Kudos sent to Li Wei" in reply.json()["text"]
    [kudos] = await _stored_kudos(world.database)
    assert (kudos.giver_platform_id, kudos.recipient_platform_id) == ("U0ANA", "U0LI")
    assert kudos.message == "thanks for the churn deck"
    envelope = world.socket.sent[-1]
    assert envelope["type"] == "slash_commands" and envelope["accepts_response_payload"] is True


async def test_the_kudos_modal_over_the_socket(world: SocketWorld) -> None:
    reply = await world.slack.command("U0ANA", "/kudos", "")
    assert reply.body == ""  # acked at once; the modal opens with the trigger
    modal = world.last_modal()
    reply = await world.slack.submit(
        "U0ANA",
        modal,
        {KUDOS_TO: ["U0MIA"], KUDOS_MESSAGE: "thanks for unblocking us"},
    )
    body = reply.json()
    assert body["response_action"] == "update" and "Kudos sent to Mia Boss" in str(body)
    [kudos] = await _stored_kudos(world.database)
    assert kudos.recipient_platform_id == "U0MIA" and kudos.message == "thanks for unblocking us"


async def test_an_org_wide_install_checks_in_over_the_socket(world: SocketWorld) -> None:
    world.slack = SocketModeSimulator(world.socket, grid=Grid())
    await over_http.test_check_in_end_to_end(world)
    assert world.socket.sent[-1]["payload"]["is_enterprise_install"] is True


async def test_after_a_disconnect_the_bot_reconnects_and_the_check_in_loop_goes_on(
    world: SocketWorld,
) -> None:
    await world.send_prompts()
    [prompt] = world.dm("U0ANA")
    channel = world.sandbox.dm_channel("U0ANA")
    assert (await world.slack.click("U0ANA", prompt, "checkin_open", channel)).body == ""
    modal = world.last_modal()

    # Slack refreshes the connection between the click and the submission.
    first = await world.socket.disconnect("refresh_requested")
    second = await world.socket.connection(2)
    await world.socket.closed(first)
    opened = world.sandbox.calls_to("apps.connections.open")
    assert len(opened) == 2 and opened[0].response["url"] != opened[1].response["url"]
    assert world.socket.current() is second

    activation, guide = [kr.id for kr in await _krs(world.database, "ana@example.com")]
    reply = await world.slack.submit(
        "U0ANA",
        modal,
        {
            f"kr-{activation}-value": "52",
            f"kr-{activation}-confidence": "on_track",
            f"kr-{guide}-value": "done",
            f"kr-{guide}-confidence": "on_track",
        },
    )
    assert reply.body == ""  # the modal closes
    assert second.received[-1]["envelope_id"] == world.socket.sent[-1]["envelope_id"]
    stored = await checkins(world.database)
    assert [(c.value, c.confidence) for c in stored] == [(52.0, "on_track"), (1.0, "on_track")]
    [summary] = world.dm("U0ANA")
    assert "Checked in" in texts(summary)


async def test_an_event_retried_on_the_new_connection_is_not_acted_on_twice(
    world: SocketWorld,
) -> None:
    first = world.socket.current()
    await world.slack.open_home("U0ANA", event_id="Ev0HOME")
    await world.socket.disconnect()
    await world.socket.connection(2)
    await world.socket.closed(first)
    # Slack saw no ack in time and delivers the event again, now on the new connection.
    await world.slack.open_home("U0ANA", event_id="Ev0HOME", retry=1)
    retried = world.socket.sent[-1]
    assert (retried["retry_attempt"], retried["retry_reason"]) == (1, "timeout")
    assert len(world.sandbox.calls_to("views.publish")) == 1
    await world.slack.open_home("U0ANA", event_id="Ev0HOME2")
    assert len(world.sandbox.calls_to("views.publish")) == 2


async def _stored_kudos(database: Database) -> list[KudosRow]:
    async with database.reading() as session:
        return list((await session.scalars(select(KudosRow).order_by(KudosRow.id))).all())


# -- apps.connections.open -------------------------------------------------------------------


@pytest.fixture
async def socket_sandbox() -> AsyncIterator[SocketModeSandbox]:
    sandbox = SlackSandbox()
    socket = SocketModeSandbox(sandbox)
    await sandbox.start()
    yield socket
    await sandbox.stop()


async def refusal(api_url: str, token: str | None) -> dict:
    client = AsyncWebClient(token=token, base_url=api_url)
    with pytest.raises(SlackApiError) as raised:
        await client.apps_connections_open(app_token=token)  # type: ignore[arg-type]
    return dict(raised.value.response.data)  # type: ignore[arg-type]


async def test_apps_connections_open_takes_only_the_app_level_token(
    socket_sandbox: SocketModeSandbox,
) -> None:
    url = socket_sandbox.sandbox.url
    bot_token = socket_sandbox.sandbox.token
    assert (await refusal(url, bot_token))["error"] == "not_allowed_token_type"
    assert (await refusal(url, "xapp-1-A0OTHER-1-deadbeef"))["error"] == "invalid_auth"
    assert (await refusal(url, ""))["error"] == "not_authed"
    opened = await AsyncWebClient(base_url=url).apps_connections_open(app_token=APP_TOKEN)
    assert opened["ok"] and opened["url"].startswith("ws://")
    # ... and the app-level token cannot act as the bot.
    app_client = AsyncWebClient(token=APP_TOKEN, base_url=url)
    with pytest.raises(SlackApiError) as raised:
        await app_client.chat_postMessage(channel="U0ANA", text="hi")
    assert raised.value.response["error"] == "not_allowed_token_type"


async def test_an_app_token_without_connections_write_is_refused() -> None:
    sandbox = SlackSandbox()
    SocketModeSandbox(sandbox, scopes=("authorizations:read",))
    async with sandbox:
        answer = await refusal(sandbox.url, APP_TOKEN)
    assert answer["error"] == "missing_scope"
    assert (answer["needed"], answer["provided"]) == ("connections:write", "authorizations:read")


async def test_socket_mode_stops_at_once_with_slacks_reason_when_the_token_is_refused(
    socket_sandbox: SocketModeSandbox,
) -> None:
    from slack_bolt.async_app import AsyncApp

    client = AsyncWebClient(token=socket_sandbox.sandbox.token, base_url=socket_sandbox.sandbox.url)
    app = AsyncApp(client=client, signing_secret=SECRET)
    for token, reason in (
        (socket_sandbox.sandbox.token, "not_allowed_token_type"),
        ("xapp-1-A0OTHER-1-deadbeef", "invalid_auth"),
    ):
        socket_mode = SocketMode(app, token)
        with pytest.raises(SocketModeRefused, match=reason):
            await socket_mode.start()
        await socket_mode.close()
    assert socket_sandbox.connections == []


# -- a real `okrbot serve --socket-mode` -----------------------------------------------------


async def health(port: int) -> tuple[int, dict]:
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"http://127.0.0.1:{port}/healthz") as response,
    ):
        return response.status, await response.json()


async def test_okrbot_serve_in_socket_mode_runs_the_check_in_loop_kudos_and_home_across_a_reconnect(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database = sqlite_copy(sqlite_template, tmp_path)
    await seed_people(database, 2, datetime.now(UTC) - timedelta(seconds=1))  # prompts due now
    ana, li = slack_id(1), slack_id(2)
    sandbox = SlackSandbox()
    socket = SocketModeSandbox(sandbox)
    await sandbox.start()
    sandbox.add_user(ana, "ana", "p1@example.com", real_name="Ana Lima")
    sandbox.add_user(li, "li", "p2@example.com", real_name="Li Wei")
    sandbox.add_channel("C0GENERAL")
    serve = start_serve(
        database.url,
        sandbox.url,
        "--socket-mode",
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_SIGNING_SECRET="",
        OKRBOT_LOG_LEVEL="INFO",
    )
    slack = SocketModeSimulator(socket)
    try:
        await socket.connection(1, seconds=60)
        await wait_for(lambda: sandbox.messages_in(ana), 30, "the check-in prompt")
        [prompt] = sandbox.messages_in(ana)
        reply = await slack.click(ana, prompt, "checkin_open", sandbox.dm_channel(ana) or "")
        assert reply.body == ""
        await wait_for(lambda: sandbox.calls_to("views.open"), 10, "the check-in modal")
        [opened] = sandbox.calls_to("views.open")
        assert opened.ok
        refused = await slack.submit(ana, opened.params["view"], {"kr-1-value": "lots"})
        assert refused.json()["response_action"] == "errors"
        reply = await slack.submit(
            ana, opened.params["view"], {"kr-1-value": "7", "kr-1-confidence": "on_track"}
        )
        assert reply.body == ""  # the modal closes
        await wait_for(lambda: _checked_in(database), 10, "the check-in stored")

        status, report = await health(serve.port)
        assert (status, report) == (
            200,
            {
                "ok": True,
                "slack": True,
                "teams": False,
                "teams_authenticated": None,
                "slack_socket_mode": "connected",
            },
        )

        # Without a signing secret nothing could verify an HTTP request: there is no endpoint.
        signed_http = SlackSimulator(f"http://127.0.0.1:{serve.port}/slack/events", "", sandbox)
        assert (await signed_http.command(ana, "/okr")).status == 404
        await signed_http.close()

        first = await socket.disconnect("refresh_requested")
        await socket.connection(2)
        await socket.closed(first)
        reply = await slack.command(ana, "/kudos", f"<@{li}|li> thanks for the review")
        assert "Kudos sent to P 2" in reply.json()["text"]  # the name okrbot has for Li
        await slack.open_home(li)
        await wait_for(lambda: li in sandbox.home_views, 10, "Li's App Home")
        assert len(sandbox.calls_to("apps.connections.open")) == 2
    finally:
        output = await stop(serve)
        await sandbox.stop()
        await slack.close()
    assert serve.returncode == 0, output
    assert "serving Slack Socket Mode\n" in output
    assert socket.stray == [] and socket.ignored == []
    [stored] = await checkins(database)
    assert (stored.value, stored.confidence) == (7.0, "on_track")
    await database.dispose()


async def _checked_in(database: Database) -> bool:
    return bool(await checkins(database))


@pytest.mark.parametrize(
    ("app_token", "reason"),
    [
        ("xoxb-sandbox-token", "not_allowed_token_type"),
        ("xapp-1-A0SANDBOX-1-stale", "invalid_auth"),
    ],
)
async def test_okrbot_serve_stops_with_slacks_reason_when_the_app_token_is_refused(
    sqlite_template: Path, tmp_path: Path, app_token: str, reason: str
) -> None:
    database = sqlite_copy(sqlite_template, tmp_path)
    sandbox = SlackSandbox()
    socket = SocketModeSandbox(sandbox)
    async with sandbox:
        serve = start_serve(database.url, sandbox.url, "--socket-mode", SLACK_APP_TOKEN=app_token)
        try:
            await asyncio.to_thread(serve.wait, 60)
        finally:
            output = await stop(serve)
    assert serve.returncode == 1, output
    assert reason in output and "connections:write" in output
    assert "Traceback" not in output
    assert socket.connections == []
    await database.dispose()


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; SO_REUSEPORT")
async def test_socket_mode_workers_each_hold_a_connection_and_a_killed_one_is_replaced(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database = sqlite_copy(sqlite_template, tmp_path)
    people = 5
    async with serving_slack(database, people, "--workers", "2", socket_mode=True) as (
        serve,
        slack,
        _sandbox,
    ):
        assert isinstance(slack, SocketModeSimulator)
        socket = slack.socket
        await socket.connection(2, seconds=60)  # one per worker
        assert await overviews(slack, range(1, people + 1)) == [(200, True)] * people
        victim = min(worker_pids(serve.pid))
        os.kill(victim, signal.SIGKILL)
        # Its connection drops; the replacement worker opens a new one.
        await socket.connection(3, seconds=60)
        await wait_for(lambda: sum(c.open for c in socket.connections) == 2, 30, "two open")
        assert await overviews(slack, range(1, people + 1)) == [(200, True)] * people
        output = await stop(serve)
    assert serve.returncode == 0, output
    assert len(socket.sandbox.calls_to("apps.connections.open")) == 3
    await database.dispose()


async def test_each_socket_url_is_good_for_one_connection(
    socket_sandbox: SocketModeSandbox,
) -> None:
    client = AsyncWebClient(base_url=socket_sandbox.sandbox.url)
    url = (await client.apps_connections_open(app_token=APP_TOKEN))["url"]
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url) as first:
            hello = await first.receive_json()
            assert hello["type"] == "hello" and hello["num_connections"] == 1
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(url)
            assert refused.value.status == 401
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await session.ws_connect(url.replace("ticket=", "ticket=forged"))
