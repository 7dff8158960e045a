"""How the demo's sample people behave: they answer prompts (mostly on time), snooze, skip, forget,
give kudos, reflect on the quarter, take a week off, and one joins partway through.

Every choice comes from one seeded random generator, drawn in a fixed order, so the same seed
plays the same quarter. They act the way a person would: by clicking the buttons and filling in
the forms okrbot sent them, through the Slack and Teams simulators.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from okrbot.adapters.teams.simulator import action_of, card_of
from okrbot.bot.checkins import CHECK_IN, FORM_ID, SKIP, SNOOZE, input_id
from okrbot.bot.domain import KeyResultType, Person
from okrbot.bot.quarters import Quarter, week_key
from okrbot.bot.reflections import FORM_ID as REFLECTION_FORM
from okrbot.bot.reflections import REFLECT
from okrbot.cli.demo_agenda import OneOnOne
from okrbot.cli.demo_company import DemoCompany, DemoPerson
from okrbot.cli.demo_conversation import CheckInConversation
from okrbot.cli.demo_drafts import DraftedOkr
from okrbot.cli.demo_stage import KUDOS_CHANNEL, Stage, teams_user
from okrbot.cli.demo_timeline import Timeline
from okrbot.cli.demo_watch import REFLECTION_SUMMARY, Record, slack_text
from okrbot.storage.models import PersonRow
from okrbot.storage.people import get_person


@dataclass
class Plan:
    behaviour: str
    answered: bool = False


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


# Slack people open okrbot's Home tab after their second check-in.
HOME_AFTER_CHECKINS = 2


class SamplePeople:
    def __init__(
        self,
        company: DemoCompany,
        rng: random.Random,
        stage: Stage,
        timeline: Timeline,
        record: Record,
    ) -> None:
        self.company = company
        self.rng = rng
        self.stage = stage
        self.timeline = timeline
        self.record = record
        self.plans: dict[tuple[str, str], Plan] = {}
        self.tally: Counter[str] = Counter()
        self.checkins_by: Counter[str] = Counter()
        self.strength = {p.email: self.rng.uniform(0.45, 1.15) for p in company.people}
        self.drafted = DraftedOkr(company, stage, timeline, record)
        self.one_on_one = OneOnOne(company, stage, timeline, record)
        self.conversation = CheckInConversation(company, stage, timeline, record)

    def _say(self, person: DemoPerson, text: str) -> None:
        self.record.say(person.email, self.stage.clock.now(), "you", text)

    # -- the quarter's events ----------------------------------------------------------------

    def plan_time_off(self, quarter: Quarter) -> None:
        """One person is out of office for a week in the middle of the quarter: on the
        Sunday before, they run the equivalent of `okrbot people pause EMAIL --until …`."""
        candidates = [
            p
            for p in self.company.people
            if p.manager_email and not p.reports and p.joins_on is None
        ]
        away = self.rng.choice(candidates)
        monday = quarter.start + timedelta(days=7 * 6 - quarter.start.weekday())
        sunday_before = datetime.combine(monday - timedelta(days=1), datetime.min.time(), UTC)

        async def leave() -> None:
            async with self.stage.database.transaction() as session:
                await session.execute(
                    update(PersonRow)
                    .where(PersonRow.email == away.email)
                    .values(paused_until=monday + timedelta(days=6))
                )
            self._say(away, f"(out of office until {monday + timedelta(days=6)})")

        self.timeline.at(sunday_before, leave)

    def plan_draft(self, quarter: Quarter) -> None:
        """In week 1 one person drafts a personal OKR in chat; their manager approves it."""
        self.drafted.plan(quarter)

    def plan_one_on_one(self, quarter: Quarter) -> None:
        """In week 3 a report adds to the 1:1 agenda; their manager runs it and marks it
        discussed."""
        self.one_on_one.plan(quarter)

    def asked_to_approve(self, manager: DemoPerson) -> None:
        self.drafted.review_arrived(manager)

    def digest_arrived(self, manager: DemoPerson) -> None:
        self.conversation.digest_arrived(manager)

    def reply_arrived(self, person: DemoPerson) -> None:
        self.conversation.reply_arrived(person)

    def plan_new_hire(self) -> None:
        """A new hire is imported mid-week partway through the quarter, as an admin would: the
        updated people and OKR files, re-imported. Their first prompt is at their next
        check-in time."""
        joiner = self.company.joiner
        assert joiner.joins_on is not None
        joins = datetime.combine(joiner.joins_on, time(12), UTC)

        async def join() -> None:
            await self.stage.import_company(joiner.joins_on)
            if joiner.teams_aad_id:
                await self.stage.teams.install(teams_user(joiner))
            self._say(joiner, "(joined the company; imported by an admin)")

        self.timeline.at(joins, join)

    # -- what okrbot asks of them -------------------------------------------------------------

    def prompted(self, person: DemoPerson, summary: str) -> None:
        self.tally["prompts"] += 1
        period = week_key(self.stage.clock.now().astimezone(ZoneInfo(person.timezone)).date())
        key = (person.email, period)
        plan = self.plans.get(key)
        later = self.timeline.later
        if plan is None:
            behaviour = self.rng.choices(
                ["on_time", "snooze", "late", "skip", "ignore"], weights=[64, 10, 12, 8, 6]
            )[0]
            self.plans[key] = plan = Plan(behaviour)
            if behaviour == "on_time":
                later(hours(self.rng.uniform(0.3, 5)), lambda: self.answer(person))
            elif behaviour == "snooze":
                later(hours(self.rng.uniform(0.1, 1)), lambda: self.press(person, SNOOZE))
            elif behaviour == "skip":
                later(hours(self.rng.uniform(0.1, 3)), lambda: self.press(person, SKIP))
            return
        if plan.behaviour in ("snooze", "late") and not plan.answered:
            plan.answered = True
            later(hours(self.rng.uniform(0.2, 6)), lambda: self.answer(person))

    def asked_to_reflect(self, person: DemoPerson) -> None:
        """Most people reflect within a few days; some never get round to it."""
        if self.rng.random() < 0.15:
            return
        self.timeline.later(hours(self.rng.uniform(1, 24 * 6)), lambda: self.reflect(person))

    # -- what they do ------------------------------------------------------------------------

    async def reflect(self, person: DemoPerson) -> None:
        stage = self.stage
        went_well = self.rng.choice(self.company.catalog["went_well"])
        answers = {"went-well": went_well, "do-differently": "Check in on the risky ones sooner"}
        self.tally["reflections"] += 1
        self._say(person, f"[Reflect on the quarter]\n  What went well: {went_well}")
        if person.slack_user_id:
            channel = stage.slack_sandbox.dm_channel(person.slack_user_id) or ""
            message = next(
                m
                for m in reversed(stage.slack_sandbox.messages_in(person.slack_user_id))
                if str(m.get("text", "")).startswith(REFLECTION_SUMMARY)
            )
            await stage.slack.click(person.slack_user_id, message, REFLECT, channel)
            view = stage.slack_sandbox.calls_to("views.open")[-1].params["view"]
            self.record.keep_view(person.email, stage.clock.now(), "views.open", view)
            await stage.slack.submit(person.slack_user_id, view, answers)
        else:
            user = teams_user(person)
            sent = next(
                a
                for a in reversed(stage.teams_sandbox.activities_in(user.conversation_id))
                if str(a.get("summary", "")).startswith(REFLECTION_SUMMARY)
            )
            await stage.teams.press(user, sent, REFLECT)
            form = stage.teams_sandbox.activity(user.conversation_id, sent["id"])
            await stage.teams.press(user, form, REFLECTION_FORM, answers)

    async def press(self, person: DemoPerson, action: str) -> None:
        label = {SNOOZE: "Snooze 2h", SKIP: "Skip this week"}[action]
        self.tally["snoozes" if action == SNOOZE else "skips"] += 1
        self._say(person, f"[{label}]")
        if person.slack_user_id:
            message = self._latest_slack_prompt(person)
            if message is not None:
                channel = self.stage.slack_sandbox.dm_channel(person.slack_user_id) or ""
                await self.stage.slack.click(person.slack_user_id, message, action, channel)
        else:
            activity = self._latest_teams_prompt(person)
            if activity is not None:
                await self.stage.teams.press(teams_user(person), activity, action)

    async def answer(self, person: DemoPerson) -> None:
        stage = self.stage
        async with stage.database.reading() as session:
            row = await session.scalar(select(PersonRow).where(PersonRow.email == person.email))
        assert row is not None
        runtime_person = await self._person(row.id)
        moment, statuses = await stage.runtime.checkins.statuses(runtime_person)
        if not statuses:
            return
        answers, lines = self._values(
            person, statuses, moment.quarter.fraction_elapsed(moment.local_date)
        )
        kudos_line = self._maybe_kudos(person, answers)
        shaped = False
        if moment.period != moment.quarter_start_period:
            ids = [status.key_result.id for status in statuses]
            shaped = self.conversation.shape(person, answers, lines, ids)
        self.tally["checkins"] += 1
        said = "\n".join(lines + ([kudos_line] if kudos_line else []))
        self._say(person, f"[Check in]\n{said}")
        if person.slack_user_id:
            message = self._latest_slack_prompt(person)
            channel = stage.slack_sandbox.dm_channel(person.slack_user_id) or ""
            if message is None:
                await stage.slack.command(person.slack_user_id, "/okr", "checkin")
            else:
                await stage.slack.click(person.slack_user_id, message, CHECK_IN, channel)
            for _page in range(10):
                view = stage.slack_sandbox.calls_to("views.open")[-1].params["view"]
                self.record.keep_view(person.email, stage.clock.now(), "views.open", view)
                reply = await stage.slack.submit(person.slack_user_id, view, answers)
                body = reply.json() if reply.body else None
                if not body or body.get("response_action") != "update":
                    break
                stage.slack_sandbox.calls_to("views.open")[-1].params["view"] = body["view"]
        else:
            activity = self._latest_teams_prompt(person)
            if activity is None:
                await stage.teams.say(teams_user(person), "checkin")
                activity = self._latest_teams_prompt(person)
            if activity is not None:
                typed = {k: v for k, v in answers.items() if k != "kudos-to"}
                if "kudos-to" in answers:
                    typed["kudos-to"] = ", ".join(answers["kudos-to"])
                await stage.teams.press(teams_user(person), activity, FORM_ID, typed)
        self.checkins_by[person.email] += 1
        if shaped:
            self.conversation.asked(row.id, moment.period)
        if person.slack_user_id and self.checkins_by[person.email] == HOME_AFTER_CHECKINS:
            # A Slack person looks at okrbot's Home tab once; the watcher keeps what it showed.
            await stage.slack.open_home(person.slack_user_id)
        if self.rng.random() < 0.12:
            await self._kudos_command(person)

    async def _person(self, person_id: int) -> Person:
        async with self.stage.database.reading() as session:
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
                new = self._rounded(kr, kr.current + step)
                value, shown = new, typed(new)
                span = kr.target - kr.start
                progress = (new - kr.start) / span if span else 1.0
            gap = elapsed - progress
            confidence = "on_track" if gap < 0.1 else "at_risk" if gap < 0.3 else "off_track"
            answers[input_id(kr.id, "value")] = value
            answers[input_id(kr.id, "confidence")] = confidence
            note = ""
            if self.rng.random() < 0.3:
                note = self.rng.choice(self.company.catalog["notes"][confidence])
                answers[input_id(kr.id, "note")] = note
            label = confidence.replace("_", " ")
            lines.append(f"  {kr.title}: {shown} ({label})" + (f" — {note}" if note else ""))
        return answers, lines

    def _rounded(self, kr: Any, value: float) -> float | int:
        """A value as people report it: whole meetings, pilots and dollars (to the thousand
        when the target is large), percentages and fractional figures to one decimal. Rounding
        up or down at random keeps small weekly steps adding up."""
        whole = float(kr.start).is_integer() and float(kr.target).is_integer()
        if not whole or kr.type is KeyResultType.PERCENT:
            return round(value, 1)
        unit = 1000 if abs(kr.target - kr.start) >= 100_000 else 1
        return int(math.floor(value / unit + self.rng.random()) * unit)

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
            self._say(person, f"/kudos @{mate.name} {message} {value}")
            reply = await self.stage.slack.command(
                person.slack_user_id, "/kudos", text, KUDOS_CHANNEL
            )
            blocks = (reply.json() or {}).get("blocks") or [] if reply.body else []
            shown = slack_text(blocks)
            if shown:
                now = self.stage.clock.now()
                self.record.say(person.email, now, "okrbot", shown, {"blocks": blocks})
        elif mate.teams_aad_id:
            self._say(person, f"kudos @{mate.name} {message} {value}")
            await self.stage.teams.say(
                teams_user(person),
                f"kudos @{mate.name} {message} {value}",
                mentions=[teams_user(mate)],
            )

    def _latest_slack_prompt(self, person: DemoPerson) -> dict[str, Any] | None:
        assert person.slack_user_id
        for message in reversed(self.stage.slack_sandbox.messages_in(person.slack_user_id)):
            for block in message.get("blocks") or []:
                for element in block.get("elements") or []:
                    if element.get("action_id") == CHECK_IN:
                        return message
        return None

    def _latest_teams_prompt(self, person: DemoPerson) -> dict[str, Any] | None:
        conversation = teams_user(person).conversation_id
        for activity in reversed(self.stage.teams_sandbox.activities_in(conversation)):
            if not activity.get("attachments"):
                continue
            try:
                action_of(card_of(activity), FORM_ID)
            except (LookupError, KeyError, StopIteration):
                continue
            return activity
        return None


def typed(value: float | int) -> str:
    """A number the way someone types it: 1640000 or 21.5, never 1.64e+06."""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}"
