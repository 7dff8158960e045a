"""Slack's requests as Slack documents and really sends them, through okrbot's real server.

Each body starts from a fixture in tests/data/slack_payloads (see its README for where each shape
comes from), gets the ids of the moment (user, trigger, message, view) and is sent signed over
loopback HTTP into `okrbot serve`'s web app, real Bolt behind it. The assertions are what the
person sees: a modal opens, a check-in is stored and the DM shows it, the Home tab is published.
Ordinary workspaces and Enterprise Grid org-wide installs (`"team": null`) alike.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from sqlalchemy import select

from okrbot.adapters.slack.simulator import Grid, Reply, SlackSimulator
from okrbot.storage.db import Database
from okrbot.storage.models import CheckInRow
from tests.test_slack_e2e import SlackWorld, _krs, slack_world, texts

PAYLOADS = Path(__file__).parent / "data" / "slack_payloads"
FORM = "application/x-www-form-urlencoded"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / name).read_text())


def form_fixture(name: str) -> dict[str, str]:
    return dict(parse_qsl((PAYLOADS / name).read_text().strip(), keep_blank_values=True))


@pytest.fixture(params=["workspace", "grid"])
async def world(request: pytest.FixtureRequest, sqlite_database: Database) -> AsyncIterator[Any]:
    grid = Grid() if request.param == "grid" else None
    async with slack_world(sqlite_database, grid) as running:
        running.kind = request.param  # type: ignore[attr-defined]
        yield running


def variant(world: SlackWorld, name: str) -> str:
    """The fixture file for this world: `name` or its Enterprise Grid twin."""
    stem, _dot, ext = name.partition(".")
    return f"{stem}_grid.{ext}" if world.kind == "grid" else name  # type: ignore[attr-defined]


async def interact(world: SlackWorld, payload: dict[str, Any]) -> Reply:
    return await world.slack.post(urlencode({"payload": json.dumps(payload)}).encode(), FORM)


def button_in(surface: dict[str, Any], action_id: str) -> dict[str, Any]:
    """The `actions[0]` Slack sends for a click on `action_id` in a message or view."""
    for block in surface["blocks"]:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return {
                    "action_id": action_id,
                    "block_id": block.get("block_id", "Xk3e"),
                    "text": element["text"],
                    "value": element.get("value", ""),
                    "type": "button",
                    "action_ts": "1763287260.000001",
                }
    raise LookupError(action_id)


def described(template: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """A fixture's view object with the content of a view the sandbox holds."""
    view = copy.deepcopy(template)
    for key in ("id", "type", "blocks", "private_metadata", "callback_id", "title", "submit"):
        if key in record:
            view[key] = record[key]
    view["root_view_id"] = record["id"]
    return view


async def click_on_prompt(world: SlackWorld, action_id: str) -> Reply:
    await world.send_prompts()
    prompt = world.dm("U0ANA")[-1]
    channel = world.sandbox.dm_channel("U0ANA")
    payload = fixture(variant(world, "block_actions_message.json"))
    payload["trigger_id"] = world.sandbox.issue_trigger_id()
    payload["container"].update({"message_ts": prompt["ts"], "channel_id": channel})
    payload["channel"]["id"] = channel
    payload["message"] = prompt
    payload["actions"] = [button_in(prompt, action_id)]
    return await interact(world, payload)


async def test_a_slash_command_as_slack_sends_it_is_answered(world: SlackWorld) -> None:
    form = form_fixture(variant(world, "slash_command.txt"))
    form["trigger_id"] = world.sandbox.issue_trigger_id()
    reply = await world.slack.post(urlencode(form).encode(), FORM)
    assert reply.status == 200
    assert "Your OKRs · 2026-Q4" in texts(reply.json())


async def test_the_check_in_button_in_a_dm_opens_the_modal(world: SlackWorld) -> None:
    reply = await click_on_prompt(world, "checkin_open")
    assert reply.status == 200
    [opened] = world.sandbox.calls_to("views.open")
    assert opened.ok and opened.params["view"]["callback_id"] == "checkin_form"


