"""A person's Home: Slack's App Home tab, and Teams' Home card (`home`, and after install).

Top to bottom: their key results, the kudos they received this quarter, "My team" and the
company's alignment tree. OKRs are public (titles, progress, confidence); what people write when
they check in is not, and nothing here is built from it: the caller hands over objectives,
owners' names and confidences, never check-ins of other people.

"My team" is the team the person is in (their manager and everyone with that manager, the
person included) and, for a manager, the team they lead (their direct reports): what
`/okr team` shows from both sides at once. The company tree starts at the company objectives,
shows under each the objectives that support it (`parent:`), and collapses everything below
that second level into one line per objective: how many more support it, and whose they are.

A Slack Home view holds at most 100 blocks of at most 3000 characters each, and a Teams card
at most 80 KB; every section has its own share of both, and says what it left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from okrbot.bot.browse import Shown, objective_lines
from okrbot.bot.checkins import CHECK_IN, KeyResultStatus, describe
from okrbot.bot.domain import Objective
from okrbot.bot.kudos import safe_text
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
from okrbot.bot.overview import ReceivedKudos
from okrbot.bot.paging import clip, text_blocks, text_weight
from okrbot.bot.preferences import OPEN as PREFERENCES
from okrbot.bot.scoring import objective_score, progress_bar

MAX_BLOCKS = 100


@dataclass(frozen=True, slots=True)
class Share:
    """A section's share of the Home: blocks, and text as it travels in JSON."""

    blocks: int
    text: int


# Fixed blocks (headers, buttons, dividers, notes) take at most 17; these shares add up to 80.
# The text shares add up to 56 KB, which keeps a Teams card, structure included, under 80 KB.
OWN = Share(blocks=20, text=16_000)
KUDOS = Share(blocks=10, text=8_000)
TEAM = Share(blocks=25, text=16_000)
COMPANY = Share(blocks=25, text=16_000)
# Per item, so that one huge objective cannot take a section's whole share.
MAX_KEY_RESULT_LINES = 10
MAX_SUPPORTERS_SHOWN = 8
MAX_NAMES = 12


@dataclass(frozen=True, slots=True)
class Team:
    """The people around someone, by name: their manager, their peers (same manager), their
    direct reports; and the objectives any of them (or the person) own or contribute to."""

    manager: str | None = None
    peers: tuple[str, ...] = ()
    reports: tuple[str, ...] = ()
    objectives: tuple[Shown, ...] = ()

    @property
    def exists(self) -> bool:
        return self.manager is not None or bool(self.reports)


@dataclass(frozen=True, slots=True)
class Branch:
    """An objective in the alignment tree, with the objectives that support it."""

    objective: Objective
    supporters: tuple[Branch, ...] = ()

    def below(self) -> list[Objective]:
        """Every objective under this one, at any depth."""
        found: list[Objective] = []
        for supporter in self.supporters:
            found.append(supporter.objective)
            found.extend(supporter.below())
        return found


def alignment_tree(roots: Sequence[Objective], objectives: Sequence[Objective]) -> list[Branch]:
    """The tree under `roots` of the quarter's live `objectives`, by `parent_id`, each level in
    planned order; an objective is placed once even if the data loops."""
    children: dict[int, list[Objective]] = {}
    for objective in objectives:
        if objective.parent_id is not None:
            children.setdefault(objective.parent_id, []).append(objective)
    placed: set[int] = set()

    def grow(objective: Objective) -> Branch:
        placed.add(objective.id)
        below = [child for child in children.get(objective.id, []) if child.id not in placed]
        placed.update(child.id for child in below)
        return Branch(objective, tuple(grow(child) for child in below))

    return [grow(root) for root in roots if root.id not in placed]


@dataclass(frozen=True, slots=True)
class HomeData:
    name: str
    quarter: str
    command: str  # `/okr` on Slack, `okr` on Teams
    kudos_command: str  # `/kudos`, `kudos`
    statuses: Sequence[KeyResultStatus] = ()
    next_prompt: str | None = None
    kudos: Sequence[ReceivedKudos] = ()
    team: Team = field(default_factory=Team)
    company: Sequence[Branch] = ()
    owners: Mapping[int, str] = field(default_factory=dict)  # person id -> name


def _fit(groups: Sequence[Sequence[Block]], share: Share) -> tuple[list[Block], int]:
    """As many whole groups, in order, as fit the share; and how many did not."""
    shown: list[Block] = []
    weight = 0
    for index, group in enumerate(groups):
        size = sum(map(text_weight, group))
        if len(shown) + len(group) > share.blocks or weight + size > share.text:
            return shown, len(groups) - index
        shown.extend(group)
        weight += size
    return shown, 0


def _scored(objective: Objective) -> str:
    score = objective_score(objective.key_results)
    return f"{progress_bar(score)} {round(score * 100)}%" if score is not None else "no key results"


def _own_groups(statuses: Sequence[KeyResultStatus]) -> list[list[Block]]:
    """One group per objective: its title and the person's key results in it."""
    grouped: dict[int, list[KeyResultStatus]] = {}
    for status in statuses:
        grouped.setdefault(status.objective.id, []).append(status)
    groups = []
    for group in grouped.values():
        lines = [f"🎯 **{group[0].objective.title}**"]
        lines += [describe(status) for status in group[:MAX_KEY_RESULT_LINES]]
        if len(group) > MAX_KEY_RESULT_LINES:
            lines.append(f"…and {len(group) - MAX_KEY_RESULT_LINES} more key results")
        groups.append(text_blocks(lines))
    return groups


