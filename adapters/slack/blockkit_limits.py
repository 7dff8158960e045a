"""Block Kit limits that Slack enforces, checked locally.

Slack refuses a whole message or view when one field is a character too long, and the error
(`invalid_blocks` / `invalid_arguments`) arrives only at runtime, in production, for the one OKR
whose title happened to be long. Checking the documented limits here lets the sandbox answer like
Slack and lets the adapter's tests assert that every rendered surface stays within them.

Only limits that Slack documents are checked; the functions return human-readable problems
(empty list = fine) with a JSON-pointer-like path, mirroring Slack's `[ERROR] ... [json-pointer:…]`.
On top of the hand checks, every block and view goes through slack_sdk's own models
(`Block.parse(...).validate_json()`, `View(...).validate_json()`), and ids must be unique as Slack
requires: action_ids within a block, block_ids within a message or view.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

Surface = Literal["message", "modal", "home"]

MAX_BLOCKS: dict[str, int] = {"message": 50, "modal": 100, "home": 100}
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_ID = 255  # action_id, block_id, callback_id, external_id
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_CHOICE_OPTIONS = 10  # checkboxes and radio_buttons
MAX_PLACEHOLDER = 150
MAX_LABEL = 2000
MAX_HINT = 2000
MAX_ACTIONS_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_VIEW_TITLE = 24  # also submit and close
MAX_PRIVATE_METADATA = 3000
MAX_VIEW_BYTES = 250_000
MAX_MESSAGE_TEXT = 40_000

_SELECTS_WITH_OPTIONS = {"static_select", "multi_static_select", "overflow"}
_CHOICES = {"checkboxes", "radio_buttons"}
_VIEW_TYPES: dict[str, Surface] = {"modal": "modal", "home": "home"}


def _text_of(obj: Any) -> str | None:
    if isinstance(obj, Mapping):
        text = obj.get("text")
        return text if isinstance(text, str) else None
    return None


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _too_long(problems: list[str], path: str, value: Any, limit: int) -> None:
    if isinstance(value, str) and len(value) > limit:
        problems.append(f"{path}: {len(value)} characters, max {limit}")


def _too_many(problems: list[str], path: str, items: Any, limit: int) -> None:
    if isinstance(items, list) and len(items) > limit:
        problems.append(f"{path}: {len(items)} items, max {limit}")


def _check_option(problems: list[str], path: str, option: Any) -> None:
    if not isinstance(option, Mapping):
        problems.append(f"{path}: option must be an object")
        return
    _too_long(problems, f"{path}/text/text", _text_of(option.get("text")), MAX_OPTION_TEXT)
    _too_long(problems, f"{path}/value", option.get("value"), MAX_OPTION_VALUE)


def _check_element(problems: list[str], path: str, element: Any) -> None:
    if not isinstance(element, Mapping) or not isinstance(element.get("type"), str):
        problems.append(f"{path}: element must be an object with a type")
        return
    kind = element["type"]
    _too_long(problems, f"{path}/action_id", element.get("action_id"), MAX_ID)
    _too_long(
        problems, f"{path}/placeholder/text", _text_of(element.get("placeholder")), MAX_PLACEHOLDER
    )
    if kind == "button":
        text = element.get("text")
        if not isinstance(text, Mapping) or text.get("type") != "plain_text":
            problems.append(f"{path}/text: a button needs plain_text text")
        _too_long(problems, f"{path}/text/text", _text_of(text), MAX_BUTTON_TEXT)
        _too_long(problems, f"{path}/value", element.get("value"), MAX_BUTTON_VALUE)
        _too_long(problems, f"{path}/url", element.get("url"), MAX_URL)
    if kind in _SELECTS_WITH_OPTIONS or kind in _CHOICES:
        limit = MAX_CHOICE_OPTIONS if kind in _CHOICES else MAX_OPTIONS
        options = element.get("options")
        _too_many(problems, f"{path}/options", options, limit)
        for index, option in enumerate(_items(options)):
            _check_option(problems, f"{path}/options/{index}", option)
        groups = element.get("option_groups")
        _too_many(problems, f"{path}/option_groups", groups, MAX_OPTIONS)
        for g, group in enumerate(_items(groups)):
            group_options = group.get("options") if isinstance(group, Mapping) else None
            _too_many(problems, f"{path}/option_groups/{g}/options", group_options, MAX_OPTIONS)
            for index, option in enumerate(
                group_options if isinstance(group_options, list) else []
            ):
                _check_option(problems, f"{path}/option_groups/{g}/options/{index}", option)


def _check_block(problems: list[str], path: str, block: Any) -> None:
    if not isinstance(block, Mapping) or not isinstance(block.get("type"), str):
        problems.append(f"{path}: block must be an object with a type")
        return
    kind = block["type"]
    _too_long(problems, f"{path}/block_id", block.get("block_id"), MAX_ID)
    if kind == "section":
        text, fields = block.get("text"), block.get("fields")
        if text is None and not fields:
            problems.append(f"{path}: a section needs text or fields")
        _too_long(problems, f"{path}/text/text", _text_of(text), MAX_SECTION_TEXT)
        _too_many(problems, f"{path}/fields", fields, MAX_SECTION_FIELDS)
        for index, field in enumerate(_items(fields)):
            _too_long(problems, f"{path}/fields/{index}/text", _text_of(field), MAX_FIELD_TEXT)
        if "accessory" in block:
            _check_element(problems, f"{path}/accessory", block["accessory"])
    elif kind == "header":
        text = block.get("text")
        if not isinstance(text, Mapping) or text.get("type") != "plain_text":
            problems.append(f"{path}/text: a header needs plain_text text")
        _too_long(problems, f"{path}/text/text", _text_of(text), MAX_HEADER_TEXT)
    elif kind == "actions":
        elements = block.get("elements")
        _too_many(problems, f"{path}/elements", elements, MAX_ACTIONS_ELEMENTS)
        for index, element in enumerate(_items(elements)):
            _check_element(problems, f"{path}/elements/{index}", element)
    elif kind == "context":
        _too_many(problems, f"{path}/elements", block.get("elements"), MAX_CONTEXT_ELEMENTS)
    elif kind == "input":
        _too_long(problems, f"{path}/label/text", _text_of(block.get("label")), MAX_LABEL)
        _too_long(problems, f"{path}/hint/text", _text_of(block.get("hint")), MAX_HINT)
        _check_element(problems, f"{path}/element", block.get("element"))


def _action_ids(block: Mapping[str, Any]) -> list[str]:
    elements = list(_items(block.get("elements")))
    for key in ("accessory", "element"):
        if isinstance(block.get(key), Mapping):
            elements.append(block[key])
    return [e["action_id"] for e in elements if isinstance(e, Mapping) and "action_id" in e]


def duplicate_id_problems(blocks: list[Any]) -> list[str]:
    """Slack refuses a message or view whose block_ids repeat, or a block whose action_ids do."""
    problems: list[str] = []
    seen_blocks: set[Any] = set()
    for index, block in enumerate(blocks):
        if not isinstance(block, Mapping):
            continue
        block_id = block.get("block_id")
        if block_id is not None and block_id in seen_blocks:
            problems.append(f"/blocks/{index}/block_id: {block_id!r} is not unique in the blocks")
        seen_blocks.add(block_id)
        seen_actions: set[Any] = set()
        for action_id in _action_ids(block):
            if action_id in seen_actions:
                problems.append(
                    f"/blocks/{index}: action_id {action_id!r} is not unique in the block"
                )
            seen_actions.add(action_id)
    return problems


def model_problems(blocks: list[Any]) -> list[str]:
    """What slack_sdk's own Block Kit models refuse in `blocks`."""
    problems: list[str] = []
    for index, block in enumerate(blocks):
        try:
            parsed = Block.parse(block)
            if parsed is None:
                problems.append(f"/blocks/{index}: unsupported block type {block.get('type')!r}")
                continue
            parsed.validate_json()
        except (SlackObjectFormationError, TypeError, ValueError, AttributeError) as error:
            problems.append(f"/blocks/{index}: {error}")
    return problems


