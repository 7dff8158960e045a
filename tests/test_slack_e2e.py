"""The weekly check-in on Slack, end to end: real Bolt app, real HTTP, signed requests, sandbox."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from okrbot.adapters.slack.blockkit_limits import blockkit_problems, view_problems
from okrbot.adapters.slack.sandbox import SlackSandbox
from okrbot.adapters.slack.simulator import Grid, SlackSimulator
from okrbot.bot.clock import FakeClock
from okrbot.bot.messages import NOT_SET_UP
from okrbot.cli.runtime import Runtime, build_runtime
from okrbot.scheduler.outbox import MAX_ATTEMPTS, enqueue, list_deliveries
from okrbot.scheduler.prompts import enqueue_prompts_now
from okrbot.storage.db import Database
from okrbot.storage.models import (
    CheckInRow,
    KeyResultRow,
    KudosRow,
    ObjectiveRow,
    PersonRow,
    PersonWeekRow,
)
from okrbot.storage.people import get_person_by_email, list_people
from tests.world import MONDAY, Seed, serving, slack_settings

SECRET = "test-signing-secret"


@dataclass
class SlackWorld:
    runtime: Runtime
    sandbox: SlackSandbox
    slack: SlackSimulator
    clock: FakeClock
    database: Database

    async def send_prompts(self, *emails: str) -> None:
        """This week's prompt, now, to everyone (or to the people with `emails`)."""
        async with self.database.reading() as session:
            people = [p for p in await list_people(session) if not emails or p.email in emails]
        await enqueue_prompts_now(self.database, people, self.clock.now(), "UTC")
        while await self.runtime.outbox.deliver_due(self.runtime.courier):
            pass

    def dm(self, user_id: str) -> list[dict]:
        return self.sandbox.messages_in(user_id)

    def last_modal(self) -> dict:
        return self.sandbox.calls_to("views.open")[-1].params["view"]


async def seed(database: Database) -> None:
    await (
        Seed()
        .person("mia", "mia@example.com", "Mia Boss", timezone="Europe/Berlin")
        .person(
            "ana",
            "ana@example.com",
            "Ana Lima",
            manager="mia",
            timezone="America/New_York",
            slack_user_id="U0ANA",
        )
        .person("li", "li@example.com", "Li Wei", manager="mia")
        .objective("company", "Customers love the product", owner="mia", level="company")
        .onboarding("mine", owner="ana", position=1)
        .churn_objective("theirs", owner="li", position=2)
        .key_result(
            None,
            "NPS from 30 to 50",
            objective="company",
            owner="mia",
            start=30,
            target=50,
            current=30,
            position=0,
        )
        .activation("activation", objective="mine", owner="ana")
        .setup_guide("guide", objective="mine", owner="ana")
        .churn("churn", objective="theirs", owner="li")
        .write(database)
    )


@contextlib.asynccontextmanager
async def slack_world(database: Database, grid: Grid | None = None) -> AsyncIterator[SlackWorld]:
    """okrbot's real server over loopback, a sandboxed workspace with Ana, Li and Mia, and a
    simulator playing Slack (for an Enterprise Grid org-wide install when `grid` is given)."""
    await seed(database)
    sandbox = SlackSandbox()
    await sandbox.start()
    sandbox.add_user("U0ANA", "ana", "ana@example.com", tz="America/New_York")
    sandbox.add_user("U0LI", "li", "li@example.com", tz="Asia/Shanghai")
    sandbox.add_user("U0MIA", "mia", "mia@example.com", tz="Europe/Berlin")
    settings = slack_settings(database, sandbox, SECRET)
    clock = FakeClock(MONDAY)
    runtime = await build_runtime(
        settings, clock=clock, database=database, migrate=False, slack_retry_backoff=0
    )
    try:
        async with serving(runtime) as root:
            slack = SlackSimulator(f"{root}/slack/events", SECRET, sandbox, grid=grid)
            try:
                yield SlackWorld(runtime, sandbox, slack, clock, database)
            finally:
                await slack.close()
    finally:
        await sandbox.stop()


@pytest.fixture
async def world(sqlite_database: Database) -> AsyncIterator[SlackWorld]:
    async with slack_world(sqlite_database) as running:
        yield running


def texts(message: dict) -> str:
    parts = []
    for block in message.get("blocks") or []:
        if "text" in block and isinstance(block["text"], dict):
            parts.append(block["text"]["text"])
        for element in block.get("elements") or []:
            if isinstance(element.get("text"), dict):
                parts.append(element["text"]["text"])
            elif isinstance(element.get("text"), str):
                parts.append(element["text"])
    return "\n".join(parts)


async def checkins(database: Database) -> list[CheckInRow]:
    async with database.reading() as session:
        return list((await session.scalars(select(CheckInRow).order_by(CheckInRow.id))).all())


