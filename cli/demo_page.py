"""The demo's index.html: each person's quarter as a chat, in the look of Slack or Teams.

One self-contained file that works from file:// with no network: the chats are rendered here, in
Python, from the Block Kit and Adaptive Cards the stand-ins received (`chat_html`), and charts
are inlined as data: URIs. A little script switches between people and jumps through the weeks.
"""

from __future__ import annotations

import base64
import html
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from okrbot.bot.quarters import Quarter
from okrbot.cli.chat_html import esc, slack_blocks, slack_view, teams_card, thread_note
from okrbot.cli.demo_company import HOLIDAY, QUARTER, DemoCompany, DemoPerson
from okrbot.cli.demo_watch import Entry, Record


def role(person: DemoPerson) -> str:
    if not person.manager_email:
        return "CEO"
    return "manager" if person.reports else "team member"


def person_id(person: DemoPerson) -> str:
    return person.email.split("@")[0]


def _first_monday() -> date:
    start = Quarter.parse(QUARTER).start
    return start - timedelta(days=start.weekday())


def week_of(at: datetime, zone: ZoneInfo) -> int:
    """Weeks since the Monday the quarter starts in, in the person's time zone (the quarter's
    reflection window runs into January, where ISO week numbers start again at 1)."""
    return max(0, (at.astimezone(zone).date() - _first_monday()).days // 7)


def week_label(week: int) -> str:
    monday = _first_monday() + timedelta(weeks=week)
    return f"week {monday.isocalendar().week} · {monday:%a %d %b}"


def _stamp(at: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    title = local.strftime("%A %d %B %Y, %H:%M %Z")
    return f'<time title="{esc(title)}">{local:%H:%M}</time>'


def _answer(text: str) -> str:
    return f'<div class="typed">{html.escape(text)}</div>'


def _shown(entry: Entry, users: dict[str, str]) -> str:
    """What okrbot's message looked like in the app; plain text when there was no card."""
    shown = entry.shown or {}
    if "view" in shown:
        return slack_view(shown["view"], users)
    if shown.get("blocks"):
        return slack_blocks(shown["blocks"], users)
    if "card" in shown:
        return teams_card(shown["card"])
    if "files" in shown:
        return "".join(
            f'<figure class="file"><figcaption>{esc(title)}</figcaption>'
            f'<img src="data:image/png;base64,{base64.b64encode(png or b"").decode()}" '
            f'alt="{esc(title)}"></figure>'
            for title, png in shown["files"]
        )
    return _answer(entry.text)


def _opened(view: dict[str, Any], person: DemoPerson) -> str:
    if view.get("type") == "home":
        return f"{html.escape(person.first_name)} opened okrbot's Home tab"
    return "okrbot opened a form"


def _kind(entry: Entry) -> str:
    """A label for the kind of message, so the page (and its test) can find digests and such."""
    text = entry.text
    if entry.who != "okrbot":
        return "answer"
    if "(shared an image" in text or "data:image/png" in str(entry.shown or ""):
        return "chart"
    for mark, kind in (
        ("Only you receive this summary", "summary"),
        ("Only you receive this digest", "digest"),
        ("Weekly check-in", "prompt"),
        ("recognised", "kudos"),
        ("Kudos", "kudos"),
        ("kudos", "kudos"),
    ):
        if mark in text:
            return kind
    return "message"


def _chat(person: DemoPerson, record: Record, users: dict[str, str]) -> str:
    zone = ZoneInfo(person.timezone)
    entries = record.transcripts.get(person.email, [])
    views = {}
    for position, at, view in record.views.get(person.email, []):
        views.setdefault(position, []).append((at, view))
    parts: list[str] = []
    day = None
    weeks: list[int] = []

    def new_day(at: datetime) -> None:
        nonlocal day
        local = at.astimezone(zone).date()
        if local != day:
            day = local
            parts.append(f'<div class="day"><span>{local:%A %d %B}</span></div>')

    for n, entry in enumerate([*entries, None]):
        for at, view in views.get(n, []):
            new_day(at)
            kind = "home" if view.get("type") == "home" else "modal"
            parts.append(
                f'<div class="dialog" data-week="{week_of(at, zone)}" data-kind="{kind}">'
                f'<div class="dialog-note">{_opened(view, person)} · {_stamp(at, zone)}</div>'
                f"{slack_view(view, users)}</div>"
            )
        if entry is None:
            break
        new_day(entry.at)
        week = week_of(entry.at, zone)
        weeks.append(week)
        bot = entry.who == "okrbot"
        name = "okrbot" if bot else person.name
        badge = '<span class="app">APP</span>' if bot and person.platform == "slack" else ""
        avatar = "ok" if bot else html.escape(person.first_name[:1])
        body = thread_note(entry.shown) + (_shown(entry, users) if bot else _answer(entry.text))
        threaded = " threaded" if (entry.shown or {}).get("thread") else ""
        parts.append(
            f'<article class="msg {"bot" if bot else "me"}{threaded}" data-week="{week}" '
            f'data-kind="{_kind(entry)}"><div class="avatar">{avatar}</div><div class="bubble">'
            f'<div class="meta"><b>{html.escape(name)}</b>{badge} {_stamp(entry.at, zone)}</div>'
            f"{body}</div></article>"
        )
    first, last = (min(weeks), max(weeks)) if weeks else (0, 0)
    return (
        f'<section class="chat {person.platform}" id="chat-{esc(person_id(person))}" '
        f'data-count="{len(entries)}" data-first="{first}" data-last="{last}" hidden>'
        f'<header class="chat-head"><b>{html.escape(person.name)}</b> · '
        f"{person.platform.capitalize()} · {role(person)} · {esc(person.timezone)}"
        f' <span class="count">{len(entries)} messages</span></header>'
        f'<div class="scroll">{"".join(parts)}</div></section>'
    )


def _sidebar(company: DemoCompany, record: Record, out: Path) -> str:
    items = []
    for person in company.people:
        count = len(record.transcripts.get(person.email, []))
        folder = out / "managers" / person.email
        reports = ""
        if folder.exists():
            links = " ".join(
                f'<a href="managers/{esc(person.email)}/{esc(f.name)}">{esc(f.stem)}</a>'
                for f in sorted(folder.glob("*.md"))
                if f.stem == "summary"
            )
            reports = f'<div class="files">{links}</div>' if links else ""
        items.append(
            f'<li><button class="person" data-person="{esc(person_id(person))}" '
            f'title="{esc(person.email)}"><span class="dot {person.platform}"></span>'
            f'<span class="who"><b>{html.escape(person.name)}</b>'
            f"<small>{person.platform.capitalize()} · {role(person)} · "
            f"{esc(person.timezone)} · {count}</small></span></button>"
            f'<div class="files"><a href="transcripts/{esc(person.email)}.txt">transcript</a>'
            f"</div>{reports}</li>"
        )
    return "\n".join(items)


def write_page(out: Path, company: DemoCompany, record: Record) -> None:
    users = {p.slack_user_id: p.name for p in company.people if p.slack_user_id}
    chats = "\n".join(_chat(person, record, users) for person in company.people)
    last = max(
        (
            week_of(e.at, ZoneInfo(p.timezone))
            for p in company.people
            for e in record.transcripts.get(p.email, [])
        ),
        default=0,
    )
    labels = json.dumps([week_label(n) for n in range(last + 1)]).replace("</", "<\\/")
    joiner = company.joiner
    events = (
        f"{HOLIDAY:%A %d %B} is a company holiday: that week's prompts go out the next working "
        f"day. {html.escape(joiner.name)} joins on {joiner.joins_on:%A %d %B} and is first "
        "asked at their next check-in time. Reflections open two weeks before the quarter ends."
    )
    values = {
        "quarter": QUARTER,
        "events": events,
        "people": _sidebar(company, record, out),
        "slack": str(len(record.slack_cards)),
        "teams": str(len(record.teams_cards)),
        "style": STYLE,
        "script": SCRIPT.replace("WEEK_LABELS", labels),
        "chats": chats,
    }
    # One pass, so nothing people typed can pull in another placeholder.
    page = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], PAGE)
    (out / "index.html").write_text(page, "utf-8")


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>okrbot demo · {quarter}</title>
<style>{style}</style>
</head><body>
<aside>
<h1>okrbot demo <small>{quarter}</small></h1>
<p class="about">A quarter of a sample company, played through the real slack-bolt and
botbuilder stacks against local stand-ins of Slack and Teams. Each chat shows what okrbot sent
(the Block Kit and Adaptive Cards those stand-ins received) and what the person answered, in
their own time zone. {events}</p>
<ul class="people">
{people}
</ul>
<p class="about">Raw: {slack} Block Kit payloads in <a href="cards/slack/">cards/slack/</a>,
{teams} Adaptive Cards in <a href="cards/teams/">cards/teams/</a>; digests and summaries as
Markdown in <a href="managers/">managers/</a>; the imported files in <a href="data/">data/</a>.</p>
</aside>
<main>
<div class="timeline"><label for="week">Jump to <output id="week-label"></output></label>
<input type="range" id="week" min="0" max="0" step="1" value="0"></div>
{chats}
</main>
<script>{script}</script>
</body></html>
"""

STYLE = """
*{box-sizing:border-box}
body{margin:0;display:flex;height:100vh;font:14px/1.45 system-ui,-apple-system,"Segoe UI",
Roboto,sans-serif;color:#1d1c1d;background:#f4f4f6}
aside{width:300px;flex:none;overflow-y:auto;background:#3f0e40;color:#e8dfe8;padding:12px}
aside h1{font-size:18px;margin:4px 0 8px;color:#fff}aside h1 small{font-weight:400;opacity:.7}
aside a{color:#f0c2f2}.about{font-size:12px;opacity:.85}
.people{list-style:none;padding:0;margin:8px 0}.people li{margin:2px 0}
.person{display:flex;gap:8px;align-items:center;width:100%;text-align:left;border:0;
background:none;color:inherit;padding:6px;border-radius:6px;cursor:pointer;font:inherit}
.person:hover{background:#ffffff1a}.person[aria-current=true]{background:#1164a3;color:#fff}
.who{display:flex;flex-direction:column}.who small{opacity:.75;font-size:11px}
.dot{width:10px;height:10px;border-radius:50%;flex:none}.dot.slack{background:#2eb67d}
.dot.teams{background:#7b83eb}.files{font-size:11px;margin-left:24px}
main{flex:1;display:flex;flex-direction:column;min-width:0}
.timeline{display:flex;gap:12px;align-items:center;padding:8px 16px;background:#fff;
border-bottom:1px solid #ddd}.timeline input{flex:1}
.chat{flex:1;display:flex;flex-direction:column;min-height:0}.chat[hidden]{display:none}
.chat-head{padding:10px 16px;background:#fff;border-bottom:1px solid #ddd}
.chat-head .count{float:right;color:#616061}
.scroll{position:relative;flex:1;overflow-y:auto;padding:8px 16px 40px}
.day{text-align:center;margin:14px 0 6px;border-top:1px solid #ddd;height:0}
.day span{position:relative;top:-11px;background:#fff;border:1px solid #ddd;border-radius:12px;
padding:2px 10px;font-size:12px;font-weight:600}
.msg{display:flex;gap:8px;margin:6px 0;padding:4px 8px;border-radius:6px}
.avatar{width:36px;height:36px;border-radius:6px;flex:none;display:flex;align-items:center;
justify-content:center;background:#e8e8e8;font-weight:700}
.bubble{min-width:0;max-width:760px}.meta{margin-bottom:2px}.meta time{color:#616061;
font-size:12px}.app{font-size:10px;background:#ddd;border-radius:3px;padding:0 3px;margin:0 4px}
.typed{white-space:pre-wrap}
.slack .scroll,.slack .day span{background:#fff}.slack .msg:hover{background:#f8f8f8}
.slack .bot .avatar{background:#4a154b;color:#fff}
.teams .scroll{background:#f5f5f5}.teams .day span{background:#f5f5f5}
.teams .bot .bubble{background:#fff;border-radius:6px;padding:8px 12px;box-shadow:0 1px 2px #0002}
.teams .me{flex-direction:row-reverse}.teams .me .bubble{background:#e8ebfa;border-radius:6px;
padding:8px 12px}.teams .bot .avatar{background:#5b5fc7;color:#fff;border-radius:50%}
.teams .me .avatar{border-radius:50%}
.sk-header{font-size:18px;font-weight:800;margin:4px 0}.sk-section{margin:4px 0;display:flex;
flex-wrap:wrap;gap:4px 12px}.sk-text{flex:1 1 100%}
.sk-fields{display:grid;grid-template-columns:1fr 1fr;gap:4px 16px;flex:1 1 100%}
.sk-context{font-size:12px;color:#616061;margin:4px 0}.sk-context span{margin-right:8px}
.sk-divider{border:0;border-top:1px solid #ddd;margin:8px 0}.sk-actions{margin:6px 0;
display:flex;flex-wrap:wrap;gap:6px}
.sk-button{display:inline-block;border:1px solid #bbb;border-radius:4px;padding:3px 12px;
font-weight:700;font-size:13px;background:#fff}.sk-button.primary{background:#007a5a;
color:#fff;border-color:#007a5a}.sk-button.danger{color:#e01e5a}
.sk-check{display:block;margin:2px 0}
.msg.threaded{margin-left:36px;border-left:3px solid #ddd}
.sk-thread{font-size:12px;color:#1264a3;margin-bottom:2px}
.ac-reply-quote{border-left:3px solid #8b8cc7;padding:2px 8px;margin-bottom:4px;color:#616161;
font-size:12px;background:#f5f5f5}
.sk-select,.sk-field,.ac-field{display:block;border:1px solid #bbb;border-radius:4px;
padding:4px 8px;background:#fff;min-height:30px}.multiline{min-height:60px}
.placeholder{color:#888}.sk-input{margin:8px 0}.sk-input label,.ac-input label{display:block;
font-weight:700;margin-bottom:2px}.optional{font-weight:400;color:#888}
blockquote{margin:2px 0;padding-left:8px;border-left:4px solid #ddd}
code{background:#f4f4f4;border:1px solid #e0e0e0;border-radius:3px;padding:0 3px;color:#e01e5a}
img{max-width:100%}figure{margin:6px 0}figcaption{font-weight:700}
.image-offline{border:1px dashed #999;padding:8px;color:#616061}
.dialog{margin:10px 0 10px 44px}.dialog-note{font-size:12px;color:#616061;margin-bottom:4px}
.sk-modal{max-width:520px;border-radius:8px;background:#fff;box-shadow:0 4px 16px #0004;
overflow:hidden}.sk-modal-title{font-weight:800;font-size:18px;padding:12px 16px;
border-bottom:1px solid #ddd}.sk-modal-body{padding:8px 16px;max-height:none}
.sk-modal-footer{display:flex;justify-content:flex-end;gap:8px;padding:10px 16px;
border-top:1px solid #ddd}
.sk-home{border:1px solid #ddd;border-radius:8px;padding:8px 12px}.sk-home-tab{font-weight:700;
border-bottom:2px solid #1264a3;display:inline-block;margin-bottom:6px}
.ac-card{min-width:300px}.tb p{margin:2px 0}.size-large{font-size:20px}
.size-medium{font-size:16px}.size-small{font-size:12px}.weight-bolder{font-weight:700}
.subtle{color:#616161}.color-attention{color:#c4314b}.color-good{color:#237b4b}
.separator{border-top:1px solid #e0e0e0;margin-top:8px;padding-top:8px}
.ac-facts{border-collapse:collapse;margin:4px 0}.ac-facts th{text-align:left;padding:2px 12px 2px 0;
vertical-align:top}.ac-facts td{padding:2px 0}.ac-facts p{margin:0}
.ac-actions{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}
.ac-button{border:1px solid #d1d1d1;border-radius:4px;padding:4px 12px;font-weight:600;
background:#fff}.ac-button.positive{background:#5b5fc7;color:#fff;border-color:#5b5fc7}
.ac-button.destructive{color:#c4314b}.ac-input{margin:6px 0}.ac-columns{display:flex;gap:12px}
.ac-column{flex:1}.unsupported{border:1px dashed #c4314b;color:#c4314b;padding:2px 6px;
font-size:12px;display:inline-block}
.mention{background:#1d9bd11a;color:#1264a3;border-radius:3px;padding:0 2px}
"""

SCRIPT = """
(function () {
  var chats = Array.prototype.slice.call(document.querySelectorAll('.chat'));
  var buttons = Array.prototype.slice.call(document.querySelectorAll('.person'));
  var slider = document.getElementById('week');
  var label = document.getElementById('week-label');
  var labels = WEEK_LABELS;
  var current = null;
  function jump(week) {
    if (!current) return;
    label.textContent = labels[week] || week;
    var items = current.querySelectorAll('[data-week]');
    for (var i = 0; i < items.length; i++) {
      if (Number(items[i].dataset.week) >= week) {
        current.querySelector('.scroll').scrollTop = items[i].offsetTop - 36;
        return;
      }
    }
  }
  function show(id) {
    chats.forEach(function (chat) { chat.hidden = chat.id !== 'chat-' + id; });
    buttons.forEach(function (b) {
      b.setAttribute('aria-current', String(b.dataset.person === id));
    });
    current = document.getElementById('chat-' + id);
    if (!current) return;
    slider.min = current.dataset.first;
    slider.max = current.dataset.last;
    slider.value = current.dataset.first;
    label.textContent = labels[slider.value] || slider.value;
    current.querySelector('.scroll').scrollTop = 0;
    if (location.hash !== '#' + id) history.replaceState(null, '', '#' + id);
  }
  buttons.forEach(function (b) {
    b.addEventListener('click', function () { show(b.dataset.person); });
  });
  chats.forEach(function (chat) {  // the slider follows when the chat is scrolled by hand
    var scroll = chat.querySelector('.scroll');
    scroll.addEventListener('scroll', function () {
      var items = chat.querySelectorAll('[data-week]');
      for (var i = 0; i < items.length; i++) {
        if (items[i].offsetTop + items[i].offsetHeight > scroll.scrollTop + 40) {
          if (slider.value !== items[i].dataset.week) {
            slider.value = items[i].dataset.week;
            label.textContent = labels[slider.value] || slider.value;
          }
          return;
        }
      }
    });
  });
  slider.addEventListener('input', function () { jump(Number(slider.value)); });
  var wanted = location.hash.slice(1);
  show(document.getElementById('chat-' + wanted) ? wanted : buttons[0].dataset.person);
})();
"""
