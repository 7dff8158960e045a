"""Kudos: reading `/kudos @ana thanks … #value`, making the text safe to repeat, and the rules.

Everything here is pure and shared by both platforms: an adapter finds who the mentions are and
stores the result, but what counts as a recipient, a value or a problem, what may be posted
publicly, and how many people someone may recognise in a day is decided once, here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

from okrbot.bot.messages import (
    Block,
    Choice,
    ChoiceInput,
    Context,
    Form,
    FormItem,
    Header,
    Message,
    PersonInput,
    Text,
    TextInput,
)

MESSAGE_MAX = 500
HELP_WORDS = frozenset({"help", "?", "-h", "--help", "-help"})
KUDOS_FORM_ID = "kudos_form"
KUDOS_TO = "kudos-to"
KUDOS_VALUE = "kudos-value"
KUDOS_MESSAGE = "kudos-message"

# Slack's angle-bracket syntax: links, special mentions (broadcasts, user groups, dates), users
# and channels. Anything inside a construct is read up to the closing bracket.
_LINK = re.compile(r"<((?:https?|mailto):[^|<>\s]+)(?:\|([^<>]*))?>", re.IGNORECASE)
_SPECIAL = re.compile(r"<!([^|<>]*)(?:\|([^<>]*))?>")
_USER = re.compile(r"<@([^|<>]*)(?:\|([^<>]*))?>")
_CHANNEL = re.compile(r"<#([^|<>]*)(?:\|([^<>]*))?>")
_BROADCAST_WORD = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_BROADCAST = re.compile(
    r"<!(?:channel|here|everyone|subteam)[^<>]*>|@(?:channel|here|everyone)\b", re.IGNORECASE
)
# C0 controls other than tab and newline: PostgreSQL refuses NUL, and none of them is text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACES = re.compile(r"[ \t]+")
_HASHTAG = re.compile(r"(?<![\w/&<#])#([\w-]{1,40})(?![\w-])")
_TRAILING_TAG = re.compile(r"\s*(?<![\w/&<#])#([\w-]{1,40})\s*$")
# Looks like '@' but never pings anyone, on any platform.
SAFE_AT = "\uff20"
# What may stand between the mentions that address a kudos: `@ana, @li and @mia thanks`.
_BETWEEN = re.compile(r"(?:[\s,;:]|\band\b|&amp;|&)*", re.IGNORECASE)
_LEAD = re.compile(r"^[\s,;:!.\-–—]*")


class Problem(StrEnum):
    HELP = "help"
    EMPTY = "empty"
    NO_RECIPIENTS = "no_recipients"
    NO_MESSAGE = "no_message"
    TOO_LONG = "too_long"


@dataclass(frozen=True, slots=True)
class Mention:
    """Someone named in the text: the exact token as it appears there, their id, a name."""

    token: str
    platform_id: str
    name: str


@dataclass(frozen=True, slots=True)
class KudosText:
    """The words of a recognition once cleaned: safe text, known values, unknown hashtags."""

    message: str
    values: tuple[str, ...]
    unknown_values: tuple[str, ...]
    problem: Problem | None = None


@dataclass(frozen=True, slots=True)
class KudosCommand:
    recipients: tuple[Mention, ...]
    message: str
    values: tuple[str, ...]
    unknown_values: tuple[str, ...]
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


# -- safe text -----------------------------------------------------------------------------------


def _link(match: re.Match[str]) -> str:
    url, label = match.group(1), (match.group(2) or "").strip()
    return f"{label} ({url})" if label and label != url else url


def _special(match: re.Match[str]) -> str:
    name, label = match.group(1), (match.group(2) or "").strip()
    if name.startswith("subteam^"):
        handle = label.lstrip("@") or "team"
        return SAFE_AT + handle
    if name.split("^")[0].lower() in ("channel", "here", "everyone"):
        return SAFE_AT + name.split("^")[0].lower()
    return label.replace("@", SAFE_AT) if label else ""


def _named(match: re.Match[str], prefix: str) -> str:
    label = (match.group(2) or "").strip()
    return prefix + (label.lstrip(prefix) or "someone")


def _constructs(text: str) -> str:
    text = _LINK.sub(_link, text)
    text = _SPECIAL.sub(_special, text)
    text = _USER.sub(lambda m: _named(m, "@"), text)
    return _CHANNEL.sub(lambda m: _named(m, "#"), text)


def safe_text(text: str) -> str:
    """Text people typed, made safe to post: it can link, but never ping a crowd.

    Slack's `<url|label>` links become `label (url)` (bare URLs stay links on both platforms);
    broadcasts (`<!here>`, `@channel` …) and user-group mentions become look-alikes that notify
    no one; Slack's `&lt;` escapes are undone, and whatever that uncovers is checked again.
    """
    text = _CONTROL.sub("", text if isinstance(text, str) else "")
    text = _constructs(text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    while True:
        cleaned = _constructs(text)
        if cleaned == text:
            break
        text = cleaned
    return _BROADCAST_WORD.sub(lambda m: SAFE_AT + m.group(1), text)


def has_broadcast(text: str) -> bool:
    """Whether the text would ping a channel, a user group or everyone."""
    return bool(_BROADCAST.search(text))


# -- parsing -------------------------------------------------------------------------------------


def clean_message(text: str, company_values: Sequence[str]) -> KudosText:
    """The message part: values picked from its hashtags, made safe, length checked.

    A known value at the end (`… #ownership`) is taken out of the text; one in the middle of a
    sentence stays, so the sentence still reads. Unknown hashtags always stay, and are reported
    only when the company has values to choose from.
    """
    known = {value.lower() for value in company_values}
    body = text if isinstance(text, str) else ""
    tags = [tag.lower() for tag in _HASHTAG.findall(body)]
    values = tuple(dict.fromkeys(tag for tag in tags if tag in known))
    unknown = tuple(dict.fromkeys(tag for tag in tags if tag not in known)) if known else ()
    while (trailing := _TRAILING_TAG.search(body)) and trailing.group(1).lower() in known:
        body = body[: trailing.start()]
    message = "\n".join(_SPACES.sub(" ", line).strip() for line in safe_text(body).split("\n"))
    message = message.strip()
    problem = None
    if not message:
        problem = Problem.NO_MESSAGE
    elif len(message) > MESSAGE_MAX:
        problem = Problem.TOO_LONG
    return KudosText(message, values, unknown, problem)


def parse_kudos_text(
    text: str, platform_mentions: Sequence[Mention], company_values: Sequence[str]
) -> KudosCommand:
    """Read `@ana @li thanks for the launch #ownership`; never raises, whatever comes in.

    `platform_mentions` are the people the platform says were mentioned, each with the token
    that stands for them in `text`. Every one of them is a recipient; mentions at the start are
    the address and are dropped from the message, later ones read as `@name`.
    """
    stripped = (text if isinstance(text, str) else "").strip()
    if not stripped:
        return KudosCommand((), "", (), (), Problem.EMPTY)
    if stripped.lower() in HELP_WORDS:
        return KudosCommand((), "", (), (), Problem.HELP)
    by_token: dict[str, Mention] = {}
    for mention in platform_mentions:
        if mention.token and mention.platform_id:
            by_token.setdefault(mention.token, mention)
    recipients: dict[str, Mention] = {}
    parts: list[str] = []
    position, leading = 0, True
    if by_token:
        tokens = sorted(by_token, key=len, reverse=True)
        for match in re.finditer("|".join(re.escape(t) for t in tokens), stripped):
            between = stripped[position : match.start()]
            if leading and not _BETWEEN.fullmatch(between):
                leading = False
                between = _LEAD.sub("", between) if recipients else between
            mention = by_token[match.group()]
            recipients.setdefault(mention.platform_id, mention)
            if not leading:
                parts.extend((between, "@" + mention.name))
            position = match.end()
    tail = stripped[position:]
    parts.append(_LEAD.sub("", tail) if leading and recipients else tail)
    cleaned = clean_message("".join(parts), company_values)
    problem = cleaned.problem
    if not recipients:
        problem = Problem.NO_RECIPIENTS
    return KudosCommand(
        tuple(recipients.values()), cleaned.message, cleaned.values, cleaned.unknown_values, problem
    )


# -- rules ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LimitResult:
    allowed: bool
    given_today: int
    remaining: int
    limit: int
    resets_in: timedelta
    requested: int = 0

    @property
    def message(self) -> str:
        resets = f"It resets at midnight your time (in {format_duration(self.resets_in)})."
        if self.remaining == 0:
            return (
                f"You have recognised {_people(self.given_today)} today, the daily limit. {resets}"
            )
        return (
            f"You named {_people(self.requested)}, but you can recognise only "
            f"{self.remaining} more today (the daily limit is {self.limit}). {resets}"
        )


def next_midnight(now_local: datetime) -> datetime:
    """The start of tomorrow in the person's zone, as an aware UTC time (DST-true)."""
    tomorrow = now_local.date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=now_local.tzinfo).astimezone(UTC)


