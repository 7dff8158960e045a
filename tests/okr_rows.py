"""The OKRs the Slack and Teams tests share: Ana's onboarding objective with its two key results,
and Li's churn objective. Rows, so each test world adds them its own way."""

from __future__ import annotations

from okrbot.storage.models import KeyResultRow, ObjectiveRow

QUARTER = "2026-Q4"


def onboarding(owner_id: int, position: int = 0) -> ObjectiveRow:
    return ObjectiveRow(
        quarter=QUARTER,
        title="Make onboarding effortless",
        level="personal",
        kind="committed",
        owner_id=owner_id,
        position=position,
    )


def churn_objective(owner_id: int, position: int) -> ObjectiveRow:
    return ObjectiveRow(
        quarter=QUARTER,
        title="Cut churn",
        level="team",
        kind="aspirational",
        owner_id=owner_id,
        position=position,
    )


def activation(objective_id: int, owner_id: int) -> KeyResultRow:
    return KeyResultRow(
        objective_id=objective_id,
        title="Activation from 40% to 60%",
        owner_id=owner_id,
        type="percent",
        start=40,
        target=60,
        current=40,
        position=0,
    )


def setup_guide(objective_id: int, owner_id: int) -> KeyResultRow:
    return KeyResultRow(
        objective_id=objective_id,
        title="Publish the setup guide",
        owner_id=owner_id,
        type="milestone",
        start=0,
        target=1,
        current=0,
        position=1,
    )


def churn(objective_id: int, owner_id: int) -> KeyResultRow:
    return KeyResultRow(
        objective_id=objective_id,
        title="Churn from 3.5% to 2%",
        owner_id=owner_id,
        type="percent",
        start=3.5,
        target=2,
        current=3.5,
        position=0,
    )
