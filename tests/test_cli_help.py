"""Every `okrbot` command and sub-command answers --help."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from okrbot.cli.main import app


def command_paths() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        paths.append(path)
        for name, sub in (getattr(command, "commands", None) or {}).items():
            walk(sub, [*path, name])

    walk(root, [])
    return paths


PATHS = command_paths()


def test_every_documented_command_exists() -> None:
    names = {" ".join(path) for path in PATHS}
    for expected in (
        "demo",
        "serve",
        "db upgrade",
        "import people",
        "import okrs",
        "export",
        "export people",
        "okrs show",
        "checkins send",
        "outbox list",
        "outbox retry",
        "people list",
        "people pause",
        "people deactivate",
        "people reactivate",
        "teams package",
        "digests send",
        "reflections send",
        "quarter close",
    ):
        assert expected in names


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "okrbot")
def test_help(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
