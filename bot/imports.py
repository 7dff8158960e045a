"""Reading people (CSV) and OKRs (YAML) files into checked records, before anything is written.

An import is all-or-nothing, so every problem is collected first and reported together, each
naming the file, the 1-based line and the column or key, the way a compiler reports errors: an
admin fixing a 200-line spreadsheet should not have to run the import 20 times. Checks that need
to know what is already stored take that knowledge as plain arguments, which keeps this module
free of any database or chat platform.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

import yaml

from okrbot.bot.domain import KeyResultType, Level, ObjectiveKind, Person, Weekday
from okrbot.bot.quarters import Quarter
from okrbot.bot.settings import check_timezone, parse_local_time
from okrbot.bot.spreadsheet import read_cell, safe_cell

PEOPLE_COLUMNS = ("email", "name", "manager_email", "timezone", "slack_user_id", "teams_aad_id")
# The rest may be left out; a column the file lacks leaves that value alone on re-import.
REQUIRED_PEOPLE_COLUMNS = ("email", "name")
CHECKIN_COLUMNS = ("checkin_day", "checkin_time")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an import file, formatted `file:line: field: message`."""

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
        location = ":".join(parts)
        if self.field:
            return f"{location}: {self.field}: {self.message}"
        return f"{location}: {self.message}"


class ImportFailed(Exception):
    """The file cannot be imported; `problems` lists every reason, in file order."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line or 0, p.field or ""))
        super().__init__("\n".join(str(p) for p in self.problems))


def raise_problems(problems: Sequence[Problem]) -> None:
    if problems:
        raise ImportFailed(problems)


@dataclass(frozen=True, slots=True)
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


def read_text(path: Path, file: str) -> str:
    """The file's text (UTF-8, with or without the BOM spreadsheets write)."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ImportFailed([Problem(file, None, None, "no such file")]) from None
    except IsADirectoryError:
        raise ImportFailed([Problem(file, None, None, "is a directory, not a file")]) from None
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        message = "is not UTF-8 text; save it as UTF-8 (CSV UTF-8 in spreadsheet programs)"
        raise ImportFailed([Problem(file, line, None, message)]) from None
    except OSError as error:
        raise ImportFailed([Problem(file, None, None, error.strerror or str(error))]) from None


def _is_email(text: str) -> bool:
    local, at, domain = text.partition("@")
    return bool(
        at and local and domain and "@" not in domain and not any(c.isspace() for c in text)
    )


# People --------------------------------------------------------------------------------------


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
    known = (*PEOPLE_COLUMNS, *CHECKIN_COLUMNS)
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
    elif not _is_email(email):
        bad("email", f"{row['email']!r} is not an email address")
    if not row["name"]:
        bad("name", "is empty")
    manager = row.get("manager_email", "").lower() or None
    if manager is not None and not _is_email(manager):
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
        chain = [record.email]
        manager = managers.get(record.email)
        while manager is not None and manager not in chain:
            chain.append(manager)
            manager = managers.get(manager)
        if manager != record.email:
            continue
        members = frozenset(chain)
        if members in reported:
            continue
        reported.add(members)
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
    writer.writerow([*PEOPLE_COLUMNS, *CHECKIN_COLUMNS])
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
        ]
        writer.writerow([safe_cell(cell) for cell in cells])
    return out.getvalue()


# OKRs ----------------------------------------------------------------------------------------

OBJECTIVE_KEYS = ("id", "title", "owner", "level", "kind", "description", "parent", "key_results")
KEY_RESULT_KEYS = ("id", "title", "owner", "type", "start", "target", "unit")
EXTERNAL_ID_MAX = 100
EXTERNAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True, slots=True)
class KeyResultRecord:
    line: int
    title: str
    owner_email: str
    type: KeyResultType
    start: float
    target: float
    unit: str | None = None
    owner_line: int = 0
    external_id: str | None = None
    id_line: int = 0


