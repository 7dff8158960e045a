"""Drafting your own personal OKR in chat (`/okr new`, Teams `okr new`), for your manager to
approve.

The form, the checks on what was typed and every message of the exchange are built here once,
for every platform: the drafter's form and confirmation, the manager's one DM with Approve and
Comment, the comment form, and what the drafter hears back. What cannot be stored (no key
result, more than five, a target that is not a number or equals the start) is an error on its
field; what is only badly written (a key result that reads like a task) is a hint shown to the
drafter and the manager, and never blocks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from okrbot.bot.domain import KeyResult, KeyResultType, Level, Objective, ObjectiveKind
from okrbot.bot.messages import (
    Actions,
    Button,
    ButtonStyle,
    Choice,
    ChoiceInput,
    Context,
    Form,
    FormItem,
    Header,
    Message,
    Text,
    TextInput,
)
from okrbot.bot.quality import MAX_KEY_RESULTS, okr_warnings
from okrbot.bot.scoring import format_value

# `/okr new` (Teams: `okr new`).
NEW = "new"
FORM_ID = "okr_draft"
APPROVE = "okr_draft_approve"
COMMENT = "okr_draft_comment"
COMMENT_FORM = "okr_draft_comment_form"

TITLE = "draft-title"
PARENT = "draft-parent"
KIND = "draft-kind"
COMMENT_TEXT = "draft-comment"
TITLE_MAX = 300
UNIT_MAX = 32
COMMENT_MAX = 2000
_KR_FIELD = re.compile(r"^kr-(\d{1,3})-(title|start|target|unit)$")


def kr_field(row: int, part: str) -> str:
    """The id of a key result row's field: `kr-2-target`; rows count from 1."""
    return f"kr-{row}-{part}"


@dataclass(frozen=True, slots=True)
class DraftKeyResult:
    title: str
    type: KeyResultType
    start: float
    target: float
    unit: str | None


@dataclass(frozen=True, slots=True)
class Draft:
    title: str
    kind: ObjectiveKind
    parent_id: int | None
    key_results: tuple[DraftKeyResult, ...]


@dataclass(frozen=True, slots=True)
class DraftCheck:
    """What was typed, checked: the errors by field (nothing is stored while there are any),
    or the draft and the writing hints to show with it."""

    errors: dict[str, str]
    draft: Draft | None = None
    hints: tuple[str, ...] = ()


# Slack's select holds at most 100 options; the objectives closest to the drafter come first.
MAX_PARENTS = 100
CHOICE_MAX = 75  # characters in a Slack option's text


def closest_first(parents: Sequence[Objective], team: Collection[int]) -> list[Objective]:
    """What a draft may support, nearest first: the objectives of the drafter's own team
    (owned by anyone in `team`), then the company's, then other teams'; so that in a company
    with more than MAX_PARENTS of them the drafter's own team is never cut off the list."""

    def distance(objective: Objective) -> int:
        if objective.owner_id in team and objective.level is not Level.COMPANY:
            return 0
        return 1 if objective.level is Level.COMPANY else 2

    return sorted(parents, key=distance)


def _choice_label(objective: Objective) -> str:
    """`Title (team)` within a select option's 75 characters: a long title is shortened, never
    the level that tells a team's objective from the company's."""
    level = f" ({objective.level.value})"
    title = objective.title
    if len(title) + len(level) > CHOICE_MAX:
        title = title[: CHOICE_MAX - len(level) - 1].rstrip() + "…"
    return title + level


