"""The Teams side of okrbot: a TeamsActivityHandler for installs, card submits and text commands.

Teams has no slash commands, so people type `okr`, `checkin`, `kudos @name …` or `help` in their
1:1 chat with the bot. Every turn first learns who is talking (by Azure AD object id, or by email
the first time) and keeps their conversation reference current, so proactive prompts can reach
them. The person is always the one Teams authenticated as `from`, never anyone named in a card's
data: a forged submit can only ever write the sender's own key results.
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ErrorResponseException,
    InvokeResponse,
)

from okrbot.adapters.agenda_flow import AgendaFlow
from okrbot.adapters.browse_flow import BrowseFlow
from okrbot.adapters.checkin_replies_flow import CheckInReplies
from okrbot.adapters.conversations import CheckIns
from okrbot.adapters.drafts_flow import DraftsFlow
from okrbot.adapters.home_flow import HomeFlow, NextPrompt
from okrbot.adapters.kudos_flow import KudosFlow
from okrbot.adapters.overview import own_quarter
from okrbot.adapters.preferences import PreferencesFlow
from okrbot.adapters.reports_flow import Reports
from okrbot.adapters.team_updates import TeamChannelFlow
from okrbot.adapters.teams import render
from okrbot.adapters.teams.activity import (
    KUDOS_COMMAND,
    OKR_COMMAND,
    after_okr,
    command_words,
    is_personal,
    submission_key,
    teams_mentions,
    tenant_of,
    without_bot_mention,
)
from okrbot.adapters.teams.auth import app_credentials, bot_framework_authentication
from okrbot.adapters.teams.kudos import checkin_kudos, kudos_reply
from okrbot.adapters.teams.messenger import PLATFORM, TeamsMessenger, card_activity
from okrbot.adapters.teams.people import mentioned_person, sender_person
from okrbot.adapters.teams.replies import (
    FOREIGN_TENANT,
    OUT_OF_DATE_CARD,
    invoke_error,
    invoke_message,
    private_pointer,
    welcome_message,
)
from okrbot.bot.agenda import (
    ADD_NOTE,
    AGENDA,
    ITEM_FORM,
    MARK_DISCUSSED,
    ONE_ON_ONE,
    Kind,
    parse_agenda,
)
from okrbot.bot.browse import BrowseRequest, browse_request
from okrbot.bot.checkin_replies import REACT as CHECKIN_REACT
from okrbot.bot.checkin_replies import RECOGNISE as CHECKIN_RECOGNISE
from okrbot.bot.checkin_replies import RECOGNISE_FORM as CHECKIN_RECOGNISE_FORM
from okrbot.bot.checkin_replies import REPLY as CHECKIN_REPLY
from okrbot.bot.checkin_replies import REPLY_FORM as CHECKIN_REPLY_FORM
from okrbot.bot.checkins import (
    CHECK_IN,
    FORM_ID,
    KUDOS_TO,
    SKIP,
    SNOOZE,
    is_week_key,
    week_label,
)
from okrbot.bot.clock import Clock
from okrbot.bot.digests import NUDGE_ACTION
from okrbot.bot.domain import Person, Platform
from okrbot.bot.drafts import APPROVE as DRAFT_APPROVE
from okrbot.bot.drafts import COMMENT as DRAFT_COMMENT
from okrbot.bot.drafts import COMMENT_FORM as DRAFT_COMMENT_FORM
from okrbot.bot.drafts import FORM_ID as DRAFT_FORM
from okrbot.bot.drafts import NEW as NEW_DRAFT
from okrbot.bot.home import after_welcome
from okrbot.bot.kudos import KUDOS_MESSAGE
from okrbot.bot.messages import NOT_SET_UP, Context, Form, Header, Message, Text
from okrbot.bot.overview import help_message, okr_overview, public_overview, with_kudos
from okrbot.bot.preferences import FORM_ID as PREFS_FORM
from okrbot.bot.preferences import OPEN as PREFS_OPEN
from okrbot.bot.reflections import FORM_ID as REFLECTION_FORM
from okrbot.bot.reflections import REFLECT
from okrbot.bot.settings import Settings
from okrbot.bot.team_updates import COMMAND as TEAM_CHANNEL_COMMAND
from okrbot.bot.team_updates import FORM_ID as TEAM_CHANNEL_FORM
from okrbot.bot.team_updates import ChannelError, teams_channel
from okrbot.scheduler.ratelimit import PostThrottle
from okrbot.storage import checkins as weeks
from okrbot.storage.checkin_messages import remember_summary
from okrbot.storage.db import Database
from okrbot.storage.events import first_time, forget
from okrbot.storage.people import (
    mark_teams_unreachable,
)

log = logging.getLogger(__name__)

SETTINGS_COMMAND = "settings"
TEAMS_SETTINGS = f"`{SETTINGS_COMMAND}`"
HOME_COMMAND = "home"
TEAMS_HOME = f"`{HOME_COMMAND}`"
TEAMS_CHANNEL = f"`{TEAM_CHANNEL_COMMAND}`"
TEAMS_HELP = help_message(OKR_COMMAND, KUDOS_COMMAND, TEAMS_SETTINGS, TEAMS_HOME, TEAMS_CHANNEL)
TEAMS_CHANGE_HINT = f"Change them any time: type `{SETTINGS_COMMAND}` in our chat."
# What only the person may see, so only answered in their 1:1 chat with the bot.
PRIVATE_COMMANDS = (
    "checkin",
    "check-in",
    SETTINGS_COMMAND,
    HOME_COMMAND,
    NEW_DRAFT,
    ONE_ON_ONE,
    AGENDA,
)
# Card submits that record something, so that acting on one twice would say or store it twice.
RECORDING_ACTIONS = (
    FORM_ID,
    SNOOZE,
    REFLECTION_FORM,
    PREFS_FORM,
    TEAM_CHANNEL_FORM,
    DRAFT_FORM,
    DRAFT_APPROVE,
    DRAFT_COMMENT_FORM,
    ITEM_FORM,
    CHECKIN_REPLY_FORM,
    CHECKIN_RECOGNISE_FORM,
)
CHECKIN_ACTIONS = (CHECKIN_REACT, CHECKIN_REPLY, CHECKIN_REPLY_FORM)
RECOGNISE_ACTIONS = (CHECKIN_RECOGNISE, CHECKIN_RECOGNISE_FORM)
DRAFT_ACTIONS = (DRAFT_FORM, DRAFT_APPROVE, DRAFT_COMMENT, DRAFT_COMMENT_FORM)
TEAM_CHANNEL_USAGE = (
    "Type `channel` in the channel of your team where its weekly OKR update should go "
    "(okrbot must be installed in that team), or `channel off` to stop it. In our 1:1 chat, "
    "`channel` opens a form for the channel's link."
)
PERSON = "okrbot.person"
NEWLY_CONNECTED = "okrbot.newly_connected"


class OkrTeamsBot(TeamsActivityHandler):
    def __init__(
        self,
        *,
        database: Database,
        checkins: CheckIns,
        messenger: TeamsMessenger,
        settings: Settings,
        preferences: PreferencesFlow | None = None,
        next_prompt: NextPrompt | None = None,
    ) -> None:
        self.database = database
        self.checkins = checkins
        self.messenger = messenger
        self.reports = Reports(database, checkins)
        self.kudos = KudosFlow(database, checkins)
        self.browse = BrowseFlow(database, checkins)
        self.team_channels = TeamChannelFlow(database, checkins)
        self.home_flow = HomeFlow(checkins, next_prompt)
        self.drafts = DraftsFlow(database, checkins)
        self.agendas = AgendaFlow(database, checkins)
        self.replies = CheckInReplies(database, checkins)
        # The runtime's, which owns the scheduler the settings must move.
        self.preferences = preferences
        self.settings = settings

    @property
    def clock(self) -> Clock:
        return self.checkins.clock

    # -- every turn ----------------------------------------------------------------------------

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        conversation = activity.conversation.id if activity.conversation else ""
        if activity.id and not await self._first_time(f"teams:{conversation}:{activity.id}"):
            log.info("ignoring a retry of Teams activity %s", activity.id)
            return
        if not self._tenant_allowed(activity):
            await self._refuse_tenant(turn_context)
            return
        person, newly = await sender_person(self.database, turn_context)
        turn_context.turn_state[PERSON] = person
        turn_context.turn_state[NEWLY_CONNECTED] = newly
        await super().on_turn(turn_context)

    async def _first_time(self, event_key: str) -> bool:
        return await first_time(self.database, event_key, self.clock.now())

    def _tenant_allowed(self, activity: Activity) -> bool:
        allowed = self.settings.allowed_teams_tenants
        return not allowed or (tenant_of(activity) or "").strip().lower() in allowed

    async def _refuse_tenant(self, context: TurnContext) -> None:
        """Someone from another Microsoft 365 organisation: say so, bind nobody, do nothing."""
        activity = context.activity
        log.warning("refused a Teams %s from tenant %s", activity.type, tenant_of(activity))
        if activity.type == ActivityTypes.invoke:
            await self._answer_invoke(context, FOREIGN_TENANT)
            return
        installed = activity.type == ActivityTypes.installation_update and activity.action == "add"
        if activity.type == ActivityTypes.message or installed:
            await self._reply(context, Message.plain(FOREIGN_TENANT))

    async def _answer_invoke(self, context: TurnContext, text: str) -> None:
        answer = Activity(type=ActivityTypes.invoke_response, value=invoke_message(text))
        await context.send_activity(answer)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        """okrbot's cards use Action.Submit; an Action.Execute (an old or foreign card) gets a
        message Teams shows in place, not botbuilder's 501."""
        activity = turn_context.activity
        value = activity.value if isinstance(activity.value, dict) else {}
        action = value.get("action") if isinstance(value.get("action"), dict) else {}
        if activity.name == "adaptiveCard/action":
            if action.get("type") == "Action.Execute":
                return invoke_message(OUT_OF_DATE_CARD)
            # Not botbuilder's reading of it: a malformed value (an action that is `true`, say)
            # makes that raise inside the turn instead of answering 400.
            return invoke_error("Missing or malformed action")
        return await super().on_invoke_activity(turn_context)

    # -- install -------------------------------------------------------------------------------

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._welcome(turn_context)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        person: Person | None = turn_context.turn_state.get(PERSON)
        if person is not None:
            async with self.database.transaction() as session:
                await mark_teams_unreachable(session, person.id, self.clock.now())

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(member.id == bot_id for member in members_added):
            await self._welcome(turn_context)

    async def on_teams_members_added_dispatch(
        self, members_added: list[ChannelAccount], team_info: Any, turn_context: TurnContext
    ) -> None:
        """Only the bot's own arrival matters here. botbuilder's version first looks every other
        new member up in the roster and fails the turn when one is not there (a forged or stale
        conversationUpdate), so it is skipped."""
        await self.on_members_added_activity(members_added, turn_context)

    async def _welcome(self, context: TurnContext) -> None:
        """Greet once per install (Teams sends a conversationUpdate and an installationUpdate)."""
        person: Person | None = context.turn_state.get(PERSON)
        if person is None:
            conversation = context.activity.conversation.id if context.activity.conversation else ""
            if await self._first_time(f"teams:hello:{conversation}"):
                await self._reply(context, Message.plain(NOT_SET_UP))
            return
        if context.turn_state.get(NEWLY_CONNECTED):
            context.turn_state[NEWLY_CONNECTED] = False
            welcome = self.welcome(person)
            if is_personal(context.activity):
                # One card, not two: the Home comes below the welcome.
                welcome = after_welcome(welcome, await self.home(person))
            await self._reply(context, welcome)

    def welcome(self, person: Person) -> Message:
        return welcome_message(person, self.settings)

    # -- messages: card submits and commands -------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        person: Person | None = turn_context.turn_state.get(PERSON)
        if person is None:
            await self._reply(turn_context, Message.plain(NOT_SET_UP))
            return
        if isinstance(activity.value, dict) and activity.value.get(render.ACTION_KEY):
            if not is_personal(activity):
                # Every okrbot card with buttons is private (check-in, settings, reflection,
                # digest): a submit from a shared conversation is not acted on.
                await self._reply(turn_context, private_pointer(activity, "Your check-ins are"))
                return
            await self._card_action_once(turn_context, person, activity.value)
            return
        await self._command(turn_context, person)

    async def _command(self, context: TurnContext, person: Person) -> None:
        text = without_bot_mention(context.activity)
        words = command_words(text)
        command = words[0].lower() if words else "help"
        shared = not is_personal(context.activity)
        request = self._browse_request(context.activity, text)
        if request is not None:
            await self._browse(context, person, request)
        elif command == TEAM_CHANNEL_COMMAND and len(words) <= 2:
            await self._team_channel(context, person, words[1:])
        elif shared and command in PRIVATE_COMMANDS:
            what = {
                SETTINGS_COMMAND: "Your settings are",
                HOME_COMMAND: "Your Home and next prompt are",
                NEW_DRAFT: "OKR drafts are",
                ONE_ON_ONE: "1:1 agendas are",
                AGENDA: "1:1 agendas are",
            }
            said = what.get(command, "Check-ins are")
            await self._reply(context, private_pointer(context.activity, said))
        elif command == OKR_COMMAND and shared:
            moment, statuses = await self.checkins.statuses(person)
            await self._reply(context, public_overview(person.name, moment.quarter.id, statuses))
        elif command == OKR_COMMAND:
            await self._reply(context, await self._overview(person))
        elif command in ("checkin", "check-in"):
            await self._send_card(context, await self._checkin_card(person))
        elif command in (ONE_ON_ONE, AGENDA):
            await self._agenda(context, person, text)
        elif command == HOME_COMMAND:
            await self._reply(context, await self.home(person))
        elif command == NEW_DRAFT and len(words) == 1:
            form = await self.drafts.form(person)
            await self._send_card(context, render.form_card(form, page=0, period=""))
        elif command == KUDOS_COMMAND or words[:2] == [OKR_COMMAND, KUDOS_COMMAND]:
            await self._kudos_command(context, person, text)
        elif command == SETTINGS_COMMAND and self.preferences is not None:
            form = self.preferences.form(person)
            await self._send_card(context, render.form_card(form, page=0, period=""))
        elif command in ("help", "?"):
            await self._reply(context, TEAMS_HELP)
        else:
            helping = TEAMS_HELP
            unknown = Text(f"I don't know “{' '.join(words)[:50]}”. Here is what I can do:")
            await self._reply(context, Message(helping.summary, (unknown, *helping.blocks[1:])))

    async def _team_channel(self, context: TurnContext, person: Person, rest: list[str]) -> None:
        """`channel` in a team's channel: post the team's weekly update there; `channel off`:
        stop; `channel` in the 1:1 chat: the form, for a channel's link."""
        activity = context.activity
        flow = self.team_channels
        kind = (activity.conversation.conversation_type or "") if activity.conversation else ""
        if [word.lower() for word in rest] in (["off"], ["stop"]):
            await self._reply(context, await flow.choose(person, Platform.TEAMS, None))
        elif rest:
            await self._reply(context, Message.plain(TEAM_CHANNEL_USAGE))
        elif kind == "channel":
            channel = (activity.conversation.id or "").split(";")[0]
            try:
                checked = teams_channel(channel)
            except ChannelError as error:
                await self._reply(context, Message.plain(str(error)))
                return
            chosen = await flow.choose(person, Platform.TEAMS, checked, here=True)
            await self._reply(context, chosen)
        elif not is_personal(activity):  # a group chat: not a channel of a team
            await self._reply(context, Message.plain(TEAM_CHANNEL_USAGE))
        else:
            form = await flow.form(person, Platform.TEAMS)
            if isinstance(form, Message):
                await self._reply(context, form)
            else:
                await self._send_card(context, render.form_card(form, page=0, period=""))

    async def _agenda(self, context: TurnContext, person: Person, text: str) -> None:
        """`1on1 @person` and `agenda add @person …`, in the 1:1 chat only: the agenda card's
        Mark discussed replaces it."""
        activity = context.activity
        bot_id = activity.recipient.id if activity.recipient else ""
        mentions = [m for m in teams_mentions(activity) if m.platform_id != bot_id]
        typed = after_okr(text)
        request = parse_agenda(text if typed is None else typed, mentions, "")
        if isinstance(request, str):
            await self._reply(context, Message.plain(request))
            return
        other = await mentioned_person(self.database, context, request.mention)
        if request.kind is Kind.RHYTHM:
            await self._reply(
                context, await self.agendas.set_rhythm(person, other, request.rhythm, "")
            )
            return
        if request.kind is Kind.ADD:
            await self._reply(context, await self.agendas.add(person, other, request.text, ""))
            return
        await self._reply(context, (await self.agendas.show(person, other, "")).message)

    async def _agenda_item(
        self, context: TurnContext, person: Person, action: object, value: dict
    ) -> None:
        """The check-in summary's Add to 1:1 agenda: a form card below the summary with the
        week's notes (the week travels as the card's period); its submit replaces it."""
        period = value.get(render.VALUE_KEY) or value.get(render.PERIOD_KEY)
        typed = render.answers(value) if action == ITEM_FORM else {}
        if action == ITEM_FORM:
            # A repeated submit of the same card never gets here (RECORDING_ACTIONS).
            result = await self.agendas.add_from_checkin(person, period, typed, None, "")
            if result.message is not None:
                message = result.message
                await self._replace(context, render.message_card(message), message.summary)
                return
            errors = result.errors
        else:
            errors = {}
        form = await self.agendas.item_form(person, period)
        if isinstance(form, Message):
            await self._reply(context, form)
            return
        card = render.form_card(
            form, page=0, period=str(period or ""), errors=errors or None, typed=typed or None
        )
        if action == ITEM_FORM:
            await self._replace(context, card, "Add to 1:1 agenda: please fix the field")
        else:
            await self._send_card(context, card)

    def _browse_request(self, activity: Activity, text: str) -> BrowseRequest | None:
        """`okr @person`, `okr team [@manager]`, `okr company` or `okr <words>`; None for
        anything else (`okr` alone, `okr checkin`, `okr kudos …`, other commands)."""
        typed = after_okr(text)
        if typed is None:
            return None
        bot_id = activity.recipient.id if activity.recipient else ""
        mentions = [m for m in teams_mentions(activity) if m.platform_id != bot_id]
        return browse_request(typed, mentions)

    async def _browse(self, context: TurnContext, person: Person, request: BrowseRequest) -> None:
        """Every page as a card of its own, in order."""
        mentioned = None
        if request.mention is not None:
            mentioned = await mentioned_person(self.database, context, request.mention)
        for page in await self.browse.answer(person, request, mentioned, OKR_COMMAND):
            await self._reply(context, page)

    async def _card_action_once(self, context: TurnContext, person: Person, value: dict) -> None:
        """A card's submit acted on once: a double click, or Teams sending it again, brings the
        same values from the same card in a new activity. The first one's answer replaces the
        card; the repeat does nothing. A submit that failed may be sent again."""
        key = submission_key(context.activity)
        if key is None or value.get(render.ACTION_KEY) not in RECORDING_ACTIONS:
            await self._card_action(context, person, value)
            return
        if not await self._first_time(key):
            log.info("ignoring a repeated %s submit", value.get(render.ACTION_KEY))
            return
        try:
            await self._card_action(context, person, value)
        except BaseException:
            await forget(self.database, key)
            raise

    async def _card_action(self, context: TurnContext, person: Person, value: dict) -> None:
        action = value.get(render.ACTION_KEY)
        if action == FORM_ID:
            await self._submit(context, person, value)
        elif action == CHECK_IN:
            card = await self._checkin_card(person)
            # Week cards (prompt, summary, snoozed, skipped) turn into the form; the overview's
            # button (no week) leaves the overview in place and sends the form below it.
            if value.get(render.VALUE_KEY):
                await self._replace(context, card, "Weekly check-in")
            else:
                await self._send_card(context, card)
        elif action in (SNOOZE, SKIP):
            if action == SNOOZE:
                message = await self.checkins.snooze(person)
            else:
                message = await self.checkins.skip(person)
            await self._replace(context, render.message_card(message), message.summary)
        elif action in (REFLECT, REFLECTION_FORM):
            await self._reflection(context, person, action, value)
        elif action == PREFS_OPEN and self.preferences is not None:
            # The Home card's settings button: the form comes below, the Home stays.
            form = self.preferences.form(person)
            await self._send_card(context, render.form_card(form, page=0, period=""))
        elif action == PREFS_FORM and self.preferences is not None:
            typed = render.answers(value)
            errors, message = await self.preferences.save(person, typed, TEAMS_CHANGE_HINT)
            if message is not None:
                await self._replace(context, render.message_card(message), message.summary)
            else:
                form = self.preferences.form(person)
                card = render.form_card(form, page=0, period="", errors=errors, typed=typed)
                await self._replace(context, card, "Check-in settings: please fix a field")
        elif action == TEAM_CHANNEL_FORM:
            typed = render.answers(value)
            errors, message = await self.team_channels.save(person, Platform.TEAMS, typed)
            form = await self.team_channels.form(person, Platform.TEAMS)
            if errors and isinstance(form, Form):
                card = render.form_card(form, page=0, period="", errors=errors, typed=typed)
                await self._replace(context, card, "Team updates: please fix the channel")
            else:
                await self._replace(context, render.message_card(message), message.summary)
        elif action in DRAFT_ACTIONS:
            await self._draft_action(context, person, action, value)
        elif action in (ADD_NOTE, ITEM_FORM):
            await self._agenda_item(context, person, action, value)
        elif action == MARK_DISCUSSED:
            decision = await self.agendas.discussed(person, value.get(render.VALUE_KEY), "")
            if decision.ok:
                message = decision.message
                await self._replace(context, render.message_card(message), message.summary)
            else:
                await self._reply(context, decision.message)
        elif action in CHECKIN_ACTIONS:
            await self._checkin_reply(context, person, action, value)
        elif action in RECOGNISE_ACTIONS:
            await self._recognise(context, person, action, value)
        elif action == NUDGE_ACTION:
            raw = str(value.get(render.VALUE_KEY) or "")
            message = await self.reports.nudge(person, int(raw) if raw.isdigit() else -1)
            await self._reply(context, message)
        else:
            await self._reply(context, TEAMS_HELP)

    async def _reflection(
        self, context: TurnContext, person: Person, action: str, value: dict
    ) -> None:
        """The quarter-end reflection: open the form in place, or save what was typed."""
        requested = str(value.get(render.VALUE_KEY) or value.get(render.PERIOD_KEY) or "")
        quarter = self.reports.reflection_quarter(person, requested).id
        if action == REFLECTION_FORM:
            typed = render.answers(value)
            result = await self.reports.submit_reflection(person, quarter, typed)
            if not result.errors and result.message is not None:
                message = result.message
                await self._replace(context, render.message_card(message), message.summary)
                return
            errors = dict(result.errors)
        else:
            errors, typed = {}, {}
        form = await self.reports.reflection_form(person, quarter)
        if isinstance(form, Message):
            await self._replace(context, render.message_card(form), form.summary)
            return
        card = render.form_card(
            form, page=0, period=quarter, errors=errors or None, typed=typed or None
        )
        await self._replace(context, card, form.title)

    async def _draft_action(
        self, context: TurnContext, person: Person, action: object, value: dict
    ) -> None:
        """A personal OKR draft submitted, or the manager's Approve, Comment or comment sent.
        The draft a button names travels in the card's value (the comment form's period)."""
        named = value.get(render.VALUE_KEY) or value.get(render.PERIOD_KEY)
        if action == DRAFT_FORM:
            typed = render.answers(value)
            # A repeated submit of the same card never gets here (RECORDING_ACTIONS).
            result = await self.drafts.submit(person, typed, None)
            if result.message is not None:
                await self._replace(context, render.message_card(result.message), "OKR drafted")
                return
            form = await self.drafts.form(person)
            card = render.form_card(form, page=0, period="", errors=result.errors, typed=typed)
            await self._replace(context, card, "OKR draft: please fix a field")
        elif action == DRAFT_APPROVE:
            decision = await self.drafts.approve(person, named)
            if decision.ok:
                await self._replace(
                    context, render.message_card(decision.message), decision.message.summary
                )
            else:
                await self._reply(context, decision.message)
        elif action == DRAFT_COMMENT:
            found = await self.drafts.comment_form(person, named)
            if isinstance(found, Message):
                await self._reply(context, found)
            else:
                await self._send_card(context, render.form_card(found, page=0, period=str(named)))
        else:
            typed = render.answers(value)
            key = submission_key(context.activity)
            outcome = await self.drafts.comment(person, named, typed, key)
            if outcome.message is not None:
                message = outcome.message
                await self._replace(context, render.message_card(message), message.summary)
                return
            found = await self.drafts.comment_form(person, named)
            if isinstance(found, Message):
                await self._reply(context, found)
                return
            card = render.form_card(
                found, page=0, period=str(named), errors=outcome.errors, typed=typed
            )
            await self._replace(context, card, "Comment: please fix a field")

    async def _checkin_reply(
        self, context: TurnContext, person: Person, action: object, value: dict
    ) -> None:
        """👍 or Reply on a check-in (from the digest, or on a reply received), or the reply
        typed. The check-in a button names travels in the card's value (the form's period)."""
        named = str(value.get(render.VALUE_KEY) or value.get(render.PERIOD_KEY) or "")
        if action == CHECKIN_REACT:
            await self._reply(context, await self.replies.react(person, named))
            return
        typed = render.answers(value) if action == CHECKIN_REPLY_FORM else {}
        errors: dict[str, str] = {}
        if action == CHECKIN_REPLY_FORM:
            key = submission_key(context.activity) or f"teams:{context.activity.id}"
            outcome = await self.replies.reply(person, named, typed, key)
            if outcome.message is not None:
                message = outcome.message
                await self._replace(context, render.message_card(message), message.summary)
                return
            errors = dict(outcome.errors)
        form = await self.replies.reply_form(person, named)
        await self._show_form(context, form, named, errors, typed)

    async def _recognise(
        self, context: TurnContext, person: Person, action: object, value: dict
    ) -> None:
        """🙌 Recognise from the digest: a kudos for the person, sent to them (a Teams 1:1 chat
        has no channel to post it in)."""
        named = str(value.get(render.VALUE_KEY) or value.get(render.PERIOD_KEY) or "")
        typed: dict[str, object] = {}
        errors: dict[str, str] = {}
        if action == CHECKIN_RECOGNISE_FORM:
            typed = render.answers(value)
            outcome = await self.replies.recognise(
                person,
                named,
                typed,
                platform=Platform.TEAMS,
                command=KUDOS_COMMAND,
                giver_platform_id=person.teams_aad_id,
                post_to=None,
                where=None,
                submission=None,  # a repeat of this card never gets here (RECORDING_ACTIONS)
            )
            if isinstance(outcome, Message):
                await self._reply(context, outcome)
                return
            if outcome.sent:
                await self._replace(context, render.message_card(outcome.reply), outcome.headline)
                return
            errors = {KUDOS_MESSAGE: outcome.headline}
        form = await self.replies.recognise_form(person, named, channel=False)
        await self._show_form(context, form, named, errors, typed)

    async def _show_form(
        self,
        context: TurnContext,
        form: Form | Message,
        named: str,
        errors: dict[str, str],
        typed: dict[str, object],
    ) -> None:
        """A form opened by a button comes below; one sent back with errors takes the place of
        the card that was submitted; a refusal is said instead."""
        if isinstance(form, Message):
            await self._reply(context, form)
        elif errors:
            card = render.form_card(form, page=0, period=named, errors=errors, typed=typed)
            await self._replace(context, card, f"{form.title}: please fix a field")
        else:
            await self._send_card(context, render.form_card(form, page=0, period=named))

    async def _checkin_card(self, person: Person, page: int = 0, **extra: Any) -> dict[str, Any]:
        return await self.messenger.checkin_card(person, page, **extra)

    # -- the check-in form ---------------------------------------------------------------------

    async def _submit(self, context: TurnContext, person: Person, value: dict) -> None:
        page = value.get(render.PAGE_KEY, 0)
        page = page if isinstance(page, int) and 0 <= page < 100 else 0
        period = self.checkins.moment(person).period
        sent_for = value.get(render.PERIOD_KEY)
        if sent_for and sent_for != period:
            # A card from another week (or a forged one): nothing is saved; this week's card
            # takes its place.
            if is_week_key(sent_for):
                why = f"That card was for {week_label(str(sent_for))}, which is over."
            else:
                why = "I couldn't tell which week that card was for, so nothing was saved."
            note = Text(f"{why} Here is this week's check-in:")
            intro = (Header(f"Weekly check-in · {week_label(period)}"), note)
            await self._replace(context, await self._checkin_card(person, intro=intro), "Check-in")
            return
        typed = render.answers(value)
        answers = dict(typed)
        recipients: dict[str, Person] = {}
        named = str(typed.get(KUDOS_TO) or "").strip()
        if named:
            people = await self.kudos.people_typed(named)
            if people.error:
                without = {k: v for k, v in answers.items() if k != KUDOS_TO}
                checked = await self.checkins.validate(person, without, page)
                errors = {**checked.errors, KUDOS_TO: people.error}
                card = await self._checkin_card(person, page, errors=errors, typed=typed)
                await self._replace(context, card, "Check-in: please fix a field")
                return
            recipients = people.found
            answers[KUDOS_TO] = list(recipients)
        result = await self.checkins.submit(person, answers, Platform.TEAMS, page=page)
        if result.errors:
            card = await self._checkin_card(person, page, errors=dict(result.errors), typed=typed)
            await self._replace(context, card, "Check-in: please fix a field")
            return
        if result.next_form is not None:
            card = await self._checkin_card(person, result.next_page)
            await self._replace(context, card, "Check-in, continued")
            return
        kudos_note = None
        if result.kudos is not None:
            kudos_note = await checkin_kudos(self.kudos, context, person, result.kudos, recipients)
        summary = await self.checkins.summary(person, kudos_note)
        shown = await self._replace(context, render.message_card(summary), summary.summary)
        await self._remember_summary(context, person, result.period, shown)
        await self._retire_other_prompts(context, person, result.period)

    async def _retire_other_prompts(
        self, context: TurnContext, person: Person, period: str
    ) -> None:
        """Other cards of this week still show inputs; point them at the summary instead."""
        async with self.database.reading() as session:
            week = await weeks.get_week(session, person.id, period)
        clicked = context.activity.reply_to_id
        done = Message("Checked in", (Context("Checked in ✅ (see the summary below)"),))
        for ref in week.prompt_refs if week else []:
            if ref.get("platform") != PLATFORM or ref.get("activity_id") == clicked:
                continue
            activity = card_activity(render.message_card(done), done.summary)
            activity.id = ref["activity_id"]
            try:
                await context.update_activity(activity)
            except ErrorResponseException as error:
                log.info("could not retire prompt %s: %s", ref.get("activity_id"), error)

    # -- kudos ---------------------------------------------------------------------------------

    async def _kudos_command(self, context: TurnContext, person: Person, text: str) -> None:
        values = self.settings.company_values
        await self._reply(context, await kudos_reply(self.kudos, context, person, text, values))

    async def home(self, person: Person) -> Message:
        """The Home card: what Slack's App Home shows, for `home` and after install."""
        return await self.home_flow.home(
            person, OKR_COMMAND, KUDOS_COMMAND, lambda _kudos: "a colleague"
        )

    async def _overview(self, person: Person) -> Message:
        """The `okr` reply: the person's key results, then the kudos they received this quarter."""
        own = await own_quarter(self.checkins, person, lambda _kudos: "a colleague")
        overview = okr_overview(own.moment.quarter.id, own.statuses, OKR_COMMAND)
        return with_kudos(overview, own.received)

    # -- replying ------------------------------------------------------------------------------

    async def _reply(self, context: TurnContext, message: Message) -> None:
        await context.send_activity(card_activity(render.message_card(message), message.summary))

    async def _send_card(self, context: TurnContext, card: dict[str, Any]) -> None:
        await context.send_activity(card_activity(card, "Weekly check-in"))

    async def _replace(self, context: TurnContext, card: dict[str, Any], summary: str) -> str:
        """Replace the card that was clicked (Teams names it in replyToId), else post anew;
        the id of the card that shows it."""
        target = context.activity.reply_to_id
        if target:
            activity = card_activity(card, summary)
            activity.id = target
            try:
                await context.update_activity(activity)
                return target
            except ErrorResponseException as error:
                log.info("could not update card %s (%s); sending a new one", target, error)
        sent = await context.send_activity(card_activity(card, summary))
        return sent.id if sent is not None and sent.id else ""

    async def _remember_summary(
        self, context: TurnContext, person: Person, period: str, activity_id: str
    ) -> None:
        """Where the check-in's summary card is, so its manager's answers reply to it."""
        if not activity_id:
            return
        reference = TurnContext.get_conversation_reference(context.activity).serialize()
        ref = {"platform": PLATFORM, "activity_id": activity_id, "conversation": reference}
        async with self.database.transaction() as session:
            await remember_summary(session, person.id, period, ref)


