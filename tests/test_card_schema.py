"""The Adaptive Card 1.5 check okrbot runs on every card it sends to Teams."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from botbuilder.schema import Activity, ChannelAccount

from okrbot.adapters.teams import render
from okrbot.adapters.teams.replies import FOREIGN_TENANT, private_pointer, welcome_message
from okrbot.bot.checkins import KeyResultStatus, checkin_form
from okrbot.bot.domain import (
    CheckIn,
    Confidence,
    KeyResult,
    KeyResultType,
    Level,
    Objective,
    Person,
    Platform,
    Weekday,
)
from okrbot.bot.kudos import LimitResult, confirmation, public_post
from okrbot.bot.kudos import help_message as kudos_help
from okrbot.bot.messages import NOT_SET_UP, Message, Text
from okrbot.bot.overview import help_message, okr_overview, public_overview
from okrbot.bot.preferences import Preferences, preferences_form, saved_message
from okrbot.bot.quarters import Quarter
from okrbot.bot.reflections import reflection_prompt, reflection_window
from okrbot.bot.settings import Settings
from tests.card_schema import MAX_CARD_BYTES, card_problems, card_size
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


# -- every card okrbot sends on Teams ------------------------------------------------------------
# The demo writes every card of a played quarter (prompts, reminders, forms, summaries, snoozes,
# skips, digests, reflections, quarter summaries, kudos) to cards/teams, and test_demo checks
# each against the schema; the end-to-end and contract tests check every card the bot sends in
# them. These are the replies the demo never produces, built the way the bot builds them.

_NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
_ANA = Person(1, "ana@example.com", "Ana Lima", manager_id=2, timezone="America/New_York")
_OBJECTIVE = Objective(10, "2026-Q4", "Make onboarding effortless", 1, Level.PERSONAL)
_STATUSES = (
    KeyResultStatus(
        KeyResult(100, 10, "Activation from 40% to 60%", 1, KeyResultType.PERCENT, 40, 60, 47),
        _OBJECTIVE,
        last_checkin=CheckIn(
            1, 100, 1, "2026-W46", 47, Confidence.AT_RISK, "slow", Platform.TEAMS, _NOW, _NOW
        ),
    ),
    KeyResultStatus(
        KeyResult(101, 10, "Publish the setup guide", 1, KeyResultType.MILESTONE, 0, 1, 0),
        _OBJECTIVE,
        stale=True,
    ),
)
_LIMIT = LimitResult(True, 1, 4, 5, timedelta(hours=14), requested=1)


def _replies() -> list[tuple[str, dict[str, Any]]]:
    said = {
        "welcome": welcome_message(_ANA, Settings()),
        "help": help_message("okr", "kudos", "`settings`"),
        "kudos help": kudos_help("kudos", ["ownership"]),
        "kudos receipt": confirmation(["Li Wei"], None, _LIMIT, ["Zed is not set up yet."]),
        "kudos in a 1:1 chat": public_post("Ana Lima", ["Li Wei"], "thanks!", ["ownership"]),
        "okr": okr_overview("2026-Q4", _STATUSES, "okr"),
        "okr without key results": okr_overview("2026-Q4", (), "okr"),
        "okr in a group chat": public_overview("Ana Lima", "2026-Q4", _STATUSES),
        "private flow in a group chat": private_pointer(
            Activity(recipient=ChannelAccount(id="28:c9e8c047-2a74-40a2-b28a-b162d5f5327c")),
            "Check-ins are",
        ),
        "not imported": Message(NOT_SET_UP, (Text(NOT_SET_UP),)),
        "another tenant": Message(FOREIGN_TENANT, (Text(FOREIGN_TENANT),)),
        "settings saved": saved_message(
            Preferences(Weekday.TUE, time(9, 30), date(2026, 12, 1)), "America/New_York"
        ),
        "reflection prompt": reflection_prompt(
            "Ana", reflection_window(Quarter.parse("2026-Q4")), _STATUSES
        ),
    }
    cards = [(name, render.message_card(message)) for name, message in said.items()]
    form = checkin_form("2026-W47", _STATUSES)
    cards.append(
        (
            "check-in with errors",
            render.form_card(
                form,
                page=0,
                period="2026-W47",
                errors={"kr-100-value": "Enter a number, e.g. 42"},
                typed={"kr-100-value": "lots", "kr-100-confidence": "on_track"},
            ),
        )
    )
    preferences = preferences_form(Preferences(Weekday.MON, time(10, 0), None))
    cards.append(("settings", render.form_card(preferences, page=0, period="")))
    return cards


@pytest.mark.parametrize(("name", "card"), _replies(), ids=[name for name, _ in _replies()])
def test_every_reply_the_demo_does_not_show_is_a_valid_card(
    name: str, card: dict[str, Any]
) -> None:
    assert card_problems(card) == [], name
