"""Neutral messages and forms to Adaptive Cards 1.5, the highest version Teams renders for bots.

Buttons become `Action.Submit` with `data = {"action": ..., "value": ...}`; Teams posts that data
back merged with the card's inputs, so one card can both show the check-in and collect it. Field
errors are shown as an "attention" TextBlock under the input, and what the person typed is kept.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from okrbot.adapters.rendering import cut
from okrbot.bot.checkins import parse_number
from okrbot.bot.messages import (
    TOGGLED,
    Actions,
    Block,
    Button,
    ButtonStyle,
    ChannelInput,
    ChoiceInput,
    Context,
    Divider,
    Facts,
    Form,
    FormItem,
    Header,
    Image,
    Input,
    Message,
    NumberInput,
    PersonInput,
    Text,
    TextInput,
    ToggleInput,
)

CARD_VERSION = "1.5"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA_URL = "http://adaptivecards.io/schemas/adaptive-card.json"

# Keys okrbot puts in Action.Submit data; input ids (kr-…, kudos-…) never collide with them.
ACTION_KEY = "action"
VALUE_KEY = "value"
PAGE_KEY = "page"
PERIOD_KEY = "period"
DATA_KEYS = frozenset({ACTION_KEY, VALUE_KEY, PAGE_KEY, PERIOD_KEY})

TEXT_MAX = 5000
TITLE_MAX = 100
PERSON_PLACEHOLDER = "Names or emails, separated by commas"

_STYLES = {ButtonStyle.PRIMARY: "positive", ButtonStyle.DANGER: "destructive"}


# `[label](url)` and `![alt](url)`, with an optional title and one level of brackets in the label.
_MARKDOWN_LINK = re.compile(
    r"!?\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\(\s*<?([^\s()<>]*(?:\([^\s()<>]*\)[^\s()<>]*)*)>?"
    r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)"
)
_AT_TAG = re.compile(r"</?at\b[^>]*>", re.IGNORECASE)


def _shown_link(match: re.Match[str]) -> str:
    label, url = match.group(1).strip(), match.group(2)
    if not url or label == url:
        return label or url
    return f"{label} ({url})" if label else url


def defused(text: str) -> str:
    """Text that renders on a card with every link target in plain sight.

    A TextBlock turns `[label](url)` into a link that shows only the label, so a colleague's
    note could dress a phishing address up as "re-confirm payroll"; Slack's renderer already
    shows such links as `label (url)`, and so does this. okrbot writes no markdown links of its
    own, so all of them came from people. What the pattern cannot parse loses the `](` that
    would make it a link, and `<at>` tags (a mention only with an entity okrbot never sends)
    are dropped.
    """
    text = _MARKDOWN_LINK.sub(_shown_link, text)
    return _AT_TAG.sub("", text.replace("](", "] ("))


def markdown(text: str) -> str:
    """The neutral markdown subset to what Teams' TextBlock renders.

    Teams joins single line breaks, so every line becomes its own paragraph; quotes (`> note`)
    have no markdown in cards and are shown with a speech balloon instead. Links people typed
    show their target (`defused`).
    """
    lines = []
    for line in defused(text).split("\n"):
        if line.startswith("> "):
            line = "💬 " + line[2:]
        lines.append(line)
    return cut("\n\n".join(lines), TEXT_MAX)


def text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": markdown(text), "wrap": True, **style}


def submit(button: Button, **data: Any) -> dict[str, Any]:
    action: dict[str, Any] = {
        "type": "Action.Submit",
        "title": cut(button.label, TITLE_MAX),
        "data": {ACTION_KEY: button.action, VALUE_KEY: button.value, **data},
    }
    if button.style in _STYLES:
        action["style"] = _STYLES[button.style]
    return action


def _block(item: Block | FormItem, in_form: bool = False) -> dict[str, Any]:
    match item:
        case Header(text):
            size = "Medium" if in_form else "Large"
            return text_block(text, size=size, weight="Bolder")
        case Text(text):
            return text_block(text)
        case Context(text):
            return text_block(text, size="Small", isSubtle=True)
        case Facts(pairs):
            return {
                "type": "FactSet",
                "facts": [
                    {"title": cut(defused(k), 200), "value": cut(defused(v), 1000)}
                    for k, v in pairs
                ],
            }
        case Image(url, alt):
            return {"type": "Image", "url": url, "altText": cut(alt, 500)}
        case Actions(buttons):
            return {"type": "ActionSet", "actions": [submit(b) for b in buttons[:6]]}
    raise TypeError(f"cannot render {item!r} to an Adaptive Card")


def _body(items: tuple[Block | FormItem, ...], in_form: bool = False) -> list[dict[str, Any]]:
    """Render blocks; a Divider becomes a separator line above the element after it."""
    body: list[dict[str, Any]] = []
    separate = False
    for item in items:
        if isinstance(item, Divider):
            separate = True
            continue
        element = _block(item, in_form)
        if separate:
            element.update(separator=True, spacing="Medium")
            separate = False
        body.append(element)
    return body


def adaptive_card(body: list[dict[str, Any]], fallback: str) -> dict[str, Any]:
    return {
        "type": "AdaptiveCard",
        "$schema": SCHEMA_URL,
        "version": CARD_VERSION,
        "fallbackText": cut(fallback, 500),
        "body": body or [text_block(fallback)],
    }


def message_card(message: Message) -> dict[str, Any]:
    return adaptive_card(_body(message.blocks), message.summary)


def attachment(card: dict[str, Any]) -> dict[str, Any]:
    return {"contentType": CARD_CONTENT_TYPE, "content": card}


def _number(value: object) -> float | None:
    try:
        number = value if isinstance(value, int | float) else parse_number(str(value))
    except ValueError:
        return None
    return float(number) if math.isfinite(number) else None


def _input(item: Input, typed: object) -> dict[str, Any]:
    """One input; `typed` (what the person submitted, if anything) wins over the initial value."""
    element: dict[str, Any] = {"id": item.id, "label": cut(item.label, 500)}
    given = typed is not None
    match item:
        case NumberInput(initial=initial):
            element["type"] = "Input.Number"
            value = _number(typed) if given else initial
            if value is not None:
                element["value"] = int(value) if float(value).is_integer() else value
            element["isRequired"] = True
            element["errorMessage"] = "Enter a number."
        case ChoiceInput(choices=choices, initial=initial, optional=optional):
            element["type"] = "Input.ChoiceSet"
            element["style"] = "compact"
            element["choices"] = [
                {"title": cut(c.label, 200), "value": c.value} for c in choices[:100]
            ]
            value = str(typed) if given else initial
            if value and any(c.value == value for c in choices):
                element["value"] = value
            if not optional:
                element["isRequired"] = True
                element["errorMessage"] = "Pick one."
        case TextInput(initial=initial, multiline=multiline, max_length=max_length):
            element["type"] = "Input.Text"
            element["isMultiline"] = multiline
            value = str(typed) if given else initial
            if value:
                element["value"] = value
            if max_length:
                element["maxLength"] = max_length
            if item.placeholder:
                element["placeholder"] = cut(item.placeholder, 200)
        case ChannelInput(initial=initial):
            # A card cannot list the channels of someone's teams: the channel's link, pasted.
            element["type"] = "Input.Text"
            value = str(typed) if given else initial
            if value:
                element["value"] = value
            if item.placeholder:
                element["placeholder"] = cut(item.placeholder, 200)
        case ToggleInput(option=option, initial=ticked):
            element["type"] = "Input.Toggle"
            element["title"] = cut(option, 500)
            element["valueOn"], element["valueOff"] = TOGGLED, "no"
            element["value"] = TOGGLED if (str(typed) == TOGGLED if given else ticked) else "no"
        case PersonInput():
            # Adaptive Cards 1.5 have no people picker (Teams' Data.Query is outside the
            # schema), so colleagues are named by name or email and resolved by okrbot.
            element["type"] = "Input.Text"
            element["placeholder"] = PERSON_PLACEHOLDER
            if given and str(typed).strip():
                element["value"] = str(typed)
    return element


def form_card(
    form: Form,
    *,
    page: int,
    period: str,
    intro: tuple[Block, ...] = (),
    secondary: tuple[Button, ...] = (),
    footer: tuple[Block, ...] = (),
    errors: Mapping[str, str] | None = None,
    typed: Mapping[str, object] | None = None,
) -> dict[str, Any]:
    """A form as one card: intro blocks, the inputs, the submit button and `secondary` buttons.

    The submit carries the page and the week, so a card answered late or a page out of order is
    recognised; Snooze/Skip-style buttons submit no inputs (and so skip the client's checks).
    """
    errors = errors or {}
    typed = typed or {}
    body = _body(intro) if intro else [text_block(form.title, size="Large", weight="Bolder")]
    if form.intro:
        body.append(text_block(form.intro, size="Small", isSubtle=True))
    separate = False
    for item in form.items:
        if isinstance(item, Input):
            body.append(_input(item, typed.get(item.id)))
            if item.id in errors:
                body.append(text_block(f"⚠️ {errors[item.id]}", color="attention", spacing="None"))
            continue
        if isinstance(item, Divider):
            separate = True
            continue
        element = _block(item, in_form=True)
        if separate or isinstance(item, Text):
            element.update(separator=True, spacing="Medium")
            separate = False
        body.append(element)
    if errors:
        body.insert(
            1 if len(body) > 1 else 0,
            text_block("Please fix the fields marked ⚠️ below.", color="attention"),
        )
    actions = [submit(Button(form.submit_label, form.id, "", ButtonStyle.PRIMARY), page=page)]
    for button in secondary:
        action = submit(button)
        action["associatedInputs"] = "none"
        actions.append(action)
    for action in actions:
        action["data"][PERIOD_KEY] = period
    body.append({"type": "ActionSet", "actions": actions, "separator": True, "spacing": "Medium"})
    body.extend(_body(footer))
    return adaptive_card(body, form.title)


def answers(value: Mapping[str, Any]) -> dict[str, object]:
    """The inputs of an Action.Submit payload, without okrbot's own data keys."""
    return {key: item for key, item in value.items() if key not in DATA_KEYS}
