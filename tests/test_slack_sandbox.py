"""The Slack sandbox must look like Slack to the real slack_sdk client.

Every test drives the sandbox through `AsyncWebClient`, so what is checked is exactly what the
adapter will experience: slack_sdk's body encoding (JSON, form or query string), its response
validation, its error mapping and its retry handlers.
"""

from __future__ import annotations

import types
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_async_handlers
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from okrbot.adapters.slack.blockkit_limits import blockkit_problems, view_problems
from okrbot.adapters.slack.sandbox import RateLimit, SlackSandbox

ALICE = "U0ALICE01"
BOB = "U0BOB0002"
CHANNEL = "C0OKRS001"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def modal(title: str = "Check-in", blocks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "checkin",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Save"},
        "private_metadata": '{"objective": 7}',
        "blocks": blocks if blocks is not None else [section("How is it going?")],
    }


def populate(sandbox: SlackSandbox) -> None:
    sandbox.add_user(ALICE, "alice", "alice@example.com", tz="Europe/Berlin", real_name="Alice A")
    sandbox.add_user(BOB, "bob", "Bob@Example.com")
    sandbox.add_channel(CHANNEL)


@pytest.fixture
async def sandbox() -> AsyncIterator[SlackSandbox]:
    async with SlackSandbox() as running:
        populate(running)
        yield running


@pytest.fixture
async def client(sandbox: SlackSandbox) -> AsyncIterator[AsyncWebClient]:
    web_client = AsyncWebClient(token=sandbox.token, base_url=sandbox.url)
    yield web_client
    if web_client.session is not None:
        await web_client.session.close()


