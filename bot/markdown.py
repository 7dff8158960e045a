"""Neutral messages as Markdown, for archives that outlive the chat: `okrbot quarter report`.

The message text already uses the Markdown subset both chat platforms share (`**bold**`,
`_italic_`, `>` quotes), so blocks translate almost one to one. Buttons are dropped: an archive
cannot nudge anyone.
"""

from __future__ import annotations

from collections.abc import Sequence

from okrbot.bot.messages import (
    Actions,
    Block,
    Context,
    Divider,
    Facts,
    Header,
    Image,
    Message,
    Text,
)


def _text(text: str) -> str:
    """Keep the chat's line breaks (Markdown would join them into one paragraph) and end a quote
    with a blank line, or the next line would be read as part of the quote."""
    out: list[str] = []
    quoting = False
    for line in text.splitlines():
        is_quote = line.startswith(">")
        if out and is_quote != quoting:
            out.append("")
        elif out and out[-1]:
            out[-1] += "  "
        out.append(line)
        quoting = is_quote
    return "\n".join(out)


def block_markdown(block: Block) -> str | None:
    if isinstance(block, Header):
        return f"## {block.text}"
    if isinstance(block, Text):
        return _text(block.text)
    if isinstance(block, Facts):
        return "\n".join(f"- **{label}**: {value}" for label, value in block.pairs)
    if isinstance(block, Context):
        return f"_{block.text}_"
    if isinstance(block, Divider):
        return "---"
    if isinstance(block, Image):
        return f"![{block.alt}]({block.url})"
    if isinstance(block, Actions):
        return None
    raise TypeError(f"unknown block {block!r}")


def message_markdown(message: Message) -> str:
    parts = [text for text in map(block_markdown, message.blocks) if text is not None]
    return "\n\n".join(parts) + "\n"


def messages_markdown(messages: Sequence[Message]) -> str:
    return "\n".join(message_markdown(message) for message in messages)
