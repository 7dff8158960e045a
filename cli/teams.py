"""`okrbot teams`: what a Microsoft Teams deployment needs besides the running bot, and each
team's channel for its weekly OKR update (`okrbot teams channel`; a team is a manager and their
direct reports, on Slack or Teams)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from okrbot.cli import team_channels
from okrbot.cli.common import console
from okrbot.manifest.teams_package import PackageError, build_package, check_app_id, check_domain

app = typer.Typer(
    help="Microsoft Teams app package, and each team's channel for weekly OKR updates.",
    no_args_is_help=True,
)
app.add_typer(team_channels.app, name="channel")


def _app_id(value: str) -> str:
    try:
        return check_app_id(value)
    except PackageError as error:
        raise typer.BadParameter(str(error)) from None


def _domain(value: str | None) -> str | None:
    try:
        return None if value is None else check_domain(value)
    except PackageError as error:
        raise typer.BadParameter(str(error)) from None


@app.command()
def package(
    app_id: Annotated[
        str,
        typer.Option(
            "--app-id",
            callback=_app_id,
            help="The bot's Microsoft App ID (a GUID), from its Azure Bot registration.",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the app package zip.")] = Path(
        "okrbot-teams.zip"
    ),
    domain: Annotated[
        str | None,
        typer.Option(
            "--domain",
            callback=_domain,
            help="Public host name of this okrbot, for validDomains (default okrbot.example.com).",
        ),
    ] = None,
) -> None:
    """Build the Teams app package to upload in Teams (Apps → Manage your apps → Upload)."""
    written = build_package(app_id, out, domain)
    console.print(f"wrote Teams app package {written}", highlight=False, soft_wrap=True)
