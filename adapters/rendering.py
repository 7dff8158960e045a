"""What rendering a neutral message looks like on every platform, whatever its format."""

from __future__ import annotations


def cut(text: str, limit: int) -> str:
    """`text` within a platform's length `limit`, with an ellipsis where it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
