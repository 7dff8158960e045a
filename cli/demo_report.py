"""What the demo leaves behind: transcripts, raw cards, managers' reports and an index page.

Everything is written under the `--out` folder so it can be browsed without okrbot: each person's
transcript as text, every Block Kit payload and Adaptive Card as JSON (to paste into Slack's Block
Kit Builder or the Adaptive Cards Designer), and each manager's digests and quarter summary as
Markdown with the progress charts beside them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from okrbot.bot.markdown import messages_markdown
from okrbot.cli.demo_company import DemoCompany
from okrbot.cli.demo_page import write_page
from okrbot.cli.demo_stage import Stage
from okrbot.cli.demo_watch import Record
from okrbot.storage.models import CheckInRow, KudosRow


async def write_outputs(
    out: Path, company: DemoCompany, record: Record, stage: Stage
) -> dict[str, Any]:
    """Write it all under `out`; returns what was stored and sent, for the closing summary."""
    (out / "transcripts").mkdir(parents=True, exist_ok=True)
    for person in company.people:
        zone = ZoneInfo(person.timezone)
        lines = [f"{person.name} <{person.email}> · {person.timezone}", ""]
        for entry in record.transcripts.get(person.email, []):
            when = entry.at.astimezone(zone).strftime("%a %d %b %H:%M")
            who = "okrbot" if entry.who == "okrbot" else person.first_name
            lines.append(f"[{when}] {who}:")
            lines.extend("    " + line for line in entry.text.splitlines() or [""])
            lines.append("")
        (out / "transcripts" / f"{person.email}.txt").write_text("\n".join(lines), "utf-8")
    for platform in ("slack", "teams"):
        (out / "cards" / platform).mkdir(parents=True, exist_ok=True)
    for n, (email, method, payload) in enumerate(record.slack_cards, 1):
        name = f"{n:04d}-{email.split('@')[0]}-{method.replace('.', '-')}.json"
        (out / "cards" / "slack" / name).write_text(json.dumps(payload, indent=2), "utf-8")
    for n, (email, card) in enumerate(record.teams_cards, 1):
        name = f"{n:04d}-{email.split('@')[0]}.json"
        (out / "cards" / "teams" / name).write_text(json.dumps(card, indent=2), "utf-8")
    for (email, period), messages in sorted(record.digests.items()):
        folder = out / "managers" / email
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"digest-{period}.md").write_text(messages_markdown(messages), "utf-8")
    for email, (messages, charts) in record.summaries.items():
        folder = out / "managers" / email
        folder.mkdir(parents=True, exist_ok=True)
        images = "\n".join(f"![{title}]({name})" for name, title, _png in charts)
        text = messages_markdown(messages) + "\n\n## Progress charts\n\n" + images + "\n"
        (folder / "summary.md").write_text(text, "utf-8")
        for name, _title, png in charts:
            (folder / name).write_bytes(png)
    async with stage.database.reading() as session:
        checkins = len((await session.scalars(select(CheckInRow.id))).all())
        kudos = len((await session.scalars(select(KudosRow.id))).all())
    write_page(out, company, record)
    return {
        "checkins_stored": checkins,
        "kudos_stored": kudos,
        "slack_payloads": len(record.slack_cards),
        "teams_cards": len(record.teams_cards),
        "slack_refused": [c.method for c in stage.slack_sandbox.calls if not c.ok],
        "teams_unauthorized": sum(r.status == 401 for r in stage.teams_sandbox.requests),
        "teams_app_tokens": len(stage.identity.issued),
    }
