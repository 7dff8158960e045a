"""The Slack app manifest must be accepted by Slack, checked offline against its JSON schema.

Slack rejects a bad manifest only when someone pastes it into api.slack.com, which is far too late;
validating against the published schema catches typos and out-of-range values in CI. The Socket
Mode variant documented at the top of manifest/slack.yaml is validated too, so the instructions
stay truthful.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.refs import REFS

MANIFEST = Path(__file__).resolve().parents[1] / "manifest" / "slack.yaml"
SCHEMA_NAME = "slack-manifest-schema/manifest.schema.1.0.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    path = REFS / SCHEMA_NAME
    if not path.is_file():
        pytest.fail(f"Slack manifest schema missing at {path}")
    schema = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _errors(validator: jsonschema.Draft7Validator, manifest: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in validator.iter_errors(manifest)
    ]


def socket_mode_variant(manifest: dict[str, Any]) -> dict[str, Any]:
    """Apply the Socket Mode instructions from the manifest's header comment."""
    variant = copy.deepcopy(manifest)
    settings = variant["settings"]
    settings["socket_mode_enabled"] = True
    settings["event_subscriptions"].pop("request_url")
    settings["interactivity"].pop("request_url")
    for command in variant["features"]["slash_commands"]:
        command.pop("url", None)
    return variant


def test_manifest_matches_schema(
    validator: jsonschema.Draft7Validator, manifest: dict[str, Any]
) -> None:
    assert _errors(validator, manifest) == []


def test_socket_mode_variant_matches_schema(
    validator: jsonschema.Draft7Validator, manifest: dict[str, Any]
) -> None:
    variant = socket_mode_variant(manifest)
    assert _errors(validator, variant) == []
    assert "request_url" not in json.dumps(variant)


def test_manifest_declares_what_okrbot_relies_on(manifest: dict[str, Any]) -> None:
    features = manifest["features"]
    assert manifest["display_information"]["name"] == "okrbot"
    assert features["bot_user"] == {"display_name": "okrbot", "always_online": True}
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_read_only_enabled"] is False
    commands = {command["command"]: command for command in features["slash_commands"]}
    assert set(commands) == {"/okr", "/kudos"}
    # Without escaping, /kudos and /okr @someone would get display names instead of
    # <@U…|name> user ids.
    assert commands["/kudos"]["should_escape"] is True
    assert commands["/okr"]["should_escape"] is True
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(
        [
            "chat:write",
            "commands",
            "im:write",
            "im:history",
            "users:read",
            "users:read.email",
            "files:write",
        ]
    )
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened", "message.im"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is False
    urls = {
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        *(command["url"] for command in commands.values()),
    }
    assert urls == {"https://okrbot.example.com/slack/events"}


def test_schema_rejects_a_broken_manifest(
    validator: jsonschema.Draft7Validator, manifest: dict[str, Any]
) -> None:
    """Guards the test itself: a schema that accepted anything would prove nothing."""
    broken = copy.deepcopy(manifest)
    broken["features"]["slash_commands"][0]["command"] = "okr"
    broken["settings"]["socket_mode"] = True
    assert len(_errors(validator, broken)) == 2
