"""1:1 agendas on Slack, end to end: `/okr 1on1 @person` between a manager and a direct report
puts a private agenda in the caller's DM (valid Block Kit), `/okr agenda add @person …` adds to
it, Mark discussed records the 1:1 once; anyone else is refused without learning anything, and
nothing of it reaches a public answer, another person's Home or an export."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from okrbot.adapters.slack.blockkit_limits import blockkit_problems, view_problems
from okrbot.bot.agenda import ADD_NOTE, ITEM_TEXT, MARK_DISCUSSED
from okrbot.bot.quarters import Quarter
from okrbot.storage.db import Database
from okrbot.storage.export import export_okrs_csv, export_okrs_json
from okrbot.storage.models import (
    AgendaItemRow,
    CheckInRow,
    DeliveryRow,
    KeyResultRow,
    OneOnOneRow,
    PersonRow,
)
from tests.test_slack_e2e import SlackWorld, checkin_as, slack_world, texts
from tests.test_team_updates import FRIDAY_CLOSE, TEAM_CHANNEL, opt_in

ANA, LI, MIA, ZOE = "<@U0ANA|ana>", "<@U0LI|li>", "<@U0MIA|mia>", "<@U0ZOE|zoe>"
REFUSED = "works only between a manager and their direct report"


@pytest.fixture
async def world(database: Database) -> AsyncIterator[SlackWorld]:
    async with slack_world(database) as running:
        # Zoe manages Mia: Ana's skip-level manager.
        running.sandbox.add_user("U0ZOE", "zoe", "zoe@example.com", tz="Europe/London")
        async with database.transaction() as session:
            zoe = PersonRow(email="zoe@example.com", name="Zoe Chief")
            session.add(zoe)
            await session.flush()
            await session.execute(
                update(PersonRow)
                .where(PersonRow.email == "mia@example.com")
                .values(manager_id=zoe.id)
            )
        yield running


async def okr(world: SlackWorld, user: str, text: str) -> str:
    """Run `/okr text` as `user`; the text of okrbot's private answer where they typed."""
    reply = await world.slack.command(user, "/okr", text)
    assert reply.status == 200
    body = reply.json()
    assert blockkit_problems(body.get("blocks") or [], "message") == []
    return texts(body) or body.get("text", "")


def mia_dm(world: SlackWorld) -> str:
    return world.sandbox.dm_channel("U0MIA") or ""


async def ana_checked_in_at_risk(world: SlackWorld) -> None:
    """Ana's last week's check-in: Activation at risk, with a blocker."""
    now = world.clock.now()
    async with world.database.transaction() as session:
        kr = await session.scalar(
            select(KeyResultRow).where(KeyResultRow.title.startswith("Activation"))
        )
        assert kr is not None
        session.add(
            CheckInRow(
                key_result_id=kr.id,
                person_id=kr.owner_id,
                period="2026-W46",
                value=44,
                confidence="at_risk",
                note="Blocked on access to the analytics warehouse",
                platform="slack",
                created_at=now - timedelta(days=7),
                updated_at=now - timedelta(days=7),
            )
        )


