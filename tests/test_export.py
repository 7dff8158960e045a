"""`okrbot export`: people and OKRs round-trip through import and export, with check-ins."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select, update
from typer.testing import CliRunner, Result

from okrbot.cli.main import app
from okrbot.storage.db import Database
from okrbot.storage.models import CheckInRow, KeyResultRow, KudosRow, PersonRow

DATA = Path(__file__).parent / "data"
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC", ""]
DAYS = ["mon", "tue", "wed", "thu", "fri", ""]
NAMES = ["Ana", "Bo", "José", "Li", "O'Neil, Pat", 'Sam "Ace"', "Zoë"]


async def cli(database: Database, *args: str) -> Result:
    """Run the CLI in a thread: it calls asyncio.run, which cannot nest in the test's loop."""
    env = {"OKRBOT_DATABASE_URL": database.url}
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)


def org(size: int = 200) -> list[list[str]]:
    """A company of `size` people, four levels deep, with a spread of zones and check-in slots."""
    rng = random.Random(7)
    emails = [f"p{n:03d}@example.com" for n in range(size)]
    rows = []
    for n, email in enumerate(emails):
        if n == 0:
            manager = ""
        elif n <= 6:
            manager = emails[0]
        elif n <= 30:
            manager = emails[1 + (n - 7) % 6]
        else:
            manager = emails[7 + (n - 31) % 24]
        day = rng.choice(DAYS)
        at = f"{rng.randrange(7, 19):02d}:{rng.choice([0, 15, 30, 45]):02d}" if day else ""
        rows.append(
            [
                email,
                f"{rng.choice(NAMES)} {n}",
                manager,
                rng.choice(ZONES),
                f"U{n:05d}" if n % 5 else "",
                f"00000000-0000-4000-8000-{n:012d}" if n % 3 else "",
                day,
                at,
                "10:00-18:30" if n % 7 == 0 else "22:00-24:00" if n % 13 == 0 else "",
                "sun-thu" if n % 11 == 0 else "mon,wed,fri" if n % 17 == 0 else "",
            ]
        )
    return rows


def people_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "email",
            "name",
            "manager_email",
            "timezone",
            "slack_user_id",
            "teams_aad_id",
            "checkin_day",
            "checkin_time",
            "work_hours",
            "work_days",
        ]
    )
    writer.writerows(sorted(rows))
    return out.getvalue()


