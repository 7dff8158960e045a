"""The demo's conversation on a check-in: from the quarter's second week, the first time one
person checks in they name a blocker and ask for feedback on that key result; their manager
answers the blocker from the weekly digest (Reply), and the person answers back once, in the
thread of their check-in (Slack) or with Reply on the manager's card (Teams).

The person is picked by rule (the second one with a manager and no reports, present from the
start; the first drafts an OKR), so the rest of the quarter plays as it would without it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from okrbot.adapters.teams.simulator import action_of, card_of, walk
from okrbot.bot.checkin_replies import REPLY, REPLY_FORM, REPLY_TEXT
from okrbot.bot.checkins import input_id
from okrbot.bot.messages import TOGGLED
from okrbot.cli.demo_company import DemoCompany, DemoPerson
from okrbot.cli.demo_scene import Scene, plain_reports
from okrbot.cli.demo_stage import Stage, teams_user
from okrbot.cli.demo_timeline import Timeline
from okrbot.cli.demo_watch import Record

BLOCKER = "Blocked: waiting on security review before we can roll this out"
MANAGER_REPLY = "I'll ask Security for a date today. Let's use Thursday's 1:1 for a plan B."
ANSWER = "Thanks! I'll draft plan B before Thursday."


class CheckInConversation(Scene):
    def __init__(
        self, company: DemoCompany, stage: Stage, timeline: Timeline, record: Record
    ) -> None:
        super().__init__(company, stage, timeline, record)
        candidates = plain_reports(company)
        self.person = candidates[1] if len(candidates) > 1 else None
        self.checkin: str | None = None  # `<person id>:<week>` once they asked
        self.replied = self.answered = False

    def shape(
        self, person: DemoPerson, answers: dict[str, Any], lines: list[str], kr_ids: list[int]
    ) -> bool:
        """On their first check-in from the second week on, the chosen person names a blocker
        and asks for feedback on their first key result (what they typed, in `lines`)."""
        if person is not self.person or self.checkin is not None or not kr_ids:
            return False
        first = kr_ids[0]
        answers[input_id(first, "note")] = BLOCKER
        answers[input_id(first, "feedback")] = [TOGGLED] if person.slack_user_id else TOGGLED
        lines[0] = f"{lines[0].split(' — ')[0]} — {BLOCKER}\n    [x] I'd like feedback on this"
        return True

    def asked(self, person_id: int, period: str) -> None:
        self.checkin = f"{person_id}:{period}"

    def digest_arrived(self, manager: DemoPerson) -> None:
        """The manager reads the digest and answers the blocker a little later."""
        person = self.person
        if person is None or self.checkin is None or self.replied:
            return
        if person.manager_email != manager.email:
            return
        self.replied = True
        self.timeline.later(timedelta(minutes=40), lambda: self.reply(manager))

    def reply_arrived(self, person: DemoPerson) -> None:
        """The person reads their manager's reply and answers back, once."""
        if person is not self.person or not self.replied or self.answered:
            return
        self.answered = True
        self.timeline.later(timedelta(hours=1, minutes=10), lambda: self.answer(person))

    async def reply(self, manager: DemoPerson) -> None:
        assert self.person is not None and self.checkin is not None
        self._say(manager, f"[Reply to {self.person.first_name}]\n  {MANAGER_REPLY}")
        await self._reply(manager, self._digest_button(manager), MANAGER_REPLY)

    async def answer(self, person: DemoPerson) -> None:
        stage = self.stage
        if person.slack_user_id:
            thread = next(
                (
                    m["thread_ts"]
                    for m in reversed(stage.slack_sandbox.messages_in(person.slack_user_id))
                    if m.get("thread_ts")
                ),
                None,
            )
            if thread is None:
                return
            self._say(person, f"(in the thread) {ANSWER}", {"thread": True})
            event = stage.slack_sandbox.user_writes(person.slack_user_id, ANSWER, thread)
            if event is not None:
                await stage.slack.event(event)
            return
        self._say(person, f"[Reply]\n  {ANSWER}")
        await self._reply(person, self._latest_reply_card(person), ANSWER)

    def _digest_button(self, manager: DemoPerson) -> dict[str, Any] | None:
        """The digest message (Slack) or card (Teams) with Reply for the person's check-in."""
        stage = self.stage
        if manager.slack_user_id:
            for message in reversed(stage.slack_sandbox.messages_in(manager.slack_user_id)):
                for block in message.get("blocks") or []:
                    for element in block.get("elements") or []:
                        if str(element.get("action_id", "")).startswith(REPLY) and (
                            element.get("value") == self.checkin
                        ):
                            return {**message, "blocks": [block], "_action": element}
            return None
        user = teams_user(manager)
        for activity in reversed(stage.teams_sandbox.activities_in(user.conversation_id)):
            if not activity.get("attachments"):
                continue
            card = card_of(activity)
            for button in walk([*(card.get("body") or []), *(card.get("actions") or [])]):
                data = button.get("data") if button.get("type") == "Action.Submit" else None
                if data and data.get("action") == REPLY and data.get("value") == self.checkin:
                    return {**activity, "_action": button}
        return None

    def _latest_reply_card(self, person: DemoPerson) -> dict[str, Any] | None:
        user = teams_user(person)
        for activity in reversed(self.stage.teams_sandbox.activities_in(user.conversation_id)):
            try:
                action_of(card_of(activity), REPLY)
            except (LookupError, KeyError):
                continue
            return activity
        return None

    async def _reply(self, who: DemoPerson, where: dict[str, Any] | None, text: str) -> None:
        """Press Reply on `where` and send `text` in the form it opens."""
        stage = self.stage
        if where is None:
            return
        if who.slack_user_id:
            channel = stage.slack_sandbox.dm_channel(who.slack_user_id) or ""
            action = where.pop("_action")
            await stage.slack.click(who.slack_user_id, where, action["action_id"], channel)
            view = stage.slack_sandbox.calls_to("views.open")[-1].params["view"]
            self.record.keep_view(who.email, stage.clock.now(), "views.open", view)
            await stage.slack.submit(who.slack_user_id, view, {REPLY_TEXT: text})
            return
        user = teams_user(who)
        if "_action" in where:  # one of several Reply buttons on the card: that one
            data = where.pop("_action")["data"]
            await stage.teams.submit(user, data, reply_to_id=str(where["id"]))
        else:
            await stage.teams.press(user, where, REPLY)
        form = stage.teams_sandbox.activities_in(user.conversation_id)[-1]
        await stage.teams.press(user, form, REPLY_FORM, {REPLY_TEXT: text})