def _own(data: HomeData) -> list[Block]:
    blocks: list[Block] = [Header("Your key results")]
    if not data.statuses:
        return [*blocks, Text("You own no key results this quarter.")]
    shown, left = _fit(_own_groups(data.statuses), OWN)
    blocks.extend(shown)
    if left:
        blocks.append(Context(f"…and {left} more objectives: `{data.command}` lists them all."))
    blocks.append(Actions((Button("Check in now", CHECK_IN, "", ButtonStyle.PRIMARY),)))
    return blocks


def _kudos(data: HomeData) -> list[Block]:
    blocks: list[Block] = [Header(f"Kudos you received this quarter ({len(data.kudos)})")]
    if not data.kudos:
        return [
            *blocks,
            Context(f"None yet. Recognise someone: `{data.kudos_command} @name thanks for …`."),
        ]
    groups = [
        [Text(clip(f"🙌 **{safe_text(item.giver)}**: {item.message}"))] for item in data.kudos
    ]
    shown, left = _fit(groups, KUDOS)
    blocks.extend(shown)
    if left:
        blocks.append(Context(f"…and {left} more."))
    return blocks


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES])
    return shown + (f" and {len(names) - MAX_NAMES} more" if len(names) > MAX_NAMES else "")


def _team(data: HomeData) -> list[Block]:
    team = data.team
    blocks: list[Block] = [Header("My team")]
    if not team.exists:
        return [
            *blocks,
            Context(
                "You are in no team in okrbot: nobody is your manager or reports to you. "
                f"`{data.command} @someone` shows anyone's OKRs."
            ),
        ]
    who = []
    if team.manager is not None:
        who.append(f"You work with {_names([f'{team.manager} (your manager)', *team.peers])}.")
    if team.reports:
        who.append(f"You lead {_names(team.reports)}.")
    blocks.append(Context(" ".join(who)))
    if not team.objectives:
        return [*blocks, Context(f"No objectives for your team in {data.quarter} yet.")]
    groups = [text_blocks(_short(shown)) for shown in team.objectives]
    shown_blocks, left = _fit(groups, TEAM)
    blocks.extend(shown_blocks)
    if left:
        blocks.append(Context(f"…and {left} more: `{data.command} team` shows them all."))
    return blocks


def _short(shown: Shown) -> list[str]:
    """An objective as browse shows it, its key results cut to MAX_KEY_RESULT_LINES."""
    lines = objective_lines(shown)
    head = len(lines) - len(shown.objective.key_results)
    extra = len(shown.objective.key_results) - MAX_KEY_RESULT_LINES
    if extra <= 0:
        return lines
    return [*lines[: head + MAX_KEY_RESULT_LINES], f"• …and {extra} more key results"]


def _branch_lines(branch: Branch, owners: Mapping[int, str], command: str) -> list[str]:
    """A company objective, the objectives that support it, and below those a count."""
    objective = branch.objective
    owner = owners.get(objective.owner_id, "someone")
    lines = [f"🏢 **{objective.title}**", f"{_scored(objective)} · owner: {owner}"]
    for supporter in branch.supporters[:MAX_SUPPORTERS_SHOWN]:
        child = supporter.objective
        lines.append(
            f"↳ **{child.title}** · {_scored(child)} · {owners.get(child.owner_id, 'someone')}"
        )
        below = supporter.below()
        if below:
            whose = list(dict.fromkeys(owners.get(o.owner_id, "someone") for o in below))
            many = "objective supports" if len(below) == 1 else "objectives support"
            names = ", ".join(whose[:3]) + (" …" if len(whose) > 3 else "")
            lines.append(
                f"      + {len(below)} more {many} it ({names}): `{command} @name` shows them"
            )
    extra = len(branch.supporters) - MAX_SUPPORTERS_SHOWN
    if extra > 0:
        lines.append(f"↳ …and {extra} more supporting objectives: `{command} company` names them")
    return lines


def _company(data: HomeData) -> list[Block]:
    blocks: list[Block] = [Header("Company")]
    if not data.company:
        return [*blocks, Context(f"No company objectives for {data.quarter} yet.")]
    groups = [text_blocks(_branch_lines(b, data.owners, data.command)) for b in data.company]
    shown, left = _fit(groups, COMPANY)
    blocks.extend(shown)
    if left:
        blocks.append(
            Context(f"…and {left} more company objectives: `{data.command} company` shows them.")
        )
    return blocks


def home(data: HomeData) -> Message:
    """The Home: at most MAX_BLOCKS blocks, every text within 3000 characters."""
    first = data.name.split()[0] if data.name.strip() else data.name
    blocks: list[Block] = [Header(f"Hi {first} 👋 · {data.quarter}")]
    if data.next_prompt:
        blocks.append(Context(f"Your next check-in prompt: {data.next_prompt}"))
    blocks.append(Actions((Button("Check-in settings", PREFERENCES, ""),)))
    blocks += _own(data)
    blocks += [Divider(), *_kudos(data)]
    blocks += [Divider(), *_team(data)]
    blocks += [Divider(), *_company(data)]
    blocks.append(
        Context(
            "OKRs and each key result's last confidence are visible to everyone; check-in "
            "notes, blockers and reflections stay between you and your manager."
        )
    )
    return Message(summary="okrbot home", blocks=tuple(blocks))


def after_welcome(welcome: Message, home: Message) -> Message:
    """The welcome with the Home below it, in one message (Teams' install card): the Home's own
    greeting gives way to its title."""
    first, *rest = home.blocks or (Header(""),)
    title = first.text.split(" · ")[-1] if isinstance(first, Header) else ""
    return Message(
        welcome.summary, (*welcome.blocks, Divider(), Header(f"Your Home · {title}"), *rest)
    )
