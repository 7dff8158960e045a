"""The Teams app manifest, its icons and `okrbot teams package`."""

from __future__ import annotations

import io
import json
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator
from PIL import Image
from typer.testing import CliRunner

from okrbot.cli.main import app
from okrbot.manifest.teams_package import PLACEHOLDER_APP_ID, PackageError, build_package
from tests.refs import REFS

APP_ID = "1a2b3c4d-5e6f-4a7b-8c9d-0123456789ab"


def _schema_problems(manifest: dict[str, Any]) -> list[str]:
    path = REFS / "teams-manifest-v1.22" / "MicrosoftTeams.schema.json"
    validator = Draft4Validator(json.loads(path.read_text(encoding="utf-8")))
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(manifest)]


def _committed() -> dict[str, Any]:
    text = resources.files("okrbot.manifest").joinpath("teams").joinpath("manifest.json")
    return json.loads(text.read_text(encoding="utf-8"))


def test_committed_manifest_is_valid_1_22() -> None:
    manifest = _committed()
    assert manifest["manifestVersion"] == "1.22"
    assert manifest["$schema"].endswith("/teams/v1.22/MicrosoftTeams.schema.json")
    assert _schema_problems(manifest) == []


def test_manifest_declares_the_bot_okrbot_needs() -> None:
    manifest = _committed()
    [bot] = manifest["bots"]
    assert manifest["id"] == bot["botId"] == PLACEHOLDER_APP_ID
    assert "personal" in bot["scopes"]
    assert bot["supportsFiles"] is False and bot["isNotificationOnly"] is False
    personal = next(c for c in bot["commandLists"] if c["scopes"] == ["personal"])
    assert [c["title"] for c in personal["commands"]] == [
        "okr",
        "home",
        "okr new",
        "checkin",
        "1on1",
        "kudos",
        "settings",
        "channel",
        "help",
    ]
    team = next(c for c in bot["commandLists"] if c["scopes"] == ["team"])
    assert [c["title"] for c in team["commands"]] == ["kudos", "channel", "help"]
    assert all(len(c["commands"]) <= 10 for c in bot["commandLists"])
    assert manifest["permissions"] == ["identity", "messageTeamMembers"]


def _icons(files: dict[str, bytes]) -> tuple[Image.Image, Image.Image]:
    return Image.open(io.BytesIO(files["color.png"])), Image.open(io.BytesIO(files["outline.png"]))


def test_package_command_builds_a_valid_zip(tmp_path: Path) -> None:
    out = tmp_path / "dist" / "okrbot-teams.zip"
    result = CliRunner().invoke(
        app,
        ["teams", "package", "--app-id", APP_ID, "--out", str(out), "--domain", "okr.contoso.com"],
    )
    assert result.exit_code == 0, result.output
    assert "okrbot-teams.zip" in result.output

    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        files = {name: package.read(name) for name in package.namelist()}
    manifest = json.loads(files["manifest.json"])
    assert manifest["id"] == manifest["bots"][0]["botId"] == APP_ID
    assert manifest["validDomains"] == ["okr.contoso.com"]
    assert _schema_problems(manifest) == []

    color, outline = _icons(files)
    assert color.size == (192, 192)
    assert outline.size == (32, 32) and outline.mode == "RGBA"
    # Teams' rule for the outline icon: white on transparent, nothing else.
    pixels = [outline.getpixel((x, y)) for x in range(32) for y in range(32)]
    assert all(alpha == 0 or (r, g, b) == (255, 255, 255) for r, g, b, alpha in pixels)
    assert {0, 255} <= {alpha for *_, alpha in pixels}


def test_package_keeps_the_placeholder_domain_without_domain(tmp_path: Path) -> None:
    path = build_package(APP_ID, tmp_path / "p.zip")
    with zipfile.ZipFile(path) as package:
        manifest = json.loads(package.read("manifest.json"))
    assert manifest["validDomains"] == _committed()["validDomains"]


@pytest.mark.parametrize(
    "bad", ["not-a-guid", "1a2b3c4d5e6f4a7b8c9d0123456789ab", PLACEHOLDER_APP_ID]
)
def test_bad_app_id_is_refused(tmp_path: Path, bad: str) -> None:
    out = tmp_path / "okrbot-teams.zip"
    result = CliRunner().invoke(app, ["teams", "package", "--app-id", bad, "--out", str(out)])
    assert result.exit_code == 2
    assert "--app-id" in result.output
    assert not out.exists()
    with pytest.raises(PackageError):
        build_package(bad, out)


def test_bad_domain_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["teams", "package", "--app-id", APP_ID, "--domain", "https://okr.contoso.com/"]
    )
    assert result.exit_code == 2
    assert "--domain" in result.output
