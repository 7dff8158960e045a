"""What each scripted scene of the demo's quarter (a drafted OKR, a 1:1) works with: the
company, the stage, the timeline its moments go on, and the record its people's words go to."""

from __future__ import annotations

from typing import Any

from okrbot.cli.demo_company import DemoCompany, DemoPerson
from okrbot.cli.demo_stage import Stage
from okrbot.cli.demo_timeline import Timeline
from okrbot.cli.demo_watch import Record


def plain_reports(company: DemoCompany) -> list[DemoPerson]:
    """People with a manager and no reports who were there from the start: whom a demo scene
    picks to show one report's side of something."""
    return [p for p in company.people if p.manager_email and not p.reports and p.joins_on is None]


class Scene:
    def __init__(
        self, company: DemoCompany, stage: Stage, timeline: Timeline, record: Record
    ) -> None:
        self.company = company
        self.stage = stage
        self.timeline = timeline
        self.record = record

    def _say(self, person: DemoPerson, text: str, shown: dict[str, Any] | None = None) -> None:
        """What the person typed or clicked, in their transcript, now (`shown`: how the app
        showed it, e.g. in a thread)."""
        self.record.say(person.email, self.stage.clock.now(), "you", text, shown)
