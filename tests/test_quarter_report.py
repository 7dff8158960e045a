"""Digests and summaries from the database: bulk loading, privacy between teams, reflections,
and the Markdown archive of `okrbot quarter report`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from typer.testing import CliRunner

from okrbot.bot.charts import PNG_SIGNATURE
from okrbot.bot.digests import WeekStatus, build_digest
from okrbot.bot.markdown import messages_markdown
from okrbot.bot.quarters import Quarter
from okrbot.bot.summaries import build_summary
from okrbot.cli.quarter import app as quarter_app
from okrbot.cli.quarter import write_report
from okrbot.storage.db import Database
from okrbot.storage.models import (
    CheckInRow,
    KeyResultRow,
    KudosRow,
    ObjectiveRow,
    PersonRow,
    PersonWeekRow,
)
from okrbot.storage.reports import digest_data, reflection_for, save_reflection, summary_data

QUARTER = Quarter(2026, 4)
WEEKS = QUARTER.weeks()
PERIOD = WEEKS[6]  # 2026-W46
AT = datetime(2026, 11, 12, 9, tzinfo=UTC)  # inside PERIOD


async def seed_org(
    database: Database, teams: int = 3, size: int = 3, prefix: str = ""
) -> dict[str, int]:
    """A CEO, `teams` managers and `size` reports each; every person owns two key results and
    checked in every week up to PERIOD except the last report of each team, who went quiet.
    Names, notes and values are unique per person, so a leak shows in the rendered text."""
    ids: dict[str, int] = {}
    async with database.transaction() as session:
        ceo = PersonRow(email=f"{prefix}ceo@example.com", name=f"{prefix}Cora Chief")
        session.add(ceo)
        await session.flush()
        ids["ceo"] = ceo.id
        everyone = [(ceo, False)]
        for t in range(teams):
            manager = PersonRow(
                email=f"{prefix}m{t}@example.com",
                name=f"{prefix}Manager{t} Lead",
                manager_id=ceo.id,
            )
            session.add(manager)
            await session.flush()
            ids[f"m{t}"] = manager.id
            everyone.append((manager, False))
            for r in range(size):
                row = PersonRow(
                    email=f"{prefix}r{t}{r}@example.com",
                    name=f"{prefix}Report{t}{r} Person",
                    manager_id=manager.id,
                )
                session.add(row)
                await session.flush()
                ids[f"r{t}{r}"] = row.id
                everyone.append((row, r == size - 1))
        for person, quiet in everyone:
            objective = ObjectiveRow(
                quarter=QUARTER.id,
                title=f"Objective of {person.name}",
                level="personal",
                kind="aspirational",
                owner_id=person.id,
            )
            session.add(objective)
            await session.flush()
            last_week = 3 if quiet else 6
            for k in range(2):
                kr = KeyResultRow(
                    objective_id=objective.id,
                    title=f"KR{k} of {person.name}",
                    owner_id=person.id,
                    type="number",
                    start=0,
                    target=100,
                    current=10 * last_week + person.id,
                    position=k,
                )
                session.add(kr)
                await session.flush()
                for w in range(last_week + 1):
                    confidence = "at_risk" if (k == 1 and w == 6) else "on_track"
                    session.add(
                        CheckInRow(
                            key_result_id=kr.id,
                            person_id=person.id,
                            period=WEEKS[w],
                            value=10 * w + person.id,
                            confidence=confidence,
                            note=f"secret note of {person.name} in {WEEKS[w]}",
                            platform="slack",
                            created_at=AT,
                            updated_at=AT,
                        )
                    )
            for w in range(7):
                answered = w <= last_week
                session.add(
                    PersonWeekRow(
                        person_id=person.id,
                        period=WEEKS[w],
                        prompted_at=AT,
                        checked_in_at=AT if answered else None,
                        prompt_refs=[],
                    )
                )
        for t in range(teams):
            session.add(
                KudosRow(
                    giver_id=ids[f"r{t}0"],
                    recipient_id=ids[f"r{t}1"],
                    message=f"thanks from team {t}",
                    values=[],
                    platform="slack",
                    created_at=AT,
                )
            )
    return ids


def _outsiders(ids: dict[str, int], allowed: set[str]) -> list[str]:
    """Text that would identify a person outside `allowed`: their name and their notes."""
    names = {"ceo": "Cora Chief"}
    names.update({key: f"Manager{key[1]} Lead" for key in ids if key.startswith("m")})
    names.update({key: f"Report{key[1:]} Person" for key in ids if key.startswith("r")})
    return [
        fragment
        for key, name in names.items()
        if key not in allowed
        for fragment in (name, f"secret note of {name}", f"KR0 of {name}")
    ]


def _org_section(text: str) -> tuple[str, str]:
    """A summary's text without its "Objectives your org owns" section, and that section."""
    start = text.index("## Objectives your org owns")
    end = text.find("\n## ", start + 1)
    end = len(text) if end < 0 else end
    return text[:start] + text[end:], text[start:end]


