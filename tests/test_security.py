"""What an attacker can and cannot do: forge or replay Slack requests, reach Teams without a token,
write someone else's key results, read secrets out of logs or CLI output, or run the
unauthenticated Teams dev mode on a reachable interface.

(Digests: there is no `digest_nudge` listener in the Slack or Teams adapters yet, so a crafted
nudge cannot be tested here; it is left for whoever wires the digest in.)
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from okrbot.adapters.slack.sandbox import SlackSandbox
from okrbot.adapters.slack.simulator import SlackSimulator, sign
from okrbot.adapters.teams.sandbox import TeamsSandbox
from okrbot.adapters.teams.simulator import TeamsSimulator
from okrbot.bot.clock import FakeClock
from okrbot.bot.settings import Settings
from okrbot.cli.main import app as cli_app
from okrbot.cli.runtime import Runtime, build_runtime
from okrbot.cli.serve import is_loopback
from okrbot.scheduler.prompts import enqueue_prompts_now
from okrbot.storage.db import Database
from okrbot.storage.models import CheckInRow, KeyResultRow, KudosRow
from okrbot.storage.people import list_people
from tests.world import ANA, LI, MONDAY, Seed, add_members, serving

SIGNING_SECRET = "sig-5ecret-9f8e7d6c5b4a"
BOT_TOKEN = "xoxb-5ecret-bot-token-1a2b3c"
APP_PASSWORD = "ms-5ecret-app-password-4d5e6f"
SECRETS = (SIGNING_SECRET, BOT_TOKEN, APP_PASSWORD)


async def seed(database: Database) -> dict[str, int]:
    """Ana and Li, each with one key result of their own."""
    seed = (
        Seed()
        .person("ana", ANA.email, ANA.name, slack_user_id="U0ANA", teams_aad_id=ANA.aad_object_id)
        .person("li", LI.email, LI.name, slack_user_id="U0LI", teams_aad_id=LI.aad_object_id)
    )
    for position, (owner, title) in enumerate((("ana", "Activation"), ("li", "Churn")), 1):
        key = title.lower()
        seed.objective(
            f"{key} objective",
            f"{title} objective",
            owner=owner,
            kind="committed",
            position=position,
        )
        seed.key_result(
            key, title, objective=f"{key} objective", owner=owner, start=0, target=10, current=1,
            position=0,
        )  # fmt: skip
    ids = await seed.write(database)
    return {"activation": ids["activation"], "churn": ids["churn"]}


@dataclass
class World:
    runtime: Runtime
    slack: SlackSimulator
    slack_sandbox: SlackSandbox
    teams: TeamsSimulator
    teams_sandbox: TeamsSandbox
    database: Database
    key_results: dict[str, int]


@pytest.fixture
async def world(sqlite_database: Database) -> AsyncIterator[World]:
    """Slack and Teams (dev no-auth) on one server, with secrets that must never be shown."""
    key_results = await seed(sqlite_database)
    slack_sandbox = SlackSandbox(token=BOT_TOKEN)
    teams_sandbox = TeamsSandbox()
    await slack_sandbox.start()
    await teams_sandbox.start()
    slack_sandbox.add_user("U0ANA", "ana", ANA.email)
    slack_sandbox.add_user("U0LI", "li", LI.email)
    add_members(teams_sandbox, ANA, LI)
    settings = Settings(
        database_url=sqlite_database.url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_sandbox.url,
        slack_process_before_response=True,
        teams_dev_no_auth=True,
        microsoft_app_password=APP_PASSWORD,
    )
    runtime = await build_runtime(
        settings,
        clock=FakeClock(MONDAY),
        database=sqlite_database,
        migrate=False,
        slack_retry_backoff=0,
    )
    async with serving(runtime) as root:
        slack = SlackSimulator(f"{root}/slack/events", SIGNING_SECRET, slack_sandbox)
        teams = TeamsSimulator(f"{root}/api/messages", teams_sandbox)
        yield World(
            runtime, slack, slack_sandbox, teams, teams_sandbox, sqlite_database, key_results
        )
        await slack.close()
        await teams.close()
    await slack_sandbox.stop()
    await teams_sandbox.stop()


async def count(database: Database, table: type) -> int:
    async with database.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


def kudos_body() -> bytes:
    """A /kudos that would store a row if it got through."""
    form = {
        "team_id": "T0SANDBOX",
        "channel_id": "C0GENERAL",
        "user_id": "U0ANA",
        "command": "/kudos",
        "text": "<@U0LI|li> thanks for the review",
        "api_app_id": "A0SANDBOX",
        "trigger_id": "1.2.3",
    }
    return urlencode(form).encode()


# -- Slack signatures ------------------------------------------------------------------------


async def test_a_correctly_signed_kudos_goes_through(world: World) -> None:
    """The control for the refusals below: the same body, properly signed, is stored."""
    reply = await world.slack.post(kudos_body(), "application/x-www-form-urlencoded")
    assert reply.status == 200 and "Kudos" in reply.body
    assert await count(world.database, KudosRow) == 1


@pytest.mark.parametrize(
    "case",
    ["no signature", "wrong secret", "tampered body", "replayed", "from the future", "bad stamp"],
)
async def test_slack_requests_without_a_valid_fresh_signature_are_refused(
    world: World, case: str
) -> None:
    body = kudos_body()
    now = int(time.time())
    stamp, signature, sent = str(now), sign(SIGNING_SECRET, str(now), body), body
    if case == "no signature":
        signature = ""
    elif case == "wrong secret":
        signature = sign("not-the-secret", stamp, body)
    elif case == "tampered body":
        sent = body.replace(b"thanks", b"THANKS")
    elif case == "replayed":  # a real request captured and sent again 6 minutes later
        stamp = str(now - 6 * 60)
        signature = sign(SIGNING_SECRET, stamp, body)
    elif case == "from the future":
        stamp = str(now + 6 * 60)
        signature = sign(SIGNING_SECRET, stamp, body)
    else:
        stamp = "yesterday"
        signature = sign(SIGNING_SECRET, stamp, body)
    reply = await world.slack.post(
        sent,
        "application/x-www-form-urlencoded",
        timestamp=stamp,
        signature=signature or "v0=",
    )
    assert reply.status == 401
    assert "Kudos" not in reply.body
    assert await count(world.database, KudosRow) == 0
    assert world.slack_sandbox.calls == []  # nothing reached Slack's API either


# -- nobody writes another person's key results ----------------------------------------------


async def test_a_crafted_slack_submission_writes_only_the_signers_key_results(
    world: World,
) -> None:
    ana_kr, li_kr = world.key_results["activation"], world.key_results["churn"]
    await world.slack.command("U0ANA", "/okr", "checkin")
    modal = world.slack_sandbox.calls_to("views.open")[-1].params["view"]
    forged = {
        **modal,
        "private_metadata": '{"page": 0, "person": "li@example.com", "person_id": 2}',
        "blocks": [
            *modal["blocks"],
            {
                "type": "input",
                "block_id": f"kr-{li_kr}-value",
                "element": {"type": "plain_text_input", "action_id": "input"},
                "label": {"type": "plain_text", "text": "x"},
            },
            {
                "type": "input",
                "block_id": f"kr-{li_kr}-confidence",
                "element": {"type": "plain_text_input", "action_id": "input"},
                "label": {"type": "plain_text", "text": "x"},
            },
        ],
    }
    await world.slack.submit(
        "U0ANA",
        forged,
        {
            f"kr-{li_kr}-value": "9",
            f"kr-{li_kr}-confidence": "on_track",
            f"kr-{ana_kr}-value": "5",
            f"kr-{ana_kr}-confidence": "on_track",
        },
    )
    async with world.database.reading() as session:
        assert (await session.get(KeyResultRow, li_kr)).current == 1
        written = set(await session.scalars(select(CheckInRow.key_result_id)))
    assert written == {ana_kr}


async def test_a_crafted_teams_card_submission_writes_only_the_senders_key_results(
    world: World,
) -> None:
    ana_kr, li_kr = world.key_results["activation"], world.key_results["churn"]
    await world.teams.install(ANA)
    reply = await world.teams.submit(
        ANA,
        {
            "action": "checkin_form",
            "person": LI.email,
            "person_id": 2,
            f"kr-{li_kr}-value": "9",
            f"kr-{li_kr}-confidence": "on_track",
            f"kr-{ana_kr}-value": "5",
            f"kr-{ana_kr}-confidence": "on_track",
        },
    )
    assert reply.status == 200
    async with world.database.reading() as session:
        assert (await session.get(KeyResultRow, li_kr)).current == 1
        written = set(await session.scalars(select(CheckInRow.key_result_id)))
    assert li_kr not in written


# -- secrets stay secret ---------------------------------------------------------------------


async def test_secrets_never_reach_the_logs(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """A whole flow at DEBUG, with a Slack call and a Teams call failing along the way."""
    caplog.set_level(logging.DEBUG)
    await world.teams.install(ANA)
    world.slack_sandbox.fail_next("chat.postMessage", status=500, count=10)
    world.slack_sandbox.fail_next("chat.postMessage", error="invalid_auth")
    world.teams_sandbox.fail_next("reply", 500, count=10)
    async with world.database.reading() as session:
        people = await list_people(session)
    await enqueue_prompts_now(world.database, people, MONDAY, "UTC")
    await world.runtime.outbox.deliver_due(world.runtime.courier)
    await world.slack.command("U0ANA", "/okr", "")
    await world.slack.post(kudos_body(), "application/x-www-form-urlencoded", signature="v0=bad")
    await world.teams.say(ANA, "okr")
    failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("retry" in r.getMessage() for r in failures)  # the failures were logged
    for record in caplog.records:
        shown = record.getMessage() + repr(record.args) + (record.exc_text or "")
        if record.exc_info:
            shown += logging.Formatter().formatException(record.exc_info)
        for secret in SECRETS:
            assert secret not in shown, (record.name, shown[:300])
    assert not any(secret in caplog.text for secret in SECRETS)


@pytest.mark.parametrize(
    "broken",
    [
        {"OKRBOT_TICK_SECONDS": "soon"},
        {"SLACK_SIGNING_SECRET": ""},
        {"OKRBOT_DATABASE_URL": f"mysql://root:{APP_PASSWORD}@db/okrbot"},
        {"MICROSOFT_APP_ID": "11111111-2222-3333-4444-555555555555", "MICROSOFT_APP_PASSWORD": ""},
    ],
)
def test_secrets_never_appear_in_cli_output(
    broken: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "MICROSOFT_APP_ID": "11111111-2222-3333-4444-555555555555",
        "MICROSOFT_APP_PASSWORD": APP_PASSWORD,
        "OKRBOT_DATABASE_URL": "sqlite+aiosqlite:///:memory:",
        **broken,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli_app, ["serve", "--host", "127.0.0.1", "--port", "1"])
    assert result.exit_code != 0
    assert "error" in result.output.lower()
    for secret in SECRETS:
        assert secret not in result.output


# -- the unauthenticated Teams dev mode stays on loopback ------------------------------------


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "::", "192.168.1.20", "example.com", "127.0.0.1.nip.io"]
)
def test_serve_refuses_teams_dev_no_auth_off_loopback(
    host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OKRBOT_TEAMS_DEV_NO_AUTH", "1")
    monkeypatch.setenv("OKRBOT_DATABASE_URL", "sqlite+aiosqlite:///:memory:")
    by_option = CliRunner().invoke(cli_app, ["serve", "--host", host])
    monkeypatch.setenv("OKRBOT_HOST", host)
    by_setting = CliRunner().invoke(cli_app, ["serve"])
    for result in (by_option, by_setting):
        assert result.exit_code == 1
        assert "loopback" in result.output and "MICROSOFT_APP_ID" in result.output


def test_loopback_addresses_are_recognised() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.1", "localhost.evil.com"))