async def test_a_manager_gets_the_agenda_in_their_dm_and_marks_it_discussed(
    world: SlackWorld,
) -> None:
    await ana_checked_in_at_risk(world)
    await world.slack.command("U0LI", "/kudos", f"{ANA} thanks for the onboarding guide")
    added = await okr(world, "U0ANA", f"agenda add {MIA} Career path: the staff engineer role")
    assert "Added to your 1:1 agenda with Mia Boss" in added
    world.clock.advance(timedelta(hours=1))

    pointer = await okr(world, "U0MIA", f"1on1 {ANA}")
    assert pointer == "Your 1:1 agenda with Ana Lima is in your DM with okrbot."
    [agenda] = [m for m in world.dm("U0MIA") if "1:1 agenda" in texts(m)]
    assert blockkit_problems(agenda["blocks"], "message") == []
    shown = texts(agenda)
    assert "1:1 agenda · Ana Lima" in shown
    assert "Since the quarter started (Thu 1 Oct); no 1:1 recorded yet" in shown
    assert "*Activation from 40% to 60%*" in shown and "At risk" in shown
    assert "Week 46, Activation from 40% to 60% (At risk): “Blocked on access" in shown
    assert "From Li Wei: “thanks for the onboarding guide”" in shown
    assert "Ana Lima: “Career path: the staff engineer role”" in shown
    assert "Only you see this" in shown

    for _ in range(2):  # a double click
        await world.slack.click("U0MIA", agenda, MARK_DISCUSSED, mia_dm(world))
    [now] = [m for m in world.dm("U0MIA") if m["ts"] == agenda["ts"]]
    assert "Mia Boss marked this 1:1 held on Mon 16 Nov (1 item marked discussed)" in texts(now)
    async with world.database.reading() as session:
        assert len(list(await session.scalars(select(OneOnOneRow)))) == 1
        [item] = await session.scalars(select(AgendaItemRow))
        assert item.discussed_at is not None

    # The next agenda starts from this 1:1: the key result still at risk stays on it; the
    # notes, kudos and items from before it do not.
    world.clock.advance(timedelta(days=1))
    await okr(world, "U0ANA", f"1on1 {MIA}")
    latest = texts(world.dm("U0ANA")[-1])
    assert "Since your last 1:1 (Mon 16 Nov)" in latest
    assert "*Activation from 40% to 60%*" in latest
    for before in ("Career path", "Blocked on", "onboarding guide"):
        assert before not in latest


async def test_the_report_may_run_it_on_their_manager(world: SlackWorld) -> None:
    await okr(world, "U0ANA", f"1on1 {MIA}")
    [agenda] = world.dm("U0ANA")
    assert "1:1 agenda · Mia Boss" in texts(agenda)


async def test_an_agenda_with_nothing_to_discuss_says_so_plainly(world: SlackWorld) -> None:
    await okr(world, "U0MIA", f"1on1 {LI}")
    [agenda] = world.dm("U0MIA")
    shown = texts(agenda)
    assert "Nothing to discuss yet: no key result at risk or stale, no blockers or notes" in shown
    assert "`/okr agenda add @Li Wei …`" in shown
    assert not any(b["type"] == "actions" for b in agenda["blocks"])


@pytest.mark.parametrize(
    ("who", "named"),
    [("U0LI", ANA), ("U0ZOE", ANA), ("U0ANA", ANA), ("U0LI", "<@U0NOBODY|nobody>")],
    ids=["a peer", "a skip-level manager", "themself", "someone okrbot does not know"],
)
async def test_anyone_but_the_pair_is_refused_and_learns_nothing(
    world: SlackWorld, who: str, named: str
) -> None:
    await ana_checked_in_at_risk(world)
    answer = await okr(world, who, f"1on1 {named}")
    assert REFUSED in answer
    assert "Ana" not in answer and "Blocked" not in answer
    assert world.dm(who) == []


async def test_adding_an_item_for_someone_not_your_report_or_manager_stores_nothing(
    world: SlackWorld,
) -> None:
    assert REFUSED in await okr(world, "U0LI", f"agenda add {ANA} Her salary")
    assert REFUSED in await okr(world, "U0ZOE", f"agenda add {ANA} Skip-level item")
    assert "Say what to talk about" in await okr(world, "U0MIA", f"agenda add {ANA}")
    assert "Name the person with an @mention" in await okr(world, "U0MIA", "1on1 Ana")
    assert "adds an item to it" in await okr(world, "U0MIA", "agenda")
    async with world.database.reading() as session:
        assert list(await session.scalars(select(AgendaItemRow))) == []


