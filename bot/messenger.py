"""What okrbot needs from a chat platform to reach people, said once for every platform.

The couriers (the weekly loop's and the kudos') send only through this protocol: they pick a
messenger by the person's or the delivery's platform and never look at which one it is. A new
platform is a new class with these methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from okrbot.bot.delivery import FIRST_TRY, Progress
from okrbot.bot.domain import Person
from okrbot.bot.messages import Message

Ref = dict[str, Any]
"""Where a sent message is, in the platform's terms (a Slack channel and ts, a Teams activity):
stored with the week so the message can be updated later."""

Target = str | Mapping[str, Any]
"""A place to post that is not a person's DM: a Slack channel (or the user id of someone okrbot
has not imported, whose DM Slack opens), a stored Teams conversation reference."""


class Messenger(Protocol):
    @property
    def kudos_pointer(self) -> str:
        """The sentence that tells someone where this platform shows the kudos they received
        this quarter (their okrbot Home), ending a kudos DM or roundup."""
        ...

    async def send(self, person: Person, messages: list[Message]) -> list[Ref]:
        """Post messages to the person's DM; their references, for updating them later."""
        ...

    async def send_parts(
        self,
        person: Person,
        messages: list[Message],
        progress: Progress = FIRST_TRY,
        thread: Ref | None = None,
    ) -> list[Ref]:
        """Send the parts not yet sent, reporting each as the platform takes it (`progress`);
        as answers to the message at `thread` (one of this platform's refs) when given."""
        ...

    async def find_tagged(self, person: Person, key: str) -> dict[int, Ref]:
        """Parts of outbox delivery `key` an earlier attempt already posted; empty where the
        platform cannot tag a message to find it again."""
        ...

    async def update(self, ref: Ref, message: Message) -> None:
        """Replace a message sent earlier."""
        ...

    async def attach(self, person: Person, filename: str, title: str, png: bytes) -> None:
        """Share an image (a chart) in the person's DM."""
        ...

    async def post(self, target: Target, message: Message) -> None:
        """Post a message where `target` says (a channel, or someone okrbot has not imported)."""
        ...

    async def why_unreachable(self, person: Person) -> str | None:
        """Why okrbot cannot write to the person first on this platform; None when it can."""
        ...
