"""Objectives drafted in chat next to the admin's OKR file: an import never matches, changes or
prunes them, exports and `okrbot okrs show` say where each objective came from and whether it
is approved, and an export's objectives listed back in an OKR file import again. On SQLite and
PostgreSQL, with migration 0013 marking every objective stored before it as imported."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import DateTime, Integer, String, column, insert, select, table

from okrbot.bot.domain import KeyResultType, ObjectiveKind
from okrbot.bot.drafts import Draft, DraftKeyResult
from okrbot.cli.common import console
from okrbot.storage.db import Database
from okrbot.storage.drafts import add_draft, approve_draft
from okrbot.storage.migrate import upgrade
from okrbot.storage.models import ObjectiveRow
from okrbot.storage.okrs import objectives_for_quarter
from okrbot.storage.people import get_person_by_email
from tests.test_import_okrs import cli, people
from tests.test_okr_reimport import PLAN, imported
from tests.test_storage_basics import unmigrated

__all__ = ["people", "unmigrated"]  # the fixtures, used by name

NOW = datetime(2026, 10, 6, 9, tzinfo=UTC)


def _draft(title: str) -> Draft:
    return Draft(
        title,
        ObjectiveKind.ASPIRATIONAL,
        None,
        (DraftKeyResult(f"{title}: a measure", KeyResultType.NUMBER, 1, 5, "demos"),),
    )


async def chat_objectives(database: Database) -> dict[str, int]:
    """Linus's pending draft and Margaret's, approved by Ada."""
    ids = {}
    async with database.transaction() as session:
        for email, title in (
            ("linus@example.com", "Linus learns the codebase"),
            ("margaret@example.com", "Margaret mentors two people"),
        ):
            person = await get_person_by_email(session, email)
            assert person is not None
            stored = await add_draft(
                session, owner_id=person.id, quarter="2026-Q4", draft=_draft(title), now=NOW
            )
            ids[title] = stored.id
        ada = await get_person_by_email(session, "ada@example.com")
        assert ada is not None
        assert await approve_draft(session, ids["Margaret mentors two people"], ada.id, NOW)
    return ids


async def rows(database: Database) -> dict[str, ObjectiveRow]:
    async with database.reading() as session:
        return {row.title: row for row in await session.scalars(select(ObjectiveRow))}


async def test_an_import_with_prune_never_archives_or_changes_chat_objectives(
    people: Database, tmp_path: Path
) -> None:
    await imported(people, tmp_path, PLAN)
    await chat_objectives(people)
    only_love = PLAN[: PLAN.index("  - id: self-running")]
    pruned = await imported(people, tmp_path, only_love, "--prune")
    assert "archived objective 'Onboarding runs itself'" in pruned
    assert "Linus" not in pruned and "Margaret mentors" not in pruned
    stored = await rows(people)
    linus, margaret = stored["Linus learns the codebase"], stored["Margaret mentors two people"]
    assert (linus.archived_at, linus.approval, linus.source) == (None, "pending", "chat")
    assert (margaret.archived_at, margaret.approval) == (None, "approved")
    assert [kr.archived_at for kr in margaret.key_results] == [None]
    # Without --prune they are not "not in the file" either: they are not the file's.
    kept = await imported(people, tmp_path, only_love)
    assert "Linus" not in kept and "Margaret" not in kept
    async with people.reading() as session:
        live = [o.title for o in await objectives_for_quarter(session, "2026-Q4")]
    assert live == ["Customers love the new onboarding", "Margaret mentors two people"]


async def test_a_file_objective_cannot_take_a_chat_objectives_title(
    people: Database, tmp_path: Path
) -> None:
    await chat_objectives(people)
    clash = PLAN.replace("title: Onboarding runs itself", "title: Linus learns the codebase")
    path = tmp_path / "clash.yaml"
    path.write_text(clash, encoding="utf-8")
    result = await cli(people, "import", "okrs", str(path))
    assert result.exit_code != 0
    assert "an objective drafted in chat is titled 'Linus learns the codebase'" in result.output
    assert (await rows(people))["Linus learns the codebase"].owner_id != 0


async def test_exports_and_okrs_show_say_where_each_objective_came_from(
    people: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await imported(people, tmp_path, PLAN)
    await chat_objectives(people)
    document = json.loads(
        (await cli(people, "export", "--quarter", "2026-Q4", "-f", "json")).stdout
    )
    origins = {
        o["title"]: (o["source"], o["approval"], o["approved_by"]) for o in document["objectives"]
    }
    assert origins == {
        "Customers love the new onboarding": ("import", "approved", None),
        "Onboarding runs itself": ("import", "approved", None),
        "Linus learns the codebase": ("chat", "pending", None),
        "Margaret mentors two people": ("chat", "approved", "ada@example.com"),
    }
    table_rows = csv.DictReader(
        io.StringIO((await cli(people, "export", "--quarter", "2026-Q4")).stdout)
    )
    by_objective = {row["objective"]: (row["source"], row["approval"]) for row in table_rows}
    assert by_objective["Linus learns the codebase"] == ("chat", "pending")
    assert by_objective["Onboarding runs itself"] == ("import", "approved")

    monkeypatch.setattr(console, "width", 200)  # one line per table row
    shown = await cli(people, "okrs", "show", "--quarter", "2026-Q4")
    assert shown.exit_code == 0, shown.output
    flat = " ".join(shown.output.split())
    assert "from: chat, pending approval" in flat
    assert "from: chat, approved by Ada Lovelace" in flat
    assert flat.count("from: import") == 2


async def test_an_exports_objectives_listed_back_in_an_okr_file_import_again(
    people: Database, tmp_path: Path
) -> None:
    """The round trip: every objective of a JSON export, chat ones marked `source: chat`,
    written back as an OKR file, imports with --prune and changes nothing."""
    await imported(people, tmp_path, PLAN)
    await chat_objectives(people)
    document = json.loads(
        (await cli(people, "export", "--quarter", "2026-Q4", "-f", "json")).stdout
    )
    objectives: list[dict[str, Any]] = []
    for exported in document["objectives"]:
        entry: dict[str, Any] = {
            "title": exported["title"],
            "owner": exported["owner_email"],
            "level": exported["level"],
            "kind": exported["kind"],
            "source": exported["source"],
            "approval": exported["approval"],
        }
        if exported["parent"]:
            entry["parent"] = exported["parent"]
        if exported["approved_by"]:
            entry["approved_by"] = exported["approved_by"]
        entry["key_results"] = [
            {
                "title": kr["title"],
                "owner": kr["owner_email"],
                "type": kr["type"],
                **(
                    {"start": kr["start"], "target": kr["target"]}
                    if kr["type"] != "milestone"
                    else {}
                ),
                **({"unit": kr["unit"]} if kr["unit"] else {}),
            }
            for kr in exported["key_results"]
        ]
        objectives.append(entry)
    before = await rows(people)
    path = tmp_path / "from-export.yaml"
    path.write_text(yaml.safe_dump({"quarter": "2026-Q4", "objectives": objectives}), "utf-8")
    result = await cli(people, "import", "okrs", str(path), "--prune")
    assert result.exit_code == 0, result.output
    assert "objectives 0 created, 0 updated, 0 renamed, 0 archived, 2 unchanged" in result.output
    assert "key results 0 created, 0 updated, 0 renamed, 0 archived, 4 unchanged" in result.output
    after = await rows(people)
    assert {t: (r.approval, r.archived_at) for t, r in after.items()} == {
        t: (r.approval, r.archived_at) for t, r in before.items()
    }

    path.write_text(
        yaml.safe_dump({"quarter": "2026-Q4", "objectives": [{**objectives[0], "source": "x"}]}),
        "utf-8",
    )
    refused = await cli(people, "import", "okrs", str(path))
    assert refused.exit_code != 0 and "'x' is not valid; use one of import, chat" in refused.output


async def test_migration_0013_marks_the_objectives_stored_before_it_imported_and_approved(
    unmigrated: Database,
) -> None:
    await upgrade(unmigrated.engine, "0012")
    now = datetime(2026, 11, 16, tzinfo=UTC)
    people = table(
        "people",
        column("id", Integer),
        column("email", String),
        column("name", String),
        column("created_at", DateTime(timezone=True)),
        column("updated_at", DateTime(timezone=True)),
    )
    objectives = table(
        "objectives",
        column("quarter", String),
        column("title", String),
        column("level", String),
        column("kind", String),
        column("owner_id", Integer),
        column("position", Integer),
        column("created_at", DateTime(timezone=True)),
    )
    async with unmigrated.engine.begin() as conn:
        await conn.execute(
            insert(people).values(
                id=1, email="a@example.com", name="A", created_at=now, updated_at=now
            )
        )
        await conn.execute(
            insert(objectives).values(
                quarter="2026-Q4",
                title="Older objective",
                level="team",
                kind="committed",
                owner_id=1,
                position=0,
                created_at=now,
            )
        )
    await upgrade(unmigrated.engine)
    [row] = (await rows(unmigrated)).values()
    assert (row.source, row.approval, row.approved_by_id, row.approved_at) == (
        "import",
        "approved",
        None,
        None,
    )