async def test_digest_for_a_manager_covers_their_team_and_nobody_else(database: Database) -> None:
    ids = await seed_org(database)
    async with database.reading() as session:
        digests = await digest_data(session, None, PERIOD, QUARTER)
    assert set(digests) == {ids["ceo"], ids["m0"], ids["m1"], ids["m2"]}
    for t in range(3):
        data = digests[ids[f"m{t}"]]
        assert [r.status for r in data.reports] == [
            WeekStatus.CHECKED_IN,
            WeekStatus.CHECKED_IN,
            WeekStatus.NOT_YET,
        ]
        text = messages_markdown(build_digest(data))
        team = {f"r{t}{r}" for r in range(3)}
        for r in range(3):
            assert f"Report{t}{r} Person" in text
        assert f"> secret note of Report{t}0 Person in {PERIOD}" in text
        assert "Checked in 2 of 3 · 4 key results at risk, 0 off track · kudos this week: 1" in text
        assert f"🙌 Kudos from **Report{t}0 Person**: thanks from team {t}" in text
        assert "⚠️ no check-in for two weeks" in text
        assert f"Nudge Report{t}2" in [
            b.label
            for m in build_digest(data)
            for blk in m.blocks
            for b in getattr(blk, "buttons", ())
        ]
        for fragment in _outsiders(ids, team):
            assert fragment not in text, fragment
        assert "Across your wider team" not in text


async def test_the_ceo_sees_managers_in_detail_and_their_teams_as_counts(
    database: Database,
) -> None:
    ids = await seed_org(database)
    async with database.reading() as session:
        digests = await digest_data(session, [ids["ceo"]], PERIOD, QUARTER)
    assert list(digests) == [ids["ceo"]]
    text = messages_markdown(build_digest(digests[ids["ceo"]]))
    assert "Checked in 3 of 3 · 3 key results at risk, 0 off track · kudos this week: 0" in text
    for t in range(3):
        assert f"**Manager{t} Lead** · ✅ checked in" in text
        assert (
            f"**Manager{t} Lead**'s team (3 people): checked in 2 of 3 · 4 at risk · 0 off track"
            in text
        )
    for fragment in _outsiders(ids, {"m0", "m1", "m2"}):
        assert fragment not in text, fragment
    assert "thanks from team" not in text


