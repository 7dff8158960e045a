"""Answering a check-in on Slack, end to end: the manager's digest has 👍 and Reply under each
check-in; a reply lands in the thread of the person's own check-in summary, in their working
hours; the person answers in that thread and it reaches the manager, quoting the check-in.
Nobody else can write on it, nothing goes twice, and what people type cannot ping anyone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from okrbot.adapters.slack.blockkit_limits import blockkit_problems, view_problems
from okrbot.bot.checkin_replies import REPLY_MAX, REPLY_TEXT, SHARE, SHARE_PUBLIC
from okrbot.bot.delivery import UNSOLICITED, DeliveryKind
from okrbot.bot.domain import Person
from okrbot.bot.kudos import KUDOS_MESSAGE
from okrbot.scheduler.outbox import list_deliveries
from okrbot.storage.db import Database
from okrbot.storage.models import CheckInMessageRow, KudosRow, PersonRow, PersonWeekRow
from okrbot.storage.people import get_person_by_email
from tests.test_slack_e2e import SlackWorld, add_other_team, checkin_as, only_button, texts
from tests.test_slack_e2e import slack_world as slack_world_of

FRIDAY = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)  # 15:00 Berlin, 09:00 New York
NOTE = "Blocked on access to the analytics warehouse"


@pytest.fixture
async def world(database: Database) -> AsyncIterator[SlackWorld]:
    async with slack_world_of(database) as running:
        yield running


async def deliver(world: SlackWorld) -> None:
    while await world.runtime.outbox.deliver_due(world.runtime.courier):
        pass


async def digest_after_checkin(world: SlackWorld) -> dict[str, Any]:
    """Ana and Li are asked, Ana checks in with a blocker; Mia's Friday digest."""
    await world.runtime.ticker.tick()
    await world.send_prompts("ana@example.com", "li@example.com")
    await checkin_as(world, "U0ANA", "ana@example.com", "45", NOTE)
    world.clock.set(FRIDAY)
    await world.runtime.ticker.tick()
    [digest] = [m for m in world.dm("U0MIA") if "Your team" in texts(m)]
    return digest


def summary_of(world: SlackWorld, user: str = "U0ANA") -> dict[str, Any]:
    [summary] = [m for m in world.dm(user) if "Checked in · week 47" in texts(m)]
    return summary


async def click(world: SlackWorld, user: str, message: dict[str, Any], label: str) -> None:
    button = only_button(message, label)
    [element] = button["blocks"][0]["elements"]
    channel = world.sandbox.dm_channel(user) or ""
    reply = await world.slack.click(user, button, element["action_id"], channel)
    assert reply.status == 200


async def reply_as(
    world: SlackWorld, user: str, message: dict[str, Any], label: str, text: str
) -> dict[str, Any]:
    """Click Reply in `message` and submit `text`; the modal's answer."""
    await click(world, user, message, label)
    modal = world.last_modal()
    assert view_problems(modal) == []
    answer = await world.slack.submit(user, modal, {REPLY_TEXT: text})
    assert answer.status == 200
    return answer.json()


async def stored(database: Database) -> list[CheckInMessageRow]:
    async with database.reading() as session:
        return list(await session.scalars(select(CheckInMessageRow).order_by(CheckInMessageRow.id)))


async def test_a_managers_reply_lands_in_the_thread_of_the_check_in_and_the_answer_comes_back(
    world: SlackWorld,
) -> None:
    digest = await digest_after_checkin(world)
    assert blockkit_problems(digest["blocks"], "message") == []
    shown = texts(digest)
    # Only the one who checked in can be answered; Li, not checked in, has a Nudge.
    assert "Reply to Ana" in str(digest["blocks"]) and "Reply to Li" not in str(digest["blocks"])
    assert "Nudge Li" in shown
    answer = await reply_as(world, "U0MIA", digest, "Reply to Ana", "I'll get you access today.")
    assert answer["response_action"] == "update"
    assert "Sent to Ana." in str(answer["view"])
    await deliver(world)
    summary = summary_of(world)
    [reply] = [m for m in world.dm("U0ANA") if m.get("thread_ts") == summary["ts"]]
    assert texts(reply).startswith(
        "💬 *Mia Boss* replied on your check-in · week 47\n> I'll get you access today."
    )
    assert "Only the two of you" in texts(reply)
    assert blockkit_problems(reply["blocks"], "message") == []

    # Ana answers in the thread; Mia gets it as a DM quoting the check-in.
    before = len(world.dm("U0MIA"))
    event = world.sandbox.user_writes("U0ANA", "Thank you!", thread_ts=summary["ts"])
    assert event is not None
    assert (await world.slack.event(event, event_id="Ev0ANSWER")).status == 200
    # Slack retries the event (X-Slack-Retry-Num): acted on once.
    assert (await world.slack.event(event, event_id="Ev0ANSWER", retry=1)).status == 200
    await deliver(world)
    [back] = world.dm("U0MIA")[before:]
    assert texts(back).startswith(
        "💬 *Ana Lima* answered on their check-in · week 47\n> Thank you!\n"
        "_Re: Ana Lima's check-in · week 47_\n> " + NOTE
    )
    rows = await stored(world.database)
    assert [(r.kind, r.text) for r in rows] == [
        ("reply", "I'll get you access today."),
        ("reply", "Thank you!"),
    ]
    assert all(r.delivered_at is not None for r in rows)
    # Mia answers in the thread of Ana's answer in her DM: it goes back under Ana's summary.
    event = world.sandbox.user_writes("U0MIA", "Any time.", thread_ts=back["ts"])
    assert event is not None
    await world.slack.event(event)
    await deliver(world)
    threaded = [m for m in world.dm("U0ANA") if m.get("thread_ts") == summary["ts"]]
    assert "> Any time." in texts(threaded[-1])
    # Anything else typed in the DM is not okrbot's to read: no answer, nothing stored.
    event = world.sandbox.user_writes("U0ANA", "hello?")
    assert event is not None
    await world.slack.event(event)
    assert len(await stored(world.database)) == 3


