"""Re-importing OKRs keeps the plan true: stable ids, renames, --dry-run and --prune."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from okrbot.bot.checkins import CheckInEntry
from okrbot.bot.domain import Confidence, Platform
from okrbot.storage.checkins import record_checkins
from okrbot.storage.db import Database
from okrbot.storage.models import CheckInRow, KeyResultRow
from okrbot.storage.okrs import objectives_for_quarter
from okrbot.storage.people import get_person_by_email
from tests.test_cadence import START, make_world
from tests.test_import_okrs import cli, dump, people, write

__all__ = ["people"]  # the fixture, used by name

PLAN = """
quarter: 2026-Q4
objectives:
  - id: love
    title: Customers love the new onboarding
    owner: ada@example.com
    level: company
    key_results:
      - id: activation
        title: Raise activation within 7 days
        type: percent
        start: 35
        target: 60
      - id: first-checkin
        title: Cut median time to first check-in
        owner: grace@example.com
        start: 48
        target: 12
        unit: hours
  - id: self-running
    title: Onboarding runs itself
    owner: grace@example.com
    level: team
    parent: Customers love the new onboarding
    key_results:
      - id: guide
        title: Self-serve setup guide published
        type: milestone
      - id: revenue
        title: Grow self-serve revenue
        owner: margaret@example.com
        type: currency
        start: 0
        target: 25000
        unit: $