async def test_the_snooze_button_in_a_dm_updates_that_message(world: SlackWorld) -> None:
    reply = await click_on_prompt(world, "checkin_snooze")
    assert reply.status == 200
    [snoozed] = world.dm("U0ANA")
    assert "Snoozed" in texts(snoozed)


def answered(view: dict[str, Any], answers: dict[str, str]) -> dict[str, Any]:
    """`view.state.values` as Slack sends it for these answers (block id -> value or option)."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element, answer = block["element"], answers.get(block["block_id"])
        state: dict[str, Any] = {"type": element["type"]}
        if element["type"] == "static_select":
            chosen = [o for o in element["options"] if o["value"] == answer]
            state["selected_option"] = chosen[0] if chosen else None
        elif element["type"] == "multi_users_select":
            state["selected_users"] = []
        else:
            state["value"] = answer
        values[block["block_id"]] = {element["action_id"]: state}
    return {"values": values}


async def test_submitting_the_modal_stores_the_check_in_and_shows_it_in_the_dm(
    world: SlackWorld,
) -> None:
    await click_on_prompt(world, "checkin_open")
    [record] = world.sandbox.views.values()
    activation, guide = [kr.id for kr in await _krs(world.database, "ana@example.com")]
    payload = fixture(variant(world, "view_submission.json"))
    payload["trigger_id"] = world.sandbox.issue_trigger_id()
    payload["view"] = described(payload["view"], record)
    payload["view"]["state"] = answered(
        record,
        {
            f"kr-{activation}-value": "47.5",
            f"kr-{activation}-confidence": "on_track",
            f"kr-{guide}-value": "done",
            f"kr-{guide}-confidence": "on_track",
        },
    )
    reply = await interact(world, payload)
    assert reply.status == 200 and reply.body == ""  # the modal closes
    async with world.database.reading() as session:
        stored = (await session.scalars(select(CheckInRow).order_by(CheckInRow.id))).all()
    assert [(c.value, c.confidence) for c in stored] == [(47.5, "on_track"), (1.0, "on_track")]
    [prompt] = world.dm("U0ANA")
    assert "Checked in" in texts(prompt) and "47.5%" in texts(prompt)


async def test_opening_the_home_tab_publishes_it(world: SlackWorld) -> None:
    payload = fixture(variant(world, "event_app_home_opened.json"))
    del payload["event"]["view"]  # never published yet
    reply = await world.slack.post(json.dumps(payload).encode(), "application/json")
    assert reply.status == 200
    assert "Your key results" in texts(world.sandbox.home_views["U0ANA"])


async def test_the_settings_button_on_the_home_tab_opens_the_settings_modal(
    world: SlackWorld,
) -> None:
    await world.runtime.ticker.tick()
    await world.slack.open_home("U0ANA")
    home = world.sandbox.home_views["U0ANA"]
    payload = fixture(variant(world, "block_actions_home.json"))
    payload["trigger_id"] = world.sandbox.issue_trigger_id()
    payload["container"]["view_id"] = home["id"]
    payload["view"] = described(payload["view"], home)
    payload["actions"] = [button_in(home, "prefs_open")]
    reply = await interact(world, payload)
    assert reply.status == 200
    [opened] = world.sandbox.calls_to("views.open")
    assert opened.ok and opened.params["view"]["callback_id"] == "prefs_form"


@pytest.mark.parametrize("name", ["block_actions_modal.json", "view_closed.json"])
async def test_what_okrbot_does_not_listen_for_is_still_read_not_refused(
    world: SlackWorld, name: str
) -> None:
    """okrbot's modals dispatch no actions and it never asks for view_closed; Slack's shapes
    for both still parse (Bolt answers an unhandled request with 404), and nothing happens."""
    reply = await interact(world, fixture(variant(world, name)))
    assert reply.status not in (400, 500), reply.body
    assert web_api_calls(world) == []


def web_api_calls(world: SlackWorld) -> list[str]:
    """What okrbot asked Slack's Web API for (Bolt's own auth.test aside)."""
    return [call.method for call in world.sandbox.calls if call.method != "auth.test"]


class Recording(SlackSimulator):
    """The simulator, keeping every interactive payload and event body it sends."""

    sent: list[dict[str, Any]]

    async def post(self, body: bytes, content_type: str, **kwargs: Any) -> Reply:
        self.sent = getattr(self, "sent", [])
        if content_type == FORM:
            fields = dict(parse_qsl(body.decode(), keep_blank_values=True))
            self.sent.append(json.loads(fields["payload"]) if "payload" in fields else fields)
        else:
            self.sent.append(json.loads(body))
        return await super().post(body, content_type, **kwargs)


def shape(value: Any) -> Any:
    """Keys, and which of them are null, down through objects: what a payload's shape is."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    return None if value is None else type(value).__name__


