"""The weekly check-in conversation: the prompt, the form, reading the answers, the summary.

Everything here is pure: the adapters load the data, call these functions, and render what comes
back. Ownership is decided here too, so that no platform can forget it: answers are only ever
read for the key results the person owns, whatever ids a (possibly forged) payload carries.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from okrbot.bot.domain import CheckIn, Confidence, KeyResult, KeyResultType, Objective, Person
from okrbot.bot.kudos import MESSAGE_MAX as KUDOS_MESSAGE_MAX
from okrbot.bot.messages import (
    TOGGLED,
    Actions,
    Block,
    Button,
    ButtonStyle,
    Choice,
    ChoiceInput,
    Context,
    Form,
    FormItem,
    Header,
    Message,
    NumberInput,
    PersonInput,
    Text,
    TextInput,
    ToggleInput,
)
from okrbot.bot.scoring import format_value, key_result_progress, progress_bar, value_change

CHECK_IN = "checkin_open"
SNOOZE = "checkin_snooze"
# The check-in summary's button putting its note on the next 1:1's agenda (bot/agenda.py).
ADD_TO_AGENDA = "agenda_add_note"
SKIP = "checkin_skip"
FORM_ID = "checkin_form"
KUDOS_TO = "kudos-to"
KUDOS_MESSAGE = "kudos-message"

# Both platforms cap a message (Slack: 50 blocks; Teams: about 80 KB) and a form (Slack: 100
# blocks); these page sizes keep every prompt and form well inside both.
KEY_RESULTS_PER_MESSAGE = 40
KEY_RESULTS_PER_FORM = 18  # five inputs and a line each: 90 of a modal's 100 blocks
NOTE_MAX = 2000
FEEDBACK_OPTION = "I'd like feedback on this"

MILESTONE_DONE = "done"
MILESTONE_NOT_DONE = "not_done"
CONFIDENCE_CHOICES = tuple(Choice(c.value, c.label) for c in Confidence)
MILESTONE_CHOICES = (Choice(MILESTONE_DONE, "Done"), Choice(MILESTONE_NOT_DONE, "Not done yet"))


@dataclass(frozen=True, slots=True)
class KeyResultStatus:
    """A key result as the person sees it in a prompt: where it stands and how it was last felt."""

    key_result: KeyResult
    objective: Objective
    last_checkin: CheckIn | None = None
    stale: bool = False


@dataclass(frozen=True, slots=True)
class CheckInEntry:
    key_result_id: int
    value: float
    confidence: Confidence
    note: str | None
    feedback: bool = False  # "I'd like feedback on this"


@dataclass(frozen=True, slots=True)
class KudosDraft:
    recipients: tuple[str, ...]
    message: str


@dataclass(frozen=True, slots=True)
class ParsedCheckIn:
    entries: tuple[CheckInEntry, ...]
    kudos: KudosDraft | None
    errors: Mapping[str, str]

    @property
    def ok(self) -> bool:
        return not self.errors


def input_id(key_result_id: int, field: str) -> str:
    return f"kr-{key_result_id}-{field}"


_WEEK_KEY = re.compile(r"\d{4}-W(0[1-9]|[1-4]\d|5[0-3])")


def is_week_key(period: object) -> bool:
    """Whether `period` is an ISO week key like `2026-W47`, as every check-in card carries."""
    return isinstance(period, str) and _WEEK_KEY.fullmatch(period) is not None


def week_label(period: str) -> str:
    return f"week {int(period.split('-W')[1])}"


def where_it_stands(status: KeyResultStatus, private: bool = True) -> str:
    """Where a key result stands: bar, percent, value of target and, for its owner and their
    manager (`private`), the last confidence or the stale warning."""
    kr = status.key_result
    progress = key_result_progress(kr)
    line = (
        f"{progress_bar(progress)} {round(progress * 100)}% · "
        f"{format_value(kr.current, kr.type, kr.unit)}"
    )
    if not kr.is_milestone:
        line += f" of {format_value(kr.target, kr.type, kr.unit)}"
    if not private:
        return line
    if status.stale:
        line += " · ⚠️ no check-in for two weeks"
    elif status.last_checkin is not None:
        line += f" · last: {status.last_checkin.confidence.label}"
    return line


def describe(status: KeyResultStatus, private: bool = True) -> str:
    """One key result's line; `private=False` leaves out what only its owner and manager see."""
    return f"**{status.key_result.title}**\n{where_it_stands(status, private)}"


