"""Cells that a spreadsheet shows as text, never runs as a formula (CSV injection).

Excel, LibreOffice and Google Sheets evaluate a cell that starts with `=`, `+`, `-` or `@` (and
some of them after a leading tab or carriage return), so a key result titled `=HYPERLINK(...)`
or a name like `@SUM(...)` would run on the admin's machine when they open an export. Such
cells get a leading apostrophe, as OWASP recommends: spreadsheets hide it and show the text.
Reading a file okrbot wrote takes the apostrophe off again, so exports re-import unchanged.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """`value` as a CSV cell that cannot start a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def read_cell(value: str) -> str:
    """A cell as `safe_cell` was given it: the protective apostrophe comes off."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value
