"""Neutral messages and forms to Adaptive Cards: valid 1.5 cards, errors in place, sizes."""

from __future__ import annotations

from typing import Any

from okrbot.adapters.teams import render
from okrbot.adapters.teams.simulator import inputs_of, walk
from okrbot.bot.checkins import (
    KeyResultStatus,
    checkin_form,
    prompt_messages,
    skipped_message,
    snoozed_message,
    summary_message,
)
from okrbot.bot.domain import KeyResult, KeyResultType, Objective, Person
from okrbot.bot.messages import (
    Actions,
    Button,
    ButtonStyle,
    Context,
    Divider,
    Facts,
    Header,
    Image,
    Message,
    Text,
)
from okrbot.bot.overview import help_message, okr_overview
from tests.card_schema import card_problems, card_size

PERIOD = "2026-W47"
ANA = Person(id=1, email="ana@example.com", name="Ana Lima")


def statuses(count: int) -> list[KeyResultStatus]:
    objective = Objective(
        id=1, quarter="2026-Q4", title="Make onboarding effortless", level="personal",
        kind="committed", owner_id=1,
    )  # fmt: skip
    result = []
    for n in range(count):
        kr = KeyResult(
            id=n + 1,
            objective_id=1,
            title=f"Key result {n} — with a title as long as people write them in practice",
            owner_id=1,
            type=KeyResultType.MILESTONE if n % 7 == 3 else KeyResultType.NUMBER,
            start=0,
            target=1 if n % 7 == 3 else 100,
            current=n % 2,
        )
        result.append(KeyResultStatus(key_result=kr, objective=objective))
    return result


def by_id(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in walk(card["body"]) if "id" in e}


def test_every_block_renders_to_a_valid_card() -> None:
    message = Message(
        "All blocks",
        (
            Header("A header"),
            Text("**Bold** and _italic_\nsecond line\n> a quoted note"),
            Divider(),
            Facts((("Owner", "Ana"), ("Due", "Friday"))),
            Context("small print"),
            Image("https://example.com/chart.png", "a chart"),
            Actions(
                (
                    Button("Go", "go", "1", ButtonStyle.PRIMARY),
                    Button("Delete", "delete", "", ButtonStyle.DANGER),
                    Button("Later", "later"),
                )
            ),
        ),
    )
    card = render.message_card(message)
    assert card_problems(card) == []
    assert card["version"] == "1.5" and card["fallbackText"] == "All blocks"
    [header, text, facts, context, image, actions] = card["body"]
    assert header["weight"] == "Bolder" and header["size"] == "Large"
    assert text["text"] == "**Bold** and _italic_\n\nsecond line\n\n💬 a quoted note"
    assert facts["separator"] is True  # the divider
    assert context["isSubtle"] is True
    assert image["altText"] == "a chart"
    assert [a.get("style") for a in actions["actions"]] == ["positive", "destructive", None]
    assert actions["actions"][0]["data"] == {"action": "go", "value": "1"}


def test_the_core_messages_are_valid_cards() -> None:
    everything = statuses(5)
    messages = [
        *prompt_messages(ANA, PERIOD, everything),
        *prompt_messages(ANA, PERIOD, []),
        summary_message(PERIOD, []),
        skipped_message(PERIOD),
        okr_overview("2026-Q4", everything, "okr"),
        help_message("okr", "kudos"),
    ]
    for message in messages:
        assert card_problems(render.message_card(message)) == [], message.summary


def test_snoozed_message_is_valid() -> None:
    from datetime import UTC, datetime

    card = render.message_card(snoozed_message(PERIOD, datetime(2026, 11, 16, 12, tzinfo=UTC)))
    assert card_problems(card) == []
    assert "12:00" in card["body"][0]["text"]


