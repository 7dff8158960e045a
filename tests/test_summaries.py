"""The quarter-end summary, built from plain inputs: what a manager reads before the review."""

from __future__ import annotations

from datetime import UTC, datetime

from okrbot.bot.domain import (
    Confidence,
    KeyResult,
    KeyResultType,
    Level,
    Objective,
    ObjectiveKind,
    Person,
    Reflection,
)
from okrbot.bot.markdown import messages_markdown
from okrbot.bot.messages import Image, Text
from okrbot.bot.overview import ReceivedKudos
from okrbot.bot.quarters import Quarter
from okrbot.bot.summaries import (
    COACHING_NOTE,
    KeyResultQuarter,
    ObjectiveQuarter,
    PersonQuarter,
    SummaryData,
    WeekCheckIn,
    alignment_progress,
    build_summary,
    confidence_history,
    diagnosis,
)

QUARTER = Quarter(2026, 4)
AT = datetime(2026, 12, 20, tzinfo=UTC)
MANAGER = Person(1, "mia@example.com", "Mia Manager")
ON, RISK, OFF = Confidence.ON_TRACK, Confidence.AT_RISK, Confidence.OFF_TRACK


def objective(oid: int, kind: ObjectiveKind, *krs: KeyResultQuarter) -> ObjectiveQuarter:
    return ObjectiveQuarter(
        Objective(oid, QUARTER.id, f"Objective {oid}", 2, Level.PERSONAL, kind), krs
    )


def key_result(kid: int, current: float, checkins=()) -> KeyResultQuarter:
    kr = KeyResult(kid, 1, f"Key result {kid}", 2, KeyResultType.NUMBER, 0, 100, current, "users")
    return KeyResultQuarter(kr, tuple(checkins))


def weeks(*confidences: Confidence | None) -> list[WeekCheckIn]:
    return [
        WeekCheckIn(f"2026-W{40 + i}", 10.0 * i, c)
        for i, c in enumerate(confidences)
        if c is not None
    ]


def report(pid: int, score: float, asked: int, answered: int, **extra) -> PersonQuarter:
    person = Person(pid, f"p{pid}@example.com", f"Person{pid} Example", 1)
    objectives = (objective(pid, ObjectiveKind.ASPIRATIONAL, key_result(pid * 10, score * 100)),)
    return PersonQuarter(person, objectives, asked, answered, **extra)


def ana() -> PersonQuarter:
    person = Person(2, "ana@example.com", "Ana Lima", 1)
    history = weeks(ON, ON, RISK, RISK, OFF, RISK, ON)
    return PersonQuarter(
        person,
        (
            objective(
                7,
                ObjectiveKind.COMMITTED,
                key_result(70, 65, history),
                key_result(71, 100, weeks(ON, None, ON)),
            ),
            objective(8, ObjectiveKind.ASPIRATIONAL, key_result(80, 20)),
        ),
        weeks_asked=13,
        weeks_answered=11,
        kudos=tuple(ReceivedKudos(f"Giver {n}", f"thanks {n}") for n in range(5)),
        reflection=Reflection(
            1, 2, QUARTER.id, {70: 0.7}, "Shipped the guide", "Ask for help sooner", AT
        ),
    )


def render(data: SummaryData, urls=None) -> str:
    return messages_markdown(build_summary(data, urls))


def test_scores_grades_and_self_scores() -> None:
    text = render(SummaryData(MANAGER, QUARTER, (ana(),)))
    # Committed: only 1.0 is green, and the colour agrees with "short of the commitment".
    assert "🎯 **Objective 7** · 0.82 🟡 · committed" in text
    assert "short of the commitment" in text
    assert "• **Key result 70** · final 65 of 100 users · 0.65 🔴 · self-score 0.70" in text
    assert "• **Key result 71** · final 100 of 100 users · 1.00 🟢" in text
    assert "🎯 **Objective 8** · 0.20 🔴 · aspirational" in text
    assert "an early stage" in text


def test_confidence_history_participation_kudos_and_reflection() -> None:
    text = render(SummaryData(MANAGER, QUARTER, (ana(),)))
    assert "confidence 🟢🟢🟡🟡🔴🟡🟢 (to week 46)" in text
    assert "confidence 🟢⚪🟢" in text
    assert "answered 11 of 13 weeks asked" in text
    assert (
        "🙌 Kudos this quarter (5): “thanks 0” (Giver 0) · “thanks 1” (Giver 1) · “thanks 2” "
        "(Giver 2) · and 2 more" in text
    )
    assert "thanks 3" not in text
    assert "> Shipped the guide" in text
    assert "**What would you do differently**" in text
    assert "> Ask for help sooner" in text


def test_what_is_shown_is_what_is_graded_and_commitments_are_judged_against_one() -> None:
    person = Person(4, "bo@example.com", "Bo Example", 1)
    nearly = objective(
        10, ObjectiveKind.ASPIRATIONAL, key_result(100, 69.67, weeks(ON, ON, ON, ON))
    )
    data = PersonQuarter(person, (nearly,), weeks_asked=4, weeks_answered=4)
    text = render(SummaryData(MANAGER, QUARTER, (data,)))
    assert "🎯 **Objective 10** · 0.70 🟢 · aspirational" in text  # 0.6967, shown as 0.70
    assert "a good stretch result" in text

    for score in (62, 70, 79):
        promised = objective(11, ObjectiveKind.COMMITTED, key_result(110, score, weeks(ON, ON)))
        steady = PersonQuarter(person, (promised,), weeks_asked=2, weeks_answered=2)
        text = render(SummaryData(MANAGER, QUARTER, (steady,)))
        colour = "🔴" if score < 70 else "🟡"
        assert f"🎯 **Objective 11** · 0.{score} {colour} · committed" in text
        assert "short of the commitment" in text
        assert "🟢" not in text.split("🎯 **Objective 11**")[1].split("\n")[0]
        assert diagnosis(steady) != "steady rhythm and good results"
        assert "commitment landed short" in diagnosis(steady)