async def test_prompt_lists_own_key_results_with_buttons(world: SlackWorld) -> None:
    await world.send_prompts()
    [prompt] = world.dm("U0ANA")
    shown = texts(prompt)
    assert "Activation from 40% to 60%" in shown and "Publish the setup guide" in shown
    assert "Churn" not in shown  # Li's key result
    buttons = [e for b in prompt["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["Check in", "Snooze 2h", "Skip this week"]
    assert buttons[0]["style"] == "primary"
    assert blockkit_problems(prompt["blocks"], "message") == []
    # Li had no Slack id: found by email once. DMs go to the user id the first time and to the
    # cached DM channel after that: never a conversations.open per prompt.
    assert len(world.dm("U0LI")) == 1
    await world.send_prompts()
    assert world.sandbox.calls_to("conversations.open") == []
    assert len(world.sandbox.calls_to("users.lookupByEmail")) == 2  # Li and Mia, once each
    posts = world.sandbox.calls_to("chat.postMessage")
    assert [call.params["channel"][0] for call in posts] == ["U", "U", "U", "D", "D", "D"]


async def test_check_in_end_to_end(world: SlackWorld) -> None:
    await world.send_prompts()
    [prompt] = world.dm("U0ANA")
    channel = world.sandbox.dm_channel("U0ANA")
    reply = await world.slack.click("U0ANA", prompt, "checkin_open", channel)
    assert reply.status == 200
    modal = world.last_modal()
    assert view_problems(modal) == []
    block_ids = [b.get("block_id") for b in modal["blocks"] if b["type"] == "input"]
    activation, guide = [kr.id for kr in await _krs(world.database, "ana@example.com")]
    assert f"kr-{activation}-value" in block_ids and f"kr-{guide}-value" in block_ids

    reply = await world.slack.submit(
        "U0ANA",
        modal,
        {
            f"kr-{activation}-value": "47.5",
            f"kr-{activation}-confidence": "on_track",
            f"kr-{activation}-note": "New welcome flow shipped",
            f"kr-{guide}-value": "not_done",
            f"kr-{guide}-confidence": "at_risk",
            f"kr-{guide}-note": "Blocked on <!channel> review",
        },
    )
    assert reply.status == 200 and reply.body == ""  # the modal closes
    stored = await checkins(world.database)
    assert [(c.value, c.confidence) for c in stored] == [(47.5, "on_track"), (0.0, "at_risk")]
    assert stored[0].period == "2026-W47" and stored[0].platform == "slack"
    [updated] = world.dm("U0ANA")
    summary = texts(updated)
    assert "Checked in" in summary and "47.5%" in summary and "+7.5 pts" in summary
    assert "<!channel>" not in summary and "&lt;!channel&gt;" in summary
    assert blockkit_problems(updated["blocks"], "message") == []


async def test_invalid_values_are_refused_and_nothing_is_stored(world: SlackWorld) -> None:
    await world.slack.command("U0ANA", "/okr", "checkin")
    modal = world.last_modal()
    activation, guide = [kr.id for kr in await _krs(world.database, "ana@example.com")]
    reply = await world.slack.submit(
        "U0ANA",
        modal,
        {f"kr-{activation}-value": "lots", f"kr-{guide}-confidence": None},
    )
    body = reply.json()
    assert body["response_action"] == "errors"
    assert "not a number" in body["errors"][f"kr-{activation}-value"]
    assert f"kr-{activation}-confidence" in body["errors"]
    assert await checkins(world.database) == []


async def test_submitting_again_in_the_same_week_amends(world: SlackWorld) -> None:
    activation, guide = [kr.id for kr in await _krs(world.database, "ana@example.com")]
    for value, confidence in (("45", "at_risk"), ("50", "on_track")):
        await world.slack.command("U0ANA", "/okr", "checkin")
        await world.slack.submit(
            "U0ANA",
            world.last_modal(),
            {
                f"kr-{activation}-value": value,
                f"kr-{activation}-confidence": confidence,
                f"kr-{guide}-value": "done",
                f"kr-{guide}-confidence": "on_track",
            },
        )
    stored = await checkins(world.database)
    assert len(stored) == 2
    assert (stored[0].value, stored[0].confidence) == (50.0, "on_track")
    async with world.database.reading() as session:
        assert (await session.get(KeyResultRow, activation)).current == 50.0
        assert (await session.get(KeyResultRow, guide)).current == 1.0


async def test_forged_payload_cannot_write_anothers_key_result(world: SlackWorld) -> None:
    [churn] = await _krs(world.database, "li@example.com")
    activation, guide = [kr.id for kr in await _krs(world.database, "ana@example.com")]
    await world.slack.command("U0ANA", "/okr", "checkin")
    modal = world.last_modal()
    forged = dict(modal)
    forged["private_metadata"] = json.dumps({"page": 0, "person": "li@example.com"})
    forged["blocks"] = [
        *modal["blocks"],
        {
            "type": "input",
            "block_id": f"kr-{churn.id}-value",
            "element": {"type": "number_input", "is_decimal_allowed": True, "action_id": "input"},
            "label": {"type": "plain_text", "text": "x"},
        },
        {
            "type": "input",
            "block_id": f"kr-{churn.id}-confidence",
            "element": {"type": "plain_text_input", "action_id": "input"},
            "label": {"type": "plain_text", "text": "x"},
        },
    ]
    await world.slack.submit(
        "U0ANA",
        forged,
        {
            f"kr-{churn.id}-value": "0.5",
            f"kr-{churn.id}-confidence": "on_track",
            f"kr-{activation}-confidence": "on_track",
            f"kr-{guide}-confidence": "on_track",
        },
    )
    async with world.database.reading() as session:
        assert (await session.get(KeyResultRow, churn.id)).current == 3.5
        written = await session.scalar(
            select(func.count()).select_from(CheckInRow).where(CheckInRow.key_result_id == churn.id)
        )
    assert written == 0
    assert {c.key_result_id for c in await checkins(world.database)} == {activation, guide}


async def test_snooze_sends_the_prompt_again_two_hours_later(world: SlackWorld) -> None:
    await world.send_prompts()
    [prompt] = world.dm("U0ANA")
    channel = world.sandbox.dm_channel("U0ANA")
    await world.slack.click("U0ANA", prompt, "checkin_snooze", channel)
    [snoozed] = world.dm("U0ANA")
    # 12:00 UTC is 07:00 in New York: before Ana's working day, which starts at 08:00.
    assert "Snoozed" in texts(snoozed) and "08:00" in texts(snoozed)
    world.clock.advance(timedelta(minutes=179))
    assert await world.runtime.outbox.deliver_due(world.runtime.courier) == 0
    world.clock.advance(timedelta(minutes=1))
    assert await world.runtime.outbox.deliver_due(world.runtime.courier) == 1
    assert len(world.dm("U0ANA")) == 2
    assert "Weekly check-in" in texts(world.dm("U0ANA")[-1])


async def test_a_double_clicked_snooze_brings_the_prompt_back_once(world: SlackWorld) -> None:
    await world.send_prompts()
    [prompt] = world.dm("U0ANA")
    channel = world.sandbox.dm_channel("U0ANA")
    world.clock.advance(timedelta(hours=4))  # into the working day: back in two hours
    await world.slack.click("U0ANA", prompt, "checkin_snooze", channel)
    world.clock.advance(timedelta(seconds=1))
    await world.slack.click("U0ANA", prompt, "checkin_snooze", channel)
    world.clock.advance(timedelta(hours=3))
    assert await world.runtime.outbox.deliver_due(world.runtime.courier) == 1
    assert len(world.dm("U0ANA")) == 2  # the snoozed note and one prompt, not two


async def test_skip_suppresses_this_weeks_prompts(world: SlackWorld) -> None:
    await world.send_prompts()
    [prompt] = world.dm("U0ANA")
    channel = world.sandbox.dm_channel("U0ANA")
    await world.slack.click("U0ANA", prompt, "checkin_snooze", channel)
    await world.slack.click("U0ANA", prompt, "checkin_skip", channel)
    [skipped] = world.dm("U0ANA")
    assert "Skipped week 47" in texts(skipped)
    world.clock.advance(timedelta(hours=3))
    await world.runtime.outbox.deliver_due(world.runtime.courier)
    assert len(world.dm("U0ANA")) == 1  # the snoozed prompt was not sent


async def test_okr_command_variants(world: SlackWorld) -> None:
    reply = await world.slack.command("U0ANA", "/okr")
    overview = reply.json()
    shown = texts(overview)
    assert "Your OKRs · 2026-Q4" in shown and "Activation from 40% to 60%" in shown
    assert "Churn" not in shown

    reply = await world.slack.command("U0ANA", "/okr", "help")
    assert "/okr checkin" in texts(reply.json())
    assert "`/okr channel` — managers: post your team's OKRs" in texts(reply.json())

    # Other words are a search (tests/test_browse_slack.py); `settings` is Teams' command only.
    reply = await world.slack.command("U0ANA", "/okr", "settings")
    assert "I don't know `/okr settings`" in texts(reply.json())

    before = len(world.sandbox.calls_to("views.open"))
    await world.slack.command("U0ANA", "/okr", "checkin")
    assert len(world.sandbox.calls_to("views.open")) == before + 1

    world.sandbox.add_user("U0NEW", "newbie", "newbie@example.com")
    reply = await world.slack.command("U0NEW", "/okr")
    assert "I don't know you yet" in reply.body


async def test_someone_okrbot_does_not_know_gets_the_one_not_set_up_answer_everywhere(
    world: SlackWorld,
) -> None:
    """A stranger clicking a button, submitting a modal, typing /okr or opening Home is told
    the same thing, in the form each place allows, and nothing of theirs is acted on."""
    await world.send_prompts()
    [prompt] = world.dm("U0ANA")
    await world.slack.command("U0ANA", "/okr", "checkin")
    modal = world.last_modal()
    world.sandbox.add_user("U0NEW", "newbie", "newbie@example.com")
    opened = len(world.sandbox.calls_to("views.open"))

    for action in ("checkin_open", "checkin_snooze", "checkin_skip"):
        clicked = await world.slack.click(
            "U0NEW", prompt, action, world.sandbox.dm_channel("U0ANA")
        )
        assert clicked.status == 200
    told = world.dm("U0NEW")
    assert [texts(message) for message in told] == [NOT_SET_UP] * 3
    assert len(world.sandbox.calls_to("views.open")) == opened  # no check-in form for them
    assert texts(world.dm("U0ANA")[0]) == texts(prompt)  # Ana's prompt is left as it was

    submitted = (await world.slack.submit("U0NEW", modal, {})).json()
    assert submitted["response_action"] == "errors"
    assert list(submitted["errors"].values()) == [NOT_SET_UP]
    assert await checkins(world.database) == []

    assert (await world.slack.command("U0NEW", "/okr")).body == NOT_SET_UP
    await world.slack.open_home("U0NEW")
    assert texts(world.sandbox.home_views["U0NEW"]) == NOT_SET_UP


async def test_app_home_is_published(world: SlackWorld) -> None:
    async with world.database.transaction() as session:
        session.add(
            KudosRow(
                giver_id=None,
                giver_platform_id="U0LI",
                recipient_id=2,
                recipient_platform_id="U0ANA",
                message="Great demo!",
                values=[],
                platform="slack",
                source="command",
                created_at=MONDAY,
            )
        )
    reply = await world.slack.open_home("U0ANA")
    assert reply.status == 200
    home = world.sandbox.home_views["U0ANA"]
    shown = texts(home)
    assert "Your key results" in shown and "Activation from 40% to 60%" in shown
    assert "Great demo!" in shown
    assert "Customers love the product" in shown  # company objectives are for everyone
    your_own = shown.split("My team")[0]
    assert "Churn" not in your_own and "Churn" in shown  # Li's, in Ana's team
    assert view_problems(home) == []


async def test_forged_and_stale_signatures_are_rejected(world: SlackWorld) -> None:
    body = b"token=x&team_id=T0SANDBOX&user_id=U0ANA&command=%2Fokr&text=&trigger_id=1.2.3"
    forged = await world.slack.post(
        body, "application/x-www-form-urlencoded", signature="v0=" + "0" * 64
    )
    assert forged.status == 401
    stale = str(int(time.time()) - 6 * 60)
    old = await world.slack.post(body, "application/x-www-form-urlencoded", timestamp=stale)
    assert old.status == 401
    junk = await world.slack.post(b"\xff\xfe not a form", "text/plain", signature="v0=1")
    assert junk.status == 401
    assert world.sandbox.calls == []


async def test_a_retried_event_is_handled_once(world: SlackWorld) -> None:
    first = await world.slack.open_home("U0ANA", event_id="EvSAME")
    retry = await world.slack.open_home("U0ANA", event_id="EvSAME", retry=1)
    assert first.status == retry.status == 200
    assert len(world.sandbox.calls_to("views.publish")) == 1


async def test_recovers_from_rate_limits_and_server_errors(world: SlackWorld) -> None:
    world.sandbox.fail_next("chat.postMessage", error="ratelimited", retry_after=0, count=1)
    world.sandbox.fail_next("users.lookupByEmail", status=503, count=1)
    await world.send_prompts()
    world.clock.advance(timedelta(seconds=1))  # the outbox waits out the 429's Retry-After
    while await world.runtime.outbox.deliver_due(world.runtime.courier):
        pass
    assert len(world.dm("U0ANA")) == 1 and len(world.dm("U0LI")) == 1
    # A failure beyond the client's own retries goes back to the outbox, and nothing is lost.
    world.sandbox.fail_next("chat.postMessage", status=500, count=3)
    async with world.database.reading() as session:
        people = await list_people(session)
    await enqueue_prompts_now(world.database, people[:1], world.clock.now(), "UTC")
    assert await world.runtime.outbox.deliver_due(world.runtime.courier) == 0
    world.clock.advance(timedelta(minutes=5))
    assert await world.runtime.outbox.deliver_due(world.runtime.courier) == 1


async def test_a_long_rate_limit_delays_a_prompt_but_never_drops_it(world: SlackWorld) -> None:
    """Slack answers 429 to every post for longer than a delivery has attempts: throttling is
    waiting, so the prompt still goes out once Slack lets it, with no attempt used up."""
    throttled_passes = MAX_ATTEMPTS + 2  # the outbox's posts leave a 429 to the outbox
    world.sandbox.fail_next(
        "chat.postMessage", error="ratelimited", retry_after=0, count=throttled_passes
    )
    async with world.database.reading() as session:
        ana = [p for p in await list_people(session) if p.email == "ana@example.com"]
    await enqueue_prompts_now(world.database, ana, world.clock.now(), "UTC")
    for _ in range(throttled_passes):
        assert await world.runtime.outbox.deliver_due(world.runtime.courier) == 0
        world.clock.advance(timedelta(seconds=1))
    assert await world.runtime.outbox.deliver_due(world.runtime.courier) == 1
    assert len(world.dm("U0ANA")) == 1
    [row] = [d for d in await list_deliveries(world.database) if d.kind == "prompt"]
    assert (row.status, row.attempts) == ("sent", 1)


async def test_a_send_that_failed_after_its_first_part_sends_only_the_rest(
    world: SlackWorld,
) -> None:
    """Part 1 of Ana's two-part prompt is posted, part 2 is refused (a 500, so nothing about
    part 1 is in doubt): the retry posts part 2 only, and both parts are on record."""
    await busy_quarter(world)
    world.sandbox.fail_next("chat.postMessage", delay=0.001)  # part 1 goes through
    world.sandbox.fail_next("chat.postMessage", status=500, count=3)  # part 2, and its retries
    async with world.database.reading() as session:
        ana = [p for p in await list_people(session) if p.email == "ana@example.com"]
    await enqueue_prompts_now(world.database, ana, world.clock.now(), "UTC")
    assert await world.runtime.outbox.deliver_due(world.runtime.courier) == 0
    assert len(world.dm("U0ANA")) == 1
    world.clock.advance(timedelta(minutes=5))
    assert await world.runtime.outbox.deliver_due(world.runtime.courier) == 1
    parts = world.dm("U0ANA")
    assert len(parts) == 2 and "60 key results" in texts(parts[0])
    assert "60 key results" not in texts(parts[1])  # the second part, not the first again
    async with world.database.reading() as session:
        [week] = (await session.scalars(select(PersonWeekRow))).all()
    assert [ref["ts"] for ref in week.prompt_refs] == [part["ts"] for part in parts]


async def busy_quarter(world: SlackWorld, count: int = 58) -> None:
    """Ana owns `count` more key results: her prompt comes in two parts."""
    async with world.database.transaction() as session:
        objective = ObjectiveRow(
            quarter="2026-Q4",
            title="A very busy quarter",
            level="personal",
            kind="aspirational",
            owner_id=2,
            position=5,
        )
        session.add(objective)
        await session.flush()
        session.add_all(
            KeyResultRow(
                objective_id=objective.id,
                title=f"Metric {n} from 0 to {n + 1}",
                owner_id=2,
                type="number",
                start=0,
                target=n + 1,
                current=0,
                position=n,
            )
            for n in range(count)
        )


async def test_many_key_results_still_make_valid_messages_and_modals(world: SlackWorld) -> None:
    await busy_quarter(world)
    await world.send_prompts()
    parts = world.dm("U0ANA")
    assert len(parts) == 2
    for part in parts:
        assert blockkit_problems(part["blocks"], "message") == []
    assert "60 key results" in texts(parts[0])
    await world.slack.command("U0ANA", "/okr", "checkin")
    first = world.last_modal()
    assert view_problems(first) == [] and "1 of 4" in first["title"]["text"]
    reply = await world.slack.submit("U0ANA", first, {})
    # The initial values are prefilled; a missing confidence is what stops the page.
    assert reply.json()["response_action"] == "errors"
    krs = await _krs(world.database, "ana@example.com")
    answers = {f"kr-{kr.id}-confidence": "on_track" for kr in krs}
    reply = await world.slack.submit("U0ANA", first, answers)
    body = reply.json()
    assert body["response_action"] == "update"
    assert "2 of 4" in body["view"]["title"]["text"]
    assert view_problems(body["view"]) == []


async def _krs(database: Database, email: str) -> list[KeyResultRow]:
    async with database.reading() as session:
        return list(
            (
                await session.scalars(
                    select(KeyResultRow)
                    .join(PersonRow, KeyResultRow.owner_id == PersonRow.id)
                    .join(ObjectiveRow, KeyResultRow.objective_id == ObjectiveRow.id)
                    .where(PersonRow.email == email)
                    .order_by(ObjectiveRow.position, KeyResultRow.position)
                )
            ).all()
        )


# -- manager digests, nudges, reflections and the quarter summary -----------------------------


async def checkin_as(world: SlackWorld, user: str, email: str, value: str, note: str) -> None:
    krs = await _krs(world.database, email)
    await world.slack.command(user, "/okr", "checkin")
    answers: dict[str, object] = {}
    for kr in krs:
        if kr.type == "milestone":
            answers[f"kr-{kr.id}-value"] = "not_done"
        else:
            answers[f"kr-{kr.id}-value"] = value
        answers[f"kr-{kr.id}-confidence"] = "at_risk"
        answers[f"kr-{kr.id}-note"] = note
    await world.slack.submit(user, world.last_modal(), answers)


async def add_other_team(world: SlackWorld) -> None:
    """Bob manages Zed, who checks in with a private note: none of it is Mia's business."""
    async with world.database.transaction() as session:
        bob = PersonRow(email="bob@example.com", name="Bob Other", slack_user_id="U0BOB")
        session.add(bob)
        await session.flush()
        session.add(
            PersonRow(
                email="zed@example.com",
                name="Zed Secret",
                manager_id=bob.id,
                slack_user_id="U0ZED",
                timezone="UTC",
            )
        )
    world.sandbox.add_user("U0BOB", "bob", "bob@example.com")
    world.sandbox.add_user("U0ZED", "zed", "zed@example.com")


async def test_weekly_digest_goes_to_the_manager_only(world: SlackWorld) -> None:
    await add_other_team(world)
    await world.runtime.ticker.tick()
    await world.send_prompts("ana@example.com", "li@example.com")  # both asked this week
    await checkin_as(world, "U0ANA", "ana@example.com", "45", "Waiting on the design review")
    world.clock.set(datetime(2026, 11, 20, 14, 0, tzinfo=UTC))  # Friday 15:00 in Berlin
    await world.runtime.ticker.tick()
    [digest] = [m for m in world.dm("U0MIA") if "Your team" in texts(m)]
    shown = texts(digest)
    assert "Checked in 1 of 2" in shown
    assert "Waiting on the design review" in shown  # notes verbatim, for the manager
    assert "Li Wei" in shown and "Nudge Li" in shown
    assert "Zed" not in shown and "Bob" not in shown  # another team's people stay out
    assert "not a performance rating" in shown
    assert blockkit_problems(digest["blocks"], "message") == []
    posts = [c for c in world.sandbox.calls_to("chat.postMessage") if "Your team" in str(c.params)]
    assert {c.params["channel"][0] for c in posts} <= {"U", "D"}  # DMs, never a channel
    assert world.dm("U0BOB") == [] or all("Ana" not in texts(m) for m in world.dm("U0BOB"))


async def test_nudge_reaches_only_the_managers_own_report(world: SlackWorld) -> None:
    await add_other_team(world)
    await world.runtime.ticker.tick()
    await world.send_prompts("ana@example.com", "li@example.com")
    world.clock.set(datetime(2026, 11, 20, 14, 0, tzinfo=UTC))
    await world.runtime.ticker.tick()
    [digest] = [m for m in world.dm("U0MIA") if "Your team" in texts(m)]
    before = len(world.dm("U0LI"))
    channel = world.sandbox.dm_channel("U0MIA") or ""
    # Ana and Li have not checked in: two Nudge buttons in one block, each with its own id.
    [nudge_li] = only_button(digest, "Nudge Li")["blocks"][0]["elements"]
    assert nudge_li["action_id"].startswith("digest_nudge#")
    await world.slack.click("U0MIA", digest, nudge_li["action_id"], channel)
    await world.runtime.ticker.tick()
    # Friday 22:00 in Shanghai: Li's next working moment is Monday, when week 47 has closed.
    assert len(world.dm("U0LI")) == before
    assert (
        "outside Li's working hours until Mon 08:00 (Asia/Shanghai), after this week's "
        "check-in has closed" in texts(world.dm("U0MIA")[-1])
    )
    world.clock.set(datetime(2026, 11, 20, 1, 0, tzinfo=UTC))  # Friday 09:00 in Shanghai
    await world.slack.click("U0MIA", digest, nudge_li["action_id"], channel)
    await world.runtime.ticker.tick()
    assert len(world.dm("U0LI")) == before + 1
    assert "still open" in texts(world.dm("U0LI")[-1])
    assert "Reminding Li to check in now" in texts(world.dm("U0MIA")[-1])
    # A forged nudge from someone who is not Zed's manager reaches nobody.
    zed = await _person_id(world.database, "zed@example.com")
    forged = dict(digest)
    forged["blocks"] = [
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "digest_nudge",
                    "text": {"type": "plain_text", "text": "x"},
                    "value": str(zed),
                }
            ],
        }
    ]
    await world.slack.click(
        "U0ANA", forged, "digest_nudge", world.sandbox.dm_channel("U0ANA") or ""
    )
    await world.runtime.ticker.tick()
    assert world.dm("U0ZED") == []
    assert "only nudge your own direct reports" in texts(world.dm("U0ANA")[-1])