async def test_without_the_message_im_subscription_slack_sends_no_thread_answers(
    database: Database,
) -> None:
    async with slack_world_of(database) as world:
        await digest_after_checkin(world)
        world.sandbox.events = frozenset({"app_home_opened"})
        summary = summary_of(world)
        assert await world.slack.write("U0ANA", "Thanks", thread_ts=summary["ts"]) is None
        world.sandbox.events = frozenset({"app_home_opened", "message.im"})
        world.sandbox.scopes = world.sandbox.scopes - {"im:history"}
        assert await world.slack.write("U0ANA", "Thanks", thread_ts=summary["ts"]) is None


async def test_a_thumbs_up_goes_once_however_often_it_is_clicked(world: SlackWorld) -> None:
    digest = await digest_after_checkin(world)
    await click(world, "U0MIA", digest, "👍")
    await click(world, "U0MIA", digest, "👍")
    await deliver(world)
    summary = summary_of(world)
    liked = [m for m in world.dm("U0ANA") if m.get("thread_ts") == summary["ts"]]
    assert [texts(m).split("\n")[0] for m in liked] == [
        "👍 *Mia Boss* liked your check-in · week 47"
    ]
    told = [texts(m) for m in world.dm("U0MIA")[-2:]]
    assert told == ["👍 Sent to Ana.", "You already gave 👍 on Ana's check-in; it went once."]
    assert [r.kind for r in await stored(world.database)] == ["reaction"]


async def test_only_the_persons_own_manager_can_answer_their_check_in(world: SlackWorld) -> None:
    digest = await digest_after_checkin(world)
    await add_other_team(world)
    # Li (a peer) and Bob (another team's manager) press the buttons of Mia's digest.
    for user in ("U0LI", "U0BOB"):
        await click(world, user, digest, "👍")
        await click(world, user, digest, "Reply to Ana")
        assert "only answer the check-ins of your own direct reports" in texts(world.dm(user)[-1])
    assert len(world.sandbox.calls_to("views.open")) == 1  # Ana's check-in form only
    # Nor by writing in the thread of Ana's summary, were they ever to reach it.
    thread = f"slack:{world.sandbox.dm_channel('U0ANA')}:{summary_of(world)['ts']}"
    li = await person(world, "li@example.com")
    reply = await world.runtime.slack.replies.answer_in_thread(li, thread, "sneaky", "forged")
    assert reply is not None and "own direct reports" in reply.summary
    assert await stored(world.database) == []


async def person(world: SlackWorld, email: str) -> Person:
    async with world.database.reading() as session:
        found = await get_person_by_email(session, email)
    assert found is not None
    return found


async def test_a_reply_after_the_person_left_is_refused_and_nothing_is_sent(
    world: SlackWorld,
) -> None:
    digest = await digest_after_checkin(world)
    # A reply queued while Ana was still here waits for her morning; she leaves before it.
    world.clock.set(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))  # 21:00 Thursday in New York
    answer = await reply_as(world, "U0MIA", digest, "Reply to Ana", "Let's talk tomorrow.")
    assert "at the start of their working day, Fri 08:00 (America/New_York)" in str(answer)
    async with world.database.transaction() as session:
        await session.execute(
            update(PersonRow)
            .where(PersonRow.email == "ana@example.com")
            .values(deactivated_at=FRIDAY)
        )
    world.clock.set(FRIDAY)
    before = len(world.dm("U0ANA"))
    await deliver(world)
    assert len(world.dm("U0ANA")) == before
    [row] = await stored(world.database)
    assert row.delivered_at is None
    await click(world, "U0MIA", digest, "Reply to Ana")
    assert texts(world.dm("U0MIA")[-1]) == (
        "Ana has left okrbot (deactivated), so nothing was sent."
    )


