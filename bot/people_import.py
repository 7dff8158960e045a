"""Reading a people file (CSV) into checked records, before anything is written.

Checks that need to know who is already stored take that knowledge as plain arguments, which
keeps this module free of any database or chat platform. The file format round-trips:
`people_csv` writes what `parse_people` reads, so an export imports again unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import time

from okrbot.bot.domain import Person, Weekday, parse_local_time
from okrbot.bot.import_problems import Problem, is_email, new_cycle
from okrbot.bot.settings import check_timezone
from okrbot.bot.spreadsheet import read_cell, safe_cell
from okrbot.bot.working_hours import WorkingHours, format_days, parse_days, parse_hours

PEOPLE_COLUMNS = ("email", "name", "manager_email", "timezone", "slack_user_id", "teams_aad_id")
# The rest may be left out; a column the file lacks leaves that value alone on re-import.
REQUIRED_PEOPLE_COLUMNS = ("email", "name")
CHECKIN_COLUMNS = ("checkin_day", "checkin_time")
# A person's own working hours (`09:00-17:30`, `sun-thu`); empty: the company's.
WORK_COLUMNS = ("work_hours", "work_days")


@dataclass(frozen=True, slots=True)
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One row of a people file. Emails are lowercased; empty cells are None."""

    line: int
    email: str
    name: str
    manager_email: str | None = None
    timezone: str | None = None
    slack_user_id: str | None = None
    teams_aad_id: str | None = None
    checkin_day: Weekday | None = None
    checkin_time: time | None = None
    work_hours: tuple[time, time] | None = None
    work_days: frozenset[Weekday] | None = None


@dataclass(frozen=True, slots=True)
class PeopleFile:
    """A parsed people file. `columns` matters on re-import: a column the file lacks is left
    alone in the database, whereas a column present with an empty cell clears the value."""

    file: str
    columns: frozenset[str]
    records: tuple[PersonRecord, ...]
    problems: tuple[Problem, ...]


def parse_people(text: str, file: str) -> PeopleFile:
    """Check each row on its own: columns, emails, time zones, days and times."""
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip().lower() for cell in next(reader)]
    except StopIteration:
        return PeopleFile(file, frozenset(), (), (Problem(file, 1, None, "the file is empty"),))
    except csv.Error as error:
        return PeopleFile(file, frozenset(), (), (Problem(file, 1, None, str(error)),))
    known = (*PEOPLE_COLUMNS, *CHECKIN_COLUMNS, *WORK_COLUMNS)
    for column in REQUIRED_PEOPLE_COLUMNS:
        if column not in header:
            problems.append(Problem(file, 1, column, "missing column"))
    for index, column in enumerate(header):
        if column not in known:
            problems.append(
                Problem(
                    file,
                    1,
                    column or f"column {index + 1}",
                    f"unknown column; the columns are {', '.join(known)}",
                )
            )
        elif header.index(column) != index:
            problems.append(Problem(file, 1, column, "the column appears twice"))
    if problems:
        return PeopleFile(file, frozenset(header), (), tuple(problems))

    records: list[PersonRecord] = []
    first_line: dict[str, int] = {}
    line = 1
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(Problem(file, start, None, str(error)))
            break
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            message = f"the row has {len(cells)} cells but the header has {len(header)}"
            problems.append(Problem(file, start, None, message))
            continue
        row = {
            column: (read_cell(cells[i].strip()).strip() if i < len(cells) else "")
            for i, column in enumerate(header)
        }
        record = _person_record(row, start, file, problems)
        if record is None:
            continue
        if record.email in first_line:
            message = f"{record.email} appears twice; first on line {first_line[record.email]}"
            problems.append(Problem(file, start, "email", message))
            continue
        first_line[record.email] = start
        records.append(record)
    return PeopleFile(file, frozenset(header), tuple(records), tuple(problems))


