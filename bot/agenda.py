"""1:1 agendas: what a manager and one of their direct reports bring to their next 1:1.

`/okr 1on1 @person` (Teams: `1on1 @person`) builds the agenda from the weeks since the pair's
last 1:1 (or the quarter's start): the report's key results at risk, off track or stale, the
notes and blockers of their check-ins, the kudos they received, and the items either of them
added with `/okr agenda add @person …`. Only the two of them may build it, add to it or mark it
discussed, and it only ever reaches the one who asked: anyone else is told what the command is
for, never whether the person they named has an agenda, a manager or a report.

The request is parsed here once for every platform: an adapter passes the words typed after the
command and the mentions its platform found in them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from okrbot.bot.checkins import ADD_TO_AGENDA, KeyResultStatus, week_label, where_it_stands
from okrbot.bot.domain import Confidence, Person, Weekday, parse_local_time
from okrbot.bot.kudos import Mention
from okrbot.bot.messages import (
    Actions,
    Block,
    Button,
    ButtonStyle,
    Context,
    Form,
    Header,
    Message,
    Text,
    TextInput,
)
from okrbot.bot.paging import text_blocks

ONE_ON_ONE = "1on1"
AGENDA = "agenda"
ADD = "add"
MARK_DISCUSSED = "agenda_discussed"
# The check-in summary's "Add to 1:1 agenda": the button, and the form it opens.
ADD_NOTE = ADD_TO_AGENDA
ITEM_FORM = "agenda_item_form"
ITEM_TEXT = "agenda_item_text"
# Longer than anyone says in a line; the agenda is a list, not a document.
MAX_ITEM = 500


class Kind(enum.StrEnum):
    SHOW = "show"
    ADD = "add"
    RHYTHM = "rhythm"


@dataclass(frozen=True, slots=True)
class Rhythm:
    """When a pair meets: `weekday` at `at` (the manager's local time), every `every_weeks`."""

    weekday: Weekday
    at: time
    every_weeks: int = 1

    def describe(self) -> str:
        every = "every other" if self.every_weeks == 2 else "every"
        return f"{every} {self.weekday.full_name} at {self.at:%H:%M}"


@dataclass(frozen=True, slots=True)
class AgendaRequest:
    """`1on1 @person` (show), `agenda add @person text` (add), or `1on1 @person every …` /
    `… off` (a rhythm; `rhythm` None stops it)."""

    kind: Kind
    mention: Mention
    text: str = ""
    rhythm: Rhythm | None = None


@dataclass(frozen=True, slots=True)
class AgendaItem:
    id: int
    author: str
    text: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Note:
    """A check-in's note or blocker on one of the report's key results."""

    period: str
    key_result: str
    text: str
    confidence: Confidence


@dataclass(frozen=True, slots=True)
class FeedbackRequest:
    """A key result the report asked for feedback on in a week's check-in, and whether their
    manager answered it (a reply or 👍 on that check-in after it was asked)."""

    period: str
    key_result: str
    answered: bool


@dataclass(frozen=True, slots=True)
class KudosReceived:
    giver: str
    message: str


@dataclass(frozen=True, slots=True)
class AgendaData:
    """Everything an agenda shows, as read for one pair at `as_of`."""

    manager: Person
    report: Person
    since: date
    since_last_one_on_one: bool
    as_of: datetime
    key_results: Sequence[KeyResultStatus]
    notes: Sequence[Note]
    kudos: Sequence[KudosReceived]
    items: Sequence[AgendaItem]
    # "I'd like feedback on this" in the report's check-ins, oldest first.
    feedback_requests: Sequence[FeedbackRequest] = ()


def typed(command: str, words: str) -> str:
    """How someone types a command on their platform: `/okr 1on1 @Ana` in Slack, `1on1 @Ana`
    in Teams (whose `command` is empty)."""
    return f"`{command} {words}`" if command else f"`{words}`"


def usage(command: str) -> str:
    return (
        f"{typed(command, ONE_ON_ONE + ' @person')} builds your private 1:1 agenda with your "
        f"manager or one of your direct reports; "
        f"{typed(command, f'{AGENDA} {ADD} @person <what to talk about>')} adds an item to it."
    )


def refusal(command: str) -> str:
    """What anyone who is not one of the pair reads: nothing about the person named."""
    return (
        f"{typed(command, ONE_ON_ONE)} works only between a manager and their direct report: name "
        "your manager or someone who reports to you. " + usage(command)
    )


def parse_agenda(text: str, mentions: Sequence[Mention], command: str) -> AgendaRequest | str:
    """The request in the text typed after the command word (`1on1 …` or `agenda add …`), or
    what to tell the person when it is not one."""
    words = text.split()
    first = words[0].lower() if words else ""
    if first == AGENDA and (len(words) < 2 or words[1].lower() != ADD):
        return usage(command)
    mention = next((m for m in mentions if m.token in text), None)
    if mention is None:
        return f"Name the person with an @mention. {usage(command)}"
    after = text.split(mention.token, 1)[1]
    if first == ONE_ON_ONE:
        if not after.split():
            return AgendaRequest(Kind.SHOW, mention)
        rhythm = parse_rhythm(after, command)
        if isinstance(rhythm, str):
            return rhythm
        return AgendaRequest(Kind.RHYTHM, mention, rhythm=rhythm)
    item = " ".join(after.split())
    if not item:
        example = typed(command, f"{AGENDA} {ADD} @person …")
        return f"Say what to talk about after the name: {example}."
    if len(item) > MAX_ITEM:
        return f"That item is {len(item)} characters; keep it to {MAX_ITEM}."
    return AgendaRequest(Kind.ADD, mention, item)


def rhythm_usage(command: str) -> str:
    return (
        f"Set your 1:1's rhythm with {typed(command, ONE_ON_ONE + ' @person every tuesday 10:00')}"
        f" or {typed(command, ONE_ON_ONE + ' @person every other tuesday 10:00')} (the time is "
        f"the manager's), or stop it with {typed(command, ONE_ON_ONE + ' @person off')}."
    )


def parse_rhythm(text: str, command: str) -> Rhythm | str | None:
    """`every [other] <weekday> HH:MM`, or `off` (None); else what is wrong with it."""
    words = text.lower().split()
    if words in (["off"], ["stop"]):
        return None
    if not words or words[0] != "every":
        return f"I couldn't read “{text.strip()[:60]}” as a rhythm. " + rhythm_usage(command)
    every = 2 if len(words) > 1 and words[1] in ("other", "second", "2nd") else 1
    rest = words[2:] if every == 2 else words[1:]
    if len(rest) != 2:
        return "Say the day and the time, e.g. `every tuesday 10:00`. " + rhythm_usage(command)
    try:
        day = Weekday.parse(rest[0].removesuffix("s"))
        at = parse_local_time(rest[1])
    except ValueError as error:
        return f"{error}. " + rhythm_usage(command)
    return Rhythm(day, at, every)


def next_meeting(rhythm: Rhythm, zone: ZoneInfo, now: datetime) -> datetime:
    """The first meeting more than an hour from `now` (so that its agenda can still go an hour
    before), at the rhythm's local time on the manager's calendar."""
    day = now.astimezone(zone).date()
    day += timedelta(days=(rhythm.weekday - day.weekday()) % 7)
    while meeting_at(rhythm, zone, day) <= now + AGENDA_AHEAD:
        day += timedelta(days=7)
    return meeting_at(rhythm, zone, day)


def meeting_after(rhythm: Rhythm, zone: ZoneInfo, meeting: datetime) -> datetime:
    """The meeting after `meeting`: the same local time, `every_weeks` weeks later on the
    calendar (across a daylight-saving change, its UTC time moves and the local one does not)."""
    day = meeting.astimezone(zone).date() + timedelta(weeks=rhythm.every_weeks)
    return meeting_at(rhythm, zone, day)


def meeting_at(rhythm: Rhythm, zone: ZoneInfo, day: date) -> datetime:
    return datetime.combine(day, rhythm.at, zone).astimezone(UTC)


# The agenda of a rhythm's meeting goes to both of the pair this long before it.
AGENDA_AHEAD = timedelta(hours=1)


def rhythm_set_message(other: Person, rhythm: Rhythm, first: datetime, zone: ZoneInfo) -> Message:
    local = first.astimezone(zone)
    return Message.plain(
        f"Your 1:1 with {other.name} is {rhythm.describe()} ({zone.key} time); the first is "
        f"{short_date(local.date())} at {local:%H:%M}. You both get the agenda an hour before."
    )


def rhythm_stopped_message(other: Person, had: bool) -> Message:
    if not had:
        return Message.plain(f"Your 1:1 with {other.name} had no rhythm; nothing changed.")
    return Message.plain(
        f"Your 1:1 with {other.name} has no rhythm now: no more agendas come by themselves."
    )


def pair_of(caller: Person, other: Person | None) -> tuple[Person, Person] | None:
    """(manager, report) when the caller and `other` are a manager and their direct report."""
    if other is None or other.id == caller.id:
        return None
    if other.manager_id == caller.id:
        return caller, other
    if caller.manager_id == other.id:
        return other, caller
    return None


def left_message(report: Person) -> Message:
    """The pair's report was offboarded: told only to their manager, who knew them."""
    return Message.plain(
        f"{report.name} no longer uses okrbot (deactivated), so there is no 1:1 agenda to build "
        "or add to."
    )


def short_date(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def other_of(data: AgendaData, viewer: Person) -> Person:
    return data.report if viewer.id == data.manager.id else data.manager


def discussed_value(data: AgendaData) -> str:
    """What the Mark discussed button carries: the pair and the moment the agenda was read,
    so one click marks what it showed, and a second click of it nothing more."""
    return f"{data.manager.id}:{data.report.id}:{int(data.as_of.timestamp())}"


def parse_discussed_value(raw: object) -> tuple[int, int, int] | None:
    parts = str(raw or "").split(":")
    if len(parts) != 3 or not all(p.isdigit() and len(p) < 13 for p in parts):
        return None
    return int(parts[0]), int(parts[1]), int(parts[2])


def _at_stake(status: KeyResultStatus) -> bool:
    last = status.last_checkin
    risky = last is not None and last.confidence in (Confidence.AT_RISK, Confidence.OFF_TRACK)
    return risky or status.stale


def _section(title: str, lines: Sequence[str]) -> list[Block]:
    """A titled list, in as many blocks as its length needs (a note may be long)."""
    return text_blocks([f"**{title}**", *(f"• {line}" for line in lines)]) if lines else []


def agenda_message(
    data: AgendaData, viewer: Person, command: str, meeting: str | None = None
) -> Message:
    """The agenda as `viewer` (one of the pair) sees it; `meeting` says when the rhythm's
    meeting is, for the agenda that comes by itself an hour before."""
    other = other_of(data, viewer)
    report = data.report
    first = report.name.split()[0]
    since = short_date(data.since)
    started = (
        f"Since your last 1:1 ({since})"
        if data.since_last_one_on_one
        else f"Since the quarter started ({since}); no 1:1 recorded yet"
    )
    header = Header(f"1:1 agenda · {other.name}")
    at_stake = [
        f"**{s.key_result.title}**: {where_it_stands(s, private=True)}"
        for s in data.key_results
        if _at_stake(s)
    ]
    notes = [
        f"{week_label(n.period).capitalize()}, {n.key_result} ({n.confidence.label}): “{n.text}”"
        for n in data.notes
    ]
    feedback = [
        f"{week_label(r.period).capitalize()}, {r.key_result}: "
        + ("answered ✅" if r.answered else "not answered yet")
        for r in sorted(data.feedback_requests, key=lambda r: r.answered)  # unanswered first
    ]
    kudos = [f"From {k.giver}: “{k.message}”" for k in data.kudos]
    items = [f"{item.author}: “{item.text}”" for item in data.items]
    body = [
        *_section("Key results at risk or stale", at_stake),
        *_section("Blockers and notes from check-ins", notes),
        *_section(f"Feedback {first} asked for", feedback),
        *_section(f"Kudos {first} received", kudos),
        *_section("Added to the agenda", items),
    ]
    private = f"Only you see this; {other.name} gets theirs by running it too."
    if meeting is not None:
        header = Header(f"1:1 agenda · {other.name} · {meeting}")
        private = f"Only you see this; {other.name} got theirs too."
    if not body:
        nothing = Text(
            f"Nothing to discuss yet: no key result at risk or stale, no blockers or notes, no "
            f"feedback requests, no kudos and no items added. Add one with "
            f"{typed(command, f'{AGENDA} {ADD} @{other.name} …')}."
        )
        return Message(
            f"1:1 agenda with {other.name}: nothing to discuss yet",
            (header, Context(started), nothing, Context(private)),
        )
    count = len(at_stake) + len(notes) + len(feedback) + len(kudos) + len(items)
    button = Button("Mark discussed", MARK_DISCUSSED, discussed_value(data), ButtonStyle.PRIMARY)
    hint = Context(f"{private} Add to it: {typed(command, f'{AGENDA} {ADD} @{other.name} …')}.")
    return Message(
        f"1:1 agenda with {other.name}: {count} to talk about",
        (header, Context(started), *body, hint, Actions((button,))),
    )


def added_message(other: Person, text: str, command: str) -> Message:
    return Message.plain(
        f"Added to your 1:1 agenda with {other.name}: “{text}”. "
        f"{typed(command, f'{ONE_ON_ONE} @{other.name}')} shows the whole agenda."
    )


def discussed_message(other: Person, marked_by: str, held: date, items: int) -> Message:
    done = f"{items} item{'s' if items != 1 else ''} marked discussed" if items else "no items open"
    return Message(
        f"1:1 with {other.name} marked discussed",
        (
            Header(f"1:1 agenda · {other.name} · discussed ✅"),
            Text(
                f"{marked_by} marked this 1:1 held on {short_date(held)} ({done}). "
                "The next agenda starts from here."
            ),
        ),
    )


NO_SUCH_AGENDA = Message.plain("That agenda is not one of yours, so nothing was marked.")


def item_form(manager: Person, notes: Sequence[str]) -> Form:
    """The check-in's notes, to put on the next 1:1's agenda as they are or edited."""
    return Form(
        ITEM_FORM,
        "Add to 1:1 agenda",
        "Add",
        (
            TextInput(
                ITEM_TEXT,
                f"What to talk about with {manager.name}",
                initial=" ".join(notes)[:MAX_ITEM] or None,
                optional=False,
                multiline=True,
                max_length=MAX_ITEM,
            ),
        ),
        intro=f"Only you and {manager.name} see your 1:1 agenda.",
    )


def check_item(answers: Mapping[str, object]) -> tuple[str | None, dict[str, str]]:
    """The item typed in the form, or the error to show on its field."""
    text = " ".join(str(answers.get(ITEM_TEXT) or "").split())
    if not text:
        return None, {ITEM_TEXT: "Write what you would like to talk about."}
    if len(text) > MAX_ITEM:
        return None, {ITEM_TEXT: f"That item is {len(text)} characters; keep it to {MAX_ITEM}."}
    return text, {}


NO_MANAGER = Message.plain(
    "You have no manager in okrbot to have a 1:1 with, so there is no agenda to add to."
)