def day_start(now_local: datetime) -> datetime:
    """The start of the person's local day, as an aware UTC time."""
    return datetime.combine(now_local.date(), time(0), tzinfo=now_local.tzinfo).astimezone(UTC)


def check_limit(given_today: int, requested: int, limit: int, now_local: datetime) -> LimitResult:
    """All or nothing: recognising `requested` people must fit in what is left today."""
    left = max(limit - given_today, 0)
    allowed = requested <= left
    remaining = left - requested if allowed else left
    resets_in = next_midnight(now_local) - now_local.astimezone(UTC)
    return LimitResult(allowed, given_today, remaining, limit, resets_in, requested)


# The same words to the same people within this long is the same kudos typed again (a message
# sent twice, a command retried by hand), not new recognition: it is acted on once.
REPEAT_WINDOW = timedelta(minutes=10)


def repeated_message(names: Sequence[str], ago: timedelta) -> str:
    return (
        f"👍 You sent these kudos to {names_list(names)} {format_duration(ago)} ago, "
        "so I didn't send them again."
    )


def format_duration(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    if hours:
        return f"{hours} h"
    return f"{minutes} min" if minutes else "less than a minute"


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


def names_list(names: Sequence[str]) -> str:
    """`Ana`, `Ana and Li`, `Ana, Li and Mia`."""
    names = [name for name in names if name]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


# -- messages ------------------------------------------------------------------------------------


def _values_line(values: Sequence[str]) -> str:
    return " · ".join(f"#{value}" for value in values)


def public_post(
    giver: str, recipients: Sequence[str], message: str, values: Sequence[str]
) -> Message:
    """The recognition as everyone in the channel sees it."""
    who = names_list([f"**{safe_text(name)}**" for name in recipients])
    blocks: list[Block] = [Text(f"🙌 **{safe_text(giver)}** recognised {who}"), Text(message)]
    if values:
        blocks.append(Context(f"Living our values: {_values_line(values)}"))
    plain = names_list([safe_text(name) for name in recipients])
    return Message(f"{safe_text(giver)} recognised {plain}", tuple(blocks))


def recipient_dm(
    giver: str, message: str, values: Sequence[str], posted: bool, pointer: str
) -> Message:
    """What each recipient gets in private: who, what for, and where it was shared. `pointer`
    says where the platform shows their kudos this quarter (`Messenger.kudos_pointer`)."""
    blocks: list[Block] = [
        Header("You've been recognised 🎉"),
        Text(f"**{safe_text(giver)}** recognised you:"),
        Text(message),
    ]
    if values:
        blocks.append(Context(f"Living our values: {_values_line(values)}"))
    where = "It was also shared with the team. " if posted else ""
    blocks.append(Context(f"{where}{pointer}"))
    return Message(f"{safe_text(giver)} recognised you", tuple(blocks))


ROUNDUP_SHOWN = 10


def kudos_roundup(received: Sequence[Mapping[str, object]], pointer: str) -> Message:
    """Several kudos held back by the weekly budget, in one message: who, and what for;
    `pointer` as for `recipient_dm`."""
    count = len(received)
    blocks: list[Block] = [Header(f"You received {count} kudos 🎉")]
    for item in received[:ROUNDUP_SHOWN]:
        blocks.append(Text(f"**{safe_text(str(item.get('giver') or ''))}**: {item.get('message')}"))
    more = f"and {count - ROUNDUP_SHOWN} more; " if count > ROUNDUP_SHOWN else ""
    blocks.append(
        Context(
            f"{more}okrbot kept them for one message so as not to interrupt you more than "
            f"a few times a week. {pointer}"
        )
    )
    return Message(f"You received {count} kudos", tuple(blocks))


def confirmation(
    recipients: Sequence[str],
    where: str | None,
    limit: LimitResult,
    notes: Sequence[str] = (),
) -> Message:
    """The giver's private receipt: sent to whom, shared where, how many are left today."""
    line = f"🙌 Kudos sent to {names_list(recipients)}."
    if where:
        line += f" It is posted in {where}, and they each get a message."
    else:
        line += " They each get a message."
    blocks: list[Block] = [Text(line), *(Text(note) for note in notes)]
    left = limit.remaining
    blocks.append(
        Context(
            f"You can recognise {_people(left)} more today."
            if left
            else "That was your last one for today; the limit resets at midnight your time."
        )
    )
    return Message(f"Kudos sent to {names_list(recipients)}", tuple(blocks))


def unknown_values_note(unknown: Sequence[str], company_values: Sequence[str]) -> str | None:
    if not unknown or not company_values:
        return None
    tags = ", ".join(f"#{tag}" for tag in unknown)
    choices = ", ".join(f"#{value}" for value in company_values)
    verb = "is not one of our values" if len(unknown) == 1 else "are not among our values"
    return f"{tags} {verb}, so it stays in the text. The values are: {choices}."


def help_message(command: str, company_values: Sequence[str]) -> Message:
    example = company_values[0] if company_values else "teamwork"
    lines = [
        f"`{command} @someone thanks for … #value` — recognise one or more colleagues. "
        "It is shared with the team and each of them gets a message.",
        f"e.g. `{command} @ana @li thanks for the smooth launch #{example}`",
    ]
    if company_values:
        lines.append("Values: " + ", ".join(f"#{value}" for value in company_values))
    return Message(
        summary="How to give kudos",
        blocks=(
            Header("Kudos"),
            Text("\n".join(lines)),
            Context(
                f"Keep it under {MESSAGE_MAX} characters. You can't recognise yourself, and "
                "there is a daily limit so that kudos stay meaningful."
            ),
        ),
    )


def problem_text(command: KudosCommand | KudosText, name: str) -> str:
    """What to say when a kudos can't be sent as typed; `name` is how to type the command."""
    example = f"`{name} @ana thanks for the launch plan`"
    match command.problem:
        case Problem.NO_RECIPIENTS:
            return f"Mention who you want to thank, e.g. {example}."
        case Problem.NO_MESSAGE:
            return f"Add a few words about what they did, e.g. {example}."
        case Problem.TOO_LONG:
            return (
                f"That's a lot of praise! Keep it under {MESSAGE_MAX} characters "
                f"(yours has {len(command.message)})."
            )
        case Problem.HELP | Problem.EMPTY:
            return f"Try {example}, or `{name} help`."
    return ""


def deactivated_recipients(names: Sequence[str]) -> str:
    """Why a kudos naming someone who has left was not sent."""
    who = names_list(names)
    verb = "has" if len(names) == 1 else "have"
    return (
        f"Kudos not sent: {who} {verb} left and been deactivated in okrbot, so kudos can't go "
        "to them. Thank the others without them."
    )


SELF_KUDOS = "Kudos are for others: you can't recognise yourself."
BOT_KUDOS = "That's kind, but I'm only the messenger: recognise a colleague instead."


def received_blocks(received: Iterable[tuple[str, str]], limit: int = 10) -> tuple[Block, ...]:
    """Kudos a person received, as (giver, message) pairs, newest first."""
    items = list(received)
    if not items:
        return ()
    blocks: list[Block] = [Header(f"Kudos you received ({len(items)})")]
    blocks.extend(Text(f"🙌 **{safe_text(giver)}**: {message}") for giver, message in items[:limit])
    if len(items) > limit:
        blocks.append(Context(f"…and {len(items) - limit} more."))
    return tuple(blocks)


def kudos_fields(company_values: Sequence[str]) -> list[FormItem]:
    """What a kudos says: which value (if the company has any), and what for."""
    items: list[FormItem] = []
    if company_values:
        choices = tuple(Choice(value, f"#{value}") for value in company_values)
        items.append(ChoiceInput(KUDOS_VALUE, "Which value did they live?", choices, optional=True))
    items.append(
        TextInput(
            KUDOS_MESSAGE,
            "What for?",
            optional=False,
            multiline=True,
            max_length=MESSAGE_MAX,
            placeholder="Thanks for …",
        )
    )
    return items


def kudos_form(company_values: Sequence[str]) -> Form:
    """The `/kudos` form: who, which value (if the company has any), and what for."""
    items: list[FormItem] = [
        PersonInput(KUDOS_TO, "Who do you want to recognise?", optional=False, multiple=True),
        *kudos_fields(company_values),
    ]
    return Form(
        id=KUDOS_FORM_ID,
        title="Give kudos",
        submit_label="Send kudos",
        items=tuple(items),
        intro="It is shared with the team, and each of them gets a message.",
    )
