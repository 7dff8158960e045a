"""What Teams really sends, through the real server: every activity shape a Teams bot receives,
from fixtures written from Microsoft's documentation and a captured activity (see
tests/data/teams_activities/README.md), posted over HTTP to the aiohttp app with botbuilder's
CloudAdapter (dev no-auth mode), with the local connector sandbox as their serviceUrl.

The tests assert what people see: the replies in the sandbox, and what was stored.
"""

from __future__ import annotations

import copy
import itertools
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from okrbot.adapters.teams.sandbox import TeamsSandbox
from okrbot.adapters.teams.simulator import action_of, card_of, inputs_of
from okrbot.bot.clock import FakeClock
from okrbot.bot.settings import Settings
from okrbot.cli.runtime import build_runtime
from okrbot.storage.db import Database
from okrbot.storage.models import CheckInRow, PersonRow
from tests.test_teams_e2e import assert_cards_valid, elements, texts
from tests.world import MONDAY, Seed, serving

FIXTURES = Path(__file__).parent / "data" / "teams_activities"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OTHER_TENANT = "4a1b3c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d"
MEGAN_EMAIL = "megan@contoso.example"
LI_EMAIL = "li@contoso.example"
SORRY = "Sorry, something went wrong"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


CAPTURED = fixture("personal_message")
MEGAN = CAPTURED["from"]
CHAT = CAPTURED["conversation"]["id"]
GROUP = fixture("group_chat_message")["conversation"]["id"]
CHANNEL = fixture("channel_message")["conversation"]["id"]
_ids = itertools.count(1764000000000)


@dataclass
class Contract:
    sandbox: TeamsSandbox
    url: str
    database: Database
    http: aiohttp.ClientSession

    def activity(self, name: str, **changes: Any) -> dict[str, Any]:
        """The fixture as Teams would post it now: a fresh id, the sandbox as its serviceUrl."""
        activity = copy.deepcopy(fixture(name))
        fresh = str(next(_ids))
        activity["id"] = fresh if activity["type"] == "message" else f"f:{uuid.uuid4()}"
        activity["serviceUrl"] = self.sandbox.service_url
        activity.update(changes)
        return activity

    async def post(self, activity: dict[str, Any]) -> tuple[int, Any]:
        async with self.http.post(self.url, json=activity) as response:
            body = await response.text()
            return response.status, json.loads(body) if body else None

    async def send(self, name: str, **changes: Any) -> tuple[int, Any]:
        return await self.post(self.activity(name, **changes))

    def said(self, conversation_id: str) -> list[dict[str, Any]]:
        return self.sandbox.activities_in(conversation_id)

    def text_in(self, conversation_id: str) -> str:
        return "\n".join(texts(a) for a in self.said(conversation_id))


async def seed(database: Database) -> dict[str, int]:
    """Megan is known to okrbot by her Azure AD object id; Li only by email (never connected)."""
    ids = await (
        Seed()
        .person("mia", "mia@contoso.example", "Mia Boss")
        .person(
            "megan", MEGAN_EMAIL, "Megan Bowen", manager="mia", teams_aad_id=MEGAN["aadObjectId"]
        )
        .person("li", LI_EMAIL, "Li Wei", manager="mia")
        .onboarding("mine", owner="megan")
        .activation("activation", objective="mine", owner="megan")
        .setup_guide("guide", objective="mine", owner="megan")
        .write(database)
    )
    return {"activation": ids["activation"], "guide": ids["guide"]}


@pytest.fixture
async def key_results(sqlite_database: Database) -> dict[str, int]:
    return await seed(sqlite_database)


@pytest.fixture
async def teams(sqlite_database: Database, key_results: dict[str, int]) -> AsyncIterator[Contract]:
    sandbox = TeamsSandbox()
    await sandbox.start()
    sandbox.add_member(
        teams_user_id=MEGAN["id"],
        aad_object_id=MEGAN["aadObjectId"],
        name="Megan Bowen",
        email=MEGAN_EMAIL,
    )
    settings = Settings(
        database_url=sqlite_database.url, teams_dev_no_auth=True, teams_tenant_ids=[TENANT]
    )
    runtime = await build_runtime(
        settings, clock=FakeClock(MONDAY), database=sqlite_database, migrate=False
    )
    async with serving(runtime) as root, aiohttp.ClientSession() as http:
        yield Contract(sandbox, f"{root}/api/messages", sqlite_database, http)
    await sandbox.stop()
    assert_cards_valid(sandbox)


async def stored_checkins(database: Database) -> list[CheckInRow]:
    async with database.reading() as session:
        return list(await session.scalars(select(CheckInRow).order_by(CheckInRow.id)))


async def person(database: Database, email: str) -> PersonRow:
    async with database.reading() as session:
        row = await session.scalar(select(PersonRow).where(PersonRow.email == email))
        assert row is not None
        return row