async def test_a_deactivated_report_has_no_agenda(world: SlackWorld) -> None:
    await okr(world, "U0MIA", f"1on1 {ANA} every tuesday 10:00")
    async with world.database.transaction() as session:
        await session.execute(
            update(PersonRow)
            .where(PersonRow.email == "ana@example.com")
            .values(deactivated_at=datetime(2026, 11, 10, tzinfo=UTC))
        )
    answer = await okr(world, "U0MIA", f"1on1 {ANA}")
    assert answer.startswith("Ana Lima no longer uses okrbot (deactivated)")
    assert "no longer uses okrbot" in await okr(world, "U0MIA", f"agenda add {ANA} Handover")
    assert REFUSED in await okr(world, "U0LI", f"1on1 {ANA}")  # nothing said to a peer
    world.clock.set(datetime(2026, 11, 17, 8, 0, tzinfo=UTC))  # the rhythm's agenda is due
    await deliver(world)
    assert world.dm("U0MIA") == []
    assert [status for _who, _due, status in await agenda_deliveries(world)] == ["suppressed"] * 2


async def test_agenda_items_never_reach_a_public_answer_another_home_or_an_export(
    world: SlackWorld,
) -> None:
    world.sandbox.add_channel(TEAM_CHANNEL)
    await opt_in(world)  # Mia's team's weekly OKR update goes to a channel
    await world.runtime.ticker.tick()  # everyone's digest time is planned
    await world.send_prompts()  # this week's: the digests report on it
    secret = "Performance concern about the release"
    await okr(world, "U0MIA", f"agenda add {ANA} {secret}")
    await okr(world, "U0MIA", f"1on1 {ANA}")
    agenda = world.dm("U0MIA")[-1]
    await world.slack.click("U0MIA", agenda, MARK_DISCUSSED, mia_dm(world))
    await okr(world, "U0ANA", f"agenda add {MIA} A second private item")

    public = [
        await okr(world, who, text)
        for who in ("U0LI", "U0ZOE", "U0ANA")
        for text in (f"{ANA}", "team", "release", "")
    ]
    await world.slack.open_home("U0LI")
    homes = [texts(view) for view in world.sandbox.home_views.values()]
    async with world.database.reading() as session:
        exports = [
            await export_okrs_csv(session, Quarter.parse("2026-Q4")),
            await export_okrs_json(session, Quarter.parse("2026-Q4")),
        ]
    # The week closes: the team's channel post, Mia's digest and her manager Zoe's.
    world.clock.set(FRIDAY_CLOSE)
    await world.runtime.ticker.tick()
    channel = [texts(m) for m in world.sandbox.messages_in(TEAM_CHANNEL)]
    digests = [texts(m) for m in world.dm("U0MIA") if "Your team" in texts(m)]
    skip_level = [texts(m) for m in world.dm("U0ZOE")]
    assert channel, "no team post"
    assert digests, "no digest for Mia"
    assert skip_level, "no digest for Zoe"
    for seen in (*public, *homes, *exports, *channel, *digests, *skip_level):
        assert secret not in seen and "second private item" not in seen
        assert "1:1" not in seen


async def test_a_check_in_note_goes_on_the_agenda_from_the_summary(world: SlackWorld) -> None:
    await checkin_as(world, "U0ANA", "ana@example.com", "45", "Blocked on the data export")
    summary = world.dm("U0ANA")[-1]
    assert "Add to 1:1 agenda" in texts(summary)
    await world.slack.click("U0ANA", summary, ADD_NOTE, world.sandbox.dm_channel("U0ANA") or "")
    # As the sandbox stored it, with its id and hash: submitting it twice is a double click.
    modal = list(world.sandbox.views.values())[-1]
    assert view_problems(world.last_modal()) == []
    [field] = [b for b in modal["blocks"] if b.get("block_id") == ITEM_TEXT]
    assert field["label"]["text"] == "What to talk about with Mia Boss"
    assert field["element"]["initial_value"].startswith("Blocked on the data export")

    reply = await world.slack.submit("U0ANA", modal, {ITEM_TEXT: "  "})
    assert reply.json()["errors"] == {ITEM_TEXT: "Write what you would like to talk about."}
    for _ in range(2):  # a double submit: one item
        reply = await world.slack.submit(
            "U0ANA", modal, {ITEM_TEXT: "The data export blocks activation"}
        )
    assert "Added to your 1:1 agenda with Mia Boss" in texts(reply.json()["view"])
    async with world.database.reading() as session:
        [item] = await session.scalars(select(AgendaItemRow))
    assert item.checkin_id is not None and item.author_id == item.report_id

    world.clock.advance(timedelta(minutes=5))
    await okr(world, "U0MIA", f"1on1 {ANA}")
    assert "Ana Lima: “The data export blocks activation”" in texts(world.dm("U0MIA")[-1])


