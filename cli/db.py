"""`okrbot db`: schema migrations."""

from __future__ import annotations

import typer

from okrbot.cli.common import console, run_with_database
from okrbot.storage.db import Database
from okrbot.storage.migrate import current_revision

app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Apply pending migrations (every other command does this first, too)."""

    async def work(database: Database, _settings: object) -> str | None:
        return await current_revision(database.engine)

    revision = run_with_database(work)
    console.print(f"database is at revision {revision}")
