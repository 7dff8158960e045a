"""Drafting your own OKR on Slack, end to end: `/okr new` opens a modal (valid Block Kit), what
cannot be stored is refused on its field, the manager gets one DM with Approve and Comment, and
only an approved draft is prompted, browsed and shown as the person's OKRs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from okrbot.adapters.slack.blockkit_limits import blockkit_problems, view_problems
from okrbot.bot.drafts import APPROVE, COMMENT, COMMENT_TEXT, PARENT, TITLE
from okrbot.storage.db import Database
from okrbot.storage.models import DeliveryRow, ObjectiveRow, PersonRow
from tests.test_slack_e2e import SlackWorld, slack_world, texts
from tests.world import seed_crowd

DRAFT = {
    TITLE: "Grow self-serve revenue",
    "kr-1-title": "Trial-to-paid conversion",
    "kr-1-start": "12",
    "kr-1-target": "20",
    "kr-1-unit": "%",
    "kr-2-title": "Launch the referral programme",
    "kr-2-start": "0",
    "kr-2-target": "1",
}


@pytest.fixture
async def world(sqlite_database: Database) -> AsyncIterator[SlackWorld]:
    async with slack_world(sqlite_database) as running:
        yield running


async def deliver(world: SlackWorld) -> None:
    while await world.runtime.outbox.deliver_due(world.runtime.courier):
        pass


async def parent_of(world: SlackWorld, title: str) -> str:
    async with world.database.reading() as session:
        row = await session.scalar(select(ObjectiveRow).where(ObjectiveRow.title == title))
        assert row is not None
        return str(row.id)


async def draft_row(world: SlackWorld, title: str = DRAFT[TITLE]) -> ObjectiveRow | None:
    async with world.database.reading() as session:
        return await session.scalar(select(ObjectiveRow).where(ObjectiveRow.title == title))


async def open_form(world: SlackWorld, user: str = "U0ANA") -> dict[str, Any]:
    reply = await world.slack.command(user, "/okr", "new")
    assert reply.status == 200
    modal = world.last_modal()
    assert view_problems(modal) == []
    return modal


async def submit_draft(world: SlackWorld, answers: dict[str, Any]) -> dict[str, Any]:
    modal = await open_form(world)
    reply = await world.slack.submit("U0ANA", modal, answers)
    assert reply.status == 200, reply.body
    return reply.json()


async def drafted(world: SlackWorld) -> dict[str, Any]:
    """Ana drafts DRAFT aligned to the company objective; Mia's DM about it."""
    answers = {**DRAFT, PARENT: await parent_of(world, "Customers love the product")}
    body = await submit_draft(world, answers)
    assert body["response_action"] == "update"
    await deliver(world)
    [review] = world.dm("U0MIA")
    return review


def blocks_text(view: dict[str, Any]) -> str:
    return texts(view)


async def test_the_form_offers_team_and_company_objectives_and_five_key_results(
    world: SlackWorld,
) -> None:
    modal = await open_form(world)
    assert modal["title"]["text"] == "Draft your OKR"
    assert "Mia Boss approves it" in blocks_text(modal)
    [parent] = [b for b in modal["blocks"] if b.get("block_id") == PARENT]
    labels = [o["text"]["text"] for o in parent["element"]["options"]]
    # Ana's own team's objective (Li's, who also reports to Mia) first, then the company's.
    assert labels == ["Cut churn (team)", "Customers love the product (company)"]
    ids = [b.get("block_id") for b in modal["blocks"]]
    assert "kr-5-target" in ids and "kr-6-title" not in ids


async def test_in_a_big_company_the_drafters_own_team_stays_on_the_list(
    world: SlackWorld,
) -> None:
    """330 team and company objectives are more than Slack's select holds (100): the drafter's
    own team's objectives come first, then the company's, then other teams'."""
    await seed_crowd(world.database)
    async with world.database.transaction() as session:
        # The crowd's team goals move to another team (Victor's reports), so they are not Ana's.
        victor = PersonRow(email="victor@example.com", name="Victor Other")
        session.add(victor)
        await session.flush()
        others = await session.scalars(select(PersonRow).where(PersonRow.email.like("peer%")))
        for other in others:
            other.manager_id = victor.id
    modal = await open_form(world)
    [parent] = [b for b in modal["blocks"] if b.get("block_id") == PARENT]
    labels = [o["text"]["text"] for o in parent["element"]["options"]]
    assert len(labels) == 100
    assert labels[:2] == ["Cut churn (team)", "Customers love the product (company)"]
    assert all(label.startswith("Company goal") for label in labels[2:32])
    assert all(label.startswith("Team goal") for label in labels[32:])
    # A long title is shortened, not its level: "Company goal 00 — with a long… (company)".
    assert all(len(label) <= 75 and label.endswith("… (company)") for label in labels[2:32])