async def test_reflection_then_quarter_summary_with_chart(world: SlackWorld) -> None:
    await world.runtime.ticker.tick()
    await checkin_as(world, "U0ANA", "ana@example.com", "52", "Good progress")
    world.clock.set(datetime(2026, 12, 27, 12, 0, tzinfo=UTC))  # okrbot ran all along
    await world.runtime.ticker.tick()
    world.clock.set(datetime(2026, 12, 28, 15, 30, tzinfo=UTC))  # last week, after 10:00 NY
    await world.runtime.ticker.tick()
    [prompt] = [m for m in world.dm("U0ANA") if "Looking back on 2026-Q4" in texts(m)]
    channel = world.sandbox.dm_channel("U0ANA") or ""
    await world.slack.click("U0ANA", prompt, "reflection_open", channel)
    modal = world.last_modal()
    assert view_problems(modal) == []
    activation, guide = [kr.id for kr in await _krs(world.database, "ana@example.com")]
    bad = await world.slack.submit("U0ANA", modal, {f"kr-{activation}-self": "1.5"})
    assert "0.0 to 1.0" in bad.json()["errors"][f"kr-{activation}-self"]
    ok = await world.slack.submit(
        "U0ANA",
        modal,
        {
            f"kr-{activation}-self": "0.6",
            f"kr-{guide}-self": "0.2",
            "went-well": "The welcome flow",
            "do-differently": "Start the guide earlier",
        },
    )
    assert ok.status == 200 and ok.body == ""
    assert "reflection on 2026-Q4 is saved" in texts(world.dm("U0ANA")[-1])

    # The first weekday after the quarter: the summary waits for Li's reflection.
    world.clock.set(datetime(2027, 1, 1, 14, 30, tzinfo=UTC))  # Friday, 15:30 in Berlin
    await world.runtime.ticker.tick()
    assert not [m for m in world.dm("U0MIA") if "Quarter summary" in texts(m)]
    # Ana may still edit hers in the week after the quarter.
    await world.slack.click("U0ANA", prompt, "reflection_open", channel)
    assert world.last_modal()["title"]["text"] == "Reflect on 2026-Q4"

    # Li never writes one: the window closes on Thursday 7 January at 15:00 in Berlin.
    world.clock.set(datetime(2027, 1, 7, 13, 59, tzinfo=UTC))
    await world.runtime.ticker.tick()
    assert not [m for m in world.dm("U0MIA") if "Quarter summary" in texts(m)]
    world.clock.set(datetime(2027, 1, 7, 14, 0, tzinfo=UTC))
    await world.runtime.ticker.tick()
    summary = [m for m in world.dm("U0MIA") if "Quarter summary · 2026-Q4" in texts(m)]
    shown = "\n".join(texts(m) for m in summary)
    assert "not a performance rating and not a compensation input" in shown
    assert "Start the guide earlier" in shown and "Ana Lima" in shown
    assert "No reflection written yet" in shown  # Li's
    charts = [f for f in world.sandbox.files.values() if f.content.startswith(b"\x89PNG")]
    assert charts and all(world.sandbox.dm_channel("U0MIA") in f.channels for f in charts)

    # The summary has gone out: the reflection is closed.
    await world.slack.click("U0ANA", prompt, "reflection_open", channel)
    assert "reflection on 2026-Q4 is closed" in texts(world.dm("U0ANA")[-1])