@dataclass(frozen=True, slots=True)
class ObjectiveRecord:
    line: int
    title: str
    owner_email: str
    level: Level
    kind: ObjectiveKind = ObjectiveKind.ASPIRATIONAL
    description: str | None = None
    parent_title: str | None = None
    key_results: tuple[KeyResultRecord, ...] = ()
    owner_line: int = 0
    parent_line: int = 0
    external_id: str | None = None
    id_line: int = 0


@dataclass(frozen=True, slots=True)
class OkrFile:
    file: str
    quarter: str | None
    objectives: tuple[ObjectiveRecord, ...]
    problems: tuple[Problem, ...] = field(default=())


YAML_MAX_DEPTH = 20
YAML_MAX_VALUES = 100_000


class _Loader(yaml.SafeLoader):
    """SafeLoader with limits on nesting and on the size of the document once its aliases are
    expanded. An OKR file comes nowhere near them; without them a small file could take the
    stack (`[[[[…`), or, through aliases of aliases (a "billion laughs"), unbounded time and
    memory as soon as a value is built or shown in a message.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self._depth >= YAML_MAX_DEPTH and not self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, f"nested more than {YAML_MAX_DEPTH} levels deep", mark
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self) -> yaml.Node | None:
        root = super().get_single_node()
        if root is not None:
            _check_expanded(root, {})
        return root


def _check_expanded(node: yaml.Node, seen: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """The number of values and the depth of `node` with aliases expanded, each shared node
    counted once (so this is quick even for a bomb); raises when either is over the limit."""
    known = seen.get(id(node))
    if known is not None:
        if known == (-1, -1):
            raise yaml.composer.ComposerError(
                None, None, "an alias refers to a value that contains it", node.start_mark
            )
        return known
    seen[id(node)] = (-1, -1)
    values, depth = 1, 1
    children: list[yaml.Node] = []
    if isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    elif isinstance(node, yaml.MappingNode):
        children = [item for pair in node.value for item in pair]
    for child in children:
        child_values, child_depth = _check_expanded(child, seen)
        values, depth = values + child_values, max(depth, child_depth + 1)
    if values > YAML_MAX_VALUES or depth > YAML_MAX_DEPTH:
        what = f"more than {YAML_MAX_VALUES} values" if values > YAML_MAX_VALUES else "too deep"
        raise yaml.composer.ComposerError(
            None, None, f"its aliases expand to {what}", node.start_mark
        )
    seen[id(node)] = (values, depth)
    return values, depth


class _Reader:
    """Walks a composed YAML document, keeping every node's line for the error messages."""

    def __init__(self, file: str, loader: yaml.SafeLoader) -> None:
        self.file = file
        self.loader = loader
        self.problems: list[Problem] = []

    def bad(self, node: yaml.Node, key: str | None, message: str) -> None:
        self.problems.append(Problem(self.file, node.start_mark.line + 1, key, message))

    def mapping(
        self, node: yaml.Node, what: str, allowed: Sequence[str]
    ) -> dict[str, yaml.Node] | None:
        if not isinstance(node, yaml.MappingNode):
            self.bad(node, None, f"{what} should be a mapping of keys to values")
            return None
        result: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            if key not in allowed:
                self.bad(key_node, key, f"unknown key in {what}; use {', '.join(allowed)}")
            elif key in result:
                self.bad(key_node, key, "the key appears twice")
            else:
                result[key] = value_node
        return result

    def value(self, node: yaml.Node) -> Any:
        return self.loader.construct_object(node, deep=True)

    def text(
        self, keys: Mapping[str, yaml.Node], key: str, parent: yaml.Node, required: bool = True
    ) -> str | None:
        node = keys.get(key)
        value = None if node is None else self.value(node)
        if node is None or value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.bad(node or parent, key, "is missing" if node is None else "is empty")
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.bad(node, key, "should be text, not a list or mapping")
            return None
        return str(value).strip()

    def choice(
        self,
        keys: Mapping[str, yaml.Node],
        key: str,
        parent: yaml.Node,
        kind: type[Any],
        default: Any = None,
    ) -> Any:
        text = self.text(keys, key, parent, required=default is None)
        if text is None:
            return default
        try:
            return kind(text.lower())
        except ValueError:
            choices = ", ".join(member.value for member in kind)
            self.bad(keys[key], key, f"{text!r} is not valid; use one of {choices}")
            return None

    def external_id(
        self, keys: Mapping[str, yaml.Node], parent: yaml.Node, seen: dict[str, int], what: str
    ) -> str | None:
        """The optional stable `id:`, unique among `seen` (id → first line)."""
        text = self.text(keys, "id", parent, required=False)
        if text is None:
            if "id" in keys:
                self.bad(keys["id"], "id", "is empty; leave the key out or give an id")
            return None
        node = keys["id"]
        if len(text) > EXTERNAL_ID_MAX or not EXTERNAL_ID.fullmatch(text):
            self.bad(
                node,
                "id",
                f"{text[:EXTERNAL_ID_MAX]!r} is not a valid id; use up to {EXTERNAL_ID_MAX} "
                "letters, digits, '.', '_' or '-', starting with a letter or digit",
            )
            return None
        if text in seen:
            self.bad(node, "id", f"{text!r} is used twice by {what}; first on line {seen[text]}")
            return None
        seen[text] = node.start_mark.line + 1
        return text

    def number(self, keys: Mapping[str, yaml.Node], key: str, parent: yaml.Node) -> float | None:
        node = keys.get(key)
        if node is None:
            self.bad(parent, key, "is missing")
            return None
        value = self.value(node)
        number: float | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value.replace(",", "").replace("_", ""))
            except ValueError:
                number = None
        if number is None or not math.isfinite(number):
            self.bad(node, key, f"{value!r} is not a number")
            return None
        return number


