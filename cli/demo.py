"""`okrbot demo`: a whole quarter of a sample company, played through the real stacks, offline.

Nothing is mocked between the people and the database: the sample people "click" and "type"
through signed Slack requests and Teams Activities sent over loopback HTTP to okrbot's own
server (real slack-bolt, real botbuilder), okrbot answers through the real scheduler and outbox
into local stand-ins of the Slack Web API and the Bot Framework connector, and a simulated clock
jumps from one due moment to the next so thirteen weeks take seconds.
"""

from __future__ import annotations

import asyncio
import heapq
import html
import json
import random
import shutil
import tempfile
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from aiohttp import web
from rich.progress import BarColumn, Progress, TextColumn
from sqlalchemy import select, update

from okrbot.adapters.slack.sandbox import SlackSandbox
from okrbot.adapters.slack.simulator import SlackSimulator
from okrbot.adapters.teams.identity_sandbox import IdentitySandbox
from okrbot.adapters.teams.sandbox import TeamsSandbox
from okrbot.adapters.teams.simulator import TeamsSimulator, TeamsUser, action_of, card_of, walk
from okrbot.bot.checkins import CHECK_IN, FORM_ID, SKIP, SNOOZE, input_id
from okrbot.bot.clock import FakeClock
from okrbot.bot.domain import KeyResultType
from okrbot.bot.import_problems import raise_problems
from okrbot.bot.markdown import messages_markdown
from okrbot.bot.messages import Message
from okrbot.bot.okr_import import check_okrs, parse_okrs
from okrbot.bot.people_import import check_people, parse_people
from okrbot.bot.quarters import Quarter, week_key
from okrbot.bot.reflections import FORM_ID as REFLECTION_FORM
from okrbot.bot.reflections import REFLECT
from okrbot.bot.settings import Settings
from okrbot.cli.common import console
from okrbot.cli.demo_company import HOLIDAY, QUARTER, DemoCompany, DemoPerson, build_company
from okrbot.cli.runtime import Runtime, build_runtime
from okrbot.cli.serve import web_app
from okrbot.storage.db import Database
from okrbot.storage.models import CheckInRow, KudosRow, PersonRow
from okrbot.storage.okrs import upsert_okrs
from okrbot.storage.people import list_people, upsert_people

SIGNING_SECRET = "demo-signing-secret"
# The demo's Teams bot registration at the local identity stand-in: Teams runs authenticated
# both ways, as in production.
TEAMS_APP_ID = "00000000-0000-0000-0000-000000000de0"
TEAMS_APP_PASSWORD = "demo-client-secret"
KUDOS_CHANNEL = "C0KUDOS"
PROMPT_SUMMARIES = ("Time for your weekly check-in", "Reminder: your check-in")
REFLECTION_SUMMARY = "Time to look back on"


@dataclass(order=True)
class Action:
    at: datetime
    order: int
    run: Callable[[], Awaitable[None]] = field(compare=False)


@dataclass
class Entry:
    at: datetime
    who: str  # "okrbot" or "you"
    text: str


@dataclass
class Plan:
    behaviour: str
    answered: bool = False


