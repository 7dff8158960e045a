"""The Teams connector sandbox, driven by botbuilder's own clients as the bot will drive it."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
    ErrorResponseException,
)
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import AppCredentials, MicrosoftAppCredentials

from okrbot.adapters.teams.sandbox import (
    DEFAULT_TENANT_ID,
    RateLimits,
    TeamsSandbox,
    conversation_update_activity,
    installation_update_activity,
    message_activity,
)
from okrbot.adapters.teams.simulator import TeamsUser
from tests.refs import REFS

CHANNEL_THREAD = "19:a1b2c3@thread.tacv2;messageid=1700000000000"
PERSONAL = "a:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85g"
MEGAN = {
    "teams_user_id": "29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQg",
    "aad_object_id": "7faf8ab2-3d56-4244-b585-20c8a42ed2b8",
    "name": "Megan Bowen",
    "email": "megan@contoso.example",
}


@pytest.fixture
async def sandbox() -> AsyncIterator[TeamsSandbox]:
    async with TeamsSandbox() as running:
        yield running


def anonymous_client(sandbox: TeamsSandbox) -> ConnectorClient:
    # Empty app id and password: botbuilder's no-auth mode, which sends no Authorization header.
    return ConnectorClient(MicrosoftAppCredentials("", ""), base_url=sandbox.service_url)


def no_auth_adapter() -> CloudAdapter:
    config = SimpleNamespace(APP_ID="", APP_PASSWORD="")
    return CloudAdapter(ConfigurationBotFrameworkAuthentication(config))


def reference(sandbox: TeamsSandbox, conversation_id: str = PERSONAL) -> ConversationReference:
    return ConversationReference(
        channel_id="msteams",
        service_url=sandbox.service_url,
        conversation=ConversationAccount(
            id=conversation_id, conversation_type="personal", tenant_id=DEFAULT_TENANT_ID
        ),
        bot=ChannelAccount(id="28:okrbot"),
        user=ChannelAccount(id=MEGAN["teams_user_id"]),
    )


def text(message: str) -> Activity:
    return Activity(type="message", text=message)


async def test_send_and_update_through_cloud_adapter(sandbox: TeamsSandbox) -> None:
    sent: dict[str, Any] = {}

    async def logic(context: TurnContext) -> None:
        first = await context.send_activity("Time for your weekly check-in")
        card = MessageFactory.text("Thanks, check-in saved")
        card.id = first.id
        await context.update_activity(card)
        sent["id"] = first.id

    await no_auth_adapter().continue_conversation(reference(sandbox), logic, bot_app_id="")

    [current] = sandbox.activities_in(PERSONAL)
    assert current["id"] == sent["id"]
    assert current["text"] == "Thanks, check-in saved"
    assert [request.method for request in sandbox.requests] == ["POST", "PUT"]
    # Proactive turns reply to the continuation event's made-up id; Teams accepts that in 1:1.
    assert sandbox.requests[0].kind == "reply"
    assert sandbox.requests[0].path.startswith("/v3/conversations/a%3A")
    assert all(request.authorization is None for request in sandbox.requests)


async def test_member_lookup_through_teams_info(sandbox: TeamsSandbox) -> None:
    sandbox.add_member(**MEGAN, conversation_id=PERSONAL)
    found: dict[str, Any] = {}

    async def logic(context: TurnContext) -> None:
        # A continuation activity has no channelData, which TeamsInfo insists on reading.
        context.activity.channel_data = {"tenant": {"id": DEFAULT_TENANT_ID}}
        found["by_teams_id"] = await TeamsInfo.get_member(context, MEGAN["teams_user_id"])
        found["by_aad_id"] = await TeamsInfo.get_member(context, MEGAN["aad_object_id"])

    await no_auth_adapter().continue_conversation(reference(sandbox), logic, bot_app_id="")

    for member in found.values():
        assert member.id == MEGAN["teams_user_id"]
        assert member.aad_object_id == MEGAN["aad_object_id"]
        assert member.email == MEGAN["email"]
        assert member.user_principal_name == MEGAN["email"]
        assert member.name == "Megan Bowen"


async def test_create_conversation_is_stable_per_user(sandbox: TeamsSandbox) -> None:
    sandbox.add_member(**MEGAN)
    created: list[str] = []

    async def logic(context: TurnContext) -> None:
        created.append(context.activity.conversation.id)
        await context.send_activity("Welcome to okrbot")

    parameters = ConversationParameters(
        is_group=False,
        bot=ChannelAccount(id="28:okrbot"),
        members=[ChannelAccount(id=MEGAN["aad_object_id"])],
        tenant_id=DEFAULT_TENANT_ID,
    )
    adapter = no_auth_adapter()
    for _ in range(2):
        await adapter.create_conversation("", logic, parameters, "msteams", sandbox.service_url)

    # Teams' personal conversation ids are `a:1` and about 128 characters more.
    assert created[0] == created[1] and created[0].startswith("a:1") and len(created[0]) == 131
    assert [a["text"] for a in sandbox.activities_in(created[0])] == ["Welcome to okrbot"] * 2
    assert sandbox.requests[0].body is not None
    assert sandbox.requests[0].body["tenantID"] == DEFAULT_TENANT_ID
    members = await anonymous_client(sandbox).conversations.get_conversation_members(created[0])
    assert [m.additional_properties["email"] for m in members] == [MEGAN["email"]]


async def test_send_reply_and_members_with_connector_client(sandbox: TeamsSandbox) -> None:
    sandbox.add_member(**MEGAN, conversation_id=CHANNEL_THREAD)
    client = anonymous_client(sandbox)

    posted = await client.conversations.send_to_conversation(CHANNEL_THREAD, text("Kudos!"))
    replied = await client.conversations.reply_to_activity(CHANNEL_THREAD, posted.id, text("+1"))
    members = await client.conversations.get_conversation_members(CHANNEL_THREAD)

    # ':' '@' ';' '=' arrive percent-encoded and are decoded back into the same conversation.
    assert "%3B" in sandbox.requests[0].path
    assert [a["text"] for a in sandbox.activities_in(CHANNEL_THREAD)] == ["Kudos!", "+1"]
    assert sandbox.activity(CHANNEL_THREAD, replied.id)["replyToId"] == posted.id
    assert [a["id"] for a in sandbox.sent] == [posted.id, replied.id]
    assert [m.id for m in members] == [MEGAN["teams_user_id"]]


async def test_unencoded_conversation_ids_route_the_same(sandbox: TeamsSandbox) -> None:
    from aiohttp import ClientSession

    url = f"{sandbox.service_url}v3/conversations/{CHANNEL_THREAD}/activities"
    async with ClientSession() as session, session.post(url, json={"type": "message"}) as response:
        assert response.status == 201
    assert len(sandbox.activities_in(CHANNEL_THREAD)) == 1


async def test_unknown_member_and_activity_are_404(sandbox: TeamsSandbox) -> None:
    client = anonymous_client(sandbox)
    with pytest.raises(ErrorResponseException) as missing_member:
        await client.conversations.get_conversation_member(PERSONAL, "29:nobody")
    assert missing_member.value.error.error.code == "MemberNotFoundInConversation"

    with pytest.raises(ErrorResponseException) as missing_activity:
        await client.conversations.update_activity(PERSONAL, "1:404", text("x"))
    assert missing_activity.value.error.error.code == "ActivityNotFoundInConversation"
    # urllib3 retries a PUT on 5xx only, so a 404 is a single request.
    assert [r.status for r in sandbox.requests if r.kind == "update"] == [404]


async def test_inbound_message_turn_replies_through_the_sandbox(sandbox: TeamsSandbox) -> None:
    inbound = message_activity(
        "okr",
        from_id=MEGAN["teams_user_id"],
        aad_object_id=MEGAN["aad_object_id"],
        conversation_id=PERSONAL,
        service_url=sandbox.service_url,
    )

    async def bot(context: TurnContext) -> None:
        await context.send_activity(f"You said {context.activity.text}")

    # No Authorization header: with no app id botbuilder treats the caller as anonymous.
    await no_auth_adapter().process_activity("", Activity().deserialize(inbound), bot)

    [reply] = sandbox.activities_in(PERSONAL)
    assert reply["text"] == "You said okr"
    assert reply["replyToId"] == inbound["id"]
    assert reply["recipient"]["id"] == MEGAN["teams_user_id"]


async def test_wait_for_sent_sees_background_sends(sandbox: TeamsSandbox) -> None:
    client = anonymous_client(sandbox)
    background = asyncio.create_task(
        client.conversations.send_to_conversation(PERSONAL, text("digest"))
    )
    async with asyncio.timeout(2):
        [sent] = await sandbox.wait_for_sent(1)
    assert sent["text"] == "digest"
    await background


async def test_429_carries_retry_after_and_a_post_is_not_retried(sandbox: TeamsSandbox) -> None:
    sandbox.fail_next("send", 429, retry_after=3)
    client = anonymous_client(sandbox)

    with pytest.raises(ErrorResponseException) as throttled:
        await client.conversations.send_to_conversation(PERSONAL, text("hi"))

    response = throttled.value.response
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert throttled.value.error.error.code == "TooManyRequests"
    assert len(sandbox.requests) == 1
    assert sandbox.sent == []
    await client.conversations.send_to_conversation(PERSONAL, text("hi again"))
    assert [a["text"] for a in sandbox.sent] == ["hi again"]


async def test_500_on_send_fails_but_update_is_retried_by_urllib3(sandbox: TeamsSandbox) -> None:
    client = anonymous_client(sandbox)
    sandbox.fail_next("send", 500)
    with pytest.raises(ErrorResponseException) as failed:
        await client.conversations.send_to_conversation(PERSONAL, text("hi"))
    assert failed.value.response.status_code == 500

    posted = await client.conversations.send_to_conversation(PERSONAL, text("hi"))
    sandbox.fail_next("update", 502)
    await client.conversations.update_activity(PERSONAL, posted.id, text("edited"))
    assert [r.status for r in sandbox.requests if r.kind == "update"] == [502, 200]
    assert sandbox.activity(PERSONAL, posted.id)["text"] == "edited"


async def test_403_message_writes_blocked(sandbox: TeamsSandbox) -> None:
    sandbox.fail_next("send", 403, count=2)
    client = anonymous_client(sandbox)
    for _ in range(2):
        with pytest.raises(ErrorResponseException) as blocked:
            await client.conversations.send_to_conversation(PERSONAL, text("hi"))
        assert blocked.value.response.status_code == 403
        assert blocked.value.error.error.code == "MessageWritesBlocked"
    await client.conversations.send_to_conversation(PERSONAL, text("hi"))
    assert len(sandbox.sent) == 1


async def test_custom_fault_body(sandbox: TeamsSandbox) -> None:
    body = {"error": {"code": "ServiceError", "message": "Try later"}}
    sandbox.fail_next("create_conversation", 500, body=body)
    parameters = ConversationParameters(members=[ChannelAccount(id="29:x")])
    with pytest.raises(ErrorResponseException) as failed:
        await anonymous_client(sandbox).conversations.create_conversation(parameters)
    assert failed.value.error.error.code == "ServiceError"


async def test_oversize_message_is_413(sandbox: TeamsSandbox) -> None:
    client = anonymous_client(sandbox)
    with pytest.raises(ErrorResponseException) as too_big:
        await client.conversations.send_to_conversation(PERSONAL, text("x" * 101 * 1024))
    assert too_big.value.response.status_code == 413
    assert too_big.value.error.error.code == "MessageSizeTooBig"
    await client.conversations.send_to_conversation(PERSONAL, text("x" * 90 * 1024))
    assert len(sandbox.sent) == 1


async def test_rate_limits_follow_teams_windows() -> None:
    now = [1000.0]
    async with TeamsSandbox(rate_limits=RateLimits(), clock=lambda: now[0]) as sandbox:
        client = anonymous_client(sandbox)
        for _ in range(7):
            await client.conversations.send_to_conversation(PERSONAL, text("x"))
        with pytest.raises(ErrorResponseException) as throttled:
            await client.conversations.send_to_conversation(PERSONAL, text("x"))
        assert throttled.value.response.headers["Retry-After"] == "1"

        # Another conversation has its own budget.
        await client.conversations.send_to_conversation(CHANNEL_THREAD, text("x"))

        now[0] += 1.0  # the 1 s window allows 7, but 2 s allows only 8 in all
        await client.conversations.send_to_conversation(PERSONAL, text("x"))
        with pytest.raises(ErrorResponseException):
            await client.conversations.send_to_conversation(PERSONAL, text("x"))
        now[0] += 1.0
        await client.conversations.send_to_conversation(PERSONAL, text("x"))
        assert len(sandbox.activities_in(PERSONAL)) == 9


async def test_tenant_rate_limit_counts_every_conversation() -> None:
    now = [0.0]
    limits = RateLimits(per_tenant_per_second=3)
    async with TeamsSandbox(rate_limits=limits, clock=lambda: now[0]) as sandbox:
        client = anonymous_client(sandbox)
        for index in range(3):
            await client.conversations.send_to_conversation(f"a:{index}", text("x"))
        with pytest.raises(ErrorResponseException) as throttled:
            await client.conversations.send_to_conversation("a:9", text("x"))
        assert throttled.value.response.status_code == 429
        now[0] += 1.0
        await client.conversations.send_to_conversation("a:9", text("x"))


class _StaticToken(AppCredentials):
    """Stands in for an AAD token so the production (authenticated) path can be exercised."""

    def __init__(self) -> None:
        super().__init__(app_id="00000000-0000-0000-0000-0000000000a1")

    def get_access_token(self, force_refresh: bool = False) -> str:
        return "test-token"


async def test_authorization_header_is_recorded(sandbox: TeamsSandbox) -> None:
    client = ConnectorClient(_StaticToken(), base_url=sandbox.service_url)
    await client.conversations.send_to_conversation(PERSONAL, text("hi"))
    assert sandbox.requests[-1].authorization == "Bearer test-token"


async def test_unknown_route_is_404(sandbox: TeamsSandbox) -> None:
    from aiohttp import ClientSession

    async with (
        ClientSession() as session,
        session.delete(f"{sandbox.service_url}v3/conversations/a:1/activities/2") as response,
    ):
        assert response.status == 404
    assert sandbox.requests[-1].kind is None


def test_fail_next_rejects_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="unknown route kind"):
        TeamsSandbox().fail_next("delete", 500)  # type: ignore[arg-type]


def test_message_activity_has_the_shape_teams_sends() -> None:
    path = REFS / "teams-payloads" / "teams_message_activity.json"
    sample = json.loads(path.read_text(encoding="utf-8"))
    built = message_activity(
        "okr",
        from_id=MEGAN["teams_user_id"],
        aad_object_id=MEGAN["aad_object_id"],
        conversation_id=PERSONAL,
        service_url="http://127.0.0.1:1/",
    )
    assert set(sample) - {"attachments"} <= set(built)
    assert built["conversation"]["conversationType"] == "personal"
    assert built["channelData"]["tenant"]["id"] == DEFAULT_TENANT_ID
    assert built["from"]["aadObjectId"] == MEGAN["aad_object_id"]
    parsed = Activity().deserialize(built)
    assert parsed.text == "okr" and parsed.from_property.aad_object_id == MEGAN["aad_object_id"]


def test_card_submit_and_mentions() -> None:
    mention = {
        "type": "mention",
        "text": "<at>Ola</at>",
        "mentioned": {"id": "29:ola", "name": "Ola"},
    }
    built = message_activity(
        None,
        from_id="29:megan",
        aad_object_id="aad",
        conversation_id=PERSONAL,
        service_url="http://127.0.0.1:1/",
        value={"okrbot": "checkin", "kr-1": "12"},
        entities=[mention],
        reply_to_id="1:000001",
    )
    assert "text" not in built
    assert built["value"] == {"okrbot": "checkin", "kr-1": "12"}
    assert built["replyToId"] == "1:000001"
    assert [e["type"] for e in built["entities"]] == ["clientInfo", "mention"]


def test_install_activities() -> None:
    common = {
        "from_id": "29:megan",
        "aad_object_id": "aad",
        "conversation_id": PERSONAL,
        "service_url": "http://127.0.0.1:1/",
    }
    update = conversation_update_activity(**common)
    assert update["type"] == "conversationUpdate"
    # Docs ("Team members added"): in a 1:1 chat both the bot and the user are listed.
    assert update["membersAdded"] == [
        {"id": update["recipient"]["id"]},
        {"id": "29:megan", "aadObjectId": "aad"},
    ]
    in_team = conversation_update_activity(
        **{**common, "conversation_id": CHANNEL_THREAD}, conversation_type="channel"
    )
    assert in_team["membersAdded"] == [{"id": in_team["recipient"]["id"]}]
    assert in_team["conversation"]["isGroup"] is True
    channel_data = in_team["channelData"]
    assert channel_data["eventType"] == "teamMemberAdded"
    assert channel_data["channel"] == {"id": "19:a1b2c3@thread.tacv2"}
    assert channel_data["team"]["id"].startswith("19:") and channel_data["tenant"]["id"]
    assert channel_data["settings"] == {"selectedChannel": {"id": "19:a1b2c3@thread.tacv2"}}
    installed = installation_update_activity(**common)
    removed = installation_update_activity(**common, action="remove")
    assert (installed["type"], installed["action"], removed["action"]) == (
        "installationUpdate",
        "add",
        "remove",
    )
    assert Activity().deserialize(installed).action == "add"


def test_generated_ids_are_as_long_as_teams_ids() -> None:
    captured = json.loads((REFS / "teams-payloads" / "teams_message_activity.json").read_text())
    user = TeamsUser.named("Megan Bowen", "megan@contoso.example")
    assert len(user.conversation_id) == len(captured["conversation"]["id"]) == 131
    assert user.conversation_id.startswith("a:1") and user.teams_user_id.startswith("29:1")
    assert len(user.teams_user_id) == 112 >= len(captured["from"]["id"])
    assert str(uuid.UUID(user.aad_object_id)) == user.aad_object_id
    assert TeamsUser.named("Megan Bowen", "megan@contoso.example") == user
    assert TeamsUser.named("Li Wei", "li@contoso.example").conversation_id != user.conversation_id


async def test_realistic_ids_are_stored_and_routed(sandbox: TeamsSandbox) -> None:
    user = TeamsUser.named("Megan Bowen", "megan@contoso.example")
    client = anonymous_client(sandbox)
    sent = await client.conversations.send_to_conversation(user.conversation_id, text("hi"))
    await client.conversations.update_activity(user.conversation_id, sent.id, text("edited"))
    [stored] = sandbox.activities_in(user.conversation_id)
    assert stored["text"] == "edited" and stored["conversation"]["id"] == user.conversation_id


def test_group_chat_and_channel_activities_say_where_they_are() -> None:
    common = {
        "from_id": MEGAN["teams_user_id"],
        "aad_object_id": MEGAN["aad_object_id"],
        "service_url": "http://127.0.0.1:1/",
    }
    group = message_activity(
        "hi", conversation_id="19:abc@thread.v2", conversation_type="groupChat", **common
    )
    assert group["conversation"]["isGroup"] is True
    assert group["conversation"]["conversationType"] == "groupChat"
    assert "team" not in group["channelData"] and group["channelData"]["tenant"]["id"]
    channel = message_activity(
        "hi", conversation_id=CHANNEL_THREAD, conversation_type="channel", **common
    )
    assert channel["conversation"]["isGroup"] is True
    assert channel["channelData"]["channel"] == {"id": "19:a1b2c3@thread.tacv2"}
    assert channel["channelData"]["teamsTeamId"] == channel["channelData"]["team"]["id"]
    personal = message_activity("hi", conversation_id=PERSONAL, **common)
    assert "isGroup" not in personal["conversation"]
    assert personal["attachments"] == [{"contentType": "text/html", "content": "<p>hi</p>"}]
    assert personal["id"].isdigit() and personal["localTimestamp"][-6] in "+-"