def parse_okrs(text: str, file: str) -> OkrFile:
    """Check the file's structure and values; references are checked by `check_okrs`."""
    try:
        loader = _Loader(text)  # it checks every character here, before anything is parsed
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        character = error.character
        shown = f"U+{character:04X}" if isinstance(character, int) else repr(character)
        message = f"not valid YAML: the character {shown} is not allowed"
        return OkrFile(file, None, (), (Problem(file, line, None, message),))
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        at = mark.line + 1 if mark is not None else None
        message = f"not valid YAML: {error.problem or error.context}"
        return OkrFile(file, None, (), (Problem(file, at, None, message),))
    except yaml.YAMLError as error:
        return OkrFile(file, None, (), (Problem(file, None, None, f"not valid YAML: {error}"),))
    if root is None:
        return OkrFile(file, None, (), (Problem(file, 1, None, "the file is empty"),))
    try:
        reader = _Reader(file, loader)
        keys = reader.mapping(root, "the file", ("quarter", "objectives"))
        if keys is None:
            return OkrFile(file, None, (), tuple(reader.problems))
        quarter = reader.text(keys, "quarter", root)
        if quarter is not None:
            try:
                quarter = Quarter.parse(quarter).id
            except ValueError as error:
                reader.bad(keys["quarter"], "quarter", str(error))
                quarter = None
        objectives = _objectives(reader, keys, root)
    finally:
        loader.dispose()
    return OkrFile(file, quarter, tuple(objectives), tuple(reader.problems))


