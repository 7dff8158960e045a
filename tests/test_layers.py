"""The import direction the README states, checked on the source: dependencies point inwards.

`bot/` is the platform-neutral core: it imports no adapter, scheduler, storage, CLI or platform
library. `storage/` imports no adapter, scheduler or CLI. `scheduler/` imports no adapter or CLI.
No adapter imports sqlalchemy (SQL is storage's), and the Slack and Teams adapters never import
each other. A change that breaks one of these fails here, naming the file, the line and the
import.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLATFORM_LIBRARIES = ("slack_bolt", "slack_sdk", "botbuilder", "botframework", "msrest", "aiohttp")

FORBIDDEN: dict[str, tuple[str, ...]] = {
    "bot": (
        "okrbot.adapters",
        "okrbot.scheduler",
        "okrbot.storage",
        "okrbot.cli",
        "sqlalchemy",
        *PLATFORM_LIBRARIES,
    ),
    "storage": ("okrbot.adapters", "okrbot.scheduler", "okrbot.cli", *PLATFORM_LIBRARIES),
    "scheduler": ("okrbot.adapters", "okrbot.cli", *PLATFORM_LIBRARIES),
    "adapters": ("sqlalchemy",),
    "adapters/slack": ("okrbot.adapters.teams", "botbuilder", "botframework", "msrest"),
    "adapters/teams": ("okrbot.adapters.slack", "slack_bolt", "slack_sdk"),
}


def imports(path: Path, root: Path) -> list[tuple[int, str]]:
    """Every module a file imports, absolute, with its line."""
    package = ".".join(("okrbot", *path.relative_to(root).parent.parts))
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.append((node.lineno, base))
    return found


def violations(layer: str, root: Path = ROOT) -> list[str]:
    banned = FORBIDDEN[layer]
    found = []
    for path in sorted((root / layer).rglob("*.py")):
        if "migrations" in path.parts:
            continue  # Alembic's env.py and revisions are storage's own scripts
        for line, module in imports(path, root):
            if any(module == name or module.startswith(name + ".") for name in banned):
                found.append(f"{path.relative_to(root)}:{line}: imports {module}")
    return found


def test_the_core_imports_no_platform_storage_scheduler_or_adapter() -> None:
    assert violations("bot") == []


def test_storage_imports_no_adapter_scheduler_or_platform() -> None:
    assert violations("storage") == []


def test_the_scheduler_imports_no_adapter_or_platform() -> None:
    assert violations("scheduler") == []


def test_the_slack_and_teams_adapters_never_import_each_other() -> None:
    assert violations("adapters/slack") == []
    assert violations("adapters/teams") == []


def test_adapters_leave_sql_to_storage() -> None:
    """Adapters reach the database through storage's repository functions."""
    assert violations("adapters") == []


def test_the_shared_flows_know_no_platform() -> None:
    """What both platforms share (adapters/*.py: the check-in, kudos, reports and preferences
    flows and the couriers) is written once, so it imports neither platform nor its library
    (aiohttp, which serves both, is allowed)."""
    libraries = [name for name in PLATFORM_LIBRARIES if name != "aiohttp"]
    banned = ("okrbot.adapters.slack", "okrbot.adapters.teams", *libraries)
    shared = sorted((ROOT / "adapters").glob("*.py"))
    found = [
        f"{path.relative_to(ROOT)}:{line}: imports {module}"
        for path in shared
        for line, module in imports(path, ROOT)
        if any(module == name or module.startswith(name + ".") for name in banned)
    ]
    assert len(shared) > 5 and found == []


def test_a_forbidden_import_is_reported_with_its_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot" / "probe.py").write_text(
        "from ..adapters.slack import app\nimport slack_sdk\nfrom .domain import Person\n", "utf-8"
    )
    assert violations("bot", tmp_path) == [
        "bot/probe.py:1: imports okrbot.adapters.slack",
        "bot/probe.py:2: imports slack_sdk",
    ]


def test_what_ships_imports_no_test_only_dependency() -> None:
    """The installed package must run with its own dependencies: nothing outside tests/ (and
    bench/, which is not installed) may import a library only the `test` extra brings, such as
    jsonschema, which validates Adaptive Cards in the tests alone."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {_distribution(spec) for spec in project["dependencies"]}
    test_only = {_distribution(spec) for spec in project["optional-dependencies"]["test"]}
    modules = {name.replace("-", "_") for name in test_only - runtime}
    modules.discard("types_pyyaml")
    shipped = [p for p in ROOT.rglob("*.py") if p.relative_to(ROOT).parts[0] not in NOT_SHIPPED]
    found = [
        f"{path.relative_to(ROOT)}:{line}: imports {module}"
        for path in sorted(shipped)
        for line, module in imports(path, ROOT)
        if module.split(".")[0] in modules
    ]
    assert "jsonschema" in modules
    assert found == []


NOT_SHIPPED = {"tests", "bench", ".git", "build"}


def _distribution(spec: str) -> str:
    return re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0].lower()
