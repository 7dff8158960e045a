"""`okrbot people deactivate` and `reactivate`: offboarding that stops every message and keeps
the plan owned, with history kept."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from okrbot.bot.quarters import Quarter
from okrbot.cli.common import console
from okrbot.storage.db import Database
from okrbot.storage.models import DeliveryRow, KeyResultRow, ObjectiveRow, PersonRow
from tests.test_cadence import START, make_world
from tests.test_import_okrs import DATA, cli, dump
from tests.test_okr_reimport import PLAN

# The CLI hands over key results of the quarter it runs in, and the tests' plan is of that
# quarter; the cadence tests below run on a fake clock in 2026-Q4 with a plan of 2026-Q4.
CURRENT = Quarter.containing(datetime.now(UTC).date()).id
PAST = Quarter.containing(datetime.now(UTC).date()).previous().id


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "width", 200)


async def run(database: Database, *args: str) -> str:
    result = await cli(database, *args)
    assert result.exit_code == 0, result.output
    return result.output


async def plan(database: Database, tmp_path: Path, quarter: str) -> None:
    path = tmp_path / f"{quarter}.yaml"
    path.write_text(PLAN.replace("quarter: 2026-Q4", f"quarter: {quarter}"), encoding="utf-8")
    await run(database, "import", "okrs", str(path))


@pytest.fixture
async def company(database: Database, tmp_path: Path) -> Database:
    """Ada manages Grace and Margaret; Grace manages Linus. The plan of this quarter and the
    last: Grace owns the team objective, its milestone and a key result of Ada's objective."""
    await run(database, "import", "people", str(DATA / "people.csv"))
    await plan(database, tmp_path, PAST)
    await plan(database, tmp_path, CURRENT)
    return database


async def owners(database: Database, quarter: str) -> dict[str, str]:
    """Title → owner email, for objectives and key results of a quarter."""
    async with database.reading() as session:
        email = {p.id: p.email for p in await session.scalars(select(PersonRow))}
        found = {
            o.title: email[o.owner_id]
            for o in await session.scalars(
                select(ObjectiveRow).where(ObjectiveRow.quarter == quarter)
            )
        }
        rows = await session.execute(
            select(KeyResultRow.title, KeyResultRow.owner_id)
            .join(ObjectiveRow)
            .where(ObjectiveRow.quarter == quarter)
        )
        found |= {title: email[owner] for title, owner in rows.all()}
        return found


async def managers(database: Database) -> dict[str, str | None]:
    async with database.reading() as session:
        people = list(await session.scalars(select(PersonRow)))
    email = {p.id: p.email for p in people}
    return {p.email: email.get(p.manager_id) if p.manager_id else None for p in people}


async def test_deactivating_hands_this_quarters_work_to_the_manager_and_reports_move_up(
    company: Database,
) -> None:
    output = await run(company, "people", "deactivate", "grace@example.com")
    assert output == textwrap.dedent(
        f"""\
        deactivated Grace Hopper (grace@example.com): okrbot sends them nothing from now on and nobody can give them kudos; their check-ins, kudos and reflections stay
        now owned by Ada Lovelace (ada@example.com):
          objective 'Onboarding runs itself' ({CURRENT})
          key result 'Cut median time to first check-in' of 'Customers love the new onboarding' ({CURRENT})
          key result 'Self-serve setup guide published' of 'Onboarding runs itself' ({CURRENT})
        their direct reports now report to Ada Lovelace (ada@example.com):
          Torvalds, Linus (linus@example.com)
        """  # noqa: E501
    )
    now = await owners(company, CURRENT)
    assert (
        now["Onboarding runs itself"]
        == now["Self-serve setup guide published"]
        == ("ada@example.com")
    )
    assert now["Grow self-serve revenue"] == "margaret@example.com"
    # The past quarter is history: it still says who did the work.
    assert (await owners(company, PAST))["Self-serve setup guide published"] == "grace@example.com"
    assert (await managers(company))["linus@example.com"] == "ada@example.com"
    listed = await run(company, "people", "list")
    [grace] = [line for line in listed.splitlines() if "grace@example.com" in line]
    assert datetime.now(UTC).strftime("%Y-%m-%d") in grace


async def test_deactivating_to_someone_else(company: Database) -> None:
    output = await run(
        company, "people", "deactivate", "grace@example.com", "--to", "linus@example.com"
    )
    assert "now owned by Torvalds, Linus (linus@example.com):" in output
    assert (await owners(company, CURRENT))["Onboarding runs itself"] == "linus@example.com"
    # Reports still move up the line, not to whoever took the key results.
    assert (await managers(company))["linus@example.com"] == "ada@example.com"


