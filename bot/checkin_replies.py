"""Answering a check-in: a manager's 👍 and replies, and the person's answers back.

Both sides see the same words on Slack and Teams; only the two of them ever do. The manager
acts from their digest, the person from the check-in summary's thread (Slack) or the Reply
button on the answer they got (Teams and Slack).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from okrbot.bot.checkins import is_week_key, week_label
from okrbot.bot.kudos import kudos_fields, safe_text
from okrbot.bot.messages import (
    Actions,
    Button,
    ButtonStyle,
    Choice,
    ChoiceInput,
    Context,
    Form,
    Message,
    Text,
    TextInput,
)

# The digest's buttons under each check-in, and the reply form they open. A button's value
# names the check-in: `<person id>:<week>`.
REACT = "checkin_react"
RECOGNISE = "checkin_recognise"
REPLY = "checkin_reply"
REPLY_FORM = "checkin_reply_form"
REPLY_TEXT = "checkin-reply-text"
RECOGNISE_FORM = "checkin_recognise_form"
SHARE = "checkin-recognise-share"
SHARE_PUBLIC, SHARE_PRIVATE = "public", "private"
# Well under what a Slack section (3,000) and a Teams card show in full, and what a Slack
# plain-text input takes; a longer answer belongs in a conversation, not a chat reply.
REPLY_MAX = 2000
PRIVATE = "🔒 Only the two of you see this conversation."


@dataclass(frozen=True, slots=True)
class CheckInRef:
    """Which check-in a button or answer is about: a person's week."""

    report_id: int
    period: str

    @property
    def value(self) -> str:
        return f"{self.report_id}:{self.period}"


def parse_ref(value: object) -> CheckInRef | None:
    """A button's value back to the check-in it names; None for anything malformed."""
    raw = value if isinstance(value, str) else ""
    person, _, period = raw.partition(":")
    if not person.isdigit() or not is_week_key(period):
        return None
    return CheckInRef(int(person), period)


def digest_actions(ref: CheckInRef, first: str) -> Actions:
    """👍, 🙌 Recognise and Reply, under one person's check-in in their manager's digest."""
    return Actions(
        (
            Button("👍", REACT, ref.value),
            Button("🙌 Recognise", RECOGNISE, ref.value),
            Button(f"Reply to {first}", REPLY, ref.value, ButtonStyle.PRIMARY),
        )
    )


def reply_form(to_name: str, whose: str, period: str, quoted: str | None) -> Form:
    """What the Reply button opens: the check-in it answers (`whose`: "your", "Ana Lima's"),
    and a box for the words."""
    items: list[Text | TextInput | Context] = []
    if quoted:
        items.append(Text(quoted))
    items.append(
        TextInput(
            REPLY_TEXT,
            f"Your reply to {to_name}",
            optional=False,
            multiline=True,
            max_length=REPLY_MAX,
        )
    )
    items.append(Context(PRIVATE))
    return Form(
        REPLY_FORM,
        "Reply to check-in",
        "Send reply",
        tuple(items),
        intro=f"About {whose} check-in, {week_label(period)}.",
    )


def check_reply(answers: Mapping[str, object]) -> tuple[str | None, dict[str, str]]:
    """The reply's text made safe to repeat (no pings, no hidden links), or why it cannot go."""
    raw = answers.get(REPLY_TEXT)
    text = safe_text(raw if isinstance(raw, str) else "").strip()
    if not text:
        return None, {REPLY_TEXT: "Write the reply to send."}
    if len(text) > REPLY_MAX:
        return None, {
            REPLY_TEXT: f"Keep the reply under {REPLY_MAX} characters (it has {len(text)})."
        }
    return text, {}


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())


def reply_message(author: str, ref: CheckInRef, text: str, quoted: str | None = None) -> Message:
    """A reply as its recipient sees it, with a Reply button to answer back. To the person
    it sits in their check-in's thread; to the manager it quotes the check-in (`quoted`)."""
    if quoted is None:
        headline = f"💬 **{author}** replied on your check-in · {week_label(ref.period)}"
        blocks: tuple[Text, ...] = (Text(f"{headline}\n{_quote(text)}"),)
    else:
        headline = f"💬 **{author}** answered on their check-in · {week_label(ref.period)}"
        blocks = (Text(f"{headline}\n{_quote(text)}"), Text(quoted))
    return Message(
        summary=f"{author} replied: {text}"[:150],
        blocks=(*blocks, Actions((Button("Reply", REPLY, ref.value),)), Context(PRIVATE)),
    )


def reaction_message(author: str, ref: CheckInRef) -> Message:
    text = f"👍 **{author}** liked your check-in · {week_label(ref.period)}"
    return Message(
        summary=f"{author} liked your check-in",
        blocks=(Text(text), Actions((Button("Reply", REPLY, ref.value),))),
    )


def quoted_checkin(report: str, ref: CheckInRef, notes: list[str]) -> str:
    """The line that tells a manager which check-in an answer is about, with its notes."""
    lines = [f"_Re: {report}'s check-in · {week_label(ref.period)}_"]
    lines.extend(_quote(note) for note in notes if note.strip())
    return "\n".join(lines)


def recognise_form(to_name: str, company_values: Sequence[str], channel: bool) -> Form:
    """🙌 Recognise: a kudos for the person, like any other; posted in the kudos channel only
    when the manager chooses so (and there is one to post in: `channel`)."""
    items = kudos_fields(company_values)
    if channel:
        share = (
            Choice(SHARE_PRIVATE, f"Only {to_name} and their Home"),
            Choice(SHARE_PUBLIC, "Also post it in the kudos channel"),
        )
        items.append(ChoiceInput(SHARE, "Who sees it?", share, initial=SHARE_PRIVATE))
    return Form(
        RECOGNISE_FORM,
        "Recognise",
        "Send kudos",
        tuple(items),
        intro=f"Kudos for {to_name}: they get a message, and it counts like any other kudos.",
    )