class DemoWorld:
    def __init__(self, company: DemoCompany, seed: int, out: Path) -> None:
        self.company = company
        self.rng = random.Random(seed)
        self.out = out
        self.quarter = Quarter.parse(QUARTER)
        self.opening = datetime.combine(self.quarter.start, datetime.min.time(), tzinfo=UTC)
        self.clock = FakeClock(self.opening - timedelta(hours=12))
        self.actions: list[Action] = []
        self.order = 0
        self.transcripts: dict[str, list[Entry]] = defaultdict(list)
        self.plans: dict[tuple[str, str], Plan] = {}
        self.tally: Counter[str] = Counter()
        self.strength = {p.email: self.rng.uniform(0.45, 1.15) for p in company.people}
        self.slack_seen = 0
        self.teams_seen = 0
        self.slack_cards: list[tuple[str, str, dict[str, Any]]] = []
        self.digests: dict[tuple[str, str], list[Message]] = {}
        self.summaries: dict[str, tuple[list[Message], list[tuple[str, str, bytes]]]] = {}
        self.teams_cards: list[tuple[str, dict[str, Any]]] = []

    # -- setting up ---------------------------------------------------------------------------

    async def start(self, folder: Path) -> None:
        self.database = Database(f"sqlite+aiosqlite:///{folder / 'okrbot.db'}")
        await self.database.upgrade()
        self.folder = folder
        await self._import(folder, self.quarter.start)
        self.slack_sandbox = SlackSandbox(clock=lambda: self.clock.now().timestamp())
        for person in self.company.people:
            if person.slack_user_id:
                self.slack_sandbox.add_user(
                    person.slack_user_id,
                    person.first_name.lower(),
                    person.email,
                    tz=person.timezone,
                    real_name=person.name,
                )
        self.slack_sandbox.add_channel(KUDOS_CHANNEL)
        self.identity = await IdentitySandbox().start()
        self.identity.register_app(TEAMS_APP_ID, TEAMS_APP_PASSWORD)
        self.teams_sandbox = TeamsSandbox(
            clock=lambda: self.clock.now().timestamp(), authorize=self.identity.check_app_token
        )
        for person in self.company.people:
            if person.teams_aad_id:
                self.teams_sandbox.add_member(
                    teams_user_id=person.teams_user_id,
                    aad_object_id=person.teams_aad_id,
                    name=person.name,
                    email=person.email,
                )
        await self.slack_sandbox.start()
        await self.teams_sandbox.start()
        settings = Settings(
            database_url=self.database.url,
            slack_bot_token=self.slack_sandbox.token,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=self.slack_sandbox.url,
            slack_process_before_response=True,
            microsoft_app_id=TEAMS_APP_ID,
            microsoft_app_password=TEAMS_APP_PASSWORD,
            botframework_openid_url=self.identity.openid_url,
            botframework_token_url=self.identity.token_url,
            company_values=["ownership", "customer-focus", "craft"],
            holidays=frozenset({HOLIDAY}),
            kudos_channel=KUDOS_CHANNEL,
        )
        self.runtime: Runtime = await build_runtime(
            settings,
            clock=self.clock,
            database=self.database,
            migrate=False,
            slack_retry_backoff=0,
        )
        # One send at a time: the same seed must give the same transcripts, in the same order.
        self.runtime.ticker.concurrency = 1
        self._record_manager_reports()
        self.runner = web.AppRunner(web_app(self.runtime), access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        port = self.runner.addresses[0][1]
        self.slack = SlackSimulator(
            f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, self.slack_sandbox
        )
        token = self.identity.channel_token(TEAMS_APP_ID, self.teams_sandbox.service_url)
        self.teams = TeamsSimulator(
            f"http://127.0.0.1:{port}/api/messages",
            self.teams_sandbox,
            authorization=f"Bearer {token}",
        )
        for person in self.company.people:
            if person.teams_aad_id and person.joins_on is None:
                await self.teams.install(self._teams_user(person))
        await self._plan_time_off()
        self._plan_new_hire()
        self.collect()

    def _record_manager_reports(self) -> None:
        """Keep what managers were sent, as neutral messages, for the Markdown copies."""
        reports = self.runtime.courier.reports
        digest, summary = reports.digest, reports.summary

        async def recording_digest(manager: Any, period: str) -> list[Message]:
            messages = await digest(manager, period)
            if messages:
                self.digests[(manager.email, period)] = messages
            return messages

        async def recording_summary(manager: Any, quarter: str) -> Any:
            messages, charts = await summary(manager, quarter)
            if messages:
                self.summaries[manager.email] = (messages, charts)
            return messages, charts

        reports.digest = recording_digest  # type: ignore[method-assign]
        reports.summary = recording_summary  # type: ignore[method-assign]

    async def _import(self, folder: Path, today: date | None = None) -> None:
        people_file, okrs_file = self.company.write(folder / "data", today)
        people = parse_people(people_file.read_text("utf-8"), people_file.name)
        async with self.database.transaction() as session:
            raise_problems([*people.problems, *check_people(people, [])])
            await upsert_people(session, people)
        okrs = parse_okrs(okrs_file.read_text("utf-8"), okrs_file.name)
        async with self.database.transaction() as session:
            existing = await list_people(session)
            emails = [p.email for p in existing]
            raise_problems([*okrs.problems, *check_okrs(okrs, emails, {})])
            await upsert_okrs(session, okrs, self.clock.now())

    async def _plan_time_off(self) -> None:
        """One person is out of office for a week in the middle of the quarter: on the
        Sunday before, they run the equivalent of `okrbot people pause EMAIL --until …`."""
        candidates = [
            p
            for p in self.company.people
            if p.manager_email and not p.reports and p.joins_on is None
        ]
        away = self.rng.choice(candidates)
        monday = self.quarter.start + timedelta(days=7 * 6 - self.quarter.start.weekday())
        sunday_before = datetime.combine(monday - timedelta(days=1), datetime.min.time(), UTC)

        async def leave() -> None:
            async with self.database.transaction() as session:
                await session.execute(
                    update(PersonRow)
                    .where(PersonRow.email == away.email)
                    .values(paused_until=monday + timedelta(days=6))
                )
            self.transcripts[away.email].append(
                Entry(
                    self.clock.now(), "you", f"(out of office until {monday + timedelta(days=6)})"
                )
            )

        self.order += 1
        heapq.heappush(self.actions, Action(sunday_before, self.order, leave))
        self.away = (away.email, week_key(monday))

    def _plan_new_hire(self) -> None:
        """A new hire is imported mid-week partway through the quarter, as an admin would: the
        updated people and OKR files, re-imported. Their first prompt is at their next
        check-in time."""
        joiner = self.company.joiner
        assert joiner.joins_on is not None
        joins = datetime.combine(joiner.joins_on, time(12), UTC)

        async def join() -> None:
            await self._import(self.folder, joiner.joins_on)
            if joiner.teams_aad_id:
                await self.teams.install(self._teams_user(joiner))
            self.transcripts[joiner.email].append(
                Entry(self.clock.now(), "you", "(joined the company; imported by an admin)")
            )

        self.order += 1
        heapq.heappush(self.actions, Action(joins, self.order, join))

    async def stop(self) -> None:
        await self.slack.close()
        await self.teams.close()
        await self.runner.cleanup()
        await self.slack_sandbox.stop()
        await self.teams_sandbox.stop()
        await self.identity.stop()
        await self.runtime.close()

    def _teams_user(self, person: DemoPerson) -> TeamsUser:
        assert person.teams_user_id and person.teams_aad_id
        return TeamsUser(person.teams_user_id, person.teams_aad_id, person.name, person.email)

    # -- the simulation loop --------------------------------------------------------------------

    def later(self, delay: timedelta, run: Callable[[], Awaitable[None]]) -> None:
        self.order += 1
        heapq.heappush(self.actions, Action(self.clock.now() + delay, self.order, run))

    async def run(self, weeks: int, progress: Progress | None = None) -> None:
        end = self.opening + timedelta(weeks=weeks)
        if weeks >= 13:
            # Play on until the reflection window closes: every manager's quarter summary has
            # gone out by then (sooner when all their reports have reflected).
            zones = {ZoneInfo(p.timezone) for p in self.company.people if p.reports}
            cadence = self.runtime.cadence
            end = max(end, *(cadence.summary_deadline(self.quarter, z) for z in zones))
            end += timedelta(hours=1)
        task = (
            progress.add_task("", total=(end - self.clock.now()).total_seconds())
            if progress
            else None
        )
        origin = self.clock.now()
        await self.runtime.ticker.tick()  # everyone gets their first prompt time
        while True:
            due = await self.runtime.ticker.next_event()
            candidates = [t for t in (due, self.actions[0].at if self.actions else None) if t]
            moment = min(candidates) if candidates else None
            if moment is None or moment > end:
                break
            self.clock.set(max(moment, self.clock.now()))
            while self.actions and self.actions[0].at <= self.clock.now():
                await heapq.heappop(self.actions).run()
                self.collect()
            await self.runtime.ticker.tick()
            self.collect()
            if progress is not None and task is not None:
                progress.update(
                    task,
                    completed=(self.clock.now() - origin).total_seconds(),
                    description=self._status(),
                )
        self.clock.set(end)

    def _status(self) -> str:
        day = self.clock.now().strftime("%a %d %b %Y")
        t = self.tally
        return (
            f"{day} · prompts {t['prompts']} · check-ins {t['checkins']} · "
            f"snoozes {t['snoozes']} · skips {t['skips']} · kudos {t['kudos']}"
        )

    # -- watching what okrbot sends -----------------------------------------------------------

    def collect(self) -> None:
        """Stamp what okrbot sent since the last look with the current (simulated) time."""
        now = self.clock.now()
        calls = self.slack_sandbox.calls
        for call in calls[self.slack_seen :]:
            self._slack_call(call, now)
        self.slack_seen = len(calls)
        sent = self.teams_sandbox.requests
        for request in sent[self.teams_seen :]:
            self._teams_request(request, now)
        self.teams_seen = len(sent)

    def _slack_person(self, channel: str | None) -> DemoPerson | None:
        for person in self.company.people:
            if person.slack_user_id and channel in (
                person.slack_user_id,
                self.slack_sandbox.dm_channel(person.slack_user_id),
            ):
                return person
        return None

    def _slack_call(self, call: Any, now: datetime) -> None:
        if not call.ok or call.method not in ("chat.postMessage", "chat.update"):
            return
        person = self._slack_person(str(call.params.get("channel")))
        if person is None:
            return
        blocks = call.params.get("blocks") or []
        text = slack_text(blocks) or str(call.params.get("text", ""))
        verb = "" if call.method == "chat.postMessage" else "(updated its message) "
        self.transcripts[person.email].append(Entry(now, "okrbot", verb + text))
        self.slack_cards.append((person.email, call.method, {"blocks": blocks}))
        summary = str(call.params.get("text", ""))
        if call.method == "chat.postMessage" and summary.startswith(PROMPT_SUMMARIES):
            self._prompted(person, summary)
        if call.method == "chat.postMessage" and summary.startswith(REFLECTION_SUMMARY):
            self._asked_to_reflect(person)

    def _teams_person(self, conversation: str | None) -> DemoPerson | None:
        for person in self.company.people:
            if person.teams_aad_id and conversation == self._teams_user(person).conversation_id:
                return person
        return None

    def _teams_request(self, request: Any, now: datetime) -> None:
        if request.status >= 300 or not request.body or request.method not in ("POST", "PUT"):
            return
        person = self._teams_person(request.conversation_id)
        card = card_of(request.body) if request.body.get("attachments") else None
        if person is None:
            return
        text = teams_text(card) if card else str(request.body.get("text") or "")
        verb = "(updated its card) " if request.method == "PUT" else ""
        self.transcripts[person.email].append(Entry(now, "okrbot", verb + text))
        if card:
            self.teams_cards.append((person.email, card))
        summary = str(request.body.get("summary") or "")
        if request.method == "POST" and summary.startswith(PROMPT_SUMMARIES):
            self._prompted(person, summary)
        if request.method == "POST" and summary.startswith(REFLECTION_SUMMARY):
            self._asked_to_reflect(person)

    # -- how the sample people behave ----------------------------------------------------------

    def _prompted(self, person: DemoPerson, summary: str) -> None:
        self.tally["prompts"] += 1
        period = week_key(self.clock.now().astimezone(ZoneInfo(person.timezone)).date())
        key = (person.email, period)
        plan = self.plans.get(key)
        if plan is None:
            behaviour = self.rng.choices(
                ["on_time", "snooze", "late", "skip", "ignore"], weights=[64, 10, 12, 8, 6]
            )[0]
            self.plans[key] = plan = Plan(behaviour)
            if behaviour == "on_time":
                self.later(hours(self.rng.uniform(0.3, 5)), lambda: self.answer(person))
            elif behaviour == "snooze":
                self.later(hours(self.rng.uniform(0.1, 1)), lambda: self.press(person, SNOOZE))
            elif behaviour == "skip":
                self.later(hours(self.rng.uniform(0.1, 3)), lambda: self.press(person, SKIP))
            return
        if plan.behaviour in ("snooze", "late") and not plan.answered:
            plan.answered = True
            self.later(hours(self.rng.uniform(0.2, 6)), lambda: self.answer(person))

    def _asked_to_reflect(self, person: DemoPerson) -> None:
        """Most people reflect within a few days; some never get round to it."""
        if self.rng.random() < 0.15:
            return
        self.later(hours(self.rng.uniform(1, 24 * 6)), lambda: self.reflect(person))

    async def reflect(self, person: DemoPerson) -> None:
        went_well = self.rng.choice(self.company.catalog["notes"])
        answers = {"went-well": went_well, "do-differently": "Check in on the risky ones sooner"}
        self.tally["reflections"] += 1
        self.transcripts[person.email].append(
            Entry(
                self.clock.now(), "you", f"[Reflect on the quarter]\n  What went well: {went_well}"
            )
        )
        if person.slack_user_id:
            channel = self.slack_sandbox.dm_channel(person.slack_user_id) or ""
            message = next(
                m
                for m in reversed(self.slack_sandbox.messages_in(person.slack_user_id))
                if str(m.get("text", "")).startswith(REFLECTION_SUMMARY)
            )
            await self.slack.click(person.slack_user_id, message, REFLECT, channel)
            view = self.slack_sandbox.calls_to("views.open")[-1].params["view"]
            self.slack_cards.append((person.email, "views.open", view))
            await self.slack.submit(person.slack_user_id, view, answers)
        else:
            user = self._teams_user(person)
            sent = next(
                a
                for a in reversed(self.teams_sandbox.activities_in(user.conversation_id))
                if str(a.get("summary", "")).startswith(REFLECTION_SUMMARY)
            )
            await self.teams.press(user, sent, REFLECT)
            form = self.teams_sandbox.activity(user.conversation_id, sent["id"])
            await self.teams.press(user, form, REFLECTION_FORM, answers)

    async def press(self, person: DemoPerson, action: str) -> None:
        label = {SNOOZE: "Snooze 2h", SKIP: "Skip this week"}[action]
        self.tally["snoozes" if action == SNOOZE else "skips"] += 1
        self.transcripts[person.email].append(Entry(self.clock.now(), "you", f"[{label}]"))
        if person.slack_user_id:
            message = self._latest_slack_prompt(person)
            if message is not None:
                channel = self.slack_sandbox.dm_channel(person.slack_user_id) or ""
                await self.slack.click(person.slack_user_id, message, action, channel)
        else:
            activity = self._latest_teams_prompt(person)
            if activity is not None:
                await self.teams.press(self._teams_user(person), activity, action)

    async def answer(self, person: DemoPerson) -> None:
        async with self.database.reading() as session:
            row = await session.scalar(select(PersonRow).where(PersonRow.email == person.email))
        assert row is not None
        runtime_person = await self._person(row.id)
        moment, statuses = await self.runtime.checkins.statuses(runtime_person)
        if not statuses:
            return
        answers, lines = self._values(
            person, statuses, moment.quarter.fraction_elapsed(moment.local_date)
        )
        kudos_line = self._maybe_kudos(person, answers)
        self.tally["checkins"] += 1
        said = "\n".join(lines + ([kudos_line] if kudos_line else []))
        self.transcripts[person.email].append(Entry(self.clock.now(), "you", f"[Check in]\n{said}"))
        if person.slack_user_id:
            message = self._latest_slack_prompt(person)
            channel = self.slack_sandbox.dm_channel(person.slack_user_id) or ""
            if message is None:
                await self.slack.command(person.slack_user_id, "/okr", "checkin")
            else:
                await self.slack.click(person.slack_user_id, message, CHECK_IN, channel)
            for _page in range(10):
                view = self.slack_sandbox.calls_to("views.open")[-1].params["view"]
                self.slack_cards.append((person.email, "views.open", view))
                reply = await self.slack.submit(person.slack_user_id, view, answers)
                body = reply.json() if reply.body else None
                if not body or body.get("response_action") != "update":
                    break
                self.slack_sandbox.calls_to("views.open")[-1].params["view"] = body["view"]
        else:
            activity = self._latest_teams_prompt(person)
            if activity is None:
                await self.teams.say(self._teams_user(person), "checkin")
                activity = self._latest_teams_prompt(person)
            if activity is not None:
                typed = {k: v for k, v in answers.items() if k != "kudos-to"}
                if "kudos-to" in answers:
                    typed["kudos-to"] = ", ".join(answers["kudos-to"])
                await self.teams.press(self._teams_user(person), activity, FORM_ID, typed)
        if self.rng.random() < 0.12:
            await self._kudos_command(person)

    async def _person(self, person_id: int) -> Any:
        from okrbot.storage.people import get_person

        async with self.database.reading() as session:
            found = await get_person(session, person_id)
        assert found is not None
        return found

    def _values(
        self, person: DemoPerson, statuses: list[Any], elapsed: float
    ) -> tuple[dict[str, Any], list[str]]:
        answers: dict[str, Any] = {}
        lines = []
        strength = self.strength[person.email]
        for status in statuses:
            kr = status.key_result
            if kr.type is KeyResultType.MILESTONE:
                done = kr.current >= 1 or self.rng.random() < strength * elapsed * 0.5
                value: Any = "done" if done else "not_done"
                progress = 1.0 if done else 0.0
                shown = "done" if done else "not done yet"
            else:
                step = (kr.target - kr.start) * strength / 13 * self.rng.uniform(0.3, 1.6)
                new = round(kr.current + step, 2 if abs(kr.target - kr.start) < 50 else 0)
                value, shown = new, f"{new:g}"
                span = kr.target - kr.start
                progress = (new - kr.start) / span if span else 1.0
            gap = elapsed - progress
            confidence = "on_track" if gap < 0.1 else "at_risk" if gap < 0.3 else "off_track"
            answers[input_id(kr.id, "value")] = value
            answers[input_id(kr.id, "confidence")] = confidence
            note = ""
            if self.rng.random() < 0.3:
                note = self.rng.choice(self.company.catalog["notes"])
                answers[input_id(kr.id, "note")] = note
            label = confidence.replace("_", " ")
            lines.append(f"  {kr.title}: {shown} ({label})" + (f" — {note}" if note else ""))
        return answers, lines

    def _teammates(self, person: DemoPerson) -> list[DemoPerson]:
        return [
            p
            for p in self.company.people
            if p.email != person.email
            and (p.manager_email == person.manager_email or p.email == person.manager_email)
            and bool(p.slack_user_id) == bool(person.slack_user_id)
        ]

    def _maybe_kudos(self, person: DemoPerson, answers: dict[str, Any]) -> str | None:
        mates = self._teammates(person)
        if not mates or self.rng.random() > 0.2:
            return None
        mate = self.rng.choice(mates)
        message = self.rng.choice(self.company.catalog["kudos"])
        answers["kudos-to"] = [mate.slack_user_id] if mate.slack_user_id else [mate.name]
        answers["kudos-message"] = message
        self.tally["kudos"] += 1
        return f"  Kudos to {mate.name}: {message}"

    async def _kudos_command(self, person: DemoPerson) -> None:
        mates = self._teammates(person)
        if not mates:
            return
        mate = self.rng.choice(mates)
        message = self.rng.choice(self.company.catalog["kudos"])
        value = self.rng.choice(["#ownership", "#craft", "#customer-focus"])
        self.tally["kudos"] += 1
        if person.slack_user_id and mate.slack_user_id:
            text = f"<@{mate.slack_user_id}|{mate.first_name.lower()}> {message} {value}"
            self.transcripts[person.email].append(
                Entry(self.clock.now(), "you", f"/kudos @{mate.name} {message} {value}")
            )
            reply = await self.slack.command(person.slack_user_id, "/kudos", text, KUDOS_CHANNEL)
            shown = slack_text((reply.json() or {}).get("blocks") or []) if reply.body else ""
            if shown:
                self.transcripts[person.email].append(Entry(self.clock.now(), "okrbot", shown))
        elif mate.teams_aad_id:
            self.transcripts[person.email].append(
                Entry(self.clock.now(), "you", f"kudos @{mate.name} {message} {value}")
            )
            await self.teams.say(
                self._teams_user(person),
                f"kudos @{mate.name} {message} {value}",
                mentions=[self._teams_user(mate)],
            )

    def _latest_slack_prompt(self, person: DemoPerson) -> dict[str, Any] | None:
        assert person.slack_user_id
        for message in reversed(self.slack_sandbox.messages_in(person.slack_user_id)):
            for block in message.get("blocks") or []:
                for element in block.get("elements") or []:
                    if element.get("action_id") == CHECK_IN:
                        return message
        return None

    def _latest_teams_prompt(self, person: DemoPerson) -> dict[str, Any] | None:
        conversation = self._teams_user(person).conversation_id
        for activity in reversed(self.teams_sandbox.activities_in(conversation)):
            if not activity.get("attachments"):
                continue
            try:
                action_of(card_of(activity), FORM_ID)
            except (LookupError, KeyError, StopIteration):
                continue
            return activity
        return None

    # -- what the demo leaves behind -------------------------------------------------------------

    async def write_outputs(self) -> dict[str, int]:
        out = self.out
        (out / "transcripts").mkdir(parents=True, exist_ok=True)
        for person in self.company.people:
            zone = ZoneInfo(person.timezone)
            lines = [f"{person.name} <{person.email}> · {person.timezone}", ""]
            for entry in self.transcripts.get(person.email, []):
                when = entry.at.astimezone(zone).strftime("%a %d %b %H:%M")
                who = "okrbot" if entry.who == "okrbot" else person.first_name
                lines.append(f"[{when}] {who}:")
                lines.extend("    " + line for line in entry.text.splitlines() or [""])
                lines.append("")
            (out / "transcripts" / f"{person.email}.txt").write_text("\n".join(lines), "utf-8")
        for platform in ("slack", "teams"):
            (out / "cards" / platform).mkdir(parents=True, exist_ok=True)
        for n, (email, method, payload) in enumerate(self.slack_cards, 1):
            name = f"{n:04d}-{email.split('@')[0]}-{method.replace('.', '-')}.json"
            (out / "cards" / "slack" / name).write_text(json.dumps(payload, indent=2), "utf-8")
        for n, (email, card) in enumerate(self.teams_cards, 1):
            name = f"{n:04d}-{email.split('@')[0]}.json"
            (out / "cards" / "teams" / name).write_text(json.dumps(card, indent=2), "utf-8")
        for (email, period), messages in sorted(self.digests.items()):
            folder = out / "managers" / email
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"digest-{period}.md").write_text(messages_markdown(messages), "utf-8")
        for email, (messages, charts) in self.summaries.items():
            folder = out / "managers" / email
            folder.mkdir(parents=True, exist_ok=True)
            images = "\n".join(f"![{title}]({name})" for name, title, _png in charts)
            text = messages_markdown(messages) + "\n\n## Progress charts\n\n" + images + "\n"
            (folder / "summary.md").write_text(text, "utf-8")
            for name, _title, png in charts:
                (folder / name).write_bytes(png)
        async with self.database.reading() as session:
            checkins = len((await session.scalars(select(CheckInRow.id))).all())
            kudos = len((await session.scalars(select(KudosRow.id))).all())
        self._write_index()
        return {
            "checkins_stored": checkins,
            "kudos_stored": kudos,
            "slack_payloads": len(self.slack_cards),
            "teams_cards": len(self.teams_cards),
            "slack_refused": [c.method for c in self.slack_sandbox.calls if not c.ok],
            "teams_unauthorized": sum(r.status == 401 for r in self.teams_sandbox.requests),
            "teams_app_tokens": len(self.identity.issued),
        }

    def _write_index(self) -> None:
        rows = []
        for person in self.company.people:
            role = "CEO" if not person.manager_email else "manager" if person.reports else ""
            rows.append(
                f"<tr><td>{html.escape(person.name)}</td><td>{role}</td>"
                f"<td>{person.platform.capitalize()}</td><td>{html.escape(person.timezone)}</td>"
                f"<td><a href='transcripts/{person.email}.txt'>transcript</a></td>"
                f"<td>{self._manager_links(person)}</td></tr>"
            )
        joiner = self.company.joiner
        events = (
            f"{HOLIDAY:%A %d %B} is a company holiday (<code>OKRBOT_HOLIDAYS</code>): that "
            f"week's prompts go out the next working day. {html.escape(joiner.name)} joins on "
            f"{joiner.joins_on:%A %d %B} and is first asked at their next check-in time. "
            "Reflections open two weeks before the quarter ends and close a week after it."
        )
        page = INDEX_TEMPLATE.format(
            quarter=QUARTER,
            events=events,
            rows="\n".join(rows),
            slack=len(self.slack_cards),
            teams=len(self.teams_cards),
        )
        (self.out / "index.html").write_text(page, "utf-8")

    def _manager_links(self, person: DemoPerson) -> str:
        folder = self.out / "managers" / person.email
        if not folder.exists():
            return ""
        links = [
            f"<a href='managers/{person.email}/{f.name}'>{html.escape(f.stem)}</a>"
            for f in sorted(folder.glob("*.md"))
        ]
        return " · ".join(links)