async def test_without_a_manager_or_a_note_the_summary_has_no_agenda_button(
    world: SlackWorld,
) -> None:
    await checkin_as(world, "U0ANA", "ana@example.com", "45", "")
    assert "Add to 1:1 agenda" not in texts(world.dm("U0ANA")[-1])
    async with world.database.transaction() as session:  # Mia's own manager leaves okrbot
        await session.execute(
            update(PersonRow).where(PersonRow.email == "mia@example.com").values(manager_id=None)
        )
    await checkin_as(world, "U0MIA", "mia@example.com", "31", "NPS survey delayed")
    assert "Add to 1:1 agenda" not in texts(world.dm("U0MIA")[-1])


async def deliver(world: SlackWorld) -> int:
    sent = 0
    while count := await world.runtime.outbox.deliver_due(world.runtime.courier):
        sent += count
    return sent


async def agenda_deliveries(world: SlackWorld) -> list[tuple[int | None, datetime, str]]:
    async with world.database.reading() as session:
        rows = await session.scalars(
            select(DeliveryRow)
            .where(DeliveryRow.kind == "one_on_one_agenda")
            .order_by(DeliveryRow.id)
        )
        return [(row.person_id, row.due_at, row.status) for row in rows]


async def test_with_a_rhythm_both_get_the_agenda_an_hour_before_once(world: SlackWorld) -> None:
    answer = await okr(world, "U0MIA", f"1on1 {ANA} every tuesday 10:00")
    assert answer == (
        "Your 1:1 with Ana Lima is every Tuesday at 10:00 (Europe/Berlin time); the first is "
        "Tue 17 Nov at 10:00. You both get the agenda an hour before."
    )
    await okr(world, "U0ANA", f"agenda add {MIA} Conference budget")
    world.clock.set(datetime(2026, 11, 17, 7, 59, tzinfo=UTC))  # 08:59 in Berlin
    assert await deliver(world) == 0
    world.clock.set(datetime(2026, 11, 17, 8, 0, tzinfo=UTC))  # 09:00 in Berlin
    await deliver(world)
    [for_mia] = [m for m in world.dm("U0MIA") if "1:1 agenda" in texts(m)]
    [for_ana] = [m for m in world.dm("U0ANA") if "1:1 agenda" in texts(m)]
    assert "1:1 agenda · Ana Lima · Tue 17 Nov 10:00" in texts(for_mia)
    assert "1:1 agenda · Mia Boss · Tue 17 Nov 04:00" in texts(for_ana)  # Ana's New York time
    assert "Ana Lima: “Conference budget”" in texts(for_mia)
    assert blockkit_problems(for_mia["blocks"], "message") == []

    # Delivering again (a second replica, a retry) sends nothing more; the next meeting's two
    # agendas are queued once.
    assert await deliver(world) == 0
    await world.runtime.ticker.tick()
    assert len([m for m in world.dm("U0MIA") if "1:1 agenda" in texts(m)]) == 1
    deliveries = await agenda_deliveries(world)
    assert sorted((due, status) for _who, due, status in deliveries) == [
        (datetime(2026, 11, 17, 8, 0, tzinfo=UTC), "sent"),
        (datetime(2026, 11, 17, 8, 0, tzinfo=UTC), "sent"),
        (datetime(2026, 11, 24, 8, 0, tzinfo=UTC), "pending"),
        (datetime(2026, 11, 24, 8, 0, tzinfo=UTC), "pending"),
    ]

    # Its Mark discussed works like the one of `/okr 1on1`: from either of the two.
    await world.slack.click(
        "U0ANA", for_ana, MARK_DISCUSSED, world.sandbox.dm_channel("U0ANA") or ""
    )
    assert "Ana Lima marked this 1:1 held" in texts(world.dm("U0ANA")[-1])