async def test_the_simulator_sends_every_field_slack_does(world: SlackWorld) -> None:
    """The e2e tests drive okrbot with the simulator; it must send these same shapes."""
    simulator = Recording(world.slack.url, world.slack.signing_secret, world.sandbox)
    simulator.grid = world.slack.grid
    try:
        await simulator.command("U0ANA", "/okr")
        await world.send_prompts()
        prompt = world.dm("U0ANA")[-1]
        channel = world.sandbox.dm_channel("U0ANA") or ""
        await simulator.click("U0ANA", prompt, "checkin_open", channel)
        modal = next(iter(world.sandbox.views.values()))
        await simulator.submit("U0ANA", modal, {})
        await simulator.open_home("U0ANA")
        await simulator.open_home("U0ANA")  # now with the published view
        home = world.sandbox.home_views["U0ANA"]
        await simulator.click_in_view("U0ANA", home, "prefs_open")
        await simulator.close_view("U0ANA", modal)
    finally:
        await simulator.close()
    command, click, submission, _first_home, home_opened, home_click, closed = simulator.sent
    expected = {
        "slash_command.txt": command,
        "block_actions_message.json": click,
        "view_submission.json": submission,
        "event_app_home_opened.json": home_opened,
        "block_actions_home.json": home_click,
        "view_closed.json": closed,
    }
    for name, sent in expected.items():
        reader = form_fixture if name.endswith(".txt") else fixture
        documented = reader(variant(world, name))
        assert set(sent) == set(documented), name
        for key in ("team", "enterprise", "is_enterprise_install", "context_enterprise_id"):
            if key in documented:
                assert (sent[key] is None) == (documented[key] is None), (name, key)
        for key in ("container", "view", "authorizations"):
            if isinstance(documented.get(key), dict):
                assert set(shape(sent[key])) == set(shape(documented[key])), (name, key)


# -- bodies Bolt cannot read: 400, never a 500 -------------------------------------------------


def unreadable_bodies() -> list[tuple[str, dict[str, Any] | list[Any]]]:
    view_without_type = fixture("view_submission.json")
    view_without_type["view"]["callback_id"] = "checkin_form"
    del view_without_type["view"]["type"]
    authorizations_not_a_list = fixture("event_app_home_opened.json")
    authorizations_not_a_list["authorizations"] = {"team_id": "T0SANDBOX"}
    authorization_not_an_object = fixture("event_app_home_opened.json")
    authorization_not_an_object["authorizations"] = ["T0SANDBOX"]
    action_without_id = fixture("block_actions_message.json")
    del action_without_id["actions"][0]["action_id"]
    return [
        ("a view without a type", view_without_type),
        ("authorizations that is not a list", authorizations_not_a_list),
        ("an authorization that is not an object", authorization_not_an_object),
        ("an action without an action_id", action_without_id),
    ]


@pytest.mark.parametrize(
    "body", [body for _why, body in unreadable_bodies()], ids=[w for w, _b in unreadable_bodies()]
)
async def test_signed_bodies_bolt_cannot_read_get_400_not_500(
    world: SlackWorld, body: dict[str, Any]
) -> None:
    if "event" in body:
        reply = await world.slack.post(json.dumps(body).encode(), "application/json")
    else:
        reply = await interact(world, body)
    assert reply.status == 400, reply.body
    assert "not shaped like a Slack request" in reply.body
    assert web_api_calls(world) == []
