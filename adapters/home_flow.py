"""A person's Home, read once for every platform: Slack's App Home and Teams' `home` card.

Their own quarter (key results, kudos received), the next prompt, their team's objectives and
the company's alignment tree. Of other people's check-ins only the confidence is read
(`shown_objectives`), so no note, blocker or reflection can reach the Home.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from okrbot.adapters.browse_flow import shown_objectives
from okrbot.adapters.conversations import CheckIns
from okrbot.adapters.overview import own_quarter
from okrbot.bot.domain import Kudos, Level, Person
from okrbot.bot.home import HomeData, Team, alignment_tree, home
from okrbot.bot.messages import Message
from okrbot.storage.db import Session
from okrbot.storage.okrs import company_objectives, objectives_for_quarter, objectives_of_people
from okrbot.storage.people import direct_reports, get_person, people_by_id

NextPrompt = Callable[[Person], Awaitable[datetime | None]]


class HomeFlow:
    def __init__(self, checkins: CheckIns, next_prompt: NextPrompt | None = None) -> None:
        self.checkins = checkins
        self.database = checkins.database
        self.next_prompt = next_prompt

    async def home(
        self,
        person: Person,
        command: str,
        kudos_command: str,
        unnamed_giver: Callable[[Kudos], str],
    ) -> Message:
        """The person's Home; `command` and `kudos_command` are how their platform spells
        `/okr` and `/kudos`, `unnamed_giver` how it refers to a giver okrbot has no name for."""
        own = await own_quarter(self.checkins, person, unnamed_giver)
        quarter = own.moment.quarter.id
        async with self.database.reading() as session:
            team = await self._team(session, person, quarter)
            roots = await company_objectives(session, quarter)
            everything = await objectives_for_quarter(session, quarter)
            owners = await people_by_id(session, {o.owner_id for o in everything})
        return home(
            HomeData(
                name=person.name,
                quarter=quarter,
                command=command,
                kudos_command=kudos_command,
                statuses=own.statuses,
                next_prompt=await self._next_prompt(person),
                kudos=own.received,
                team=team,
                company=alignment_tree(roots, everything),
                owners={person_id: owner.name for person_id, owner in owners.items()},
            )
        )

    async def _team(self, session: Session, person: Person, quarter: str) -> Team:
        """The team the person is in (their manager, and everyone with that manager) and the
        one they lead (their direct reports), with the objectives any of them owns or owns a
        key result of; deactivated people are left out of the names."""
        manager = await get_person(session, person.manager_id) if person.manager_id else None
        peers = await direct_reports(session, manager.id) if manager is not None else []
        reports = await direct_reports(session, person.id)
        peers = sorted(
            (p for p in peers if p.id != person.id and not p.deactivated), key=lambda p: p.name
        )
        reports = sorted((p for p in reports if not p.deactivated), key=lambda p: p.name)
        if manager is None and not reports:
            return Team()
        members = [person.id, *(p.id for p in (*peers, *reports))]
        if manager is not None:
            members.append(manager.id)
        # Company objectives have their own section, whoever in the team owns them.
        objectives = [
            objective
            for objective in await objectives_of_people(session, quarter, members)
            if objective.level is not Level.COMPANY
        ]
        return Team(
            manager=manager.name if manager is not None else None,
            peers=tuple(p.name for p in peers),
            reports=tuple(p.name for p in reports),
            objectives=tuple(await shown_objectives(session, objectives)),
        )

    async def _next_prompt(self, person: Person) -> str | None:
        """When the next weekly prompt comes, in the person's own time zone."""
        if self.next_prompt is None:
            return None
        when = await self.next_prompt(person)
        if when is None:
            return None
        local = when.astimezone(self.checkins.zone(person))
        return local.strftime("%A %d %B, %H:%M") + f" ({local.tzname()})"
