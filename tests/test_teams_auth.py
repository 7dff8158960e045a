"""Teams in production mode: real Bot Framework authentication both ways, offline.

okrbot runs with MICROSOFT_APP_ID / MICROSOFT_APP_PASSWORD and no dev flag. Teams' side signs
its requests with a key the local identity stand-in publishes (OpenID metadata + JWKS, as
login.botframework.com does); okrbot gets its own token from the stand-in's Entra token
endpoint, and the connector sandbox refuses any call without a valid one.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp.test_utils import TestClient, TestServer
from botbuilder.schema import Activity
from sqlalchemy import select

from okrbot.adapters.teams.auth import (
    TOKEN_REFRESH_MARGIN_SECONDS,
    UNKNOWN_KEY_REFETCH_SECONDS,
    app_credentials,
    bot_framework_authentication,
)
from okrbot.adapters.teams.identity_sandbox import (
    BOTFRAMEWORK_TENANT_ID,
    IdentitySandbox,
    KeyPair,
)
from okrbot.adapters.teams.sandbox import TeamsSandbox, message_activity
from okrbot.adapters.teams.simulator import TeamsSimulator
from okrbot.bot.settings import Settings
from okrbot.cli.runtime import build_runtime
from okrbot.cli.serve import log_modes, serving_modes, web_app
from okrbot.storage.db import Database
from okrbot.storage.models import DeliveryRow
from tests.test_faults import Serve, healthy, stop, wait_for
from tests.test_teams_e2e import (
    APP_ID,
    TeamsWorld,
    checkins,
    person,
    seed,
    start_world,
    texts,
)
from tests.world import ANA, LI, add_members

PASSWORD = "a-client-secret"
TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
KEYS = "/v1/.well-known/keys"
METADATA = "/v1/.well-known/openidconfiguration"


@pytest.fixture
async def identity() -> AsyncIterator[IdentitySandbox]:
    async with IdentitySandbox() as running:
        running.register_app(APP_ID, PASSWORD)
        yield running


@pytest.fixture
async def key_results(sqlite_database: Database) -> dict[str, int]:
    return await seed(sqlite_database)


async def production_world(
    database: Database, identity: IdentitySandbox, **more: Any
) -> AsyncIterator[TeamsWorld]:
    """okrbot with an app id and no dev flag; Teams' requests carry a channel token."""
    config: dict[str, Any] = {
        "database_url": database.url,
        "microsoft_app_id": APP_ID,
        "microsoft_app_password": PASSWORD,
        "botframework_openid_url": identity.openid_url,
        "botframework_token_url": identity.token_url,
    }
    settings = Settings(**(config | more))
    async for world in start_world(database, settings, authorize=identity.check_app_token):
        token = identity.channel_token(APP_ID, world.sandbox.service_url)
        world.teams.authorization = f"Bearer {token}"
        yield world


@pytest.fixture
async def world(
    sqlite_database: Database, key_results: dict[str, int], identity: IdentitySandbox
) -> AsyncIterator[TeamsWorld]:
    async for running in production_world(sqlite_database, identity):
        yield running


