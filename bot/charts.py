"""A person's quarter in one picture: each key result's progress week by week against the pace
a steady key result would keep.

Built with matplotlib's object API and the Agg canvas, never pyplot, so that charts drawn side by
side in a server share no global state and a figure is garbage once its function returns. The
PNG carries no software or date metadata, so the same data always gives the same bytes (archives
and caches can compare them).
"""

from __future__ import annotations

import io
import textwrap
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
LEGEND_WRAP = 60  # characters per legend line
LEGEND_FONT_SIZE = 9  # points: 12-13 px at 100 dpi
LEGEND_ROW_IN = 0.19
LEGEND_PAD_IN = 0.15
EXPECTATION_COLOUR = "#4a7c59"
Y_MIN, Y_MAX = -5, 108
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True, slots=True)
class ProgressSeries:
    """One key result's progress (0.0–1.0) per week of the quarter; None before its first
    check-in, so the line starts where reporting started instead of at an invented zero.
    `checked` says which weeks had a check-in: only those get a marker, and a missed week
    carries the line on without pretending to be a data point."""

    title: str
    points: tuple[float | None, ...]
    checked: tuple[bool, ...] = ()

    def marked(self) -> list[int]:
        """Indexes of the weeks drawn with a marker: the weeks that had a check-in."""
        flags = self.checked or tuple(p is not None for p in self.points)
        return [
            i
            for i, (point, flag) in enumerate(zip(self.points, flags, strict=True))
            if flag and point is not None
        ]


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
    return ProgressSeries(kr.title, tuple(points), tuple(week in values for week in weeks))


def _legend_label(title: str) -> str:
    """A key result's title for the legend: whole, wrapped, up to two lines."""
    lines = textwrap.wrap(title, LEGEND_WRAP) or [""]
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), LEGEND_WRAP, placeholder="…")]
    return "\n".join(lines)


def progress_figure(person_name: str, quarter: Quarter, series: Sequence[ProgressSeries]) -> Figure:
    """Each key result's progress over the quarter's weeks, against the steady pace and the
    0.7 and 1.0 marks a manager reads scores by; the legend sits under the plot, readable."""
    weeks = quarter.weeks()
    count = max([len(weeks), *(len(s.points) for s in series)])
    labels = [_legend_label(item.title) for item in series]
    rows = 1 + sum(label.count("\n") + 1 for label in labels)  # "steady pace" first
    legend_height = LEGEND_ROW_IN * rows + LEGEND_PAD_IN
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN + legend_height), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    last = max(count - 1, 1)
    axes.plot(
        [0, last], [0, 100], linestyle="--", color="#999999", linewidth=1, label="steady pace"
    )
    for level, label in ((70, "0.7 good stretch"), (100, "1.0 achieved")):
        axes.axhline(level, color=EXPECTATION_COLOUR, linewidth=0.8, linestyle=":")
        axes.annotate(
            label,
            (0.995, level),
            xycoords=("axes fraction", "data"),
            ha="right",
            va="bottom",
            fontsize=8,
            color=EXPECTATION_COLOUR,
        )
    for item, label in zip(series, labels, strict=True):
        xs = [i for i, point in enumerate(item.points) if point is not None]
        ys = [item.points[i] * 100 for i in xs]  # type: ignore[operator]
        marked = set(item.marked())
        axes.plot(
            xs,
            ys,
            marker="o",
            markersize=4,
            markevery=[n for n, i in enumerate(xs) if i in marked],
            linewidth=1.5,
            label=label,
        )
    axes.set_xlim(0, last)
    # Below zero and above 100%, so a milestone not yet done (0%) and one done (100%) show
    # as lines instead of disappearing into the frame.
    axes.set_ylim(Y_MIN, Y_MAX)
    axes.yaxis.set_major_formatter(PercentFormatter())
    ticks = list(range(0, count, 2))
    axes.set_xticks(ticks)
    axes.set_xticklabels([f"W{weeks[i].split('-W')[1]}" if i < len(weeks) else "" for i in ticks])
    axes.set_title(f"{person_name} · {quarter.id}", fontsize=11)
    axes.grid(True, alpha=0.3)
    # Fixed margins instead of tight_layout, which measures every text and doubles the time.
    height = HEIGHT_IN + legend_height
    figure.subplots_adjust(
        left=0.08, right=0.98, top=1 - 0.35 / height, bottom=(legend_height + 0.4) / height
    )
    figure.legend(
        loc="lower left",
        bbox_to_anchor=(0.07, 0.0),
        fontsize=LEGEND_FONT_SIZE,
        frameon=False,
    )
    return figure


def progress_chart(person_name: str, quarter: Quarter, series: Sequence[ProgressSeries]) -> bytes:
    """A PNG of `progress_figure`."""
    figure = progress_figure(person_name, quarter, series)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def person_series(person: PersonQuarter, quarter: Quarter) -> list[ProgressSeries]:
    weeks = quarter.weeks()
    return [
        progress_series(item.key_result, {c.period: c.value for c in item.checkins}, weeks)
        for objective in person.objectives
        for item in objective.key_results
    ]


def person_chart(person: PersonQuarter, quarter: Quarter) -> bytes | None:
    """One person's quarter chart from their key results' weekly check-ins; None when they
    owned no key results, as an empty chart says nothing."""
    series = person_series(person, quarter)
    return progress_chart(person.person.name, quarter, series) if series else None