async def test_a_summary_whose_second_chart_failed_shares_only_that_chart_again(
    world: SlackWorld,
) -> None:
    await checkin_as(world, "U0ANA", "ana@example.com", "52", "Good progress")
    async with world.database.transaction() as session:
        mia = await _person_id(world.database, "mia@example.com")
        await enqueue(
            session,
            key=f"summary:{mia}:2026-Q4",
            kind="summary",
            due_at=world.clock.now(),
            person_id=mia,
            payload={"quarter": "2026-Q4"},
        )
    world.sandbox.fail_next("upload", delay=0.001)  # Ana's chart is shared
    world.sandbox.fail_next("upload", status=500, count=3)  # Li's is refused, retries too
    assert await world.runtime.outbox.deliver_due(world.runtime.courier) == 0
    world.clock.advance(timedelta(minutes=5))
    assert await world.runtime.outbox.deliver_due(world.runtime.courier) == 1
    summaries = [m for m in world.dm("U0MIA") if "Quarter summary · 2026-Q4" in texts(m)]
    assert len(summaries) == 1  # the message went once
    charts = [f.name for f in world.sandbox.files.values() if (f.content or b"")[:4] == b"\x89PNG"]
    assert sorted(charts) == sorted(set(charts)) and len(charts) == 2  # each chart once


