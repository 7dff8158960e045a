"""Logs carry no private text, at any level: not a check-in note, not a kudos message.

A real `okrbot serve` at OKRBOT_LOG_LEVEL=DEBUG takes a Slack check-in with a note and a
recognition, and a Teams check-in with a note, through its HTTP endpoints; everything it wrote
is then searched for those words. Operators share logs with vendors and paste them in tickets;
a blocker someone confided to their manager must not travel with them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from okrbot.adapters.teams.sandbox import TeamsSandbox
from okrbot.adapters.teams.simulator import TeamsSimulator, TeamsUser
from okrbot.storage.models import CheckInRow, KudosRow
from tests.test_faults import (
    open_checkin_modals,
    serving_slack,
    slack_id,
    sqlite_copy,
    stop,
    wait_for,
)

SLACK_NOTE = "Confided-Slack-blocker-7f3a"
KUDOS_WORDS = "Private-thanks-for-the-hard-week-91c2"
TEAMS_NOTE = "Confided-Teams-blocker-4d8e"
TEAMS_PERSON = TeamsUser(
    "29:1" + "t" * 108, "6f1c2d3e-0000-4000-8000-000000000002", "P 2", "p2@example.com"
)


@pytest.mark.slow
async def test_debug_logs_carry_no_notes_or_kudos_from_either_platform(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database = sqlite_copy(sqlite_template, tmp_path)
    async with TeamsSandbox() as teams_sandbox:
        teams_sandbox.add_member(
            teams_user_id=TEAMS_PERSON.teams_user_id,
            aad_object_id=TEAMS_PERSON.aad_object_id,
            name=TEAMS_PERSON.name,
            email=TEAMS_PERSON.email,
        )
        async with serving_slack(
            database, 2, OKRBOT_LOG_LEVEL="DEBUG", OKRBOT_TEAMS_DEV_NO_AUTH="1"
        ) as (serve, slack, sandbox):
            [modal] = await open_checkin_modals(slack, sandbox, 1)
            reply = await slack.submit(
                slack_id(1),
                modal,
                {
                    "kr-1-value": "3",
                    "kr-1-confidence": "at_risk",
                    "kr-1-note": SLACK_NOTE,
                    "kudos-to": [slack_id(2)],
                    "kudos-message": KUDOS_WORDS,
                },
            )
            assert reply.status == 200, reply.body

            teams = TeamsSimulator(f"http://127.0.0.1:{serve.port}/api/messages", teams_sandbox)
            try:
                await teams.install(TEAMS_PERSON)
                await teams.say(TEAMS_PERSON, "checkin")
                [card] = teams_sandbox.activities_in(TEAMS_PERSON.conversation_id)[-1:]
                await teams.press(
                    TEAMS_PERSON,
                    card,
                    "checkin_form",
                    {"kr-2-value": "4", "kr-2-confidence": "at_risk", "kr-2-note": TEAMS_NOTE},
                )
            finally:
                await teams.close()

            async def stored() -> bool:
                async with database.reading() as session:
                    notes = set(await session.scalars(select(CheckInRow.note)))
                    kudos = set(await session.scalars(select(KudosRow.message)))
                return {SLACK_NOTE, TEAMS_NOTE} <= notes and KUDOS_WORDS in kudos

            await wait_for(stored, 20, "both check-ins and the kudos stored")
            output = await stop(serve)
    await database.dispose()
    assert "DEBUG" in output  # the level took effect: there is something to search
    for private in (SLACK_NOTE, KUDOS_WORDS, TEAMS_NOTE):
        assert private not in output