def draft_form(
    quarter: str,
    parents: Sequence[Objective],
    manager_name: str | None,
    pending: Sequence[Objective] = (),
) -> Form:
    """The form: the objective, what it supports, its kind, and five key result rows."""
    who = (
        f"{manager_name} approves it before it joins your weekly check-in."
        if manager_name
        else "You have no manager in okrbot, so it is active as soon as you submit it."
    )
    intro = f"A personal objective for {quarter} with up to {MAX_KEY_RESULTS} key results. {who}"
    if pending:
        waiting = ", ".join(f"'{o.title}'" for o in pending)
        intro += f" Waiting for approval: {waiting}."
    items: list[FormItem] = [
        TextInput(
            TITLE,
            "Objective",
            optional=False,
            max_length=TITLE_MAX,
            placeholder="What do you want to achieve this quarter?",
        )
    ]
    if parents:
        choices = tuple(Choice(str(o.id), _choice_label(o)) for o in parents[:MAX_PARENTS])
        items.append(ChoiceInput(PARENT, "Supports (a team or company objective)", choices))
    items.append(
        ChoiceInput(
            KIND,
            "Kind",
            (
                Choice(ObjectiveKind.ASPIRATIONAL.value, "Aspirational: 0.7 is a good result"),
                Choice(ObjectiveKind.COMMITTED.value, "Committed: expected to land at 1.0"),
            ),
            initial=ObjectiveKind.ASPIRATIONAL.value,
        )
    )
    for row in range(1, MAX_KEY_RESULTS + 1):
        items.append(Header(f"Key result {row}" + (" (optional)" if row > 1 else "")))
        items.append(
            TextInput(
                kr_field(row, "title"),
                "Outcome",
                max_length=TITLE_MAX,
                placeholder="e.g. Trial-to-paid conversion" if row == 1 else None,
            )
        )
        items.append(TextInput(kr_field(row, "start"), "Start (a number)", placeholder="e.g. 12"))
        items.append(TextInput(kr_field(row, "target"), "Target (a number)", placeholder="e.g. 20"))
        items.append(
            TextInput(kr_field(row, "unit"), "Unit", max_length=UNIT_MAX, placeholder="e.g. %")
        )
    return Form(FORM_ID, "Draft your OKR", "Send for approval", tuple(items), intro=intro)


def _text(answers: Mapping[str, object], key: str) -> str:
    value = answers.get(key)
    return value.strip() if isinstance(value, str) else ""


def _number(text: str) -> float | None:
    cleaned = text.replace(",", "").replace("%", "").strip()
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def check_draft(answers: Mapping[str, object], parent_ids: Sequence[int]) -> DraftCheck:
    """Check the form's answers; every problem is an error on the field it is about."""
    errors: dict[str, str] = {}
    title = _text(answers, TITLE)
    if not title:
        errors[TITLE] = "Name the objective: what do you want to achieve this quarter?"
    elif len(title) > TITLE_MAX:
        errors[TITLE] = f"Keep the objective under {TITLE_MAX} characters."
    parent_id: int | None = None
    if parent_ids:
        chosen = _text(answers, PARENT)
        if not chosen:
            errors[PARENT] = "Choose the team or company objective this one supports."
        elif not chosen.isdigit() or int(chosen) not in parent_ids:
            errors[PARENT] = "That objective is not one of this quarter's; choose another."
        else:
            parent_id = int(chosen)
    kind_text = _text(answers, KIND) or ObjectiveKind.ASPIRATIONAL.value
    try:
        kind = ObjectiveKind(kind_text)
    except ValueError:
        errors[KIND] = "Choose aspirational or committed."
        kind = ObjectiveKind.ASPIRATIONAL

    rows = sorted(
        {int(m.group(1)) for key in answers if (m := _KR_FIELD.match(str(key)))}
        | set(range(1, MAX_KEY_RESULTS + 1))
    )
    filled = [
        row
        for row in rows
        if any(_text(answers, kr_field(row, part)) for part in ("title", "start", "target", "unit"))
    ]
    if not filled:
        errors[kr_field(1, "title")] = (
            "Add at least one key result: a number that would show the objective was achieved."
        )
    elif len(filled) > MAX_KEY_RESULTS:
        errors[TITLE] = (
            f"This draft has {len(filled)} key results; at most {MAX_KEY_RESULTS} keep the "
            "focus on what matters most. Keep the ones that matter most."
        )
    key_results: list[DraftKeyResult] = []
    seen: set[str] = set()
    for row in filled:
        kr = _key_result(answers, row, errors, seen)
        if kr is not None:
            key_results.append(kr)
    if errors:
        return DraftCheck(errors)
    draft = Draft(title, kind, parent_id, tuple(key_results))
    return DraftCheck({}, draft, draft_hints(draft))


