"""Fitting long reports into chat messages: text split into blocks, blocks split into messages.

Slack refuses a message with more than 50 blocks or a section text over 3000 characters, and
Teams cards grow unreadable long before their size limit; digests and summaries for big teams
are therefore packed here into several messages, each inside both platforms' limits.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

from okrbot.bot.messages import Block, Context, Header, Image, Text

MAX_BLOCKS = 45
MAX_TEXT = 3000
# 45 full text blocks would be about 135 KB, over the 80 KB Teams takes in one card; this much
# text, escaped as it travels in JSON, leaves room for the card's own structure.
MAX_PAGE_TEXT = 60_000


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


def text_weight(block: Block) -> int:
    """The size of a block's text as it travels in JSON, where emoji and bars take 6–12 bytes."""
    match block:
        case Header(text) | Text(text) | Context(text):
            return len(json.dumps(text))
        case Image(url, alt):
            return len(json.dumps(url)) + len(json.dumps(alt))
    return 0


def paginate(
    sections: Sequence[Sequence[Block]],
    reserved: int = 2,
    limit: int = MAX_BLOCKS,
    max_text: int | None = None,
) -> list[list[Block]]:
    """Pack sections into pages of at most `limit - reserved` blocks (and at most `max_text` of
    `text_weight`, when given), keeping each section whole unless it alone is too big.
    `reserved` leaves room for a page's header and closing note."""
    room = limit - reserved
    budget = max_text if max_text is not None else math.inf
    pages: list[list[Block]] = [[]]
    weight = 0
    for section in sections:
        blocks = list(section)
        size = sum(map(text_weight, blocks))
        if pages[-1] and (len(pages[-1]) + len(blocks) > room or weight + size > budget):
            pages.append([])
            weight = 0
        for block in blocks:
            block_weight = text_weight(block)
            if pages[-1] and (len(pages[-1]) >= room or weight + block_weight > budget):
                pages.append([])
                weight = 0
            pages[-1].append(block)
            weight += block_weight
    return pages