def okr_from(world: TeamsWorld, **token: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Ana's `okr`, with a channel token made with `token`'s overrides."""
    service_url = token.pop("service_url", world.sandbox.service_url)
    activity = message_activity(
        "okr",
        from_id=ANA.teams_user_id,
        aad_object_id=ANA.aad_object_id,
        conversation_id=ANA.conversation_id,
        service_url=world.sandbox.service_url,
    )
    identity: IdentitySandbox = token.pop("identity")
    app_id = token.pop("app_id", APP_ID)
    header = {"Authorization": "Bearer " + identity.channel_token(app_id, service_url, **token)}
    return activity, header


def ana_checks_in(key_results: dict[str, int]) -> dict[str, str]:
    """What Ana types into the check-in form."""
    activation, guide = key_results["activation"], key_results["guide"]
    return {
        f"kr-{activation}-value": "47.5",
        f"kr-{activation}-confidence": "on_track",
        f"kr-{guide}-value": "not_done",
        f"kr-{guide}-confidence": "at_risk",
    }


# -- inbound: the accepted path ----------------------------------------------------------------


async def test_a_correctly_signed_teams_request_is_answered_and_a_check_in_is_stored(
    world: TeamsWorld, identity: IdentitySandbox, key_results: dict[str, int]
) -> None:
    assert [r.status for r in await world.teams.install(ANA)] == [200, 200]
    assert await world.send_prompts() == 1
    prompt = world.last(ANA)
    activation = key_results["activation"]
    reply = await world.teams.press(ANA, prompt, "checkin_form", ana_checks_in(key_results))
    assert reply.status == 200
    stored = await checkins(world.database)
    assert (activation, 47.5, "teams") in [(c.key_result_id, c.value, c.platform) for c in stored]
    summary = world.sandbox.activity(ANA.conversation_id, prompt["id"])
    assert "Checked in · week 47" in texts(summary)

    # Every connector call carried a token the connector accepted, from one token request.
    assert world.sandbox.requests and all(r.status < 400 for r in world.sandbox.requests)
    assert {r.authorization for r in world.sandbox.requests} == {f"Bearer {identity.issued[0]}"}
    assert identity.fetches("/botframework.com/oauth2/v2.0/token") == 1
    assert identity.fetches(METADATA) == 1 and identity.fetches(KEYS) == 1


# -- inbound: refusals -------------------------------------------------------------------------


def _foreign_key_with_a_listed_kid(identity: IdentitySandbox) -> dict[str, Any]:
    return {"signed_with": KeyPair.generate(), "kid": identity.signing_key.kid}


REFUSED: dict[str, Any] = {
    "signed by another key": _foreign_key_with_a_listed_kid,
    "for another app": lambda _: {"app_id": "99999999-2222-3333-4444-555555555555"},
    "for another service URL": lambda _: {"service_url": "https://smba.trafficmanager.net/amer/"},
    "expired": lambda _: {"lifetime": -3600},
    "not valid yet": lambda identity: {"not_before": identity.clock() + 3600},
    "from another issuer": lambda _: {"iss": "https://sts.windows.net/attacker/"},
    # What the Bot Framework Emulator sends; only dev mode takes the Emulator.
    "issued as for the Emulator": lambda _: {
        "iss": "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/",
        "ver": "1.0",
        "appid": APP_ID,
    },
    "from a key id the metadata does not list": lambda _: {"signed_with": KeyPair.generate()},
    "from a key not endorsed for Teams": lambda identity: {
        "signed_with": _publish(identity, KeyPair.generate(endorsements=("webchat",)))
    },
}


def _publish(identity: IdentitySandbox, key: KeyPair) -> KeyPair:
    identity.published.insert(0, key)
    return key


@pytest.mark.parametrize("case", list(REFUSED))
async def test_a_wrongly_signed_teams_request_is_refused_and_touches_nothing(
    world: TeamsWorld, identity: IdentitySandbox, case: str
) -> None:
    activity, header = okr_from(world, identity=identity, **REFUSED[case](identity))
    reply = await world.teams.post(activity, headers=header)
    assert reply.status == 401, reply.body
    assert world.sandbox.requests == []
    assert identity.issued == []
    assert (await person(world.database, ANA.email)).teams_conversation is None


@pytest.mark.parametrize(
    "case", ["for another app", "expired", "not valid yet", "from another issuer"]
)
async def test_botbuilder_refuses_what_the_local_pre_check_refuses_too(
    identity: IdentitySandbox, case: str
) -> None:
    """okrbot's cheap check in front (http.py) is not the only one between a forgery and the bot."""
    settings = Settings(
        microsoft_app_id=APP_ID,
        microsoft_app_password=PASSWORD,
        botframework_openid_url=identity.openid_url,
        botframework_token_url=identity.token_url,
    )
    service_url = "https://smba.trafficmanager.net/amer/"
    overrides = REFUSED[case](identity)
    header = "Bearer " + identity.channel_token(
        overrides.pop("app_id", APP_ID), service_url, **overrides
    )
    activity = Activity().deserialize(
        message_activity(
            "okr",
            from_id=ANA.teams_user_id,
            aad_object_id=ANA.aad_object_id,
            conversation_id=ANA.conversation_id,
            service_url=service_url,
        )
    )
    authentication = bot_framework_authentication(settings, app_credentials(settings))
    with pytest.raises((PermissionError, jwt.PyJWTError)):
        await authentication.authenticate_request(activity, header)
    good = "Bearer " + identity.channel_token(APP_ID, service_url)
    result = await authentication.authenticate_request(activity, good)
    assert result.claims_identity.claims["aud"] == APP_ID


async def test_signing_keys_are_fetched_again_when_microsoft_rotates_them(
    world: TeamsWorld, identity: IdentitySandbox
) -> None:
    activity, header = okr_from(world, identity=identity)
    assert (await world.teams.post(activity, headers=header)).status == 200
    assert identity.fetches(KEYS) == 1

    identity.rotate_keys()
    activity, header = okr_from(world, identity=identity)
    world.clock.advance(timedelta(seconds=UNKNOWN_KEY_REFETCH_SECONDS))
    assert (await world.teams.post(activity, headers=header)).status == 200
    assert identity.fetches(KEYS) == 2

    # An unknown key id soon after does not make okrbot fetch again: anyone can send one.
    stranger, header = okr_from(world, identity=identity, signed_with=KeyPair.generate())
    assert (await world.teams.post(stranger, headers=header)).status == 401
    assert identity.fetches(KEYS) == 2


async def test_a_malformed_key_in_the_metadata_does_not_hide_the_good_ones(
    world: TeamsWorld, identity: IdentitySandbox, caplog: pytest.LogCaptureFixture
) -> None:
    class Malformed(KeyPair):
        def jwk(self) -> dict[str, Any]:
            return {**super().jwk(), "n": ""}

    broken = KeyPair.generate()
    identity.published.insert(0, Malformed(broken.private_key, broken.certificate))
    activity, header = okr_from(world, identity=identity)
    assert (await world.teams.post(activity, headers=header)).status == 200
    assert f"skipped Bot Framework signing key '{broken.kid}'" in caplog.text


async def test_keys_a_day_old_are_fetched_again(
    world: TeamsWorld, identity: IdentitySandbox
) -> None:
    activity, header = okr_from(world, identity=identity)
    assert (await world.teams.post(activity, headers=header)).status == 200
    world.clock.advance(timedelta(days=1))
    activity, header = okr_from(world, identity=identity)
    assert (await world.teams.post(activity, headers=header)).status == 200
    assert identity.fetches(KEYS) == 2


async def test_unreachable_signing_keys_answer_503_not_a_crash(
    sqlite_database: Database, key_results: dict[str, int], identity: IdentitySandbox
) -> None:
    async for world in production_world(
        sqlite_database, identity, botframework_openid_url="http://127.0.0.1:9/openid"
    ):
        activity, header = okr_from(world, identity=identity)
        reply = await world.teams.post(activity, headers=header)
        assert reply.status == 503
        assert world.sandbox.requests == []


# -- outbound ----------------------------------------------------------------------------------


async def test_the_connector_refuses_calls_without_a_valid_app_token(
    identity: IdentitySandbox,
) -> None:
    async with TeamsSandbox(authorize=identity.check_app_token) as sandbox:
        url = f"{sandbox.service_url}v3/conversations/a:1/activities"
        forged = KeyPair.generate().sign({"aud": "https://api.botframework.com", "exp": 4e9})
        async with aiohttp.ClientSession() as client:
            for header in ({}, {"Authorization": f"Bearer {forged}"}):
                async with client.post(url, json={"type": "message"}, headers=header) as answer:
                    assert answer.status == 401
                    assert "denied" in (await answer.json())["message"]
        assert sandbox.sent == []


async def test_a_single_tenant_bot_gets_its_token_from_its_own_tenant(
    sqlite_database: Database, key_results: dict[str, int], identity: IdentitySandbox
) -> None:
    identity.register_app(APP_ID, PASSWORD, tenant_id=TENANT)
    async for world in production_world(sqlite_database, identity, microsoft_app_tenant_id=TENANT):
        await world.teams.install(ANA)
        assert world.chat(ANA), "the welcome card did not arrive"
        assert identity.fetches(f"/{TENANT}/oauth2/v2.0/token") == 1
        assert identity.fetches("/botframework.com/oauth2/v2.0/token") == 0


async def test_a_multi_tenant_bot_gets_its_token_from_botframework_com(
    world: TeamsWorld, identity: IdentitySandbox
) -> None:
    await world.teams.install(ANA)
    [token] = identity.issued
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["tid"] == BOTFRAMEWORK_TENANT_ID and claims["appid"] == APP_ID


async def test_a_single_tenant_bot_configured_without_its_tenant_sends_nothing(
    sqlite_database: Database,
    key_results: dict[str, int],
    identity: IdentitySandbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    identity.register_app(APP_ID, PASSWORD, tenant_id=TENANT)
    async for world in production_world(sqlite_database, identity):
        replies = await world.teams.install(ANA)
        assert [r.status for r in replies] == [200, 200]  # Teams got its answer
        assert world.sandbox.requests == []
        assert "AADSTS700016" in caplog.text


async def test_a_wrong_secret_is_reported_not_sent(
    sqlite_database: Database,
    key_results: dict[str, int],
    identity: IdentitySandbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    identity.register_app(APP_ID, "the-real-secret")
    async for world in production_world(sqlite_database, identity):
        await world.teams.install(ANA)
        assert world.sandbox.requests == []
        assert "AADSTS7000215" in caplog.text
        assert PASSWORD not in caplog.text and "the-real-secret" not in caplog.text


async def test_the_app_token_is_reused_until_shortly_before_it_expires(
    world: TeamsWorld, identity: IdentitySandbox
) -> None:
    await world.teams.install(ANA)
    await world.teams.install(LI)
    assert len(identity.issued) == 1
    world.clock.advance(
        timedelta(seconds=identity.token_lifetime - TOKEN_REFRESH_MARGIN_SECONDS - 1)
    )
    await world.teams.say(ANA, "okr")
    assert len(identity.issued) == 1
    world.clock.advance(timedelta(seconds=1))
    await world.teams.say(ANA, "okr")
    assert len(identity.issued) == 2
    assert world.sandbox.requests[-1].authorization == f"Bearer {identity.issued[1]}"


async def test_a_401_from_the_connector_gets_a_new_token_once(
    world: TeamsWorld, identity: IdentitySandbox
) -> None:
    await world.teams.install(ANA)
    identity.revoke_app_tokens()
    assert await world.send_prompts() == 1
    refused, accepted = world.sandbox.requests[-2:]
    assert (refused.status, accepted.status) == (401, 201)
    assert accepted.authorization == f"Bearer {identity.issued[1]}"
    assert len(world.chat(ANA)) == 2  # the welcome, then the prompt


async def test_a_connector_that_keeps_refusing_is_asked_twice_then_the_send_fails(
    world: TeamsWorld, identity: IdentitySandbox
) -> None:
    await world.teams.install(ANA)
    before = len(world.sandbox.requests)
    world.sandbox.authorize = lambda _header: "the bot was deleted"
    assert await world.send_prompts() == 0
    assert [r.status for r in world.sandbox.requests[before:]] == [401, 401]
    assert len(identity.issued) == 2
    async with world.database.reading() as session:
        delivery = await session.scalar(select(DeliveryRow))
    assert delivery is not None and delivery.status != "sent"


async def test_token_requests_do_not_block_the_event_loop(
    world: TeamsWorld, identity: IdentitySandbox
) -> None:
    """The stand-in runs on the test's own loop: a blocking token or key fetch would hang."""
    async with asyncio.timeout(20):
        await world.teams.install(ANA)
    assert identity.issued


async def test_a_us_government_cloud_bot_is_configured_by_its_endpoints_and_issuer(
    sqlite_database: Database, key_results: dict[str, int]
) -> None:
    gov_issuer, gov_tenant = "https://api.botframework.us", "MicrosoftServices.onmicrosoft.us"
    async with IdentitySandbox(issuer=gov_issuer, channel_tenant=gov_tenant) as gov:
        gov.register_app(APP_ID, PASSWORD)
        async for world in production_world(
            sqlite_database,
            gov,
            botframework_issuer=gov_issuer,
            botframework_token_url=gov.token_url.replace("{tenant}", gov_tenant),
        ):
            public_token = gov.channel_token(
                APP_ID, world.sandbox.service_url, iss="https://api.botframework.com"
            )
            activity, _ = okr_from(world, identity=gov)
            refused = await world.teams.post(
                activity, headers={"Authorization": f"Bearer {public_token}"}
            )
            assert refused.status == 401
            assert [r.status for r in await world.teams.install(ANA)] == [200, 200]
            assert world.chat(ANA), "the welcome card did not arrive"
            [token] = gov.issued
            assert jwt.decode(token, options={"verify_signature": False})["aud"] == gov_issuer
            assert gov.fetches(f"/{gov_tenant}/oauth2/v2.0/token") == 1


# -- a real `okrbot serve` ---------------------------------------------------------------------


def serve_teams(database: Database, identity: IdentitySandbox, password: str = PASSWORD) -> Serve:
    """A real `okrbot serve` for Teams with an app id, no dev flag, Microsoft played locally."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OKRBOT_", "SLACK_"))}
    return Serve(
        env
        | {
            "OKRBOT_DATABASE_URL": database.url,
            "MICROSOFT_APP_ID": APP_ID,
            "MICROSOFT_APP_PASSWORD": password,
            "OKRBOT_BOTFRAMEWORK_OPENID_URL": identity.openid_url,
            "OKRBOT_BOTFRAMEWORK_TOKEN_URL": identity.token_url,
        }
    )


async def test_okrbot_serve_with_a_wrong_secret_says_so_at_start(
    sqlite_database: Database, identity: IdentitySandbox
) -> None:
    serve = serve_teams(sqlite_database, identity, password="not-the-secret")
    try:
        await wait_for(lambda: "AADSTS7000215" in serve.output(), 60, "the token error logged")
    finally:
        output = await stop(serve)
    assert "Teams: okrbot cannot write to anyone on Teams, it got no app token" in output
    assert "not-the-secret" not in output


async def test_okrbot_serve_with_an_app_id_authenticates_both_ways_and_stores_a_check_in(
    sqlite_database: Database, key_results: dict[str, int], identity: IdentitySandbox
) -> None:
    async with TeamsSandbox(authorize=identity.check_app_token) as sandbox:
        add_members(sandbox, ANA, LI)
        serve = serve_teams(sqlite_database, identity)
        teams = TeamsSimulator(f"http://127.0.0.1:{serve.port}/api/messages", sandbox)
        try:
            await wait_for(lambda: healthy(serve), 60, "okrbot serve healthy")
            async with (
                aiohttp.ClientSession() as client,
                client.get(f"http://127.0.0.1:{serve.port}/healthz") as response,
            ):
                health = await response.json()
            assert health == {
                "ok": True,
                "slack": False,
                "teams": True,
                "teams_authenticated": True,
            }
            unsigned = await teams.post(b"{}")
            assert unsigned.status == 401

            teams.authorization = "Bearer " + identity.channel_token(APP_ID, sandbox.service_url)
            assert [r.status for r in await teams.install(ANA)] == [200, 200]
            await teams.say(ANA, "okr")
            overview = sandbox.activities_in(ANA.conversation_id)[-1]
            await teams.press(ANA, overview, "checkin_open")
            form = sandbox.activities_in(ANA.conversation_id)[-1]
            typed = ana_checks_in(key_results)
            assert (await teams.press(ANA, form, "checkin_form", typed)).status == 200
            stored = await checkins(sqlite_database)
            activation, guide = key_results["activation"], key_results["guide"]
            assert [(c.key_result_id, c.value) for c in stored] == [(activation, 47.5), (guide, 0)]
            assert all(r.status < 400 for r in sandbox.requests)
            assert identity.fetches("/botframework.com/oauth2/v2.0/token") == 1
        finally:
            await teams.close()
            output = await stop(serve)
    assert "serving Teams authenticated" in output
    assert (
        f"Teams: okrbot got its app token from {identity.token_url}".replace(
            "{tenant}", "botframework.com"
        )
        in output
    )
    assert PASSWORD not in output


async def test_healthz_says_when_teams_runs_in_dev_mode(sqlite_database: Database) -> None:
    runtime = await build_runtime(
        Settings(database_url=sqlite_database.url, teams_dev_no_auth=True),
        database=sqlite_database,
        migrate=False,
    )
    async with TestServer(web_app(runtime)) as server, TestClient(server) as client:
        health = await (await client.get("/healthz")).json()
    assert (health["teams"], health["teams_authenticated"]) == (True, False)
    assert serving_modes(runtime, socket_mode=False) == ["Teams dev"]


async def test_serve_warns_when_no_platform_is_on(
    sqlite_database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = await build_runtime(
        Settings(database_url=sqlite_database.url), database=sqlite_database, migrate=False
    )
    log_modes(runtime, socket_mode=False)
    assert "no platform is on" in caplog.text
