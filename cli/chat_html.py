"""Block Kit and Adaptive Cards as HTML, the way Slack and Teams show them, for the demo's page.

Only the subset okrbot sends is drawn; anything else shows up as "unsupported element X" rather
than disappearing, so a new kind of block cannot silently vanish from the page. Every piece of
text is hostile (people typed it): it is escaped with `html.escape` before any markup is added,
links keep to http(s)/mailto, and images only load from `data:` URIs so the page works offline.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

_SAFE_URL = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*$")
_SLACK_TOKEN = re.compile(r"<([^<>\n]*)>")
_CODE = re.compile(r"`([^`\n]+)`")
_SLACK_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_MD_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_MD_LINK = re.compile(r"\[([^\[\]\n]+)\]\(([^()\s]+)\)")
_HOLE = "\x00{}\x00"
_HOLES = re.compile(r"\x00(\d+)\x00")


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def unsupported(kind: object) -> str:
    return f'<div class="unsupported">unsupported element {esc(kind)}</div>'


def _link(url: str, label: str) -> str:
    if not _SAFE_URL.match(url):
        return esc(label if label == url else f"{label} ({url})")
    return f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(label)}</a>'


def _image(url: object, alt: object, css: str = "") -> str:
    """An image from a data: URI; anything else (it would need the network) as a labelled box."""
    if isinstance(url, str) and _DATA_IMAGE.match(url):
        return f'<img class="{css}" src="{esc(url)}" alt="{esc(alt)}">'
    return f'<div class="image-offline {css}">🖼 {esc(alt or "image")} ({esc(url)})</div>'


class _Holes:
    """Finished HTML pieces set aside while regexes format the text around them."""

    def __init__(self) -> None:
        self.pieces: list[str] = []

    def put(self, piece: str) -> str:
        self.pieces.append(piece)
        return _HOLE.format(len(self.pieces) - 1)

    def code(self, match: re.Match[str]) -> str:
        return self.put(f"<code>{match.group(1)}</code>")

    def link(self, match: re.Match[str]) -> str:
        return self.put(_link(match.group(2), match.group(1)))

    def fill(self, text: str) -> str:
        return _HOLES.sub(lambda m: self.pieces[int(m.group(1))], text)


def _slack_token(token: str, holes: _Holes, users: Mapping[str, str]) -> str:
    target, _, label = token.partition("|")
    target, label = _slack_unescape(target), _slack_unescape(label)
    if target.startswith("@"):
        name = label or users.get(target[1:], target[1:])
        return holes.put(f'<span class="mention">@{esc(name)}</span>')
    if target.startswith("#"):
        return holes.put(f'<span class="mention">#{esc(label or target[1:])}</span>')
    if target.startswith("!"):
        return holes.put(f'<span class="mention">@{esc(label or target[1:].split("^")[0])}</span>')
    return holes.put(_link(target, label or target))


def _slack_unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mrkdwn(text: str, users: Mapping[str, str] | None = None) -> str:
    """Slack mrkdwn (already Slack-escaped, as okrbot sends it) as safe HTML."""
    users = users or {}
    lines = []
    for line in text.split("\n"):
        holes = _Holes()
        quoted = line.startswith(("&gt; ", "> "))
        if quoted:
            line = line.split(" ", 1)[1]
        parts = []
        last = 0
        for match in _SLACK_TOKEN.finditer(line):
            parts.append(esc(_slack_unescape(line[last : match.start()])))
            parts.append(_slack_token(match.group(1), holes, users))
            last = match.end()
        parts.append(esc(_slack_unescape(line[last:])))
        shown = "".join(parts)
        shown = _CODE.sub(holes.code, shown)
        shown = _SLACK_BOLD.sub(r"<b>\1</b>", shown)
        shown = _ITALIC.sub(r"<i>\1</i>", shown)
        shown = _STRIKE.sub(r"<s>\1</s>", shown)
        shown = holes.fill(shown)
        lines.append(f"<blockquote>{shown}</blockquote>" if quoted else shown)
    return "<br>".join(lines).replace("</blockquote><br><blockquote>", "<br>")


def card_markdown(text: str) -> str:
    """The markdown a Teams TextBlock renders (bold, italic, links, lists) as safe HTML."""
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", text):
        lines = []
        for line in paragraph.split("\n"):
            holes = _Holes()
            bullet = line.startswith(("- ", "* "))
            if bullet:
                line = line[2:]
            shown = _MD_LINK.sub(holes.link, line)
            shown = esc(shown)
            shown = _CODE.sub(holes.code, shown)
            shown = _MD_BOLD.sub(r"<b>\1</b>", shown)
            shown = _ITALIC.sub(r"<i>\1</i>", shown)
            shown = holes.fill(shown)
            lines.append(f"• {shown}" if bullet else shown)
        paragraphs.append(f"<p>{'<br>'.join(lines)}</p>")
    return "".join(paragraphs)


# -- Slack Block Kit ------------------------------------------------------------------------


def _slack_text(obj: Any, users: Mapping[str, str]) -> str:
    if not isinstance(obj, Mapping):
        return unsupported(f"text {type(obj).__name__}")
    kind = obj.get("type")
    if kind == "mrkdwn":
        return mrkdwn(str(obj.get("text", "")), users)
    if kind == "plain_text":
        return esc(obj.get("text", "")).replace("\n", "<br>")
    return unsupported(kind)


def _slack_element(element: Any, users: Mapping[str, str]) -> str:
    """An interactive element (in actions, an input or a section's accessory)."""
    kind = element.get("type") if isinstance(element, Mapping) else None
    if kind == "button":
        style = element.get("style", "")
        label = _slack_text(element.get("text"), users)
        return f'<span class="sk-button {esc(style)}" role="button">{label}</span>'
    if kind == "static_select":
        chosen = (element.get("initial_option") or {}).get("text")
        shown = _slack_text(chosen, users) if chosen else "Select an item"
        return f'<span class="sk-select">{shown} ▾</span>'
    if kind == "number_input":
        return f'<span class="sk-field">{esc(element.get("initial_value", ""))}</span>'
    if kind == "plain_text_input":
        value = element.get("initial_value")
        placeholder = element.get("placeholder")
        css = "sk-field multiline" if element.get("multiline") else "sk-field"
        if value:
            return f'<span class="{css}">{esc(value)}</span>'
        hint = _slack_text(placeholder, users) if placeholder else ""
        return f'<span class="{css} placeholder">{hint}</span>'
    if kind == "checkboxes":
        ticked = {o.get("value") for o in element.get("initial_options") or []}
        boxes = [
            f'<span class="sk-check">{"☑" if o.get("value") in ticked else "☐"} '
            f"{_slack_text(o.get('text'), users)}</span>"
            for o in element.get("options") or []
        ]
        return "".join(boxes)
    if kind in ("users_select", "multi_users_select"):
        return '<span class="sk-select placeholder">Select people ▾</span>'
    if kind == "conversations_select":
        return '<span class="sk-select placeholder">Select a channel ▾</span>'
    if kind == "image":
        return _image(element.get("image_url"), element.get("alt_text"), "sk-thumb")
    return unsupported(kind)


def slack_block(block: Any, users: Mapping[str, str] | None = None) -> str:
    users = users or {}
    kind = block.get("type") if isinstance(block, Mapping) else None
    if kind == "header":
        return f'<div class="sk-header">{_slack_text(block.get("text"), users)}</div>'
    if kind == "section":
        parts = []
        if block.get("text"):
            parts.append(f'<div class="sk-text">{_slack_text(block["text"], users)}</div>')
        if block.get("fields"):
            fields = "".join(
                f'<div class="sk-field-cell">{_slack_text(f, users)}</div>' for f in block["fields"]
            )
            parts.append(f'<div class="sk-fields">{fields}</div>')
        accessory = block.get("accessory")
        if accessory:
            parts.append(f'<div class="sk-accessory">{_slack_element(accessory, users)}</div>')
        return f'<div class="sk-section">{"".join(parts)}</div>'
    if kind == "context":
        items = []
        for element in block.get("elements") or []:
            if isinstance(element, Mapping) and element.get("type") == "image":
                items.append(_image(element.get("image_url"), element.get("alt_text"), "sk-icon"))
            else:
                items.append(f"<span>{_slack_text(element, users)}</span>")
        return f'<div class="sk-context">{"".join(items)}</div>'
    if kind == "divider":
        return '<hr class="sk-divider">'
    if kind == "actions":
        elements = "".join(_slack_element(e, users) for e in block.get("elements") or [])
        return f'<div class="sk-actions">{elements}</div>'
    if kind == "image":
        title = block.get("title")
        caption = f"<figcaption>{_slack_text(title, users)}</figcaption>" if title else ""
        image = _image(block.get("image_url"), block.get("alt_text"), "sk-image")
        return f"<figure>{caption}{image}</figure>"
    if kind == "input":
        optional = ' <span class="optional">(optional)</span>' if block.get("optional") else ""
        label = _slack_text(block.get("label"), users)
        element = _slack_element(block.get("element"), users)
        return f'<div class="sk-input"><label>{label}{optional}</label>{element}</div>'
    return unsupported(kind)


def slack_blocks(blocks: Any, users: Mapping[str, str] | None = None) -> str:
    return "".join(slack_block(b, users) for b in blocks or [])


def slack_view(view: Mapping[str, Any], users: Mapping[str, str] | None = None) -> str:
    """A modal as a dialog (title, blocks, Cancel and submit), or the Home tab."""
    kind = view.get("type")
    body = slack_blocks(view.get("blocks"), users)
    if kind == "home":
        return f'<div class="sk-home"><div class="sk-home-tab">Home</div>{body}</div>'
    if kind != "modal":
        return unsupported(f"view {kind}")
    title = _slack_text(view.get("title"), users)
    buttons = []
    if view.get("close"):
        buttons.append(f'<span class="sk-button">{_slack_text(view["close"], users)}</span>')
    if view.get("submit"):
        submit = _slack_text(view["submit"], users)
        buttons.append(f'<span class="sk-button primary">{submit}</span>')
    return (
        f'<div class="sk-modal" role="dialog"><div class="sk-modal-title">{title}</div>'
        f'<div class="sk-modal-body">{body}</div>'
        f'<div class="sk-modal-footer">{"".join(buttons)}</div></div>'
    )


# -- Teams Adaptive Cards -------------------------------------------------------------------


def _spaced(element: Mapping[str, Any], css: str, inner: str, tag: str = "div") -> str:
    if element.get("separator"):
        css += " separator"
    return f'<{tag} class="{css}">{inner}</{tag}>'


def _text_block(element: Mapping[str, Any]) -> str:
    css = ["tb"]
    for key in ("size", "weight", "color"):
        if element.get(key):
            css.append(f"{key}-{str(element[key]).lower()}")
    if element.get("isSubtle"):
        css.append("subtle")
    return _spaced(element, esc(" ".join(css)), card_markdown(str(element.get("text", ""))))


def _action(action: Any) -> str:
    kind = action.get("type") if isinstance(action, Mapping) else None
    if kind in ("Action.Submit", "Action.Execute", "Action.ShowCard"):
        style = esc(action.get("style", "default"))
        return (
            f'<span class="ac-button {style}" role="button">{esc(action.get("title", ""))}</span>'
        )
    if kind == "Action.OpenUrl":
        link = _link(str(action.get("url", "")), str(action.get("title", "")))
        return f'<span class="ac-button">{link}</span>'
    return unsupported(kind)


def _actions(actions: Any) -> str:
    return "".join(_action(a) for a in actions or [])


def _input(element: Mapping[str, Any]) -> str:
    kind = element.get("type")
    label = element.get("label")
    shown = f"<label>{esc(label)}</label>" if label else ""
    value = element.get("value")
    if kind == "Input.ChoiceSet":
        titles = {c.get("value"): c.get("title") for c in element.get("choices") or []}
        chosen = titles.get(value) if value is not None else None
        text = (
            esc(chosen)
            if chosen
            else f'<span class="placeholder">{esc(element.get("placeholder", "Select"))}</span>'
        )
        return f'<div class="ac-input">{shown}<span class="ac-field">{text} ▾</span></div>'
    if kind == "Input.Toggle":
        mark = "☑" if value == element.get("valueOn", "true") else "☐"
        title = esc(element.get("title", ""))
        return f'<div class="ac-input"><span class="ac-field">{mark} {title}</span></div>'
    if kind in ("Input.Text", "Input.Number", "Input.Date", "Input.Time"):
        if value is not None and value != "":
            text = esc(value)
        else:
            text = f'<span class="placeholder">{esc(element.get("placeholder", ""))}</span>'
        css = "ac-field multiline" if element.get("isMultiline") else "ac-field"
        return f'<div class="ac-input">{shown}<span class="{css}">{text}</span></div>'
    return unsupported(kind)


def card_element(element: Any) -> str:
    kind = element.get("type") if isinstance(element, Mapping) else None
    if kind == "TextBlock":
        return _text_block(element)
    if kind == "FactSet":
        rows = "".join(
            f"<tr><th>{card_markdown(str(f.get('title', '')))}</th>"
            f"<td>{card_markdown(str(f.get('value', '')))}</td></tr>"
            for f in element.get("facts") or []
        )
        return _spaced(element, "ac-facts", rows, "table")
    if kind == "Image":
        return _spaced(element, "ac-image", _image(element.get("url"), element.get("altText")))
    if kind == "ActionSet":
        return _spaced(element, "ac-actions", _actions(element.get("actions")))
    if kind == "Container":
        return _spaced(element, "ac-container", card_elements(element.get("items")))
    if kind == "ColumnSet":
        columns = "".join(
            f'<div class="ac-column">{card_elements(c.get("items"))}</div>'
            if isinstance(c, Mapping) and c.get("type", "Column") == "Column"
            else unsupported(c.get("type") if isinstance(c, Mapping) else c)
            for c in element.get("columns") or []
        )
        return _spaced(element, "ac-columns", columns)
    if isinstance(kind, str) and kind.startswith("Input."):
        return _input(element)
    return unsupported(kind)


def card_elements(elements: Any) -> str:
    return "".join(card_element(e) for e in elements or [])


def teams_card(card: Mapping[str, Any]) -> str:
    if card.get("type") != "AdaptiveCard":
        return unsupported(card.get("type"))
    actions = card.get("actions")
    footer = f'<div class="ac-actions">{_actions(actions)}</div>' if actions else ""
    return f'<div class="ac-card">{card_elements(card.get("body"))}{footer}</div>'


def thread_note(shown: Mapping[str, Any] | None) -> str:
    """How a chat app marks an answer to an earlier message: Slack shows it in that message's
    thread, Teams quotes the card it replies to above it."""
    shown = shown or {}
    if shown.get("reply_to"):
        return f'<div class="ac-reply-quote">↪ {esc(shown["reply_to"])}</div>'
    if shown.get("thread"):
        return '<div class="sk-thread">↳ in thread</div>'
    return ""