def _objectives(
    reader: _Reader, keys: Mapping[str, yaml.Node], root: yaml.Node
) -> list[ObjectiveRecord]:
    node = keys.get("objectives")
    if node is None:
        reader.bad(root, "objectives", "is missing")
        return []
    if not isinstance(node, yaml.SequenceNode):
        reader.bad(node, "objectives", "should be a list of objectives")
        return []
    objectives: list[ObjectiveRecord] = []
    first_line: dict[str, int] = {}
    objective_ids: dict[str, int] = {}
    key_result_ids: dict[str, int] = {}
    for item in node.value:
        before = len(reader.problems)
        fields = reader.mapping(item, "an objective", OBJECTIVE_KEYS)
        if fields is None:
            continue
        external_id = reader.external_id(fields, item, objective_ids, "objectives")
        title = reader.text(fields, "title", item)
        owner = reader.text(fields, "owner", item)
        level = reader.choice(fields, "level", item, Level)
        kind = reader.choice(fields, "kind", item, ObjectiveKind, ObjectiveKind.ASPIRATIONAL)
        description = reader.text(fields, "description", item, required=False)
        parent = reader.text(fields, "parent", item, required=False)
        if owner is not None and not _is_email(owner.lower()):
            reader.bad(fields["owner"], "owner", f"{owner!r} is not an email address")
        if title is not None and title in first_line:
            message = f"{title!r} appears twice; first on line {first_line[title]}"
            reader.bad(fields["title"], "title", message)
        objective_is_sound = len(reader.problems) == before
        # Keep an objective whose key results have problems (only its sound ones), so that its
        # owner and parent are still checked and reported in the same run.
        key_results = _key_results(reader, fields, owner, key_result_ids)
        if not objective_is_sound:
            continue
        assert title is not None and owner is not None
        first_line[title] = item.start_mark.line + 1
        objectives.append(
            ObjectiveRecord(
                line=item.start_mark.line + 1,
                title=title,
                owner_email=owner.lower(),
                level=level,
                kind=kind,
                description=description,
                parent_title=parent,
                key_results=tuple(key_results),
                owner_line=fields["owner"].start_mark.line + 1,
                parent_line=fields["parent"].start_mark.line + 1 if parent else 0,
                external_id=external_id,
                id_line=fields["id"].start_mark.line + 1 if external_id else 0,
            )
        )
    return objectives


def _key_results(
    reader: _Reader,
    fields: Mapping[str, yaml.Node],
    objective_owner: str | None,
    ids: dict[str, int],
) -> list[KeyResultRecord]:
    node = fields.get("key_results")
    if node is None or (isinstance(node, yaml.ScalarNode) and reader.value(node) is None):
        return []
    if not isinstance(node, yaml.SequenceNode):
        reader.bad(node, "key_results", "should be a list of key results")
        return []
    key_results: list[KeyResultRecord] = []
    first_line: dict[str, int] = {}
    for item in node.value:
        keys = reader.mapping(item, "a key result", KEY_RESULT_KEYS)
        if keys is None:
            continue
        before = len(reader.problems)
        external_id = reader.external_id(keys, item, ids, "key results")
        title = reader.text(keys, "title", item)
        owner = reader.text(keys, "owner", item, required=False)
        if owner is not None and not _is_email(owner.lower()):
            reader.bad(keys["owner"], "owner", f"{owner!r} is not an email address")
        kr_type = reader.choice(keys, "type", item, KeyResultType, KeyResultType.NUMBER)
        unit = reader.text(keys, "unit", item, required=False)
        start: float | None
        target: float | None
        if kr_type is KeyResultType.MILESTONE:
            start, target = 0.0, 1.0
            for key, expected in (("start", 0.0), ("target", 1.0)):
                if key in keys and reader.number(keys, key, item) not in (expected, None):
                    reader.bad(keys[key], key, f"a milestone's {key} is always {expected:g}")
        else:
            start = reader.number(keys, "start", item)
            target = reader.number(keys, "target", item)
            if start is not None and start == target:
                reader.bad(
                    keys["target"],
                    "target",
                    f"is the same as the start ({start:g}), so the key result would score 1.0 "
                    "before anyone checks in; a key result measures a change: set the start to "
                    "where it is today and the target to where it should get, or make it a "
                    "milestone (type: milestone)",
                )
        if title is not None and title in first_line:
            message = f"{title!r} appears twice in the objective; first on line {first_line[title]}"
            reader.bad(keys["title"], "title", message)
        if len(reader.problems) > before or objective_owner is None:
            continue
        assert title is not None and start is not None and target is not None
        first_line[title] = item.start_mark.line + 1
        owner_node = keys.get("owner") or fields["owner"]
        key_results.append(
            KeyResultRecord(
                line=item.start_mark.line + 1,
                title=title,
                owner_email=(owner or objective_owner).lower(),
                type=kr_type,
                start=start,
                target=target,
                unit=unit,
                owner_line=owner_node.start_mark.line + 1,
                external_id=external_id,
                id_line=keys["id"].start_mark.line + 1 if external_id else 0,
            )
        )
    return key_results