"""


async def imported(database: Database, tmp_path: Path, text: str, *options: str) -> str:
    path = write(tmp_path, text)
    result = await cli(database, "import", "okrs", str(path), *options)
    assert result.exit_code == 0, result.output
    return result.output


async def check_in(database: Database, title: str, value: float) -> None:
    async with database.transaction() as session:
        kr = (await session.scalars(select(KeyResultRow).where(KeyResultRow.title == title))).one()
        entry = CheckInEntry(kr.id, value, Confidence.ON_TRACK, "going well")
        now = datetime(2026, 10, 12, 9, tzinfo=UTC)
        await record_checkins(session, kr.owner_id, "2026-W42", [entry], Platform.SLACK, now)


async def test_a_new_title_under_the_same_id_is_a_rename_that_keeps_checkins_and_current(
    people: Database, tmp_path: Path
) -> None:
    await imported(people, tmp_path, PLAN)
    await check_in(people, "Raise activation within 7 days", 44)
    renamed = PLAN.replace(
        "title: Raise activation within 7 days", "title: Raise 7-day activation"
    ).replace("title: Customers love the new onboarding", "title: Onboarding customers love")
    renamed = renamed.replace(
        "parent: Customers love the new onboarding", "parent: Onboarding customers love"
    )
    output = await imported(people, tmp_path, renamed.replace("target: 60", "target: 65"))
    assert "objectives 0 created, 0 updated, 1 renamed, 0 archived, 1 unchanged" in output
    assert "key results 0 created, 0 updated, 1 renamed, 0 archived, 3 unchanged" in output
    assert (
        "renamed objective 'Customers love the new onboarding' → 'Onboarding customers love'"
        in output
    )
    assert (
        "renamed key result 'Raise activation within 7 days' → 'Raise 7-day activation' "
        "(also target)" in output
    )
    assert "updated objective 'Onboarding runs itself': parent" not in output  # same parent row
    async with people.reading() as session:
        company, team = await objectives_for_quarter(session, "2026-Q4")
        checkins = list(await session.scalars(select(CheckInRow)))
    activation = company.key_results[0]
    assert (company.title, activation.title) == (
        "Onboarding customers love",
        "Raise 7-day activation",
    )
    assert (activation.current, activation.target) == (44, 65)
    assert [c.key_result_id for c in checkins] == [activation.id]
    assert team.parent_id == company.id
    # Without ids, the same change would have been a new objective and key result.
    assert "0 created" in output and "not in the file" not in output


async def test_two_objectives_can_swap_titles_by_id(people: Database, tmp_path: Path) -> None:
    await imported(people, tmp_path, PLAN)
    swapped = (
        PLAN.replace("title: Customers love the new onboarding", "title: SWAP")
        .replace("title: Onboarding runs itself", "title: Customers love the new onboarding")
        .replace("title: SWAP", "title: Onboarding runs itself")
        .replace("parent: Customers love the new onboarding", "parent: Onboarding runs itself")
    )
    output = await imported(people, tmp_path, swapped)
    assert "objectives 0 created, 0 updated, 2 renamed" in output
    async with people.reading() as session:
        love, running = await objectives_for_quarter(session, "2026-Q4")
    assert love.title == "Onboarding runs itself"
    assert love.key_results[0].title == "Raise activation within 7 days"
    assert running.parent_id == love.id


async def test_giving_an_existing_objective_an_id_matches_it_by_title(
    people: Database, tmp_path: Path
) -> None:
    await imported(people, tmp_path, PLAN.replace("  - id: love\n    title", "  - title"))
    output = await imported(people, tmp_path, PLAN)
    assert "updated objective 'Customers love the new onboarding': id" in output
    assert "objectives 0 created, 1 updated, 0 renamed, 0 archived, 1 unchanged" in output


async def test_dry_run_prints_what_would_change_and_writes_nothing(
    people: Database, tmp_path: Path
) -> None:
    await imported(people, tmp_path, PLAN)
    before = await dump(people)
    changed = (
        PLAN.replace("title: Onboarding runs itself", "title: Onboarding that runs itself")
        .replace("owner: margaret@example.com", "owner: linus@example.com")
        .replace(
            "      - id: first-checkin\n        title: Cut median time to first check-in\n"
            "        owner: grace@example.com\n        start: 48\n        target: 12\n"
            "        unit: hours\n",
            "      - title: Answer every question within a day\n        type: percent\n"
            "        start: 50\n        target: 100\n",
        )
    )
    output = await imported(people, tmp_path, changed, "--dry-run", "--prune")
    assert "2026-Q4 (dry run, nothing was written):" in output
    assert "objectives 0 created, 0 updated, 1 renamed, 0 archived, 1 unchanged" in output
    assert "key results 1 created, 1 updated, 0 renamed, 1 archived, 2 unchanged" in output
    assert "created key result 'Answer every question within a day' of" in output
    assert (
        "updated key result 'Grow self-serve revenue' of 'Onboarding that runs itself': owner"
        in output
    )
    assert "renamed objective 'Onboarding runs itself' → 'Onboarding that runs itself'" in output
    assert (
        "archived key result 'Cut median time to first check-in' of "
        "'Customers love the new onboarding'" in output
    )
    assert await dump(people) == before
    # The real run then does exactly what the dry run said.
    real = await imported(people, tmp_path, changed, "--prune")
    assert real.replace(" (dry run, nothing was written):", "") == output.replace(
        " (dry run, nothing was written):", ""
    )
    assert await dump(people) != before


async def test_prune_archives_what_the_file_no_longer_has_and_a_reimport_restores_it(
    people: Database, tmp_path: Path
) -> None:
    await imported(people, tmp_path, PLAN)
    await check_in(people, "Grow self-serve revenue", 5000)
    only_love = PLAN[: PLAN.index("  - id: self-running")]
    kept = await imported(people, tmp_path, only_love)
    assert (
        "3 not in the file, kept as they are (--prune archives them):\n"
        "  objective 'Onboarding runs itself'\n"
        "  key result 'Self-serve setup guide published' of 'Onboarding runs itself'\n"
        "  key result 'Grow self-serve revenue' of 'Onboarding runs itself'"
    ) in kept

    pruned = await imported(people, tmp_path, only_love, "--prune")
    assert "objectives 0 created, 0 updated, 0 renamed, 1 archived, 1 unchanged" in pruned
    assert "key results 0 created, 0 updated, 0 renamed, 2 archived, 2 unchanged" in pruned
    assert "archived objective 'Onboarding runs itself'" in pruned
    shown = await cli(people, "okrs", "show", "--quarter", "2026-Q4")
    assert "Customers love" in shown.output and "runs itself" not in shown.output
    async with people.reading() as session:
        margaret = await get_person_by_email(session, "margaret@example.com")
        assert margaret is not None
        assert await objectives_for_quarter(session, "2026-Q4", owner_id=margaret.id) == []
    # History stays, marked, in exports.
    exported = await cli(people, "export", "--quarter", "2026-Q4")
    rows = {row["key_result"]: row for row in csv.DictReader(io.StringIO(exported.stdout))}
    assert rows["Grow self-serve revenue"]["archived"] == "yes"
    assert rows["Grow self-serve revenue"]["checkins"] == "1"
    assert rows["Raise activation within 7 days"]["archived"] == ""
    document = json.loads(
        (await cli(people, "export", "--quarter", "2026-Q4", "-f", "json")).stdout
    )
    assert [(o["title"], o["archived"]) for o in document["objectives"]] == [
        ("Customers love the new onboarding", False),
        ("Onboarding runs itself", True),
    ]
    assert document["checkins"][0]["key_result"] == "Grow self-serve revenue"
    # Pruning again changes nothing.
    again = await imported(people, tmp_path, only_love, "--prune")
    assert "0 archived, 1 unchanged" in again and "archived objective" not in again

    restored = await imported(people, tmp_path, PLAN)
    assert "objectives 0 created, 1 updated, 0 renamed, 0 archived, 1 unchanged" in restored
    assert "updated objective 'Onboarding runs itself': restored from the archive" in restored
    async with people.reading() as session:
        _, team = await objectives_for_quarter(session, "2026-Q4")
    assert [kr.current for kr in team.key_results] == [0, 5000]


async def test_a_pruned_key_result_is_no_longer_asked_about(
    people: Database, tmp_path: Path
) -> None:
    await imported(people, tmp_path, PLAN)
    await imported(people, tmp_path, PLAN[: PLAN.index("      - id: revenue")], "--prune")
    world = make_world(people)
    await world.run_until(START + timedelta(weeks=1))
    asked = {who for who, _, summary in world.messenger.sent if "check-in" in summary}
    # Margaret owned only the pruned key result; Ada and Grace still own some.
    assert asked == {"ada@example.com", "grace@example.com"}
    await imported(people, tmp_path, PLAN)
    await world.run_until(START + timedelta(weeks=2))
    asked_later = {
        who
        for who, when, summary in world.messenger.sent
        if when > START + timedelta(weeks=1) and "check-in" in summary
    }
    assert "margaret@example.com" in asked_later


async def test_id_problems_name_the_file_line_and_field(people: Database, tmp_path: Path) -> None:
    duplicated = PLAN.replace("id: self-running", "id: love").replace("id: guide", "id: activation")
    path = write(
        tmp_path,
        duplicated
        + "      - id: 'not ok!'\n        title: X\n        start: 1\n        target: 2\n",
    )
    result = await cli(people, "import", "okrs", str(path))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "error: 3 problems, nothing was imported:"
    assert f"{path}:19: id: 'love' is used twice by objectives; first on line 3" in result.output
    assert (
        f"{path}:25: id: 'activation' is used twice by key results; first on line 8"
        in result.output
    )
    assert f"{path}:35: id: 'not ok!' is not a valid id" in result.output


async def test_an_id_cannot_move_a_key_result_to_another_objective(
    people: Database, tmp_path: Path
) -> None:
    await imported(people, tmp_path, PLAN)
    before = await dump(people)
    moved = (
        PLAN.replace("id: guide", "id: first-checkin-moved")
        .replace("      - id: first-checkin\n", "      - id: kept-here\n")
        .replace("id: first-checkin-moved", "id: first-checkin")
    )
    path = write(tmp_path, moved)
    result = await cli(people, "import", "okrs", str(path))
    assert result.exit_code == 1
    assert (
        f"{path}:25: id: 'first-checkin' is the id of the key result 'Cut median time to first "
        "check-in' of the objective 'Customers love the new onboarding'; a key result cannot "
        "move to another objective, so give this one a new id"
    ) in result.output
    assert await dump(people) == before


async def test_a_title_kept_by_an_objective_with_another_id_is_refused(
    people: Database, tmp_path: Path
) -> None:
    await imported(people, tmp_path, PLAN)
    path = write(tmp_path, PLAN.replace("id: love", "id: other"))
    result = await cli(people, "import", "okrs", str(path))
    assert result.exit_code == 1
    assert (
        f"{path}:3: id: the objective titled 'Customers love the new onboarding' has the id "
        "'love' in the database; keep that id, or give this objective a new title"
    ) in result.output
    assert "error: 1 problem, nothing was imported" in result.output