def plan(emails: list[str]) -> dict[str, Any]:
    """Thirty objectives in three levels, with every key result type and falling targets."""
    rng = random.Random(11)
    objectives: list[dict[str, Any]] = []
    for n in range(30):
        level = "company" if n < 3 else "team" if n < 12 else "personal"
        objective: dict[str, Any] = {
            "title": f"Objective {n}: make {rng.choice(['customers', 'teams', 'partners'])} happy",
            "owner": emails[n],
            "level": level,
        }
        if n % 2:
            objective["kind"] = "committed"
        if n % 3:
            objective["description"] = f"Why objective {n} matters.\nSecond line."
        if level != "company":
            objective["parent"] = objectives[n // 4 if level == "team" else 3 + n % 9]["title"]
        key_results = []
        for k in range(1 + n % 4):
            kind = ["number", "percent", "currency", "milestone"][(n + k) % 4]
            kr: dict[str, Any] = {"title": f"KR {n}.{k}"}
            if kind != "number" or k % 2:
                kr["type"] = kind
            if k == 1:
                kr["owner"] = emails[40 + n]
            if kind != "milestone":
                start, target = rng.choice([(0, 100), (3.5, 2.25), (120, 40), (10, 12.5)])
                kr["start"], kr["target"] = start, target
                if kind == "currency":
                    kr["unit"] = "€"
                elif k == 2:
                    kr["unit"] = "tickets"
            key_results.append(kr)
        objective["key_results"] = key_results
        objectives.append(objective)
    return {"quarter": "2026-Q4", "objectives": objectives}


async def test_people_and_okrs_round_trip(database: Database, tmp_path: Path) -> None:
    rows = org()
    people = tmp_path / "people.csv"
    people.write_text(people_text(rows), encoding="utf-8")
    result = await cli(database, "import", "people", str(people))
    assert result.exit_code == 0, result.output
    assert "200 created" in result.output

    exported = await cli(database, "export", "people")
    assert exported.exit_code == 0, exported.output
    assert exported.stdout == people.read_text(encoding="utf-8")
    again = await cli(database, "import", "people", str(people))
    assert "0 created, 0 updated, 200 unchanged" in again.output

    document = plan([row[0] for row in rows])
    okrs = tmp_path / "okrs.yaml"
    okrs.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    result = await cli(database, "import", "okrs", str(okrs))
    assert result.exit_code == 0, result.output
    assert "objectives 30 created" in result.output

    out = tmp_path / "export.json"
    result = await cli(
        database, "export", "--quarter", "2026-Q4", "--format", "json", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    exported_okrs = json.loads(out.read_text(encoding="utf-8"))
    assert exported_okrs["quarter"] == "2026-Q4"
    assert exported_okrs["checkins"] == [] and exported_okrs["kudos"] == []
    assert len(exported_okrs["objectives"]) == 30
    for planned, got in zip(document["objectives"], exported_okrs["objectives"], strict=True):
        assert got["title"] == planned["title"]
        assert got["owner_email"] == planned["owner"]
        assert got["level"] == planned["level"]
        assert got["kind"] == planned.get("kind", "aspirational")
        assert got["description"] == planned.get("description")
        assert got["parent"] == planned.get("parent")
        assert got["score"] == 0.0
        for kr_plan, kr in zip(planned["key_results"], got["key_results"], strict=True):
            milestone = kr_plan.get("type") == "milestone"
            assert kr["title"] == kr_plan["title"]
            assert kr["owner_email"] == kr_plan.get("owner", planned["owner"])
            assert kr["type"] == kr_plan.get("type", "number")
            assert kr["start"] == (0 if milestone else kr_plan["start"])
            assert kr["target"] == (1 if milestone else kr_plan["target"])
            assert kr["current"] == kr["start"]
            assert kr["unit"] == kr_plan.get("unit")
            assert (kr["score"], kr["confidence"], kr["checkins"], kr["last_checkin_at"]) == (
                0.0,
                None,
                0,
                None,
            )

    csv_result = await cli(database, "export", "--quarter", "2026-Q4")
    assert csv_result.exit_code == 0, csv_result.output
    table = list(csv.DictReader(io.StringIO(csv_result.stdout)))
    planned_krs = [
        (objective["title"], kr["title"])
        for objective in document["objectives"]
        for kr in objective["key_results"]
    ]
    assert [(row["objective"], row["key_result"]) for row in table] == planned_krs


async def test_csv_and_json_carry_checkins_and_kudos(database: Database) -> None:
    assert (await cli(database, "import", "people", str(DATA / "people.csv"))).exit_code == 0
    assert (await cli(database, "import", "okrs", str(DATA / "okrs.yaml"))).exit_code == 0
    october = datetime(2026, 10, 5, 9, 30, tzinfo=UTC)
    later = datetime(2026, 10, 12, 14, 0, 5, tzinfo=UTC)
    async with database.transaction() as session:
        ids = {row.email: row.id for row in await session.scalars(select(PersonRow))}
        krs = {row.title: row for row in await session.scalars(select(KeyResultRow))}
        activation = krs["Raise activation within 7 days"]
        milestone = krs["Self-serve setup guide published"]
        for period, value, confidence, moment in (
            ("2026-W41", 40, "on_track", october),
            ("2026-W42", 45, "at_risk", later),
        ):
            session.add(
                CheckInRow(
                    key_result_id=activation.id,
                    person_id=ids["ada@example.com"],
                    period=period,
                    value=value,
                    confidence=confidence,
                    note="Going, slowly" if value == 45 else None,
                    platform="slack",
                    created_at=moment,
                    updated_at=moment,
                )
            )
        session.add(
            CheckInRow(
                key_result_id=milestone.id,
                person_id=ids["grace@example.com"],
                period="2026-W41",
                value=1,
                confidence="on_track",
                platform="teams",
                created_at=october,
                updated_at=october,
            )
        )
        await session.execute(
            update(KeyResultRow).where(KeyResultRow.id == activation.id).values(current=45)
        )
        await session.execute(
            update(KeyResultRow).where(KeyResultRow.id == milestone.id).values(current=1)
        )
        for recipient in ("grace@example.com", "linus@example.com"):
            session.add(
                KudosRow(
                    giver_id=ids["ada@example.com"],
                    recipient_id=ids[recipient],
                    message="Thanks for the onboarding guide!",
                    values=["ownership"],
                    platform="slack",
                    created_at=october,
                )
            )
        session.add(
            KudosRow(
                giver_platform_id="U0STRANGER",
                recipient_id=ids["ada@example.com"],
                message="Last quarter's kudos",
                values=[],
                platform="slack",
                created_at=datetime(2026, 9, 30, 23, 59, tzinfo=UTC),
            )
        )

    result = await cli(database, "export", "--quarter", "2026-Q4")
    assert result.exit_code == 0, result.output
    rows = {row["key_result"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert list(rows["Raise activation within 7 days"].values()) == [
        "2026-Q4",
        "Customers love the new onboarding",
        "Raise activation within 7 days",
        "ada@example.com",
        "percent",
        "35",
        "60",
        "45",
        "0.40",
        "at_risk",
        "2",
        "2026-10-12T14:00:05Z",
        "",
        "import",
        "approved",
    ]
    done = rows["Self-serve setup guide published"]
    assert (done["start"], done["target"], done["current"], done["score"]) == (
        "0",
        "1",
        "1",
        "1.00",
    )
    untouched = rows["Cut median time to first check-in"]
    assert (untouched["current"], untouched["confidence"], untouched["checkins"]) == ("48", "", "0")
    assert untouched["last_checkin_at"] == ""

    result = await cli(database, "export", "--quarter", "2026-Q4", "-f", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    company, team = document["objectives"]
    assert company["score"] == 0.2 and team["score"] == 0.5
    assert team["parent"] == company["title"]
    assert document["checkins"][0] == {
        "objective": "Customers love the new onboarding",
        "key_result": "Raise activation within 7 days",
        "person_email": "ada@example.com",
        "period": "2026-W41",
        "value": 40,
        "confidence": "on_track",
        "note": None,
        "platform": "slack",
        "created_at": "2026-10-05T09:30:00Z",
        "updated_at": "2026-10-05T09:30:00Z",
    }
    assert len(document["checkins"]) == 3
    assert document["kudos"] == [
        {
            "giver": "ada@example.com",
            "recipients": ["grace@example.com", "linus@example.com"],
            "message": "Thanks for the onboarding guide!",
            "values": ["ownership"],
            "platform": "slack",
            "created_at": "2026-10-05T09:30:00Z",
        }
    ]
    previous = await cli(database, "export", "--quarter", "2026-Q3", "-f", "json")
    assert json.loads(previous.stdout)["kudos"][0]["giver"] == "U0STRANGER"


async def test_export_needs_a_valid_quarter(database: Database) -> None:
    missing = await cli(database, "export")
    assert missing.exit_code != 0 and "--quarter is required" in missing.output
    bad = await cli(database, "export", "--quarter", "Q4")
    assert bad.exit_code != 0 and "--quarter: 'Q4' is not a quarter" in bad.output


def test_help_for_export_and_export_people() -> None:
    runner = CliRunner()
    for args in (["export", "--help"], ["export", "people", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "--out" in result.output


FORMULAS = [
    '=HYPERLINK("https://evil.example","Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
]


async def test_exports_never_hand_a_spreadsheet_a_formula(
    database: Database, tmp_path: Path
) -> None:
    """A name or title that starts like a formula is written as text (a leading apostrophe),
    and an exported people file still imports back to the same names."""
    rows = [
        ["boss@example.com", FORMULAS[0], "", "UTC", "", "", "", ""],
        *[
            [f"p{n}@example.com", name, "boss@example.com", "UTC", "", "", "", ""]
            for n, name in enumerate(FORMULAS[1:])
        ],
        ["tab@example.com", "\tTabbed", "", "UTC", "", "", "", ""],
    ]
    people = tmp_path / "people.csv"
    people.write_text(people_text(rows), encoding="utf-8")
    assert (await cli(database, "import", "people", str(people))).exit_code == 0
    exported = await cli(database, "export", "people")
    assert exported.exit_code == 0, exported.output
    cells = [row["name"] for row in csv.DictReader(io.StringIO(exported.stdout))]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    assert "'" + FORMULAS[0] in cells and "'@SUM(A1)" in cells

    again = tmp_path / "again.csv"
    again.write_text(exported.stdout, encoding="utf-8")
    result = await cli(database, "import", "people", str(again))
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated, 5 unchanged" in result.output
    async with database.reading() as session:
        names = set(await session.scalars(select(PersonRow.name)))
    assert set(FORMULAS) <= names

    document = {
        "quarter": "2026-Q4",
        "objectives": [
            {
                "title": FORMULAS[0],
                "owner": "boss@example.com",
                "level": "company",
                "key_results": [{"title": "@SUM(A1:A9)", "start": 0, "target": 10}],
            }
        ],
    }
    okrs = tmp_path / "okrs.yaml"
    okrs.write_text(yaml.safe_dump(document), encoding="utf-8")
    imported = await cli(database, "import", "okrs", str(okrs))
    assert imported.exit_code == 0, imported.output
    table = await cli(database, "export", "--quarter", "2026-Q4")
    [row] = list(csv.DictReader(io.StringIO(table.stdout)))
    assert row["objective"] == "'" + FORMULAS[0]
    assert row["key_result"] == "'@SUM(A1:A9)"
    assert row["start"] == "0" and row["target"] == "10"  # numbers stay numbers
