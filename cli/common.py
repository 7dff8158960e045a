"""What every command shares: settings, the database (migrated first) and error reporting."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, NoReturn, TypeVar

import typer
from rich.console import Console

from okrbot.bot.settings import Settings, SettingsError, load_settings
from okrbot.storage.db import Database, DatabaseURLError

if TYPE_CHECKING:
    from okrbot.cli.runtime import Runtime

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


def run_runtime(work: Callable[[Runtime], Awaitable[T]]) -> T:
    """Build the whole okrbot (database migrated, adapters wired), run `work`, close it."""
    from okrbot.cli.runtime import ConfigurationError, build_runtime

    config = settings()

    async def main() -> T:
        try:
            runtime = await build_runtime(config)
        except (ConfigurationError, DatabaseURLError) as error:
            fail(str(error))
        try:
            return await work(runtime)
        finally:
            await runtime.close()

    return asyncio.run(main())
