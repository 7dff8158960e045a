"""The Slack side of okrbot on slack-bolt's AsyncApp: buttons, the modal, /okr and App Home.

Each listener acknowledges first when it can; anything slow (opening the modal aside, which must
use the trigger within three seconds) runs after the ack. The person is always the Slack user who
signed the request, never anyone named in an action value or private_metadata: a listener
middleware looks them up once per request and Bolt hands them to the listener as `person`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from okrbot.adapters.agenda_flow import AgendaFlow
from okrbot.adapters.browse_flow import BrowseFlow
from okrbot.adapters.checkin_replies_flow import CheckInReplies
from okrbot.adapters.conversations import CheckIns, Submitted
from okrbot.adapters.drafts_flow import DraftsFlow
from okrbot.adapters.home_flow import HomeFlow, NextPrompt
from okrbot.adapters.inflight import InFlight
from okrbot.adapters.kudos_flow import KudosFlow
from okrbot.adapters.preferences import PreferencesFlow
from okrbot.adapters.reports_flow import Reports
from okrbot.adapters.slack import render
from okrbot.adapters.slack.ack_lane import ack_lane
from okrbot.adapters.slack.kudos import (
    KUDOS_COMMAND,
    checkin_kudos,
    named_users,
    sent_view,
    where_posted,
)
from okrbot.adapters.slack.messenger import SlackMessenger
from okrbot.adapters.slack.payloads import (
    first_block,
    metadata_channel,
    page_of,
    private_metadata,
    slack_mentions,
    user_of,
    view_submission_key,
)
from okrbot.adapters.slack.shapes import answer_unreadable_bodies, dig, first_action, string
from okrbot.adapters.team_updates import TeamChannelFlow
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
from okrbot.bot.checkins import CHECK_IN, FORM_ID, SKIP, SNOOZE
from okrbot.bot.digests import NUDGE_ACTION
from okrbot.bot.domain import Person, Platform
from okrbot.bot.drafts import APPROVE as DRAFT_APPROVE
from okrbot.bot.drafts import COMMENT as DRAFT_COMMENT
from okrbot.bot.drafts import COMMENT_FORM as DRAFT_COMMENT_FORM
from okrbot.bot.drafts import FORM_ID as DRAFT_FORM
from okrbot.bot.drafts import NEW as NEW_DRAFT
from okrbot.bot.kudos import (
    KUDOS_FORM_ID,
    KUDOS_MESSAGE,
    KUDOS_VALUE,
    KudosText,
    Problem,
    clean_message,
    kudos_form,
    parse_kudos_text,
    problem_text,
)
from okrbot.bot.kudos import KUDOS_TO as KUDOS_FORM_TO
from okrbot.bot.kudos import help_message as kudos_help
from okrbot.bot.messages import NOT_SET_UP, Message, Text
from okrbot.bot.overview import help_message, okr_overview
from okrbot.bot.preferences import FORM_ID as PREFS_FORM
from okrbot.bot.preferences import OPEN as PREFS_OPEN
from okrbot.bot.reflections import FORM_ID as REFLECTION_FORM
from okrbot.bot.reflections import REFLECT
from okrbot.bot.team_updates import COMMAND as TEAM_CHANNEL_COMMAND
from okrbot.bot.team_updates import FORM_ID as TEAM_CHANNEL_FORM
from okrbot.scheduler.ratelimit import PostThrottle
from okrbot.storage.db import Database
from okrbot.storage.events import first_time, forget

log = logging.getLogger(__name__)

OKR_COMMAND = "/okr"
# What this app handles; manifest/slack.yaml must declare exactly these (a test compares them).
SLASH_COMMANDS = (OKR_COMMAND, KUDOS_COMMAND)
# Manifest event names; "message.im" is a `message` event in a DM with okrbot.
EVENTS = ("app_home_opened", "message.im")
ACTIONS = (
    CHECK_IN,
    SNOOZE,
    SKIP,
    REFLECT,
    NUDGE_ACTION,
    PREFS_OPEN,
    DRAFT_APPROVE,
    DRAFT_COMMENT,
    MARK_DISCUSSED,
    ADD_NOTE,
    CHECKIN_REACT,
    CHECKIN_REPLY,
    CHECKIN_RECOGNISE,
)
VIEWS = (
    CHECKIN_REPLY_FORM,
    CHECKIN_RECOGNISE_FORM,
    FORM_ID,
    KUDOS_FORM_ID,
    REFLECTION_FORM,
    PREFS_FORM,
    TEAM_CHANNEL_FORM,
    DRAFT_FORM,
    DRAFT_COMMENT_FORM,
    ITEM_FORM,
)
# The context entry the person who signed the request is kept under; Bolt passes context
# entries to listeners by name, so a listener asks for them with a `person` argument.
PERSON = "person"

FOLLOW_UPS = 4


class SlackAdapter:
    """Holds the Bolt app and what its listeners need."""

    def __init__(
        self,
        *,
        database: Database,
        checkins: CheckIns,
        client: AsyncWebClient,
        signing_secret: str,
        next_prompt: NextPrompt | None = None,
        process_before_response: bool = False,
        preferences: PreferencesFlow | None = None,
        throttle: PostThrottle | None = None,
    ) -> None:
        self.database = database
        self.checkins = checkins
        self.messenger = SlackMessenger(client, database, throttle)
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
        # Work done after Slack has its answer (the summary after a check-in) takes at most
        # this many database connections and turns of the event loop at once: under a burst
        # of submissions the acks, which Slack times, go first and the summaries follow.
        self._follow_ups = asyncio.Semaphore(FOLLOW_UPS)
        self.in_flight = InFlight()
        self.app = AsyncApp(
            client=client,
            signing_secret=signing_secret,
            process_before_response=process_before_response,
            # okrbot verifies signatures itself, on the raw body, before Bolt parses it
            # (adapters/slack/http.py); Bolt checks them again, which costs microseconds.
            request_verification_enabled=True,
            ignoring_self_events_enabled=True,
            url_verification_enabled=True,
        )
        self.app.error(answer_unreadable_bodies)
        self._register()

    @property
    def clock(self) -> Any:
        return self.checkins.clock

    def _register(self) -> None:
        app = self.app
        app.middleware(self._deduplicate_events)
        actions = {
            CHECK_IN: self.open_checkin,
            SNOOZE: self.snooze,
            SKIP: self.skip,
            REFLECT: self.open_reflection,
            NUDGE_ACTION: self.nudge,
            PREFS_OPEN: self.open_preferences,
            DRAFT_APPROVE: self.approve_draft,
            DRAFT_COMMENT: self.open_draft_comment,
            MARK_DISCUSSED: self.mark_discussed,
            ADD_NOTE: self.open_agenda_item,
            CHECKIN_REACT: self.react_to_checkin,
            CHECKIN_REPLY: self.open_checkin_reply,
            CHECKIN_RECOGNISE: self.open_recognise,
        }
        views = {
            CHECKIN_REPLY_FORM: self.submit_checkin_reply,
            CHECKIN_RECOGNISE_FORM: self.submit_recognise,
            FORM_ID: self.submit_checkin,
            KUDOS_FORM_ID: self.submit_kudos,
            REFLECTION_FORM: self.submit_reflection,
            PREFS_FORM: self.submit_preferences,
            TEAM_CHANNEL_FORM: self.submit_team_channel,
            DRAFT_FORM: self.submit_draft,
            DRAFT_COMMENT_FORM: self.submit_draft_comment,
            ITEM_FORM: self.submit_agenda_item,
        }
        commands = {OKR_COMMAND: self.okr_command, KUDOS_COMMAND: self.kudos_command}
        events = {"app_home_opened": self.app_home_opened, "message.im": self.direct_message}

        def track(listener: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
            return self.in_flight.track(ack_lane(listener))

        knows, needs = [self._know_the_person], [self._know_the_person, self._needs_person]
        for action in ACTIONS:
            app.action(render.action_pattern(action), middleware=needs)(track(actions[action]))
        for view in VIEWS:
            app.view(view, middleware=needs)(track(views[view]))
        for command in SLASH_COMMANDS:
            app.command(command, middleware=knows)(track(commands[command]))
        for event in EVENTS:
            name, _, channel_type = event.partition(".")
            matcher: str | dict[str, str] = (
                {"type": name, "channel_type": channel_type} if channel_type else name
            )
            app.event(matcher, middleware=knows)(track(events[event]))

    async def _deduplicate_events(
        self, body: dict[str, Any], next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        """Slack retries events it thinks were missed; act on each event id once."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await self.first_time(f"slack:{event_id}"):
            log.info("ignoring a retry of Slack event %s", event_id)
            return BoltResponse(status=200, body="")
        return await next()

    async def first_time(self, event_key: str) -> bool:
        """Record a key of something Slack sent; True only the first time it comes."""
        return await first_time(self.database, event_key, self.clock.now())

    async def _person(self, user_id: str | None) -> Person | None:
        """The imported person behind a Slack user; the first time, learned by email."""
        if not user_id:
            return None
        return await self.messenger.person_for_user(user_id)

    async def _know_the_person(
        self, context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
    ) -> None:
        """Look up who signed the request, once, for the listener's `person` argument (None for
        someone okrbot was not given). A listener middleware, so requests okrbot does not listen
        for cost nothing."""
        context[PERSON] = await self._person(context.user_id)
        await next()

    async def _needs_person(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        context: AsyncBoltContext,
        next: Callable[[], Awaitable[None]],
    ) -> BoltResponse | None:
        """The one guard for buttons and modals: someone okrbot does not know is told so where
        they clicked or submitted, and the listener does not run."""
        if context.get(PERSON) is not None:
            await next()
            return None
        if body.get("type") == "view_submission":
            view = body.get("view") if isinstance(body.get("view"), dict) else {}
            return await ack(response_action="errors", errors={first_block(view): NOT_SET_UP})
        answered = await ack()
        await self._tell(body, Message.plain(NOT_SET_UP))
        return answered

    # -- buttons -------------------------------------------------------------------------------

    async def open_checkin(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, person: Person
    ) -> None:
        await ack()
        form = await self.checkins.form(person, page=0)
        await client.views_open(
            trigger_id=string(body.get("trigger_id")), view=render.modal(form, {"page": 0})
        )

    async def snooze(self, ack: AsyncAck, body: dict[str, Any], person: Person) -> None:
        await ack()
        await self._replace_clicked_message(body, await self.checkins.snooze(person))

    async def skip(self, ack: AsyncAck, body: dict[str, Any], person: Person) -> None:
        await ack()
        await self._replace_clicked_message(body, await self.checkins.skip(person))

    async def _replace_clicked_message(self, body: dict[str, Any], message: Message) -> None:
        channel, ts = (
            string(dig(body, "container", "channel_id")),
            string(dig(body, "container", "message_ts")),
        )
        if channel and ts:
            await self.messenger.update({"channel": channel, "ts": ts}, message)

    async def _tell(self, body: dict[str, Any], message: Message) -> None:
        """A private answer to whoever clicked, in their DM with the bot."""
        user = user_of(body)
        if not user:
            return
        try:
            opened = await self.messenger.client.conversations_open(users=user)
            await self.messenger.client.chat_postMessage(
                channel=opened["channel"]["id"], **render.message_kwargs(message)
            )
        except SlackApiError as error:
            # The click is acked already: a user Slack cannot open a DM with (one it does not
            # know, or a deactivated account) must not turn that into a 500.
            log.info("could not answer Slack user %s in a DM: %s", user, error)

    # -- the modal -----------------------------------------------------------------------------

    async def submit_checkin(
        self, ack: AsyncAck, view: dict[str, Any], context: AsyncBoltContext, person: Person
    ) -> None:
        answers = render.state_values(view)
        result = await self.checkins.validate(person, answers, page_of(view))
        if result.errors:
            await ack(response_action="errors", errors=dict(result.errors))
            return
        if result.next_form is not None:
            await ack(
                response_action="update",
                view=render.modal(result.next_form, {"page": result.next_page}),
            )
            await self._store_after_ack(person, result)
            return
        await ack()
        # A double click or a retried request submits the same view twice: the second got the
        # same answer (the modal closes) and does nothing more.
        submission = view_submission_key(view)
        if not await self.first_time(submission):
            log.info("ignoring a repeated check-in submission from %s", person.email)
            return
        if not await self._store_after_ack(person, result):
            await forget(self.database, submission)
            return
        # Kudos and the summary can wait a moment; the next person's modal cannot.
        async with self._follow_ups:
            kudos_note = None
            if result.kudos is not None:
                kudos_note = await checkin_kudos(
                    self.kudos, self.messenger, person, context, result.kudos
                )
            if result.done:
                summary = await self.checkins.summary(person, kudos_note)
                await self.messenger.show_summary(person, result.period, summary)

    async def _store_after_ack(self, person: Person, result: Submitted) -> bool:
        """Store a validated check-in once the modal has closed; say so if that fails."""
        try:
            await self.checkins.store(person, result, Platform.SLACK)
        except Exception:
            log.exception("storing %s's check-in failed", person.email)
            text = "Sorry, I could not save that check-in. Please try again in a minute."
            await self.messenger.send(person, [Message.plain(text)])
            return False
        return True

    # -- reflections and nudges ------------------------------------------------------------------

    async def open_reflection(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, person: Person
    ) -> None:
        await ack()
        requested = string(first_action(body).get("value")) or ""
        form = await self.reports.reflection_form(person, requested)
        if isinstance(form, Message):
            await self.messenger.send(person, [form])
            return
        quarter = self.reports.reflection_quarter(person, requested).id
        await client.views_open(
            trigger_id=string(body.get("trigger_id")), view=render.modal(form, {"quarter": quarter})
        )

    async def submit_reflection(self, ack: AsyncAck, view: dict[str, Any], person: Person) -> None:
        requested = private_metadata(view).get("quarter")
        result = await self.reports.submit_reflection(
            person, requested if isinstance(requested, str) else None, render.state_values(view)
        )
        if result.errors:
            await ack(response_action="errors", errors=dict(result.errors))
            return
        await ack()
        # Saving again changes nothing; only the confirmation would come twice.
        if result.message is not None and await self.first_time(view_submission_key(view)):
            await self.messenger.send(person, [result.message])

    async def open_preferences(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, person: Person
    ) -> None:
        await ack()
        if self.preferences is None:
            await self._tell(body, Message.plain(NOT_SET_UP))
            return
        form = self.preferences.form(person)
        await client.views_open(
            trigger_id=string(body.get("trigger_id")), view=render.modal(form, {})
        )

    async def submit_preferences(
        self,
        ack: AsyncAck,
        view: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
        person: Person,
    ) -> None:
        if self.preferences is None:
            await ack(response_action="errors", errors={first_block(view): NOT_SET_UP})
            return
        errors, message = await self.preferences.save(person, render.state_values(view))
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        if not await self.first_time(view_submission_key(view)):
            return  # the same settings again: saved as before, confirmed once
        if message is not None:
            await self.messenger.send(person, [message])
        refreshed = await self._person(context.user_id)  # read again: it has the new settings
        if refreshed is not None:
            await client.views_publish(
                user_id=context.user_id, view=render.home_view(await self.home(refreshed))
            )

    async def nudge(self, ack: AsyncAck, body: dict[str, Any], person: Person) -> None:
        await ack()
        value = string(first_action(body).get("value")) or ""
        report_id = int(value) if value.isdigit() else -1
        await self.messenger.send(person, [await self.reports.nudge(person, report_id)])

    # -- answering a check-in -------------------------------------------------------------------

    async def react_to_checkin(self, ack: AsyncAck, body: dict[str, Any], person: Person) -> None:
        await ack()
        answer = await self.replies.react(person, first_action(body).get("value"))
        await self._tell(body, answer)

    async def open_checkin_reply(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, person: Person
    ) -> None:
        await ack()
        value = string(first_action(body).get("value")) or ""
        form = await self.replies.reply_form(person, value)
        if isinstance(form, Message):
            await self._tell(body, form)
            return
        await client.views_open(
            trigger_id=string(body.get("trigger_id")), view=render.modal(form, {"checkin": value})
        )

    async def submit_checkin_reply(
        self, ack: AsyncAck, view: dict[str, Any], person: Person
    ) -> None:
        value = private_metadata(view).get("checkin")
        answers = render.state_values(view)
        outcome = await self.replies.reply(person, value, answers, view_submission_key(view))
        if outcome.errors or outcome.message is None:
            await ack(response_action="errors", errors=dict(outcome.errors))
            return
        await ack(
            response_action="update",
            view=render.closing_view(CHECKIN_REPLY_FORM, "Reply", outcome.message),
        )

    async def open_recognise(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, person: Person
    ) -> None:
        await ack()
        value = string(first_action(body).get("value")) or ""
        channel = bool(self.checkins.settings.kudos_channel)
        form = await self.replies.recognise_form(person, value, channel)
        if isinstance(form, Message):
            await self._tell(body, form)
            return
        await client.views_open(
            trigger_id=string(body.get("trigger_id")), view=render.modal(form, {"checkin": value})
        )

    async def submit_recognise(
        self, ack: AsyncAck, view: dict[str, Any], context: AsyncBoltContext, person: Person
    ) -> None:
        channel = self.checkins.settings.kudos_channel
        outcome = await self.replies.recognise(
            person,
            private_metadata(view).get("checkin"),
            render.state_values(view),
            platform=Platform.SLACK,
            command=KUDOS_COMMAND,
            giver_platform_id=context.user_id,
            post_to=channel,
            where=where_posted(channel, channel),
            submission=view_submission_key(view),
        )
        if isinstance(outcome, Message) or not outcome.sent:
            headline = outcome.summary if isinstance(outcome, Message) else outcome.headline
            await ack(response_action="errors", errors={KUDOS_MESSAGE: headline})
            return
        await ack(response_action="update", view=sent_view(outcome.reply))

    async def direct_message(self, event: dict[str, Any], person: Person | None) -> None:
        """Someone wrote in their DM with okrbot. In the thread of a check-in's summary (or of
        a reply in it) it is an answer for the other one of the pair; anything else is not
        okrbot's to read."""
        thread_ts, channel = string(event.get("thread_ts")), string(event.get("channel"))
        if person is None or event.get("subtype") or event.get("bot_id"):
            return
        if not thread_ts or not channel or thread_ts == event.get("ts"):
            return
        text = string(event.get("text")) or ""
        key = f"slack:{channel}:{event.get('ts')}"
        answer = await self.replies.answer_in_thread(
            person, f"slack:{channel}:{thread_ts}", text, key
        )
        if answer is not None:
            await self.messenger.client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, **render.message_kwargs(answer)
            )

    # -- drafting a personal OKR ---------------------------------------------------------------

    async def submit_draft(self, ack: AsyncAck, view: dict[str, Any], person: Person) -> None:
        answers = render.state_values(view)
        result = await self.drafts.submit(person, answers, view_submission_key(view))
        if result.errors or result.message is None:
            await ack(response_action="errors", errors=result.errors)
            return
        await ack(
            response_action="update",
            view=render.closing_view(DRAFT_FORM, "OKR drafted", result.message),
        )

    async def approve_draft(self, ack: AsyncAck, body: dict[str, Any], person: Person) -> None:
        """The manager's Approve: their DM shows it approved; anyone else is told privately."""
        await ack()
        decision = await self.drafts.approve(person, first_action(body).get("value"))
        if decision.ok:
            await self._replace_clicked_message(body, decision.message)
        else:
            await self._tell(body, decision.message)

    async def open_draft_comment(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, person: Person
    ) -> None:
        await ack()
        value = string(first_action(body).get("value")) or ""
        form = await self.drafts.comment_form(person, value)
        if isinstance(form, Message):
            await self._tell(body, form)
            return
        await client.views_open(
            trigger_id=string(body.get("trigger_id")),
            view=render.modal(form, {"draft": value}),
        )

    async def submit_draft_comment(
        self, ack: AsyncAck, view: dict[str, Any], person: Person
    ) -> None:
        draft = private_metadata(view).get("draft")
        answers = render.state_values(view)
        result = await self.drafts.comment(person, draft, answers, view_submission_key(view))
        if result.errors or result.message is None:
            await ack(response_action="errors", errors=result.errors)
            return
        await ack(
            response_action="update",
            view=render.closing_view(DRAFT_COMMENT_FORM, "Comment sent", result.message),
        )

    # -- /okr ----------------------------------------------------------------------------------

    async def okr_command(
        self, ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, person: Person | None
    ) -> None:
        words = (string(command.get("text")) or "").strip().split()
        sub = words[0].lower() if words else ""
        if sub == "help":
            await ack(**render.message_kwargs(help_message(OKR_COMMAND, KUDOS_COMMAND)))
            return
        if person is None:
            await ack(text=NOT_SET_UP)
            return
        if words == [TEAM_CHANNEL_COMMAND]:
            await self._team_channel_form(ack, command, client, person)
            return
        if sub == NEW_DRAFT and len(words) == 1:
            await ack()
            await client.views_open(
                trigger_id=string(command.get("trigger_id")),
                view=render.modal(await self.drafts.form(person), {}),
            )
            return
        typed = string(command.get("text")) or ""
        if sub in (ONE_ON_ONE, AGENDA):
            await self._agenda(ack, person, typed)
            return
        request = browse_request(typed, slack_mentions(typed))
        if request is not None:
            # Slack escapes &, < and > in the text it sends; the search is for what was typed.
            words = request.words.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
            request = dataclasses.replace(request, words=words)
            await self._browse(ack, command, person, request)
            return
        moment, statuses = await self.checkins.statuses(person)
        if sub == "":
            await ack(
                **render.message_kwargs(okr_overview(moment.quarter.id, statuses, OKR_COMMAND))
            )
            return
        if sub in ("checkin", "check-in"):
            await ack()
            form = await self.checkins.form(person, page=0, standing=(moment, statuses))
            await client.views_open(
                trigger_id=string(command.get("trigger_id")), view=render.modal(form, {"page": 0})
            )
            return
        helping = help_message(OKR_COMMAND, KUDOS_COMMAND)
        unknown = Text(
            f"I don't know `{OKR_COMMAND} {' '.join(words)[:50]}`. Here is what I can do:"
        )
        await ack(**render.message_kwargs(Message(helping.summary, (unknown, *helping.blocks[1:]))))

    async def _agenda(self, ack: AsyncAck, person: Person, typed: str) -> None:
        """`/okr 1on1 @person` and `/okr agenda add @person …`: the agenda goes to the caller's
        DM with okrbot, where only they read it and its Mark discussed button can update it."""
        request = parse_agenda(typed, slack_mentions(typed), OKR_COMMAND)
        if isinstance(request, str):
            await ack(**render.message_kwargs(Message.plain(request)))
            return
        other = await self._person(request.mention.platform_id)
        if request.kind is Kind.RHYTHM:
            answer = await self.agendas.set_rhythm(person, other, request.rhythm, OKR_COMMAND)
            await ack(**render.message_kwargs(answer))
            return
        if request.kind is Kind.ADD:
            # Slack escapes &, < and > in the text it sends; the item is what was typed.
            text = request.text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
            await ack(
                **render.message_kwargs(await self.agendas.add(person, other, text, OKR_COMMAND))
            )
            return
        agenda = await self.agendas.show(person, other, OKR_COMMAND)
        if not agenda.ok or other is None:
            await ack(**render.message_kwargs(agenda.message))  # said where they typed
            return
        pointer = f"Your 1:1 agenda with {other.name} is in your DM with okrbot."
        await ack(**render.message_kwargs(Message.plain(pointer)))
        await self.messenger.send(person, [agenda.message])

    async def mark_discussed(self, ack: AsyncAck, body: dict[str, Any], person: Person) -> None:
        await ack()
        decision = await self.agendas.discussed(
            person, first_action(body).get("value"), OKR_COMMAND
        )
        if decision.ok:
            await self._replace_clicked_message(body, decision.message)
        else:
            await self._tell(body, decision.message)

    async def open_agenda_item(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, person: Person
    ) -> None:
        """The check-in summary's Add to 1:1 agenda: a modal with the week's notes."""
        await ack()
        period = string(first_action(body).get("value")) or ""
        form = await self.agendas.item_form(person, period)
        if isinstance(form, Message):
            await self._tell(body, form)
            return
        await client.views_open(
            trigger_id=string(body.get("trigger_id")), view=render.modal(form, {"period": period})
        )

    async def submit_agenda_item(self, ack: AsyncAck, view: dict[str, Any], person: Person) -> None:
        period = private_metadata(view).get("period")
        answers = render.state_values(view)
        result = await self.agendas.add_from_checkin(
            person, period, answers, view_submission_key(view), OKR_COMMAND
        )
        if result.errors or result.message is None:
            await ack(response_action="errors", errors=result.errors)
            return
        await ack(
            response_action="update",
            view=render.closing_view(ITEM_FORM, "Added to 1:1 agenda", result.message),
        )

    async def _team_channel_form(
        self, ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, person: Person
    ) -> None:
        """`/okr channel`: a manager's form for their team's update channel."""
        form = await self.team_channels.form(person, Platform.SLACK)
        if isinstance(form, Message):
            await ack(**render.message_kwargs(form))
            return
        await ack()
        await client.views_open(
            trigger_id=string(command.get("trigger_id")), view=render.modal(form, {})
        )

    async def submit_team_channel(
        self, ack: AsyncAck, view: dict[str, Any], person: Person
    ) -> None:
        errors, message = await self.team_channels.save(
            person, Platform.SLACK, render.state_values(view)
        )
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        if await self.first_time(view_submission_key(view)):
            await self.messenger.send(person, [message])

    async def _browse(
        self, ack: AsyncAck, command: dict[str, Any], person: Person, request: BrowseRequest
    ) -> None:
        """One page comes as the command's answer. More come one by one, visible only to the
        asker where they typed (or in their DM with okrbot where okrbot may not post), so that
        they arrive in order: the command's answer would only show after them."""
        mentioned = None
        if request.mention is not None:
            mentioned = await self._person(request.mention.platform_id)
        pages = await self.browse.answer(person, request, mentioned, OKR_COMMAND)
        if len(pages) == 1:
            await ack(**render.message_kwargs(pages[0]))
            return
        await ack()
        channel, user = string(command.get("channel_id")), string(command.get("user_id"))
        for number, page in enumerate(pages):
            try:
                await self.messenger.client.chat_postEphemeral(
                    channel=channel or "", user=user or "", **render.message_kwargs(page)
                )
            except SlackApiError as error:
                log.info("browse pages go to %s's DM: %s", person.email, error)
                await self.messenger.send(person, pages[number:])
                return

    # -- /kudos --------------------------------------------------------------------------------

    async def kudos_command(
        self,
        ack: AsyncAck,
        command: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
        person: Person | None,
    ) -> None:
        """`/kudos @ana thanks … #value`; the ack's body is the giver's private reply."""
        settings = self.checkins.settings
        typed = string(command.get("text")) or ""
        parsed = parse_kudos_text(typed, slack_mentions(typed), settings.company_values)
        if parsed.problem is Problem.HELP:
            await ack(**render.message_kwargs(kudos_help(KUDOS_COMMAND, settings.company_values)))
            return
        if person is None:
            await ack(text=NOT_SET_UP)
            return
        if parsed.problem is Problem.EMPTY:
            await ack()
            form = kudos_form(settings.company_values)
            metadata = {"channel": string(command.get("channel_id"))}
            await client.views_open(
                trigger_id=string(command.get("trigger_id")), view=render.modal(form, metadata)
            )
            return
        if parsed.problem is not None:
            problem = problem_text(parsed, KUDOS_COMMAND)
            await ack(**render.message_kwargs(Message.plain(problem)))
            return
        channel = settings.kudos_channel or string(command.get("channel_id"))
        words = KudosText(parsed.message, parsed.values, parsed.unknown_values)
        recipients = [mention.platform_id for mention in parsed.recipients]
        labels = {mention.platform_id: mention.name for mention in parsed.recipients}
        named = await named_users(
            self.messenger, recipients, context.user_id, context.bot_user_id, labels
        )
        outcome = await self.kudos.give(
            person,
            context.user_id,
            named,
            words,
            platform=Platform.SLACK,
            source="command",
            post_to=channel or None,
            where=where_posted(channel, settings.kudos_channel),
        )
        await ack(**render.message_kwargs(outcome.reply))

    async def submit_kudos(
        self, ack: AsyncAck, view: dict[str, Any], context: AsyncBoltContext, person: Person
    ) -> None:
        settings = self.checkins.settings
        user_id = context.user_id
        answers = render.state_values(view)
        chosen = answers.get(KUDOS_FORM_TO)
        recipients = [str(r) for r in chosen] if isinstance(chosen, list) else []
        text = clean_message(str(answers.get(KUDOS_MESSAGE) or ""), settings.company_values)
        if text.problem is not None:
            await ack(
                response_action="errors",
                errors={KUDOS_MESSAGE: problem_text(text, KUDOS_COMMAND)},
            )
            return
        value = answers.get(KUDOS_VALUE)
        if isinstance(value, str) and value in settings.company_values:
            text = KudosText(text.message, (value, *(v for v in text.values if v != value)), ())
        channel = settings.kudos_channel or metadata_channel(view)
        outcome = await self.kudos.give(
            person,
            user_id,
            await named_users(self.messenger, recipients, user_id, context.bot_user_id),
            text,
            platform=Platform.SLACK,
            source="command",
            post_to=channel or None,
            where=where_posted(channel, settings.kudos_channel),
            submission=view_submission_key(view),
        )
        if not outcome.sent:
            await ack(response_action="errors", errors={KUDOS_FORM_TO: outcome.headline})
            return
        await ack(response_action="update", view=sent_view(outcome.reply))

    # -- App Home ------------------------------------------------------------------------------

    async def app_home_opened(
        self, event: dict[str, Any], client: AsyncWebClient, person: Person | None
    ) -> None:
        if event.get("tab", "home") != "home":
            return
        shown = await self.home(person) if person is not None else Message.plain(NOT_SET_UP)
        await client.views_publish(user_id=string(event.get("user")), view=render.home_view(shown))

    async def home(self, person: Person) -> Message:
        return await self.home_flow.home(
            person, OKR_COMMAND, KUDOS_COMMAND, lambda k: f"<@{k.giver_platform_id}>"
        )
