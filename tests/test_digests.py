"""The weekly manager digest, built from plain inputs: what a manager reads on Friday."""

from __future__ import annotations

from datetime import UTC, date, datetime

from okrbot.bot.checkin_replies import REACT, RECOGNISE, REPLY
from okrbot.bot.digests import (
    NUDGE_ACTION,
    DigestData,
    KeyResultWeek,
    ReportWeek,
    TeamCounts,
    WeekStatus,
    build_digest,
)
from okrbot.bot.domain import CheckIn, Confidence, KeyResult, KeyResultType, Person, Platform
from okrbot.bot.markdown import messages_markdown
from okrbot.bot.messages import Actions, Context, Message, Text
from okrbot.bot.overview import ReceivedKudos
from okrbot.bot.quarters import Quarter

QUARTER = Quarter(2026, 4)
PERIOD = "2026-W47"
LAST = "2026-W46"
AT = datetime(2026, 11, 20, tzinfo=UTC)
MANAGER = Person(1, "mia@example.com", "Mia Manager")


def person(pid: int, name: str, manager_id: int = 1, **extra: object) -> Person:
    return Person(pid, f"{name.split()[0].lower()}@example.com", name, manager_id, **extra)  # type: ignore[arg-type]


def kr(kid: int, owner: int, title: str, start: float = 0, target: float = 100) -> KeyResult:
    return KeyResult(kid, 1, title, owner, KeyResultType.NUMBER, start, target, 0, "tickets")


def checkin(kid: int, owner: int, period: str, value: float, confidence: Confidence, note=None):
    return CheckIn(kid * 100, kid, owner, period, value, confidence, note, Platform.SLACK, AT, AT)


def item(key_result, now=None, before=None, stale=False) -> KeyResultWeek:
    return KeyResultWeek(key_result, "Objective", now, before, stale)


def text_of(messages: list[Message]) -> str:
    return messages_markdown(messages)


def sample() -> DigestData:
    ana, ben, cai = person(2, "Ana Lima"), person(3, "Ben Okafor"), person(4, "Cai Wu")
    dee, eli = person(5, "Dee Park"), person(6, "Eli Roth", paused_until=date(2026, 12, 1))
    fay = person(7, "Fay Diaz")
    a1, a2 = kr(11, 2, "Close support tickets"), kr(12, 2, "Publish the guide")
    b1 = kr(21, 3, "Sign new partners")
    c1 = kr(31, 4, "Cut build time")
    d1 = kr(41, 5, "Hire two engineers")
    return DigestData(
        manager=MANAGER,
        period=PERIOD,
        quarter=QUARTER,
        reports=(
            ReportWeek(
                ana,
                WeekStatus.CHECKED_IN,
                (
                    item(
                        a1,
                        checkin(11, 2, PERIOD, 50, Confidence.AT_RISK, "Blocked on the VPN\nagain"),
                        checkin(11, 2, LAST, 45, Confidence.ON_TRACK),
                    ),
                    item(a2, checkin(12, 2, PERIOD, 30, Confidence.ON_TRACK)),
                ),
                (
                    ReceivedKudos("Ben Okafor", "thanks for the review"),
                    ReceivedKudos("Cai Wu", "great demo"),
                ),
            ),
            ReportWeek(
                ben,
                WeekStatus.CHECKED_IN,
                (
                    item(
                        b1,
                        checkin(21, 3, PERIOD, 2, Confidence.OFF_TRACK),
                        checkin(21, 3, LAST, 2, Confidence.AT_RISK),
                    ),
                ),
                (ReceivedKudos("Ana Lima", "unblocked me"),),
            ),
            ReportWeek(
                cai,
                WeekStatus.CHECKED_IN,
                (item(c1, checkin(31, 4, PERIOD, 80, Confidence.ON_TRACK)),),
            ),
            ReportWeek(
                dee,
                WeekStatus.NOT_YET,
                (item(d1, None, checkin(41, 5, "2026-W44", 1, Confidence.ON_TRACK), stale=True),),
            ),
            ReportWeek(eli, WeekStatus.PAUSED),
            ReportWeek(fay, WeekStatus.NOT_YET),
            ReportWeek(person(8, "Gus Hale"), WeekStatus.CHECKED_IN),
            ReportWeek(person(9, "Hana Sato"), WeekStatus.SKIPPED),
        ),
    )


def test_team_line_counts_check_ins_risks_and_kudos() -> None:
    text = text_of(build_digest(sample()))
    # 8 reports, one paused: 4 of 7 checked in; at risk: Ana's VPN KR and Dee's stale KR.
    assert "Checked in 4 of 7 · 2 key results at risk, 1 off track · kudos this week: 3" in text
    assert "1 paused" in text


