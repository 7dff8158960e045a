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

from okrbot.adapters.slack.sandbox import SlackSandbox
from okrbot.adapters.teams.sandbox import TeamsSandbox
from okrbot.adapters.teams.simulator import TeamsUser
from okrbot.bot.settings import Settings
from okrbot.cli.runtime import Runtime
from okrbot.cli.serve import web_app
from okrbot.storage.db import Database
from okrbot.storage.models import Base, KeyResultRow, ObjectiveRow, PersonRow

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

    async def write(self, database: Database) -> Ids:
        ids: Ids = {}
        async with database.transaction() as session:
            for key, make in self._rows:
                row = make(ids)
                session.add(row)
                await session.flush()
                if key is not None:
                    ids[key] = row.id  # type: ignore[attr-defined]
        return ids


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
