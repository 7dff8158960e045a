"""Who a kudos goes to, and what the giver is told: the rules every platform gives kudos by.

An adapter turns its platform's mentions into `Named` people (who they are, as far as the
platform knows); everything after that is decided here once: that nobody recognises
themselves or a bot, who could not be found, who gets no message, and the giver's receipt.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from okrbot.bot.domain import Person, Platform
from okrbot.bot.kudos import (
    BOT_KUDOS,
    SELF_KUDOS,
    LimitResult,
    confirmation,
    names_list,
    unknown_values_note,
)
from okrbot.bot.messages import Message

# Slack opens a DM with anyone in the workspace by their user id; Teams can only continue a
# conversation someone started by installing okrbot, so there a colleague okrbot has not
# imported gets the kudos on their record but no message.
DMS_ANYONE = frozenset({Platform.SLACK})
NAMED_SELF_TOO = "You named yourself too; kudos are for others, so you were left out."
NAMED_BOT_TOO = "I left myself out: I'm only the messenger."


@dataclass(frozen=True, slots=True)
class Named:
    """Someone the giver named, as the platform found them.

    `name` is how to call them: the platform's display name, or the label typed when the
    platform knows nobody by that id (`found` False). `person` is the imported person, if any.
    """

    platform_id: str | None
    name: str
    person: Person | None = None
    bot: bool = False
    found: bool = True

    @property
    def display_name(self) -> str:
        return self.person.name if self.person is not None else self.name


@dataclass(frozen=True, slots=True)
class Addressed:
    """Who a kudos goes to once the rules have looked at who was named, and who was left out."""

    recipients: tuple[Named, ...]
    named_self: bool = False
    named_bot: bool = False
    missing: tuple[str, ...] = ()  # named, but nobody by that name is on the platform

    @property
    def nobody_reason(self) -> str:
        """Why no one is left to recognise."""
        if self.missing:
            return f"I couldn't find {_mentions(self.missing)} in this workspace."
        return SELF_KUDOS if self.named_self else BOT_KUDOS


def address(giver: Person, giver_platform_id: str | None, named: Sequence[Named]) -> Addressed:
    """Sort who was named: each colleague once, never the giver themselves or a bot."""
    recipients: dict[str, Named] = {}
    named_self = named_bot = False
    missing: list[str] = []
    for someone in named:
        if (someone.person is not None and someone.person.id == giver.id) or (
            giver_platform_id and someone.platform_id == giver_platform_id
        ):
            named_self = True
        elif someone.bot:
            named_bot = True
        elif not someone.found:
            missing.append(someone.name)
        else:
            key = f"person:{someone.person.id}" if someone.person else f"id:{someone.platform_id}"
            recipients.setdefault(key, someone)
    return Addressed(tuple(recipients.values()), named_self, named_bot, tuple(missing))


def gets_message(recipient: Named, platform: Platform) -> bool:
    """Whether a recipient is sent a DM about their kudos on this platform."""
    return recipient.person is not None or platform in DMS_ANYONE


def receipt(
    addressed: Addressed,
    platform: Platform,
    where: str | None,
    limit: LimitResult,
    unknown_values: Sequence[str],
    company_values: Sequence[str],
) -> Message:
    """The giver's private answer once the kudos is given: to whom, where, and who was left out."""
    notes = []
    if addressed.named_self:
        notes.append(NAMED_SELF_TOO)
    if addressed.named_bot:
        notes.append(NAMED_BOT_TOO)
    if addressed.missing:
        notes.append(f"I couldn't find {_mentions(addressed.missing)} in this workspace.")
    unreached = [r.display_name for r in addressed.recipients if not gets_message(r, platform)]
    if unreached:
        verb = "is" if len(unreached) == 1 else "are"
        notes.append(
            f"{names_list(unreached)} {verb} not set up in okrbot yet, so they get no message; "
            "the kudos is kept for them."
        )
    unknown = unknown_values_note(unknown_values, company_values)
    if unknown:
        notes.append(unknown)
    names = [r.display_name for r in addressed.recipients]
    return confirmation(names, where, limit, notes)


def sent_headline(addressed: Addressed) -> str:
    """One line saying the kudos went out (in a check-in's summary)."""
    return f"🙌 Kudos sent to {names_list([r.display_name for r in addressed.recipients])}."


def _mentions(names: Sequence[str]) -> str:
    return names_list([f"@{name}" for name in names])


def typed_names(field: str) -> list[str]:
    """The colleagues typed in a recognition text field (where a platform has no people picker):
    names or emails separated by commas, semicolons or lines, an @ in front allowed."""
    names = (n.strip().lstrip("@").strip() for n in re.split(r"[,;\n]", field))
    return [n for n in names if n]


def unknown_names_error(unknown: Sequence[str]) -> str:
    """The field's error when some typed names match nobody, or more than one person."""
    return (
        f"I couldn't find {', '.join(unknown[:5])} among okrbot's people; "
        "use their full name or email."
    )
