"""What a person sees when they ask: their OKRs (`/okr`, Teams `okr`) and help. The Home (Slack's
App Home, Teams' `home` card) is bot/home.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from okrbot.bot.browse import help_lines as browse_help
from okrbot.bot.checkins import CHECK_IN, KeyResultStatus, describe
from okrbot.bot.drafts import help_line as draft_help
from okrbot.bot.kudos import received_blocks
from okrbot.bot.messages import (
    Actions,
    Block,
    Button,
    ButtonStyle,
    Context,
    Header,
    Message,
    Text,
)

# A message holds at most 50 blocks; this leaves room for the header and the buttons.
MAX_OWN_KEY_RESULTS = 45


@dataclass(frozen=True, slots=True)
class ReceivedKudos:
    giver: str
    message: str


def _public(status: KeyResultStatus) -> str:
    """A key result as everyone may see it, as browse shows it: progress and the last
    confidence, never the note that came with it."""
    last = status.last_checkin
    felt = last.confidence.label if last is not None else "no check-in yet"
    return f"{describe(status, private=False)} · {felt}"


def _own_blocks(statuses: Sequence[KeyResultStatus], private: bool = True) -> list[Block]:
    blocks: list[Block] = []
    current_objective: int | None = None
    for status in statuses[:MAX_OWN_KEY_RESULTS]:
        if status.objective.id != current_objective:
            current_objective = status.objective.id
            blocks.append(Text(f"🎯 **{status.objective.title}**"))
        blocks.append(Text(describe(status) if private else _public(status)))
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
    """`okr` where others read along: the key results, their progress and last confidence,
    which everyone may see (as in a browse answer); never a check-in's note."""
    if not statuses:
        return Message(
            summary=f"{name} owns no key results in {quarter}",
            blocks=(Text(f"{name} owns no key results in {quarter}."),),
        )
    blocks: list[Block] = [Header(f"{name}'s OKRs · {quarter}")]
    blocks.extend(_own_blocks(statuses, private=False))
    blocks.append(
        Context("OKRs and confidence are visible to everyone; check-in notes stay private.")
    )
    return Message(summary=f"{name}'s OKRs for {quarter}", blocks=tuple(blocks[:50]))


def help_message(
    okr_command: str,
    kudos_command: str,
    settings: str = "the Home tab's Check-in settings",
    home: str = "okrbot's Home tab",
    team_channel: str | None = None,
) -> Message:
    """What okrbot can do, with each platform's way to ask: `team_channel` is how a manager
    chooses their team's update channel (Slack: `/okr channel`)."""
    team_channel = team_channel or f"`{okr_command} channel`"
    return Message(
        summary="How to use okrbot",
        blocks=(
            Header("okrbot help"),
            Text(
                f"`{okr_command}` — your objectives and key results, with progress\n"
                + "".join(f"{line}\n" for line in browse_help(okr_command))
                + f"`{okr_command} checkin` — check in on your key results now\n"
                + f"{draft_help(okr_command)}\n"
                f"`{okr_command} 1on1 @someone` — your private 1:1 agenda with your manager or a "
                f"direct report; `{okr_command} agenda add @someone …` adds to it\n"
                f"`{okr_command} help` — this help\n"
                f"`{kudos_command} @someone thanks for … #value` — recognise a colleague\n"
                f"{home} — your key results, kudos, your team's and the company's OKRs\n"
                f"{settings} — choose your check-in day and time, or pause while you are away\n"
                f"{team_channel} — managers: post your team's OKRs to a channel each week"
            ),
            Context(
                "Every week I ask you, at your local time, how your key results are going. "
                "Your answers go to you and your manager only."
            ),
        ),
    )
