"""A team's weekly OKR update in a channel: which channels are valid, and what the post says.

A team (a manager and their direct reports) opts in by naming a channel: a Slack channel id
(`C…` public, `G…` private) or a Teams channel's conversation id (`19:…@thread.tacv2`), which
Teams' "Get link to channel" carries. After the week's check-ins close (when the manager's
digest goes out) okrbot posts the team's objectives there: scores, progress and each key
result's last confidence, built by `bot.browse` from public values only, so no note, blocker,
reflection or digest text can reach the channel.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from urllib.parse import unquote, urlsplit

from okrbot.bot.browse import Shown, browse_pages
from okrbot.bot.domain import Platform
from okrbot.bot.messages import ChannelInput, Context, Form, Message, Text

FORM_ID = "team_channel_form"
CHANNEL = "team-channel"
# Slack: `/okr channel`; Teams: `channel`, in the 1:1 chat (a form) or in a channel (that one).
COMMAND = "channel"

SLACK_CHANNEL = re.compile(r"[CG][A-Z0-9]{8,}")
TEAMS_CHANNEL = re.compile(r"19:[A-Za-z0-9_\-.]+@thread\.(tacv2|skype)")


class ChannelError(ValueError):
    """A channel okrbot cannot post a team's update to; the message says why."""


def slack_channel(text: str) -> str:
    """A Slack channel id, as Slack shows it (channel details → the bottom of the About tab)."""
    channel = text.strip()
    if channel[:1] == "#":
        raise ChannelError(
            f"{channel!r} is a channel name; give its id (C… or G…), shown at the bottom of "
            "the channel's details in Slack"
        )
    if channel[:1] == "D":
        raise ChannelError(f"{channel!r} is a direct message, not a channel")
    if not SLACK_CHANNEL.fullmatch(channel):
        raise ChannelError(
            f"{channel!r} is not a Slack channel id (C or G followed by letters and digits, "
            "e.g. C0123ABCD45)"
        )
    return channel


def teams_channel(text: str) -> str:
    """A Teams channel's conversation id, given as such or inside the channel's link."""
    typed = text.strip()
    channel = typed
    if typed.lower().startswith(("https://", "http://")):
        parts = [unquote(part) for part in urlsplit(typed).path.split("/") if part]
        found = [part for part in parts if TEAMS_CHANNEL.fullmatch(part)]
        if not found:
            raise ChannelError(
                f"{typed[:80]!r} is not a Teams channel link (Teams: the channel's ⋯ → "
                "Get link to channel)"
            )
        channel = found[0]
    if not TEAMS_CHANNEL.fullmatch(channel):
        raise ChannelError(
            f"{typed[:80]!r} is not a Teams channel id (19:…@thread.tacv2) or a link to a channel"
        )
    return channel


def check_channel(platform: Platform, text: str) -> str:
    return slack_channel(text) if platform is Platform.SLACK else teams_channel(text)


def team_update_pages(team: str, period: str, objectives: Sequence[Shown]) -> list[Message]:
    """The week's post for `team` ("Mia Boss's team"): their objectives in as many messages as
    Slack's and Teams' limits need."""
    return browse_pages(f"📣 {team} · OKRs after week {period}", objectives)


# -- a manager's own settings in chat ---------------------------------------------------------


def channel_form(platform: Platform, current: str | None) -> Form:
    """The manager's form: the channel their team's weekly update goes to; empty stops it."""
    if platform is Platform.SLACK:
        field = ChannelInput(
            CHANNEL, "Team updates channel", initial=current, placeholder="Pick a channel"
        )
        how = "Invite okrbot to the channel (/invite @okrbot) so that it can post there."
    else:
        field = ChannelInput(
            CHANNEL,
            "Team updates channel: its link (⋯ → Get link to channel)",
            initial=current,
            placeholder="https://teams.microsoft.com/l/channel/19%3a…",
        )
        how = (
            "okrbot must be installed in that channel's team. Or type `channel` to okrbot in "
            "the channel itself."
        )
    return Form(
        id=FORM_ID,
        title="Team updates",
        submit_label="Save",
        intro=(
            "Each week, after check-ins close, okrbot can post your team's objectives, "
            "progress and confidence to a channel: never check-in notes. Leave it empty to "
            f"stop. {how}"
        ),
        items=(field,),
    )


def parse_channel_answer(
    platform: Platform, raw: Mapping[str, object]
) -> tuple[str | None, dict[str, str]]:
    """The channel chosen (None: no channel, stop posting), or an error for the field."""
    value = raw.get(CHANNEL)
    text = str(value).strip() if isinstance(value, str) else ""
    if not text:
        return None, {}
    try:
        return check_channel(platform, text), {}
    except ChannelError as error:
        return None, {CHANNEL: str(error)[:150]}


def not_a_manager(name: str) -> Message:
    return Message.plain(
        f"Team updates in a channel are for managers, {name}: nobody reports to you in okrbot."
    )


def channel_saved(channel: str | None, here: bool = False) -> Message:
    """What the manager reads once the channel is saved (or cleared)."""
    if channel is None:
        return Message.plain("✅ Saved. Your team's weekly OKR update is no longer posted.")
    where = "here" if here else "in the channel you chose"
    return Message(
        "Team updates channel saved",
        (
            Text(
                f"✅ Saved. Your team's objectives, progress and confidence will be posted {where} "
                "each week, after check-ins close."
            ),
            Context("Only OKRs are posted: check-in notes stay between you and your team."),
        ),
    )
