"""The demo's page in a real browser: headless Chromium opens it from file://, offline.

Locally the test skips when Chromium (Debian's /usr/bin/chromium) or playwright is missing; CI
sets OKRBOT_REQUIRE_BROWSER=1 (.ci/run installs Chromium), which turns that skip into a failure.
Screenshots of a Slack chat, a Teams chat and a manager's quarter summary are saved under the
test's tmp dir, and also into OKRBOT_DEMO_SCREENSHOTS when set (how docs/ got its picture).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from okrbot.cli.demo import run_demo
from okrbot.cli.demo_company import DemoCompany, build_company
from okrbot.cli.demo_page import person_id

CHROMIUM = Path(os.environ.get("OKRBOT_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PEOPLE, SEED = 6, 5
QUARTER_STARTS_IN_WEEK = 40  # 2026-Q4 starts on Thursday 1 October, in ISO week 40


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is absent (apt-get install -y chromium chromium-driver)"
    return None


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoCompany]:
    missing = _browser_missing()
    if missing:
        if os.environ.get("OKRBOT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"OKRBOT_REQUIRE_BROWSER=1 but {missing}")
        pytest.skip(f"no browser to test the demo page in: {missing}")
    out = tmp_path_factory.mktemp("demo-page")
    asyncio.run(run_demo(out, people=PEOPLE, weeks=13, seed=SEED, show_progress=False))
    return out, build_company(PEOPLE, SEED)


@pytest.fixture(scope="module")
def browser(demo: tuple[Path, DemoCompany]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


class Opened:
    """The page, with every console error and every request that left file:// kept."""

    def __init__(self, browser: Any, out: Path) -> None:
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else 0)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route(re.compile(r"^(?!file:|data:)"), self._refuse)
        self.page.goto((out / "index.html").as_uri())

    def _refuse(self, route: Any) -> None:
        self.outside.append(route.request.url)
        route.abort()

    def choose(self, email: str) -> Any:
        self.page.click(f'.person[data-person="{person_id_of(email)}"]')
        return self.page.locator(".chat:not([hidden])")

    def slide_to(self, week: int) -> None:
        """Slide to the quarter's n-th week (0: the week it starts in)."""
        self.page.eval_on_selector(
            "#week", f"e => {{ e.value = {week}; e.dispatchEvent(new Event('input')); }}"
        )

    def slide_to_iso_week(self, iso_week: int) -> int:
        week = iso_week - QUARTER_STARTS_IN_WEEK
        self.slide_to(week)
        assert self.page.locator("#week-label").inner_text().startswith(f"week {iso_week} · ")
        return week


def person_id_of(email: str) -> str:
    return email.split("@")[0]


def transcript_messages(out: Path, email: str) -> int:
    text = (out / "transcripts" / f"{email}.txt").read_text("utf-8")
    return len(re.findall(r"^\[\w{3} \d\d \w{3} \d\d:\d\d\] .+:$", text, re.MULTILINE))


def _screenshots(tmp_path: Path) -> Path:
    folder = tmp_path / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder


def _keep(shot: Path) -> None:
    wanted = os.environ.get("OKRBOT_DEMO_SCREENSHOTS")
    if wanted:
        Path(wanted).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(wanted) / shot.name)


def test_every_chat_shows_as_many_messages_as_the_transcript_and_nothing_errs(
    demo: tuple[Path, DemoCompany], browser: Any
) -> None:
    out, company = demo
    opened = Opened(browser, out)
    for person in company.people:
        chat = opened.choose(person.email)
        expected = transcript_messages(out, person.email)
        assert expected > 0, person.email
        assert chat.locator(".msg").count() == expected, person.email
        assert chat.locator(".chat-head").inner_text().endswith(f"{expected} messages")
        current = opened.page.locator('.person[aria-current="true"]')
        assert current.get_attribute("data-person") == person_id(person)
        assert opened.page.evaluate("location.hash") == f"#{person_id(person)}"
        assert chat.locator(".unsupported").count() == 0, person.email
        if person.platform == "slack" and person.joins_on is None:
            assert chat.locator(".sk-home").count() == 1, person.email  # the Home tab, once
            assert chat.locator(".sk-modal").count() > 0, person.email  # check-in modals
    assert opened.errors == [] and opened.outside == []


def test_the_week_slider_jumps_through_the_quarter(
    demo: tuple[Path, DemoCompany], browser: Any
) -> None:
    out, company = demo
    opened = Opened(browser, out)
    person = next(p for p in company.people if p.reports)
    chat = opened.choose(person.email)
    scroll = chat.locator(".scroll")
    assert scroll.evaluate("e => e.scrollTop") == 0
    first, last = int(chat.get_attribute("data-first")), int(chat.get_attribute("data-last"))
    assert last - first >= 12  # the whole quarter, from the first prompt on
    week = opened.slide_to_iso_week(48)
    target = chat.locator(f'[data-week="{week}"]').first
    top = scroll.evaluate("e => e.getBoundingClientRect().top")
    shown = target.evaluate("e => e.getBoundingClientRect().top")
    assert 0 <= shown - top < 100  # week 48's first message is at the top of the chat
    opened.slide_to(first)
    assert scroll.evaluate("e => e.scrollTop") < 100
    assert opened.errors == []


def test_screenshots_of_a_slack_chat_a_teams_chat_and_a_managers_summary(
    demo: tuple[Path, DemoCompany], browser: Any, tmp_path: Path
) -> None:
    out, company = demo
    opened = Opened(browser, out)
    folder = _screenshots(tmp_path)
    team = [p for p in company.people if not p.reports and p.joins_on is None]
    for platform in ("slack", "teams"):
        person = next(p for p in team if p.platform == platform)
        chat = opened.choose(person.email)
        assert platform in chat.get_attribute("class").split()
        week = opened.slide_to_iso_week(42)
        prompt = chat.locator(f'[data-kind="prompt"][data-week="{week}"]').first
        assert prompt.is_visible()
        shot = folder / f"demo-{platform}-chat.png"
        opened.page.screenshot(path=str(shot))
        _keep(shot)
        assert shot.stat().st_size > 10_000
    manager = next(p for p in company.people if p.reports and p.manager_email)
    opened.page.set_viewport_size({"width": 1400, "height": 2200})  # the summary and its charts
    chat = opened.choose(manager.email)
    summary = chat.locator('[data-kind="summary"]').last
    summary.evaluate("e => e.scrollIntoView({block: 'start'})")
    last_week = int(summary.get_attribute("data-week"))
    opened.page.wait_for_function(f"document.getElementById('week').value == '{last_week}'")
    charts = chat.locator('[data-kind="chart"] img, [data-kind="summary"] img')
    assert charts.count() >= len(manager.reports)
    for n in range(charts.count()):  # every chart decoded and drawn
        assert charts.nth(n).evaluate("e => e.complete && e.naturalWidth > 100")
    shot = folder / "demo-manager-summary.png"
    opened.page.screenshot(path=str(shot))
    _keep(shot)
    assert opened.errors == [] and opened.outside == []
    print(f"screenshots in {folder}")