INDEX_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>okrbot demo · {quarter}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}}
table{{border-collapse:collapse}}
td,th{{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}}
</style>
</head><body>
<h1>okrbot demo · a quarter ({quarter}) of a sample company</h1>
<p>Every message below went through the real slack-bolt and botbuilder stacks to local stand-ins
of Slack and Teams. Transcripts show what each person was sent and answered, in their own time.
{events}</p>
<table><tr><th>Person</th><th>Role</th><th>Platform</th><th>Time zone</th><th>Transcript</th>
<th>Digests and summary (private to the manager)</th></tr>
{rows}
</table>
<h2>Raw messages</h2>
<p>{slack} Block Kit payloads in <a href="cards/slack/">cards/slack/</a> (paste into Slack's
Block Kit Builder) and {teams} Adaptive Cards in <a href="cards/teams/">cards/teams/</a> (paste
into the Adaptive Cards Designer).</p>
</body></html>
"""


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


def slack_text(blocks: list[dict[str, Any]]) -> str:
    """A Block Kit message as plain text, the way a person reads it."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"## {block['text']['text']}")
        elif kind == "section":
            if block.get("text"):
                lines.append(_unescape(block["text"]["text"]))
            for item in block.get("fields") or []:
                lines.append(_unescape(item["text"]))
        elif kind == "context":
            lines.extend(f"  {_unescape(e.get('text', ''))}" for e in block["elements"])
        elif kind == "actions":
            lines.append(
                " ".join(f"[{e['text']['text']}]" for e in block["elements"] if "text" in e)
            )
        elif kind == "image":
            lines.append(f"(chart: {block.get('alt_text', '')})")
    return "\n".join(lines)


