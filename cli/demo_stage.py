"""The demo's stage: okrbot's real runtime and server, wired to local stand-ins of the platforms.

Slack's Web API, the Bot Framework connector and its identity service are local sandboxes; okrbot
serves its real HTTP app on a loopback port, and the simulators play Slack and Teams towards it.
Teams runs authenticated both ways, as in production. The company is imported the way an admin
would: its people CSV and OKR YAML, through the same parsers and checks as `okrbot import`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from aiohttp import web

from okrbot.adapters.slack.sandbox import SlackSandbox
from okrbot.adapters.slack.simulator import SlackSimulator
from okrbot.adapters.teams.identity_sandbox import IdentitySandbox
from okrbot.adapters.teams.sandbox import TeamsSandbox
from okrbot.adapters.teams.simulator import TeamsSimulator, TeamsUser, action_of, card_of
from okrbot.bot.clock import FakeClock
from okrbot.bot.import_problems import raise_problems
from okrbot.bot.okr_import import check_okrs, parse_okrs
from okrbot.bot.people_import import check_people, parse_people
from okrbot.bot.settings import Settings
from okrbot.cli.demo_company import HOLIDAY, DemoCompany, DemoPerson
from okrbot.cli.runtime import Runtime, build_runtime
from okrbot.cli.serve import web_app
from okrbot.storage.db import Database
from okrbot.storage.okrs import upsert_okrs
from okrbot.storage.people import list_people, upsert_people

SIGNING_SECRET = "demo-signing-secret"
# The demo's Teams bot registration at the local identity stand-in.
TEAMS_APP_ID = "00000000-0000-0000-0000-000000000de0"
TEAMS_APP_PASSWORD = "demo-client-secret"
KUDOS_CHANNEL = "C0KUDOS"


@dataclass
class Stage:
    company: DemoCompany
    folder: Path
    clock: FakeClock
    database: Database
    slack_sandbox: SlackSandbox
    teams_sandbox: TeamsSandbox
    identity: IdentitySandbox
    runtime: Runtime
    runner: web.AppRunner
    slack: SlackSimulator
    teams: TeamsSimulator

    async def import_company(self, today: date | None = None) -> None:
        """Write the company's files as of `today` and import them, as an admin would."""
        await import_company(self.database, self.company, self.folder, self.clock.now(), today)

    async def close(self) -> None:
        await self.slack.close()
        await self.teams.close()
        await self.runner.cleanup()
        await self.slack_sandbox.stop()
        await self.teams_sandbox.stop()
        await self.identity.stop()
        await self.runtime.close()


def teams_user(person: DemoPerson) -> TeamsUser:
    assert person.teams_user_id and person.teams_aad_id
    return TeamsUser(person.teams_user_id, person.teams_aad_id, person.name, person.email)


async def open_stage(company: DemoCompany, folder: Path, clock: FakeClock, today: date) -> Stage:
    """Import the company as of `today`, start the stand-ins and okrbot, and install the bot
    for everyone on Teams who is there from the start."""
    database = Database(f"sqlite+aiosqlite:///{folder / 'okrbot.db'}")
    await database.upgrade()
    await import_company(database, company, folder, clock.now(), today)
    slack_sandbox = SlackSandbox(clock=lambda: clock.now().timestamp())
    for person in company.people:
        if person.slack_user_id:
            slack_sandbox.add_user(
                person.slack_user_id,
                person.first_name.lower(),
                person.email,
                tz=person.timezone,
                real_name=person.name,
            )
    slack_sandbox.add_channel(KUDOS_CHANNEL)
    identity = await IdentitySandbox().start()
    identity.register_app(TEAMS_APP_ID, TEAMS_APP_PASSWORD)
    teams_sandbox = TeamsSandbox(
        clock=lambda: clock.now().timestamp(), authorize=identity.check_app_token
    )
    for person in company.people:
        if person.teams_aad_id:
            teams_sandbox.add_member(
                teams_user_id=person.teams_user_id,
                aad_object_id=person.teams_aad_id,
                name=person.name,
                email=person.email,
            )
    await slack_sandbox.start()
    await teams_sandbox.start()
    settings = Settings(
        database_url=database.url,
        slack_bot_token=slack_sandbox.token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_sandbox.url,
        slack_process_before_response=True,
        microsoft_app_id=TEAMS_APP_ID,
        microsoft_app_password=TEAMS_APP_PASSWORD,
        botframework_openid_url=identity.openid_url,
        botframework_token_url=identity.token_url,
        company_values=["ownership", "customer-focus", "craft"],
        holidays=frozenset({HOLIDAY}),
        kudos_channel=KUDOS_CHANNEL,
    )
    runtime = await build_runtime(
        settings, clock=clock, database=database, migrate=False, slack_retry_backoff=0
    )
    # One send at a time: the same seed must give the same transcripts, in the same order.
    runtime.ticker.concurrency = 1
    runner = web.AppRunner(web_app(runtime), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    slack = SlackSimulator(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, slack_sandbox)
    token = identity.channel_token(TEAMS_APP_ID, teams_sandbox.service_url)
    teams = TeamsSimulator(
        f"http://127.0.0.1:{port}/api/messages", teams_sandbox, authorization=f"Bearer {token}"
    )
    stage = Stage(
        company,
        folder,
        clock,
        database,
        slack_sandbox,
        teams_sandbox,
        identity,
        runtime,
        runner,
        slack,
        teams,
    )
    for person in company.people:
        if person.teams_aad_id and person.joins_on is None:
            await teams.install(teams_user(person))
    return stage


async def import_company(
    database: Database, company: DemoCompany, folder: Path, now: datetime, today: date | None
) -> None:
    people_file, okrs_file = company.write(folder / "data", today)
    people = parse_people(people_file.read_text("utf-8"), people_file.name)
    async with database.transaction() as session:
        raise_problems([*people.problems, *check_people(people, [])])
        await upsert_people(session, people)
    okrs = parse_okrs(okrs_file.read_text("utf-8"), okrs_file.name)
    async with database.transaction() as session:
        existing = await list_people(session)
        emails = [p.email for p in existing]
        raise_problems([*okrs.problems, *check_okrs(okrs, emails, {})])
        await upsert_okrs(session, okrs, now)


async def press_latest(stage: Stage, person: DemoPerson, action: str) -> None:
    """The person clicks the button `action` on the latest message okrbot sent them that has
    one (Slack: in their DM; Teams: a card's Action.Submit in their 1:1 chat)."""
    if person.slack_user_id:
        channel = stage.slack_sandbox.dm_channel(person.slack_user_id) or ""
        for message in reversed(stage.slack_sandbox.messages_in(person.slack_user_id)):
            elements = [e for b in message.get("blocks") or [] for e in b.get("elements") or []]
            if any(e.get("action_id") == action for e in elements):
                await stage.slack.click(person.slack_user_id, message, action, channel)
                return
        return
    user = teams_user(person)
    for activity in reversed(stage.teams_sandbox.activities_in(user.conversation_id)):
        try:
            action_of(card_of(activity), action)
        except (LookupError, KeyError):
            continue
        await stage.teams.press(user, activity, action)
        return
