"""The Teams side of okrbot: a TeamsActivityHandler for installs, card submits and text commands.

Teams has no slash commands, so people type `okr`, `checkin`, `kudos @name …` or `help` in their
1:1 chat with the bot. Every turn first learns who is talking (by Azure AD object id, or by email
the first time) and keeps their conversation reference current, so proactive prompts can reach
them. The person is always the one Teams authenticated as `from`, never anyone named in a card's
data: a forged submit can only ever write the sender's own key results.
"""

from __future__ import annotations

import logging
import re
from typing import Any, ClassVar
from urllib.parse import quote

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ErrorResponseException,
    InvokeResponse,
)
from msrest.serialization import Model

from okrbot.adapters.conversations import CheckIns
from okrbot.adapters.kudos_flow import KudosFlow
from okrbot.adapters.preferences import PreferencesFlow
from okrbot.adapters.reports_flow import Reports
from okrbot.adapters.teams import render
from okrbot.adapters.teams.activity import (
    OKR_COMMAND,
    command_words,
    is_personal,
    kudos_text,
    reference_of,
    submission_key,
    teams_mentions,
    tenant_of,
    without_bot_mention,
)
from okrbot.adapters.teams.auth import app_credentials, bot_framework_authentication
from okrbot.adapters.teams.messenger import PLATFORM, TeamsMessenger, card_activity
from okrbot.bot.checkins import (
    CHECK_IN,
    FORM_ID,
    KEY_RESULTS_PER_FORM,
    KUDOS_TO,
    SKIP,
    SNOOZE,
    KudosDraft,
    is_week_key,
    parse_checkin,
    week_label,
)
from okrbot.bot.clock import Clock
from okrbot.bot.digests import NUDGE_ACTION
from okrbot.bot.domain import Person, Platform
from okrbot.bot.kudos import (
    KudosText,
    Mention,
    Problem,
    parse_kudos_text,
    problem_text,
    public_post,
    received_blocks,
)
from okrbot.bot.kudos import help_message as kudos_help
from okrbot.bot.kudos_giving import Named
from okrbot.bot.messages import NOT_SET_UP, Context, Header, Message, Text
from okrbot.bot.overview import help_message, okr_overview, public_overview
from okrbot.bot.preferences import FORM_ID as PREFS_FORM
from okrbot.bot.reflections import FORM_ID as REFLECTION_FORM
from okrbot.bot.reflections import REFLECT
from okrbot.bot.settings import Settings
from okrbot.scheduler.ratelimit import PostThrottle
from okrbot.storage import checkins as weeks
from okrbot.storage.db import Database
from okrbot.storage.events import first_time, forget
from okrbot.storage.kudos import received_in_quarter
from okrbot.storage.people import (
    get_person_by_email,
    get_person_by_teams_id,
    get_person_by_teams_user_id,
    keep_teams_conversation,
    link_teams_aad_id,
    mark_teams_unreachable,
    people_named,
)

log = logging.getLogger(__name__)

KUDOS_COMMAND = "kudos"
SETTINGS_COMMAND = "settings"
TEAMS_SETTINGS = f"`{SETTINGS_COMMAND}`"
FOREIGN_TENANT = (
    "Sorry, this okrbot works for another organisation, so I can't help you from yours. "
    "If you think that is a mistake, ask the admin who runs okrbot."
)
OUT_OF_DATE_CARD = (
    "That button belongs to a card I no longer handle. Type `okr` or `checkin` in our chat "
    "to carry on."
)
# Card submits that record something, so that acting on one twice would say or store it twice.
RECORDING_ACTIONS = (FORM_ID, SNOOZE, REFLECTION_FORM, PREFS_FORM)
# What Teams shows for an Action.Execute answer (Universal Actions' response format).
INVOKE_MESSAGE = "application/vnd.microsoft.activity.message"
PERSON = "okrbot.person"
NEWLY_CONNECTED = "okrbot.newly_connected"