async def test_a_target_that_is_not_a_number_is_refused_on_its_field(world: SlackWorld) -> None:
    parent = await parent_of(world, "Cut churn")
    body = await submit_draft(world, {**DRAFT, PARENT: parent, "kr-1-target": "lots"})
    assert body["response_action"] == "errors"
    assert body["errors"] == {
        "kr-1-target": "'lots' is not a number; write the target as a number, e.g. 60."
    }
    body = await submit_draft(world, {**DRAFT, PARENT: parent, "kr-2-target": ""})
    assert "measurable target" in body["errors"]["kr-2-target"]
    body = await submit_draft(world, {TITLE: "Nothing measured", PARENT: parent})
    assert "at least one key result" in body["errors"]["kr-1-title"]
    body = await submit_draft(world, {**DRAFT})
    assert "Choose the team or company objective" in body["errors"][PARENT]
    assert await draft_row(world) is None
    assert world.dm("U0MIA") == []


async def test_more_than_five_key_results_are_refused(world: SlackWorld) -> None:
    """A modal with a sixth row (as an older okrbot might have opened it) is refused whole."""
    modal = await open_form(world)
    extra = [
        {
            "type": "input",
            "block_id": f"kr-6-{part}",
            "optional": True,
            "label": {"type": "plain_text", "text": part},
            "element": {"type": "plain_text_input", "action_id": "input"},
        }
        for part in ("title", "start", "target")
    ]
    modal = {**modal, "blocks": [*modal["blocks"], *extra]}
    answers: dict[str, Any] = {TITLE: "Too much", PARENT: await parent_of(world, "Cut churn")}
    for row in range(1, 7):
        answers |= {f"kr-{row}-title": f"Metric {row}", f"kr-{row}-start": "0"}
        answers[f"kr-{row}-target"] = "10"
    body = (await world.slack.submit("U0ANA", modal, answers)).json()
    assert body["response_action"] == "errors"
    assert "6 key results; at most 5" in body["errors"][TITLE]
    assert await draft_row(world, "Too much") is None


async def test_a_task_like_key_result_is_a_hint_that_does_not_block(world: SlackWorld) -> None:
    answers = {**DRAFT, PARENT: await parent_of(world, "Customers love the product")}
    body = await submit_draft(world, answers)
    assert body["response_action"] == "update"
    assert view_problems(body["view"]) == []
    confirmation = blocks_text(body["view"])
    assert "Sent to Mia Boss for approval: 'Grow self-serve revenue'" in confirmation
    assert "Key result 'Launch the referral programme' reads like a task" in confirmation
    row = await draft_row(world)
    assert row is not None and (row.source, row.approval, row.level) == (
        "chat",
        "pending",
        "personal",
    )
    assert [(kr.title, kr.type, kr.start, kr.target) for kr in row.key_results] == [
        ("Trial-to-paid conversion", "percent", 12, 20),
        ("Launch the referral programme", "number", 0, 1),
    ]


async def test_approval_by_the_manager_makes_it_prompted_from_next_week(
    world: SlackWorld,
) -> None:
    review = await drafted(world)
    shown = texts(review)
    assert "OKR draft from Ana Lima" in shown and "supports: Customers love the product" in shown
    assert "reads like a task" in shown
    assert blockkit_problems(review["blocks"], "message") == []

    # Pending: not prompted, not anyone's browsable OKRs, not in the owner's own list.
    await world.send_prompts("ana@example.com")
    assert "Trial-to-paid" not in texts(world.dm("U0ANA")[-1])
    for text in ("<@U0ANA|ana>", "revenue", ""):
        answer = (await world.slack.command("U0ANA", "/okr", text)).json()
        assert "Grow self-serve revenue" not in texts(answer)

    mia_dm = world.sandbox.dm_channel("U0MIA")
    reply = await world.slack.click("U0MIA", review, APPROVE, mia_dm or "")
    assert reply.status == 200
    [updated] = world.dm("U0MIA")
    assert "Mia Boss approved Ana Lima's OKR 'Grow self-serve revenue'" in texts(updated)
    await deliver(world)
    told = texts(world.dm("U0ANA")[-1])
    assert "Mia Boss approved your OKR 'Grow self-serve revenue'" in told
    row = await draft_row(world)
    assert row is not None and row.approval == "approved" and row.approved_at is not None

    world.clock.advance(timedelta(days=7))
    await world.send_prompts("ana@example.com")
    prompt = texts(world.dm("U0ANA")[-1])
    assert "Trial-to-paid conversion" in prompt and "Launch the referral programme" in prompt
    browsed = texts((await world.slack.command("U0LI", "/okr", "<@U0ANA|ana>")).json())
    assert "Grow self-serve revenue" in browsed


async def test_a_double_clicked_approve_approves_once(world: SlackWorld) -> None:
    review = await drafted(world)
    mia_dm = world.sandbox.dm_channel("U0MIA") or ""
    for _ in range(2):
        assert (await world.slack.click("U0MIA", review, APPROVE, mia_dm)).status == 200
    await deliver(world)
    approvals = [m for m in world.dm("U0ANA") if "approved your OKR" in texts(m)]
    assert len(approvals) == 1
    async with world.database.reading() as session:
        kinds = list(await session.scalars(select(DeliveryRow.kind)))
    assert kinds.count("okr_draft_approved") == 1 and kinds.count("okr_draft_review") == 1


