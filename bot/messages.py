"""The neutral message model: what okrbot says, before a platform decides how it looks.

The core builds `Message`s (things to post) and `Form`s (things to fill in); the Slack adapter
renders them to Block Kit and the Teams adapter to Adaptive Cards. Text uses a small markdown
subset both platforms can show: `**bold**`, `_italic_`, line breaks and plain links.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ButtonStyle(StrEnum):
    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class Header:
    text: str


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Facts:
    """Label/value pairs shown as a compact two-column list."""

    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Context:
    """Small, secondary text: hints, timestamps, the privacy note."""

    text: str


@dataclass(frozen=True, slots=True)
class Divider:
    pass


@dataclass(frozen=True, slots=True)
class Image:
    url: str
    alt: str


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action: str
    value: str = ""
    style: ButtonStyle = ButtonStyle.DEFAULT


@dataclass(frozen=True, slots=True)
class Actions:
    buttons: tuple[Button, ...]


Block = Header | Text | Facts | Context | Divider | Image | Actions


@dataclass(frozen=True, slots=True)
class Message:
    """Something to post. `summary` is the plain-text fallback for notifications."""

    summary: str
    blocks: tuple[Block, ...] = ()

    @classmethod
    def plain(cls, text: str) -> Message:
        """One paragraph that is also its own notification text."""
        return cls(text, (Text(text),))


# What okrbot answers, on every platform, someone it has not been given: it knows only the
# people its admin imported.
NOT_SET_UP = (
    "I don't know you yet: okrbot only talks to people its admin imported. "
    "Ask your admin to add you with `okrbot import people`."
)


@dataclass(frozen=True, slots=True)
class NumberInput:
    id: str
    label: str
    initial: float | None = None
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class ChoiceInput:
    id: str
    label: str
    choices: tuple[Choice, ...]
    initial: str | None = None
    optional: bool = False


@dataclass(frozen=True, slots=True)
class TextInput:
    id: str
    label: str
    initial: str | None = None
    optional: bool = True
    multiline: bool = False
    max_length: int | None = None
    placeholder: str | None = None


@dataclass(frozen=True, slots=True)
class PersonInput:
    """Pick one or more colleagues (Slack users-select; a mention field in Teams)."""

    id: str
    label: str
    optional: bool = True
    multiple: bool = False


@dataclass(frozen=True, slots=True)
class ChannelInput:
    """Pick a channel okrbot posts to (Slack: a conversations select of the person's public and
    private channels; Teams, whose cards cannot list channels: the channel's link, pasted)."""

    id: str
    label: str
    initial: str | None = None
    optional: bool = True
    placeholder: str | None = None


@dataclass(frozen=True, slots=True)
class ToggleInput:
    """A yes/no tick box (Slack: a one-option checkboxes element; Teams: Input.Toggle); the
    answer reads as `TOGGLED` when ticked."""

    id: str
    label: str
    option: str
    initial: bool = False


TOGGLED = "yes"

Input = NumberInput | ChoiceInput | TextInput | PersonInput | ChannelInput | ToggleInput
FormItem = (
    Header
    | Text
    | Context
    | Divider
    | NumberInput
    | ChoiceInput
    | TextInput
    | PersonInput
    | ChannelInput
    | ToggleInput
)


@dataclass(frozen=True, slots=True)
class Form:
    """Something to fill in: a Slack modal or an Adaptive Card with inputs."""

    id: str
    title: str
    submit_label: str
    items: tuple[FormItem, ...]
    intro: str | None = None
    secondary: tuple[Button, ...] = field(default=())
