from __future__ import annotations

import pytest

from okrbot.bot.domain import KeyResult, KeyResultType, Level, Objective
from okrbot.bot.quality import QualityWarning, okr_warnings, reads_like_task


def kr(
    id: int,
    title: str = "Grow weekly active teams from 40 to 60",
    start: float = 40,
    target: float = 60,
    kr_type: KeyResultType = KeyResultType.NUMBER,
) -> KeyResult:
    return KeyResult(
        id=id,
        objective_id=1,
        title=title,
        owner_id=1,
        type=kr_type,
        start=start,
        target=target,
        current=start,
    )


def objective(
    id: int = 1,
    key_results: tuple[KeyResult, ...] | None = None,
    owner_id: int = 1,
    quarter: str = "2026-Q4",
    title: str = "Delight new customers",
) -> Objective:
    return Objective(
        id=id,
        quarter=quarter,
        title=title,
        owner_id=owner_id,
        level=Level.TEAM,
        key_results=(kr(id * 100),) if key_results is None else key_results,
    )


def codes(warnings: list[QualityWarning]) -> list[str]:
    return [w.code for w in warnings]


def test_a_well_formed_okr_has_no_warnings() -> None:
    assert okr_warnings([objective()]) == []
    assert okr_warnings([]) == []


def test_objective_without_key_results() -> None:
    warnings = okr_warnings([objective(7, key_results=())])
    assert warnings == [
        QualityWarning(
            "no_key_results",
            warnings[0].message,
            7,
            None,
        )
    ]
    assert "'Delight new customers'" in warnings[0].message


@pytest.mark.parametrize(("count", "warned"), [(1, False), (5, False), (6, True), (9, True)])
def test_too_many_key_results(count: int, warned: bool) -> None:
    krs = tuple(kr(i) for i in range(count))
    warnings = okr_warnings([objective(key_results=krs)])
    assert ("too_many_key_results" in codes(warnings)) is warned
    if warned:
        assert f"has {count} key results" in warnings[0].message
        assert warnings[0].objective_id == 1


@pytest.mark.parametrize(
    ("start", "target", "kr_type", "warned"),
    [
        (10, 10, KeyResultType.NUMBER, True),
        (0, 0, KeyResultType.PERCENT, True),
        (0, 0, KeyResultType.MILESTONE, False),
        (10, 20, KeyResultType.NUMBER, False),
        (20, 10, KeyResultType.NUMBER, False),
    ],
)
def test_target_equals_start(
    start: float, target: float, kr_type: KeyResultType, warned: bool
) -> None:
    key_result = kr(3, "Hold NPS at 40", start, target, kr_type)
    warnings = okr_warnings([objective(key_results=(key_result,))])
    assert ("target_equals_start" in codes(warnings)) is warned
    if warned:
        assert warnings[0].key_result_id == 3
        assert warnings[0].objective_id == 1
        assert "'Hold NPS at 40'" in warnings[0].message


@pytest.mark.parametrize(
    ("count", "warned"),
    [(5, False), (6, True)],
)
def test_too_many_objectives_per_owner_per_quarter(count: int, warned: bool) -> None:
    objectives = [objective(i, title=f"Objective {i}") for i in range(1, count + 1)]
    warnings = okr_warnings(objectives)
    assert codes(warnings) == (["too_many_objectives"] if warned else [])
    if warned:
        assert warnings[0].objective_id is None
        assert "6 objectives in 2026-Q4" in warnings[0].message
        assert "'Objective 6'" in warnings[0].message


def test_objective_limit_counts_owner_and_quarter_separately() -> None:
    objectives = [objective(i, owner_id=1) for i in range(1, 4)]
    objectives += [objective(i, owner_id=2) for i in range(4, 7)]
    objectives += [objective(i, owner_id=1, quarter="2027-Q1") for i in range(7, 10)]
    assert okr_warnings(objectives) == []


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Launch the new onboarding flow", True),
        ("build a partner portal", True),
        ("Set up SSO for enterprise customers", True),
        ("Setup SSO", True),
        ("Roll out the new pricing page", True),
        ("Hire a support lead", True),
        ("Migrate billing to Stripe", True),
        ("  Ship dark mode.", True),
        ("Launch in 3 new markets", False),
        ("Hire 2 support engineers", False),
        ("Reduce churn from 3.5% to 2%", False),
        ("Increase NPS", False),
        ("Customers love onboarding", False),
        ("Shipping velocity doubles", False),
        ("", False),
    ],
)
def test_reads_like_task(title: str, expected: bool) -> None:
    assert reads_like_task(title) is expected


@pytest.mark.parametrize(
    ("title", "kr_type", "warned"),
    [
        ("Launch the new onboarding flow", KeyResultType.NUMBER, True),
        ("Implement usage-based billing", KeyResultType.CURRENCY, True),
        ("Launch the new onboarding flow", KeyResultType.MILESTONE, False),
        ("Launch in 3 new markets", KeyResultType.NUMBER, False),
        ("Grow activation from 20% to 35%", KeyResultType.PERCENT, False),
    ],
)
def test_task_phrased_key_results(title: str, kr_type: KeyResultType, warned: bool) -> None:
    key_result = kr(4, title, 0, 1, kr_type)
    warnings = okr_warnings([objective(key_results=(key_result,))])
    assert codes(warnings) == (["reads_like_task"] if warned else [])
    if warned:
        message = warnings[0].message
        assert f"'{title}'" in message
        assert "reads like a task" in message
        assert "from X to Y" in message
        assert (warnings[0].objective_id, warnings[0].key_result_id) == (1, 4)


def test_warnings_come_in_objective_order() -> None:
    empty = objective(1, key_results=(), title="First")
    task = objective(2, key_results=(kr(21, "Write the handbook"),), title="Second")
    warnings = okr_warnings([empty, task])
    assert [(w.code, w.objective_id) for w in warnings] == [
        ("no_key_results", 1),
        ("reads_like_task", 2),
    ]


def test_quality_warning_is_frozen() -> None:
    warning = QualityWarning("code", "message", 1, None)
    with pytest.raises(AttributeError):
        warning.code = "other"  # type: ignore[misc]