class TeamsAdapter:
    """The CloudAdapter (Bot Framework auth and connector), the bot, and the proactive messenger."""

    def __init__(
        self,
        *,
        database: Database,
        checkins: CheckIns,
        settings: Settings,
        clock: Clock,
        preferences: PreferencesFlow | None = None,
        throttle: PostThrottle | None = None,
        next_prompt: NextPrompt | None = None,
    ) -> None:
        self.app_id = settings.microsoft_app_id or ""
        self.auth_enabled = bool(self.app_id)
        if self.auth_enabled and not settings.allowed_teams_tenants:
            log.warning(
                "Teams serves people from any Microsoft 365 tenant; set OKRBOT_TEAMS_TENANT_IDS "
                "(or MICROSOFT_APP_TENANT_ID) to your own"
            )

        # Signing keys and app tokens are cached by okrbot's clock, so tests can move it.
        def now() -> float:
            return clock.now().timestamp()

        self.credentials = app_credentials(settings, now=now)
        self.cloud = CloudAdapter(bot_framework_authentication(settings, self.credentials, now=now))
        self.cloud.on_turn_error = self._on_turn_error
        self.messenger = TeamsMessenger(
            self.cloud, database, checkins, clock, self.app_id, throttle=throttle
        )
        self.bot = OkrTeamsBot(
            database=database,
            checkins=checkins,
            messenger=self.messenger,
            settings=settings,
            preferences=preferences,
            next_prompt=next_prompt,
        )

    async def _on_turn_error(self, context: TurnContext, error: Exception) -> None:
        log.exception("a Teams turn failed", exc_info=error)
        if context.activity.type == ActivityTypes.message:
            try:
                await context.send_activity(
                    "Sorry, something went wrong on my side. Please try again in a minute."
                )
            except Exception:
                log.exception("could not tell the user about the failure")