async def test_a_person_sets_their_own_working_hours_in_their_settings(world: SlackWorld) -> None:
    await world.slack.open_home("U0ANA")
    await world.slack.click_in_view("U0ANA", world.sandbox.home_views["U0ANA"], "prefs_open")
    modal = world.last_modal()
    assert initial_option(modal, "prefs-work-start") == "08:00"  # the company's, to start with
    assert view_problems(modal) == []
    chosen = {"prefs-day": "mon", "prefs-time": "10:00"}
    backwards = {
        "prefs-work-start": "14:00",
        "prefs-work-end": "12:00",
        "prefs-work-days": "mon-fri",
    }
    bad = await world.slack.submit("U0ANA", modal, {**chosen, **backwards})
    assert bad.json()["errors"] == {"prefs-work-end": "Finish after you start (14:00)."}
    own = {"prefs-work-start": "10:00", "prefs-work-end": "18:30", "prefs-work-days": "sun-thu"}
    ok = await world.slack.submit("U0ANA", modal, {**chosen, **own})
    assert ok.status == 200
    assert "Sunday to Thursday, 10:00 to 18:30" in texts(world.dm("U0ANA")[-1])
    async with world.database.reading() as session:
        ana = await get_person_by_email(session, "ana@example.com")
    assert ana is not None and world.runtime.checkins.working_hours(ana).days_text == "sun-thu"
    # The settings show them next time; choosing the company's hours again follows the company.
    await world.slack.click_in_view("U0ANA", world.sandbox.home_views["U0ANA"], "prefs_open")
    again = world.last_modal()
    assert initial_option(again, "prefs-work-days") == "sun-thu"
    company = {"prefs-work-start": "08:00", "prefs-work-end": "19:00", "prefs-work-days": "mon-fri"}
    assert (await world.slack.submit("U0ANA", again, {**chosen, **company})).status == 200
    async with world.database.reading() as session:
        ana = await get_person_by_email(session, "ana@example.com")
    assert ana is not None and (ana.work_start, ana.work_end, ana.work_days) == (None, None, None)