def _chunks(items: Sequence[KeyResultStatus], size: int) -> list[Sequence[KeyResultStatus]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [items]


def prompt_messages(
    person: Person, period: str, statuses: Sequence[KeyResultStatus], reminder: bool = False
) -> list[Message]:
    """The weekly DM (or its one reminder); very many key results come in several parts."""
    first_name = person.name.split()[0] if person.name.strip() else person.name
    if not statuses:
        return [
            Message(
                summary="No key results to check in on this week",
                blocks=(
                    Text(
                        f"Hi {first_name}, you own no key results this quarter, so there is "
                        "nothing to check in on. Ask your manager if that looks wrong."
                    ),
                ),
            )
        ]
    parts = _chunks(statuses, KEY_RESULTS_PER_MESSAGE)
    messages = []
    for index, part in enumerate(parts):
        blocks: list[Block] = []
        count = f"{len(statuses)} key result{'s' if len(statuses) != 1 else ''}"
        if index == 0 and reminder:
            blocks.append(Header(f"Reminder · check-in for {week_label(period)}"))
            blocks.append(
                Text(
                    f"Hi {first_name}, your check-in for {week_label(period)} is still open. "
                    f"A minute is enough. Here is where your {count} stand:"
                )
            )
        elif index == 0:
            blocks.append(Header(f"Weekly check-in · {week_label(period)}"))
            blocks.append(
                Text(
                    f"Hi {first_name}! Time for your weekly check-in. Here is where your "
                    f"{count} stand:"
                )
            )
        blocks.extend(Text(describe(status)) for status in part)
        if index == len(parts) - 1:
            blocks.append(
                Actions(
                    (
                        Button("Check in", CHECK_IN, period, ButtonStyle.PRIMARY),
                        Button("Snooze 2h", SNOOZE, period),
                        Button("Skip this week", SKIP, period),
                    )
                )
            )
            blocks.append(
                Context("Your answers go to you and your manager only. It takes a minute.")
            )
        suffix = f" (part {index + 1} of {len(parts)})" if len(parts) > 1 else ""
        summary = (
            f"Reminder: your check-in for {week_label(period)} is open{suffix}"
            if reminder
            else f"Time for your weekly check-in{suffix}"
        )
        messages.append(Message(summary=summary, blocks=tuple(blocks)))
    return messages


def form_pages(statuses: Sequence[KeyResultStatus]) -> int:
    return max(1, math.ceil(len(statuses) / KEY_RESULTS_PER_FORM))


def checkin_form(
    period: str, statuses: Sequence[KeyResultStatus], page: int = 0, with_kudos: bool = True
) -> Form:
    """One page of the check-in form; the last page also offers to recognise a colleague."""
    pages = form_pages(statuses)
    page = min(max(page, 0), pages - 1)
    part = statuses[page * KEY_RESULTS_PER_FORM : (page + 1) * KEY_RESULTS_PER_FORM]
    items: list[FormItem] = []
    for status in part:
        kr = status.key_result
        # The form is where Teams people read their standing too (their prompt is this form).
        items.append(Text(f"**{kr.title}**\n_{status.objective.title}_\n{where_it_stands(status)}"))
        if kr.is_milestone:
            items.append(
                ChoiceInput(
                    input_id(kr.id, "value"),
                    "Status",
                    MILESTONE_CHOICES,
                    initial=MILESTONE_DONE if kr.current >= 1 else MILESTONE_NOT_DONE,
                )
            )
        else:
            items.append(
                NumberInput(
                    input_id(kr.id, "value"),
                    f"New value ({_target_hint(kr)})",
                    initial=kr.current,
                )
            )
        last = status.last_checkin.confidence.value if status.last_checkin else None
        items.append(
            ChoiceInput(input_id(kr.id, "confidence"), "Confidence", CONFIDENCE_CHOICES, last)
        )
        items.append(
            TextInput(
                input_id(kr.id, "note"),
                "Note or blocker",
                optional=True,
                multiline=True,
                max_length=NOTE_MAX,
                placeholder="What moved, what is in the way?",
            )
        )
        last_one = status.last_checkin
        asked = last_one is not None and last_one.period == period and last_one.feedback_requested
        items.append(
            ToggleInput(input_id(kr.id, "feedback"), "Feedback", FEEDBACK_OPTION, initial=asked)
        )
    last_page = page == pages - 1
    if with_kudos and last_page:
        items.append(Header("Recognise someone (optional)"))
        items.append(PersonInput(KUDOS_TO, "Who helped this week?", optional=True, multiple=True))
        items.append(
            TextInput(KUDOS_MESSAGE, "What for?", optional=True, max_length=KUDOS_MESSAGE_MAX)
        )
    title = "Weekly check-in" if pages == 1 else f"Check-in {page + 1} of {pages}"
    return Form(
        id=FORM_ID,
        title=title,
        submit_label="Check in" if last_page else "Next",
        items=tuple(items),
        intro=f"{week_label(period).capitalize()} · only you and your manager see your answers.",
    )


def _target_hint(kr: KeyResult) -> str:
    direction = "down to" if kr.target < kr.start else "target"
    return f"{direction} {format_value(kr.target, kr.type, kr.unit)}"


_NUMBER_NOISE = re.compile(r"[\s,_$€£¥%]")


def parse_number(text: str) -> float:
    """Read what people type: `12`, `12.5`, `1,200`, `45%`, `$3,000`."""
    cleaned = _NUMBER_NOISE.sub("", text)
    value = float(cleaned)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _one(raw: Mapping[str, object], key: str) -> str | None:
    value = raw.get(key)
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def parse_checkin(
    owned: Sequence[KeyResult], raw: Mapping[str, object], page_ids: Sequence[int] | None = None
) -> ParsedCheckIn:
    """Validate submitted answers for the key results `owned` by the person.

    `raw` maps input ids to what the platform sent. Ids of key results the person does not own
    are ignored, so a forged payload cannot write to anyone else's key result. `page_ids` limits
    reading to the key results shown on the submitted page of a paginated form.
    """
    errors: dict[str, str] = {}
    entries: list[CheckInEntry] = []
    wanted = set(page_ids) if page_ids is not None else None
    for kr in owned:
        if wanted is not None and kr.id not in wanted:
            continue
        value_id, confidence_id = input_id(kr.id, "value"), input_id(kr.id, "confidence")
        if value_id not in raw and confidence_id not in raw:
            continue
        value = _parse_value(kr, _one(raw, value_id), value_id, errors)
        confidence_text = _one(raw, confidence_id)
        confidence: Confidence | None = None
        if confidence_text is None:
            errors[confidence_id] = "Pick how confident you are: on track, at risk or off track."
        else:
            try:
                confidence = Confidence(confidence_text)
            except ValueError:
                errors[confidence_id] = "Pick on track, at risk or off track."
        note = _one(raw, input_id(kr.id, "note"))
        if note is not None and len(note) > NOTE_MAX:
            errors[input_id(kr.id, "note")] = (
                f"Keep the note under {NOTE_MAX} characters (it has {len(note)})."
            )
        feedback = _one(raw, input_id(kr.id, "feedback")) == TOGGLED
        if value is not None and confidence is not None:
            entries.append(CheckInEntry(kr.id, value, confidence, note, feedback))
    kudos = _parse_kudos(raw, errors)
    if not entries and not errors and wanted != set():
        errors[input_id(owned[0].id, "value") if owned else KUDOS_TO] = (
            "Nothing to record: this form has no key results you own."
        )
    return ParsedCheckIn(tuple(entries), kudos, errors)


def _parse_value(
    kr: KeyResult, text: str | None, field_id: str, errors: dict[str, str]
) -> float | None:
    if kr.type is KeyResultType.MILESTONE:
        if text == MILESTONE_DONE:
            return 1.0
        if text == MILESTONE_NOT_DONE:
            return 0.0
        errors[field_id] = "Pick done or not done yet."
        return None
    if text is None:
        errors[field_id] = "Enter the current value (a number)."
        return None
    try:
        return parse_number(text)
    except ValueError:
        errors[field_id] = f"“{text[:40]}” is not a number; enter digits, e.g. 12.5"
        return None


def _parse_kudos(raw: Mapping[str, object], errors: dict[str, str]) -> KudosDraft | None:
    value = raw.get(KUDOS_TO)
    if isinstance(value, str):
        recipients = tuple(v for v in value.replace(",", " ").split() if v)
    elif isinstance(value, list | tuple):
        recipients = tuple(str(v) for v in value if v)
    else:
        recipients = ()
    message = _one(raw, KUDOS_MESSAGE)
    if not recipients and message is None:
        return None
    if not recipients:
        errors[KUDOS_TO] = "Pick who you want to recognise, or clear the message."
        return None
    if message is None:
        errors[KUDOS_MESSAGE] = "Add a few words about what they did."
        return None
    if len(message) > KUDOS_MESSAGE_MAX:
        errors[KUDOS_MESSAGE] = f"Keep it under {KUDOS_MESSAGE_MAX} characters."
        return None
    return KudosDraft(recipients, message)


def summary_message(
    period: str,
    recorded: Sequence[tuple[KeyResultStatus, CheckInEntry, float]],
    kudos_note: str | None = None,
    has_manager: bool = False,
) -> Message:
    """What the prompt turns into once answered: what was recorded, with the new progress.

    `recorded` holds each key result (as it was), the entry stored, and its previous value.
    Someone with a manager who wrote a note can put it on their next 1:1's agenda from here.
    """
    blocks: list[Block] = [Header(f"Checked in · {week_label(period)} ✅")]
    for status, entry, previous in recorded:
        kr = status.key_result
        progress = key_result_progress(kr, entry.value)
        change = ""
        if not kr.is_milestone and entry.value != previous:
            change = f" ({value_change(kr, previous, entry.value)})"
        line = (
            f"**{kr.title}**\n{progress_bar(progress)} {round(progress * 100)}% · "
            f"{format_value(entry.value, kr.type, kr.unit)}{change} · {entry.confidence.label}"
        )
        if entry.note:
            line += f"\n> {entry.note}"
        blocks.append(Text(line))
    if kudos_note:
        blocks.append(Text(kudos_note))
    blocks.append(
        Context("Thanks! You can amend this week's answers any time before the week ends.")
    )
    buttons = [Button("Amend", CHECK_IN, period)]
    if has_manager and any(entry.note for _status, entry, _previous in recorded):
        buttons.append(Button("Add to 1:1 agenda", ADD_TO_AGENDA, period))
    blocks.append(Actions(tuple(buttons)))
    return Message(summary=f"Checked in for {week_label(period)}", blocks=tuple(blocks[:50]))


def snoozed_message(period: str, until_local: datetime) -> Message:
    when = until_local.strftime("%H:%M")
    return Message(
        summary=f"Snoozed until {when}",
        blocks=(
            Text(f"😴 Snoozed. I'll ask again at **{when}** your time."),
            Actions((Button("Check in now", CHECK_IN, period, ButtonStyle.PRIMARY),)),
        ),
    )


def skipped_message(period: str) -> Message:
    return Message(
        summary=f"Skipped {week_label(period)}",
        blocks=(
            Text(
                f"Skipped {week_label(period)}: no reminder this week. See you next week! "
                "Changed your mind? You can still check in."
            ),
            Actions((Button("Check in anyway", CHECK_IN, period),)),
        ),
    )
