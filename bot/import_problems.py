"""What goes wrong in an import file, and the bits of reading both import formats share.

An import is all-or-nothing, so every problem is collected first and reported together, each
naming the file, the 1-based line and the column or key, the way a compiler reports errors: an
admin fixing a 200-line spreadsheet should not have to run the import 20 times. The people
(CSV, `people_import`) and OKR (YAML, `okr_import`) parsers both report through `Problem`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


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


def is_email(text: str) -> bool:
    local, at, domain = text.partition("@")
    return bool(
        at and local and domain and "@" not in domain and not any(c.isspace() for c in text)
    )


def new_cycle(
    start: str, next_of: Mapping[str, str | None], reported: set[frozenset[str]]
) -> list[str]:
    """The chain from `start` through `next_of` (a manager, a parent) when it leads back to
    `start` and that loop is not in `reported` yet (which it is then added to); else []. Both
    imports report each loop once, on the first of its members in the file."""
    chain = [start]
    following = next_of.get(start)
    while following is not None and following not in chain:
        chain.append(following)
        following = next_of.get(following)
    if following != start or frozenset(chain) in reported:
        return []
    reported.add(frozenset(chain))
    return chain