def initial_option(view: dict, block_id: str) -> str | None:
    [block] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    option = block["element"].get("initial_option")
    return option["value"] if option else None


def only_button(message: dict, label: str) -> dict:
    """The message as if it had only the button labelled `label` (to click that one)."""
    buttons = [
        element
        for block in message["blocks"]
        for element in block.get("elements") or []
        if isinstance(element.get("text"), dict) and element["text"].get("text") == label
    ]
    return {**message, "blocks": [{"type": "actions", "elements": buttons}]}


async def _person_id(database: Database, email: str) -> int:
    async with database.reading() as session:
        return (await session.scalars(select(PersonRow.id).where(PersonRow.email == email))).one()


async def test_a_check_in_that_cannot_be_saved_after_the_modal_closed_is_reported(
    world: SlackWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(world.runtime.slack.checkins, "store", broken)
    await checkin_as(world, "U0ANA", "ana@example.com", "45", "note")
    assert await checkins(world.database) == []
    assert "could not save that check-in" in texts(world.dm("U0ANA")[-1])


async def test_people_choose_their_own_checkin_time_and_time_away(world: SlackWorld) -> None:
    await world.runtime.ticker.tick()
    await world.slack.open_home("U0ANA")
    home = world.sandbox.home_views["U0ANA"]
    assert "Check-in settings" in texts(home)
    await world.slack.click_in_view("U0ANA", home, "prefs_open")
    modal = world.last_modal()
    assert view_problems(modal) == []
    bad = await world.slack.submit(
        "U0ANA", modal, {"prefs-day": "tue", "prefs-time": "09:30", "prefs-away": "soon"}
    )
    assert "not a date" in bad.json()["errors"]["prefs-away"]
    ok = await world.slack.submit(
        "U0ANA", modal, {"prefs-day": "tue", "prefs-time": "09:30", "prefs-away": "2026-11-30"}
    )
    assert ok.status == 200 and ok.body == ""
    assert "Tuesdays at 09:30 (America/New_York)" in texts(world.dm("U0ANA")[-1])
    assert "Change them any time from okrbot's Home tab." in texts(world.dm("U0ANA")[-1])
    ana = await _person_id(world.database, "ana@example.com")
    next_prompt = await world.runtime.cadence.next_prompt(ana)
    assert next_prompt is not None
    local = next_prompt.astimezone(ZoneInfo("America/New_York"))
    assert (local.strftime("%a %H:%M"), local.date().isoformat()) == ("Tue 09:30", "2026-11-17")
    # Away until the 30th: Tuesday's and the next Tuesday's prompts do not come.
    before = len(world.dm("U0ANA"))
    for day in (17, 24):
        world.clock.set(datetime(2026, 11, day, 15, 0, tzinfo=UTC))
        await world.runtime.ticker.tick()
    assert len(world.dm("U0ANA")) == before
    world.clock.set(datetime(2026, 12, 1, 15, 0, tzinfo=UTC))
    await world.runtime.ticker.tick()
    assert "Weekly check-in" in texts(world.dm("U0ANA")[-1])
