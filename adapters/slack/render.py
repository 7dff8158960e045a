"""Neutral messages and forms to Block Kit, and modal state back to plain answers.

Text that came from people (titles, notes, names) is escaped, so nothing anyone typed can turn
into a Slack mention or a broadcast ping when okrbot repeats it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from okrbot.adapters.rendering import cut

# okrbot's neutral forms and inputs are named through their module (`messages.TextInput`),
# to tell them apart from the Block Kit input elements they become.
from okrbot.bot import messages
from okrbot.bot.messages import (
    Actions,
    Block,
    ButtonStyle,
    Context,
    Divider,
    Facts,
    Header,
    Image,
    Message,
    Text,
)

SECTION_TEXT_MAX = 3000
HEADER_MAX = 150
BUTTON_TEXT_MAX = 75
MODAL_TITLE_MAX = 24
LABEL_MAX = 2000
OPTION_TEXT_MAX = 75
FIELD_TEXT_MAX = 2000
INPUT_ACTION = "input"
ACTION_SEPARATOR = "#"

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> str:
    """The neutral markdown subset to Slack's mrkdwn: `**bold**` becomes `*bold*`."""
    lines = []
    for line in escape(text).split("\n"):
        # A quote marker was escaped above; restore it so notes still render as quotes.
        if line.startswith("&gt; "):
            line = "> " + line[5:]
        lines.append(_BOLD.sub(r"*\1*", line))
    return "\n".join(lines)


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": cut(_BOLD.sub(r"\1", text), limit), "emoji": True}


def _section(text: str) -> dict[str, Any]:
    body = {"type": "mrkdwn", "text": cut(mrkdwn(text), SECTION_TEXT_MAX)}
    return {"type": "section", "text": body}


def block(item: Block | messages.FormItem) -> dict[str, Any]:
    match item:
        case Header(text):
            return {"type": "header", "text": plain(text, HEADER_MAX)}
        case Text(text):
            return _section(text)
        case Context(text):
            return {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": cut(mrkdwn(text), 3000)}],
            }
        case Divider():
            return {"type": "divider"}
        case Facts(pairs):
            return {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": cut(f"*{escape(k)}*\n{mrkdwn(v)}", FIELD_TEXT_MAX)}
                    for k, v in pairs[:10]
                ],
            }
        case Image(url, alt):
            return {"type": "image", "image_url": url, "alt_text": cut(alt, 2000)}
        case Actions(buttons):
            elements = []
            shown = buttons[:25]
            repeated = {b.action for b in shown if [o.action for o in shown].count(b.action) > 1}
            for position, button in enumerate(shown):
                element: dict[str, Any] = {
                    "type": "button",
                    "text": plain(button.label, BUTTON_TEXT_MAX),
                    "action_id": numbered(button.action, position)
                    if button.action in repeated
                    else button.action,
                    "value": button.value[:2000],
                }
                if button.style is not ButtonStyle.DEFAULT:
                    element["style"] = button.style.value
                elements.append(element)
            return {"type": "actions", "elements": elements}
        case (
            messages.NumberInput()
            | messages.ChoiceInput()
            | messages.TextInput()
            | messages.PersonInput()
            | messages.ChannelInput()
            | messages.ToggleInput()
        ):
            return _input(item)
    raise TypeError(f"cannot render {item!r} to Block Kit")


def numbered(action: str, position: int) -> str:
    """The action_id of one of several buttons with the same action in one block (a digest's
    Nudge buttons): Slack refuses a message whose action_ids repeat within a block."""
    return f"{action}{ACTION_SEPARATOR}{position}"