def teams_text(card: dict[str, Any]) -> str:
    lines: list[str] = []
    for element in walk(card.get("body") or []):
        if element.get("type") == "TextBlock":
            lines.append(str(element.get("text", "")))
        elif element.get("type", "").startswith("Input."):
            lines.append(f"  ▸ {element.get('label', element.get('id'))}")
        elif element.get("type") == "ActionSet":
            lines.append(" ".join(f"[{a.get('title', '')}]" for a in element.get("actions", [])))
    lines.extend(f"[{a.get('title', '')}]" for a in card.get("actions") or [])
    return "\n".join(lines)


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


async def run_demo(
    out: Path, people: int, weeks: int, seed: int, show_progress: bool
) -> dict[str, Any]:
    company = build_company(people, seed)
    with tempfile.TemporaryDirectory(prefix="okrbot-demo-") as scratch:
        world = DemoWorld(company, seed, out)
        await world.start(Path(scratch))
        try:
            if show_progress:
                with Progress(
                    TextColumn("{task.description}"), BarColumn(), console=console, transient=False
                ) as progress:
                    await world.run(weeks, progress)
            else:
                await world.run(weeks)
            figures = await world.write_outputs()
            shutil.copytree(Path(scratch) / "data", out / "data")
        finally:
            await world.stop()
    for name in ("prompts", "checkins", "snoozes", "skips", "kudos", "reflections"):
        figures[name] = world.tally[name]
    figures["people"] = len(company.people)
    return figures


