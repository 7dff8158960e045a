"""The Slack sandbox refuses what Slack refuses: repeated ids, blocks slack_sdk's models reject.

Driven through the real `AsyncWebClient`, like test_slack_sandbox.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from okrbot.adapters.slack.sandbox import SlackSandbox

ALICE = "U0ALICE01"


def button(action_id: str, label: str = "Nudge") -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": label}, "action_id": action_id}


def section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id is not None:
        block["block_id"] = block_id
    return block


@pytest.fixture
async def sandbox() -> AsyncIterator[SlackSandbox]:
    async with SlackSandbox() as running:
        running.add_user(ALICE, "alice", "alice@example.com")
        yield running


@pytest.fixture
async def client(sandbox: SlackSandbox) -> AsyncIterator[AsyncWebClient]:
    yield AsyncWebClient(token=sandbox.token, base_url=sandbox.url)


async def refusal(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as refused:
        await call
    return dict(refused.value.response.data)


async def test_action_ids_repeated_within_a_block_are_invalid_blocks(
    sandbox: SlackSandbox, client: AsyncWebClient
) -> None:
    twice = [{"type": "actions", "elements": [button("digest_nudge"), button("digest_nudge")]}]
    answer = await refusal(client.chat_postMessage(channel=ALICE, text="x", blocks=twice))
    assert answer["error"] == "invalid_blocks"
    assert "not unique" in answer["response_metadata"]["messages"][0]
    assert sandbox.messages_in(ALICE) == []
    # The same action_id in two different blocks is fine, as on Slack.
    apart = [{"type": "actions", "elements": [button("digest_nudge")]} for _ in range(2)]
    await client.chat_postMessage(channel=ALICE, text="x", blocks=apart)


async def test_block_ids_repeated_within_a_message_or_view_are_refused(
    sandbox: SlackSandbox, client: AsyncWebClient
) -> None:
    blocks = [section("one", "same"), section("two", "same")]
    posted = await refusal(client.chat_postMessage(channel=ALICE, text="x", blocks=blocks))
    assert posted["error"] == "invalid_blocks"
    home = {"type": "home", "blocks": blocks}
    published = await refusal(client.views_publish(user_id=ALICE, view=home))
    assert published["error"] == "invalid_arguments"
    posted = await client.chat_postMessage(channel=ALICE, text="x", blocks=[section("one")])
    edited = await refusal(
        client.chat_update(channel=posted["channel"], ts=posted["ts"], text="x", blocks=blocks)
    )
    assert edited["error"] == "invalid_blocks"


async def test_what_slack_sdks_models_refuse_is_refused(client: AsyncWebClient) -> None:
    unknown = [{"type": "carousel", "text": "hi"}]
    answer = await refusal(client.chat_postMessage(channel=ALICE, text="x", blocks=unknown))
    assert answer["error"] == "invalid_blocks"
    # Image blocks are outside okrbot's own limit checks; slack_sdk's model knows alt_text's.
    image = [{"type": "image", "image_url": "https://example.com/c.png", "alt_text": "a" * 2001}]
    answer = await refusal(client.chat_postMessage(channel=ALICE, text="x", blocks=image))
    assert answer["error"] == "invalid_blocks"
    assert "alt_text" in " ".join(answer["response_metadata"]["messages"])
