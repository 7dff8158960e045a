"""`okrbot demo` plays a quarter through the real stacks and leaves a browsable record."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from okrbot.adapters.slack.blockkit_limits import blockkit_problems, view_problems
from okrbot.cli.common import console
from okrbot.cli.demo import run_demo
from okrbot.cli.demo_company import HOLIDAY, JOINS_ON, build_company
from okrbot.cli.demo_conversation import ANSWER, BLOCKER, MANAGER_REPLY
from okrbot.cli.main import app
from tests.card_schema import card_problems

WEEKS = 3


async def test_demo_leaves_transcripts_cards_and_an_index(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    out.mkdir()
    figures = await run_demo(out, people=6, weeks=WEEKS, seed=3, show_progress=False)
    company = build_company(6, 3)

    assert (out / "index.html").is_file()
    assert (out / "data" / "people.csv").is_file() and (out / "data" / "okrs.yaml").is_file()
    index = (out / "index.html").read_text()
    holiday = HOLIDAY.strftime("%a %d %b")
    for person in company.people:
        transcript = (out / "transcripts" / f"{person.email}.txt").read_text()
        assert person.email in index
        weeks = set(re.findall(r"Weekly check-in · week (\d+)", transcript))
        if person.joins_on is not None:
            assert weeks == set(), person.email  # joins after these weeks: never asked yet
            continue
        # Everyone owns key results, and nobody is away in the first weeks: a prompt each week,
        # that of the holiday's week on the day after it.
        assert weeks == {"41", "42", "43"}, (person.email, weeks)
        assert f"[{holiday} " not in transcript, person.email  # nobody hears from okrbot
        assert re.search(r"\[Tue 13 Oct \d\d:\d\d\] okrbot:\n +(## )?Weekly check-in", transcript)
    # The page shows each person's quarter as a chat with every message of their transcript,
    # Slack's modals as dialogs and Teams' cards, all drawn (nothing unsupported), all offline.
    for person in company.people:
        transcript = (out / "transcripts" / f"{person.email}.txt").read_text()
        count = len(re.findall(r"^\[\w{3} \d\d \w{3} \d\d:\d\d\] .+:$", transcript, re.M))
        assert f'id="chat-{person.email.split("@")[0]}" data-count="{count}"' in index
    assert index.count('class="msg ') == sum(
        len(re.findall(r"^\[", p.read_text(), re.M)) for p in (out / "transcripts").glob("*")
    )
    assert 'class="sk-modal" role="dialog"' in index and 'class="ac-card"' in index
    # Slack people open the Home tab once, after their second check-in; the page shows it.
    slack_people = [p for p in company.people if p.platform == "slack" and p.joins_on is None]
    assert index.count('data-kind="home"') == len(slack_people)
    assert index.count('<div class="sk-home">') == len(slack_people)
    assert "unsupported element" not in index
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", index)
    assert figures["checkins"] > 0 and figures["checkins_stored"] > 0
    assert figures["slack_refused"] == []  # every Slack call was accepted by the sandbox
    # Teams ran in production mode: okrbot got app tokens and the connector refused none.
    assert figures["teams_app_tokens"] >= 1 and figures["teams_unauthorized"] == 0

    # In week 1 someone drafts a personal OKR in chat; their manager approves it, and from the
    # next week's prompt on its key results are part of the check-in.
    drafter = next(
        p for p in company.people if p.manager_email and not p.reports and p.joins_on is None
    )
    drafted = (out / "transcripts" / f"{drafter.email}.txt").read_text()
    assert re.search(r"\[Fri 02 Oct \d\d:\d\d\] \w+:\n +/?okr new\n +Objective: Know our", drafted)
    approved = drafted.index(
        f"approved your OKR 'Know our customers first-hand ({drafter.first_name})'"
    )
    assert "Weekly check-in" not in drafted[:approved]  # approved before the first prompt
    first_prompt = drafted[drafted.index("Weekly check-in · week 41") :]
    assert "Customer calls joined" in first_prompt.split("\n\n")[0]
    assert drafter.manager_email is not None
    managing = (out / "transcripts" / f"{drafter.manager_email}.txt").read_text()
    assert f"OKR draft from {drafter.name}" in managing and "[Approve]" in managing

    # In week 3 a report adds to their 1:1 agenda; the manager runs the 1:1 agenda the next
    # day, privately, and marks it discussed after the meeting. The page draws it.
    report = [
        p for p in company.people if p.manager_email and not p.reports and p.joins_on is None
    ][1]
    assert report.manager_email is not None
    manager = company.by_email(report.manager_email)
    reporting = (out / "transcripts" / f"{report.email}.txt").read_text()
    assert re.search(r"\[Tue 20 Oct 15:20\] \w+:\n +(/okr )?agenda add @", reporting)
    assert f"Added to your 1:1 agenda with {manager.name}" in reporting
    held = (out / "transcripts" / f"{manager.email}.txt").read_text()
    agenda = held[held.index(f"1:1 agenda · {report.name}\n") :]
    assert "Since the quarter started (Thu 1 Oct); no 1:1 recorded yet" in agenda
    assert f"{report.name}: “How I can take over the onboarding metrics" in agenda
    assert "[Mark discussed]" in agenda and "marked this 1:1 held on Wed 21 Oct" in agenda
    assert f"1:1 agenda · {report.name} · discussed ✅" in index
    for person in company.people:  # nobody else hears of it
        if person.email not in (report.email, manager.email):
            other = (out / "transcripts" / f"{person.email}.txt").read_text()
            assert "1:1 agenda ·" not in other and "onboarding metrics next" not in other
    # From the second week, the first time the next such person checks in they name a blocker
    # and ask for feedback; their manager replies from the digest and they answer back once,
    # threaded under their check-in (Slack) or as a reply to its card (Teams).
    asking = [
        p for p in company.people if p.manager_email and not p.reports and p.joins_on is None
    ][1]
    assert asking.manager_email is not None
    told = (out / "transcripts" / f"{asking.email}.txt").read_text()
    managing = (out / "transcripts" / f"{asking.manager_email}.txt").read_text()
    assert BLOCKER in told and "I'd like feedback on this" in told
    assert "Asked for your feedback" in managing and f"[Reply to {asking.first_name}]" in managing
    assert MANAGER_REPLY in told and told.index(MANAGER_REPLY) < told.index(ANSWER)
    assert told.count(ANSWER) == 1 and ANSWER in managing
    looks = "sk-thread" if asking.platform == "slack" else "ac-reply-quote"
    assert looks in index

    slack = sorted((out / "cards" / "slack").glob("*.json"))
    teams = sorted((out / "cards" / "teams").glob("*.json"))
    assert slack and teams  # both platforms played
    for path in slack:
        payload = json.loads(path.read_text())
        if payload.get("type") == "modal":
            assert view_problems(payload) == [], path.name
        elif payload.get("type") == "home":
            assert blockkit_problems(payload["blocks"], "home") == [], path.name
        else:
            assert blockkit_problems(payload["blocks"], "message") == [], path.name
    for path in teams:
        assert card_problems(json.loads(path.read_text())) == [], path.name


async def test_the_same_seed_gives_the_same_transcripts(tmp_path: Path) -> None:
    runs = []
    for name in ("first", "second"):
        out = tmp_path / name
        out.mkdir()
        await run_demo(out, people=4, weeks=2, seed=11, show_progress=False)
        runs.append({p.name: p.read_text() for p in sorted((out / "transcripts").glob("*.txt"))})
    assert runs[0] == runs[1]


def test_demo_command_reports_where_things_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "width", 200)
    out = tmp_path / "okrbot-demo"
    result = CliRunner().invoke(
        app, ["demo", "--out", str(out), "--people", "3", "--weeks", "1", "--seed", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "index.html" in result.output and "Next: connect a real workspace" in result.output
    assert (out / "index.html").is_file()


async def test_a_full_quarter_ends_with_every_manager_summarised(tmp_path: Path) -> None:
    out = tmp_path / "quarter"
    out.mkdir()
    figures = await run_demo(out, people=4, weeks=13, seed=5, show_progress=False)
    company = build_company(4, 5)
    assert figures["reflections"] >= len(company.people) // 2

    # The new hire is imported on a Wednesday and first asked at their next check-in time; that
    # first prompt, and their manager's digest of that week, flag nothing as stale.
    joiner = company.joiner
    transcript = (out / "transcripts" / f"{joiner.email}.txt").read_text()
    prompts = transcript.split("Weekly check-in · week ")[1:]
    assert prompts[0].startswith("44\n") and "no check-in for two weeks" not in prompts[0]
    assert JOINS_ON.isocalendar().week == 43
    manager = company.by_email(joiner.manager_email or "")
    digest = (out / "managers" / manager.email / "digest-2026-W44.md").read_text()
    section = digest.split(joiner.name, 1)[1]
    others = [company.by_email(r).name for r in manager.reports if r != joiner.email]
    section = min((section.split(name, 1)[0] for name in others), key=len)
    assert "no check-in for two weeks" not in section
    # This company's 1:1 is on Slack: `/okr 1on1` answers where it was typed, the agenda
    # comes in the manager's DM, and Mark discussed updates it there.
    report = [
        p for p in company.people if p.manager_email and not p.reports and p.joins_on is None
    ][1]
    held = (out / "transcripts" / f"{report.manager_email}.txt").read_text()
    assert report.platform == "slack" and f"/okr 1on1 @{report.name}" in held
    assert f"Your 1:1 agenda with {report.name} is in your DM with okrbot." in held
    assert f"(updated its message) ## 1:1 agenda · {report.name} · discussed ✅" in held
    managers = [p for p in company.people if p.reports]
    assert managers
    index = (out / "index.html").read_text()
    for manager in managers:  # each summary is in the manager's chat, with its charts drawn
        chat = index.split(f'id="chat-{manager.email.split("@")[0]}"', 1)[1].split("</section>")[0]
        assert 'data-kind="summary"' in chat
        assert chat.count('src="data:image/png;base64,') == len(manager.reports)
    for manager in managers:
        folder = out / "managers" / manager.email
        summary = (folder / "summary.md").read_text()
        assert "not a performance rating and not a compensation input" in summary
        charts = sorted(folder.glob("*.png"))
        assert len(charts) == len(manager.reports)
        assert all(c.read_bytes().startswith(b"\x89PNG") for c in charts)
        assert len(list(folder.glob("digest-*.md"))) >= 12
        for report in manager.reports:
            assert company.by_email(report).name in summary
        # The reflection was open long enough: most people wrote one, and it reached the summary.
        assert summary.count("**What went well**") >= len(manager.reports) // 2
        outsiders = [p for p in company.people if p.email not in manager.reports]
        for person in outsiders:
            if person.email != manager.email:
                assert f"## {person.name}\n" not in summary  # no one else's section
