"""`okrbot import people`: people CSV files, re-imports by email, and all-or-nothing errors."""

from __future__ import annotations

import asyncio
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from okrbot.bot.domain import Weekday
from okrbot.cli.main import app
from okrbot.storage.db import Database
from okrbot.storage.models import Base, PersonRow
from okrbot.storage.people import get_person_by_email, list_people

DATA = Path(__file__).parent / "data"
HEADER = "email,name,manager_email,timezone,slack_user_id,teams_aad_id"


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


def write(tmp_path: Path, text: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def test_the_sample_file_imports(database: Database) -> None:
    result = await cli(database, "import", "people", str(DATA / "people.csv"))
    assert result.exit_code == 0, result.output
    assert "people 4 created, 0 updated, 0 unchanged" in result.output
    async with database.reading() as session:
        grace = await get_person_by_email(session, "Grace@Example.com")
        ada = await get_person_by_email(session, "ada@example.com")
        linus = await get_person_by_email(session, "linus@example.com")
    assert grace is not None and ada is not None and linus is not None
    assert grace.manager_id == ada.id and ada.manager_id is None
    assert (grace.timezone, grace.checkin_day, grace.checkin_time) == (
        "America/New_York",
        Weekday.TUE,
        time(10, 0),
    )
    assert grace.slack_user_id == "U0GRACE" and grace.teams_aad_id is None
    assert linus.name == "Torvalds, Linus" and linus.checkin_day is None
    assert ada.checkin_day is Weekday.MON


async def test_a_manager_may_come_later_in_the_file_or_from_the_database(
    database: Database, tmp_path: Path
) -> None:
    first = write(tmp_path, f"{HEADER}\nbo@x.com,Bo,al@x.com,,,\nal@x.com,Al,,,,\n")
    assert (await cli(database, "import", "people", str(first))).exit_code == 0
    second = write(tmp_path, f"{HEADER}\ncy@x.com,Cy,BO@X.COM,,,\n", "more.csv")
    result = await cli(database, "import", "people", str(second))
    assert result.exit_code == 0, result.output
    async with database.reading() as session:
        bo = await get_person_by_email(session, "bo@x.com")
        cy = await get_person_by_email(session, "cy@x.com")
    assert bo is not None and cy is not None and cy.manager_id == bo.id


async def test_reimport_updates_people_by_email(database: Database, tmp_path: Path) -> None:
    assert (await cli(database, "import", "people", str(DATA / "people.csv"))).exit_code == 0
    changed = (
        f"{HEADER},checkin_day,checkin_time\n"
        "ADA@example.com,Ada King,,Europe/London,U0ADA,,mon,09:30\n"
        "grace@example.com,Grace Hopper,margaret@example.com,America/New_York,,,wed,\n"
        "margaret@example.com,Margaret Hamilton,ada@example.com,America/Los_Angeles,,,fri,16:15\n"
        "new@example.com,New Person,grace@example.com,Asia/Tokyo,,,,\n"
    )
    result = await cli(database, "import", "people", str(write(tmp_path, changed)))
    assert result.exit_code == 0, result.output
    assert "people 1 created, 2 updated, 1 unchanged" in result.output
    async with database.reading() as session:
        people = {person.email: person for person in await list_people(session)}
    assert len(people) == 5
    assert people["ada@example.com"].name == "Ada King"
    grace = people["grace@example.com"]
    assert grace.manager_id == people["margaret@example.com"].id
    assert (grace.checkin_day, grace.checkin_time) == (Weekday.WED, None)
    # An empty chat-id cell keeps the id the adapters may have filled in by email.
    assert grace.slack_user_id == "U0GRACE"
    assert people["new@example.com"].manager_id == grace.id


async def test_absent_checkin_columns_leave_stored_values(
    database: Database, tmp_path: Path
) -> None:
    assert (await cli(database, "import", "people", str(DATA / "people.csv"))).exit_code == 0
    text = f"{HEADER}\nada@example.com,Ada,,Europe/Paris,,\n"
    result = await cli(database, "import", "people", str(write(tmp_path, text)))
    assert result.exit_code == 0, result.output
    async with database.reading() as session:
        ada = await get_person_by_email(session, "ada@example.com")
    assert ada is not None
    assert (ada.timezone, ada.checkin_day, ada.checkin_time) == (
        "Europe/Paris",
        Weekday.MON,
        time(9, 30),
    )


async def test_the_minimal_file_imports_and_absent_columns_leave_stored_values(
    database: Database, tmp_path: Path
) -> None:
    """Only email and name are required: the README's minimal file imports, and a later file
    with fewer columns leaves what it does not mention alone (zone, manager, chat ids)."""
    minimal = "email,name,manager_email,timezone\nada@example.com,Ada,,Europe/London\n"
    minimal += "grace@example.com,Grace,ada@example.com,America/New_York\n"
    result = await cli(database, "import", "people", str(write(tmp_path, minimal)))
    assert result.exit_code == 0, result.output
    assert "2 created" in result.output
    names_only = "email,name\ngrace@example.com,Grace Hopper\nlin@example.com,Lin\n"
    result = await cli(database, "import", "people", str(write(tmp_path, names_only, "n.csv")))
    assert result.exit_code == 0, result.output
    async with database.reading() as session:
        ada = await get_person_by_email(session, "ada@example.com")
        grace = await get_person_by_email(session, "grace@example.com")
        lin = await get_person_by_email(session, "lin@example.com")
    assert ada is not None and grace is not None and lin is not None
    assert (grace.name, grace.timezone, grace.manager_id) == (
        "Grace Hopper",
        "America/New_York",
        ada.id,
    )
    assert (lin.timezone, lin.manager_id) == (None, None)


async def test_a_persons_own_working_hours_import_and_absent_columns_keep_them(
    database: Database, tmp_path: Path
) -> None:
    text = (
        "email,name,timezone,work_hours,work_days\n"
        "dina@example.com,Dina,Asia/Dubai,10:00-18:00,sun-thu\n"
        "ola@example.com,Ola,Europe/Oslo,,\n"
    )
    result = await cli(database, "import", "people", str(write(tmp_path, text)))
    assert result.exit_code == 0, result.output
    names_only = "email,name\ndina@example.com,Dina K\n"
    result = await cli(database, "import", "people", str(write(tmp_path, names_only, "n.csv")))
    assert result.exit_code == 0, result.output
    async with database.reading() as session:
        dina = await get_person_by_email(session, "dina@example.com")
        ola = await get_person_by_email(session, "ola@example.com")
    assert dina is not None and ola is not None
    assert (dina.work_start, dina.work_end) == (time(10), time(18))
    assert dina.work_days == {Weekday.SUN, Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU}
    assert (ola.work_start, ola.work_end, ola.work_days) == (None, None, None)  # the company's
    exported = await cli(database, "export", "people")
    assert "dina@example.com,Dina K,,Asia/Dubai,,,,,10:00-18:00,sun-thu" in exported.stdout
    cleared = "email,name,work_hours,work_days\ndina@example.com,Dina K,,\n"
    result = await cli(database, "import", "people", str(write(tmp_path, cleared, "c.csv")))
    assert result.exit_code == 0, result.output
    async with database.reading() as session:
        dina = await get_person_by_email(session, "dina@example.com")
    assert dina is not None and (dina.work_start, dina.work_days) == (None, None)


async def test_two_people_can_swap_chat_ids(database: Database, tmp_path: Path) -> None:
    text = f"{HEADER}\na@x.com,A,,,U1,\nb@x.com,B,,,U2,\n"
    assert (await cli(database, "import", "people", str(write(tmp_path, text)))).exit_code == 0
    swapped = f"{HEADER}\na@x.com,A,,,U2,\nb@x.com,B,,,U1,\n"
    result = await cli(database, "import", "people", str(write(tmp_path, swapped)))
    assert result.exit_code == 0, result.output
    async with database.reading() as session:
        rows = (await session.scalars(select(PersonRow).order_by(PersonRow.email))).all()
    assert [row.slack_user_id for row in rows] == ["U2", "U1"]


SEED = f"{HEADER}\nboss@x.com,Boss,,,U9,\nworker@x.com,Worker,boss@x.com,,,\n"

ERRORS = {
    "working hours backwards": (
        "email,name,work_hours\nal@x.com,Al,17:00-09:00\n",
        "people.csv:2: work_hours: '17:00-09:00' ends before it starts",
    ),
    "unknown working day": (
        "email,name,work_days\nal@x.com,Al,mon-fry\n",
        "people.csv:2: work_days: 'fry' is not a day",
    ),
    "unknown manager": (
        f"{HEADER}\nal@x.com,Al,,,,\nbo@x.com,Bo,bob@x.com,,,\n",
        "people.csv:3: manager_email: no person with email bob@x.com in the file or the database",
    ),
    "reporting cycle": (
        f"{HEADER}\na@x.com,A,b@x.com,,,\nb@x.com,B,a@x.com,,,\n",
        "people.csv:2: manager_email: reporting cycle: a@x.com → b@x.com → a@x.com",
    ),
    "self management": (
        f"{HEADER}\na@x.com,A,,,,\nme@x.com,Me,ME@x.com,,,\n",
        "people.csv:3: manager_email: reporting cycle: me@x.com is their own manager",
    ),
    "cycle through the database": (
        f"{HEADER}\nboss@x.com,Boss,worker@x.com,,,\n",
        "people.csv:2: manager_email: reporting cycle: boss@x.com → worker@x.com → boss@x.com",
    ),
    "bad time zone": (
        f"{HEADER}\na@x.com,A,,Mars/Olympus,,\n",
        "people.csv:2: timezone: 'Mars/Olympus' is not an IANA time zone",
    ),
    "duplicate email": (
        f"{HEADER}\na@x.com,A,,,,\nb@x.com,B,,,,\nA@X.com,A again,,,,\n",
        "people.csv:4: email: a@x.com appears twice; first on line 2",
    ),
    "missing column": (
        "email,manager_email,timezone\na@x.com,,UTC\n",
        "people.csv:1: name: missing column",
    ),
    "an abbreviation for a time zone": (
        f"{HEADER}\na@x.com,A,,EST,,\n",
        "people.csv:2: timezone: 'EST' is an abbreviation, not a place's time zone (it misses or "
        "misplaces daylight saving time); use America/New_York",
    ),
    "a fixed offset for a time zone": (
        f"{HEADER}\na@x.com,A,,Etc/GMT+5,,\n",
        "people.csv:2: timezone: 'Etc/GMT+5' is a fixed offset that ignores daylight saving time",
    ),
    "a misspelt time zone": (
        f"{HEADER}\na@x.com,A,,Europe/Berln,,\n",
        "people.csv:2: timezone: 'Europe/Berln' is not an IANA time zone; did you mean "
        "Europe/Berlin?",
    ),
    "unknown column": (
        f"{HEADER},chekin_day\na@x.com,A,,,,,mon\n",
        "people.csv:1: chekin_day: unknown column",
    ),
    "bad day": (
        f"{HEADER},checkin_day\na@x.com,A,,,,,someday\n",
        "people.csv:2: checkin_day: 'someday' is not a day",
    ),
    "bad time": (
        f"{HEADER},checkin_time\na@x.com,A,,,,,9am\n",
        "people.csv:2: checkin_time: '9am' is not a time",
    ),
    "empty email": (f"{HEADER}\n,A,,,,\n", "people.csv:2: email: is empty"),
    "empty name": (f"{HEADER}\na@x.com,,,,,\n", "people.csv:2: name: is empty"),
    "not an email": (
        f"{HEADER}\nanna,Anna,,,,\n",
        "people.csv:2: email: 'anna' is not an email address",
    ),
    "chat id taken in the database": (
        f"{HEADER}\nnew@x.com,New,,,U9,\n",
        "people.csv:2: slack_user_id: U9 already belongs to boss@x.com (the database)",
    ),
    "chat id twice in the file": (
        f"{HEADER}\na@x.com,A,,,,T1\nb@x.com,B,,,,T1\n",
        "people.csv:3: teams_aad_id: T1 already belongs to a@x.com (line 2)",
    ),
    "too many cells": (
        f"{HEADER}\na@x.com,A,,,,,extra\n",
        "people.csv:2: the row has 7 cells but the header has 6",
    ),
    "empty file": ("", "people.csv:1: the file is empty"),
}


@pytest.mark.parametrize("case", ERRORS)
async def test_errors_name_file_line_and_column_and_write_nothing(
    database: Database, tmp_path: Path, case: str
) -> None:
    assert (
        await cli(database, "import", "people", str(write(tmp_path, SEED, "seed.csv")))
    ).exit_code == 0
    before = await dump(database)
    text, expected = ERRORS[case]
    path = write(tmp_path, text)
    result = await cli(database, "import", "people", str(path))
    assert result.exit_code != 0
    assert expected.replace("people.csv", str(path)) in result.output
    assert "nothing was imported" in result.output
    assert await dump(database) == before


async def test_every_problem_in_a_file_is_reported(database: Database, tmp_path: Path) -> None:
    text = (
        f"{HEADER},checkin_day,checkin_time\n"
        "a@x.com,A,nobody@x.com,,,,,\n"
        "b@x.com,B,,Nowhere/City,,,,\n"
        "c@x.com,C,,,,,funday,25:00\n"
        "a@x.com,A twin,,,,,,\n"
        "d@x.com,D,d@x.com,,,,,\n"
    )
    path = write(tmp_path, text)
    result = await cli(database, "import", "people", str(path))
    assert result.exit_code != 0
    expected = [
        f"{path}:2: manager_email: no person with email nobody@x.com",
        f"{path}:3: timezone: 'Nowhere/City' is not an IANA time zone",
        f"{path}:4: checkin_day: 'funday' is not a day",
        f"{path}:4: checkin_time: '25:00' is not a time",
        f"{path}:5: email: a@x.com appears twice; first on line 2",
        f"{path}:6: manager_email: reporting cycle: d@x.com is their own manager",
    ]
    positions = [result.output.index(line) for line in expected]
    assert positions == sorted(positions)
    assert "6 problems" in result.output
    assert await dump(database) == {name: [] for name in await dump(database)}


async def test_a_missing_file_is_reported(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    result = await cli(database, "import", "people", str(path))
    assert result.exit_code != 0
    assert f"{path}: no such file" in result.output


async def test_an_undecodable_file_is_reported(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(f"{HEADER}\nj@x.com,Jos\xe9,,,,\n".encode("latin-1"))
    result = await cli(database, "import", "people", str(path))
    assert result.exit_code != 0
    assert f"{path}:2: is not UTF-8 text" in result.output
    assert await dump(database) == {name: [] for name in await dump(database)}
