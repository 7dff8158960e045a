"""Retries on real Slack scopes: the sandbox grants exactly what manifest/slack.yaml requests.

A delivery that needs a second attempt reads the DM's history (`conversations.history`, scope
`im:history`) only when the first attempt may have posted: it crashed after posting, or lost
Slack's answer. After a definite refusal (a 429, a 5xx) it just sends again. Without the scope
it still delivers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from okrbot.adapters.slack.sandbox import SlackSandbox, manifest_bot_scopes
from okrbot.scheduler.outbox import LEASE
from okrbot.scheduler.prompts import enqueue_prompts_now
from okrbot.storage.db import Database
from okrbot.storage.models import DeliveryRow
from okrbot.storage.people import list_people
from tests.test_slack_e2e import SlackWorld, slack_world

ROOT = Path(__file__).resolve().parents[1]


def requested_scopes() -> set[str]:
    manifest = yaml.safe_load((ROOT / "manifest" / "slack.yaml").read_text())
    return set(manifest["oauth_config"]["scopes"]["bot"])


def test_the_sandbox_grants_what_the_manifest_requests_and_the_readme_lists_it() -> None:
    assert manifest_bot_scopes() == requested_scopes()
    readme = (ROOT / "README.md").read_text()
    listed = re.search(r"the minimal scopes \(([^)]*)\)", readme)
    assert listed is not None
    assert set(re.findall(r"`([^`]+)`", listed.group(1))) == requested_scopes()


async def test_a_call_without_its_scope_answers_missing_scope() -> None:
    async with SlackSandbox(scopes=["chat:write", "users:read"]) as sandbox:
        sandbox.add_user("U0ANA", "ana", "ana@example.com")
        client = AsyncWebClient(token=sandbox.token, base_url=sandbox.url)
        posted = await client.chat_postMessage(channel="U0ANA", text="hi")
        with pytest.raises(SlackApiError) as refused:
            await client.conversations_history(channel=posted["channel"])
        answer = refused.value.response.data
        assert answer["error"] == "missing_scope"
        assert answer["needed"] == "im:history"
        assert answer["provided"] == "chat:write,users:read"
        with pytest.raises(SlackApiError) as refused:
            await client.users_lookupByEmail(email="ana@example.com")
        assert refused.value.response.data["needed"] == "users:read.email"
        # users.info works, but without users:read.email the profile has no email.
        info = await client.users_info(user="U0ANA")
        assert "email" not in info["user"]["profile"]
        # views.* need no scope beyond the bot token.
        home = {"type": "home", "blocks": [{"type": "divider"}]}
        await client.views_publish(user_id="U0ANA", view=home)


@pytest.fixture
async def world(sqlite_database: Database) -> AsyncIterator[SlackWorld]:
    async with slack_world(sqlite_database) as running:
        yield running


async def prompt_ana(world: SlackWorld) -> None:
    async with world.database.reading() as session:
        ana = [p for p in await list_people(session) if p.email == "ana@example.com"]
    await enqueue_prompts_now(world.database, ana, world.clock.now(), "UTC")


async def deliver(world: SlackWorld) -> int:
    return await world.runtime.outbox.deliver_due(world.runtime.courier)


async def statuses(database: Database) -> list[str]:
    async with database.reading() as session:
        return list((await session.scalars(select(DeliveryRow.status))).all())


@pytest.mark.parametrize(
    "refusal",
    [{"status": 500, "count": 3}, {"error": "ratelimited", "retry_after": 0, "count": 1}],
    ids=["5xx", "429"],
)
async def test_a_send_slack_refused_goes_out_on_the_next_attempt_without_reading_the_dm(
    world: SlackWorld, refusal: dict
) -> None:
    # A 5xx: the client's own two retries, then the outbox's first attempt fails. A 429 goes
    # straight back to the outbox, which waits for its Retry-After instead of the client.
    world.sandbox.fail_next("chat.postMessage", **refusal)
    await prompt_ana(world)
    assert await deliver(world) == 0
    world.clock.advance(timedelta(minutes=5))
    assert await deliver(world) == 1
    assert len(world.dm("U0ANA")) == 1
    assert world.sandbox.calls_to("conversations.history") == []


async def test_a_send_cut_off_before_slack_took_it_looks_in_the_dm_then_posts(
    world: SlackWorld,
) -> None:
    world.sandbox.fail_next("chat.postMessage", drop=True)
    await prompt_ana(world)
    assert await deliver(world) == 0
    world.clock.advance(timedelta(minutes=5))
    assert await deliver(world) == 1
    [looked] = world.sandbox.calls_to("conversations.history")
    assert looked.ok
    assert len(world.dm("U0ANA")) == 1


async def test_a_post_slack_took_but_whose_answer_was_lost_arrives_once(
    world: SlackWorld,
) -> None:
    world.sandbox.fail_next("chat.postMessage", drop=True, applied=True)
    await prompt_ana(world)
    assert await deliver(world) == 0  # the outcome is unknown: no blind second post
    assert len(world.dm("U0ANA")) == 1
    world.clock.advance(timedelta(minutes=5))
    assert await deliver(world) == 1
    assert len(world.dm("U0ANA")) == 1  # found in the DM, not posted again
    assert len(world.sandbox.calls_to("chat.postMessage")) == 1
    assert await statuses(world.database) == ["sent"]


async def crash_after_posting(world: SlackWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first attempt posts, then its sender dies before recording it; the lease runs out."""
    outbox = world.runtime.outbox

    async def database_gone(*_args: object, **_kwargs: object) -> None:
        raise ConnectionResetError("the sender died")

    with monkeypatch.context() as patched:
        patched.setattr(outbox, "finish", database_gone)
        await prompt_ana(world)
        with pytest.raises(ConnectionResetError):
            await deliver(world)
    assert len(world.dm("U0ANA")) == 1 and await statuses(world.database) == ["sending"]
    world.clock.advance(LEASE + timedelta(seconds=1))


async def test_a_retry_after_a_crash_finds_its_post_and_does_not_post_twice(
    world: SlackWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    await crash_after_posting(world, monkeypatch)
    assert await deliver(world) == 1
    assert len(world.dm("U0ANA")) == 1
    assert [call.ok for call in world.sandbox.calls_to("conversations.history")] == [True]
    assert await statuses(world.database) == ["sent"]


async def test_without_im_history_a_retry_still_delivers(
    world: SlackWorld, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    world.sandbox.scopes = world.sandbox.scopes - {"im:history"}
    await crash_after_posting(world, monkeypatch)
    with caplog.at_level(logging.WARNING):
        assert await deliver(world) == 1
    [looked] = world.sandbox.calls_to("conversations.history")
    assert looked.response["error"] == "missing_scope"
    assert await statuses(world.database) == ["sent"]
    # The post was recorded the moment Slack took it, before the crash: even without the
    # history, the retry knows it went out and does not post it again.
    assert len(world.dm("U0ANA")) == 1
    assert "missing_scope im:history" in caplog.text