def test_changes_show_value_progress_and_confidence() -> None:
    text = text_of(build_digest(sample()))
    assert "45 → 50 tickets (+5 tickets) · 45% → 50% · On track → At risk" in text
    assert "2 tickets (no change) · 2% → 2% · At risk → Off track" in text
    assert "30 tickets · 30% · On track · first check-in" in text


def test_notes_are_quoted_verbatim() -> None:
    text = text_of(build_digest(sample()))
    assert "> Blocked on the VPN" in text
    assert "> again" in text


def test_stale_key_results_are_flagged_and_not_read_as_on_track() -> None:
    text = text_of(build_digest(sample()))
    assert "no check-in this week · last (week 44)" in text
    assert "⚠️ no check-in for two weeks, so read as at risk" in text


def test_statuses_and_kudos_per_person() -> None:
    text = text_of(build_digest(sample()))
    assert "**Eli Roth** · ⏸️ paused until 1 Dec" in text
    assert "**Hana Sato** · ⏭️ skipped this week" in text
    assert "**Dee Park** · ⏳ not checked in yet" in text
    assert "🙌 Kudos from **Ben Okafor**: thanks for the review" in text


def test_nudge_buttons_for_everyone_not_checked_in_yet() -> None:
    messages = build_digest(sample())
    text = text_of(messages)
    assert "**Not checked in yet:** Dee Park, Fay Diaz" in text
    buttons = [
        button
        for message in messages
        for block in message.blocks
        if isinstance(block, Actions)
        for button in block.buttons
        if button.action == NUDGE_ACTION
    ]
    assert [(b.label, b.action, b.value) for b in buttons] == [
        ("Nudge Dee", NUDGE_ACTION, "5"),
        ("Nudge Fay", NUDGE_ACTION, "7"),
    ]


def test_each_check_in_can_be_answered_from_the_digest_and_only_those() -> None:
    data = sample()
    buttons = [
        (button.label, button.action, button.value)
        for message in build_digest(data)
        for block in message.blocks
        if isinstance(block, Actions)
        for button in block.buttons
        if button.action != NUDGE_ACTION
    ]
    checked = [r.person for r in data.reports if r.status is WeekStatus.CHECKED_IN]
    assert checked
    expected = []
    for person in checked:
        value = f"{person.id}:{data.period}"
        first = person.name.split()[0]
        expected += [
            ("👍", REACT, value),
            ("🙌 Recognise", RECOGNISE, value),
            (f"Reply to {first}", REPLY, value),
        ]
    assert buttons == expected


def test_ends_with_privacy_and_coaching_reminder() -> None:
    last = build_digest(sample())[-1].blocks[-1]
    assert isinstance(last, Context)
    assert "Only you receive this digest" in last.text
    assert "context for your coaching conversations, not a performance rating" in last.text


def test_rollup_shows_counts_only() -> None:
    data = sample()
    lead = data.reports[1].person
    rolled = DigestData(
        data.manager,
        data.period,
        data.quarter,
        data.reports,
        (TeamCounts(lead, people=12, checked_in=9, at_risk=3, off_track=1, paused=1),),
    )
    text = text_of(build_digest(rolled))
    assert "Across your wider team" in text
    assert "**Ben Okafor**'s team (12 people): checked in 9 of 11 · 3 at risk · 1 off track" in text
    assert "Across your wider team" not in text_of(build_digest(data))


def test_a_forty_person_team_fits_the_platform_limits() -> None:
    reports = []
    for n in range(40):
        pid = 100 + n
        items = tuple(
            item(
                kr(pid * 10 + k, pid, f"Key result {k} of person {n}"),
                checkin(pid * 10 + k, pid, PERIOD, 60, Confidence.AT_RISK, "x" * 1900),
                checkin(pid * 10 + k, pid, LAST, 50, Confidence.ON_TRACK),
            )
            for k in range(4)
        )
        status = WeekStatus.CHECKED_IN if n % 3 else WeekStatus.NOT_YET
        reports.append(ReportWeek(person(pid, f"Person{n} Example"), status, items))
    messages = build_digest(DigestData(MANAGER, PERIOD, QUARTER, tuple(reports)))
    assert len(messages) > 1
    for message in messages:
        assert len(message.blocks) <= 45
        for block in message.blocks:
            if isinstance(block, Text):
                assert len(block.text) <= 3000
    text = text_of(messages)
    assert all(f"**Person{n} Example**" in text for n in range(40))
    assert "(1 of " in messages[0].summary
    assert isinstance(messages[-1].blocks[-1], Context)


def test_no_reports_gives_a_short_note() -> None:
    messages = build_digest(DigestData(MANAGER, PERIOD, QUARTER, ()))
    assert "No one reports to you" in text_of(messages)