def test_a_falling_target_reads_as_one() -> None:
    kr = KeyResult(9, 1, "Time to hire", 2, KeyResultType.NUMBER, 60, 40, 44.6, "days")
    person = Person(3, "li@example.com", "Li Wei", 1)
    only = objective(9, ObjectiveKind.ASPIRATIONAL, KeyResultQuarter(kr, ()))
    text = render(SummaryData(MANAGER, QUARTER, (PersonQuarter(person, (only,), 1, 1),)))
    assert "final 44.6 days (target: down to 40 days)" in text
    assert "of 40" not in text


def test_states_plainly_that_scores_are_not_a_rating() -> None:
    messages = build_summary(SummaryData(MANAGER, QUARTER, (ana(),)))
    assert COACHING_NOTE == (
        "OKR scores are context for your coaching conversation. They are not a performance "
        "rating and not a compensation input."
    )
    assert any(isinstance(b, Text) and COACHING_NOTE in b.text for b in messages[0].blocks)


def test_diagnosis_separates_results_from_rhythm() -> None:
    assert diagnosis(report(2, 0.2, 13, 12)) == (
        "results: the rhythm is there, so look at strategy or targets"
    )
    assert diagnosis(report(3, 0.2, 13, 5)) == (
        "rhythm: check-ins were missed, so start with the weekly habit"
    )
    assert diagnosis(report(4, 0.7, 13, 5)) == "good results, patchy rhythm"
    assert diagnosis(report(5, 0.7, 13, 10)) == "steady rhythm and good results"
    text = render(SummaryData(MANAGER, QUARTER, (report(3, 0.2, 13, 5),)))
    assert "**Person3 Example** · 0.20 🔴 · answered 5 of 13 weeks asked · rhythm:" in text


def test_image_only_when_a_chart_url_is_supplied() -> None:
    data = SummaryData(MANAGER, QUARTER, (ana(), report(3, 0.5, 13, 13)))
    without = build_summary(data)
    assert not any(isinstance(b, Image) for m in without for b in m.blocks)
    with_chart = build_summary(data, {2: "charts/ana@example.com.png"})
    images = [b for m in with_chart for b in m.blocks if isinstance(b, Image)]
    assert [image.url for image in images] == ["charts/ana@example.com.png"]
    assert "![Key result progress of Ana Lima](charts/ana@example.com.png)" in render(
        data, {2: "charts/ana@example.com.png"}
    )


def test_forty_people_fit_within_the_block_limit() -> None:
    team = tuple(
        report(10 + n, n / 40, 13, n % 14, kudos=(ReceivedKudos("A", "x" * 900),) * 3)
        for n in range(40)
    )
    messages = build_summary(SummaryData(MANAGER, QUARTER, team), {p.person.id: "u" for p in team})
    assert len(messages) > 1
    for message in messages:
        assert len(message.blocks) <= 45
        assert all(len(b.text) <= 3000 for b in message.blocks if isinstance(b, Text))
    text = messages_markdown(messages)
    assert all(f"## Person{10 + n} Example" in text for n in range(40))


def test_confidence_history_marks_missed_weeks() -> None:
    assert confidence_history(weeks(ON, None, None, OFF)) == "🟢⚪⚪🔴"
    assert confidence_history([]) == ""


def test_progress_rolls_up_the_alignment_tree_and_survives_a_loop() -> None:
    def aligned(oid: int, parent: int | None) -> Objective:
        return Objective(oid, QUARTER.id, f"Objective {oid}", 2, Level.TEAM, parent_id=parent)

    def krs(oid: int, *currents: float) -> list[KeyResult]:
        return [
            KeyResult(oid * 10 + n, oid, f"KR {n}", 3, KeyResultType.NUMBER, 0, 100, current)
            for n, current in enumerate(currents)
        ]

    # 1 ← 2 (no key results) ← 3 (0.2), 4 (0.6); 1 also ← 5 (1.0); 6 ⇄ 7 align to each other.
    objectives = {
        1: aligned(1, None),
        2: aligned(2, 1),
        3: aligned(3, 2),
        4: aligned(4, 2),
        5: aligned(5, 1),
        6: aligned(6, 7),
        7: aligned(7, 6),
    }
    key_results = {
        1: krs(1, 50),
        3: krs(3, 20),
        4: krs(4, 60),
        5: krs(5, 100),
        6: krs(6, 30),
        7: krs(7, 90),
    }
    progress = alignment_progress(objectives, key_results)
    assert progress[2].own is None and progress[2].aligned == 0.4 and progress[2].rolled == 0.4
    assert progress[1].own == 0.5 and progress[1].aligned_count == 2
    assert progress[1].aligned == (0.4 + 1.0) / 2
    assert progress[3].aligned is None and progress[3].aligned_count == 0
    # The loop is cut once: one of the two counts the other, never itself through it.
    assert sorted(p.aligned_count for p in (progress[6], progress[7])) == [0, 1]