def check_okrs(
    okrs: OkrFile,
    emails: Iterable[str],
    stored_parents: Mapping[str, str | None],
    deactivated: Iterable[str] = (),
) -> list[Problem]:
    """Check owners against the people stored (`emails`; none `deactivated`) and parents against
    the file and the quarter's stored objectives (`stored_parents`: title → parent title),
    including cycles."""
    file = okrs.file
    problems: list[Problem] = []
    known = {email.lower() for email in emails}
    gone = {email.lower() for email in deactivated}
    for objective in okrs.objectives:
        owners = [(objective.owner_line, objective.owner_email)]
        owners += [(kr.owner_line, kr.owner_email) for kr in objective.key_results]
        for line, email in dict.fromkeys(owners):
            if email not in known:
                message = f"no person with email {email}; import people first"
                problems.append(Problem(file, line, "owner", message))
            elif email in gone:
                message = (
                    f"{email} is deactivated; give this to someone else "
                    f"(or `okrbot people reactivate {email}` first)"
                )
                problems.append(Problem(file, line, "owner", message))

    parents = dict(stored_parents)
    for objective in okrs.objectives:
        parents[objective.title] = objective.parent_title
    for objective in okrs.objectives:
        parent = objective.parent_title
        if parent is not None and parent not in parents:
            message = f"no objective titled {parent!r} in {okrs.quarter} in the file or database"
            problems.append(Problem(file, objective.parent_line, "parent", message))

    reported: set[frozenset[str]] = set()
    for objective in okrs.objectives:
        chain = [objective.title]
        parent = parents.get(objective.title)
        while parent is not None and parent not in chain:
            chain.append(parent)
            parent = parents.get(parent)
        if parent != objective.title or frozenset(chain) in reported:
            continue
        reported.add(frozenset(chain))
        message = "objectives can't be their own ancestors: " + " → ".join(
            repr(title) for title in [*chain, objective.title]
        )
        problems.append(Problem(file, objective.parent_line, "parent", message))
    return problems


@dataclass(slots=True)
class ChangeCounts:
    """What an OKR import did (or, in a dry run, would do) to objectives or key results."""

    created: int = 0
    updated: int = 0
    renamed: int = 0
    archived: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.renamed} renamed, "
            f"{self.archived} archived, {self.unchanged} unchanged"
        )


@dataclass(slots=True)
class OkrDiff:
    """The counts and one line per change (what was created, then renamed or updated, then
    archived, each in file order), for the import's summary."""

    objectives: ChangeCounts = field(default_factory=ChangeCounts)
    key_results: ChangeCounts = field(default_factory=ChangeCounts)
    changes: list[str] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)

    def summary(self, heading: str) -> str:
        lines = [f"{heading} objectives {self.objectives}; key results {self.key_results}"]
        lines += [f"  {change}" for change in self.changes]
        if self.not_in_file:
            lines.append(
                f"{len(self.not_in_file)} not in the file, kept as they are "
                "(--prune archives them):"
            )
            lines += [f"  {what}" for what in self.not_in_file]
        return "\n".join(lines)
