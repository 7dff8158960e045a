"""Import: a company's people and a quarter's OKRs into a fresh database, as `okrbot import` does.

    python -m bench.imports [--people 10000] [--objectives 2000]

Generates a people CSV (a management tree eight wide, a mix of time zones and check-in days)
and an OKR YAML (objectives aligned in a tree, three key results each of mixed types), then
runs the `okrbot import people` and `okrbot import okrs` commands in this process — parse, check
against the database, write, reschedule — on a fresh, migrated SQLite database, and reports the
seconds and rows per second of each. Migrating is left out of the timing: it happens once per
database, not once per import.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import typer

from okrbot.bot.quarters import Quarter
from okrbot.cli.data import import_okrs, import_people
from okrbot.storage.db import Database

TIMEZONES = (
    "Europe/Berlin",
    "America/New_York",
    "Asia/Tokyo",
    "UTC",
    "America/Los_Angeles",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Europe/London",
)
DAYS = ("mon", "tue", "wed", "thu", "fri")
KEY_RESULT_KINDS = (
    "type: number\n        start: 10\n        target: 40",
    "type: percent\n        start: 35\n        target: 60",
    "type: milestone",
)


@dataclass(frozen=True)
class ImportResult:
    people: int
    objectives: int
    key_results: int
    people_seconds: float
    okrs_seconds: float

    @property
    def people_per_second(self) -> float:
        return self.people / self.people_seconds

    @property
    def okr_rows_per_second(self) -> float:
        return (self.objectives + self.key_results) / self.okrs_seconds

    @property
    def seconds(self) -> float:
        return self.people_seconds + self.okrs_seconds


def email(n: int) -> str:
    return f"p{n}@bench.example"


def people_csv(people: int) -> str:
    lines = [
        "email,name,manager_email,timezone,slack_user_id,teams_aad_id,checkin_day,checkin_time"
    ]
    for n in range(people):
        manager = email((n - 1) // 8) if n else ""
        zone = TIMEZONES[n % len(TIMEZONES)]
        day = DAYS[n % len(DAYS)]
        lines.append(f"{email(n)},Person {n},{manager},{zone},U{n:08d},,{day},09:{n % 60:02d}")
    return "\n".join(lines) + "\n"


def okrs_yaml(objectives: int, people: int, quarter: str) -> str:
    """Objective k is owned by a spread of people and aligned to objective (k-1)//5."""
    lines = [f"quarter: {quarter}", "objectives:"]
    for k in range(objectives):
        level = "company" if k == 0 else "team" if k <= 5 else "personal"
        lines += [
            f"  - title: Objective {k}",
            f"    owner: {email(k * 5 % people)}",
            f"    level: {level}",
            f"    kind: {'committed' if k % 3 == 0 else 'aspirational'}",
        ]
        if k:
            lines.append(f"    parent: Objective {(k - 1) // 5}")
        lines.append("    key_results:")
        for j, shape in enumerate(KEY_RESULT_KINDS):
            lines.append(f"      - title: Key result {j} of objective {k}")
            if j == 1:
                lines.append(f"        owner: {email((k * 5 + 1) % people)}")
            lines.append(f"        {shape}")
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def database_url(url: str) -> Iterator[None]:
    """The CLI reads its settings from the environment, as it does for an operator."""
    before = os.environ.get("OKRBOT_DATABASE_URL")
    os.environ["OKRBOT_DATABASE_URL"] = url
    try:
        yield
    finally:
        if before is None:
            del os.environ["OKRBOT_DATABASE_URL"]
        else:
            os.environ["OKRBOT_DATABASE_URL"] = before


def timed_command(command: Callable[[Path], None], file: Path) -> tuple[float, str]:
    """Run one `okrbot import` command; return its seconds and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            command(file)
    except typer.Exit as error:
        raise RuntimeError(f"{file.name}: the import failed:\n{err.getvalue()}") from error
    return time.perf_counter() - started, out.getvalue()


async def migrate(url: str) -> None:
    database = Database(url)
    await database.upgrade()
    await database.dispose()


def run(people: int, objectives: int) -> ImportResult:
    quarter = Quarter.containing(datetime.now(UTC).date()).id
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        url = f"sqlite+aiosqlite:///{root / 'imports.db'}"
        asyncio.run(migrate(url))
        people_file = root / "people.csv"
        people_file.write_text(people_csv(people), encoding="utf-8")
        okrs_file = root / "okrs.yaml"
        okrs_file.write_text(okrs_yaml(objectives, people, quarter), encoding="utf-8")
        with database_url(url):
            people_seconds, said = timed_command(import_people, people_file)
            if f"people {people} created" not in said.replace("\n", " "):
                raise RuntimeError(f"people import did not create {people}: {said}")
            okrs_seconds, said = timed_command(import_okrs, okrs_file)
    return ImportResult(
        people, objectives, objectives * len(KEY_RESULT_KINDS), people_seconds, okrs_seconds
    )


def describe(result: ImportResult) -> str:
    return (
        f"people {result.people_seconds:.2f} s ({result.people_per_second:,.0f}/s); "
        f"OKRs {result.okrs_seconds:.2f} s ({result.okr_rows_per_second:,.0f} rows/s)"
    )


def main(argv: list[str] | None = None) -> ImportResult:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--objectives", type=int, default=2_000)
    args = parser.parse_args(argv)
    result = run(args.people, args.objectives)
    print(
        f"import of {result.people} people and {result.objectives} objectives with "
        f"{result.key_results} key results (SQLite): {describe(result)}"
    )
    return result


if __name__ == "__main__":
    main()