def test_form_card_inputs_and_buttons() -> None:
    form = checkin_form(PERIOD, statuses(4))
    secondary = (Button("Snooze 2h", "checkin_snooze", PERIOD),)
    card = render.form_card(form, page=0, period=PERIOD, secondary=secondary)
    assert card_problems(card) == []
    inputs = by_id(card)
    assert inputs["kr-1-value"]["type"] == "Input.Number" and inputs["kr-1-value"]["value"] == 0
    assert inputs["kr-2-value"]["value"] == 1
    assert inputs["kr-4-value"]["type"] == "Input.ChoiceSet"  # a milestone
    assert inputs["kr-1-confidence"]["isRequired"] is True
    assert inputs["kr-1-note"]["isMultiline"] is True and inputs["kr-1-note"]["maxLength"] == 2000
    assert inputs["kudos-to"]["type"] == "Input.Text"
    assert inputs["kudos-to"]["placeholder"] == render.PERSON_PLACEHOLDER
    actions = [a for e in walk(card["body"]) if e["type"] == "ActionSet" for a in e["actions"]]
    assert actions[0]["data"] == {
        "action": "checkin_form",
        "value": "",
        "page": 0,
        "period": PERIOD,
    }
    assert actions[1]["associatedInputs"] == "none"


def test_errors_sit_under_their_field_and_typed_values_stay() -> None:
    form = checkin_form(PERIOD, statuses(2))
    typed = {"kr-1-value": "abc", "kr-1-note": "half a thought", "kr-2-value": "12.5"}
    errors = {"kr-1-value": "“abc” is not a number", "kr-2-confidence": "Pick one"}
    card = render.form_card(form, page=0, period=PERIOD, errors=errors, typed=typed)
    assert card_problems(card) == []
    body = card["body"]
    ids = [e.get("id") for e in body]
    after_value = body[ids.index("kr-1-value") + 1]
    assert after_value["color"] == "attention" and "abc" in after_value["text"]
    assert body[ids.index("kr-2-confidence") + 1]["color"] == "attention"
    values = inputs_of(card)
    assert values["kr-1-value"] == ""  # not a number: left empty, the error names it
    assert values["kr-1-note"] == "half a thought"
    assert values["kr-2-value"] == "12.5"
    assert any("fix the fields" in e.get("text", "") for e in body)


def test_sixty_key_results_make_four_pages_each_under_80_kb() -> None:
    everything = statuses(60)
    for page, size in enumerate((18, 18, 18, 6)):
        form = checkin_form(PERIOD, everything, page)
        card = render.form_card(form, page=page, period=PERIOD)
        assert card_problems(card) == []
        assert card_size(card) < 80 * 1024
        assert sum(1 for i in by_id(card) if i.endswith("-value")) == size
        assert sum(1 for i in by_id(card) if i.endswith("-feedback")) == size


def test_answers_drop_okrbots_own_keys() -> None:
    value = {"action": "checkin_form", "page": 1, "period": PERIOD, "value": "", "kr-1-value": "3"}
    assert render.answers(value) == {"kr-1-value": "3"}


def test_links_people_typed_show_their_target_and_okrbot_markdown_survives() -> None:
    cases = {
        "[re-confirm payroll](https://evil.example/login)": (
            "re-confirm payroll (https://evil.example/login)"
        ),
        "![logo](https://evil.example/p.png)": "logo (https://evil.example/p.png)",
        'see [a [b]](https://e.example/x(1) "title") now': "see a [b] (https://e.example/x(1)) now",
        "[https://intranet.example](https://evil.example)": (
            "https://intranet.example (https://evil.example)"
        ),
        "[[odd]]](https://evil.example)": "[[odd]]] (https://evil.example)",
        "<at>Li Wei</at> thanks": "Li Wei thanks",
        "**Ana** said _thanks_ at https://ok.example": "**Ana** said _thanks_ at https://ok.example",
    }
    for typed, shown in cases.items():
        assert render.defused(typed) == shown
        card = render.message_card(Message("x", (Text(typed), Facts(((typed, typed),)))))
        [text, facts] = card["body"]
        assert text["text"] == shown
        assert facts["facts"] == [{"title": shown, "value": shown}]
