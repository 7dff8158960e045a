"""Check Adaptive Cards against the 1.5 schema before Teams sees them.

Teams renders bot cards up to version 1.5 and drops a card it cannot parse without telling the
bot, so the tests and the demo's test validate every card okrbot builds. This lives with the tests
because nothing at run time validates cards: jsonschema is a test dependency, and the installed
package neither needs it nor carries the schema.

The schema is tests/refs/adaptive-card-schema-1.5.0/adaptive-card.json, an unchanged copy of
microsoft/AdaptiveCards `schemas/1.5.0/adaptive-card.json` (see tests/refs/SOURCES.md).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft6Validator
from jsonschema.exceptions import ValidationError, best_match

from tests.refs import REFS

SCHEMA = REFS / "adaptive-card-schema-1.5.0" / "adaptive-card.json"

# Teams refuses bot messages over about 100 KB and advises keeping them under 80 KB.
MAX_CARD_BYTES = 80 * 1024


@cache
def _validator() -> Draft6Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    # The schema's root is an anyOf around the AdaptiveCard definition, which buries every
    # problem under "not valid under any of the given schemas"; validating against the
    # definition itself reports the actual property at fault.
    schema.pop("anyOf", None)
    schema["$ref"] = "#/definitions/AdaptiveCard"
    return Draft6Validator(schema)


def card_size(card: dict[str, Any]) -> int:
    """Bytes of the card as botbuilder serializes it onto the wire (plain `json.dumps`)."""
    return len(json.dumps(card).encode("utf-8"))


def card_problems(card: dict[str, Any]) -> list[str]:
    """Everything wrong with `card` as an Adaptive Card 1.5 for Teams; empty when it is fine."""
    problems = [_describe(error) for error in _validator().iter_errors(card)]
    version = card.get("version")
    if isinstance(version, str) and _version_tuple(version) > (1, 5):
        # The 1.5 schema accepts any version string, but Teams shows a newer card as unsupported.
        problems.append(f"/version: {version!r} is newer than 1.5, the highest Teams renders")
    size = card_size(card)
    if size > MAX_CARD_BYTES:
        problems.append(
            f"card is {size} bytes serialized; Teams needs bot messages under "
            f"{MAX_CARD_BYTES} bytes (about 80 KB)"
        )
    return problems


def _version_tuple(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return (0,)


def _describe(error: ValidationError) -> str:
    leaf = _narrow(error)
    location = "/" + "/".join(str(part) for part in leaf.absolute_path)
    return f"{location}: {leaf.message}"


def _narrow(error: ValidationError) -> ValidationError:
    """Follow an anyOf over element or action types into the branch the item's `type` names."""
    if error.validator == "anyOf" and isinstance(error.instance, dict):
        kind = error.instance.get("type")
        for index, branch in enumerate(error.validator_value):
            refs = [part.get("$ref") for part in branch.get("allOf", [])]
            if f"#/definitions/{kind}" in refs:
                inner = [e for e in error.context or [] if e.relative_schema_path[0] == index]
                return _narrow(best_match(inner)) if inner else error
        if isinstance(kind, str) and any("allOf" in branch for branch in error.validator_value):
            return ValidationError(
                f"{kind!r} is not an element or action type of Adaptive Card 1.5",
                path=error.absolute_path,
                instance=error.instance,
            )
    return best_match([error])