def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Where to write what the demo produced.")
    ] = Path("okrbot-demo"),
    people: Annotated[
        int, typer.Option("--people", min=1, max=200, help="People below the CEO.")
    ] = 15,
    weeks: Annotated[int, typer.Option("--weeks", min=1, max=13, help="Weeks to play.")] = 13,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same quarter.")] = 7,
) -> None:
    """Play a quarter of a sample company through okrbot, offline, and show what it did."""
    console.print(
        f"Playing {weeks} weeks of {QUARTER} for a company of {people + 1} people (and a new "
        "hire partway) on Slack and Teams (local stand-ins, simulated clock)…"
    )
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    figures = asyncio.run(run_demo(out, people, weeks, seed, show_progress=True))
    console.print(
        f"\nDone: {figures['prompts']} prompts, {figures['checkins']} check-ins, "
        f"{figures['snoozes']} snoozes, {figures['skips']} skips, {figures['kudos']} kudos, "
        f"{figures['reflections']} reflections. "
        f"Teams ran authenticated both ways ({figures['teams_app_tokens']} app token(s))."
    )
    console.print(f"\nOpen [bold]{out / 'index.html'}[/] to browse it all:")
    console.print(f"  {out / 'transcripts'}/<email>.txt   what each person was sent and answered")
    console.print(f"  {out / 'managers'}/<email>/          weekly digests and the quarter summary")
    console.print(f"  {out / 'cards'}/slack|teams/        raw Block Kit and Adaptive Card JSON")
    console.print(
        f"  {out / 'data'}/                       the people CSV and OKR YAML it imported"
    )
    console.print(
        "\nNext: connect a real workspace. Slack: create an app from manifest/slack.yaml, set "
        "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET, run `okrbot serve` (or `--socket-mode`). "
        "Teams: `okrbot teams package --app-id …` and upload it. Then `okrbot import people` "
        "and `okrbot import okrs` (see README)."
    )
