"""What every command shares: settings, the database (migrated first) and error reporting."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import typer
from rich.console import Console

from okrbot.bot.settings import Settings, SettingsError, load_settings
from okrbot.storage.db import Database, DatabaseURLError

T = TypeVar("T")

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        fail(str(error))


def run_with_database(work: Callable[[Database, Settings], Awaitable[T]]) -> T:
    """Open the configured database, apply pending migrations, run `work`, close the database."""
    config = settings()

    async def main() -> T:
        try:
            database = Database(config.database_url)
        except DatabaseURLError as error:
            fail(str(error))
        try:
            await database.upgrade()
            return await work(database, config)
        finally:
            await database.dispose()

    return asyncio.run(main())
