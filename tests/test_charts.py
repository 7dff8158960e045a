"""Progress charts: real PNGs, the same bytes for the same data."""

from __future__ import annotations

from okrbot.bot.charts import PNG_SIGNATURE, ProgressSeries, progress_chart, progress_series
from okrbot.bot.domain import KeyResult, KeyResultType
from okrbot.bot.quarters import Quarter

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
