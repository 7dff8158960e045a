"""`okrbot import okrs`: OKR YAML files, re-imports by title, and all-or-nothing errors."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner, Result

from okrbot.bot.domain import KeyResultType, Level, ObjectiveKind
from okrbot.cli.main import app
from okrbot.storage.db import Database
from okrbot.storage.models import Base, KeyResultRow
from okrbot.storage.okrs import key_results_owned_by, objectives_for_quarter
from okrbot.storage.people import get_person_by_email

DATA = Path(__file__).parent / "data"


async def cli(database: Database, *args: str) -> Result:
    """Run the CLI in a thread: it calls asyncio.run, which cannot nest in the test's loop."""
    env = {"OKRBOT_DATABASE_URL": database.url}
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)


async def dump(database: Database) -> dict[str, list[Any]]:
    async with database.reading() as session:
        return {
            table.name: [
                tuple(row)
                for row in await session.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in Base.metadata.sorted_tables
        }


def write(tmp_path: Path, text: str, name: str = "okrs.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
async def people(database: Database) -> Database:
    result = await cli(database, "import", "people", str(DATA / "people.csv"))
    assert result.exit_code == 0, result.output
    return database


async def test_the_sample_file_imports(people: Database) -> None:
    result = await cli(people, "import", "okrs", str(DATA / "okrs.yaml"))
    assert result.exit_code == 0, result.output
    assert "2026-Q4 objectives 2 created" in result.output
    assert "key results 4 created" in result.output
    async with people.reading() as session:
        objectives = await objectives_for_quarter(session, "2026-Q4")
        grace = await get_person_by_email(session, "grace@example.com")
        assert grace is not None
        owned = await key_results_owned_by(session, grace.id, "2026-Q4")
        mine = await objectives_for_quarter(session, "2026-Q4", owner_id=grace.id)
    company, team = objectives
    assert (company.level, company.kind, team.level, team.kind) == (
        Level.COMPANY,
        ObjectiveKind.ASPIRATIONAL,
        Level.TEAM,
        ObjectiveKind.COMMITTED,
    )
    assert team.parent_id == company.id and company.parent_id is None
    assert company.description == "New teams should get value on their first day."
    activation, time_to_checkin = company.key_results
    assert (activation.type, activation.start, activation.target) == (
        KeyResultType.PERCENT,
        35,
        60,
    )
    assert activation.current == 35 and activation.owner_id == company.owner_id
    assert (time_to_checkin.start, time_to_checkin.target, time_to_checkin.unit) == (
        48,
        12,
        "hours",
    )
    milestone, revenue = team.key_results
    assert (milestone.type, milestone.start, milestone.target, milestone.current) == (
        KeyResultType.MILESTONE,
        0,
        1,
        0,
    )
    assert [kr.position for kr in team.key_results] == [0, 1]
    assert revenue.unit == "$"
    assert [kr.title for kr in owned] == [
        "Cut median time to first check-in",
        "Self-serve setup guide published",
    ]
    # Grace owns the team objective and a key result of the company one.
    assert [objective.title for objective in mine] == [company.title, team.title]


async def test_reimport_updates_by_title_and_keeps_current(
    people: Database, tmp_path: Path
) -> None:
    assert (await cli(people, "import", "okrs", str(DATA / "okrs.yaml"))).exit_code == 0
    async with people.transaction() as session:
        await session.execute(
            update(KeyResultRow)
            .where(KeyResultRow.title == "Raise activation within 7 days")
            .values(current=41)
        )
    path = write(
        tmp_path,
        """
        quarter: 2026-Q4
        objectives:
          - title: Onboarding runs itself
            owner: margaret@example.com
            level: team
            parent: Customers love the new onboarding
            key_results:
              - title: Grow self-serve revenue
                owner: margaret@example.com
                type: currency
                start: 0
                target: 30000
                unit: $
              - title: Self-serve setup guide published
                type: milestone
          - title: Customers love the new onboarding
            owner: ada@example.com
            level: company
            description: New teams should get value on their first day.
            key_results:
              - title: Raise activation within 7 days
                type: percent
                start: 35
                target: 65
          - title: A brand new objective
            owner: linus@example.com
            level: personal
            parent: Onboarding runs itself
            key_results:
              - title: Answer every onboarding question within a day
                type: percent
                start: 50
                target: 100
        """,
    )
    result = await cli(people, "import", "okrs", str(path))
    assert result.exit_code == 0, result.output
    assert "objectives 1 created, 2 updated, 0 renamed, 0 archived, 0 unchanged" in result.output
    assert "key results 1 created, 3 updated, 0 renamed, 0 archived, 0 unchanged" in result.output
    assert (
        "1 not in the file, kept as they are (--prune archives them):\n"
        "  key result 'Cut median time to first check-in' of 'Customers love the new onboarding'"
    ) in result.output
    async with people.reading() as session:
        objectives = await objectives_for_quarter(session, "2026-Q4")
        margaret = await get_person_by_email(session, "margaret@example.com")
    assert [o.title for o in objectives] == [
        "Onboarding runs itself",
        "Customers love the new onboarding",
        "A brand new objective",
    ]
    team, company, new = objectives
    assert margaret is not None and team.owner_id == margaret.id
    assert team.kind is ObjectiveKind.ASPIRATIONAL
    assert [kr.title for kr in team.key_results] == [
        "Grow self-serve revenue",
        "Self-serve setup guide published",
    ]
    assert team.key_results[0].target == 30000
    # Key results the file no longer mentions are left alone, after those it lists.
    assert [kr.title for kr in company.key_results] == [
        "Raise activation within 7 days",
        "Cut median time to first check-in",
    ]
    activation = company.key_results[0]
    assert (activation.target, activation.current) == (65, 41)
    assert new.parent_id == team.id and new.key_results[0].current == 50


async def test_a_parent_may_already_be_in_the_database(people: Database, tmp_path: Path) -> None:
    assert (await cli(people, "import", "okrs", str(DATA / "okrs.yaml"))).exit_code == 0
    path = write(
        tmp_path,
        """
        quarter: 2026-Q4
        objectives:
          - title: Docs people finish
            owner: linus@example.com
            level: personal
            parent: Onboarding runs itself
        """,
    )
    result = await cli(people, "import", "okrs", str(path))
    assert result.exit_code == 0, result.output
    async with people.reading() as session:
        objectives = await objectives_for_quarter(session, "2026-Q4")
    by_title = {objective.title: objective for objective in objectives}
    assert by_title["Docs people finish"].parent_id == by_title["Onboarding runs itself"].id


GOOD_KR = """\
    key_results:
      - title: Grow weekly active teams
        start: 10
        target: 20
"""

ERRORS = {
    "unknown owner": (
        """
        quarter: 2026-Q4
        objectives:
          - title: Grow
            owner: nobody@example.com
            level: team
        """,
        "okrs.yaml:4: owner: no person with email nobody@example.com; import people first",
    ),
    "unknown key result owner": (
        """
        quarter: 2026-Q4
        objectives:
          - title: Grow
            owner: ada@example.com
            level: team
            key_results:
              - title: More
                owner: ghost@example.com
                start: 1
                target: 2
        """,
        "okrs.yaml:8: owner: no person with email ghost@example.com",
    ),
    "unknown parent": (
        """
        quarter: 2026-Q4
        objectives:
          - title: Grow
            owner: ada@example.com
            level: team
            parent: Something else
        """,
        "okrs.yaml:6: parent: no objective titled 'Something else' in 2026-Q4",
    ),
    "parent cycle": (
        """
        quarter: 2026-Q4
        objectives:
          - title: A
            owner: ada@example.com
            level: team
            parent: B
          - title: B
            owner: ada@example.com
            level: team
            parent: A
        """,
        "okrs.yaml:6: parent: objectives can't be their own ancestors: 'A' → 'B' → 'A'",
    ),
    "non-numeric start": (
        """
        quarter: 2026-Q4
        objectives:
          - title: Grow
            owner: ada@example.com
            level: team
            key_results:
              - title: More
                start: lots
                target: 2
        """,
        "okrs.yaml:8: start: 'lots' is not a number",
    ),
    "missing target": (
        """
        quarter: 2026-Q4
        objectives:
          - title: Grow
            owner: ada@example.com
            level: team
            key_results:
              - title: More
                start: 1
        """,
        "okrs.yaml:7: target: is missing",
    ),
    "a target equal to the start": (
        """
        quarter: 2026-Q4
        objectives:
          - title: Keep churn low
            owner: ada@example.com
            level: team
            key_results:
              - title: Churn at 2%
                start: 2
                target: 2
        """,
        "okrs.yaml:9: target: is the same as the start (2), so the key result would score 1.0 "
        "before anyone checks in",
    ),
    "bad level": (
        """
        quarter: 2026-Q4
        objectives:
          - title: Grow
            owner: ada@example.com
            level: galaxy
        """,
        "okrs.yaml:5: level: 'galaxy' is not valid; use one of company, team, personal",
    ),
    "bad kind": (
        """
        quarter: 2026-Q4
        objectives:
          - title: Grow
            owner: ada@example.com
            level: team
            kind: maybe
        """,
        "okrs.yaml:6: kind: 'maybe' is not valid; use one of committed, aspirational",
    ),
    "bad type": (
        """
        quarter: 2026-Q4
        objectives:
          - title: Grow
            owner: ada@example.com
            level: team
            key_results:
              - title: More
                type: vibes
                start: 1
                target: 2
        """,
        "okrs.yaml:8: type: 'vibes' is not valid; use one of number, percent, currency, milestone",
    ),
    "bad quarter": (
        """
        objectives: []
        quarter: 2026-Q5
        """,
        "okrs.yaml:2: quarter: '2026-Q5' is not a quarter",
    ),
    "missing quarter": ("objectives: []\n", "okrs.yaml:1: quarter: is missing"),
    "missing title": (
        """
        quarter: 2026-Q4
        objectives:
          - owner: ada@example.com
            level: team
        """,
        "okrs.yaml:3: title: is missing",
    ),
    "duplicate title": (
        """
        quarter: 2026-Q4
        objectives:
          - title: Grow
            owner: ada@example.com
            level: team
          - title: Grow
            owner: ada@example.com
            level: team
        """,
        "okrs.yaml:6: title: 'Grow' appears twice; first on line 3",
    ),
    "unknown key": (
        """
        quarter: 2026-Q4
        objectives:
          - title: Grow
            owner: ada@example.com
            level: team
            key_results:
              - title: More
                start: 1
                targte: 2
        """,
        "okrs.yaml:9: targte: unknown key in a key result",
    ),
    "milestone with a target": (
        """
        quarter: 2026-Q4
        objectives:
          - title: Grow
            owner: ada@example.com
            level: team
            key_results:
              - title: Done
                type: milestone
                target: 5
        """,
        "okrs.yaml:9: target: a milestone's target is always 1",
    ),
    "invalid YAML": (
        """
        quarter: 2026-Q4
        objectives:
          - title: Grow
           owner: ada@example.com
        """,
        "okrs.yaml:4: not valid YAML",
    ),
    "not a mapping": ("- just\n- a list\n", "okrs.yaml:1: the file should be a mapping"),
    "empty file": ("", "okrs.yaml:1: the file is empty"),
}


@pytest.mark.parametrize("case", ERRORS)
async def test_errors_name_file_line_and_key_and_write_nothing(
    people: Database, tmp_path: Path, case: str
) -> None:
    assert (await cli(people, "import", "okrs", str(DATA / "okrs.yaml"))).exit_code == 0
    before = await dump(people)
    text, expected = ERRORS[case]
    path = write(tmp_path, text)
    result = await cli(people, "import", "okrs", str(path))
    assert result.exit_code != 0
    assert expected.replace("okrs.yaml", str(path)) in result.output
    assert await dump(people) == before


async def test_every_problem_in_a_file_is_reported(people: Database, tmp_path: Path) -> None:
    assert (await cli(people, "import", "okrs", str(DATA / "okrs.yaml"))).exit_code == 0
    before = await dump(people)
    path = write(
        tmp_path,
        """
        quarter: 2026-Q4
        objectives:
          - title: Grow
            owner: ghost@example.com
            level: team
            parent: Nowhere
            key_results:
              - title: More
                start: one
                target: 2
              - title: Fine
                start: 1
                target: 2
          - title: Shrink
            owner: ada@example.com
            level: tiny
            kind: committed
        """,
    )
    result = await cli(people, "import", "okrs", str(path))
    assert result.exit_code != 0
    expected = [
        f"{path}:4: owner: no person with email ghost@example.com",
        f"{path}:6: parent: no objective titled 'Nowhere'",
        f"{path}:9: start: 'one' is not a number",
        f"{path}:16: level: 'tiny' is not valid",
    ]
    positions = [result.output.index(line) for line in expected]
    assert positions == sorted(positions)
    assert "4 problems" in result.output
    assert await dump(people) == before


async def test_a_missing_file_is_reported(people: Database, tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    result = await cli(people, "import", "okrs", str(path))
    assert result.exit_code != 0
    assert f"{path}: no such file" in result.output