def blockkit_problems(blocks: list[dict[str, Any]], surface: Surface) -> list[str]:
    """Every documented Block Kit rule that `blocks` break on `surface`; empty when valid."""
    if not isinstance(blocks, list):
        return ["/blocks: must be a list"]
    problems: list[str] = []
    _too_many(problems, "/blocks", blocks, MAX_BLOCKS[surface])
    for index, block in enumerate(blocks):
        _check_block(problems, f"/blocks/{index}", block)
    if problems:
        return problems
    return duplicate_id_problems(blocks) + model_problems(blocks)


def view_problems(view: Mapping[str, Any]) -> list[str]:
    """Problems with a whole modal or home view: its blocks plus title, metadata and size."""
    if not isinstance(view, Mapping):
        return ["/view: must be an object"]
    surface = _VIEW_TYPES.get(view.get("type", ""))
    if surface is None:
        return [f"/view/type: must be modal or home, not {view.get('type')!r}"]
    problems = [f"/view{p}" for p in blockkit_problems(view.get("blocks", []), surface)]
    for key in ("title", "submit", "close"):
        _too_long(problems, f"/view/{key}/text", _text_of(view.get(key)), MAX_VIEW_TITLE)
    if surface == "modal":
        if view.get("title") is None:
            problems.append("/view/title: a modal needs a title")
        has_input = any(
            isinstance(b, Mapping) and b.get("type") == "input" for b in view.get("blocks", [])
        )
        if has_input and view.get("submit") is None:
            problems.append("/view/submit: a modal with input blocks needs a submit button")
    _too_long(
        problems, "/view/private_metadata", view.get("private_metadata"), MAX_PRIVATE_METADATA
    )
    _too_long(problems, "/view/callback_id", view.get("callback_id"), MAX_ID)
    _too_long(problems, "/view/external_id", view.get("external_id"), MAX_ID)
    size = len(json.dumps(view, ensure_ascii=False).encode())
    if size > MAX_VIEW_BYTES:
        problems.append(f"/view: {size} bytes, max {MAX_VIEW_BYTES}")
    return problems or view_model_problems(view)


def view_model_problems(view: Mapping[str, Any]) -> list[str]:
    """What slack_sdk's own View model refuses in a modal or Home view."""
    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, TypeError, ValueError, AttributeError) as error:
        return [f"/view: {error}"]
    return []
