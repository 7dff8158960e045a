"""What the Slack code handles and what manifest/slack.yaml declares must match, both ways.

A slash command missing from the manifest never reaches okrbot; one declared but not handled
answers people with an error. The adapter registers its listeners from the same constants this
test compares, so the two cannot drift apart silently.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_sdk.web.async_client import AsyncWebClient

from okrbot.adapters.conversations import CheckIns
from okrbot.adapters.slack.app import ACTIONS, EVENTS, SLASH_COMMANDS, VIEWS, SlackAdapter
from okrbot.bot.clock import FakeClock
from okrbot.bot.settings import Settings
from okrbot.storage.db import Database

MANIFEST = Path(__file__).resolve().parents[1] / "manifest" / "slack.yaml"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_slash_commands_match(manifest: dict[str, Any]) -> None:
    declared = [c["command"] for c in manifest["features"].get("slash_commands") or []]
    assert sorted(declared) == sorted(SLASH_COMMANDS)
    assert len(set(SLASH_COMMANDS)) == len(SLASH_COMMANDS)


def test_events_match(manifest: dict[str, Any]) -> None:
    declared = manifest["settings"]["event_subscriptions"].get("bot_events") or []
    assert sorted(declared) == sorted(EVENTS)


def test_interactivity_is_on_because_buttons_and_modals_are_handled(
    manifest: dict[str, Any],
) -> None:
    assert ACTIONS and VIEWS
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert "commands" in manifest["oauth_config"]["scopes"]["bot"]


def test_the_app_registers_one_listener_per_handled_name() -> None:
    database = Database("sqlite+aiosqlite:///:memory:")
    checkins = CheckIns(database, Settings(), FakeClock(datetime(2026, 1, 5, tzinfo=UTC)))
    adapter = SlackAdapter(
        database=database,
        checkins=checkins,
        client=AsyncWebClient(token="xoxb-test"),
        signing_secret="secret",
    )
    listeners = adapter.app._async_listeners
    assert len(listeners) == len(SLASH_COMMANDS) + len(EVENTS) + len(ACTIONS) + len(VIEWS)
