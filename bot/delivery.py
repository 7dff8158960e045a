"""How a platform send can fail, in terms the outbox acts on (retry later, or give up)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from okrbot.bot.domain import Person


class DeliveryKind(StrEnum):
    """What an outbox delivery is; the value is what the outbox stores in `deliveries.kind` (and,
    for the scheduled ones, what a schedule row names), so these strings must never change."""

    PROMPT = "prompt"
    SNOOZED_PROMPT = "snoozed_prompt"
    REMINDER = "reminder"
    # A manager's "Nudge" button: that week's reminder, sent now (the button itself is
    # bot.digests.NUDGE_ACTION).
    NUDGE = "nudge"
    REFLECTION = "reflection"
    DIGEST = "digest"
    SUMMARY = "summary"
    KUDOS_POST = "kudos_post"
    KUDOS_DM = "kudos_dm"
    KUDOS_ROUNDUP = "kudos_roundup"
    # A team's weekly OKR update, posted to the channel the team opted in with (its row names
    # the manager and the week).
    TEAM_UPDATE = "team_update"
    # An OKR drafted in chat: the manager's one DM to approve or comment, and what the drafter
    # hears back (the comment, the approval).
    DRAFT_REVIEW = "okr_draft_review"
    DRAFT_COMMENT = "okr_draft_comment"
    DRAFT_APPROVED = "okr_draft_approved"
    # A pair's 1:1 agenda, to each of them an hour before a meeting of the rhythm they set. It
    # counts against the budget like the digest, and like it always goes: it is the loop they
    # asked for, at the time they chose (so not held for quiet hours either).
    AGENDA = "one_on_one_agenda"
    # A reply or 👍 on a check-in, between a person and their manager (its row in
    # checkin_messages says which).
    CHECKIN_MESSAGE = "checkin_message"


# What counts against the weekly notification budget: every message okrbot sends a person that
# is not a direct answer to something they just did. A prompt they snoozed comes back because
# they asked, so it does not count; a kudos post and a team's update go to a channel, not to a
# person. A reply on a check-in is a person answering the person, not okrbot writing first.
UNSOLICITED = frozenset(DeliveryKind) - {
    DeliveryKind.SNOOZED_PROMPT,
    DeliveryKind.CHECKIN_MESSAGE,
    DeliveryKind.KUDOS_POST,
    DeliveryKind.TEAM_UPDATE,
}
# Past the budget: a reminder or a nudge is dropped (the week's prompt is there to answer), a
# reflection prompt waits for next week and kudos DMs are folded into one roundup then. The
# prompt, the digest and the quarter summary are the weekly loop itself and always go.
HELD_PAST_BUDGET = frozenset(
    {DeliveryKind.REMINDER, DeliveryKind.NUDGE, DeliveryKind.REFLECTION, DeliveryKind.KUDOS_DM}
)
# Timed by okrbot on someone's behalf, so delivered only in the recipient's working hours. The
# weekly prompt, its reminder, the digest and the summary keep the time people or admins set.
QUIET_HOURS = frozenset(
    {
        DeliveryKind.NUDGE,
        DeliveryKind.SNOOZED_PROMPT,
        DeliveryKind.REFLECTION,
        DeliveryKind.KUDOS_DM,
        DeliveryKind.KUDOS_ROUNDUP,
        # A draft waits for its manager's working hours; the answers to the drafter go at
        # once, since the manager acted on them just now.
        DeliveryKind.DRAFT_REVIEW,
        # A reply on a check-in reaches the other one in their working hours.
        DeliveryKind.CHECKIN_MESSAGE,
    }
)
# The weekly prompt and the deliveries that repeat it (after a snooze, as a reminder or a nudge).
PROMPTS = frozenset(
    {DeliveryKind.PROMPT, DeliveryKind.SNOOZED_PROMPT, DeliveryKind.REMINDER, DeliveryKind.NUDGE}
)
KUDOS = frozenset({DeliveryKind.KUDOS_POST, DeliveryKind.KUDOS_DM})
DRAFTS = frozenset(
    {DeliveryKind.DRAFT_REVIEW, DeliveryKind.DRAFT_COMMENT, DeliveryKind.DRAFT_APPROVED}
)


PartSent = Callable[[int, dict[str, Any]], Awaitable[None]]
"""Told each part of a message as soon as the platform has it: its index and its reference."""


@dataclass(frozen=True, slots=True)
class Progress:
    """How far sending a message's parts got: the outbox `key` (a platform that can tag a post
    tags it with the key, so a sender that crashed after posting can find it), the parts an
    earlier attempt `sent` (their references), and `on_sent`, told of each new part as soon as
    the platform takes it."""

    key: str | None = None
    sent: Mapping[int, dict[str, Any]] = field(default_factory=dict)
    on_sent: PartSent | None = None


FIRST_TRY = Progress()
"""Nothing sent yet, from no outbox: a message sent while someone waits for it."""


class DeliveryError(Exception):
    """A send did not go through."""


class TransientDeliveryError(DeliveryError):
    """Worth retrying: rate limits, server errors, timeouts, dropped connections.

    `outcome_unknown`: the platform may have acted on the send (a timeout, a dropped connection,
    a send cut short after its first part), so the retry must first look for what already
    arrived. A definite refusal (a 429, a 5xx) leaves it False: nothing was posted.
    """

    def __init__(
        self, message: str, retry_after: float | None = None, outcome_unknown: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown


class Throttled(TransientDeliveryError):
    """The platform asked to slow down (HTTP 429): nothing failed, the send only waits.

    The outbox retries it after `retry_after` without using up an attempt, so a long throttled
    fan-out never gives up on a message that was only delayed.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message, retry_after)


class Deferred(DeliveryError):
    """Not now: the message waits until `until` (quiet hours, the weekly budget). Nothing failed;
    the outbox keeps `reason` on the row so `okrbot outbox list` can say why it waits."""

    def __init__(self, reason: str, until: datetime) -> None:
        super().__init__(reason)
        self.until = until


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help: the person blocked the bot, the channel is gone, the data is bad."""


class Unreachable(PermanentDeliveryError):
    """The person cannot be reached on their platform (bot uninstalled or blocked)."""


class Suppressed(DeliveryError):
    """Deliberately not sent: paused, over the weekly notification budget, or no longer needed."""


def active(person: Person | None, person_id: int) -> Person:
    """The person a delivery is for, unless they are gone or deactivated (then it is dropped)."""
    if person is None:
        raise Suppressed(f"person {person_id} is gone")
    if person.deactivated:
        raise Suppressed(f"{person.email} is deactivated")
    return person