async def test_without_a_manager_or_to_the_work_stays_theirs_with_a_warning(
    company: Database,
) -> None:
    result = await cli(company, "people", "deactivate", "ada@example.com")
    assert result.exit_code == 0, result.output
    assert (
        "warning: ada@example.com has no active manager and no --to was given, so these stay "
        "theirs and nobody is asked about them; give them a new owner in the OKR file and "
        "import it again:"
    ) in result.output
    assert f"  objective 'Customers love the new onboarding' ({CURRENT})" in result.output
    assert "warning: their direct reports now have no manager" in result.output
    assert (await owners(company, CURRENT))["Customers love the new onboarding"] == (
        "ada@example.com"
    )
    assert (await managers(company))["grace@example.com"] is None


async def test_refusals_change_nothing(company: Database) -> None:
    before = await dump(company)
    for args, message in [
        (["nobody@example.com"], "error: no person with email nobody@example.com"),
        (["grace@example.com", "--to", "x@example.com"], "error: --to: no person with email"),
        (["grace@example.com", "--to", "GRACE@example.com"], "to themselves"),
    ]:
        result = await cli(company, "people", "deactivate", *args)
        assert result.exit_code == 1 and message in result.output, result.output
    assert await dump(company) == before
    reactivated = await cli(company, "people", "reactivate", "grace@example.com")
    assert "error: grace@example.com is not deactivated" in reactivated.output
    await run(company, "people", "deactivate", "linus@example.com")
    again = await cli(company, "people", "deactivate", "linus@example.com")
    assert again.exit_code == 1 and "linus@example.com is already deactivated" in again.output
    to_gone = await cli(
        company, "people", "deactivate", "grace@example.com", "--to", "linus@example.com"
    )
    assert "error: --to: linus@example.com is deactivated too" in to_gone.output


async def test_importing_people_again_does_not_reactivate(company: Database) -> None:
    await run(company, "people", "deactivate", "linus@example.com")
    output = await run(company, "import", "people", str(DATA / "people.csv"))
    assert (
        "1 in the file stay deactivated (okrbot people reactivate EMAIL brings one back): "
        "linus@example.com"
    ) in output
    again = await cli(company, "people", "deactivate", "linus@example.com")
    assert "already deactivated" in again.output


async def test_okrs_cannot_be_given_to_someone_deactivated(
    company: Database, tmp_path: Path
) -> None:
    await run(company, "people", "deactivate", "margaret@example.com")
    path = tmp_path / "again.yaml"
    path.write_text(PLAN.replace("quarter: 2026-Q4", f"quarter: {CURRENT}"), encoding="utf-8")
    result = await cli(company, "import", "okrs", str(path))
    assert result.exit_code == 1
    assert (
        f"{path}:31: owner: margaret@example.com is deactivated; give this to someone else "
        "(or `okrbot people reactivate margaret@example.com` first)"
    ) in result.output


async def test_a_deactivated_person_gets_nothing_and_reactivating_brings_them_back(
    database: Database, tmp_path: Path
) -> None:
    await run(database, "import", "people", str(DATA / "people.csv"))
    await plan(database, tmp_path, "2026-Q4")
    world = make_world(database)
    # Grace checks in on Tuesdays (New York); by Wednesday she was asked and a reminder waits.
    wednesday = START + timedelta(days=3, hours=12)
    await world.run_until(wednesday)
    assert [who for who, _, s in world.messenger.sent if who == "grace@example.com"] == [
        "grace@example.com"
    ]
    async with database.reading() as session:
        grace = (
            await session.scalars(select(PersonRow).where(PersonRow.email == "grace@example.com"))
        ).one()
        reminder = (
            await session.scalars(
                select(DeliveryRow).where(
                    DeliveryRow.person_id == grace.id, DeliveryRow.kind == "reminder"
                )
            )
        ).one()
    assert reminder.status == "pending"

    await run(database, "people", "deactivate", "grace@example.com", "--to", "ada@example.com")
    await world.run_until(START + timedelta(weeks=3))
    after = [(who, s) for who, when, s in world.messenger.sent if when > wednesday]
    assert [s for who, s in after if who == "grace@example.com"] == []
    assert {who for who, _ in after} == {"ada@example.com", "margaret@example.com"}
    async with database.reading() as session:
        suppressed = await session.get(DeliveryRow, reminder.id)
    assert suppressed is not None and suppressed.status == "suppressed"
    assert suppressed.last_error == "grace@example.com is deactivated"
    assert await world.cadence.next_prompt(grace.id) is None

    output = await run(database, "people", "reactivate", "grace@example.com")
    assert "reactivated Grace Hopper (grace@example.com)" in output
    await world.ticker.tick()
    assert await world.cadence.next_prompt(grace.id) is not None
