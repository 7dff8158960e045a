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
from collections.abc import Sequence
from urllib.parse import unquote, urlsplit

from okrbot.bot.browse import Shown, browse_pages
from okrbot.bot.domain import Platform
from okrbot.bot.messages import Message

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


def describe_channel(platform: Platform | str, channel: str) -> str:
    """How a person sees the channel named: Slack shows <#C…> as the channel's name."""
    if Platform(platform) is Platform.SLACK:
        return f"<#{channel}>"
    return "the Teams channel"


def team_update_pages(team: str, period: str, objectives: Sequence[Shown]) -> list[Message]:
    """The week's post for `team` ("Mia Boss's team"): their objectives in as many messages as
    Slack's and Teams' limits need."""
    return browse_pages(f"📣 {team} · OKRs after week {period}", objectives)
