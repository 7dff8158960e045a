"""Hostile and malformed import files: arbitrary text, binary junk, huge fields, odd unicode,
wrong types in YAML, anchors and aliases (a "billion laughs" among them), deep nesting.

The parsers never raise; they answer with problems, each shaped `file:line: field: message`.
The `okrbot import` commands then exit non-zero with those problems and write nothing, or
import; never a traceback.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from okrbot.bot.import_problems import Problem
from okrbot.bot.okr_import import OkrFile, check_okrs, parse_okrs
from okrbot.bot.people_import import PEOPLE_COLUMNS, PeopleFile, check_people, parse_people
from okrbot.cli.main import app

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
CLI_FUZZ = settings(FUZZ, max_examples=25)
FILE = "in.txt"

PEOPLE_CSV = Path(__file__).parent / "data" / "people.csv"
OKRS_YAML = Path(__file__).parent / "data" / "okrs.yaml"


def assert_problems_are_clear(problems: tuple[Problem, ...] | list[Problem], file: str) -> None:
    for problem in problems:
        assert problem.file == file
        assert problem.line is None or problem.line >= 1
        assert problem.message.strip()
        where = file if problem.line is None else f"{file}:{problem.line}"
        assert str(problem).startswith(f"{where}: "), str(problem)


# -- strategies ------------------------------------------------------------------------------

text = st.text(max_size=40)
weird = st.text(
    alphabet=st.sampled_from(["\u202e", "\u200b", "\ufeff", "é", "𝔘", "\x00", "\r", '"', ",", "\n"])
    | st.characters(),
    max_size=40,
)
huge = st.text(min_size=5000, max_size=20000, alphabet=st.characters(codec="utf-8"))
cells = st.sampled_from(
    ["ada@example.com", "grace@example.com", "Europe/London", "Mars/Olympus", "mon", "sunday",
     "25:61", "09:30", "", " ", "U0ADA", "=cmd|' /C calc'!A0"]
) | text | weird  # fmt: skip
scalars = st.none() | st.booleans() | st.integers() | st.floats() | text | weird
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)  # fmt: skip


@st.composite
def people_files(draw: st.DrawFn) -> str:
    """CSV with the real header (shuffled, short or padded) and rows of odd cells."""
    header = draw(st.permutations(PEOPLE_COLUMNS)) + draw(
        st.lists(st.sampled_from(["checkin_day", "checkin_time", "email"]) | text, max_size=2)
    )
    header = header[: draw(st.integers(0, len(header)))]
    rows = draw(st.lists(st.lists(cells | huge, max_size=len(header) + 2), max_size=6))
    lines = [",".join(header)] + [",".join(row) for row in rows]
    return draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)


okr_keys = st.sampled_from(
    ["title", "owner", "level", "kind", "parent", "description", "key_results", "type", "start",
     "target", "unit"]
) | text  # fmt: skip
okr_scalars = st.sampled_from(
    ["ada@example.com", "company", "team", "personal", "committed", "aspirational", "percent",
     "milestone", "number", "currency", "1e309", "nan", "-inf", "1,000", "0x10", ""]
) | scalars  # fmt: skip


@st.composite
def okr_documents(draw: st.DrawFn) -> Any:
    """Structures shaped like an OKR file, with wrong types and unknown keys mixed in."""
    field_values = okr_scalars | json_values | huge
    key_result = st.dictionaries(okr_keys, field_values, max_size=6) | json_values
    objective = st.dictionaries(
        okr_keys, field_values | st.lists(key_result, max_size=3), max_size=7
    ) | json_values  # fmt: skip
    document: dict[Any, Any] = {
        "quarter": draw(st.sampled_from(["2026-Q4", "2026-Q5", "Q4", ""]) | json_values),
        "objectives": draw(st.lists(objective, max_size=3) | json_values),
    }
    document.update(draw(st.dictionaries(text, json_values, max_size=2)))
    return document if draw(st.integers(0, 4)) else draw(json_values)


def dumped(document: Any) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


yaml_texts = (
    st.builds(dumped, okr_documents())
    | text
    | weird
    | st.sampled_from(["{", "- [", "quarter: [", "a: b: c", "? x", "!!python/object:os.system x"])
)


# -- the parsers -------------------------------------------------------------------------------


@FUZZ
@given(body=people_files() | text | weird | huge)
def test_people_csv_never_raises_and_names_file_line_field(body: str) -> None:
    parsed = parse_people(body, FILE)
    assert isinstance(parsed, PeopleFile)
    assert_problems_are_clear(parsed.problems, FILE)
    assert_problems_are_clear(check_people(parsed, []), FILE)


@FUZZ
@given(body=yaml_texts | huge)
def test_okrs_yaml_never_raises_and_names_file_line_field(body: str) -> None:
    parsed = parse_okrs(body, FILE)
    assert isinstance(parsed, OkrFile)
    assert_problems_are_clear(parsed.problems, FILE)
    assert_problems_are_clear(check_okrs(parsed, ["ada@example.com"], {}), FILE)


def alias_bomb(levels: int) -> str:
    """A billion laughs: nine aliases of nine aliases of …, 9**levels strings once expanded."""
    anchors = ["&l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    anchors += [f"&l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, levels)]
    return (
        "quarter: 2026-Q4\nobjectives:\n  - title: t\n    owner: ada@example.com\n"
        "    level: company\n    key_results:\n      - title: k\n"
        f"        target: [{', '.join(anchors)}]\n"
    )


@pytest.mark.parametrize(
    "body",
    [
        alias_bomb(10),  # 3.5 billion strings; showing `target` in a message never returned
        "quarter: 2026-Q4\nobjectives: &o [*o]\n",
        "quarter: 2026-Q4\nobjectives: " + "[" * 100_000 + "]" * 100_000 + "\n",
        "quarter: 2026-Q4\nobjectives:\n  - title: " + "{a: " * 1000 + "1" + "}" * 1000 + "\n",
    ],
    ids=["billion-laughs", "self-reference", "deep-list", "deep-mapping"],
)
def test_aliases_and_deep_nesting_are_refused_quickly(body: str) -> None:
    """Regressions: an alias bomb hung parse_okrs, deep nesting raised RecursionError."""
    started = time.monotonic()
    parsed = parse_okrs(body, FILE)
    assert time.monotonic() - started < 2
    [problem] = parsed.problems
    assert re.match(r"in\.txt:\d+: not valid YAML: (its aliases|an alias|nested)", str(problem))


SHARED = """\
quarter: 2026-Q4
objectives:
  - title: A
    owner: ada@example.com
    level: company
    kind: committed
    key_results: &shared
      - title: K
        type: milestone
  - title: B
    owner: ada@example.com
    level: company
    kind: committed
    key_results: *shared
