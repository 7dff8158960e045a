"""The demo's drafted OKR: in week 1 one person drafts a personal objective in chat (`/okr new`,
Teams `okr new`), aligned to their manager's team objective; the manager approves it from the
DM okrbot sends them, and from the next week its key results are part of the check-in.

The person is picked by rule (the first one with a manager and no reports, present from the
start), not by the random generator, so the rest of the quarter plays as it would without it.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from okrbot.adapters.teams.simulator import card_of, walk
from okrbot.bot.drafts import APPROVE, FORM_ID, PARENT, TITLE, kr_field
from okrbot.bot.quarters import Quarter
from okrbot.cli.demo_company import DemoCompany, DemoPerson
from okrbot.cli.demo_scene import Scene
from okrbot.cli.demo_stage import Stage, press_latest, teams_user
from okrbot.cli.demo_timeline import Timeline
from okrbot.cli.demo_watch import Record, slack_text

KEY_RESULTS = (
    ("Customer calls joined", "0", "12", "calls"),
    ("Support tickets followed end to end", "0", "30", "tickets"),
    ("Write up what customers ask for most", "0", "1", ""),
)


class DraftedOkr(Scene):
    def __init__(
        self, company: DemoCompany, stage: Stage, timeline: Timeline, record: Record
    ) -> None:
        super().__init__(company, stage, timeline, record)
        self.drafter = next(
            (p for p in company.people if p.manager_email and not p.reports and p.joins_on is None),
            None,
        )

    def plan(self, quarter: Quarter) -> None:
        """The second day of the quarter, early afternoon UTC."""
        if self.drafter is not None:
            drafter = self.drafter
            moment = datetime.combine(quarter.start + timedelta(days=1), time(13), UTC)
            self.timeline.at(moment, lambda: self.draft(drafter))

    def _answers(self, options: list[tuple[str, str]]) -> dict[str, Any]:
        assert self.drafter is not None
        team = [value for value, label in options if label.endswith("(team)")]
        answers: dict[str, Any] = {
            TITLE: f"Know our customers first-hand ({self.drafter.first_name})",
            PARENT: (team or [value for value, _ in options] or [""])[0],
        }
        for row, (title, start, target, unit) in enumerate(KEY_RESULTS, start=1):
            answers |= {kr_field(row, "title"): title, kr_field(row, "start"): start}
            answers |= {kr_field(row, "target"): target, kr_field(row, "unit"): unit}
        return answers

    async def draft(self, person: DemoPerson) -> None:
        stage = self.stage
        lines = [
            f"  {title}: {start} → {target} {unit}".rstrip()
            for title, start, target, unit in KEY_RESULTS
        ]
        if person.slack_user_id:
            await stage.slack.command(person.slack_user_id, "/okr", "new")
            view = stage.slack_sandbox.calls_to("views.open")[-1].params["view"]
            self.record.keep_view(person.email, stage.clock.now(), "views.open", view)
            [parent] = [b for b in view["blocks"] if b.get("block_id") == PARENT] or [{}]
            options = [
                (o["value"], o["text"]["text"])
                for o in (parent.get("element") or {}).get("options") or []
            ]
            answers = self._answers(options)
            self._say(person, f"/okr new\n  Objective: {answers[TITLE]}\n" + "\n".join(lines))
            reply = await stage.slack.submit(person.slack_user_id, view, answers)
            body = reply.json() if reply.body else {}
            if body.get("view"):
                view = body["view"]
                self.record.slack_cards.append((person.email, "views.update", view))
                shown = slack_text(view["blocks"])
                self.record.say(person.email, stage.clock.now(), "okrbot", shown, {"view": view})
        else:
            user = teams_user(person)
            await stage.teams.say(user, "okr new")
            form = stage.teams_sandbox.activities_in(user.conversation_id)[-1]
            choices = [
                (c["value"], c["title"])
                for e in walk(card_of(form).get("body") or [])
                if e.get("id") == PARENT
                for c in e.get("choices") or []
            ]
            answers = self._answers(choices)
            self._say(person, f"okr new\n  Objective: {answers[TITLE]}\n" + "\n".join(lines))
            await stage.teams.press(user, form, FORM_ID, answers)

    def review_arrived(self, manager: DemoPerson) -> None:
        """The manager reads the draft and approves it a little later."""
        self.timeline.later(timedelta(hours=1, minutes=30), lambda: self.approve(manager))

    async def approve(self, manager: DemoPerson) -> None:
        stage = self.stage
        drafter = self.drafter.name if self.drafter else "their report"
        self._say(manager, f"[Approve] {drafter}'s drafted OKR")
        await press_latest(stage, manager, APPROVE)
