"""Progress charts: real PNGs, the same bytes for the same data."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from okrbot.bot.charts import (
    PNG_SIGNATURE,
    ProgressSeries,
    person_chart,
    progress_chart,
    progress_figure,
    progress_series,
)
from okrbot.bot.domain import KeyResult, KeyResultType, Person
from okrbot.bot.quarters import Quarter
from okrbot.bot.summaries import PersonQuarter

QUARTER = Quarter(2026, 4)


def series() -> list[ProgressSeries]:
    kr = KeyResult(
        1,
        1,
        "Grow weekly active users from 1,000 to 5,000 " * 2,
        2,
        KeyResultType.NUMBER,
        1000,
        5000,
        3000,
    )
    weeks = QUARTER.weeks()
    values = {weeks[1]: 1200.0, weeks[2]: 1800.0, weeks[5]: 3000.0}
    return [progress_series(kr, values, weeks), ProgressSeries("Ship", (0.0, 0.5, 1.0))]


def test_chart_is_a_png() -> None:
    png = progress_chart("Ana Lima", QUARTER, series())
    assert png.startswith(PNG_SIGNATURE)
    assert b"Software" not in png


def test_same_data_gives_the_same_bytes() -> None:
    assert progress_chart("Ana Lima", QUARTER, series()) == progress_chart(
        "Ana Lima", QUARTER, series()
    )
    assert progress_chart("Ana Lima", QUARTER, series()) != progress_chart(
        "Ana Lima", QUARTER, series()[:1]
    )


def test_series_starts_at_the_first_check_in_and_carries_missed_weeks() -> None:
    points = series()[0].points
    assert points[0] is None
    assert points[1:6] == (0.05, 0.2, 0.2, 0.2, 0.5)
    assert points[-1] == 0.5
    assert len(points) == len(QUARTER.weeks())


def test_chart_without_key_results_still_draws() -> None:
    assert progress_chart("Ben", QUARTER, []).startswith(PNG_SIGNATURE)


def lines_by_label(figure: Figure) -> dict[str, Line2D]:
    [axes] = figure.axes
    return {str(line.get_label()): line for line in axes.get_lines()}


def test_only_weeks_with_a_check_in_are_drawn_as_points() -> None:
    figure = progress_figure("Ana Lima", QUARTER, series())
    grow = next(line for label, line in lines_by_label(figure).items() if label.startswith("Grow"))
    xs = list(grow.get_xdata())
    assert xs == list(range(1, len(QUARTER.weeks())))  # the line carries on to the end
    assert [xs[i] for i in grow.get_markevery()] == [1, 2, 5]  # markers: the three check-ins


def test_a_milestone_not_yet_done_stays_visible_above_the_axis() -> None:
    milestone = KeyResult(2, 1, "Publish the guide", 2, KeyResultType.MILESTONE, 0, 1, 0)
    weeks = QUARTER.weeks()
    figure = progress_figure("Ana", QUARTER, [progress_series(milestone, {weeks[1]: 0.0}, weeks)])
    [axes] = figure.axes
    bottom, top = axes.get_ylim()
    assert bottom < 0 and top > 100


def test_the_legend_is_readable_and_whole_and_the_expectations_are_drawn() -> None:
    figure = progress_figure("Ana Lima", QUARTER, series())
    [legend] = figure.legends
    texts = [text.get_text() for text in legend.get_texts()]
    title = "Grow weekly active users from 1,000 to 5,000 " * 2
    assert texts[0] == "steady pace"
    assert texts[1].replace("\n", " ").startswith(title.strip()[:100])
    assert all(text.get_fontsize() >= 9 for text in legend.get_texts())
    [axes] = figure.axes
    levels = {tuple(line.get_ydata()) for line in axes.get_lines() if line.get_linestyle() == ":"}
    assert levels == {(70, 70), (100, 100)}


def test_no_chart_for_someone_without_key_results() -> None:
    nobody = PersonQuarter(Person(3, "ben@example.com", "Ben", 1), (), 0, 0)
    assert person_chart(nobody, QUARTER) is None
