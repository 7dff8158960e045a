"""A person's quarter in one picture: each key result's progress week by week against the pace
a steady key result would keep.

Built with matplotlib's object API and the Agg canvas, never pyplot, so that charts drawn side by
side in a server share no global state and a figure is garbage once its function returns. The
PNG carries no software or date metadata, so the same data always gives the same bytes (archives
and caches can compare them).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from okrbot.bot.domain import KeyResult
from okrbot.bot.quarters import Quarter
from okrbot.bot.scoring import key_result_progress
from okrbot.bot.summaries import PersonQuarter

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.5, 100
TITLE_MAX = 40
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True, slots=True)
class ProgressSeries:
    """One key result's progress (0.0–1.0) per week of the quarter; None before its first
    check-in, so the line starts where reporting started instead of at an invented zero."""

    title: str
    points: tuple[float | None, ...]


def progress_series(
    kr: KeyResult, values: dict[str, float], weeks: Sequence[str]
) -> ProgressSeries:
    """Weekly progress from check-in values by week; a missed week keeps the last value."""
    points: list[float | None] = []
    last: float | None = None
    for week in weeks:
        if week in values:
            last = key_result_progress(kr, values[week])
        points.append(last)
    return ProgressSeries(kr.title, tuple(points))


def _short(title: str) -> str:
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…"


def progress_chart(person_name: str, quarter: Quarter, series: Sequence[ProgressSeries]) -> bytes:
    """A PNG of each key result's progress over the quarter's weeks, with the expected pace."""
    weeks = quarter.weeks()
    count = max([len(weeks), *(len(s.points) for s in series)])
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    last = max(count - 1, 1)
    axes.plot(
        [0, last], [0, 100], linestyle="--", color="#999999", linewidth=1, label="steady pace"
    )
    for item in series:
        xs = [i for i, point in enumerate(item.points) if point is not None]
        ys = [item.points[i] * 100 for i in xs]  # type: ignore[operator]
        axes.plot(xs, ys, marker="o", markersize=3, linewidth=1.5, label=_short(item.title))
    axes.set_xlim(0, last)
    axes.set_ylim(0, 105)
    axes.yaxis.set_major_formatter(PercentFormatter())
    ticks = list(range(0, count, 2))
    axes.set_xticks(ticks)
    axes.set_xticklabels([f"W{weeks[i].split('-W')[1]}" if i < len(weeks) else "" for i in ticks])
    axes.set_title(f"{person_name} · {quarter.id}", fontsize=11)
    axes.grid(True, alpha=0.3)
    axes.legend(loc="upper left", fontsize=7, frameon=False)
    # Fixed margins instead of tight_layout, which measures every text and doubles the time.
    figure.subplots_adjust(left=0.08, right=0.98, top=0.92, bottom=0.08)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def person_chart(person: PersonQuarter, quarter: Quarter) -> bytes:
    """One person's quarter chart: every key result they own, from its weekly check-ins."""
    weeks = quarter.weeks()
    series = [
        progress_series(item.key_result, {c.period: c.value for c in item.checkins}, weeks)
        for objective in person.objectives
        for item in objective.key_results
    ]
    return progress_chart(person.person.name, quarter, series)
