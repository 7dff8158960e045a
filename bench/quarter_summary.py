"""Quarter-end summaries at company scale: `python -m bench.quarter_summary [--people N]`.

Builds a SQLite company (a CEO, managers of about eight reports each, four key results per
person, thirteen weekly check-ins per key result), then times what the quarter-end job does:
load every manager's summary data, build every summary, and draw progress charts. It also counts
the SQL statements the loaders issue, to show that the count stays the same as the company grows.

Each size runs in its own process, so the peak memory (ru_maxrss) belongs to that size alone.
Charts take a few tenths of a second each, so they are drawn for a sample of 100 people and the
total is extrapolated (the table says so); `--all-charts` draws every one.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert

from okrbot.bot.charts import person_chart
from okrbot.bot.quarters import Quarter
from okrbot.bot.summaries import build_summary
from okrbot.storage.db import Database
from okrbot.storage.models import (
    CheckInRow,
    KeyResultRow,
    KudosRow,
    ObjectiveRow,
    PersonRow,
    PersonWeekRow,
    ReflectionRow,
    ReflectionScoreRow,
)
from okrbot.storage.reports import summary_data

QUARTER = Quarter(2026, 4)
FAN_OUT = 8
KEY_RESULTS = 4
WEEKS = 13
CHART_SAMPLE = 100
AT = datetime(2026, 12, 18, 12, tzinfo=UTC)
CONFIDENCES = ("on_track", "on_track", "on_track", "at_risk", "off_track")


async def _insert(database: Database, table: Any, rows: list[dict[str, Any]]) -> None:
    async with database.transaction() as session:
        for start in range(0, len(rows), 20_000):
            await session.execute(insert(table), rows[start : start + 20_000])


async def seed(database: Database, people: int) -> None:
    """A deterministic company: person n (n ≥ 2) reports to person (n - 2) // FAN_OUT + 1."""
    rng = random.Random(people)
    weeks = QUARTER.weeks()[:WEEKS]
    await _insert(
        database,
        PersonRow.__table__,
        [
            {
                "id": n,
                "email": f"p{n}@example.com",
                "name": f"Person{n} Example",
                "manager_id": (n - 2) // FAN_OUT + 1 if n > 1 else None,
                "created_at": AT,
                "updated_at": AT,
            }
            for n in range(1, people + 1)
        ],
    )
    await _insert(
        database,
        ObjectiveRow.__table__,
        [
            {
                "id": n,
                "quarter": QUARTER.id,
                "title": f"Objective of person {n}",
                "level": "personal",
                "kind": "committed" if n % 3 == 0 else "aspirational",
                "owner_id": n,
                "position": 0,
                "created_at": AT,
            }
            for n in range(1, people + 1)
        ],
    )
    key_results, checkins, person_weeks, scores = [], [], [], []
    for n in range(1, people + 1):
        diligence = rng.random()
        for k in range(KEY_RESULTS):
            kr_id = (n - 1) * KEY_RESULTS + k + 1
            value = 0.0
            for w, period in enumerate(weeks):
                value += rng.uniform(0, 12)
                if diligence > 0.3 or rng.random() < 0.5:
                    checkins.append(
                        {
                            "key_result_id": kr_id,
                            "person_id": n,
                            "period": period,
                            "value": round(value, 1),
                            "confidence": rng.choice(CONFIDENCES),
                            "note": f"week {w} note" if rng.random() < 0.2 else None,
                            "platform": "slack",
                            "created_at": AT,
                            "updated_at": AT,
                        }
                    )
            key_results.append(
                {
                    "id": kr_id,
                    "objective_id": n,
                    "title": f"Key result {k + 1} of person {n}",
                    "owner_id": n,
                    "type": "number",
                    "start": 0.0,
                    "target": 100.0,
                    "current": round(value, 1),
                    "unit": "points",
                    "position": k,
                }
            )
            if n % 2:
                scores.append(
                    {"reflection_id": n, "key_result_id": kr_id, "self_score": rng.random()}
                )
        for period in weeks:
            answered = diligence > 0.3 or rng.random() < 0.5
            person_weeks.append(
                {
                    "person_id": n,
                    "period": period,
                    "prompted_at": AT,
                    "checked_in_at": AT if answered else None,
                    "prompt_refs": [],
                }
            )
    await _insert(database, KeyResultRow.__table__, key_results)
    await _insert(database, CheckInRow.__table__, checkins)
    await _insert(database, PersonWeekRow.__table__, person_weeks)
    await _insert(
        database,
        KudosRow.__table__,
        [
            {
                "giver_id": rng.randint(1, people),
                "recipient_id": n,
                "message": f"thanks for the help, {n}",
                "values": [],
                "platform": "slack",
                "source": "command",
                "created_at": AT,
            }
            for n in range(1, people + 1)
        ],
    )
    await _insert(
        database,
        ReflectionRow.__table__,
        [
            {
                "id": n,
                "person_id": n,
                "quarter": QUARTER.id,
                "went_well": "We shipped the thing.",
                "do_differently": "Ask for help sooner.",
                "created_at": AT,
                "updated_at": AT,
            }
            for n in range(1, people + 1, 2)
        ],
    )
    await _insert(database, ReflectionScoreRow.__table__, scores)


