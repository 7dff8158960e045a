"""Fitting long reports into chat messages: text split into blocks, blocks split into messages.

Slack refuses a message with more than 50 blocks or a section text over 3000 characters, and
Teams cards grow unreadable long before their size limit; digests and summaries for big teams
are therefore packed here into several messages, each inside both platforms' limits.
"""

from __future__ import annotations

from collections.abc import Sequence

from okrbot.bot.messages import Block, Text

MAX_BLOCKS = 45
MAX_TEXT = 3000


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """Cut `text` to `limit` characters, marking the cut so nobody mistakes it for the end."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text_blocks(lines: Sequence[str], limit: int = MAX_TEXT) -> list[Block]:
    """Join lines into as few Text blocks as fit `limit` characters each, never splitting a line."""
    blocks: list[Block] = []
    current: list[str] = []
    size = 0
    for raw in lines:
        line = clip(raw, limit)
        extra = len(line) + (1 if current else 0)
        if current and size + extra > limit:
            blocks.append(Text("\n".join(current)))
            current, size = [], 0
            extra = len(line)
        current.append(line)
        size += extra
    if current:
        blocks.append(Text("\n".join(current)))
    return blocks


def paginate(
    sections: Sequence[Sequence[Block]], reserved: int = 2, limit: int = MAX_BLOCKS
) -> list[list[Block]]:
    """Pack sections into pages of at most `limit - reserved` blocks, keeping each section whole
    unless it alone is too big. `reserved` leaves room for a page's header and closing note."""
    room = limit - reserved
    pages: list[list[Block]] = [[]]
    for section in sections:
        blocks = list(section)
        if pages[-1] and len(pages[-1]) + len(blocks) > room:
            pages.append([])
        for block in blocks:
            if len(pages[-1]) >= room:
                pages.append([])
            pages[-1].append(block)
    return pages
