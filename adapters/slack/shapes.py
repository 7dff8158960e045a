"""What to do with a signed Slack body whose shape nobody expected, and reading one safely.

Real Slack bodies carry nulls (`"enterprise": null` outside Enterprise Grid, `"team": null` in
org-wide installs): null means absent, never malformed. okrbot keeps no list of shapes of its
own; Bolt parses every signed body, and when Bolt itself cannot read one (its parser, its id
extraction or its listener matching raise), the sender gets 400, not Bolt's 500. An exception
that passed through okrbot's own code is a bug in okrbot and keeps its traceback and its 500.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.kwargs_injection.async_utils import build_async_required_kwargs
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)

# What Python raises when code reads a JSON value of another shape than it expected.
BODY_SHAPE_ERRORS = (ValueError, TypeError, AttributeError, KeyError, IndexError)
NOT_SLACKS = "the body is not shaped like a Slack request"
_OWN_CODE = "okrbot."


def passed_through_okrbot(error: BaseException) -> bool:
    """Whether any frame between where `error` was caught and where it was raised is okrbot's."""
    trace = error.__traceback__
    while trace is not None:
        if str(trace.tb_frame.f_globals.get("__name__", "")).startswith(_OWN_CODE):
            return True
        trace = trace.tb_next
    return False


def read_as_bolt_does(request: AsyncBoltRequest) -> None:
    """Build the arguments Bolt hands every listener and error handler, and drop them: it reads
    the body with these same functions, so what they cannot read would crash Bolt later, where
    even its error handler cannot answer."""
    build_async_required_kwargs(
        logger=log,
        required_arg_names=[],
        request=request,
        response=None,
        next_keys_required=False,
    )


async def answer_unreadable_bodies(error: Exception, body: Any) -> BoltResponse | None:
    """Bolt's global error handler: 400 for a body Bolt could not read, else Bolt's 500."""
    if isinstance(error, BODY_SHAPE_ERRORS) and not passed_through_okrbot(error):
        log.info("rejected a signed Slack request Bolt cannot read: %r", error)
        return BoltResponse(status=400, body=json.dumps({"error": NOT_SLACKS}))
    log.error("a Slack listener failed on a %s request", _kind(body), exc_info=error)
    return None


def _kind(body: Any) -> str:
    kind = body.get("type") if isinstance(body, dict) else None
    return kind if isinstance(kind, str) else "Slack"


def dig(data: Any, *path: str) -> Any:
    """`data[path[0]][path[1]]…`, or None where a step is missing, null or not an object."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def string(value: Any) -> str | None:
    """A non-empty string, else None (ids and trigger ids arrive as strings or not at all)."""
    return value if isinstance(value, str) and value else None


def first_action(body: Any) -> dict[str, Any]:
    """The clicked element (`actions[0]`), or an empty dict when there is none to read."""
    actions = dig(body, "actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    return first if isinstance(first, dict) else {}