@dataclass(frozen=True, slots=True)
class Result:
    """One company size. `seconds` is the quarter-end job without charts: summary_data for every
    manager plus build_summary for every manager."""

    people: int
    managers: int
    messages: int
    statements: int
    seed_seconds: float
    load_seconds: float
    build_seconds: float
    seconds: float
    charts_drawn: int
    chart_seconds: float
    charts_all_seconds: float
    charts_extrapolated: bool
    peak_mb: float


async def _measure(people: int, all_charts: bool) -> Result:
    with tempfile.TemporaryDirectory() as directory:
        database = Database(f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}")
        try:
            await database.upgrade()
            started = time.perf_counter()
            await seed(database, people)
            seeded = time.perf_counter() - started

            statements = 0

            def count(*_: Any) -> None:
                nonlocal statements
                statements += 1

            for engine in database.engines:
                event.listen(engine.sync_engine, "before_cursor_execute", count)
            started = time.perf_counter()
            async with database.reading() as session:
                summaries = await summary_data(session, QUARTER)
            loaded = time.perf_counter() - started
            for engine in database.engines:
                event.remove(engine.sync_engine, "before_cursor_execute", count)
        finally:
            await database.dispose()

    started = time.perf_counter()
    messages = sum(len(build_summary(data)) for data in summaries.values())
    built = time.perf_counter() - started

    reports = [person for data in summaries.values() for person in data.reports]
    sample = reports if all_charts else reports[:CHART_SAMPLE]
    started = time.perf_counter()
    for person in sample:
        person_chart(person, QUARTER)
    charted = time.perf_counter() - started
    return Result(
        people=people,
        managers=len(summaries),
        messages=messages,
        statements=statements,
        seed_seconds=seeded,
        load_seconds=loaded,
        build_seconds=built,
        seconds=loaded + built,
        charts_drawn=len(sample),
        chart_seconds=charted,
        charts_all_seconds=charted / max(len(sample), 1) * len(reports),
        charts_extrapolated=len(sample) < len(reports),
        peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


def measure(people: int, all_charts: bool = False) -> Result:
    """Seed a company of `people` in a fresh SQLite file and time its quarter-end summaries."""
    return asyncio.run(_measure(people, all_charts))


def describe(result: Result) -> str:
    """One line for `python -m bench`'s table."""
    star = " (extrapolated from 100)" if result.charts_extrapolated else ""
    return (
        f"{result.managers:,} summaries in {result.seconds:.1f} s "
        f"(load {result.load_seconds:.1f} s, build {result.build_seconds:.1f} s), "
        f"{result.statements} SQL statements, charts {result.charts_all_seconds:.0f} s{star}, "
        f"peak {result.peak_mb:.0f} MB"
    )


def _table(rows: list[Result]) -> str:
    header = (
        f"{'people':>7} {'managers':>8} {'messages':>8} {'SQL':>4} {'load s':>7} "
        f"{'build s':>7} {'charts s':>9} {'peak MB':>8}  (seed s)"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        charts = f"{r.charts_all_seconds:.1f}{'*' if r.charts_extrapolated else ''}"
        lines.append(
            f"{r.people:>7} {r.managers:>8} {r.messages:>8} {r.statements:>4} "
            f"{r.load_seconds:>7.2f} {r.build_seconds:>7.2f} {charts:>9} {r.peak_mb:>8.0f}"
            f"  ({r.seed_seconds:.1f})"
        )
    if any(r.charts_extrapolated for r in rows):
        lines.append(
            f"* charts drawn for a sample of {CHART_SAMPLE} people and extrapolated to everyone"
        )
    lines.append(
        "SQL = statements issued by summary_data; load = summary_data, build = build_summary "
        "for every manager; peak MB = the process's maximum resident set (ru_maxrss)."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000, help="company size (default 10000)")
    parser.add_argument(
        "--all-charts", action="store_true", help="draw every chart instead of a sample of 100"
    )
    parser.add_argument("--json", action="store_true", help="measure one size, print JSON")
    args = parser.parse_args(argv)
    if args.json:
        print(json.dumps(dataclasses.asdict(measure(args.people, args.all_charts))))
        return
    rows = []
    for people in sorted({args.people, 1_000}, reverse=True):
        command = [sys.executable, "-m", "bench.quarter_summary", "--json", "--people", str(people)]
        command += ["--all-charts"] if args.all_charts else []
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        rows.append(Result(**json.loads(output.strip().splitlines()[-1])))
    print(_table(rows))


if __name__ == "__main__":
    main()
