"""Scaling: run a benchmark at 1×, 4× and 16× a base size and say how its cost grows.

A cost that is linear in the size (seconds to import N people) should grow 4× per 4× step; a
cost that should not depend on the size at all (ack latency against N people in the database)
should not grow. `growth` puts both on one scale: 1.0 per step is as expected, 2.0 means twice
worse than expected (e.g. quadratic over a 4× step is 4.0), and under 1.0 means fixed costs
that the larger size amortises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

FACTORS = (1, 4, 16)
Expected = Literal["linear", "flat"]


@dataclass(frozen=True)
class Step:
    factor: int
    size: int
    cost: float


@dataclass(frozen=True)
class Scaling:
    benchmark: str
    measure: str  # what `cost` is, with its unit
    expected: Expected
    steps: tuple[Step, ...]

    @property
    def growth(self) -> list[float]:
        """Per step: the cost's growth divided by the expected growth (1.0: as expected)."""
        ratios = []
        for before, after in pairwise(self.steps):
            ratio = after.cost / before.cost if before.cost else float("inf")
            if self.expected == "linear":
                ratio /= after.size / before.size
            ratios.append(ratio)
        return ratios


def scale(
    benchmark: str,
    measure: str,
    expected: Expected,
    base: int,
    run: Callable[[int], float],
    factors: Sequence[int] = FACTORS,
) -> Scaling:
    """Call `run(size)` for each factor × base, smallest first; it returns the cost."""
    steps = tuple(Step(factor, base * factor, run(base * factor)) for factor in factors)
    return Scaling(benchmark, measure, expected, steps)


def describe(scaling: Scaling, unit: str = "") -> str:
    costs = " → ".join(f"{step.cost:.3g}{unit}" for step in scaling.steps)
    growth = ", ".join(f"{ratio:.2f}" for ratio in scaling.growth)
    ideal = "linear" if scaling.expected == "linear" else "flat"
    return f"{scaling.measure}: {costs}; growth per step {growth} (1.0 = {ideal})"
