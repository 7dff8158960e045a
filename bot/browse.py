"""Browsing OKRs in chat: `/okr @person`, `/okr team [@manager]`, `/okr company`, `/okr <words>`.

OKRs are visible to everyone; what people write when they check in is not. A browse answer
therefore shows each objective's kind, score, owner and alignment, and each key result's
progress and last confidence, and is built only from values that carry no note, blocker,
reflection or digest: the caller hands over confidences, never check-ins.

The request is parsed here once for every platform: an adapter passes the words typed after
the command and the mentions its platform found in them, and resolves the one mention named.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from okrbot.bot.checkins import KeyResultStatus, where_it_stands
from okrbot.bot.domain import Confidence, KeyResult, Objective
from okrbot.bot.kudos import Mention
from okrbot.bot.messages import Context, Header, Message
from okrbot.bot.paging import MAX_PAGE_TEXT, paginate, text_blocks
from okrbot.bot.scoring import objective_score, progress_bar

# The words after the command that mean something other than a search: the person's own
# commands (`kudos`, `settings` and `home` are Teams', and answered as unknown by Slack's `/okr`).
OWN_COMMANDS = frozenset(
    {"", "help", "?", "checkin", "check-in", "kudos", "settings", "home", "1on1", "agenda"}
)
NEW = "new"  # alone: draft a personal OKR; `new customers` is still a search
TEAM = "team"
COMPANY = "company"
# A search matching half the company would be a wall of messages; past this many objectives
# the answer says how many more there are and asks for narrower words.
MAX_OBJECTIVES = 100
PRIVACY_NOTE = (
    "OKRs are visible to everyone; check-in notes stay between each person and their manager."
)


class Scope(enum.StrEnum):
    PERSON = "person"
    TEAM = "team"
    COMPANY = "company"
    SEARCH = "search"


@dataclass(frozen=True, slots=True)
class BrowseRequest:
    """What someone asked to see. `mention` is the platform's mention of the person (or manager)
    named; `name` is an `@name` typed as plain text, which no platform turned into a mention."""

    scope: Scope
    mention: Mention | None = None
    name: str | None = None
    words: str = ""

    @property
    def named(self) -> str | None:
        """How the asker called the person they named, for an answer that they are unknown."""
        if self.mention is not None:
            return self.mention.name
        return self.name


def browse_request(text: str, mentions: Sequence[Mention]) -> BrowseRequest | None:
    """The browse request in the text typed after `/okr` (Teams: after `okr`), or None when it
    is one of the person's own commands (their OKRs, `checkin`, `help`)."""
    remaining = text
    for each in mentions:
        remaining = remaining.replace(each.token, " ")
    words = remaining.split()
    first = words[0].lower() if words else ""
    if first in OWN_COMMANDS and (first or not mentions):
        return None  # `okr kudos @ana …` is kudos, whoever it names
    if first == NEW and len(words) == 1 and not mentions:
        return None
    mention = mentions[0] if mentions else None
    typed = next((word for word in words if word.startswith("@") and len(word) > 1), None)
    if first == TEAM:
        name = typed if mention is None else None
        return BrowseRequest(Scope.TEAM, mention, name)
    if first == COMPANY and len(words) == 1 and mention is None:
        return BrowseRequest(Scope.COMPANY)
    if mention is not None:
        return BrowseRequest(Scope.PERSON, mention)
    if typed is not None and len(words) == 1:
        return BrowseRequest(Scope.PERSON, name=typed)
    return BrowseRequest(Scope.SEARCH, words=" ".join(words))


@dataclass(frozen=True, slots=True)
class Shown:
    """One objective as a browse answer shows it: who owns it, what it supports, what supports
    it, and the last confidence reported on each of its key results."""

    objective: Objective
    owner: str
    supports: str | None = None
    supported_by: tuple[str, ...] = ()
    confidence: Mapping[int, Confidence] = field(default_factory=dict)


def _key_result_line(objective: Objective, kr: KeyResult, confidence: Confidence | None) -> str:
    standing = where_it_stands(KeyResultStatus(kr, objective), private=False)
    felt = confidence.label if confidence is not None else "no check-in yet"
    return f"• {kr.title}: {standing} · {felt}"


def objective_lines(shown: Shown) -> list[str]:
    """An objective's lines: title, kind and score; owner and alignment; its key results."""
    objective = shown.objective
    score = objective_score(objective.key_results)
    scored = (
        f"{progress_bar(score)} {round(score * 100)}%" if score is not None else "no key results"
    )
    lines = [
        f"🎯 **{objective.title}**",
        f"{objective.kind.value.capitalize()} · {scored} · owner: {shown.owner}",
    ]
    if shown.supports:
        lines.append(f"↑ Supports: {shown.supports}")
    if shown.supported_by:
        lines.append(f"↓ Supported by: {', '.join(shown.supported_by)}")
    lines += [
        _key_result_line(objective, kr, shown.confidence.get(kr.id)) for kr in objective.key_results
    ]
    return lines


def browse_pages(title: str, objectives: Sequence[Shown]) -> list[Message]:
    """The answer in as many messages as it needs, each inside Slack's 50 blocks and a Teams
    card's size, every objective whole on one page where it fits; at most MAX_OBJECTIVES."""
    sections = [text_blocks(objective_lines(shown)) for shown in objectives[:MAX_OBJECTIVES]]
    pages = paginate(sections, reserved=2, max_text=MAX_PAGE_TEXT)
    left_out = len(objectives) - MAX_OBJECTIVES
    messages = []
    for number, blocks in enumerate(pages, start=1):
        heading = title if len(pages) == 1 else f"{title} · page {number} of {len(pages)}"
        note = PRIVACY_NOTE
        if number == len(pages) and left_out > 0:
            note = f"…and {left_out} more not shown here: narrow your search. {PRIVACY_NOTE}"
        messages.append(Message(heading, (Header(heading), *blocks, Context(note))))
    return messages


# -- one-line answers ------------------------------------------------------------------------


def unknown_person(named: str | None) -> Message:
    who = named or "that person"
    return Message.plain(
        f"I don't know {who}: okrbot only knows the people its admin imported, "
        "so there are no OKRs to show."
    )


def no_team(name: str) -> Message:
    return Message.plain(f"{name} has no team: nobody reports to them in okrbot.")


def no_objectives(whose: str, quarter: str) -> Message:
    """`whose`: "Ana Lima", "Mia Boss's team", "the company"."""
    return Message.plain(f"No objectives for {whose} in {quarter}.")


def no_match(words: str, quarter: str, command: str) -> Message:
    return Message.plain(
        f"No objective in {quarter} matches “{words[:100]}”. `{command} help` shows what I can do."
    )


def help_lines(command: str) -> list[str]:
    """The browse forms, for the help message."""
    return [
        f"`{command} @someone` — their objectives, with progress and alignment",
        f"`{command} team [@manager]` — a team's objectives (yours without a name)",
        f"`{command} company` — the company's objectives",
        f"`{command} <words>` — objectives whose title or key results mention the words",
    ]
