"""Who a Teams account is among okrbot's people: the sender of a turn, found by Azure AD object
id (or by email the first time, when okrbot learns the id), with their 1:1 conversation
reference kept current so proactive prompts reach them; and anyone an @mention names.
"""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import ChannelAccount, ErrorResponseException

from okrbot.adapters.teams.activity import is_personal, reference_of
from okrbot.bot.domain import Person
from okrbot.bot.kudos import Mention
from okrbot.storage.db import Database
from okrbot.storage.people import (
    get_person_by_email,
    get_person_by_teams_id,
    get_person_by_teams_user_id,
    keep_teams_conversation,
    link_teams_aad_id,
)

log = logging.getLogger(__name__)


async def sender_person(database: Database, context: TurnContext) -> tuple[Person | None, bool]:
    """Find the sender among imported people and keep their 1:1 conversation reference.

    Returns the person and whether this conversation is new to okrbot (first install, a
    re-install, or after being unreachable), which is when they get the welcome card.
    """
    activity = context.activity
    sender = activity.from_property
    if sender is None or not sender.id or sender.id == (activity.recipient or sender).id:
        return None, False
    aad_id = sender.aad_object_id
    async with database.reading() as session:
        person = await get_person_by_teams_id(session, aad_id) if aad_id else None
    if person is None:
        person = await _match_by_email(database, context, sender)
    if person is None:
        return None, False
    conversation = activity.conversation
    if conversation is None or not is_personal(activity):
        return person, False  # group chats and channels are not where prompts go
    async with database.transaction() as session:
        newly = await keep_teams_conversation(session, person.id, reference_of(context))
    return (None, False) if newly is None else (person, newly)


async def _match_by_email(
    database: Database, context: TurnContext, sender: ChannelAccount
) -> Person | None:
    """First contact from someone imported by email only: learn their Azure AD object id."""
    try:
        member = await TeamsInfo.get_member(context, sender.id)
    except (ErrorResponseException, KeyError, TypeError, AttributeError, ValueError) as error:
        log.info("could not look up Teams member %s: %s", sender.id, error)
        return None
    emails = {
        str(e).strip().lower()
        for e in (getattr(member, "email", None), getattr(member, "user_principal_name", None))
        if e
    }
    aad_id = getattr(member, "aad_object_id", None) or sender.aad_object_id
    if not emails or not aad_id:
        return None
    async with database.transaction() as session:
        return await link_teams_aad_id(session, emails, aad_id)


async def mentioned_person(
    database: Database, context: TurnContext, mentioned: Mention
) -> Person | None:
    """Who an @mention names: someone okrbot has a chat with, else the member Teams
    describes, found by Azure AD object id or email."""
    async with database.reading() as session:
        found = await get_person_by_teams_user_id(session, mentioned.platform_id)
    if found is not None:
        return found
    try:
        member = await TeamsInfo.get_member(context, mentioned.platform_id)
    except (ErrorResponseException, KeyError, TypeError, AttributeError, ValueError):
        return None
    async with database.reading() as session:
        if getattr(member, "aad_object_id", None):
            found = await get_person_by_teams_id(session, member.aad_object_id)
            if found is not None:
                return found
        email = getattr(member, "email", None) or getattr(member, "user_principal_name", None)
        return await get_person_by_email(session, str(email)) if email else None
