"""What the demo keeps of the quarter: each person's transcript, the raw cards, managers' reports.

`Watcher` reads what okrbot sent through the Slack and Teams stand-ins since it last looked and
stamps it with the simulated time; the sample people add what they did ("you") to the same
transcripts. It tells them when okrbot asked for a check-in or a reflection, through the
`Listener` they implement.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from okrbot.adapters.teams.simulator import card_of, walk
from okrbot.bot.messages import Message
from okrbot.cli.demo_company import DemoCompany, DemoPerson
from okrbot.cli.demo_stage import Stage, teams_user

PROMPT_SUMMARIES = ("Time for your weekly check-in", "Reminder: your check-in")
REFLECTION_SUMMARY = "Time to look back on"
# What the manager's DM about a drafted OKR says (bot.drafts.review_message).
REVIEW_MARK = "drafted a personal OKR for your approval"
# A manager's weekly digest (bot.digests.build_digest) and a reply on a check-in (its summary
# is "<name> replied: …", bot.checkin_replies.reply_message).
DIGEST_SUMMARY = "Team digest for"
REPLY_MARK = " replied: "


@dataclass
class Entry:
    at: datetime
    who: str  # "okrbot" or "you"
    text: str
    # What the chat app showed, for the demo's page: {"blocks": [...]} (Slack, with "view" for
    # a modal's new content), {"card": {...}} (Teams) or {"files": [(title, png), ...]}.
    shown: dict[str, Any] | None = None


@dataclass
class Record:
    transcripts: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    slack_cards: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    teams_cards: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    digests: dict[tuple[str, str], list[Message]] = field(default_factory=dict)
    summaries: dict[str, tuple[list[Message], list[tuple[str, str, bytes]]]] = field(
        default_factory=dict
    )
    # Modals each person opened: (how many transcript entries came before it, when, the view).
    views: dict[str, list[tuple[int, datetime, dict[str, Any]]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def say(
        self, email: str, at: datetime, who: str, text: str, shown: dict[str, Any] | None = None
    ) -> None:
        self.transcripts[email].append(Entry(at, who, text, shown))

    def keep_view(self, email: str, at: datetime, method: str, view: dict[str, Any]) -> None:
        """A modal okrbot opened for the person: kept raw and placed in their chat."""
        self.slack_cards.append((email, method, view))
        self.views[email].append((len(self.transcripts[email]), at, view))

    def keep_manager_reports(self, stage: Stage) -> None:
        """Keep what managers were sent, as neutral messages, for the Markdown copies."""
        reports = stage.runtime.courier.reports
        digest, summary = reports.digest, reports.summary

        async def recording_digest(manager: Any, period: str) -> list[Message]:
            messages = await digest(manager, period)
            if messages:
                self.digests[(manager.email, period)] = messages
            return messages

        async def recording_summary(manager: Any, quarter: str) -> Any:
            messages, charts = await summary(manager, quarter)
            if messages:
                self.summaries[manager.email] = (messages, charts)
            return messages, charts

        reports.digest = recording_digest  # type: ignore[method-assign]
        reports.summary = recording_summary  # type: ignore[method-assign]


class Listener(Protocol):
    def prompted(self, person: DemoPerson, summary: str) -> None: ...

    def asked_to_reflect(self, person: DemoPerson) -> None: ...

    def asked_to_approve(self, person: DemoPerson) -> None: ...

    def digest_arrived(self, person: DemoPerson) -> None: ...

    def reply_arrived(self, person: DemoPerson) -> None: ...


class Watcher:
    def __init__(
        self, company: DemoCompany, stage: Stage, record: Record, listener: Listener
    ) -> None:
        self.company = company
        self.stage = stage
        self.record = record
        self.listener = listener
        self.slack_seen = 0
        self.teams_seen = 0
        self.homes_seen: set[str] = set()

    def collect(self) -> None:
        """Stamp what okrbot sent since the last look with the current (simulated) time."""
        now = self.stage.clock.now()
        calls = self.stage.slack_sandbox.calls
        for call in calls[self.slack_seen :]:
            self._slack_call(call, now)
        self.slack_seen = len(calls)
        sent = self.stage.teams_sandbox.requests
        for request in sent[self.teams_seen :]:
            self._teams_request(request, now)
        self.teams_seen = len(sent)

    def _slack_person(self, channel: str | None) -> DemoPerson | None:
        for person in self.company.people:
            if person.slack_user_id and channel in (
                person.slack_user_id,
                self.stage.slack_sandbox.dm_channel(person.slack_user_id),
            ):
                return person
        return None

    def _slack_call(self, call: Any, now: datetime) -> None:
        if call.ok and call.method == "files.completeUploadExternal":
            self._slack_files(call, now)
            return
        if call.ok and call.method == "views.publish":
            self._slack_home(call, now)
            return
        if not call.ok or call.method not in ("chat.postMessage", "chat.update"):
            return
        person = self._slack_person(str(call.params.get("channel")))
        if person is None:
            return
        blocks = call.params.get("blocks") or []
        text = slack_text(blocks) or str(call.params.get("text", ""))
        verb = "" if call.method == "chat.postMessage" else "(updated its message) "
        shown: dict[str, Any] = {"blocks": blocks}
        if call.params.get("thread_ts"):
            shown["thread"] = True  # a reply in the thread of an earlier message
        self.record.say(person.email, now, "okrbot", verb + text, shown)
        self.record.slack_cards.append((person.email, call.method, {"blocks": blocks}))
        summary = str(call.params.get("text", ""))
        if call.method == "chat.postMessage" and summary.startswith(PROMPT_SUMMARIES):
            self.listener.prompted(person, summary)
        if call.method == "chat.postMessage" and summary.startswith(REFLECTION_SUMMARY):
            self.listener.asked_to_reflect(person)
        if call.method == "chat.postMessage" and REVIEW_MARK in summary:
            self.listener.asked_to_approve(person)
        if call.method == "chat.postMessage":
            self._conversation(person, summary)

    def _conversation(self, person: DemoPerson, summary: str) -> None:
        if summary.startswith(DIGEST_SUMMARY):
            self.listener.digest_arrived(person)
        elif REPLY_MARK in summary:
            self.listener.reply_arrived(person)

    def _slack_home(self, call: Any, now: datetime) -> None:
        """The first Home tab okrbot published for each person (later ones are alike)."""
        person = self._slack_person(str(call.params.get("user_id")))
        view = call.params.get("view")
        if person is None or person.email in self.homes_seen or not isinstance(view, dict):
            return
        self.homes_seen.add(person.email)
        self.record.keep_view(person.email, now, "views.publish", view)

    def _slack_files(self, call: Any, now: datetime) -> None:
        """Images okrbot shared in a DM (the quarter summary's charts)."""
        person = self._slack_person(str(call.params.get("channel_id")))
        if person is None:
            return
        files = self.stage.slack_sandbox.files
        shared = [
            (str(entry.get("title") or files[entry["id"]].title), files[entry["id"]].content)
            for entry in call.params.get("files") or []
            if isinstance(entry, dict) and entry.get("id") in files
        ]
        text = "\n".join(f"(shared an image: {title})" for title, _png in shared)
        self.record.say(person.email, now, "okrbot", text, {"files": shared})

    def _teams_person(self, conversation: str | None) -> DemoPerson | None:
        for person in self.company.people:
            if person.teams_aad_id and conversation == teams_user(person).conversation_id:
                return person
        return None

    def _teams_request(self, request: Any, now: datetime) -> None:
        if request.status >= 300 or not request.body or request.method not in ("POST", "PUT"):
            return
        person = self._teams_person(request.conversation_id)
        card = card_of(request.body) if request.body.get("attachments") else None
        if person is None:
            return
        text = teams_text(card) if card else str(request.body.get("text") or "")
        verb = "(updated its card) " if request.method == "PUT" else ""
        shown: dict[str, Any] | None = {"card": card} if card else None
        answered = self._answered_card(request)
        if shown is not None and answered:
            shown["reply_to"] = answered
        self.record.say(person.email, now, "okrbot", verb + text, shown)
        if card:
            self.record.teams_cards.append((person.email, card))
        summary = str(request.body.get("summary") or "")
        if request.method == "POST" and summary.startswith(PROMPT_SUMMARIES):
            self.listener.prompted(person, summary)
        if request.method == "POST" and summary.startswith(REFLECTION_SUMMARY):
            self.listener.asked_to_reflect(person)
        if request.method == "POST" and REVIEW_MARK in summary:
            self.listener.asked_to_approve(person)
        if request.method == "POST":
            self._conversation(person, summary)

    def _answered_card(self, request: Any) -> str | None:
        """The first line of okrbot's own card a reply answers (Teams' reply-to-activity);
        None for a reply to a made-up or the person's own activity (every proactive send)."""
        if request.kind != "reply" or not request.activity_id:
            return None
        try:
            parent = self.stage.teams_sandbox.activity(request.conversation_id, request.activity_id)
        except KeyError:
            return None
        if not parent.get("attachments"):
            return None
        return teams_text(card_of(parent)).split("\n")[0]


def slack_text(blocks: list[dict[str, Any]]) -> str:
    """A Block Kit message as plain text, the way a person reads it."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"## {block['text']['text']}")
        elif kind == "section":
            if block.get("text"):
                lines.append(_unescape(block["text"]["text"]))
            for item in block.get("fields") or []:
                lines.append(_unescape(item["text"]))
        elif kind == "context":
            lines.extend(f"  {_unescape(e.get('text', ''))}" for e in block["elements"])
        elif kind == "actions":
            lines.append(
                " ".join(f"[{e['text']['text']}]" for e in block["elements"] if "text" in e)
            )
        elif kind == "image":
            lines.append(f"(chart: {block.get('alt_text', '')})")
    return "\n".join(lines)


def teams_text(card: dict[str, Any]) -> str:
    """An Adaptive Card as plain text, the way a person reads it."""
    lines: list[str] = []
    for element in walk(card.get("body") or []):
        if element.get("type") == "TextBlock":
            lines.append(str(element.get("text", "")))
        elif element.get("type", "").startswith("Input."):
            lines.append(f"  ▸ {element.get('label', element.get('id'))}")
        elif element.get("type") == "ActionSet":
            lines.append(" ".join(f"[{a.get('title', '')}]" for a in element.get("actions", [])))
    lines.extend(f"[{a.get('title', '')}]" for a in card.get("actions") or [])
    return "\n".join(lines)


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
