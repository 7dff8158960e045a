"""The `okrbot` command: the composition root that wires storage, the bot core and the adapters."""

from __future__ import annotations

import typer

from okrbot import __version__
from okrbot.cli import checkins, data, db, demo, outbox, people, quarter, reports, serve, teams

app = typer.Typer(
    name="okrbot",
    help="OKR check-ins, kudos and manager digests in Slack and Microsoft Teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(demo.demo)
app.add_typer(db.app, name="db")
app.add_typer(checkins.app, name="checkins")
app.add_typer(outbox.app, name="outbox")
app.add_typer(reports.digests_app, name="digests")
app.add_typer(reports.reflections_app, name="reflections")
quarter.app.command("close")(reports.close_quarter)
app.add_typer(quarter.app, name="quarter")
app.command()(serve.serve)
app.add_typer(teams.app, name="teams")
app.add_typer(people.app, name="people")
data.register(app)


@app.command()
def version() -> None:
    """Print okrbot's version."""
    typer.echo(__version__)


if __name__ == "__main__":
    app()