def _key_result(
    answers: Mapping[str, object], row: int, errors: dict[str, str], seen: set[str]
) -> DraftKeyResult | None:
    title = _text(answers, kr_field(row, "title"))
    unit = _text(answers, kr_field(row, "unit")) or None
    before = len(errors)
    if not title:
        errors[kr_field(row, "title")] = "Name the outcome this key result measures."
    elif len(title) > TITLE_MAX:
        errors[kr_field(row, "title")] = f"Keep it under {TITLE_MAX} characters."
    elif title.lower() in seen:
        errors[kr_field(row, "title")] = "Another key result of this draft has this title."
    seen.add(title.lower())
    if unit is not None and len(unit) > UNIT_MAX:
        errors[kr_field(row, "unit")] = f"Keep the unit under {UNIT_MAX} characters."
    numbers: dict[str, float] = {}
    for part, what in (("start", "where it is today"), ("target", "where it should get")):
        typed = _text(answers, kr_field(row, part))
        if not typed:
            errors[kr_field(row, part)] = (
                f"A key result needs a measurable {part}: {what}, as a number."
            )
            continue
        value = _number(typed)
        if value is None:
            errors[kr_field(row, part)] = (
                f"'{typed[:40]}' is not a number; write the {part} as a number, e.g. 60."
            )
            continue
        numbers[part] = value
    if len(numbers) == 2 and numbers["start"] == numbers["target"]:
        errors[kr_field(row, "target")] = (
            f"The target is the same as the start ({numbers['start']:g}), so there is no change "
            "to measure; set where it should get."
        )
    if len(errors) > before:
        return None
    percent = unit == "%" or "%" in _text(answers, kr_field(row, "target"))
    return DraftKeyResult(
        title,
        KeyResultType.PERCENT if percent else KeyResultType.NUMBER,
        numbers["start"],
        numbers["target"],
        None if percent else unit,
    )


def as_objective(draft: Draft, owner_id: int, quarter: str, objective_id: int = 0) -> Objective:
    """The draft as the domain value the quality checks and renderers read."""
    return Objective(
        id=objective_id,
        quarter=quarter,
        title=draft.title,
        owner_id=owner_id,
        level=Level.PERSONAL,
        kind=draft.kind,
        parent_id=draft.parent_id,
        key_results=tuple(
            KeyResult(
                id=0,
                objective_id=objective_id,
                title=kr.title,
                owner_id=owner_id,
                type=kr.type,
                start=kr.start,
                target=kr.target,
                current=kr.start,
                unit=kr.unit,
                position=position,
            )
            for position, kr in enumerate(draft.key_results)
        ),
    )


def draft_hints(draft: Draft) -> tuple[str, ...]:
    """The import's writing hints that do not block a draft (a key result that reads like a
    task): shown to the drafter and to the manager who approves it."""
    return objective_hints(as_objective(draft, 0, ""))


def objective_hints(objective: Objective) -> tuple[str, ...]:
    return tuple(w.message for w in okr_warnings([objective]) if w.code == "reads_like_task")


def _key_result_lines(objective: Objective) -> str:
    lines = []
    for kr in objective.key_results:
        start = format_value(kr.start, kr.type, kr.unit)
        target = format_value(kr.target, kr.type, kr.unit)
        lines.append(f"• {kr.title}: {start} → {target}")
    return "\n".join(lines)


def _described(objective: Objective, parent_title: str | None) -> list[Text | Context]:
    supports = f" · supports: {parent_title}" if parent_title else ""
    return [
        Text(f"**{objective.title}**\n{objective.kind.value.capitalize()}{supports}"),
        Text(_key_result_lines(objective)),
    ]


def _hint_blocks(hints: Sequence[str]) -> list[Context]:
    return [Context(f"Hint: {hint}") for hint in hints]


