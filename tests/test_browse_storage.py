"""What browsing reads, on SQLite and PostgreSQL: a team's objectives, the title search (any
case, wildcards taken literally, archived left out) and alignment both ways; and how the words
after `/okr` are read."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from okrbot.bot.browse import (
    MAX_OBJECTIVES,
    BrowseRequest,
    Scope,
    Shown,
    browse_pages,
    browse_request,
)
from okrbot.bot.domain import Level, Objective
from okrbot.bot.kudos import Mention
from okrbot.bot.messages import Context
from okrbot.storage.db import Database
from okrbot.storage.models import ObjectiveRow
from okrbot.storage.okrs import alignment, objectives_of_people, search_objectives
from tests.world import MONDAY, QUARTER, Seed


async def seeded(database: Database) -> dict[str, int]:
    return await (
        Seed()
        .person("boss", "boss@example.com", "Boss")
        .person("dev", "dev@example.com", "Dev", manager="boss")
        .person("other", "other@example.com", "Other")
        .objective("top", "Win the MARKET", owner="boss", level="company")
        .objective("mid", "Ship 100% of the roadmap", owner="dev", position=1)
        .objective("elsewhere", "Hire well", owner="other", position=2)
        .objective("gone", "Market research", owner="dev", archived_at=MONDAY, position=3)
        .key_result(
            None,
            "Sign 5 partners",
            objective="elsewhere",
            owner="dev",
            start=0,
            target=5,
            current=1,
        )
        .objective("later", "Win the market again", owner="boss", quarter="2027-Q1")
        .write(database)
    )


@pytest.mark.parametrize("database", ["sqlite", "postgres"], indirect=True)
async def test_search_team_and_alignment(database: Database) -> None:
    ids = await seeded(database)
    async with database.transaction() as session:
        await session.execute(
            update(ObjectiveRow).where(ObjectiveRow.id == ids["mid"]).values(parent_id=ids["top"])
        )
    async with database.reading() as session:

        async def titles(*words: str) -> list[str]:
            return [o.title for o in await search_objectives(session, QUARTER, words)]

        assert await titles("market") == ["Win the MARKET"]  # not archived, not next quarter
        assert await titles("WIN", "market") == ["Win the MARKET"]
        assert await titles("100%") == ["Ship 100% of the roadmap"]
        assert await titles("%") == ["Ship 100% of the roadmap"]
        assert await titles("_") == []
        assert await titles("partners") == ["Hire well"]  # a key result's title
        assert await titles("win", "roadmap") == []

        team = await objectives_of_people(session, QUARTER, [ids["boss"], ids["dev"]])
        # Dev owns a key result of "Hire well", so it is the team's too.
        assert [o.title for o in team] == [
            "Win the MARKET",
            "Ship 100% of the roadmap",
            "Hire well",
        ]

        parents, children = await alignment(session, team)
        assert parents[ids["top"]].title == "Win the MARKET"
        assert [o.title for o in children[ids["top"]]] == ["Ship 100% of the roadmap"]


MIA = Mention("<@U0MIA|mia>", "U0MIA", "mia")


@pytest.mark.parametrize(
    ("text", "mentions", "expected"),
    [
        ("", [], None),
        ("help", [], None),
        ("checkin", [], None),
        ("kudos <@U0MIA|mia> thanks", [MIA], None),
        ("<@U0MIA|mia>", [MIA], BrowseRequest(Scope.PERSON, MIA)),
        ("team", [], BrowseRequest(Scope.TEAM)),
        ("Team <@U0MIA|mia>", [MIA], BrowseRequest(Scope.TEAM, MIA)),
        ("team @ghost", [], BrowseRequest(Scope.TEAM, name="@ghost")),
        ("company", [], BrowseRequest(Scope.COMPANY)),
        ("company goals", [], BrowseRequest(Scope.SEARCH, words="company goals")),
        ("@ghost", [], BrowseRequest(Scope.PERSON, name="@ghost")),
        ("Cut  churn", [], BrowseRequest(Scope.SEARCH, words="Cut churn")),
    ],
)
def test_what_the_words_after_okr_ask_for(
    text: str, mentions: list[Mention], expected: BrowseRequest | None
) -> None:
    assert browse_request(text, mentions) == expected


def test_an_answer_too_long_to_read_says_how_much_is_left_out() -> None:
    many = [
        Shown(Objective(n, QUARTER, f"Goal {n}", 1, Level.COMPANY), owner="Mia")
        for n in range(MAX_OBJECTIVES + 3)
    ]
    pages = browse_pages("Company OKRs", many)
    assert [page.summary for page in pages] == [
        f"Company OKRs · page {n} of {len(pages)}" for n in range(1, len(pages) + 1)
    ]
    assert all(len(page.blocks) <= 45 for page in pages)
    last = pages[-1].blocks[-1]
    assert isinstance(last, Context) and last.text.startswith("…and 3 more not shown here")
    shown = "\n".join(str(block) for page in pages for block in page.blocks)
    assert f"Goal {MAX_OBJECTIVES - 1}" in shown and f"Goal {MAX_OBJECTIVES}" not in shown
