"""The Adaptive Card 1.5 check okrbot runs on every card it sends to Teams."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from okrbot.adapters.teams.card_schema import (
    MAX_CARD_BYTES,
    SCHEMA_RESOURCE,
    card_problems,
    card_size,
)
from tests.refs import REFS


def _check_in_card() -> dict[str, Any]:
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [
            {"type": "TextBlock", "text": "Weekly check-in", "weight": "Bolder", "size": "Large"},
            {
                "type": "Input.Number",
                "id": "kr-1",
                "label": "Signed customers",
                "min": 0,
                "max": 40,
                "value": 12,
            },
            {
                "type": "Input.ChoiceSet",
                "id": "confidence",
                "label": "Confidence",
                "style": "compact",
                "value": "on_track",
                "choices": [
                    {"title": "On track", "value": "on_track"},
                    {"title": "At risk", "value": "at_risk"},
                    {"title": "Off track", "value": "off_track"},
                ],
            },
            {"type": "Input.Text", "id": "note", "label": "Note", "isMultiline": True},
            {
                "type": "Input.Toggle",
                "id": "blocked",
                "title": "I'm blocked",
                "valueOn": "true",
                "valueOff": "false",
            },
        ],
        "actions": [
            {"type": "Action.Submit", "title": "Save", "data": {"okrbot": "checkin", "id": 7}}
        ],
    }


def test_valid_check_in_card_passes() -> None:
    assert card_problems(_check_in_card()) == []


def test_official_refresh_sample_fails_with_the_properties_at_fault() -> None:
    path = REFS / "teams-payloads" / "adaptive_card_refresh_execute_sample.json"
    problems = card_problems(json.loads(path.read_text(encoding="utf-8")))
    assert any("'originator' was unexpected" in problem for problem in problems)
    assert any(problem.startswith("/body/3/actions/0/fallback:") for problem in problems)


def test_problems_name_the_element_and_property() -> None:
    card = _check_in_card()
    card["body"][1]["min"] = "zero"
    card["body"].append({"type": "TextBlok", "text": "typo"})
    card["body"].append({"type": "TextBlock"})
    assert card_problems(card) == [
        "/body/1/min: 'zero' is not of type 'number'",
        "/body/5: 'TextBlok' is not an element or action type of Adaptive Card 1.5",
        "/body/6: 'text' is a required property",
    ]


def test_cards_newer_than_teams_renders_fail() -> None:
    card = _check_in_card()
    card["version"] = "1.6"
    assert card_problems(card) == ["/version: '1.6' is newer than 1.5, the highest Teams renders"]
    card["version"] = "1.4"
    assert card_problems(card) == []


def test_oversize_card_fails() -> None:
    card = _check_in_card()
    card["body"].append({"type": "TextBlock", "text": "x" * MAX_CARD_BYTES, "wrap": True})
    problems = card_problems(card)
    assert card_size(card) > MAX_CARD_BYTES
    assert len(problems) == 1 and "80 KB" in problems[0]


def test_packaged_schema_is_the_reference_copy() -> None:
    packaged = resources.files("okrbot.adapters.teams").joinpath(SCHEMA_RESOURCE)
    reference = REFS / "adaptive-card-schema-1.5.0" / "adaptive-card.json"
    assert packaged.read_bytes() == reference.read_bytes()