async def test_someone_other_than_the_manager_cannot_approve(world: SlackWorld) -> None:
    review = await drafted(world)
    li_dm = world.sandbox.dm_channel("U0LI") or "D0LI"
    reply = await world.slack.click("U0LI", review, APPROVE, li_dm)
    assert reply.status == 200
    told = texts(world.dm("U0LI")[-1])
    assert (
        told
        == "Only Ana Lima's manager can approve or comment on their OKR draft, so I did nothing."
    )
    row = await draft_row(world)
    assert row is not None and row.approval == "pending"
    assert "OKR draft from Ana Lima" in texts(world.dm("U0MIA")[-1])  # left as it was
    reply = await world.slack.click("U0LI", review, COMMENT, li_dm)
    assert world.sandbox.calls_to("views.open")[-1].params["view"]["callback_id"] == "okr_draft"


async def test_a_comment_reaches_the_drafter_and_the_draft_stays_pending(
    world: SlackWorld,
) -> None:
    review = await drafted(world)
    mia_dm = world.sandbox.dm_channel("U0MIA") or ""
    await world.slack.click("U0MIA", review, COMMENT, mia_dm)
    modal = world.last_modal()
    assert modal["callback_id"] == "okr_draft_comment_form" and view_problems(modal) == []
    empty = (await world.slack.submit("U0MIA", modal, {COMMENT_TEXT: ""})).json()
    assert empty["errors"] == {COMMENT_TEXT: "Write the comment to send."}
    said = "Make the referral one measurable: how many referred sign-ups?"
    done = (await world.slack.submit("U0MIA", modal, {COMMENT_TEXT: said})).json()
    assert "on its way to Ana Lima" in texts(done["view"])
    await deliver(world)
    comment = texts(world.dm("U0ANA")[-1])
    assert "Mia Boss commented on your OKR draft 'Grow self-serve revenue'" in comment
    assert said in comment and "still waiting for their approval" in comment
    row = await draft_row(world)
    assert row is not None and row.approval == "pending"
    # The drafter sees it pending when they open the form again.
    assert "Waiting for approval: 'Grow self-serve revenue'" in blocks_text(await open_form(world))


async def test_someone_without_a_manager_has_their_draft_active_at_once(
    world: SlackWorld,
) -> None:
    reply = await world.slack.command("U0MIA", "/okr", "new")
    assert reply.status == 200
    modal = world.last_modal()
    assert "no manager in okrbot" in blocks_text(modal)
    answers = {**DRAFT, TITLE: "Coach every lead", PARENT: await parent_of(world, "Cut churn")}
    body = (await world.slack.submit("U0MIA", modal, answers)).json()
    assert "is active: you have no manager in okrbot" in blocks_text(body["view"])
    row = await draft_row(world, "Coach every lead")
    assert row is not None and row.approval == "approved" and row.source == "chat"
    await deliver(world)
    assert all("OKR draft from" not in texts(m) for m in world.dm("U0MIA"))


async def test_help_names_okr_new_and_new_with_more_words_is_a_search(world: SlackWorld) -> None:
    helping = texts((await world.slack.command("U0ANA", "/okr", "help")).json())
    assert "`/okr new` — draft your own personal OKR; your manager approves it" in helping
    searched = texts((await world.slack.command("U0ANA", "/okr", "new york")).json())
    assert searched.startswith("No objective in 2026-Q4 matches “new york”")


@pytest.fixture
async def both_backends(database: Database) -> AsyncIterator[SlackWorld]:
    async with slack_world(database) as running:
        yield running


async def test_the_same_draft_submitted_twice_at_once_is_stored_once(
    both_backends: SlackWorld,
) -> None:
    world = both_backends
    await world.slack.command("U0ANA", "/okr", "new")
    view = list(world.sandbox.views.values())[-1]  # as Slack holds it: with its id and hash
    answers = {**DRAFT, PARENT: await parent_of(world, "Cut churn")}
    first, second = await asyncio.gather(
        world.slack.submit("U0ANA", view, answers), world.slack.submit("U0ANA", view, answers)
    )
    assert first.status == second.status == 200
    shown = {texts(reply.json()["view"]) for reply in (first, second)}
    assert any("Sent to Mia Boss for approval" in text for text in shown)
    async with world.database.reading() as session:
        titles = list(await session.scalars(select(ObjectiveRow.title)))
    assert titles.count(DRAFT[TITLE]) == 1
    await deliver(world)
    assert len(world.dm("U0MIA")) == 1


async def test_a_title_the_quarter_already_has_is_refused_on_its_field(world: SlackWorld) -> None:
    answers = {**DRAFT, TITLE: "Cut churn", PARENT: await parent_of(world, "Cut churn")}
    body = await submit_draft(world, answers)
    assert body["errors"] == {
        TITLE: "An objective titled 'Cut churn' already exists in 2026-Q4; "
        "give yours another title."
    }
    # Nothing was recorded of that submission: fixed, it goes through.
    assert (await submit_draft(world, {**answers, TITLE: "Churn, personally"}))[
        "response_action"
    ] == ("update")
