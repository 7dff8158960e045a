"""Hostile and malformed input at POST /slack/events: signed (so it reaches Bolt and okrbot's
listeners) and unsigned. Every answer is a 4xx or a normal answer, never a 500; nothing is
stored from a rejected request; and the server still answers /healthz afterwards.

One server runs, on its own thread and event loop, for the whole module, so each example is a
single loopback HTTP request.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from okrbot.adapters.slack.sandbox import SlackSandbox
from okrbot.adapters.slack.simulator import sign
from okrbot.bot.settings import Settings
from okrbot.cli.runtime import build_runtime
from okrbot.storage.db import Database
from tests.background import BackgroundServer

SECRET = "fuzz-signing-secret"
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
STORED_TABLES = ("checkins", "kudos", "objectives", "key_results")


class Server(BackgroundServer):
    """okrbot's web app and a Slack sandbox, served from a background thread."""

    def __init__(self, database_path: Path) -> None:
        super().__init__()
        self.database_path = database_path

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        database = Database(f"sqlite+aiosqlite:///{self.database_path}")
        async with SlackSandbox() as sandbox:
            sandbox.add_user("U0ANA", "ana", "ana@example.com")
            config = Settings(
                database_url=database.url,
                slack_bot_token=sandbox.token,
                slack_signing_secret=SECRET,
                slack_api_url=sandbox.url,
            )
            runtime = await build_runtime(
                config, database=database, migrate=False, slack_retry_backoff=0
            )
            async with database.transaction() as session:
                from okrbot.storage.models import PersonRow

                session.add(PersonRow(email="ana@example.com", name="Ana", slack_user_id="U0ANA"))
            await self.serve_until_stopped(runtime)

    def slack(self, body: bytes, content_type: str, *, signed: bool = True) -> tuple[int, str]:
        stamp = str(int(time.time()))
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp}
        if signed:
            headers["X-Slack-Signature"] = sign(SECRET, stamp, body)
        return self.request("POST", "/slack/events", body, headers)

    def stored(self) -> dict[str, int]:
        with sqlite3.connect(self.database_path) as connection:
            return {
                table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in STORED_TABLES
            }


@pytest.fixture(scope="module")
def server(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    path = tmp_path_factory.mktemp("fuzz-slack") / "okrbot.db"
    shutil.copy(sqlite_template, path)
    running = Server(path)
    running.start()
    before = running.stored()
    yield running
    # Nothing any fuzzed request sent was stored, and the server still serves.
    assert running.stored() == before
    assert running.request("GET", "/healthz")[0] == 200
    running.stop()


def assert_handled(status: int, body: str) -> None:
    assert status < 500, body[:500]


# -- strategies ------------------------------------------------------------------------------

text = st.text(max_size=40)
huge = st.text(min_size=4000, max_size=8000, alphabet=st.characters(codec="utf-8"))
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)  # fmt: skip
user_ids = st.sampled_from(["U0ANA", "U0NOBODY", "", "W123"]) | text
users = st.fixed_dictionaries({"id": user_ids}) | json_values
action_ids = st.sampled_from(["checkin_open", "checkin_snooze", "checkin_skip", "digest_nudge"])
action_ids = action_ids | text
metadata = (
    st.sampled_from(['{"page": 0}', '{"page": -1}', '{"page": 1e99}', "{", "null", "[]"])
    | st.builds(json.dumps, json_values)
    | text
)
state_values = st.dictionaries(
    st.sampled_from(["kr-1-value", "kr-1-confidence", "kudos_to", "kudos_message"]) | text,
    st.dictionaries(st.just("input"), json_values, max_size=1) | json_values,
    max_size=4,
)


@st.composite
def interactions(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["block_actions", "view_submission", "view_closed"]) | text)
    payload: dict[str, Any] = {
        "type": kind,
        "user": draw(users),
        "team": {"id": "T0SANDBOX"},
        "api_app_id": "A0SANDBOX",
        "trigger_id": draw(st.none() | text),
    }
    if draw(st.booleans()):
        payload["actions"] = draw(
            st.lists(
                st.fixed_dictionaries(
                    {"action_id": action_ids, "block_id": text, "value": json_values}
                )
                | json_values,
                max_size=3,
            )
        )
        payload["container"] = draw(
            st.fixed_dictionaries({"channel_id": text, "message_ts": text}) | json_values
        )
    if draw(st.booleans()):
        payload["view"] = {
            "id": "V0FUZZ",
            "type": "modal",
            "callback_id": draw(st.sampled_from(["checkin_form", "kudos_form"]) | text),
            "private_metadata": draw(metadata),
            "blocks": draw(json_values),
            "state": {"values": draw(state_values | json_values)},
        }
    for key in draw(st.lists(st.sampled_from(sorted(payload)), max_size=2)):
        payload[key] = draw(json_values)  # wrong types where there should be objects
    return payload