async def test_summaries_cover_direct_reports_only(database: Database) -> None:
    ids = await seed_org(database)
    async with database.reading() as session:
        summaries = await summary_data(session, QUARTER)
    assert set(summaries) == {ids["ceo"], ids["m0"], ids["m1"], ids["m2"]}
    for manager, team in [("ceo", {"m0", "m1", "m2"}), ("m1", {"r10", "r11", "r12"})]:
        text, org = _org_section(messages_markdown(build_summary(summaries[ids[manager]])))
        for key in team:
            assert f"## {'Manager' if key[0] == 'm' else 'Report'}{key[1:]}" in text
        for fragment in _outsiders(ids, team):
            assert fragment not in text, fragment
        assert "secret note" not in text  # summaries never quote weekly notes
        # Everyone below the manager shows up in the org's objectives only, by score.
        below = {key for key in ids if manager == "ceo" or key.startswith(("m1", "r1"))}
        for fragment in _outsiders(ids, below):
            assert fragment not in org, fragment
        assert "KR0 of" not in org and "secret note" not in org
        assert org.count("🎯") == len(below)
    text = messages_markdown(build_summary(summaries[ids["m1"]]))
    assert "**Report12 Person**" in text
    assert "answered 4 of 7 weeks asked" in text
    assert "answered 7 of 7 weeks asked" in text
    assert "🙌 Kudos this quarter (1): “thanks from team 1” (Report10 Person)" in text
    assert "confidence 🟢🟢🟢🟢🟢🟢🟡 (to week 46)" in text


async def test_statement_count_does_not_grow_with_the_org(database: Database) -> None:
    async def count() -> tuple[int, int]:
        statements: list[str] = []

        def record(*args: Any) -> None:
            statements.append(args[2])

        for engine in database.engines:
            event.listen(engine.sync_engine, "before_cursor_execute", record)
        try:
            async with database.reading() as session:
                await digest_data(session, None, PERIOD, QUARTER)
            digest = len(statements)
            async with database.reading() as session:
                await summary_data(session, QUARTER)
        finally:
            for engine in database.engines:
                event.remove(engine.sync_engine, "before_cursor_execute", record)
        return digest, len(statements) - digest

    await seed_org(database, teams=1, size=2, prefix="a")
    await count()  # the first connection runs its own setup statements on SQLite
    small = await count()
    await seed_org(database, teams=6, size=5, prefix="b")
    assert await count() == small
    assert 0 < small[0] <= 8 and 0 < small[1] <= 8


async def test_reflections_upsert_and_validate(database: Database) -> None:
    ids = await seed_org(database, teams=1, size=2)
    now = datetime(2026, 12, 20, tzinfo=UTC)
    async with database.reading() as session:
        summaries = await summary_data(session, QUARTER, [ids["m0"]])
    person = summaries[ids["m0"]].reports[0]
    own = [kr.key_result.id for o in person.objectives for kr in o.key_results]
    other = summaries[ids["m0"]].reports[1].objectives[0].key_results[0].key_result.id

    async with database.transaction() as session:
        saved = await save_reflection(
            session, person.person.id, QUARTER, {own[0]: 0.7, own[1]: 1}, " Shipped ", "", now
        )
    assert saved.self_scores == {own[0]: 0.7, own[1]: 1.0}
    assert (saved.went_well, saved.do_differently) == ("Shipped", None)

    async with database.transaction() as session:
        await save_reflection(
            session, person.person.id, QUARTER.id, {own[0]: 0.5}, "Shipped", "Ask sooner", now
        )
    async with database.reading() as session:
        stored = await reflection_for(session, person.person.id, QUARTER)
        assert await reflection_for(session, person.person.id, QUARTER.next()) is None
    assert stored is not None
    assert stored.self_scores == {own[0]: 0.5}
    assert stored.do_differently == "Ask sooner"

    for scores, message in [
        ({own[0]: 1.2}, "between 0.0 and 1.0, not 1.2"),
        ({own[0]: float("nan")}, "between 0.0 and 1.0"),
        ({other: 0.5}, "not one of this person's key results"),
    ]:
        with pytest.raises(ValueError, match=message):
            async with database.transaction() as session:
                await save_reflection(session, person.person.id, QUARTER, scores, "", "", now)

    async with database.reading() as session:
        summaries = await summary_data(session, QUARTER, [ids["m0"]])
    text = messages_markdown(build_summary(summaries[ids["m0"]]))
    assert "self-score 0.50" in text
    assert "> Ask sooner" in text