class InvokeBody(Model):
    """A Universal Actions response body, `{statusCode, type, value}`: a message Teams shows
    in place of the card's answer, or an error (botbuilder's own model for it,
    AdaptiveCardInvokeResponse, only takes a card as its value)."""

    _attribute_map: ClassVar[dict[str, dict[str, str]]] = {
        "status_code": {"key": "statusCode", "type": "int"},
        "type": {"key": "type", "type": "str"},
        "value": {"key": "value", "type": "object"},
    }

    def __init__(self, *, status_code: int, type: str, value: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.status_code = status_code
        self.type = type
        self.value = value


def invoke_message(text: str) -> InvokeResponse:
    """HTTP 200 with a message Teams shows the person in place of the card's answer."""
    return InvokeResponse(
        status=200, body=InvokeBody(status_code=200, type=INVOKE_MESSAGE, value=text)
    )


def invoke_error(message: str) -> InvokeResponse:
    """HTTP 400 with a Universal Actions error: `{code: BadRequest, message}`."""
    error = {"code": "BadRequest", "message": message}
    return InvokeResponse(
        status=400,
        body=InvokeBody(status_code=400, type="application/vnd.microsoft.error", value=error),
    )


def welcome_message(person: Person, settings: Settings) -> Message:
    """The card people get when the app is installed for them."""
    first = person.name.split()[0] if person.name.strip() else person.name
    day = (person.checkin_day or settings.checkin_day).full_name
    at = (person.checkin_time or settings.checkin_time).strftime("%H:%M")
    zone = person.timezone or settings.default_timezone
    return Message(
        summary="Welcome to okrbot",
        blocks=(
            Header(f"Hi {first} 👋 I'm okrbot"),
            Text(
                f"Every week, on **{day} at {at}** your time ({zone}), I'll send you a card "
                "to check in on your key results: the current value, how confident you "
                "feel, and a note if something is in the way. It takes a minute."
            ),
            Text(
                f"You can recognise colleagues any time: `{KUDOS_COMMAND} @name thanks for "
                "… #value`."
            ),
            Text(
                f"Type `{OKR_COMMAND}` to see your OKRs, `checkin` to check in now, or "
                "`help` for everything I can do."
            ),
            Context("Your check-in answers go to you and your manager only."),
        ),
    )


def private_pointer(activity: Activity, what: str) -> Message:
    """The answer to a private flow asked for where others read along."""
    bot_id = activity.recipient.id if activity.recipient and activity.recipient.id else ""
    # Teams' documented deep link that opens (or starts) the 1:1 chat with a bot.
    chat = f"https://teams.microsoft.com/l/chat/0/0?users={quote(bot_id, safe=':')}"
    return Message(
        "Let's do that in our 1:1 chat",
        (
            Text(
                f"{what} private, so I only handle them in our 1:1 chat, where nobody else reads "
                f"along: [open our chat]({chat}) and type `checkin`, `settings` or `okr` there."
            ),
        ),
    )


class OkrTeamsBot(TeamsActivityHandler):
    def __init__(
        self,
        *,
        database: Database,
        checkins: CheckIns,
        messenger: TeamsMessenger,
        settings: Settings,
        preferences: PreferencesFlow | None = None,
    ) -> None:
        self.database = database
        self.checkins = checkins
        self.messenger = messenger
        self.reports = Reports(database, checkins)
        self.kudos = KudosFlow(database, checkins)
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
        person, newly = await self._identify(turn_context)
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

    async def _identify(self, context: TurnContext) -> tuple[Person | None, bool]:
        """Find the sender among imported people and keep their 1:1 conversation reference.

        Returns the person and whether this conversation is new to okrbot (first install, a
        re-install, or after being unreachable), which is when they get the welcome card.
        """
        activity = context.activity
        sender = activity.from_property
        if sender is None or not sender.id or sender.id == (activity.recipient or sender).id:
            return None, False
        aad_id = sender.aad_object_id
        async with self.database.reading() as session:
            person = await get_person_by_teams_id(session, aad_id) if aad_id else None
        if person is None:
            person = await self._match_by_email(context, sender)
        if person is None:
            return None, False
        conversation = activity.conversation
        if conversation is None or not is_personal(activity):
            return person, False  # group chats and channels are not where prompts go
        async with self.database.transaction() as session:
            newly = await keep_teams_conversation(session, person.id, reference_of(context))
        return (None, False) if newly is None else (person, newly)

    async def _match_by_email(self, context: TurnContext, sender: ChannelAccount) -> Person | None:
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
        async with self.database.transaction() as session:
            return await link_teams_aad_id(session, emails, aad_id)

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
            await self._reply(context, self.welcome(person))

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
        if shared and command in ("checkin", "check-in", SETTINGS_COMMAND):
            what = "Check-ins are" if command != SETTINGS_COMMAND else "Your settings are"
            await self._reply(context, private_pointer(context.activity, what))
        elif command == OKR_COMMAND and shared:
            moment, statuses = await self.checkins.statuses(person)
            await self._reply(context, public_overview(person.name, moment.quarter.id, statuses))
        elif command == OKR_COMMAND:
            await self._reply(context, await self._overview(person))
        elif command in ("checkin", "check-in"):
            await self._send_card(context, await self._checkin_card(person))
        elif command == KUDOS_COMMAND or words[:2] == [OKR_COMMAND, KUDOS_COMMAND]:
            await self._kudos_command(context, person, text)
        elif command == SETTINGS_COMMAND and self.preferences is not None:
            form = self.preferences.form(person)
            await self._send_card(context, render.form_card(form, page=0, period=""))
        elif command in ("help", "?"):
            await self._reply(context, help_message(OKR_COMMAND, KUDOS_COMMAND, TEAMS_SETTINGS))
        else:
            helping = help_message(OKR_COMMAND, KUDOS_COMMAND, TEAMS_SETTINGS)
            unknown = Text(f"I don't know “{' '.join(words)[:50]}”. Here is what I can do:")
            await self._reply(context, Message(helping.summary, (unknown, *helping.blocks[1:])))

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
        elif action == PREFS_FORM and self.preferences is not None:
            typed = render.answers(value)
            errors, message = await self.preferences.save(person, typed)
            if message is not None:
                await self._replace(context, render.message_card(message), message.summary)
            else:
                form = self.preferences.form(person)
                card = render.form_card(form, page=0, period="", errors=errors, typed=typed)
                await self._replace(context, card, "Check-in settings: please fix a field")
        elif action == NUDGE_ACTION:
            raw = str(value.get(render.VALUE_KEY) or "")
            message = await self.reports.nudge(person, int(raw) if raw.isdigit() else -1)
            await self._reply(context, message)
        else:
            await self._reply(context, help_message(OKR_COMMAND, KUDOS_COMMAND, TEAMS_SETTINGS))

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
        kudos_errors: dict[str, str] = {}
        named = str(typed.get(KUDOS_TO) or "").strip()
        if named:
            found, unknown = await self._resolve_people(named)
            if unknown:
                kudos_errors[KUDOS_TO] = (
                    f"I couldn't find {', '.join(unknown[:5])} among okrbot's people; "
                    "use their full name or email."
                )
            recipients = {str(p.id): p for p in found}
            answers[KUDOS_TO] = list(recipients)
        if kudos_errors:
            errors = {**await self._field_errors(person, answers, page), **kudos_errors}
            card = await self._checkin_card(person, page, errors=errors, typed=typed)
            await self._replace(context, card, "Check-in: please fix a field")
            return
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
            kudos_note = await self._store_checkin_kudos(context, person, result.kudos, recipients)
        summary = await self.checkins.summary(person, kudos_note)
        await self._replace(context, render.message_card(summary), summary.summary)
        await self._retire_other_prompts(context, person, result.period)

    async def _field_errors(self, person: Person, answers: dict, page: int) -> dict[str, str]:
        """The check-in's own field errors, found without storing anything."""
        _moment, statuses = await self.checkins.statuses(person)
        shown = statuses[page * KEY_RESULTS_PER_FORM : (page + 1) * KEY_RESULTS_PER_FORM]
        answers = {k: v for k, v in answers.items() if k != KUDOS_TO}
        parsed = parse_checkin(
            [s.key_result for s in statuses], answers, [s.key_result.id for s in shown]
        )
        return dict(parsed.errors)

    async def _resolve_people(self, named: str) -> tuple[list[Person], list[str]]:
        """Colleagues named in the recognition field, by email or full name."""
        names = [n.strip().lstrip("@").strip() for n in re.split(r"[,;\n]", named)]
        names = [n for n in names if n]
        found: list[Person] = []
        unknown: list[str] = []
        async with self.database.reading() as session:
            for name in names:
                matches = await people_named(session, name)
                if len(matches) == 1:
                    found.extend(matches)
                else:
                    unknown.append(name)
        return found, unknown

    async def _store_checkin_kudos(
        self,
        context: TurnContext,
        person: Person,
        draft: KudosDraft,
        recipients: dict[str, Person],
    ) -> str:
        """Recognition from the check-in goes the same way as `kudos`: same rules, same DMs
        (named in a text field, so it is posted nowhere)."""
        named = [
            Named(recipients[r].teams_aad_id, recipients[r].name, recipients[r])
            for r in draft.recipients
            if r in recipients
        ]
        return await self.kudos.from_checkin(
            person,
            context.activity.from_property.id,
            named,
            draft.message,
            platform=Platform.TEAMS,
            command=KUDOS_COMMAND,
            post_to=None,
            where=None,
        )

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
        """`kudos @name thanks … #value`: posted where it was typed when that is a channel."""
        activity = context.activity
        values = self.settings.company_values
        bot_id = activity.recipient.id if activity.recipient else ""
        mentions = [m for m in teams_mentions(activity) if m.platform_id != bot_id]
        parsed = parse_kudos_text(kudos_text(text), mentions, values)
        if parsed.problem in (Problem.HELP, Problem.EMPTY):
            await self._reply(context, kudos_help(KUDOS_COMMAND, values))
            return
        if parsed.problem is not None:
            await self._reply(context, Message.plain(problem_text(parsed, KUDOS_COMMAND)))
            return
        named = [
            Named(m.platform_id, m.name, await self._person_for_mention(context, m))
            for m in parsed.recipients
        ]
        words = KudosText(parsed.message, parsed.values, parsed.unknown_values)
        in_channel = (activity.conversation.conversation_type or "") == "channel"
        outcome = await self.kudos.give(
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
        await self._reply(context, receipt)

    async def _overview(self, person: Person) -> Message:
        """The `okr` reply: the person's key results, then the kudos they received this quarter."""
        moment, statuses = await self.checkins.statuses(person)
        overview = okr_overview(moment.quarter.id, statuses, OKR_COMMAND)
        async with self.database.reading() as session:
            received = await received_in_quarter(session, person.id, moment.quarter)
        kudos = received_blocks((r.giver_name or "a colleague", r.kudos.message) for r in received)
        if not kudos:
            return overview
        return Message(overview.summary, (*overview.blocks, *kudos)[:50])

    async def _person_for_mention(self, context: TurnContext, mentioned: Mention) -> Person | None:
        """Who an @mention names: someone okrbot has a chat with, else the member Teams
        describes, found by Azure AD object id or email."""
        async with self.database.reading() as session:
            found = await get_person_by_teams_user_id(session, mentioned.platform_id)
        if found is not None:
            return found
        try:
            member = await TeamsInfo.get_member(context, mentioned.platform_id)
        except (ErrorResponseException, KeyError, TypeError, AttributeError, ValueError):
            return None
        async with self.database.reading() as session:
            if getattr(member, "aad_object_id", None):
                found = await get_person_by_teams_id(session, member.aad_object_id)
                if found is not None:
                    return found
            email = getattr(member, "email", None) or getattr(member, "user_principal_name", None)
            return await get_person_by_email(session, str(email)) if email else None

    # -- replying ------------------------------------------------------------------------------

    async def _reply(self, context: TurnContext, message: Message) -> None:
        await context.send_activity(card_activity(render.message_card(message), message.summary))

    async def _send_card(self, context: TurnContext, card: dict[str, Any]) -> None:
        await context.send_activity(card_activity(card, "Weekly check-in"))

    async def _replace(self, context: TurnContext, card: dict[str, Any], summary: str) -> None:
        """Replace the card that was clicked (Teams names it in replyToId), else post anew."""
        target = context.activity.reply_to_id
        if target:
            activity = card_activity(card, summary)
            activity.id = target
            try:
                await context.update_activity(activity)
                return
            except ErrorResponseException as error:
                log.info("could not update card %s (%s); sending a new one", target, error)
        await context.send_activity(card_activity(card, summary))


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
