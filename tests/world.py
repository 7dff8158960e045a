"""One way for tests to set up their world: people and OKRs in the database, and okrbot's real
HTTP app on a loopback port between the platform sandboxes and simulators.

`Seed` writes people, objectives and key results, each named by a key so later rows can point at
earlier ones (`manager="mia"`, `owner="ana"`, `objective="mine"`), and returns each key's id:

    ids = await (
        Seed()
        .person("mia", "mia@example.com", "Mia Boss")
        .person("ana", "ana@example.com", "Ana Lima", manager="mia", slack_user_id="U0ANA")
        .onboarding("mine", owner="ana")
        .activation("activation", objective="mine", owner="ana")
        .write(database)
    )

The OKRs several Slack and Teams tests share (Ana's onboarding objective with its two key
results, Li's churn objective) have their own steps. `serving` runs okrbot's app for a runtime;
`add_members` puts Teams users in a Teams sandbox. Each test file keeps its own World dataclass
with the helpers its tests read best with.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from sqlalchemy import select, update

from okrbot.adapters.slack.sandbox import SlackSandbox
from okrbot.adapters.teams.sandbox import TeamsSandbox
from okrbot.adapters.teams.simulator import TeamsUser
from okrbot.bot.settings import Settings
from okrbot.cli.runtime import Runtime
from okrbot.cli.serve import web_app
from okrbot.storage.db import Database
from okrbot.storage.models import (
    Base,
    CheckInRow,
    KeyResultRow,
    KudosRow,
    ObjectiveRow,
    PersonRow,
    ReflectionRow,
)

QUARTER = "2026-Q4"
MONDAY = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)  # ISO week 2026-W47, in 2026-Q4

# The people most tests meet, with ids shaped like Teams' (Slack ids are the tests' own).
ANA = TeamsUser.named("Ana Lima", "ana@example.com")
LI = TeamsUser.named("Li Wei", "li@example.com")
MIA = TeamsUser.named("Mia Boss", "mia@example.com")

Ids = dict[str, int]

# The key results several Slack and Teams tests share, not yet checked in (current = start):
# title, type, start, target and position in the objective.
SharedKeyResult = tuple[str, str, float, float, int]
ACTIVATION: SharedKeyResult = ("Activation from 40% to 60%", "percent", 40, 60, 0)
SETUP_GUIDE: SharedKeyResult = ("Publish the setup guide", "milestone", 0, 1, 1)
CHURN: SharedKeyResult = ("Churn from 3.5% to 2%", "percent", 3.5, 2, 0)


class Seed:
    """Rows to write, in order; each is flushed as it is added, so ids follow that order."""

    def __init__(self) -> None:
        self._rows: list[tuple[str | None, Callable[[Ids], Base]]] = []

    def row(self, key: str | None, make: Callable[[Ids], Base]) -> Seed:
        """Any row, built from the ids of the rows before it."""
        self._rows.append((key, make))
        return self

    def person(
        self, key: str, email: str, name: str, *, manager: str | None = None, **fields: Any
    ) -> Seed:
        def make(ids: Ids) -> PersonRow:
            managed = {"manager_id": ids[manager]} if manager is not None else {}
            return PersonRow(email=email, name=name, **managed, **fields)

        return self.row(key, make)

    def objective(
        self,
        key: str,
        title: str,
        *,
        owner: str,
        level: str = "personal",
        kind: str = "aspirational",
        quarter: str = QUARTER,
        **fields: Any,
    ) -> Seed:
        return self.row(
            key,
            lambda ids: ObjectiveRow(
                quarter=quarter,
                title=title,
                level=level,
                kind=kind,
                owner_id=ids[owner],
                **fields,
            ),
        )

    def key_result(
        self,
        key: str | None,
        title: str,
        *,
        objective: str,
        owner: str,
        type: str = "number",
        start: float,
        target: float,
        current: float,
        **fields: Any,
    ) -> Seed:
        return self.row(
            key,
            lambda ids: KeyResultRow(
                objective_id=ids[objective],
                title=title,
                owner_id=ids[owner],
                type=type,
                start=start,
                target=target,
                current=current,
                **fields,
            ),
        )

    # -- the OKRs the Slack and Teams tests share ----------------------------------------------

    def onboarding(self, key: str, *, owner: str, position: int = 0) -> Seed:
        """A committed personal objective: "Make onboarding effortless"."""
        return self.objective(
            key,
            "Make onboarding effortless",
            owner=owner,
            kind="committed",
            position=position,
        )

    def activation(self, key: str, *, objective: str, owner: str) -> Seed:
        """A percent key result, 40% to 60%, first in its objective."""
        return self._shared(key, ACTIVATION, objective, owner)

    def setup_guide(self, key: str, *, objective: str, owner: str) -> Seed:
        """A milestone, second in its objective."""
        return self._shared(key, SETUP_GUIDE, objective, owner)

    def churn_objective(self, key: str, *, owner: str, position: int) -> Seed:
        """An aspirational team objective: "Cut churn"."""
        return self.objective(key, "Cut churn", owner=owner, level="team", position=position)

    def churn(self, key: str, *, objective: str, owner: str) -> Seed:
        """A decreasing percent key result, 3.5% to 2%."""
        return self._shared(key, CHURN, objective, owner)

    def _shared(self, key: str, template: SharedKeyResult, objective: str, owner: str) -> Seed:
        title, kind, start, target, position = template
        return self.key_result(
            key,
            title,
            objective=objective,
            owner=owner,
            type=kind,
            start=start,
            target=target,
            current=start,
            position=position,
        )

    async def write(self, database: Database, known: Ids | None = None) -> Ids:
        """Write the rows; `known` names rows written before, for these rows to point at."""
        ids: Ids = dict(known or {})
        async with database.transaction() as session:
            for key, make in self._rows:
                row = make(ids)
                session.add(row)
                await session.flush()
                if key is not None:
                    ids[key] = row.id  # type: ignore[attr-defined]
        return ids


# What people confided in check-ins and reflections, seeded by `seed_browse`: no browse answer
# may ever contain any of it.
PRIVATE_TEXTS = (
    "Confided-note-quokka-31",
    "Blocked-on-legal-review-88",
    "Reflection-went-well-zebra-52",
    "Reflection-differently-yak-17",
)


async def seed_browse(database: Database) -> Ids:
    """On top of a platform test's Mia, Ana and Li (Ana's onboarding and Li's churn objectives):
    a company objective both support, Victor (no manager, no reports, Slack user U0VIC), an
    archived objective and key result, and check-ins and a reflection holding PRIVATE_TEXTS."""
    async with database.reading() as session:
        people = {row.email: row.id for row in await session.scalars(select(PersonRow))}
        objectives = {row.title: row for row in await session.scalars(select(ObjectiveRow))}
    onboarding, churn = objectives["Make onboarding effortless"], objectives["Cut churn"]
    known = {
        "mia": people["mia@example.com"],
        "ana": people["ana@example.com"],
        "li": people["li@example.com"],
        "onboarding": onboarding.id,
        "churn": churn.id,
    }
    key_results = {kr.title: kr.id for o in (onboarding, churn) for kr in o.key_results}
    note_note, blocker_note, went_well, differently = PRIVATE_TEXTS
    ids = await (
        Seed()
        .person("victor", "victor@example.com", "Victor Solo", slack_user_id="U0VIC")
        .objective(
            "trust",
            "Grow trust in every team",
            owner="mia",
            level="company",
            kind="committed",
            position=9,
        )
        .key_result(
            "trust-score",
            "Trust score from 60 to 80",
            objective="trust",
            owner="mia",
            start=60,
            target=80,
            current=70,
        )
        .objective("old", "Old archived plan", owner="ana", archived_at=MONDAY, position=10)
        .key_result(
            None,
            "Retired onboarding metric",
            objective="onboarding",
            owner="ana",
            start=0,
            target=10,
            current=5,
            position=5,
            archived_at=MONDAY,
        )
        .row(
            None,
            lambda ids: _checkin(ids["ana"], key_results[ACTIVATION[0]], "on_track", note_note),
        )
        .row(None, lambda ids: _checkin(ids["li"], key_results[CHURN[0]], "at_risk", blocker_note))
        .row(
            None,
            lambda ids: ReflectionRow(
                person_id=ids["ana"],
                quarter=QUARTER,
                went_well=went_well,
                do_differently=differently,
            ),
        )
        .write(database, known)
    )
    async with database.transaction() as session:
        await session.execute(
            update(ObjectiveRow)
            .where(ObjectiveRow.id.in_([onboarding.id, churn.id]))
            .values(parent_id=ids["trust"])
        )
    return ids


# The objectives `seed_home` puts below "Cut churn" (itself below "Grow trust in every team"):
# a third and a fourth level of the alignment tree, which the Home shows only as a count.
DEEP_OBJECTIVES = ("Interview every churned customer", "Write the interview script")


async def seed_home(database: Database) -> Ids:
    """`seed_browse`, and below Li's "Cut churn" two deeper levels owned by Victor (who is in
    nobody's team), each with a key result."""
    ids = await seed_browse(database)
    async with database.reading() as session:
        churn = await session.scalar(
            select(ObjectiveRow.id).where(ObjectiveRow.title == "Cut churn")
        )
    assert churn is not None
    interviews, script = DEEP_OBJECTIVES
    deeper = await (
        Seed()
        .objective("interviews", interviews, owner="victor", parent_id=churn, position=11)
        .key_result(
            None,
            "Interviews from 0 to 20",
            objective="interviews",
            owner="victor",
            start=0,
            target=20,
            current=5,
        )
        .row(
            "script",
            lambda ids: ObjectiveRow(
                quarter=QUARTER,
                title=script,
                level="personal",
                kind="committed",
                owner_id=ids["victor"],
                parent_id=ids["interviews"],
                position=12,
            ),
        )
        .key_result(
            None,
            "Script reviewed",
            objective="script",
            owner="victor",
            type="milestone",
            start=0,
            target=1,
            current=0,
        )
        .write(database, ids)
    )
    return {**ids, **deeper}