async def test_report_writes_markdown_and_charts(database: Database, tmp_path: Path) -> None:
    ids = await seed_org(database, teams=2, size=2)
    managers, charts = await write_report(database, QUARTER, tmp_path)
    assert (managers, charts) == (3, 6)
    index = (tmp_path / "index.md").read_text()
    assert "[Manager0 Lead](m0@example.com.md)" in index
    assert "[Cora Chief](ceo@example.com.md)" in index
    page = (tmp_path / "m0@example.com.md").read_text()
    assert page.startswith("# Manager0 Lead")
    assert "![Key result progress of Report00 Person](charts/r00@example.com.png)" in page
    assert "OKR scores are context for your coaching conversation." in page
    assert "Report10 Person" not in page
    assert (tmp_path / "charts" / "r00@example.com.png").read_bytes().startswith(PNG_SIGNATURE)
    assert ids


def test_cli_report_and_a_clear_quarter_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OKRBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'okrbot.db'}")
    runner = CliRunner()
    bad = runner.invoke(quarter_app, ["report", "--quarter", "Q4-2026", "--out", str(tmp_path)])
    assert bad.exit_code == 1
    assert "--quarter" in bad.output and "2026-Q4" in bad.output
    out = tmp_path / "archive"
    good = runner.invoke(quarter_app, ["report", "--quarter", "2026-Q4", "--out", str(out)])
    assert good.exit_code == 0, good.output
    assert "nothing to summarise" in (out / "index.md").read_text()


async def seed_delegated(database: Database) -> dict[str, int]:
    """Cora (CEO) ← Vera (VP) ← leads Lena and Omar ← Rae and Sam (Lena's), Tom (Omar's).

    Vera's objective has no key results of its own; Lena's team objective is delegated whole to
    Rae (0.5) and Sam (1.0); Omar's has his own key result (0.25) and Tom's (0.6) aligned under it.
    Cora's company objective has one key result, delegated to Vera (1.0).
    """
    ids: dict[str, int] = {}
    async with database.transaction() as session:
        for key, name, manager in [
            ("cora", "Cora Chief", None),
            ("vera", "Vera Vice", "cora"),
            ("lena", "Lena Lead", "vera"),
            ("omar", "Omar Lead", "vera"),
            ("rae", "Rae Report", "lena"),
            ("sam", "Sam Report", "lena"),
            ("tom", "Tom Report", "omar"),
        ]:
            row = PersonRow(
                email=f"{key}@example.com",
                name=name,
                manager_id=ids[manager] if manager else None,
            )
            session.add(row)
            await session.flush()
            ids[key] = row.id
        for key, title, owner, parent, level in [
            ("company", "Grow the business", "cora", None, "company"),
            ("vp", "Win the mid-market", "vera", "company", "team"),
            ("activation", "Activation doubles", "lena", "vp", "team"),
            ("churn", "Churn halves", "omar", "vp", "team"),
            ("guide", "Tom ships the guide", "tom", "churn", "personal"),
        ]:
            objective = ObjectiveRow(
                quarter=QUARTER.id,
                title=title,
                level=level,
                kind="aspirational",
                owner_id=ids[owner],
                parent_id=ids[parent] if parent else None,
                position=len(ids),
            )
            session.add(objective)
            await session.flush()
            ids[key] = objective.id
        for objective, owner, current in [
            ("company", "vera", 100),
            ("activation", "rae", 50),
            ("activation", "sam", 100),
            ("churn", "omar", 25),
            ("guide", "tom", 60),
        ]:
            kr = KeyResultRow(
                objective_id=ids[objective],
                title=f"KR of {owner} in {objective}",
                owner_id=ids[owner],
                type="number",
                start=0,
                target=100,
                current=current,
                position=0,
            )
            session.add(kr)
            await session.flush()
            ids[f"kr-{owner}"] = kr.id
            session.add(
                CheckInRow(
                    key_result_id=kr.id,
                    person_id=ids[owner],
                    period=PERIOD,
                    value=current,
                    confidence="on_track",
                    note=f"secret note of {owner}",
                    platform="slack",
                    created_at=AT,
                    updated_at=AT,
                )
            )
    async with database.transaction() as session:
        await save_reflection(
            session, ids["rae"], QUARTER, {ids["kr-rae"]: 0.5}, "Rae's private win", None, AT
        )
    return ids


