"""Shared fixtures: a migrated database on SQLite and, where configured, on PostgreSQL.

`database` runs a test once per backend. PostgreSQL comes from OKRBOT_TEST_POSTGRES_URL; without
it those runs skip, unless OKRBOT_REQUIRE_POSTGRES=1 (set by .ci/run), where a missing or
unreachable PostgreSQL fails the run instead of quietly testing less.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from okrbot.storage.db import Database
from okrbot.storage.models import Base

POSTGRES_URL_ENV = "OKRBOT_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "OKRBOT_REQUIRE_POSTGRES"


def _require_postgres() -> bool:
    return os.environ.get(REQUIRE_POSTGRES_ENV) == "1"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy, which is much faster than migrating."""
    path = tmp_path_factory.mktemp("template") / "okrbot.db"

    async def build() -> None:
        database = Database(f"sqlite+aiosqlite:///{path}")
        await database.upgrade()
        await database.dispose()

    asyncio.run(build())
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A private, migrated PostgreSQL database for this test session, dropped at the end."""
    base = os.environ.get(POSTGRES_URL_ENV)
    if not base:
        if _require_postgres():
            pytest.fail(f"{REQUIRE_POSTGRES_ENV}=1 but {POSTGRES_URL_ENV} is not set")
        pytest.skip(f"{POSTGRES_URL_ENV} is not set")
    name = f"okrbot_test_{uuid.uuid4().hex[:12]}"
    url = make_url(base).set(database=name).render_as_string(hide_password=False)

    async def admin(statement: str) -> None:
        server = Database(base, isolation_level="AUTOCOMMIT")
        try:
            async with server.engine.connect() as conn:
                await conn.execute(text(statement))
        finally:
            await server.dispose()

    async def create() -> None:
        await admin(f'CREATE DATABASE "{name}"')
        database = Database(url)
        await database.upgrade()
        await database.dispose()

    try:
        asyncio.run(create())
    except Exception as error:
        if _require_postgres():
            pytest.fail(f"PostgreSQL at {base} is not reachable: {error}")
        pytest.skip(f"PostgreSQL at {base} is not reachable: {error}")
    yield url
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _empty_postgres(database: Database) -> None:
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    async with database.transaction() as session:
        await session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
async def sqlite_database(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Database]:
    path = tmp_path / "okrbot.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite+aiosqlite:///{path}")
    yield database
    await database.dispose()


@pytest.fixture
async def postgres_database(postgres_url: str) -> AsyncIterator[Database]:
    database = Database(postgres_url)
    await _empty_postgres(database)
    yield database
    await database.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> Database:
    """A migrated, empty database; tests using it run on SQLite and on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_database")
