"""What Teams' kudos need beyond the shared flow (adapters/kudos_flow.py): the people a `kudos`
message @mentions, where it is posted, and what the giver reads; and the recognition typed in
the check-in card, whose colleagues were found by name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from botbuilder.core import TurnContext

from okrbot.adapters.kudos_flow import KudosFlow
from okrbot.adapters.teams.activity import KUDOS_COMMAND, kudos_text, reference_of, teams_mentions
from okrbot.adapters.teams.people import mentioned_person
from okrbot.bot.checkins import KudosDraft
from okrbot.bot.domain import Person, Platform
from okrbot.bot.kudos import (
    KudosText,
    Problem,
    parse_kudos_text,
    problem_text,
    public_post,
)
from okrbot.bot.kudos import help_message as kudos_help
from okrbot.bot.kudos_giving import Named
from okrbot.bot.messages import Message


async def kudos_reply(
    flow: KudosFlow,
    context: TurnContext,
    person: Person,
    text: str,
    company_values: Sequence[str],
) -> Message:
    """`kudos @name thanks … #value`: posted where it was typed when that is a channel; the
    answer the giver gets."""
    activity = context.activity
    bot_id = activity.recipient.id if activity.recipient else ""
    mentions = [m for m in teams_mentions(activity) if m.platform_id != bot_id]
    parsed = parse_kudos_text(kudos_text(text), mentions, company_values)
    if parsed.problem in (Problem.HELP, Problem.EMPTY):
        return kudos_help(KUDOS_COMMAND, company_values)
    if parsed.problem is not None:
        return Message.plain(problem_text(parsed, KUDOS_COMMAND))
    named = [
        Named(m.platform_id, m.name, await mentioned_person(flow.database, context, m))
        for m in parsed.recipients
    ]
    words = KudosText(parsed.message, parsed.values, parsed.unknown_values)
    in_channel = (activity.conversation.conversation_type or "") == "channel"
    outcome = await flow.give(
        person,
        activity.from_property.id,
        named,
        words,
        platform=Platform.TEAMS,
        source="command",
        post_to=reference_of(context) if in_channel else None,
        where="this channel" if in_channel else None,
    )
    receipt = outcome.reply
    if outcome.sent and not in_channel:
        # In a 1:1 chat there is no audience: the recognition itself is the reply.
        post = public_post(person.name, outcome.recipients, parsed.message, parsed.values)
        receipt = Message(receipt.summary, (*post.blocks, *receipt.blocks))
    return receipt


async def checkin_kudos(
    flow: KudosFlow,
    context: TurnContext,
    person: Person,
    draft: KudosDraft,
    recipients: Mapping[str, Person],
) -> str:
    """Recognition from the check-in goes the same way as `kudos`: same rules, same DMs
    (named in a text field, so it is posted nowhere). The line the summary shows about it."""
    named = [
        Named(recipients[r].teams_aad_id, recipients[r].name, recipients[r])
        for r in draft.recipients
        if r in recipients
    ]
    return await flow.from_checkin(
        person,
        context.activity.from_property.id,
        named,
        draft.message,
        platform=Platform.TEAMS,
        command=KUDOS_COMMAND,
        post_to=None,
        where=None,
    )