"""


def test_the_sample_files_and_ordinary_aliases_still_parse() -> None:
    """yaml.dump writes aliases for shared values (the demo's files have them): they work."""
    assert parse_okrs(OKRS_YAML.read_text(), "okrs.yaml").problems == ()
    assert parse_people(PEOPLE_CSV.read_text(), "people.csv").problems == ()
    shared = parse_okrs(SHARED, FILE)
    assert shared.problems == ()
    assert [len(o.key_results) for o in shared.objectives] == [1, 1]


# -- the CLI: nothing written on error, never a traceback --------------------------------------

TABLES = ("people", "objectives", "key_results", "schedules")


class Cli:
    def __init__(self, directory: Path, template: Path) -> None:
        self.directory = directory
        self.database = directory / "okrbot.db"
        shutil.copy(template, self.database)
        self.env = {"OKRBOT_DATABASE_URL": f"sqlite+aiosqlite:///{self.database}"}

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        with sqlite3.connect(self.database) as connection:
            return {
                table: connection.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
                for table in TABLES
            }

    def run(self, kind: str, body: bytes, suffix: str) -> tuple[int, str, dict[str, Any]]:
        path = self.directory / f"import{suffix}"
        path.write_bytes(body)
        before = self.dump()
        result = CliRunner().invoke(app, ["import", kind, str(path)], env=self.env)
        # typer exits through SystemExit; anything else is a crash with a traceback.
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        assert "Traceback" not in result.output
        if result.exit_code != 0:
            assert self.dump() == before  # nothing written
            assert "nothing was imported" in result.output, result.output
            assert re.search(rf"{re.escape(path.name)}(:\d+)?: \S", result.output), result.output
        return result.exit_code, result.output, before


@pytest.fixture(scope="module")
def cli(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """One database for the module: it starts with the sample people and OKRs imported."""
    running = Cli(tmp_path_factory.mktemp("fuzz-imports"), sqlite_template)
    assert running.run("people", PEOPLE_CSV.read_bytes(), ".csv")[0] == 0
    assert running.run("okrs", OKRS_YAML.read_bytes(), ".yaml")[0] == 0
    yield running


def as_file(text: str) -> bytes:
    """UTF-8, lone surrogates included (they make invalid UTF-8, which the import must refuse)."""
    return text.encode("utf-8", "surrogatepass")


junk_bytes = (
    st.binary(max_size=3000)
    | st.builds(lambda t: t.encode("utf-16", "surrogatepass"), text)
    | st.builds(lambda t: b"\xff\xfe" + as_file(t), text)
)


@CLI_FUZZ
@given(body=st.builds(as_file, people_files() | weird | huge) | junk_bytes)
def test_import_people_fails_cleanly_or_imports(cli: Cli, body: bytes) -> None:
    cli.run("people", body, ".csv")


@CLI_FUZZ
@given(body=st.builds(as_file, yaml_texts | huge) | junk_bytes)
def test_import_okrs_fails_cleanly_or_imports(cli: Cli, body: bytes) -> None:
    cli.run("okrs", body, ".yaml")


def test_import_okrs_refuses_an_alias_bomb_quickly(cli: Cli) -> None:
    started = time.monotonic()
    code, output, _before = cli.run("okrs", alias_bomb(10).encode(), ".yaml")
    assert code != 0 and "its aliases expand to more than" in output
    assert time.monotonic() - started < 10


def test_import_people_with_a_bad_row_writes_nothing(cli: Cli) -> None:
    good = PEOPLE_CSV.read_text().replace("Ada Lovelace", "Ada King")
    code, output, before = cli.run("people", (good + "not-an-email,X,,,,\n").encode(), ".csv")
    assert code != 0 and "import.csv:6: email:" in output
    assert ("Ada King",) not in {row[2:3] for row in before["people"]}


def test_a_character_yaml_does_not_allow_is_a_problem_with_its_line() -> None:
    """Regression: PyYAML refuses it while the loader is built, and that raised."""
    [problem] = parse_okrs("quarter: 2026-Q4\nobjectives: \x1f\n", FILE).problems
    assert str(problem) == "in.txt:2: not valid YAML: the character U+001F is not allowed"
