"""What the Teams bot says outside the flows: the welcome card, the pointer to its 1:1 chat, and
the answers to card invokes (Universal Actions) that okrbot's cards do not send.

These are Teams' own words and shapes; the check-in, kudos and settings flows are shared with
Slack and live in adapters/ and bot/.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import quote

from botbuilder.schema import Activity, InvokeResponse
from msrest.serialization import Model

from okrbot.adapters.teams.activity import KUDOS_COMMAND, OKR_COMMAND
from okrbot.bot.domain import Person
from okrbot.bot.messages import Context, Header, Message, Text
from okrbot.bot.settings import Settings

FOREIGN_TENANT = (
    "Sorry, this okrbot works for another organisation, so I can't help you from yours. "
    "If you think that is a mistake, ask the admin who runs okrbot."
)
# What Teams shows for an Action.Execute answer (Universal Actions' response format).
INVOKE_MESSAGE = "application/vnd.microsoft.activity.message"
OUT_OF_DATE_CARD = (
    "That button belongs to a card I no longer handle. Type `okr` or `checkin` in our chat "
    "to carry on."
)


class InvokeBody(Model):
    """A Universal Actions response body, `{statusCode, type, value}`: a message Teams shows
    in place of the card's answer, or an error (botbuilder's own model for it,
    AdaptiveCardInvokeResponse, only takes a card as its value)."""

    _attribute_map: ClassVar[dict[str, dict[str, str]]] = {
        "status_code": {"key": "statusCode", "type": "int"},
        "type": {"key": "type", "type": "str"},
        "value": {"key": "value", "type": "object"},
    }

    def __init__(self, *, status_code: int, type: str, value: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.status_code = status_code
        self.type = type
        self.value = value


def invoke_message(text: str) -> InvokeResponse:
    """HTTP 200 with a message Teams shows the person in place of the card's answer."""
    return InvokeResponse(
        status=200, body=InvokeBody(status_code=200, type=INVOKE_MESSAGE, value=text)
    )


def invoke_error(message: str) -> InvokeResponse:
    """HTTP 400 with a Universal Actions error: `{code: BadRequest, message}`."""
    error = {"code": "BadRequest", "message": message}
    return InvokeResponse(
        status=400,
        body=InvokeBody(status_code=400, type="application/vnd.microsoft.error", value=error),
    )


def welcome_message(person: Person, settings: Settings) -> Message:
    """The card people get when the app is installed for them."""
    first = person.name.split()[0] if person.name.strip() else person.name
    day = (person.checkin_day or settings.checkin_day).full_name
    at = (person.checkin_time or settings.checkin_time).strftime("%H:%M")
    zone = person.timezone or settings.default_timezone
    return Message(
        summary="Welcome to okrbot",
        blocks=(
            Header(f"Hi {first} 👋 I'm okrbot"),
            Text(
                f"Every week, on **{day} at {at}** your time ({zone}), I'll send you a card "
                "to check in on your key results: the current value, how confident you "
                "feel, and a note if something is in the way. It takes a minute."
            ),
            Text(
                f"You can recognise colleagues any time: `{KUDOS_COMMAND} @name thanks for "
                "… #value`."
            ),
            Text(
                f"Type `{OKR_COMMAND}` to see your OKRs, `home` for your Home (your team's and "
                "the company's OKRs too), `checkin` to check in now, or `help` for everything "
                "I can do."
            ),
            Context("Your check-in answers go to you and your manager only."),
        ),
    )


def private_pointer(activity: Activity, what: str) -> Message:
    """The answer to a private flow asked for where others read along."""
    bot_id = activity.recipient.id if activity.recipient and activity.recipient.id else ""
    # Teams' documented deep link that opens (or starts) the 1:1 chat with a bot.
    chat = f"https://teams.microsoft.com/l/chat/0/0?users={quote(bot_id, safe=':')}"
    return Message(
        "Let's do that in our 1:1 chat",
        (
            Text(
                f"{what} private, so I only show them in our 1:1 chat, where nobody else reads "
                f"along: [open our chat]({chat}) and type `checkin`, `settings`, `home` or `okr` "
                "there."
            ),
        ),
    )
