"""What the demo leaves behind: transcripts, raw cards, managers' reports and an index page.

Everything is written under the `--out` folder so it can be browsed without okrbot: each person's
transcript as text, every Block Kit payload and Adaptive Card as JSON (to paste into Slack's Block
Kit Builder or the Adaptive Cards Designer), and each manager's digests and quarter summary as
Markdown with the progress charts beside them.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from okrbot.bot.markdown import messages_markdown
from okrbot.cli.demo_company import HOLIDAY, QUARTER, DemoCompany, DemoPerson
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
    _write_index(out, company, record)
    return {
        "checkins_stored": checkins,
        "kudos_stored": kudos,
        "slack_payloads": len(record.slack_cards),
        "teams_cards": len(record.teams_cards),
        "slack_refused": [c.method for c in stage.slack_sandbox.calls if not c.ok],
        "teams_unauthorized": sum(r.status == 401 for r in stage.teams_sandbox.requests),
        "teams_app_tokens": len(stage.identity.issued),
    }


def _write_index(out: Path, company: DemoCompany, record: Record) -> None:
    rows = []
    for person in company.people:
        role = "CEO" if not person.manager_email else "manager" if person.reports else ""
        rows.append(
            f"<tr><td>{html.escape(person.name)}</td><td>{role}</td>"
            f"<td>{person.platform.capitalize()}</td><td>{html.escape(person.timezone)}</td>"
            f"<td><a href='transcripts/{person.email}.txt'>transcript</a></td>"
            f"<td>{_manager_links(out, person)}</td></tr>"
        )
    joiner = company.joiner
    events = (
        f"{HOLIDAY:%A %d %B} is a company holiday (<code>OKRBOT_HOLIDAYS</code>): that "
        f"week's prompts go out the next working day. {html.escape(joiner.name)} joins on "
        f"{joiner.joins_on:%A %d %B} and is first asked at their next check-in time. "
        "Reflections open two weeks before the quarter ends and close a week after it."
    )
    page = INDEX_TEMPLATE.format(
        quarter=QUARTER,
        events=events,
        rows="\n".join(rows),
        slack=len(record.slack_cards),
        teams=len(record.teams_cards),
    )
    (out / "index.html").write_text(page, "utf-8")


def _manager_links(out: Path, person: DemoPerson) -> str:
    folder = out / "managers" / person.email
    if not folder.exists():
        return ""
    links = [
        f"<a href='managers/{person.email}/{f.name}'>{html.escape(f.stem)}</a>"
        for f in sorted(folder.glob("*.md"))
    ]
    return " · ".join(links)


INDEX_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>okrbot demo · {quarter}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}}
table{{border-collapse:collapse}}
td,th{{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}}
</style>
</head><body>
<h1>okrbot demo · a quarter ({quarter}) of a sample company</h1>
<p>Every message below went through the real slack-bolt and botbuilder stacks to local stand-ins
of Slack and Teams. Transcripts show what each person was sent and answered, in their own time.
{events}</p>
<table><tr><th>Person</th><th>Role</th><th>Platform</th><th>Time zone</th><th>Transcript</th>
<th>Digests and summary (private to the manager)</th></tr>
{rows}
</table>
<h2>Raw messages</h2>
<p>{slack} Block Kit payloads in <a href="cards/slack/">cards/slack/</a> (paste into Slack's
Block Kit Builder) and {teams} Adaptive Cards in <a href="cards/teams/">cards/teams/</a> (paste
into the Adaptive Cards Designer).</p>
</body></html>
"""