async def check_in(
    teams: Contract, card: dict[str, Any], key_results: dict[str, int], confidence: str
) -> int:
    """Press the card's Check in button the way Teams does, after filling in both key results."""
    first, guide = key_results["activation"], key_results["guide"]
    typed = {
        f"kr-{first}-value": "47",
        f"kr-{first}-confidence": confidence,
        f"kr-{first}-note": "New welcome flow shipped",
        f"kr-{guide}-value": "not_done",
        f"kr-{guide}-confidence": "at_risk",
    }
    pressed = action_of(card_of(card), "checkin_form")["data"]
    value = {**inputs_of(card_of(card)), **typed, **pressed}
    status, _ = await teams.send("personal_card_submit", value=value, replyToId=card["id"])
    return status


def test_the_fixtures_carry_teams_real_id_lengths() -> None:
    assert CHAT.startswith("a:1") and len(CHAT) == 131
    assert MEGAN["id"].startswith("29:1") and len(MEGAN["id"]) >= 90
    assert str(uuid.UUID(MEGAN["aadObjectId"])) == MEGAN["aadObjectId"]
    for name in sorted(p.stem for p in FIXTURES.glob("*.json")):
        activity = fixture(name)
        assert activity["channelId"] == "msteams" and activity["recipient"]["id"].startswith("28:")
        assert activity["channelData"]["tenant"]["id"] == TENANT, name


# -- a whole check-in in a personal chat -------------------------------------------------------


async def test_a_check_in_runs_over_many_activities_of_one_real_personal_chat(
    teams: Contract, key_results: dict[str, int]
) -> None:
    """Real personal conversation ids are 131 characters: every activity after the first used to
    look like a retry of it (its dedupe key was cut at 128) and got 200 and nothing else."""
    assert (await teams.send("personal_conversation_update"))[0] == 200
    assert (await teams.send("personal_installation_update"))[0] == 200
    [welcome] = teams.said(CHAT)
    assert "Hi Megan" in texts(welcome)

    assert (await teams.send("personal_message", text="okr"))[0] == 200
    assert "Your OKRs · 2026-Q4" in texts(teams.said(CHAT)[-1])

    assert (await teams.send("personal_message", text="checkin"))[0] == 200
    card = teams.said(CHAT)[-1]
    assert elements(card, "Input.Number"), "the check-in card holds the inputs"

    first, guide = key_results["activation"], key_results["guide"]
    assert await check_in(teams, card, key_results, "on_track") == 200
    summary = teams.sandbox.activity(CHAT, card["id"])  # the card was replaced in place
    assert "Checked in · week 47" in texts(summary)
    assert [(c.key_result_id, c.value) for c in await stored_checkins(teams.database)] == [
        (first, 47.0),
        (guide, 0.0),
    ]

    sent = len(teams.sandbox.sent)
    status, _ = await teams.send("personal_message_reaction", replyToId=card["id"])
    assert status == 200 and len(teams.sandbox.sent) == sent  # a 👍 needs no answer

    assert (await teams.send("personal_message", text="okr"))[0] == 200
    assert "last: On track" in texts(teams.said(CHAT)[-1])
    assert SORRY not in teams.text_in(CHAT)
    row = await person(teams.database, MEGAN_EMAIL)
    assert row.teams_conversation is not None
    assert row.teams_conversation["conversation"]["id"] == CHAT


# -- group chats and channels ----------------------------------------------------------------


@pytest.mark.parametrize("where", ["group_chat_message", "channel_message"])
@pytest.mark.parametrize("typed", ["checkin", "settings"])
async def test_private_flows_asked_for_with_others_reading_point_to_the_personal_chat(
    teams: Contract, where: str, typed: str
) -> None:
    conversation = GROUP if where == "group_chat_message" else CHANNEL
    status, _ = await teams.send(where, text=f"<at>Teams TestBot</at> {typed}")
    assert status == 200
    [reply] = teams.said(conversation)
    shown = texts(reply)
    assert "1:1 chat" in shown and "https://teams.microsoft.com/l/chat/0/0?users=28:" in shown
    assert not [e for e in card_of(reply).get("body", []) if "Input." in str(e)]
    assert "only you and your manager" not in shown.lower()
    assert not teams.said(CHAT)  # nothing was sent anywhere else either


async def test_a_private_card_submitted_in_a_group_chat_is_not_acted_on(
    teams: Contract, key_results: dict[str, int]
) -> None:
    first = key_results["activation"]
    value = {
        "action": "checkin_form",
        "period": "2026-W47",
        "page": 0,
        f"kr-{first}-value": "55",
        f"kr-{first}-confidence": "off_track",
        f"kr-{first}-note": "Private worry about the launch",
    }
    activity = teams.activity("group_chat_message", value=value, replyToId="1764000000000")
    del activity["text"], activity["attachments"]
    assert (await teams.post(activity))[0] == 200
    [reply] = teams.said(GROUP)
    assert "1:1 chat" in texts(reply) and "Private worry" not in texts(reply)
    assert await stored_checkins(teams.database) == []


