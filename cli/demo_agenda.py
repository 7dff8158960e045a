"""The demo's 1:1: in week 3 a report adds an item to the 1:1 agenda with their manager
(`/okr agenda add @manager …`, Teams `agenda add @manager …`); the next day the manager runs
`/okr 1on1 @report` (Teams `1on1 @report`), reads the agenda okrbot builds from the report's
check-ins, kudos and that item, and after the meeting clicks Mark discussed.

The pair is picked by rule (the second person with a manager and no reports, present from the
start: the first drafts an OKR), not by the random generator, so the rest of the quarter plays as
it would without it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from okrbot.bot.agenda import MARK_DISCUSSED
from okrbot.bot.quarters import Quarter
from okrbot.cli.demo_company import DemoCompany, DemoPerson
from okrbot.cli.demo_scene import Scene, plain_reports
from okrbot.cli.demo_stage import Stage, press_latest, teams_user
from okrbot.cli.demo_timeline import Timeline
from okrbot.cli.demo_watch import Record, slack_text

ITEM = "How I can take over the onboarding metrics next quarter"


def slack_mention(person: DemoPerson) -> str:
    """How a Slack slash command's escaped text names someone."""
    return f"<@{person.slack_user_id}|{person.first_name.lower()}>"


def _local(person: DemoPerson, day: date, at: time) -> datetime:
    """A moment of the person's own working day."""
    return datetime.combine(day, at, ZoneInfo(person.timezone)).astimezone(UTC)


class OneOnOne(Scene):
    def __init__(
        self, company: DemoCompany, stage: Stage, timeline: Timeline, record: Record
    ) -> None:
        super().__init__(company, stage, timeline, record)
        reports = plain_reports(company)
        self.report = reports[1] if len(reports) > 1 else (reports[0] if reports else None)
        self.manager = company.by_email(self.report.manager_email or "") if self.report else None

    def plan(self, quarter: Quarter) -> None:
        """Tuesday and Wednesday of the quarter's third full week (20 and 21 October in
        2026-Q4), early afternoon UTC."""
        if self.report is None or self.manager is None:
            return
        tuesday = quarter.start + timedelta(days=22 - quarter.start.weekday())
        report, manager = self.report, self.manager
        added = _local(report, tuesday, time(15, 20))
        self.timeline.at(added, lambda: self.run(report, manager, f"agenda add {{}} {ITEM}"))
        asked = _local(manager, tuesday + timedelta(days=1), time(9, 40))
        self.timeline.at(asked, lambda: self.run(manager, report, "1on1 {}"))
        self.timeline.at(asked + timedelta(hours=1), lambda: self.mark_discussed(manager))

    async def run(self, person: DemoPerson, other: DemoPerson, command: str) -> None:
        """`person` types the command naming `other`; a Slack command's private answer is
        kept in their transcript (the agenda itself arrives in their DM, as a message)."""
        stage = self.stage
        if person.slack_user_id:
            text = command.format(slack_mention(other))
            self._say(person, "/okr " + command.format(f"@{other.name}"))
            reply = await stage.slack.command(person.slack_user_id, "/okr", text)
            body = reply.json() if reply.body else {}
            blocks = body.get("blocks") or []
            if blocks:
                now = stage.clock.now()
                self.record.say(person.email, now, "okrbot", slack_text(blocks), {"blocks": blocks})
            return
        user = teams_user(person)
        typed = command.format(f"@{other.name}")
        self._say(person, typed)
        await stage.teams.say(user, typed, mentions=[teams_user(other)])

    async def mark_discussed(self, manager: DemoPerson) -> None:
        self._say(manager, "[Mark discussed]")
        await press_latest(self.stage, manager, MARK_DISCUSSED)
