"""The Home built in the core (bot/home.py) at its limits: with many short items every section
runs into its share of blocks (the end-to-end tests, with long titles, run into the text
shares), and the Home still has at most 100 blocks, passes slack_sdk's View model and is a valid
Adaptive Card under 80 KB. And the alignment tree survives data that loops."""

from __future__ import annotations

from okrbot.adapters.slack import render as slack
from okrbot.adapters.slack.blockkit_limits import view_problems
from okrbot.adapters.teams import render as teams
from okrbot.bot.browse import Shown
from okrbot.bot.checkins import KeyResultStatus
from okrbot.bot.domain import KeyResult, KeyResultType, Level, Objective
from okrbot.bot.home import HomeData, Team, alignment_tree, home
from okrbot.bot.overview import ReceivedKudos
from tests.card_schema import card_problems, card_size


def objective(n: int, level: Level, parent: int | None = None, key_results: int = 2) -> Objective:
    return Objective(
        id=n,
        quarter="2026-Q4",
        title=f"O{n}",
        owner_id=n % 7,
        level=level,
        parent_id=parent,
        key_results=tuple(
            KeyResult(n * 100 + k, n, f"K{k}", n % 7, KeyResultType.NUMBER, 0, 10, k)
            for k in range(key_results)
        ),
    )


def crowded() -> HomeData:
    roots = [objective(n, Level.COMPANY) for n in range(1, 61)]
    teams_ = [objective(1000 + n, Level.TEAM, parent=1 + n % 60) for n in range(120)]
    deep = [objective(5000 + n, Level.PERSONAL, parent=1000 + n % 120) for n in range(300)]
    own = [objective(9000 + n, Level.PERSONAL, key_results=3) for n in range(80)]
    return HomeData(
        name="Ana Lima",
        quarter="2026-Q4",
        command="/okr",
        kudos_command="/kudos",
        statuses=[KeyResultStatus(kr, o) for o in own for kr in o.key_results],
        next_prompt="Monday 16 November, 10:00 (EST)",
        kudos=[ReceivedKudos(f"P{n}", "Thanks") for n in range(60)],
        team=Team(
            manager="Mia Boss",
            peers=tuple(f"P{n}" for n in range(50)),
            reports=tuple(f"R{n}" for n in range(50)),
            objectives=tuple(Shown(o, "P1") for o in teams_),
        ),
        company=alignment_tree(roots, [*roots, *teams_, *deep]),
        owners={n: f"P{n}" for n in range(7)},
    )


def test_every_section_at_its_block_share_still_fits_slack_and_teams() -> None:
    message = home(crowded())
    view = slack.home_view(message)
    assert len(message.blocks) == len(view["blocks"]) <= 100
    assert len(message.blocks) >= 95  # each section did fill its share
    assert view_problems(view) == []
    card = teams.message_card(message)
    assert card_problems(card) == [] and card_size(card) < 80_000
    shown = "\n".join(getattr(block, "text", "") for block in message.blocks)
    assert "…and 60 more objectives: `/okr` lists them all." in shown
    assert "…and 50 more." in shown  # kudos
    assert "You lead R0, R1," in shown and "R11 and 38 more." in shown
    assert "more: `/okr team` shows them all." in shown
    assert "more company objectives: `/okr company` shows them." in shown
    assert "+ 3 more objectives support it (P2, P3, P4): `/okr @name` shows them" in shown


def test_an_alignment_loop_places_each_objective_once() -> None:
    a = objective(1, Level.COMPANY, parent=3)
    b = objective(2, Level.TEAM, parent=1)
    c = objective(3, Level.PERSONAL, parent=2)
    [tree] = alignment_tree([a], [a, b, c])
    assert [o.id for o in tree.below()] == [2, 3]
    assert tree.supporters[0].supporters[0].supporters == ()
