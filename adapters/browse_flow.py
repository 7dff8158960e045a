"""Browsing OKRs, once for every platform: find what was asked for, and build the pages.

An adapter parses nothing itself: it hands over the request `bot.browse.browse_request` read
from the command and the person its platform's mention names (if one was named), and renders
the messages that come back. Only objectives, key results, owners' names and confidences are
read here; check-in notes, reflections and digests never are, so no answer can carry them.
"""

from __future__ import annotations

from collections.abc import Sequence

from okrbot.adapters.conversations import CheckIns
from okrbot.bot.browse import (
    BrowseRequest,
    Scope,
    Shown,
    browse_pages,
    no_match,
    no_objectives,
    no_team,
    unknown_person,
)
from okrbot.bot.domain import Objective, Person
from okrbot.bot.messages import Message
from okrbot.storage.checkins import latest_confidences
from okrbot.storage.db import Database, Session
from okrbot.storage.okrs import (
    alignment,
    company_objectives,
    objectives_for_quarter,
    objectives_of_people,
    search_objectives,
)
from okrbot.storage.people import direct_reports, get_person, people_by_id, people_named


class BrowseFlow:
    def __init__(self, database: Database, checkins: CheckIns) -> None:
        self.database = database
        self.checkins = checkins

    async def answer(
        self, asker: Person, request: BrowseRequest, mentioned: Person | None, command: str
    ) -> list[Message]:
        """The pages answering `request` for `asker`, in the asker's current quarter.
        `mentioned` is the person the request's mention names, as the platform found them."""
        quarter = self.checkins.moment(asker).quarter.id
        async with self.database.reading() as session:
            if request.scope is Scope.COMPANY:
                objectives = await company_objectives(session, quarter)
                title, whose = f"Company OKRs · {quarter}", "the company"
            elif request.scope is Scope.SEARCH:
                objectives = await search_objectives(session, quarter, request.words.split())
                if not objectives:
                    return [no_match(request.words, quarter, command)]
                title, whose = f"OKRs matching “{request.words[:100]}” · {quarter}", ""
            else:
                named = await self._named(session, request, mentioned)
                if request.named is not None and named is None:
                    return [unknown_person(request.named)]
                if request.scope is Scope.PERSON and named is not None:
                    objectives = await objectives_for_quarter(session, quarter, named.id)
                    title, whose = f"{named.name}'s OKRs · {quarter}", named.name
                else:
                    lead = named or await self._own_team_lead(session, asker)
                    team = await team_objectives(session, lead, quarter)
                    if team is None:
                        return [no_team(lead.name)]
                    objectives = team
                    title, whose = f"{lead.name}'s team · {quarter}", f"{lead.name}'s team"
            if not objectives:
                return [no_objectives(whose, quarter)]
            shown = await shown_objectives(session, objectives)
        return browse_pages(title, shown)

    async def _named(
        self, session: Session, request: BrowseRequest, mentioned: Person | None
    ) -> Person | None:
        """Who the request names: the mentioned person, or the one person whose email or full
        name is an `@name` typed as plain text."""
        if request.mention is not None:
            return mentioned
        if request.name is None:
            return None
        found = await people_named(session, request.name.lstrip("@"))
        return found[0] if len(found) == 1 else None

    async def _own_team_lead(self, session: Session, asker: Person) -> Person:
        """`team` without a name: the asker's own team when they manage people, else the team
        they are in (their manager's)."""
        if await direct_reports(session, asker.id) or asker.manager_id is None:
            return asker
        return await get_person(session, asker.manager_id) or asker


async def team_objectives(session: Session, lead: Person, quarter: str) -> list[Objective] | None:
    """The objectives of `lead`'s team (them and their direct reports) in `quarter`; None when
    nobody reports to them."""
    team = await direct_reports(session, lead.id)
    if not team:
        return None
    members = [lead.id, *(person.id for person in team)]
    return await objectives_of_people(session, quarter, members)


async def shown_objectives(session: Session, objectives: Sequence[Objective]) -> list[Shown]:
    """Each objective with its owner's name, its alignment and its key results' last
    confidences: public values only."""
    parents, children = await alignment(session, objectives)
    owners = await people_by_id(session, {o.owner_id for o in objectives})
    confidence = await latest_confidences(
        session, [kr.id for o in objectives for kr in o.key_results]
    )
    shown = []
    for objective in objectives:
        owner = owners.get(objective.owner_id)
        parent = parents.get(objective.parent_id) if objective.parent_id is not None else None
        shown.append(
            Shown(
                objective=objective,
                owner=owner.name if owner is not None else "someone",
                supports=parent.title if parent is not None else None,
                supported_by=tuple(child.title for child in children.get(objective.id, [])),
                confidence={
                    kr.id: confidence[kr.id] for kr in objective.key_results if kr.id in confidence
                },
            )
        )
    return shown