def section(shown: str, heading: str, following: str | None) -> str:
    """The text of a Home between a heading and the next one (None: to the end)."""
    start = shown.index(f"\n{heading}\n")
    end = shown.index(f"\n{following}\n", start) if following else len(shown)
    return shown[start:end]


def _long(title: str) -> str:
    """A title near the 300 characters objectives and key results may have."""
    return (title + " — " + "with a long explanation of why it matters " * 7)[:300]


async def seed_crowd(database: Database, peers: int = 40, company: int = 30) -> None:
    """A big company on top of Mia, Ana and Li: `peers` more people reporting to Mia, each with
    an objective of four key results; `company` company objectives with ten team objectives
    each, and one personal objective below each of those; twelve more objectives of Ana's with
    six key results each; and 25 kudos for Ana. Every title is long (300 characters)."""
    async with database.transaction() as session:
        people = {row.email: row.id for row in await session.scalars(select(PersonRow))}
        mia, ana = people[MIA.email], people[ANA.email]
        crowd = [
            PersonRow(email=f"peer{n}@example.com", name=f"Peer Number {n:02}", manager_id=mia)
            for n in range(peers)
        ]
        session.add_all(crowd)
        await session.flush()

        def objective(title: str, owner: int, level: str, key_results: int, **more: Any) -> Any:
            return ObjectiveRow(
                quarter=QUARTER,
                title=_long(title),
                level=level,
                kind="aspirational",
                owner_id=owner,
                position=100,
                key_results=[
                    KeyResultRow(
                        title=_long(f"{title} measure {k}"),
                        owner_id=owner,
                        type="number",
                        start=0,
                        target=10,
                        current=k,
                        position=k,
                    )
                    for k in range(key_results)
                ],
                **more,
            )

        session.add_all(
            objective(f"Peer objective {n:02}", person.id, "personal", 4)
            for n, person in enumerate(crowd)
        )
        session.add_all(
            objective(f"Ana's extra objective {n:02}", ana, "personal", 6) for n in range(12)
        )
        roots = [objective(f"Company goal {n:02}", mia, "company", 2) for n in range(company)]
        session.add_all(roots)
        await session.flush()
        supporting = [
            objective(f"Team goal {n:02}.{k}", crowd[k % peers].id, "team", 1, parent_id=root.id)
            for n, root in enumerate(roots)
            for k in range(10)
        ]
        session.add_all(supporting)
        await session.flush()
        session.add_all(
            objective(
                f"Personal goal below {n:03}", crowd[n % peers].id, "personal", 1, parent_id=team.id
            )
            for n, team in enumerate(supporting)
        )
        session.add_all(
            KudosRow(
                giver_id=crowd[n % peers].id,
                giver_platform_id=None,
                recipient_id=ana,
                recipient_platform_id=None,
                message=_long(f"Thanks number {n:02}"),
                values=[],
                platform="slack",
                source="command",
                created_at=MONDAY,
            )
            for n in range(25)
        )