@pytest.fixture
def no_retry_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk sleeps Retry-After + random() seconds; drop the random part to stay fast."""
    monkeypatch.setattr(builtin_async_handlers, "random", types.SimpleNamespace(random=lambda: 0.0))


async def test_url_is_a_slack_sdk_base_url(sandbox: SlackSandbox, client: AsyncWebClient) -> None:
    assert sandbox.url.startswith("http://127.0.0.1:")
    assert sandbox.url.endswith("/api/")
    answer = await client.auth_test()
    assert answer["ok"] is True
    assert answer["user_id"] == sandbox.bot_user_id
    assert answer["team_id"] == sandbox.team_id


async def test_post_then_update_changes_the_stored_message(
    sandbox: SlackSandbox, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(
        channel=CHANNEL, text="Weekly check-in", blocks=[section("*Q3* objectives")]
    )
    assert posted["channel"] == CHANNEL
    assert posted["message"]["text"] == "Weekly check-in"
    assert posted["message"]["ts"] == posted["ts"]

    updated = await client.chat_update(
        channel=CHANNEL, ts=posted["ts"], text="Done", blocks=[section("All checked in")]
    )
    assert updated["ts"] == posted["ts"]
    assert updated["text"] == "Done"

    [message] = sandbox.messages_in(CHANNEL)
    assert message["text"] == "Done"
    assert message["blocks"] == [section("All checked in")]
    assert "edited" in message
    [post] = sandbox.calls_to("chat.postMessage")
    assert post.response["message"]["text"] == "Weekly check-in"
    [call] = sandbox.calls_to("chat.update")
    assert call.params["blocks"] == [section("All checked in")]


async def test_update_of_unknown_message_and_post_to_unknown_channel(
    client: AsyncWebClient,
) -> None:
    with pytest.raises(SlackApiError) as missing:
        await client.chat_update(channel=CHANNEL, ts="1.000001", text="x")
    assert missing.value.response["error"] == "message_not_found"
    with pytest.raises(SlackApiError) as unknown:
        await client.chat_postMessage(channel="C0NOWHERE", text="hello")
    assert unknown.value.response["error"] == "channel_not_found"


async def test_posting_to_a_user_id_lands_in_their_dm(
    sandbox: SlackSandbox, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel=ALICE, text="Time for your check-in")
    opened = await client.conversations_open(users=ALICE)
    assert posted["channel"] == opened["channel"]["id"] == sandbox.dm_channel(ALICE)
    assert opened["channel"]["id"].startswith("D")
    assert opened["already_open"] is True
    assert [m["text"] for m in sandbox.messages_in(ALICE)] == ["Time for your check-in"]


async def test_conversations_open(sandbox: SlackSandbox, client: AsyncWebClient) -> None:
    opened = await client.conversations_open(users=[BOB], return_im=True)
    assert opened["channel"]["id"].startswith("D")
    assert opened["channel"]["user"] == BOB
    assert opened["channel"]["is_im"] is True
    assert "already_open" not in opened
    with pytest.raises(SlackApiError) as unknown:
        await client.conversations_open(users="U0NOBODY1")
    assert unknown.value.response["error"] == "user_not_found"


async def test_ephemeral_message(sandbox: SlackSandbox, client: AsyncWebClient) -> None:
    answer = await client.chat_postEphemeral(channel=CHANNEL, user=ALICE, text="Only you see this")
    assert answer["message_ts"]
    [ephemeral] = sandbox.ephemeral_for(ALICE)
    assert ephemeral["channel"] == CHANNEL
    assert ephemeral["text"] == "Only you see this"
    assert sandbox.messages_in(CHANNEL) == []


async def test_users_info_and_lookup_by_email(client: AsyncWebClient) -> None:
    info = await client.users_info(user=ALICE)
    user = info["user"]
    assert (user["id"], user["name"], user["real_name"]) == (ALICE, "alice", "Alice A")
    assert user["tz"] == "Europe/Berlin"
    assert user["tz_offset"] in (3600, 7200)
    assert user["profile"]["email"] == "alice@example.com"

    found = await client.users_lookupByEmail(email="bob@example.com")
    assert found["user"]["id"] == BOB
    assert found["user"]["tz_offset"] == 0

    with pytest.raises(SlackApiError) as missing:
        await client.users_lookupByEmail(email="carol@example.com")
    assert missing.value.response["error"] == "users_not_found"
    with pytest.raises(SlackApiError) as unknown:
        await client.users_info(user="U0NOBODY1")
    assert unknown.value.response["error"] == "user_not_found"


async def test_views_open_update_and_trigger_rules(
    sandbox: SlackSandbox, client: AsyncWebClient
) -> None:
    trigger_id = sandbox.issue_trigger_id()
    opened = await client.views_open(trigger_id=trigger_id, view=modal())
    view = opened["view"]
    assert view["id"].startswith("V")
    assert view["callback_id"] == "checkin"
    assert view["private_metadata"] == '{"objective": 7}'
    assert view["state"] == {"values": {}}

    with pytest.raises(SlackApiError) as reused:
        await client.views_open(trigger_id=trigger_id, view=modal())
    assert reused.value.response["error"] == "exchanged_trigger_id"
    with pytest.raises(SlackApiError) as invented:
        await client.views_open(trigger_id="123.456.abc", view=modal())
    assert invented.value.response["error"] == "invalid_trigger_id"

    updated = await client.views_update(
        view_id=view["id"], hash=view["hash"], view=modal(blocks=[section("Thanks!")])
    )
    assert updated["view"]["id"] == view["id"]
    assert sandbox.views[view["id"]]["blocks"] == [section("Thanks!")]
    with pytest.raises(SlackApiError) as stale:
        await client.views_update(view_id=view["id"], hash=view["hash"], view=modal())
    assert stale.value.response["error"] == "hash_conflict"


async def test_trigger_id_expires_after_three_seconds() -> None:
    clock = FakeClock()
    async with SlackSandbox(clock=clock) as sandbox:
        client = AsyncWebClient(token=sandbox.token, base_url=sandbox.url)
        trigger_id = sandbox.issue_trigger_id()
        clock.advance(3.5)
        with pytest.raises(SlackApiError) as expired:
            await client.views_open(trigger_id=trigger_id, view=modal())
        assert expired.value.response["error"] == "expired_trigger_id"


async def test_views_publish_keeps_one_home_per_user(
    sandbox: SlackSandbox, client: AsyncWebClient
) -> None:
    home = {"type": "home", "blocks": [section("Your OKRs")]}
    first = await client.views_publish(user_id=ALICE, view=home)
    second = await client.views_publish(
        user_id=ALICE, view={"type": "home", "blocks": [section("Updated")]}
    )
    assert first["view"]["id"] == second["view"]["id"]
    assert sandbox.home_views[ALICE]["blocks"] == [section("Updated")]
    with pytest.raises(SlackApiError) as wrong_type:
        await client.views_publish(user_id=BOB, view=modal())
    assert wrong_type.value.response["error"] == "invalid_arguments"


async def test_modal_limits_answer_invalid_arguments(
    sandbox: SlackSandbox, client: AsyncWebClient
) -> None:
    with pytest.raises(SlackApiError) as too_long:
        await client.views_open(
            trigger_id=sandbox.issue_trigger_id(), view=modal(title="A title that is far too long")
        )
    assert too_long.value.response["error"] == "invalid_arguments"
    assert (
        "json-pointer:/view/title/text"
        in too_long.value.response["response_metadata"]["messages"][0]
    )
    with pytest.raises(SlackApiError) as too_many:
        await client.views_open(
            trigger_id=sandbox.issue_trigger_id(),
            view=modal(blocks=[section(str(i)) for i in range(101)]),
        )
    assert too_many.value.response["error"] == "invalid_arguments"
    assert sandbox.views == {}


async def test_51_blocks_are_invalid_blocks(sandbox: SlackSandbox, client: AsyncWebClient) -> None:
    fifty = [section(str(i)) for i in range(50)]
    await client.chat_postMessage(channel=CHANNEL, text="ok", blocks=fifty)
    with pytest.raises(SlackApiError) as failure:
        await client.chat_postMessage(channel=CHANNEL, text="x", blocks=[*fifty, section("51")])
    assert failure.value.response["error"] == "invalid_blocks"
    assert failure.value.response["errors"] == ["/blocks: 51 items, max 50"]
    assert len(sandbox.messages_in(CHANNEL)) == 1


async def test_message_text_limit(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as failure:
        await client.chat_postMessage(channel=CHANNEL, text="x" * 40_001)
    assert failure.value.response["error"] == "msg_too_long"


async def test_form_encoded_bodies_with_json_strings(
    sandbox: SlackSandbox, client: AsyncWebClient
) -> None:
    """Other callers (Bolt's `say`, curl, older clients) send form bodies with JSON strings."""
    answer = await client.api_call(
        "chat.postMessage",
        data={"channel": CHANNEL, "text": "form", "blocks": '[{"type": "divider"}]'},
    )
    assert answer["ok"] is True
    [message] = sandbox.messages_in(CHANNEL)
    assert message["blocks"] == [{"type": "divider"}]
    with pytest.raises(SlackApiError) as broken:
        await client.api_call(
            "chat.postMessage", data={"channel": CHANNEL, "text": "x", "blocks": "[{"}
        )
    assert broken.value.response["error"] == "invalid_blocks_format"


async def test_file_upload_v2_stores_bytes_and_shares(
    sandbox: SlackSandbox, client: AsyncWebClient
) -> None:
    chart = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    answer = await client.files_upload_v2(
        channel=CHANNEL,
        file=chart,
        filename="progress.png",
        title="Q3 progress",
        initial_comment="Progress this week",
    )
    file_id = answer["file"]["id"]
    stored = sandbox.files[file_id]
    assert stored.content == chart
    assert stored.title == "Q3 progress"
    assert stored.channels == [CHANNEL]
    [message] = sandbox.messages_in(CHANNEL)
    assert message["text"] == "Progress this week"
    assert message["files"][0]["id"] == file_id
    assert [call.method for call in sandbox.calls] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


async def test_complete_upload_needs_uploaded_bytes(
    sandbox: SlackSandbox, client: AsyncWebClient
) -> None:
    started = await client.files_getUploadURLExternal(filename="a.txt", length=3)
    with pytest.raises(SlackApiError) as failure:
        await client.files_completeUploadExternal(
            files=[{"id": started["file_id"], "title": "a"}], channel_id=CHANNEL
        )
    assert failure.value.response["error"] == "file_not_found"


async def test_wrong_or_missing_token(sandbox: SlackSandbox) -> None:
    wrong = AsyncWebClient(token="xoxb-not-the-one", base_url=sandbox.url)
    with pytest.raises(SlackApiError) as invalid:
        await wrong.auth_test()
    assert invalid.value.response["error"] == "invalid_auth"
    anonymous = AsyncWebClient(base_url=sandbox.url)
    with pytest.raises(SlackApiError) as missing:
        await anonymous.chat_postMessage(channel=CHANNEL, text="hi")
    assert missing.value.response["error"] == "not_authed"
    assert sandbox.messages_in(CHANNEL) == []


async def test_fail_next_500_then_recovers(sandbox: SlackSandbox, client: AsyncWebClient) -> None:
    sandbox.fail_next("chat.postMessage", status=500, count=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as failure:
            await client.chat_postMessage(channel=CHANNEL, text="hi")
        assert failure.value.response.status_code == 500
        assert failure.value.response["error"] == "fatal_error"
    await client.chat_postMessage(channel=CHANNEL, text="hi")
    assert [call.status for call in sandbox.calls_to("chat.postMessage")] == [500, 500, 200]
    assert len(sandbox.messages_in(CHANNEL)) == 1


async def test_fail_next_with_a_slack_error(sandbox: SlackSandbox, client: AsyncWebClient) -> None:
    sandbox.fail_next("users.info", error="account_inactive")
    with pytest.raises(SlackApiError) as failure:
        await client.users_info(user=ALICE)
    assert failure.value.response.status_code == 200
    assert failure.value.response["error"] == "account_inactive"


async def test_ratelimited_without_retry_handler(
    sandbox: SlackSandbox, client: AsyncWebClient
) -> None:
    sandbox.fail_next("chat.postMessage", error="ratelimited", retry_after=7)
    with pytest.raises(SlackApiError) as failure:
        await client.chat_postMessage(channel=CHANNEL, text="hi")
    assert failure.value.response.status_code == 429
    assert failure.value.response.headers["Retry-After"] == "7"
    assert failure.value.response["error"] == "ratelimited"
    assert sandbox.rate_limited_count == 1


async def post_statuses(client: AsyncWebClient, count: int) -> list[int]:
    """The HTTP status of each of `count` posts (429s carry a Retry-After of 1–5 s)."""
    statuses = []
    for n in range(count):
        try:
            await client.chat_postMessage(channel=CHANNEL, text=f"post {n}")
            statuses.append(200)
        except SlackApiError as error:
            statuses.append(error.response.status_code)
            if error.response.status_code == 429:
                assert 1 <= int(error.response.headers["Retry-After"]) <= 5
    return statuses


async def test_a_flaky_sandbox_refuses_a_repeatable_share_of_calls(
    sandbox: SlackSandbox, client: AsyncWebClient
) -> None:
    sandbox.flaky("chat.postMessage", seed=3, throttled=0.1, failed=0.01)
    answers = await post_statuses(client, 400)
    assert 20 <= answers.count(429) <= 60 and 1 <= answers.count(500) <= 12
    assert len(sandbox.messages_in(CHANNEL)) == answers.count(200)
    async with SlackSandbox() as again:
        populate(again)
        again.flaky("chat.postMessage", seed=3, throttled=0.1, failed=0.01)
        repeat = AsyncWebClient(token=again.token, base_url=again.url)
        assert await post_statuses(repeat, 400) == answers  # the same seed, the same bad day


@pytest.mark.usefixtures("no_retry_jitter")
async def test_rate_limit_retry_handler_retries_after_429(sandbox: SlackSandbox) -> None:
    client = AsyncWebClient(
        token=sandbox.token,
        base_url=sandbox.url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )
    sandbox.fail_next("chat.postMessage", error="ratelimited", retry_after=0, count=2)
    answer = await client.chat_postMessage(channel=CHANNEL, text="eventually")
    assert answer["ok"] is True
    assert [call.status for call in sandbox.calls_to("chat.postMessage")] == [429, 429, 200]
    assert sandbox.rate_limited_count == 2
    assert len(sandbox.messages_in(CHANNEL)) == 1


async def test_upload_url_failure_surfaces_in_slack_sdk(
    sandbox: SlackSandbox, client: AsyncWebClient
) -> None:
    sandbox.fail_next("upload", status=503)
    with pytest.raises(Exception, match="status: 503"):
        await client.files_upload_v2(channel=CHANNEL, content="x", filename="a.txt")


async def test_enforced_channel_limit_with_fake_clock() -> None:
    clock = FakeClock()
    async with SlackSandbox(clock=clock, enforce_rate_limits=True, channel_burst=3) as sandbox:
        populate(sandbox)
        client = AsyncWebClient(token=sandbox.token, base_url=sandbox.url)
        for i in range(3):
            await client.chat_postMessage(channel=CHANNEL, text=f"burst {i}")
        with pytest.raises(SlackApiError) as limited:
            await client.chat_postMessage(channel=CHANNEL, text="one too many")
        assert limited.value.response.status_code == 429
        assert limited.value.response.headers["Retry-After"] == "1"
        assert limited.value.response["error"] == "ratelimited"
        # Another channel has its own per-channel allowance.
        await client.chat_postMessage(channel=ALICE, text="dm")
        clock.advance(1.0)
        await client.chat_postMessage(channel=CHANNEL, text="after a second")
        assert sandbox.rate_limited_count == 1
        assert len(sandbox.messages_in(CHANNEL)) == 4


async def test_enforced_workspace_posting_limit() -> None:
    clock = FakeClock()
    async with SlackSandbox(
        clock=clock, enforce_rate_limits=True, posts_per_minute=6, channel_burst=10
    ) as sandbox:
        channels = [f"C0SPREAD{i:02d}" for i in range(7)]
        for channel in channels:
            sandbox.add_channel(channel)
        client = AsyncWebClient(token=sandbox.token, base_url=sandbox.url)
        for channel in channels[:6]:
            await client.chat_postMessage(channel=channel, text="hi")
        with pytest.raises(SlackApiError) as limited:
            await client.chat_postMessage(channel=channels[6], text="hi")
        assert limited.value.response.headers["Retry-After"] == "10"
        clock.advance(10)
        await client.chat_postMessage(channel=channels[6], text="hi")


async def test_enforced_tier_limits_per_method() -> None:
    clock = FakeClock()
    async with SlackSandbox(
        clock=clock, enforce_rate_limits=True, rate_limits={"users.info": RateLimit(2)}
    ) as sandbox:
        populate(sandbox)
        client = AsyncWebClient(token=sandbox.token, base_url=sandbox.url)
        await client.users_info(user=ALICE)
        await client.users_info(user=BOB)
        with pytest.raises(SlackApiError) as limited:
            await client.users_info(user=ALICE)
        assert limited.value.response.headers["Retry-After"] == "30"
        # Tier 3 conversations.open: 50 per minute, independent of users.info.
        for _ in range(50):
            await client.conversations_open(users=ALICE)
        with pytest.raises(SlackApiError):
            await client.conversations_open(users=ALICE)
        clock.advance(30)
        await client.users_info(user=ALICE)
        assert sandbox.rate_limited_count == 2


def test_blockkit_problems_reports_each_limit() -> None:
    long_button = {
        "type": "button",
        "action_id": "a" * 256,
        "text": {"type": "plain_text", "text": "b" * 76},
    }
    select = {
        "type": "static_select",
        "action_id": "pick",
        "options": [
            {"text": {"type": "plain_text", "text": str(i)}, "value": str(i)} for i in range(101)
        ],
    }
    blocks = [
        {"type": "section", "block_id": "s" * 256, "text": {"type": "mrkdwn", "text": "x" * 3001}},
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}},
        {"type": "actions", "elements": [long_button, select]},
    ]
    assert blockkit_problems(blocks, "message") == [
        "/blocks/0/block_id: 256 characters, max 255",
        "/blocks/0/text/text: 3001 characters, max 3000",
        "/blocks/1/text/text: 151 characters, max 150",
        "/blocks/2/elements/0/action_id: 256 characters, max 255",
        "/blocks/2/elements/0/text/text: 76 characters, max 75",
        "/blocks/2/elements/1/options: 101 items, max 100",
    ]
    assert blockkit_problems([section("fine")] * 100, "home") == []
    assert blockkit_problems([section("fine")] * 100, "message") == ["/blocks: 100 items, max 50"]


def test_view_problems_checks_title_and_metadata() -> None:
    view = modal(title="t" * 25)
    view["private_metadata"] = "m" * 3001
    assert view_problems(view) == [
        "/view/title/text: 25 characters, max 24",
        "/view/private_metadata: 3001 characters, max 3000",
    ]
    assert view_problems(modal()) == []
