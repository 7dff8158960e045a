"""The kudos parser, safe text and rules: examples, then properties over any input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from okrbot.adapters.kudos_flow import Recipient, give
from okrbot.adapters.slack.payloads import slack_mentions
from okrbot.adapters.slack.render import message_kwargs
from okrbot.bot.domain import Platform
from okrbot.bot.kudos import (
    MESSAGE_MAX,
    Mention,
    Problem,
    check_limit,
    format_duration,
    has_broadcast,
    parse_kudos_text,
    problem_text,
    public_post,
    recipient_dm,
    safe_text,
)
from okrbot.storage.convert import to_person as person_from_row
from okrbot.storage.db import Database
from okrbot.storage.kudos import given_since, received_in
from okrbot.storage.models import DeliveryRow, PersonRow

VALUES = ["ownership", "customer-focus"]
NEW_YORK = ZoneInfo("America/New_York")


def slack(text: str):  # type: ignore[no-untyped-def]
    return parse_kudos_text(text, slack_mentions(text), VALUES)


def test_recipients_message_and_values() -> None:
    parsed = slack("<@U1|ana> <@U2|li> thanks for the launch #ownership")
    assert [m.platform_id for m in parsed.recipients] == ["U1", "U2"]
    assert parsed.message == "thanks for the launch" and parsed.values == ("ownership",)
    assert parsed.ok and parsed.unknown_values == ()


def test_mentions_later_in_the_text_are_recipients_and_read_as_names() -> None:
    parsed = slack("<@U1|ana>, <@U2> and <@U3|mia>: thanks, <@U1|ana>, for #Ownership of it")
    assert [m.platform_id for m in parsed.recipients] == ["U1", "U2", "U3"]
    assert parsed.message == "thanks, @ana, for #Ownership of it"
    assert parsed.values == ("ownership",)


def test_unknown_hashtags_stay_and_are_reported() -> None:
    parsed = slack("<@U1|ana> nice #teamwork #customer-focus")
    assert parsed.message == "nice #teamwork" and parsed.values == ("customer-focus",)
    assert parsed.unknown_values == ("teamwork",)
    no_values = parse_kudos_text("<@U1|ana> nice #teamwork", slack_mentions("<@U1|ana>"), [])
    assert no_values.message == "nice #teamwork" and no_values.unknown_values == ()


def test_problems() -> None:
    assert slack("").problem is Problem.EMPTY
    assert slack("  HELP ").problem is Problem.HELP
    assert slack("thanks all").problem is Problem.NO_RECIPIENTS
    assert slack("<@U1|ana> #ownership").problem is Problem.NO_MESSAGE
    long = slack("<@U1|ana> " + "x" * (MESSAGE_MAX + 1))
    assert long.problem is Problem.TOO_LONG
    assert f"yours has {MESSAGE_MAX + 1}" in problem_text(long, "/kudos")


def test_teams_mentions() -> None:
    mentions = [Mention("<at>Li Wei</at>", "29:li", "Li Wei")]
    parsed = parse_kudos_text("<at>Li Wei</at> thanks #ownership", mentions, VALUES)
    assert [m.name for m in parsed.recipients] == ["Li Wei"] and parsed.message == "thanks"


def test_safe_text_neutralises_broadcasts_and_keeps_links() -> None:
    text = (
        "<!channel> <!here|here> <!everyone> @here @Channel @everyone <!subteam^S1|@eng> "
        "&lt;!here&gt; <https://ex.com/a?b=1&amp;c=2|the doc> <https://ex.com/b> "
        "https://ex.com/c <#C1|general> <!date^1392734382^{date}|Feb 18>"
    )
    safe = safe_text(text)
    assert not has_broadcast(safe) and "<!" not in safe
    assert "the doc (https://ex.com/a?b=1&c=2)" in safe
    assert "https://ex.com/b" in safe and "https://ex.com/c" in safe
    assert "#general" in safe and "Feb 18" in safe and "＠eng" in safe
    assert safe_text("ana@example.com and @heretic") == "ana@example.com and @heretic"
    assert safe_text("nul\x00 byte") == "nul byte"


def test_limit_and_reset_at_local_midnight() -> None:
    five_am = datetime(2026, 11, 16, 5, 0, tzinfo=NEW_YORK)
    result = check_limit(5, 1, 5, five_am)
    assert not result.allowed and result.resets_in == timedelta(hours=19)
    assert result.message == (
        "You have recognised 5 people today, the daily limit. It resets at midnight your time "
        "(in 19 h)."
    )
    partial = check_limit(3, 3, 5, five_am)
    assert not partial.allowed and "only 2 more" in partial.message
    ok = check_limit(3, 2, 5, five_am)
    assert ok.allowed and ok.remaining == 0
    # The night the clocks go forward is an hour shorter.
    spring = datetime(2026, 3, 8, 0, 30, tzinfo=NEW_YORK)
    assert check_limit(0, 1, 5, spring).resets_in == timedelta(hours=22, minutes=30)
    assert format_duration(timedelta(hours=3, minutes=20)) == "3 h 20 min"
    assert format_duration(timedelta(seconds=30)) == "less than a minute"


def _all_text(message) -> str:  # type: ignore[no-untyped-def]
    kwargs = message_kwargs(message)
    return kwargs["text"] + repr(kwargs["blocks"])


SLACKISH = st.sampled_from(
    [
        "<@U1|ana>",
        "<@U2>",
        "<!here>",
        "<!channel>",
        "<!everyone>",
        "<!subteam^S1|@eng>",
        "@here",
        "@channel",
        "@everyone",
        "&lt;",
        "&gt;",
        "&amp;",
        "<",
        ">",
        "|",
        "!",
        "#ownership",
        "#teamwork",
        "<https://ex.com|x>",
        "https://ex.com",
        "help",
        " ",
        "\n",
        ",",
    ]
)
TEXT = st.lists(st.one_of(SLACKISH, st.text(max_size=20)), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_any_text_gets_an_answer_and_posts_no_broadcast(text: str) -> None:
    parsed = slack(text)
    if parsed.ok:
        assert parsed.recipients and parsed.message and len(parsed.message) <= MESSAGE_MAX
        assert not has_broadcast(parsed.message)
        post = public_post("Ana <!here>", [m.name for m in parsed.recipients], parsed.message, ())
        dm = recipient_dm("Ana", parsed.message, parsed.values, True, "On your Home.")
        for message in (post, dm):
            assert not has_broadcast(_all_text(message)) and "<!" not in _all_text(message)
    elif parsed.problem not in (Problem.HELP, Problem.EMPTY):
        assert problem_text(parsed, "/kudos")


@settings(max_examples=300, deadline=None)
@given(st.text(), st.lists(st.tuples(st.text(), st.text(), st.text()), max_size=4))
def test_the_parser_never_raises(text: str, raw_mentions: list[tuple[str, str, str]]) -> None:
    mentions = [Mention(*raw) for raw in raw_mentions]
    parsed = parse_kudos_text(text, mentions, VALUES)
    assert parsed.problem is not None or not has_broadcast(parsed.message)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_safe_text_is_stable_and_safe(text: str) -> None:
    once = safe_text(text)
    assert not has_broadcast(once)
    assert not has_broadcast(safe_text(once))


def test_limit_never_goes_negative() -> None:
    now = datetime(2026, 1, 1, 23, 59, tzinfo=UTC)
    result = check_limit(9, 1, 5, now)
    assert result.remaining == 0 and not result.allowed


async def test_give_counts_and_reads_back_on_every_backend(database: Database) -> None:
    async with database.transaction() as session:
        ana = PersonRow(email="ana@example.com", name="Ana Lima", timezone="America/New_York")
        li = PersonRow(email="li@example.com", name="Li Wei")
        session.add_all([ana, li])
        await session.flush()
        giver = person_from_row(ana)
        li_id = li.id
    now_local = datetime(2026, 11, 16, 5, 0, tzinfo=NEW_YORK)
    recipients = [Recipient(li_id, "U0LI", "Li Wei"), Recipient(None, "U0ZED", "Zed")]
    arguments: dict[str, Any] = {
        "giver": giver,
        "giver_platform_id": "U0ANA",
        "now_local": now_local,
        "recipients": recipients,
        "message": "thanks",
        "values": ["ownership"],
        "platform": Platform.SLACK,
        "source": "command",
        "post_to": "C0KUDOS",
        "daily_limit": 3,
    }
    first = await give(database, **arguments)
    assert first.ok and first.limit.remaining == 1
    refused = await give(database, **arguments)
    assert not refused.ok and refused.limit.remaining == 1
    async with database.reading() as session:
        assert await given_since(session, giver.id, now_local - timedelta(hours=5)) == 2
        start, end = now_local - timedelta(days=1), now_local + timedelta(days=1)
        [received] = await received_in(session, li_id, start, end)
        assert received.giver_name == "Ana Lima" and received.kudos.values == ("ownership",)
        kinds = sorted((await session.scalars(select(DeliveryRow.kind))).all())
        assert kinds == ["kudos_dm", "kudos_dm", "kudos_post"]