# -- signed: these reach Bolt and the listeners ----------------------------------------------


@FUZZ
@given(command=st.sampled_from(["/okr", "/kudos"]) | text, words=text | huge, user=user_ids)
def test_signed_slash_commands(server: Server, command: str, words: str, user: str) -> None:
    form = {
        "team_id": "T0SANDBOX",
        "channel_id": "C0GENERAL",
        "user_id": user,
        "command": command,
        "text": words,
        "trigger_id": "1.2.3",
        "api_app_id": "A0SANDBOX",
    }
    assert_handled(*server.slack(urlencode(form).encode(), "application/x-www-form-urlencoded"))


@FUZZ
@given(form=st.dictionaries(text, text | huge, max_size=6))
def test_signed_form_bodies_with_missing_or_odd_fields(server: Server, form: dict) -> None:
    assert_handled(*server.slack(urlencode(form).encode(), "application/x-www-form-urlencoded"))


@FUZZ
@given(payload=interactions())
def test_signed_interactions(server: Server, payload: dict[str, Any]) -> None:
    body = urlencode({"payload": json.dumps(payload)}).encode()
    assert_handled(*server.slack(body, "application/x-www-form-urlencoded"))


@FUZZ
@given(payload=st.text(max_size=200) | st.builds(json.dumps, json_values))
def test_signed_payloads_that_are_not_json_objects(server: Server, payload: str) -> None:
    body = urlencode({"payload": payload}).encode()
    assert_handled(*server.slack(body, "application/x-www-form-urlencoded"))


@FUZZ
@given(
    event=st.fixed_dictionaries(
        {"type": st.sampled_from(["app_home_opened", "message", "app_mention"]) | text},
        optional={"user": user_ids | json_values, "tab": text, "channel": json_values},
    )
    | json_values,
    envelope=st.sampled_from(["event_callback", "url_verification", "app_rate_limited"]) | text,
)
def test_signed_events(server: Server, event: Any, envelope: str) -> None:
    body = {"type": envelope, "team_id": "T0SANDBOX", "event": event, "challenge": "c"}
    assert_handled(*server.slack(json.dumps(body).encode(), "application/json"))


@FUZZ
@given(body=st.binary(max_size=2000) | st.builds(str.encode, text | huge))
def test_signed_raw_junk(server: Server, body: bytes) -> None:
    for content_type in ("application/json", "application/x-www-form-urlencoded", "text/plain"):
        assert_handled(*server.slack(body, content_type))


# -- unsigned: refused before anything parses them -------------------------------------------


def form_payload(payload: Any) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


@FUZZ
@given(
    body=st.binary(max_size=2000) | st.builds(form_payload, json_values),
    content_type=st.sampled_from(
        ["application/json", "application/x-www-form-urlencoded", "multipart/form-data", ""]
    ),
    stamp=st.none() | text,
    signature=st.none() | text,
)  # fmt: skip
def test_unsigned_junk_is_refused(
    server: Server, body: bytes, content_type: str, stamp: str | None, signature: str | None
) -> None:
    headers = {"Content-Type": content_type}
    for name, value in (("X-Slack-Request-Timestamp", stamp), ("X-Slack-Signature", signature)):
        if value is not None and value.isascii() and value.isprintable():
            headers[name] = value
    status, body_text = server.request("POST", "/slack/events", body, headers)
    assert status in (400, 401, 413), body_text[:300]


@pytest.mark.parametrize(
    "body",
    [b"{", b'{"event": []}', b"payload=", form_payload({"type": "block_actions", "user": False})],
)
def test_signed_bodies_not_shaped_like_slacks_get_400(server: Server, body: bytes) -> None:
    """Regressions found by the fuzzing above: Bolt answered these with a 500."""
    assert server.slack(body, "application/x-www-form-urlencoded")[0] == 400


def test_a_click_from_someone_slack_cannot_open_a_dm_with_is_still_acked(server: Server) -> None:
    """okrbot answers an unknown clicker in a DM; when Slack refuses that DM (user_not_found),
    the click was acked already and stays a 200."""
    payload = {
        "type": "block_actions",
        "user": {"id": "0"},
        "team": {"id": "T0SANDBOX"},
        "api_app_id": "A0SANDBOX",
        "trigger_id": None,
        "actions": [{"action_id": "checkin_open", "block_id": "", "value": None}],
        "container": {"channel_id": "", "message_ts": ""},
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    assert server.slack(body, "application/x-www-form-urlencoded")[0] == 200
