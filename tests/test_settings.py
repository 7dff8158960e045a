from __future__ import annotations

import os
from datetime import datetime, time
from pathlib import Path

import pytest

from okrbot.bot.domain import Weekday
from okrbot.bot.settings import (
    CONFIG_FILE_ENV,
    Settings,
    SettingsError,
    load_settings,
    parse_local_time,
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No settings from the machine running the tests, and no stray okrbot.toml."""
    for name in list(os.environ):
        upper = name.upper()
        if upper.startswith(("OKRBOT_", "SLACK_", "MICROSOFT_", "TEAMS_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///okrbot.db"
    assert (settings.host, settings.port) == ("127.0.0.1", 3000)
    assert settings.log_level == "INFO"
    assert settings.default_timezone == "UTC"
    assert settings.fiscal_year_start_month == 1
    assert (settings.checkin_day, settings.checkin_time) == (Weekday.MON, time(10, 0))
    assert (settings.digest_day, settings.digest_time) == (Weekday.FRI, time(15, 0))
    assert settings.reminder_delay_hours == 48
    assert settings.company_values == []
    assert settings.slack_bot_token is None
    assert settings.microsoft_app_id is None
    assert settings.teams_dev_no_auth is False


@pytest.mark.parametrize(
    ("variable", "field"),
    [
        ("SLACK_BOT_TOKEN", "slack_bot_token"),
        ("OKRBOT_SLACK_BOT_TOKEN", "slack_bot_token"),
        ("SLACK_SIGNING_SECRET", "slack_signing_secret"),
        ("SLACK_APP_TOKEN", "slack_app_token"),
        ("MICROSOFT_APP_ID", "microsoft_app_id"),
        ("MICROSOFT_APP_PASSWORD", "microsoft_app_password"),
        ("MICROSOFT_APP_TENANT_ID", "microsoft_app_tenant_id"),
    ],
)
def test_platform_credentials(monkeypatch: pytest.MonkeyPatch, variable: str, field: str) -> None:
    monkeypatch.setenv(variable, "secret-value")
    assert getattr(load_settings(), field) == "secret-value"


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("OKRBOT_DEFAULT_TIMEZONE", "Europe/Berlin", "default_timezone", "Europe/Berlin"),
        ("OKRBOT_CHECKIN_TIME", "09:30", "checkin_time", time(9, 30)),
        ("OKRBOT_CHECKIN_TIME", " 7:05 ", "checkin_time", time(7, 5)),
        ("OKRBOT_CHECKIN_DAY", "Tuesday", "checkin_day", Weekday.TUE),
        ("OKRBOT_DIGEST_DAY", "thu", "digest_day", Weekday.THU),
        ("OKRBOT_FISCAL_YEAR_START_MONTH", "4", "fiscal_year_start_month", 4),
        ("OKRBOT_LOG_LEVEL", "debug", "log_level", "DEBUG"),
        ("OKRBOT_PORT", "8080", "port", 8080),
        ("OKRBOT_TEAMS_DEV_NO_AUTH", "true", "teams_dev_no_auth", True),
    ],
)
def test_environment_values(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str, expected: object
) -> None:
    monkeypatch.setenv(variable, value)
    assert getattr(load_settings(), field) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("#ownership, customer-focus", ["ownership", "customer-focus"]),
        ("Ownership,,  #Customer-Focus ,#", ["ownership", "customer-focus"]),
        ("", []),
    ],
)
def test_company_values(monkeypatch: pytest.MonkeyPatch, value: str, expected: list[str]) -> None:
    monkeypatch.setenv("OKRBOT_COMPANY_VALUES", value)
    assert load_settings().company_values == expected


@pytest.mark.parametrize(
    ("variable", "value", "explanation"),
    [
        ("OKRBOT_DEFAULT_TIMEZONE", "Mars/Olympus", "is not an IANA time zone"),
        ("OKRBOT_CHECKIN_TIME", "9am", "is not a time; write it as HH:MM"),
        ("OKRBOT_CHECKIN_TIME", "25:00", "is not a time"),
        ("OKRBOT_DIGEST_TIME", "15:5", "is not a time"),
        ("OKRBOT_CHECKIN_DAY", "someday", "is not a day"),
        ("OKRBOT_DIGEST_DAY", "funday", "is not a day"),
        ("OKRBOT_FISCAL_YEAR_START_MONTH", "13", "less than or equal to 12"),
        ("OKRBOT_FISCAL_YEAR_START_MONTH", "0", "greater than or equal to 1"),
        ("OKRBOT_FISCAL_YEAR_START_MONTH", "april", "integer"),
        ("OKRBOT_LOG_LEVEL", "LOUD", "is not a log level"),
        ("OKRBOT_PORT", "70000", "less than or equal to 65535"),
        ("OKRBOT_WORK_START", "8", "is not a time"),
        ("OKRBOT_WORK_END", "07:00", "07:00 is not after OKRBOT_WORK_START (08:00)"),
        ("OKRBOT_WORK_DAYS", "mon-fry", "'fry' is not a day"),
        ("OKRBOT_WORK_DAYS", ",", "name at least one working day"),
    ],
)
def test_invalid_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, explanation: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert f"{variable}: " in message
    assert explanation in message
    assert "Value error" not in message


def test_working_days_read_as_lists_or_ranges_across_the_weekend(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OKRBOT_WORK_DAYS", "sun-thu")
    assert [day.name for day in sorted(load_settings().working_hours.days)] == [
        "MON",
        "TUE",
        "WED",
        "THU",
        "SUN",
    ]
    monkeypatch.setenv("OKRBOT_WORK_DAYS", "Monday, wed")
    assert sorted(load_settings().work_days) == [0, 2]
    monkeypatch.setenv("OKRBOT_WORK_END", "24:00")  # until midnight
    assert load_settings().working_hours.contains(datetime(2026, 11, 18, 23, 59, 59))


def test_every_invalid_value_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OKRBOT_DEFAULT_TIMEZONE", "Nowhere/Land")
    monkeypatch.setenv("OKRBOT_CHECKIN_DAY", "someday")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "OKRBOT_DEFAULT_TIMEZONE" in str(caught.value)
    assert "OKRBOT_CHECKIN_DAY" in str(caught.value)


def test_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "elsewhere" / "config.toml"
    path.parent.mkdir()
    path.write_text(
        'default_timezone = "America/New_York"\n'
        "fiscal_year_start_month = 10\n"
        'checkin_day = "wed"\n'
        'checkin_time = "08:45"\n'
        'company_values = ["#Ownership", "Customer-Focus"]\n'
        'slack_bot_token = "xoxb-from-file"\n'
    )
    monkeypatch.setenv(CONFIG_FILE_ENV, str(path))
    settings = load_settings()
    assert settings.default_timezone == "America/New_York"
    assert settings.fiscal_year_start_month == 10
    assert (settings.checkin_day, settings.checkin_time) == (Weekday.WED, time(8, 45))
    assert settings.company_values == ["ownership", "customer-focus"]
    assert settings.slack_bot_token == "xoxb-from-file"


def test_environment_wins_over_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "okrbot.toml"
    path.write_text('default_timezone = "America/New_York"\nport = 4000\n')
    monkeypatch.setenv("OKRBOT_DEFAULT_TIMEZONE", "Asia/Tokyo")
    settings = load_settings()
    assert settings.default_timezone == "Asia/Tokyo"
    assert settings.port == 4000


def test_default_config_file_in_working_directory(tmp_path: Path) -> None:
    (tmp_path / "okrbot.toml").write_text('digest_day = "thursday"\n')
    assert load_settings().digest_day is Weekday.THU


def test_invalid_value_in_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "okrbot.toml"
    path.write_text('default_timezone = "Atlantis/Capital"\n')
    monkeypatch.setenv(CONFIG_FILE_ENV, str(path))
    with pytest.raises(SettingsError, match="OKRBOT_DEFAULT_TIMEZONE: 'Atlantis/Capital'"):
        load_settings()


def test_malformed_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "okrbot.toml"
    path.write_text("this is = = not toml\n")
    monkeypatch.setenv(CONFIG_FILE_ENV, str(path))
    with pytest.raises(SettingsError, match=r"okrbot\.toml"):
        load_settings()


def test_missing_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    monkeypatch.setenv(CONFIG_FILE_ENV, str(missing))
    with pytest.raises(SettingsError, match=f"{CONFIG_FILE_ENV}: no configuration file at"):
        load_settings()


def test_missing_default_config_file_is_fine() -> None:
    assert isinstance(load_settings(), Settings)


def test_overrides_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OKRBOT_PORT", "4000")
    assert load_settings(port=5000).port == 5000


@pytest.mark.parametrize(
    ("text", "expected"),
    [("00:00", time(0, 0)), ("23:59", time(23, 59)), ("9:30", time(9, 30))],
)
def test_parse_local_time(text: str, expected: time) -> None:
    assert parse_local_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "12", "12:5", "12:60", "noon", "1:2:3"])
def test_parse_local_time_errors(text: str) -> None:
    with pytest.raises(ValueError, match="is not a time; write it as HH:MM"):
        parse_local_time(text)


def test_teams_tenants_default_to_the_apps_own_tenant(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().allowed_teams_tenants == frozenset()  # none configured: any tenant
    monkeypatch.setenv("MICROSOFT_APP_TENANT_ID", "72F988BF-86F1-41AF-91AB-2D7CD011DB47")
    assert load_settings().allowed_teams_tenants == {"72f988bf-86f1-41af-91ab-2d7cd011db47"}
    monkeypatch.setenv("OKRBOT_TEAMS_TENANT_IDS", " aaaa-1 ,, BBBB-2 ")
    settings = load_settings()
    assert settings.teams_tenant_ids == ["aaaa-1", "bbbb-2"]
    assert settings.allowed_teams_tenants == {"aaaa-1", "bbbb-2"}