def _checkin(person_id: int, key_result_id: int, confidence: str, note: str) -> CheckInRow:
    return CheckInRow(
        key_result_id=key_result_id,
        person_id=person_id,
        period="2026-W46",
        value=45 if confidence == "on_track" else 3.2,
        confidence=confidence,
        note=note,
        platform="slack",
    )


@contextlib.asynccontextmanager
async def serving(runtime: Runtime) -> AsyncIterator[str]:
    """okrbot's HTTP app (Slack events, Teams messages, health) on a free loopback port, as
    `okrbot serve` runs it; yields its root URL, `http://127.0.0.1:PORT`."""
    runner = web.AppRunner(web_app(runtime))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def slack_settings(
    database: Database, sandbox: SlackSandbox, signing_secret: str, **more: Any
) -> Settings:
    """Settings for okrbot with `sandbox` as its Slack Web API, answering within the request
    (`slack_process_before_response`) so that a test reads the reply in the HTTP response."""
    return Settings(
        database_url=database.url,
        slack_bot_token=sandbox.token,
        slack_signing_secret=signing_secret,
        slack_api_url=sandbox.url,
        slack_process_before_response=True,
        **more,
    )


def add_members(sandbox: TeamsSandbox, *users: TeamsUser) -> None:
    """Make `users` members of the sandbox's tenant, as Teams knows them."""
    for user in users:
        sandbox.add_member(
            teams_user_id=user.teams_user_id,
            aad_object_id=user.aad_object_id,
            name=user.name,
            email=user.email,
        )