async def test_okr_in_a_group_chat_shows_progress_and_confidence_but_no_note_or_kudos(
    teams: Contract, key_results: dict[str, int]
) -> None:
    """OKRs are public, confidence included (as browse shows it); check-in notes are not."""
    await teams.send("personal_message", text="checkin")
    assert await check_in(teams, teams.said(CHAT)[-1], key_results, "off_track") == 200
    assert len(await stored_checkins(teams.database)) == 2

    assert (await teams.send("group_chat_message", text="<at>Teams TestBot</at> okr"))[0] == 200
    [reply] = teams.said(GROUP)
    shown = texts(reply)
    assert "Megan Bowen's OKRs · 2026-Q4" in shown and "Activation from 40% to 60%" in shown
    assert "of 60% · Off track" in shown and "not done · At risk" in shown
    assert "New welcome flow shipped" not in shown and "last:" not in shown
    assert "check-in notes stay private" in shown
    assert not [a for s in elements(reply, "ActionSet") for a in s["actions"]]


async def test_installing_in_a_team_posts_nothing_private_in_the_channel(teams: Contract) -> None:
    assert (await teams.send("team_conversation_update"))[0] == 200
    channel = CHANNEL.split(";")[0]
    assert "Your check-in answers" not in teams.text_in(channel)
    row = await person(teams.database, MEGAN_EMAIL)
    assert row.teams_conversation is None  # a channel is no place for weekly prompts


# -- tenants -------------------------------------------------------------------------------


def foreign(activity: dict[str, Any], user_id: str, aad_object_id: str) -> dict[str, Any]:
    """The same activity from someone in another Microsoft 365 organisation."""
    activity["from"] = {"id": user_id, "name": "Li Wei", "aadObjectId": aad_object_id}
    activity["channelData"]["tenant"]["id"] = OTHER_TENANT
    activity["conversation"]["tenantId"] = OTHER_TENANT
    activity["conversation"]["id"] = "a:1" + "f" * 128
    return activity


async def test_someone_from_another_tenant_is_refused_politely_and_binds_to_nobody(
    teams: Contract,
) -> None:
    # Their directory says li@contoso.example, the email of Li, imported but not yet connected.
    user_id, aad_object_id = "29:1" + "L" * 108, "0f9e8d7c-6b5a-4c3d-9e1f-2a3b4c5d6e7f"
    teams.sandbox.add_member(
        teams_user_id=user_id,
        aad_object_id=aad_object_id,
        name="Li Wei",
        email=LI_EMAIL,
        tenant_id=OTHER_TENANT,
    )
    chat = "a:1" + "f" * 128
    for name, changes in (
        ("personal_conversation_update", {}),
        ("personal_installation_update", {}),
        ("personal_message", {"text": "okr"}),
        ("personal_message", {"text": "checkin"}),
    ):
        activity = foreign(teams.activity(name, **changes), user_id, aad_object_id)
        activity["membersAdded"] = [{"id": activity["recipient"]["id"]}]
        assert (await teams.post(activity))[0] == 200
    said = [texts(a) for a in teams.said(chat)]
    assert len(said) == 3  # the install, then each message
    assert all("works for another organisation" in s for s in said)
    assert not any("Your OKRs" in s or "Hi Li" in s for s in said)
    li = await person(teams.database, LI_EMAIL)
    assert li.teams_aad_id is None and li.teams_conversation is None

    invoke = foreign(teams.activity("personal_adaptive_card_action_invoke"), user_id, aad_object_id)
    status, body = await teams.post(invoke)
    assert status == 200 and "another organisation" in body["value"]


# -- card submits that do not make sense ----------------------------------------------------


@pytest.mark.parametrize("period", ["next week", 47, "2026-47", "2026-W99"])
async def test_a_check_in_card_for_no_real_week_gets_a_clear_answer(
    teams: Contract, key_results: dict[str, int], period: object
) -> None:
    first = key_results["activation"]
    value = {
        "action": "checkin_form",
        "period": period,
        f"kr-{first}-value": "50",
        f"kr-{first}-confidence": "on_track",
    }
    status, _ = await teams.send("personal_card_submit", value=value, replyToId=None)
    assert status == 200
    shown = teams.text_in(CHAT)
    assert "couldn't tell which week that card was for" in shown and SORRY not in shown
    assert "Weekly check-in · week 47" in shown  # and this week's card to use instead
    assert await stored_checkins(teams.database) == []


# -- invokes and reactions -------------------------------------------------------------------


async def test_an_action_execute_invoke_gets_an_invoke_response_teams_can_show(
    teams: Contract,
) -> None:
    status, body = await teams.send("personal_adaptive_card_action_invoke")
    # Universal Actions: HTTP 200 whose body holds statusCode, type and value.
    assert status == 200
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert "`checkin`" in body["value"]
    assert not teams.said(CHAT)


async def test_a_reaction_before_anything_else_is_answered_quietly(teams: Contract) -> None:
    status, _ = await teams.send("personal_message_reaction")
    assert status == 200 and not teams.sandbox.sent
