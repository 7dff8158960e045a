"""Reading a YAML document safely and keeping every value's line for error messages.

The OKR import reads its file through `LimitedLoader`, which bounds nesting and alias expansion,
and walks the composed nodes with `NodeReader`, which turns each wrong value into a `Problem`
pointing at the line it is on instead of stopping at the first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from okrbot.bot.import_problems import Problem

EXTERNAL_ID_MAX = 100
EXTERNAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

YAML_MAX_DEPTH = 20
YAML_MAX_VALUES = 100_000


class LimitedLoader(yaml.SafeLoader):
    """SafeLoader with limits on nesting and on the size of the document once its aliases are
    expanded. An OKR file comes nowhere near them; without them a small file could take the
    stack (`[[[[…`), or, through aliases of aliases (a "billion laughs"), unbounded time and
    memory as soon as a value is built or shown in a message.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self._depth >= YAML_MAX_DEPTH and not self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, f"nested more than {YAML_MAX_DEPTH} levels deep", mark
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self) -> yaml.Node | None:
        root = super().get_single_node()
        if root is not None:
            check_expanded(root, {})
        return root


def check_expanded(node: yaml.Node, seen: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """The number of values and the depth of `node` with aliases expanded, each shared node
    counted once (so this is quick even for a bomb); raises when either is over the limit."""
    known = seen.get(id(node))
    if known is not None:
        if known == (-1, -1):
            raise yaml.composer.ComposerError(
                None, None, "an alias refers to a value that contains it", node.start_mark
            )
        return known
    seen[id(node)] = (-1, -1)
    values, depth = 1, 1
    children: list[yaml.Node] = []
    if isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    elif isinstance(node, yaml.MappingNode):
        children = [item for pair in node.value for item in pair]
    for child in children:
        child_values, child_depth = check_expanded(child, seen)
        values, depth = values + child_values, max(depth, child_depth + 1)
    if values > YAML_MAX_VALUES or depth > YAML_MAX_DEPTH:
        what = f"more than {YAML_MAX_VALUES} values" if values > YAML_MAX_VALUES else "too deep"
        raise yaml.composer.ComposerError(
            None, None, f"its aliases expand to {what}", node.start_mark
        )
    seen[id(node)] = (values, depth)
    return values, depth


class NodeReader:
    """Walks a composed YAML document, keeping every node's line for the error messages."""

    def __init__(self, file: str, loader: yaml.SafeLoader) -> None:
        self.file = file
        self.loader = loader
        self.problems: list[Problem] = []

    def bad(self, node: yaml.Node, key: str | None, message: str) -> None:
        self.problems.append(Problem(self.file, node.start_mark.line + 1, key, message))

    def mapping(
        self, node: yaml.Node, what: str, allowed: Sequence[str]
    ) -> dict[str, yaml.Node] | None:
        if not isinstance(node, yaml.MappingNode):
            self.bad(node, None, f"{what} should be a mapping of keys to values")
            return None
        result: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            if key not in allowed:
                self.bad(key_node, key, f"unknown key in {what}; use {', '.join(allowed)}")
            elif key in result:
                self.bad(key_node, key, "the key appears twice")
            else:
                result[key] = value_node
        return result

    def value(self, node: yaml.Node) -> Any:
        return self.loader.construct_object(node, deep=True)

    def text(
        self, keys: Mapping[str, yaml.Node], key: str, parent: yaml.Node, required: bool = True
    ) -> str | None:
        node = keys.get(key)
        value = None if node is None else self.value(node)
        if node is None or value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.bad(node or parent, key, "is missing" if node is None else "is empty")
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.bad(node, key, "should be text, not a list or mapping")
            return None
        return str(value).strip()

    def choice(
        self,
        keys: Mapping[str, yaml.Node],
        key: str,
        parent: yaml.Node,
        kind: type[Any],
        default: Any = None,
    ) -> Any:
        text = self.text(keys, key, parent, required=default is None)
        if text is None:
            return default
        try:
            return kind(text.lower())
        except ValueError:
            choices = ", ".join(member.value for member in kind)
            self.bad(keys[key], key, f"{text!r} is not valid; use one of {choices}")
            return None

    def external_id(
        self, keys: Mapping[str, yaml.Node], parent: yaml.Node, seen: dict[str, int], what: str
    ) -> str | None:
        """The optional stable `id:`, unique among `seen` (id → first line)."""
        text = self.text(keys, "id", parent, required=False)
        if text is None:
            if "id" in keys:
                self.bad(keys["id"], "id", "is empty; leave the key out or give an id")
            return None
        node = keys["id"]
        if len(text) > EXTERNAL_ID_MAX or not EXTERNAL_ID.fullmatch(text):
            self.bad(
                node,
                "id",
                f"{text[:EXTERNAL_ID_MAX]!r} is not a valid id; use up to {EXTERNAL_ID_MAX} "
                "letters, digits, '.', '_' or '-', starting with a letter or digit",
            )
            return None
        if text in seen:
            self.bad(node, "id", f"{text!r} is used twice by {what}; first on line {seen[text]}")
            return None
        seen[text] = node.start_mark.line + 1
        return text

    def number(self, keys: Mapping[str, yaml.Node], key: str, parent: yaml.Node) -> float | None:
        node = keys.get(key)
        if node is None:
            self.bad(parent, key, "is missing")
            return None
        value = self.value(node)
        number: float | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value.replace(",", "").replace("_", ""))
            except ValueError:
                number = None
        if number is None or not math.isfinite(number):
            self.bad(node, key, f"{value!r} is not a number")
            return None
        return number
