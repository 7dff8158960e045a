"""Plays Teams' side of a conversation: Activities, shaped like Teams', posted to /api/messages.

Used by the end-to-end tests and the offline demo. Every Activity carries the sandbox as its
`serviceUrl`, so whatever the bot answers (replies, card updates, proactive prompts) lands in the
`TeamsSandbox`, where the test reads it. Card buttons are pressed the way Teams does it: the
action's `data` merged with the current value of every input on the card.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from okrbot.adapters.simulator_http import Reply, SimulatorClient
from okrbot.adapters.teams.sandbox import (
    DEFAULT_BOT_ID,
    TeamsSandbox,
    conversation_update_activity,
    installation_update_activity,
    invoke_activity,
    message_activity,
    message_reaction_activity,
    personal_conversation_id,
    user_id_for,
)


@dataclass(frozen=True, slots=True)
class TeamsUser:
    teams_user_id: str
    aad_object_id: str
    name: str
    email: str

    @classmethod
    def named(cls, name: str, email: str) -> TeamsUser:
        """A user with ids shaped and sized like Teams': a GUID object id, `29:1…` (112 chars)."""
        aad_object_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"mailto:{email}"))
        return cls(user_id_for(aad_object_id), aad_object_id, name, email)

    @property
    def conversation_id(self) -> str:
        """Their 1:1 chat with the bot (`a:1…`, 131 characters), the same one Teams would give."""
        return personal_conversation_id(self.teams_user_id)


def card_of(activity: Mapping[str, Any]) -> dict[str, Any]:
    """The Adaptive Card an activity carries (the first attachment)."""
    [attachment, *_] = activity.get("attachments") or [{}]
    return dict(attachment.get("content") or {})


def walk(elements: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every element and action of a card body, depth first."""
    for element in elements:
        yield element
        for key in ("items", "actions", "columns"):
            if isinstance(element.get(key), list):
                yield from walk(element[key])


def inputs_of(card: Mapping[str, Any]) -> dict[str, Any]:
    """Input ids and their current values, as Teams would submit them ("" when empty)."""
    values: dict[str, Any] = {}
    for element in walk(list(card.get("body") or [])):
        if str(element.get("type", "")).startswith("Input."):
            value = element.get("value", "")
            values[element["id"]] = str(value) if isinstance(value, int | float) else value
    return values


def action_of(card: Mapping[str, Any], action: str) -> dict[str, Any]:
    elements = list(card.get("body") or []) + list(card.get("actions") or [])
    for element in walk(elements):
        if element.get("type") == "Action.Submit" and element["data"].get("action") == action:
            return element
    raise LookupError(f"no Action.Submit for {action!r} on the card")


class TeamsSimulator(SimulatorClient[TeamsSandbox]):
    def __init__(
        self,
        url: str,
        sandbox: TeamsSandbox,
        *,
        bot_id: str = DEFAULT_BOT_ID,
        authorization: str | None = None,
    ) -> None:
        super().__init__(url, sandbox)
        self.bot_id = bot_id
        self.authorization = authorization

    async def post(
        self,
        body: bytes | Mapping[str, Any],
        *,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.authorization:
            all_headers["Authorization"] = self.authorization
        all_headers.update(headers or {})
        return await self._post(data, all_headers)

    def _who(self, user: TeamsUser, where: tuple[str, str] | None = None) -> dict[str, Any]:
        conversation_id, conversation_type = where or (user.conversation_id, "personal")
        return {
            "from_id": user.teams_user_id,
            "aad_object_id": user.aad_object_id,
            "from_name": user.name,
            "conversation_id": conversation_id,
            "conversation_type": conversation_type,
            "service_url": self.sandbox.service_url,
            "bot_id": self.bot_id,
        }

    async def install(self, user: TeamsUser) -> list[Reply]:
        """What Teams posts when a user adds the app: conversationUpdate, installationUpdate."""
        return [
            await self.post(conversation_update_activity(**self._who(user))),
            await self.post(installation_update_activity(**self._who(user))),
        ]

    async def uninstall(self, user: TeamsUser) -> Reply:
        return await self.post(installation_update_activity(**self._who(user), action="remove"))

    async def say(
        self,
        user: TeamsUser,
        text: str,
        *,
        mentions: list[TeamsUser] | None = None,
        where: tuple[str, str] | None = None,
    ) -> Reply:
        """A typed message; `@Name` for each of `mentions` becomes a Teams mention entity.

        `where` is (conversation id, conversation type) for a group chat or channel; by default
        the user's 1:1 chat with the bot.
        """
        entities = []
        for mentioned in mentions or []:
            tag = f"<at>{mentioned.name}</at>"
            text = text.replace(f"@{mentioned.name}", tag)
            entities.append(
                {
                    "type": "mention",
                    "text": tag,
                    "mentioned": {"id": mentioned.teams_user_id, "name": mentioned.name},
                }
            )
        return await self.post(message_activity(text, entities=entities, **self._who(user, where)))

    async def press(
        self,
        user: TeamsUser,
        activity: Mapping[str, Any],
        action: str,
        typed: Mapping[str, Any] | None = None,
    ) -> Reply:
        """Press the card's Action.Submit whose data.action is `action`, after typing `typed`."""
        card = card_of(activity)
        button = action_of(card, action)
        value: dict[str, Any] = {}
        if button.get("associatedInputs", "auto") != "none":
            value.update(inputs_of(card))
            value.update(typed or {})
        value.update(button["data"])
        return await self.submit(user, value, reply_to_id=str(activity["id"]))

    async def submit(
        self,
        user: TeamsUser,
        value: Mapping[str, Any],
        *,
        reply_to_id: str | None = None,
        where: tuple[str, str] | None = None,
    ) -> Reply:
        """A raw Action.Submit, e.g. a forged one."""
        who = self._who(user, where)
        return await self.post(
            message_activity(None, value=dict(value), reply_to_id=reply_to_id, **who)
        )

    async def react(self, user: TeamsUser, activity: Mapping[str, Any], reaction: str) -> Reply:
        """The user reacts (like, heart, …) to one of the bot's messages in their 1:1 chat."""
        return await self.post(
            message_reaction_activity(str(activity["id"]), (reaction,), **self._who(user))
        )

    async def invoke(self, user: TeamsUser, name: str, value: Mapping[str, Any]) -> Reply:
        """An invoke activity; its answer is the HTTP response (e.g. `adaptiveCard/action`)."""
        return await self.post(invoke_activity(name, dict(value), **self._who(user)))