def _person_record(
    row: Mapping[str, str], line: int, file: str, problems: list[Problem]
) -> PersonRecord | None:
    before = len(problems)

    def bad(column: str, message: str) -> None:
        problems.append(Problem(file, line, column, message))

    email = row["email"].lower()
    if not email:
        bad("email", "is empty")
    elif not is_email(email):
        bad("email", f"{row['email']!r} is not an email address")
    if not row["name"]:
        bad("name", "is empty")
    manager = row.get("manager_email", "").lower() or None
    if manager is not None and not is_email(manager):
        bad("manager_email", f"{row['manager_email']!r} is not an email address")
    timezone = row.get("timezone") or None
    if timezone is not None:
        try:
            check_timezone(timezone)
        except ValueError as error:
            bad("timezone", str(error))
    day: Weekday | None = None
    if row.get("checkin_day"):
        try:
            day = Weekday.parse(row["checkin_day"])
        except ValueError as error:
            bad("checkin_day", str(error))
    at: time | None = None
    if row.get("checkin_time"):
        try:
            at = parse_local_time(row["checkin_time"])
        except ValueError as error:
            bad("checkin_time", str(error))
    hours: tuple[time, time] | None = None
    if row.get("work_hours"):
        try:
            hours = parse_hours(row["work_hours"])
        except ValueError as error:
            bad("work_hours", str(error))
    days: frozenset[Weekday] | None = None
    if row.get("work_days"):
        try:
            days = parse_days(row["work_days"]) or None
        except ValueError as error:
            bad("work_days", f"{error}; write the days like mon-fri, sun-thu or mon,wed,fri")
    if len(problems) > before:
        return None
    return PersonRecord(
        line=line,
        email=email,
        name=row["name"],
        manager_email=manager,
        timezone=timezone,
        slack_user_id=row.get("slack_user_id") or None,
        teams_aad_id=row.get("teams_aad_id") or None,
        checkin_day=day,
        checkin_time=at,
        work_hours=hours,
        work_days=days,
    )


def check_people(people: PeopleFile, existing: Sequence[Person]) -> list[Problem]:
    """Check the file against itself and the people already stored: managers exist, nobody
    ends up managing themselves through a chain, and chat ids stay unique."""
    file = people.file
    problems: list[Problem] = []
    email_of = {person.id: person.email.lower() for person in existing}
    in_file = {record.email: record for record in people.records}

    managers: dict[str, str | None] = {
        email_of[p.id]: email_of.get(p.manager_id) if p.manager_id else None for p in existing
    }
    for record in people.records:
        if "manager_email" not in people.columns:
            managers.setdefault(record.email, None)  # a new person; the stored keep theirs
            continue
        managers[record.email] = record.manager_email
        manager = record.manager_email
        if manager is not None and manager not in managers and manager not in in_file:
            message = f"no person with email {manager} in the file or the database"
            problems.append(Problem(file, record.line, "manager_email", message))
    problems.extend(_reporting_cycles(people, managers))

    stored = {person.email.lower(): person for person in existing}
    for column in ("slack_user_id", "teams_aad_id"):
        holders: dict[str, tuple[str, int | None]] = {}
        for person in existing:
            value = getattr(person, column)
            if value and person.email.lower() not in in_file:
                holders[value] = (person.email.lower(), None)
        for record in people.records:
            value = getattr(record, column)
            if value is None:
                # An empty cell keeps the stored id (see PeopleFile), which still has to be unique.
                kept = stored.get(record.email)
                if kept is not None and getattr(kept, column):
                    holders.setdefault(getattr(kept, column), (record.email, record.line))
                continue
            holder = holders.get(value)
            if holder is not None and holder[0] != record.email:
                where = f"line {holder[1]}" if holder[1] is not None else "the database"
                message = f"{value} already belongs to {holder[0]} ({where})"
                problems.append(Problem(file, record.line, column, message))
            else:
                holders[value] = (record.email, record.line)
    return problems


def _reporting_cycles(people: PeopleFile, managers: Mapping[str, str | None]) -> list[Problem]:
    problems = []
    reported: set[frozenset[str]] = set()
    for record in people.records:
        chain = new_cycle(record.email, managers, reported)
        if not chain:
            continue
        if len(chain) == 1:
            message = f"reporting cycle: {record.email} is their own manager"
        else:
            message = "reporting cycle: " + " → ".join([*chain, record.email])
            message += " (each is managed by the next)"
        problems.append(Problem(people.file, record.line, "manager_email", message))
    return problems


def people_csv(rows: Iterable[PersonRecord]) -> str:
    """The people file format, so that an export can be imported again unchanged."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*PEOPLE_COLUMNS, *CHECKIN_COLUMNS, *WORK_COLUMNS])
    for row in rows:
        cells = [
            row.email,
            row.name,
            row.manager_email or "",
            row.timezone or "",
            row.slack_user_id or "",
            row.teams_aad_id or "",
            row.checkin_day.name.lower() if row.checkin_day is not None else "",
            row.checkin_time.strftime("%H:%M") if row.checkin_time is not None else "",
            WorkingHours(*row.work_hours).hours_text if row.work_hours is not None else "",
            format_days(row.work_days) if row.work_days is not None else "",
        ]
        writer.writerow([safe_cell(cell) for cell in cells])
    return out.getvalue()