ORG_VERA = [
    "## Objectives your org owns",
    "🎯 **Win the mid-market** (Vera Vice) · no key results of its own · "
    "aligned 0.50 🟡 across 2 objectives",
    "↳ 🎯 **Activation doubles** (Lena Lead) · 0.75 🟢 over 2 key results (2 delegated)",
    "↳ 🎯 **Churn halves** (Omar Lead) · 0.25 🔴 over 1 key result · "
    "aligned 0.60 🟡 across 1 objective",
    "\u2003↳ 🎯 **Tom ships the guide** (Tom Report) · 0.60 🟡 over 1 key result",
]


async def test_a_vp_sees_the_objectives_their_org_owns_scored_over_delegated_key_results(
    database: Database,
) -> None:
    ids = await seed_delegated(database)
    async with database.reading() as session:
        summaries = await summary_data(session, QUARTER)
    vera = messages_markdown(build_summary(summaries[ids["vera"]]))
    lines = vera.splitlines()
    at = lines.index(ORG_VERA[0])
    assert [line.rstrip() for line in lines[at:] if line][: len(ORG_VERA)] == ORG_VERA
    # Scores only: no skip-level's key results, notes or reflection; Cora is not in Vera's org.
    for private in ("KR of rae", "KR of tom", "secret note", "Rae's private win", "Grow the"):
        assert private not in vera, private

    lena = messages_markdown(build_summary(summaries[ids["lena"]]))
    assert (
        "🎯 **Activation doubles** (Lena Lead) · 0.75 🟢 over 2 key results (2 delegated)" in lena
    )
    assert "Win the mid-market" not in lena and "Churn halves" not in lena
    assert "Rae's private win" in lena  # Rae's own manager reads her reflection, as before

    cora = messages_markdown(build_summary(summaries[ids["cora"]]))
    assert (
        "🎯 **Grow the business** (Cora Chief) · 1.00 🟢 over 1 key result (1 delegated) · "
        "aligned 0.50 🟡 across 1 objective"
    ) in cora
    assert "\u2003\u2003↳ 🎯 **Tom ships the guide** (Tom Report)" in cora


async def test_a_large_orgs_objectives_fit_slack_and_teams_limits(database: Database) -> None:
    from okrbot.adapters.slack.blockkit_limits import blockkit_problems
    from okrbot.adapters.slack.render import message_blocks
    from okrbot.adapters.teams.render import message_card
    from tests.card_schema import card_problems

    ids = await seed_org(database, teams=2, size=2)
    async with database.transaction() as session:
        for n in range(1200):
            session.add(
                ObjectiveRow(
                    quarter=QUARTER.id,
                    title=f"Team objective {n} with a fairly long title about onboarding 🚀",
                    level="team",
                    kind="aspirational",
                    owner_id=ids[f"m{n % 2}"],
                )
            )
    async with database.reading() as session:
        summaries = await summary_data(session, QUARTER, [ids["ceo"]])
    messages = build_summary(summaries[ids["ceo"]])
    assert len(messages) > 1
    for message in messages:
        assert blockkit_problems(message_blocks(message), "message") == [], message.summary
        assert card_problems(message_card(message)) == [], message.summary
    text = messages_markdown(messages)
    assert all(f"**Team objective {n} with" in text for n in range(1200))