def action_pattern(action: str) -> re.Pattern[str]:
    """Matches the action_ids a button with `action` gets, numbered or not."""
    return re.compile(rf"^{re.escape(action)}(?:{re.escape(ACTION_SEPARATOR)}\d+)?$")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _input(item: messages.Input) -> dict[str, Any]:
    element: dict[str, Any]
    optional = False
    match item:
        case messages.NumberInput(initial=initial):
            element = {"type": "number_input", "is_decimal_allowed": True}
            if initial is not None:
                element["initial_value"] = _number(initial)
        case messages.ChoiceInput(choices=choices, initial=initial, optional=optional):
            options = [
                {"text": plain(choice.label, OPTION_TEXT_MAX), "value": choice.value}
                for choice in choices[:100]
            ]
            element = {"type": "static_select", "options": options}
            chosen = [option for option in options if option["value"] == initial]
            if chosen:
                element["initial_option"] = chosen[0]
        case messages.TextInput(initial=initial, optional=optional, multiline=multiline):
            element = {"type": "plain_text_input", "multiline": multiline}
            if initial:
                element["initial_value"] = initial
            if item.max_length:
                element["max_length"] = item.max_length
            if item.placeholder:
                element["placeholder"] = plain(item.placeholder, 150)
        case messages.ToggleInput(option=option, initial=ticked):
            optional = True  # unticked is an answer too
            box = {"text": plain(option, OPTION_TEXT_MAX), "value": messages.TOGGLED}
            element = {"type": "checkboxes", "options": [box]}
            if ticked:
                element["initial_options"] = [box]
        case messages.PersonInput(optional=optional, multiple=multiple):
            element = {"type": "multi_users_select" if multiple else "users_select"}
        case messages.ChannelInput(initial=initial, optional=optional):
            # Channels only (no DMs or group DMs), from the person's own list of conversations.
            element = {
                "type": "conversations_select",
                "filter": {
                    "include": ["public", "private"],
                    "exclude_bot_users": True,
                    "exclude_external_shared_channels": True,
                },
            }
            if initial:
                element["initial_conversation"] = initial
            if item.placeholder:
                element["placeholder"] = plain(item.placeholder, 150)
    element["action_id"] = INPUT_ACTION
    rendered: dict[str, Any] = {
        "type": "input",
        "block_id": item.id,
        "label": plain(item.label, LABEL_MAX),
        "element": element,
    }
    if optional:
        rendered["optional"] = True
    return rendered


def message_blocks(message: Message) -> list[dict[str, Any]]:
    return [block(item) for item in message.blocks]


def message_kwargs(message: Message) -> dict[str, Any]:
    """Arguments for chat.postMessage / chat.update / chat.postEphemeral."""
    return {"text": cut(escape(message.summary), 3000), "blocks": message_blocks(message)}


def modal(form: messages.Form, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    if form.intro:
        blocks.append(block(Context(form.intro)))
    blocks.extend(block(item) for item in form.items)
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": form.id,
        "title": plain(form.title, MODAL_TITLE_MAX),
        "submit": plain(form.submit_label, BUTTON_TEXT_MAX),
        "close": plain("Cancel", BUTTON_TEXT_MAX),
        "blocks": blocks,
    }
    if metadata is not None:
        view["private_metadata"] = json.dumps(metadata, separators=(",", ":"))
    return view


def closing_view(callback_id: str, title: str, reply: Message) -> dict[str, Any]:
    """What a modal turns into once its work is done: the reply's text and a Done button."""
    items = tuple(b for b in reply.blocks if isinstance(b, Text | Context))
    done = modal(messages.Form(id=callback_id, title=title, submit_label="Done", items=items))
    done.pop("submit", None)
    done["close"] = plain("Done", BUTTON_TEXT_MAX)
    return done


def home_view(message: Message) -> dict[str, Any]:
    return {"type": "home", "blocks": message_blocks(message)[:100]}


def state_values(view: dict[str, Any]) -> dict[str, object]:
    """Flatten `view.state.values` to {block_id: value} in the shape the core reads."""
    answers: dict[str, object] = {}
    values = view.get("state")
    values = values.get("values") if isinstance(values, dict) else None
    if not isinstance(values, dict):
        return answers
    for block_id, actions in values.items():
        if not isinstance(actions, dict):
            continue
        for action in actions.values():
            if not isinstance(action, dict):
                continue
            if "selected_option" in action:
                option = action["selected_option"]
                answers[block_id] = option.get("value") if isinstance(option, dict) else None
            elif "selected_options" in action:
                chosen = action["selected_options"]
                answers[block_id] = (
                    [o.get("value") for o in chosen if isinstance(o, dict)]
                    if isinstance(chosen, list)
                    else []
                )
            elif "selected_users" in action:
                users = action["selected_users"]
                answers[block_id] = (
                    [u for u in users if isinstance(u, str)] if isinstance(users, list) else []
                )
            elif "selected_conversation" in action:
                channel = action["selected_conversation"]
                answers[block_id] = channel if isinstance(channel, str) else None
            elif "selected_user" in action:
                user = action["selected_user"]
                answers[block_id] = [user] if isinstance(user, str) and user else []
            else:
                answers[block_id] = action.get("value")
    return answers
