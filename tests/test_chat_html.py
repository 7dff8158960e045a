"""The demo page draws what okrbot sends to Slack and Teams as those apps show it, safely."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from okrbot.adapters.slack import render as slack_render
from okrbot.adapters.teams import render as teams_render
from okrbot.bot.messages import Actions, Button, ButtonStyle, Context, Facts, Header, Message, Text
from okrbot.cli.chat_html import (
    card_markdown,
    mrkdwn,
    slack_blocks,
    slack_view,
    teams_card,
    thread_note,
)
from okrbot.cli.demo_company import build_company
from okrbot.cli.demo_page import write_page
from okrbot.cli.demo_watch import Record

PNG = "data:image/png;base64,iVBORw0KGgo="


def test_mrkdwn_bold_italic_strike_code_quotes_and_line_breaks() -> None:
    shown = mrkdwn("*Week 41* is _due_ ~old~ `kr-1`\n&gt; a note")
    assert shown == (
        "<b>Week 41</b> is <i>due</i> <s>old</s> <code>kr-1</code><br>"
        "<blockquote>a note</blockquote>"
    )


def test_mrkdwn_links_mentions_and_channels() -> None:
    shown = mrkdwn(
        "<https://x.example/a_b_c|the plan> by <@U1|ana> in <#C9|okrs> <@U2>", {"U2": "Bo"}
    )
    assert (
        '<a href="https://x.example/a_b_c" target="_blank" rel="noopener noreferrer">the plan</a>'
        in shown
    )
    assert (
        '<span class="mention">@ana</span>' in shown and '<span class="mention">@Bo</span>' in shown
    )
    assert '<span class="mention">#okrs</span>' in shown


def test_mrkdwn_escapes_what_people_typed() -> None:
    typed = slack_render.mrkdwn("<script>alert(1)</script> & <img src=x onerror=alert(2)>")
    shown = mrkdwn(typed)
    assert "<script" not in shown and "<img" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(2)&gt;" in shown


def test_a_javascript_link_is_shown_as_text_not_followed() -> None:
    shown = mrkdwn("<javascript:alert(1)|click me>")
    assert "<a " not in shown and "click me (javascript:alert(1))" in shown
    assert "<a " not in card_markdown("[click me](javascript:alert(1))")


def test_slack_header_section_fields_context_divider_and_buttons() -> None:
    message = Message(
        "summary",
        (
            Header("Weekly check-in · week 41"),
            Text("**Ship it** <b>now</b>"),
            Facts((("Confidence", "on track"),)),
            Context("Due Friday"),
            Actions(
                (
                    Button("Check in", "checkin", "", ButtonStyle.PRIMARY),
                    Button("Skip this week", "skip", "", ButtonStyle.DANGER),
                )
            ),
        ),
    )
    blocks = [*slack_render.message_blocks(message), {"type": "divider"}]
    shown = slack_blocks(blocks)
    assert '<div class="sk-header">Weekly check-in · week 41</div>' in shown
    assert "<b>Ship it</b> &lt;b&gt;now&lt;/b&gt;" in shown
    assert '<div class="sk-field-cell"><b>Confidence</b><br>on track</div>' in shown
    assert '<div class="sk-context"><span>Due Friday</span></div>' in shown
    assert '<hr class="sk-divider">' in shown
    assert '<span class="sk-button primary" role="button">Check in</span>' in shown
    assert '<span class="sk-button danger" role="button">Skip this week</span>' in shown


def test_slack_images_show_data_uris_and_never_reach_the_network() -> None:
    shown = slack_blocks(
        [
            {
                "type": "image",
                "image_url": PNG,
                "alt_text": "chart",
                "title": {"type": "plain_text", "text": "Ana"},
            },
            {"type": "image", "image_url": "https://cdn.example/x.png", "alt_text": "remote"},
        ]
    )
    assert f'<img class="sk-image" src="{PNG}" alt="chart">' in shown and "<figcaption>Ana" in shown
    assert "https://cdn.example/x.png" in shown and 'src="https' not in shown


def test_a_slack_modal_is_a_dialog_with_its_inputs_and_buttons() -> None:
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Check in"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "Meetings"},
                "element": {
                    "type": "number_input",
                    "is_decimal_allowed": True,
                    "initial_value": "12",
                },
            },
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "Confidence"},
                "element": {
                    "type": "static_select",
                    "options": [],
                    "initial_option": {
                        "text": {"type": "plain_text", "text": "On track"},
                        "value": "on_track",
                    },
                },
            },
            {
                "type": "input",
                "optional": True,
                "label": {"type": "plain_text", "text": "Note"},
                "element": {
                    "type": "plain_text_input",
                    "multiline": True,
                    "placeholder": {"type": "plain_text", "text": "What moved?"},
                },
            },
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "Kudos to"},
                "element": {"type": "multi_users_select"},
            },
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "Channel"},
                "element": {"type": "conversations_select"},
            },
            {
                "type": "input",
                "optional": True,
                "label": {"type": "plain_text", "text": "Feedback"},
                "element": {
                    "type": "checkboxes",
                    "options": [
                        {
                            "text": {"type": "plain_text", "text": "I'd like <feedback>"},
                            "value": "yes",
                        }
                    ],
                },
            },
        ],
    }
    shown = slack_view(view)
    assert '<span class="sk-check">☐ I&#x27;d like &lt;feedback&gt;</span>' in shown
    assert shown.startswith(
        '<div class="sk-modal" role="dialog"><div class="sk-modal-title">Check in</div>'
    )
    assert '<label>Meetings</label><span class="sk-field">12</span>' in shown
    assert '<span class="sk-select">On track ▾</span>' in shown
    assert (
        '<label>Note <span class="optional">(optional)</span></label>'
        '<span class="sk-field multiline placeholder">What moved?</span>' in shown
    )
    assert "Select people ▾" in shown and "Select a channel ▾" in shown
    assert shown.endswith(
        '<span class="sk-button">Cancel</span>'
        '<span class="sk-button primary">Save</span></div></div>'
    )


def test_the_slack_home_tab() -> None:
    shown = slack_view(slack_render.home_view(Message("home", (Header("Your OKRs"),))))
    assert (
        shown == '<div class="sk-home"><div class="sk-home-tab">Home</div>'
        '<div class="sk-header">Your OKRs</div></div>'
    )


def test_unknown_slack_blocks_and_elements_show_as_unsupported() -> None:
    shown = slack_blocks(
        [{"type": "video"}, {"type": "actions", "elements": [{"type": "datepicker"}]}, "junk"]
    )
    assert "unsupported element video" in shown and "unsupported element datepicker" in shown
    assert "unsupported element None" in shown
    assert "unsupported element view workflow_step" in slack_view({"type": "workflow_step"})


def test_teams_text_blocks_keep_size_weight_colour_and_markdown() -> None:
    card = teams_render.message_card(
        Message("s", (Header("Digest"), Text("**Ana** _late_\n> quiet"), Context("small")))
    )
    shown = teams_card(card)
    assert '<div class="tb size-large weight-bolder"><p>Digest</p></div>' in shown
    assert "<p><b>Ana</b> <i>late</i></p><p>💬 quiet</p>" in shown
    assert '<div class="tb size-small subtle"><p>small</p></div>' in shown


def test_teams_fact_sets_images_containers_and_columns() -> None:
    card = {
        "type": "AdaptiveCard",
        "body": [
            {"type": "FactSet", "facts": [{"title": "Win rate", "value": "22 <%>"}]},
            {"type": "Image", "url": PNG, "altText": "chart"},
            {
                "type": "Container",
                "separator": True,
                "items": [{"type": "TextBlock", "text": "inside"}],
            },
            {
                "type": "ColumnSet",
                "columns": [
                    {"type": "Column", "items": [{"type": "TextBlock", "text": "left"}]},
                    {"type": "Column", "items": []},
                ],
            },
        ],
    }
    shown = teams_card(card)
    assert (
        '<table class="ac-facts"><tr><th><p>Win rate</p></th>'
        "<td><p>22 &lt;%&gt;</p></td></tr></table>" in shown
    )
    assert f'<div class="ac-image"><img class="" src="{PNG}" alt="chart"></div>' in shown
    assert '<div class="ac-container separator"><div class="tb"><p>inside</p></div></div>' in shown
    assert shown.count('<div class="ac-column">') == 2 and "<p>left</p>" in shown


def test_teams_inputs_show_their_values_and_choices() -> None:
    card = {
        "type": "AdaptiveCard",
        "body": [
            {"type": "Input.Number", "id": "a", "label": "Meetings", "value": 12},
            {
                "type": "Input.ChoiceSet",
                "id": "b",
                "label": "Confidence",
                "value": "at_risk",
                "choices": [{"title": "At risk", "value": "at_risk"}],
            },
            {
                "type": "Input.Text",
                "id": "c",
                "label": "Kudos to",
                "placeholder": "Names or emails",
            },
            {"type": "Input.Toggle", "id": "d", "title": "Remind me", "value": "true"},
        ],
        "actions": [
            {"type": "Action.Submit", "title": "Save", "style": "positive"},
            {"type": "Action.OpenUrl", "title": "Docs", "url": "https://x.example"},
        ],
    }
    shown = teams_card(card)
    assert '<label>Meetings</label><span class="ac-field">12</span>' in shown
    assert '<label>Confidence</label><span class="ac-field">At risk ▾</span>' in shown
    assert '<span class="placeholder">Names or emails</span>' in shown
    assert "☑ Remind me" in shown
    assert '<span class="ac-button positive" role="button">Save</span>' in shown
    assert '<a href="https://x.example"' in shown


def test_teams_action_sets_and_unknown_elements() -> None:
    card = {
        "type": "AdaptiveCard",
        "body": [
            {
                "type": "ActionSet",
                "actions": [
                    {"type": "Action.Submit", "title": "Snooze 2h"},
                    {"type": "Action.ToggleVisibility"},
                ],
            },
            {"type": "Media"},
            {"type": "Input.Rating"},
        ],
    }
    shown = teams_card(card)
    assert '<span class="ac-button default" role="button">Snooze 2h</span>' in shown
    for kind in ("Action.ToggleVisibility", "Media", "Input.Rating"):
        assert f"unsupported element {kind}" in shown
    assert "unsupported element HeroCard" in teams_card({"type": "HeroCard"})


def test_teams_card_text_is_escaped() -> None:
    shown = teams_card(
        {
            "type": "AdaptiveCard",
            "body": [{"type": "TextBlock", "text": '<img src=x onerror="alert(1)">'}],
        }
    )
    assert "<img" not in shown and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in shown


def test_the_demo_page_escapes_what_people_typed(tmp_path: Path) -> None:
    company = build_company(3, 1)
    person = company.people[1]
    person.name = "<script>alert('name')</script>"
    record = Record()
    at = datetime(2026, 10, 5, 9, tzinfo=UTC)
    record.say(person.email, at, "you", "[Check in]\n  <img src=x onerror=alert(1)>")
    record.say(person.email, at, "okrbot", "hi", {"blocks": [{"type": "carousel"}]})
    write_page(tmp_path, company, record)
    page = (tmp_path / "index.html").read_text()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in page
    assert "unsupported element carousel" in page
    assert 'data-count="2"' in page


def test_answers_to_an_earlier_message_show_as_a_thread_on_slack_and_a_quote_on_teams() -> None:
    assert thread_note({"blocks": [], "thread": True}) == '<div class="sk-thread">↳ in thread</div>'
    assert thread_note({"card": {}, "reply_to": "Checked in · week 42 <✅>"}) == (
        '<div class="ac-reply-quote">↪ Checked in · week 42 &lt;✅&gt;</div>'
    )
    assert thread_note({"blocks": []}) == "" and thread_note(None) == ""
