"""What an incoming Teams activity says: who it mentions, the command typed, the conversation
reference to keep for proactive messages, its tenant, whether it is a 1:1 chat, and what makes
a card submit the same one again. Read defensively: Teams and forged requests alike may leave
any of it out.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from okrbot.bot.kudos import Mention

OKR_COMMAND = "okr"
KUDOS_COMMAND = "kudos"

_AT_TAG = re.compile(r"</?at>", re.IGNORECASE)
_AFTER_OKR = re.compile(r"^\s*okr\b(.*)$", re.IGNORECASE | re.DOTALL)
_KUDOS_WORD = re.compile(r"^\s*(?:okr\s+)?kudos\b", re.IGNORECASE)


def teams_mentions(activity: Activity) -> list[Mention]:
    """The people an activity mentions (its `mention` entities), bot included."""
    found = []
    for entity in activity.entities or []:
        if (entity.type or "").lower() != "mention":
            continue
        extra = entity.additional_properties or {}
        who = extra.get("mentioned")
        if not isinstance(who, dict):
            continue
        token, user_id = str(extra.get("text") or ""), str(who.get("id") or "")
        if token and user_id:
            found.append(Mention(token, user_id, _AT_TAG.sub("", str(who.get("name") or token))))
    return found


def without_bot_mention(activity: Activity) -> str:
    """The text with the bot's own @mention taken out.

    Not botbuilder's remove_recipient_mention: it uses the mention's text as a regular
    expression and indexes the entity unguarded, so a malformed mention failed the turn.
    """
    text = activity.text if isinstance(activity.text, str) else ""
    bot_id = activity.recipient.id if activity.recipient else None
    for mention in teams_mentions(activity):
        if mention.platform_id == bot_id:
            text = text.replace(mention.token, "")
    return text


def kudos_text(text: str) -> str:
    """What follows the `kudos` command word (also after `okr kudos`)."""
    return _KUDOS_WORD.sub("", text, count=1)


def after_okr(text: str) -> str | None:
    """What follows the `okr` command word (mentions included), or None when the text does not
    start with it."""
    typed = _AFTER_OKR.match(text)
    return typed.group(1) if typed is not None else None


def command_words(text: str) -> list[str]:
    """The command a person typed; `okr checkin` and `okr help` mean `checkin` and `help`."""
    words = _AT_TAG.sub("", text).split()
    if len(words) > 1 and words[0].lower() == OKR_COMMAND:
        return words[1:]
    return words


def reference_of(context: TurnContext) -> dict[str, Any]:
    """The stored conversation reference: service URL, conversation, user, bot and tenant."""
    activity = context.activity
    reference = TurnContext.get_conversation_reference(activity)
    reference.activity_id = None
    if reference.conversation is not None and not reference.conversation.tenant_id:
        # Teams spells it tenantId, botbuilder's model tenantID; keep it for proactive turns.
        reference.conversation.tenant_id = tenant_of(activity)
    return dict(reference.serialize())


def tenant_of(activity: Activity) -> str | None:
    conversation = activity.conversation
    extra = (conversation.additional_properties or {}) if conversation is not None else {}
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = channel_data.get("tenant") if isinstance(channel_data.get("tenant"), dict) else {}
    return extra.get("tenantId") or (tenant or {}).get("id")


def submission_key(activity: Activity) -> str | None:
    """What makes a card submit the same one again: the card (Teams names it in replyToId) and
    the values entered; None without a card to name."""
    if not activity.reply_to_id:
        return None
    conversation = activity.conversation.id if activity.conversation else ""
    values = json.dumps(activity.value, sort_keys=True, default=str)
    digest = hashlib.sha256(values.encode("utf-8")).hexdigest()
    return f"teams:submit:{conversation}:{activity.reply_to_id}:{digest}"


def is_personal(activity: Activity) -> bool:
    """A 1:1 chat with the bot; group chats and channels have others reading along."""
    conversation = activity.conversation
    if conversation is None:
        return True
    return not conversation.is_group and conversation.conversation_type in (None, "personal")