async def test_the_agenda_stays_an_hour_before_the_local_time_across_a_dst_change(
    world: SlackWorld,
) -> None:
    """Berlin leaves summer time on Sunday 25 October: a 10:00 meeting is at 08:00 UTC on the
    20th and at 09:00 UTC on the 27th, and its agenda goes at 09:00 Berlin time both times."""
    world.clock.set(datetime(2026, 10, 19, 12, 0, tzinfo=UTC))
    answer = await okr(world, "U0MIA", f"1on1 {ANA} every tuesday 10:00")
    assert "the first is Tue 20 Oct at 10:00" in answer
    world.clock.set(datetime(2026, 10, 20, 7, 0, tzinfo=UTC))  # 09:00 in Berlin (CEST)
    await deliver(world)
    assert "1:1 agenda · Ana Lima · Tue 20 Oct 10:00" in texts(world.dm("U0MIA")[-1])
    world.clock.set(datetime(2026, 10, 27, 7, 0, tzinfo=UTC))  # 08:00 in Berlin (CET): not yet
    assert await deliver(world) == 0
    world.clock.set(datetime(2026, 10, 27, 8, 0, tzinfo=UTC))  # 09:00 in Berlin
    await deliver(world)
    assert "1:1 agenda · Ana Lima · Tue 27 Oct 10:00" in texts(world.dm("U0MIA")[-1])


async def test_every_other_week_skips_a_week_and_off_stops_what_was_queued(
    world: SlackWorld,
) -> None:
    answer = await okr(world, "U0ANA", f"1on1 {MIA} every other thursday 15:30")
    assert "every other Thursday at 15:30 (Europe/Berlin time); the first is Thu 19 Nov" in answer
    world.clock.set(datetime(2026, 11, 19, 13, 30, tzinfo=UTC))  # 14:30 in Berlin
    await deliver(world)
    pending = [due for _who, due, status in await agenda_deliveries(world) if status == "pending"]
    assert pending == [datetime(2026, 12, 3, 13, 30, tzinfo=UTC)] * 2

    stopped = await okr(world, "U0MIA", f"1on1 {ANA} off")
    assert stopped == (
        "Your 1:1 with Ana Lima has no rhythm now: no more agendas come by themselves."
    )
    before = len(world.dm("U0MIA"))
    world.clock.set(datetime(2026, 12, 3, 13, 30, tzinfo=UTC))
    await deliver(world)
    assert len(world.dm("U0MIA")) == before
    assert "had no rhythm; nothing changed" in await okr(world, "U0MIA", f"1on1 {ANA} off")


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("every funday 10:00", "'funday' is not a day; use one of mon, tue"),
        ("every tuesday 25:00", "'25:00' is not a time; write it as HH:MM"),
        ("every tuesday", "Say the day and the time, e.g. `every tuesday 10:00`"),
        ("sometimes", "I couldn't read “sometimes” as a rhythm"),
    ],
)
async def test_a_rhythm_that_cannot_be_read_is_refused_with_what_to_type(
    world: SlackWorld, typed: str, error: str
) -> None:
    answer = await okr(world, "U0MIA", f"1on1 {ANA} {typed}")
    assert error in answer and "`/okr 1on1 @person every other tuesday 10:00`" in answer
    assert await agenda_deliveries(world) == []


async def test_only_the_pair_may_set_a_rhythm(world: SlackWorld) -> None:
    assert REFUSED in await okr(world, "U0LI", f"1on1 {ANA} every tuesday 10:00")
    assert REFUSED in await okr(world, "U0ZOE", f"1on1 {ANA} every tuesday 10:00")
    assert await agenda_deliveries(world) == []