async def test_empty_long_and_hostile_replies(world: SlackWorld) -> None:
    digest = await digest_after_checkin(world)
    await click(world, "U0MIA", digest, "Reply to Ana")
    modal = world.last_modal()
    empty = (await world.slack.submit("U0MIA", modal, {REPLY_TEXT: "   "})).json()
    assert empty == {
        "response_action": "errors",
        "errors": {REPLY_TEXT: "Write the reply to send."},
    }
    long = (await world.slack.submit("U0MIA", modal, {REPLY_TEXT: "x" * (REPLY_MAX + 1)})).json()
    assert long["errors"][REPLY_TEXT].startswith(f"Keep the reply under {REPLY_MAX} characters")
    hostile = "<!channel> see <https://evil.example|this> **now** <@U0LI> & <b>"
    await world.slack.submit("U0MIA", modal, {REPLY_TEXT: hostile})
    await deliver(world)
    [reply] = [m for m in world.dm("U0ANA") if m.get("thread_ts")]
    posted = str(reply["blocks"]) + reply["text"]
    assert "<!channel>" not in posted and "<@U0LI>" not in posted and "<https" not in posted
    assert "&lt;b&gt;" in texts(reply) and "this (https://evil.example)" in texts(reply)


async def test_a_reply_outside_working_hours_waits_and_spends_no_budget(
    world: SlackWorld,
) -> None:
    digest = await digest_after_checkin(world)
    world.clock.set(datetime(2026, 11, 21, 12, 0, tzinfo=UTC))  # Saturday
    answer = await reply_as(world, "U0MIA", digest, "Reply to Ana", "Have a good weekend.")
    assert "Mon 08:00 (America/New_York)" in str(answer)
    before = len(world.dm("U0ANA"))
    await deliver(world)
    assert len(world.dm("U0ANA")) == before
    world.clock.set(datetime(2026, 11, 23, 13, 0, tzinfo=UTC))  # Monday 08:00 in New York
    await deliver(world)
    assert "Have a good weekend." in texts(world.dm("U0ANA")[-1])
    [delivery] = [d for d in await list_deliveries(world.database) if d.kind == "checkin_message"]
    assert delivery.status == "sent"
    # A person answering is not okrbot writing first: the weekly budget does not count it.
    assert DeliveryKind.CHECKIN_MESSAGE not in UNSOLICITED


async def test_the_summary_remembers_where_it_is(world: SlackWorld) -> None:
    await digest_after_checkin(world)
    summary = summary_of(world)
    async with world.database.reading() as session:
        week = await session.scalar(
            select(PersonWeekRow).where(PersonWeekRow.summary_ref.is_not(None))
        )
    assert week is not None and week.summary_ref is not None
    assert week.summary_ref["ts"] == summary["ts"]


async def kudos_rows(database: Database) -> list[KudosRow]:
    async with database.reading() as session:
        return list(await session.scalars(select(KudosRow).order_by(KudosRow.id)))


async def test_recognise_from_the_digest_is_a_kudos_like_any_other_public_only_if_chosen(
    world: SlackWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    digest = await digest_after_checkin(world)
    world.sandbox.add_channel("C0KUDOS")
    checkins = world.runtime.slack.checkins
    kudos_channel = checkins.settings.model_copy(update={"kudos_channel": "C0KUDOS"})
    monkeypatch.setattr(checkins, "settings", kudos_channel)
    await click(world, "U0MIA", digest, "🙌 Recognise")
    modal = world.last_modal()
    assert view_problems(modal) == []
    assert "Kudos for Ana Lima" in str(modal) and "Also post it in the kudos channel" in str(modal)
    # The same rules as /kudos: a message too long is refused on its field.
    refused = await world.slack.submit("U0MIA", modal, {KUDOS_MESSAGE: "x" * 501})
    assert refused.json()["response_action"] == "errors"
    done = await world.slack.submit(
        "U0MIA", modal, {KUDOS_MESSAGE: "Thanks for chasing the warehouse access"}
    )
    assert done.json()["response_action"] == "update"
    await deliver(world)
    [given] = await kudos_rows(world.database)
    assert (given.source, given.message) == ("checkin", "Thanks for chasing the warehouse access")
    assert world.sandbox.messages_in("C0KUDOS") == []  # private unless chosen
    assert any("Thanks for chasing" in texts(m) for m in world.dm("U0ANA"))

    await click(world, "U0MIA", digest, "🙌 Recognise")
    await world.slack.submit(
        "U0MIA", world.last_modal(), {KUDOS_MESSAGE: "<!here> and the launch", SHARE: SHARE_PUBLIC}
    )
    await deliver(world)
    [post] = world.sandbox.messages_in("C0KUDOS")
    assert "and the launch" in texts(post) and "<!here>" not in str(post)
    # A peer cannot recognise from someone else's digest buttons.
    await click(world, "U0LI", digest, "🙌 Recognise")
    assert "own direct reports" in texts(world.dm("U0LI")[-1])
    assert len(await kudos_rows(world.database)) == 2