def submitted_message(
    objective: Objective,
    parent_title: str | None,
    manager_name: str | None,
    hints: Sequence[str],
) -> Message:
    """The drafter's confirmation."""
    if manager_name is None:
        headline = (
            f"Your OKR '{objective.title}' is active: you have no manager in okrbot to approve "
            "it, so it joins your weekly check-in from the next prompt."
        )
    else:
        headline = (
            f"Sent to {manager_name} for approval: '{objective.title}'. It joins your weekly "
            "check-in once they approve it; I'll tell you."
        )
    blocks = [Text(headline), *_described(objective, parent_title), *_hint_blocks(hints)]
    if hints:
        blocks.append(Context("Hints never block a draft; your manager sees them too."))
    return Message(headline, tuple(blocks))


def review_message(
    drafter_name: str, objective: Objective, parent_title: str | None, hints: Sequence[str]
) -> Message:
    """The manager's one DM about a draft, with Approve and Comment."""
    summary = f"{drafter_name} drafted a personal OKR for your approval: {objective.title}"
    value = str(objective.id)
    return Message(
        summary,
        (
            Header(f"OKR draft from {drafter_name}"),
            *_described(objective, parent_title),
            *_hint_blocks(hints),
            Actions(
                (
                    Button("Approve", APPROVE, value, ButtonStyle.PRIMARY),
                    Button("Comment", COMMENT, value),
                )
            ),
            Context(
                f"Approving makes it active: it joins {drafter_name}'s weekly check-in. "
                "A comment goes to them and the draft stays pending."
            ),
        ),
    )


def approved_for_manager(drafter_name: str, objective: Objective, approver: str) -> Message:
    """What the manager's DM becomes once the draft is approved."""
    text = (
        f"✅ {approver} approved {drafter_name}'s OKR '{objective.title}'. It joins their "
        "weekly check-in."
    )
    return Message(text, (Text(text), Text(_key_result_lines(objective))))


def approved_for_drafter(objective: Objective, approver: str) -> Message:
    text = (
        f"✅ {approver} approved your OKR '{objective.title}'. Its key results join your weekly "
        "check-in from the next prompt."
    )
    return Message(text, (Text(text),))


def comment_form(drafter_name: str, objective: Objective) -> Form:
    return Form(
        COMMENT_FORM,
        "Comment on the draft",
        "Send comment",
        (
            Text(f"**{objective.title}**\n{_key_result_lines(objective)}"),
            TextInput(
                COMMENT_TEXT,
                f"Your comment to {drafter_name}",
                optional=False,
                multiline=True,
                max_length=COMMENT_MAX,
            ),
        ),
        intro="The draft stays pending; you can approve it later from the same message.",
    )


def check_comment(answers: Mapping[str, object]) -> tuple[str | None, dict[str, str]]:
    text = _text(answers, COMMENT_TEXT)
    if not text:
        return None, {COMMENT_TEXT: "Write the comment to send."}
    if len(text) > COMMENT_MAX:
        return None, {COMMENT_TEXT: f"Keep the comment under {COMMENT_MAX} characters."}
    return text, {}


def comment_for_drafter(objective: Objective, manager_name: str, comment: str) -> Message:
    headline = f"{manager_name} commented on your OKR draft '{objective.title}'"
    quoted = "\n".join(f"> {line}" for line in comment.splitlines() or [""])
    state = (
        "It is still waiting for their approval."
        if objective.pending
        else "It is approved and part of your weekly check-in."
    )
    return Message(headline, (Text(f"**{headline}:**\n{quoted}"), Context(state)))


def comment_sent(drafter_name: str, objective: Objective) -> Message:
    return Message.plain(
        f"Your comment on '{objective.title}' is on its way to {drafter_name}. The draft stays "
        "pending until you approve it."
    )


def not_their_manager(drafter_name: str) -> Message:
    return Message.plain(
        f"Only {drafter_name}'s manager can approve or comment on their OKR draft, so I did "
        "nothing."
    )


NO_SUCH_DRAFT = Message.plain("That OKR draft is no longer there, so there is nothing to approve.")


def help_line(command: str) -> str:
    return f"`{command} {NEW}` — draft your own personal OKR; your manager approves it"
