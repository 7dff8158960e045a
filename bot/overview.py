"""What a person sees when they ask: their OKRs (`/okr`, Teams `okr`), App Home, help."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from okrbot.bot.browse import help_lines as browse_help
from okrbot.bot.checkins import CHECK_IN, KeyResultStatus, describe
from okrbot.bot.domain import Objective
from okrbot.bot.kudos import received_blocks
from okrbot.bot.messages import (
    Actions,
    Block,
    Button,
    ButtonStyle,
    Context,
    Divider,
    Header,
    Message,
    Text,
)
from okrbot.bot.preferences import OPEN as PREFERENCES
from okrbot.bot.scoring import objective_score, progress_bar

# A home tab holds at most 100 blocks; these caps leave room for headers and dividers.
MAX_OWN_KEY_RESULTS = 45
MAX_KUDOS = 10
MAX_COMPANY_OBJECTIVES = 15


@dataclass(frozen=True, slots=True)
class ReceivedKudos:
    giver: str
    message: str


def _own_blocks(statuses: Sequence[KeyResultStatus], private: bool = True) -> list[Block]:
    blocks: list[Block] = []
    current_objective: int | None = None
    for status in statuses[:MAX_OWN_KEY_RESULTS]:
        if status.objective.id != current_objective:
            current_objective = status.objective.id
            blocks.append(Text(f"🎯 **{status.objective.title}**"))
        blocks.append(Text(describe(status, private)))
    if len(statuses) > MAX_OWN_KEY_RESULTS:
        blocks.append(Context(f"…and {len(statuses) - MAX_OWN_KEY_RESULTS} more key results."))
    return blocks


def okr_overview(quarter: str, statuses: Sequence[KeyResultStatus], command: str) -> Message:
    """The reply to `/okr`: the person's key results this quarter, with progress."""
    if not statuses:
        return Message(
            summary=f"You own no key results in {quarter}",
            blocks=(
                Text(f"You own no key results in {quarter}."),
                Context(
                    f"Your admin imports OKRs with `okrbot import okrs`. `{command} help` for more."
                ),
            ),
        )
    blocks: list[Block] = [Header(f"Your OKRs · {quarter}")]
    blocks.extend(_own_blocks(statuses))
    blocks.append(Actions((Button("Check in", CHECK_IN, "", ButtonStyle.PRIMARY),)))
    blocks.append(Context(f"`{command} checkin` to check in now · `{command} help` for more"))
    return Message(summary=f"Your OKRs for {quarter}", blocks=tuple(blocks[:50]))


def with_kudos(overview: Message, kudos: Sequence[ReceivedKudos]) -> Message:
    """An overview followed by the kudos the person received this quarter, if any (the `okr`
    reply in Teams, which has no home tab to show them)."""
    received = received_blocks((item.giver, item.message) for item in kudos)
    if not received:
        return overview
    return Message(overview.summary, (*overview.blocks, *received)[:50])


def public_overview(name: str, quarter: str, statuses: Sequence[KeyResultStatus]) -> Message:
    """`okr` where others read along: the key results and their progress, which everyone may
    see, without the confidence and check-in state that only the owner and manager see."""
    if not statuses:
        return Message(
            summary=f"{name} owns no key results in {quarter}",
            blocks=(Text(f"{name} owns no key results in {quarter}."),),
        )
    blocks: list[Block] = [Header(f"{name}'s OKRs · {quarter}")]
    blocks.extend(_own_blocks(statuses, private=False))
    blocks.append(Context("Confidence, notes and check-ins stay in the 1:1 chat with okrbot."))
    return Message(summary=f"{name}'s OKRs for {quarter}", blocks=tuple(blocks[:50]))


def home(
    name: str,
    quarter: str,
    statuses: Sequence[KeyResultStatus],
    next_prompt: str | None,
    kudos: Sequence[ReceivedKudos],
    company: Sequence[Objective],
) -> Message:
    """App Home: your key results, kudos you received, and the company's objectives."""
    blocks: list[Block] = [Header(f"Hi {name.split()[0] if name.strip() else name} 👋 · {quarter}")]
    if next_prompt:
        blocks.append(Context(f"Your next check-in prompt: {next_prompt}"))
    blocks.append(Actions((Button("Check-in settings", PREFERENCES, ""),)))
    blocks.append(Header("Your key results"))
    if statuses:
        blocks.extend(_own_blocks(statuses))
        blocks.append(Actions((Button("Check in now", CHECK_IN, "", ButtonStyle.PRIMARY),)))
    else:
        blocks.append(Text("You own no key results this quarter."))
    blocks.append(Divider())
    blocks.append(Header(f"Kudos you received this quarter ({len(kudos)})"))
    if kudos:
        for item in kudos[:MAX_KUDOS]:
            blocks.append(Text(f"🙌 **{item.giver}**: {item.message}"))
        if len(kudos) > MAX_KUDOS:
            blocks.append(Context(f"…and {len(kudos) - MAX_KUDOS} more."))
    else:
        blocks.append(Context("None yet. Recognise someone with `/kudos @name thanks for …`."))
    blocks.append(Divider())
    blocks.append(Header("Company objectives"))
    if company:
        for objective in company[:MAX_COMPANY_OBJECTIVES]:
            score = objective_score(objective.key_results)
            progress = f"{progress_bar(score)} {round(score * 100)}%" if score is not None else ""
            blocks.append(Text(f"**{objective.title}**\n{progress}".rstrip()))
    else:
        blocks.append(Context("No company objectives for this quarter yet."))
    blocks.append(
        Context("OKRs are visible to everyone; check-in notes stay between you and your manager.")
    )
    return Message(summary="okrbot home", blocks=tuple(blocks[:100]))


def help_message(
    okr_command: str, kudos_command: str, settings: str = "the Home tab's Check-in settings"
) -> Message:
    return Message(
        summary="How to use okrbot",
        blocks=(
            Header("okrbot help"),
            Text(
                f"`{okr_command}` — your objectives and key results, with progress\n"
                + "".join(f"{line}\n" for line in browse_help(okr_command))
                + f"`{okr_command} checkin` — check in on your key results now\n"
                f"`{okr_command} help` — this help\n"
                f"`{kudos_command} @someone thanks for … #value` — recognise a colleague\n"
                f"{settings} — choose your check-in day and time, or pause while you are away"
            ),
            Context(
                "Every week I ask you, at your local time, how your key results are going. "
                "Your answers go to you and your manager only."
            ),
        ),
    )
