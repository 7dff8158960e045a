"""What okrbot reads out of Slack's payloads: the people a slash command mentions, who signed a
request, what makes a view submission the same one again, and the hints a modal keeps in its
private_metadata (only ever hints: checked before they are used, harmless if forged).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from okrbot.adapters.slack.shapes import dig, string
from okrbot.bot.checkins import KUDOS_TO
from okrbot.bot.kudos import Mention

# With should_escape, Slack sends a mention as <@U123|name> (or <@U123> in newer clients).
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^<>|]*))?>")


def slack_mentions(text: str) -> list[Mention]:
    """The people mentioned in an escaped slash command text, in order."""
    return [
        Mention(match.group(0), match.group(1), match.group(2) or match.group(1))
        for match in _MENTION.finditer(text or "")
    ]


def view_submission_key(view: dict[str, Any]) -> str:
    """What makes a view submission the same one again: the view, its version (Slack's hash
    changes whenever the view is updated) and what was entered."""
    state = json.dumps(view.get("state"), sort_keys=True, default=str)
    digest = hashlib.sha256(state.encode("utf-8")).hexdigest()
    return f"slack:view:{string(view.get('id'))}:{string(view.get('hash'))}:{digest}"


def user_of(body: dict[str, Any]) -> str | None:
    """Who clicked or submitted: the user Slack signed the request for."""
    return string(dig(body, "user", "id"))


def metadata_channel(view: dict[str, Any]) -> str | None:
    """The channel /kudos was typed in, kept in the modal's private_metadata."""
    try:
        channel = json.loads(string(view.get("private_metadata")) or "{}").get("channel")
    except (ValueError, AttributeError):
        return None
    return channel if isinstance(channel, str) and channel[:1] in ("C", "G") else None


def private_metadata(view: dict[str, Any]) -> dict[str, Any]:
    """private_metadata as a dict; it is only ever a hint, checked before it is used."""
    try:
        data = json.loads(string(view.get("private_metadata")) or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def page_of(view: dict[str, Any]) -> int:
    """The form page from private_metadata; it only picks a page, so a forged one is harmless."""
    try:
        page = json.loads(string(view.get("private_metadata")) or "{}").get("page", 0)
        return page if isinstance(page, int) and 0 <= page < 100 else 0
    except (ValueError, AttributeError):
        return 0


def first_block(view: dict[str, Any]) -> str:
    """The modal's first input block: where an answer about the whole form goes, as Slack shows
    errors only next to inputs."""
    blocks = view.get("blocks")
    for item in blocks if isinstance(blocks, list) else []:
        if isinstance(item, dict) and item.get("type") == "input" and item.get("block_id"):
            return str(item["block_id"])
    return KUDOS_TO
