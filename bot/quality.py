"""Gentle checks on how OKRs are written, shown when they are drafted and in digests.

They are hints, not rules: an owner can keep an OKR as it is. Each names the objective or key
result it is about so that a message can stand on its own in a chat thread.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from okrbot.bot.domain import KeyResult, Objective

MAX_KEY_RESULTS = 5
MAX_OBJECTIVES = 5

# Imperative verbs that usually open a to-do rather than an outcome. Outcome verbs such as
# "increase", "reduce" or "grow" are deliberately absent.
TASK_VERBS = frozenset(
    {
        "add",
        "build",
        "complete",
        "conduct",
        "create",
        "deliver",
        "deploy",
        "design",
        "develop",
        "document",
        "draft",
        "finish",
        "hire",
        "implement",
        "install",
        "integrate",
        "introduce",
        "launch",
        "migrate",
        "organise",
        "organize",
        "prepare",
        "publish",
        "refactor",
        "release",
        "rewrite",
        "ship",
        "write",
    }
)
TASK_PHRASES = ("set up", "roll out")

_WORD = re.compile(r"[a-z]+(?:-[a-z]+)?")


@dataclass(frozen=True, slots=True)
class QualityWarning:
    code: str
    message: str
    objective_id: int | None
    key_result_id: int | None


def reads_like_task(title: str) -> bool:
    """A title with no number that opens with a task verb ("Launch the new onboarding flow")."""
    if any(ch.isdigit() for ch in title):
        return False
    words = _WORD.findall(title.lower())
    if not words:
        return False
    if words[0] in TASK_VERBS or words[0] == "setup":
        return True
    return " ".join(words[:2]) in TASK_PHRASES


def _key_result_warnings(objective: Objective, kr: KeyResult) -> list[QualityWarning]:
    warnings: list[QualityWarning] = []
    if kr.is_milestone:
        return warnings
    if kr.target == kr.start:
        warnings.append(
            QualityWarning(
                "target_equals_start",
                f"Key result '{kr.title}' has the same start and target, so there is no change "
                "to measure; set a target that differs from where it starts.",
                objective.id,
                kr.id,
            )
        )
    if reads_like_task(kr.title):
        warnings.append(
            QualityWarning(
                "reads_like_task",
                f"Key result '{kr.title}' reads like a task; a key result should name a "
                "measurable outcome, e.g. 'from X to Y'.",
                objective.id,
                kr.id,
            )
        )
    return warnings


def okr_warnings(objectives: Sequence[Objective]) -> list[QualityWarning]:
    """Writing hints for a set of objectives, in objective order, then per-owner ones."""
    warnings: list[QualityWarning] = []
    by_owner: dict[tuple[int, str], list[Objective]] = defaultdict(list)
    for objective in objectives:
        by_owner[(objective.owner_id, objective.quarter)].append(objective)
        count = len(objective.key_results)
        if count == 0:
            warnings.append(
                QualityWarning(
                    "no_key_results",
                    f"Objective '{objective.title}' has no key results yet; add two to five "
                    "that would show it was achieved.",
                    objective.id,
                    None,
                )
            )
        elif count > MAX_KEY_RESULTS:
            warnings.append(
                QualityWarning(
                    "too_many_key_results",
                    f"Objective '{objective.title}' has {count} key results; at most "
                    f"{MAX_KEY_RESULTS} keep the focus on what matters most.",
                    objective.id,
                    None,
                )
            )
        for kr in objective.key_results:
            warnings.extend(_key_result_warnings(objective, kr))
    for (_, quarter), owned in by_owner.items():
        if len(owned) > MAX_OBJECTIVES:
            titles = ", ".join(f"'{o.title}'" for o in owned)
            warnings.append(
                QualityWarning(
                    "too_many_objectives",
                    f"One owner has {len(owned)} objectives in {quarter} ({titles}); at most "
                    f"{MAX_OBJECTIVES} keep the quarter focused.",
                    None,
                    None,
                )
            )
    return warnings
