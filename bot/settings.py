"""Configuration: environment variables, then an optional `okrbot.toml`, then defaults.

Settings are read once at start. A bad value stops okrbot with a message that names the
setting as the operator would write it (`OKRBOT_DEFAULT_TIMEZONE: ...`), not a traceback.
"""

from __future__ import annotations

import os
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from okrbot.bot.domain import Weekday, parse_local_time
from okrbot.bot.holidays import Holidays, parse_holidays
from okrbot.bot.timezones import timezone_problem
from okrbot.bot.working_hours import WEEKDAYS, WorkingHours, parse_days, parse_end

CONFIG_FILE_ENV = "OKRBOT_CONFIG"
DEFAULT_CONFIG_FILE = "okrbot.toml"


class SettingsError(ValueError):
    """One or more settings are invalid; the message names each of them."""


def _platform(name: str) -> Any:
    """A platform's customary variable (SLACK_BOT_TOKEN), also accepted with the OKRBOT_ prefix."""
    return Field(default=None, validation_alias=AliasChoices(name, f"OKRBOT_{name}", name.lower()))


def check_timezone(name: str) -> str:
    problem = timezone_problem(name)
    if problem is not None:
        raise ValueError(problem)
    return name


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="OKRBOT_", extra="ignore", populate_by_name=True, validate_default=True
    )

    database_url: str = "sqlite+aiosqlite:///okrbot.db"
    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=1, le=65535)
    log_level: str = "INFO"

    default_timezone: str = "UTC"
    fiscal_year_start_month: int = Field(default=1, ge=1, le=12)
    checkin_day: Weekday = Weekday.MON
    checkin_time: time = time(10, 0)
    reminder_delay_hours: int = Field(default=48, ge=1, le=24 * 6)
    digest_day: Weekday = Weekday.FRI
    digest_time: time = time(15, 0)
    notification_budget: int = Field(default=5, ge=1)
    # Days nobody is asked, reminded or sent a digest: ISO dates, or the path of an .ics file.
    holidays: Annotated[frozenset[date], NoDecode] = frozenset()
    # A region's own holidays, the region named by its time zone: {"Europe/Berlin": "de.ics"}.
    regional_holidays: dict[str, frozenset[date]] = Field(default_factory=dict)
    # When okrbot may deliver what it timed itself (a nudge, a snoozed prompt, a kudos DM), in
    # each person's own time zone (one company-wide setting for now; see adapters.conversations).
    work_start: time = time(8, 0)
    work_end: time = time(19, 0)
    work_days: Annotated[frozenset[Weekday], NoDecode] = WEEKDAYS
    # How long a sender may hold a message before another replica assumes it crashed.
    outbox_lease_seconds: int = Field(default=120, ge=1)
    # How often the scheduler looks for due messages; at most a minute, so nothing is late.
    tick_seconds: float = Field(default=30, gt=0, le=60)

    company_values: Annotated[list[str], NoDecode] = Field(default_factory=list)
    kudos_channel: str | None = None
    kudos_daily_limit: int = Field(default=5, ge=1)

    slack_bot_token: str | None = _platform("SLACK_BOT_TOKEN")
    slack_signing_secret: str | None = _platform("SLACK_SIGNING_SECRET")
    slack_app_token: str | None = _platform("SLACK_APP_TOKEN")
    slack_api_url: str = "https://slack.com/api/"
    slack_post_rate: int = Field(default=300, ge=1)
    # Bolt's switch for platforms that freeze a process once it responds (FaaS); on a normal
    # server okrbot acknowledges first and works after.
    slack_process_before_response: bool = False

    microsoft_app_id: str | None = _platform("MICROSOFT_APP_ID")
    microsoft_app_password: str | None = _platform("MICROSOFT_APP_PASSWORD")
    microsoft_app_tenant_id: str | None = _platform("MICROSOFT_APP_TENANT_ID")
    teams_dev_no_auth: bool = False
    # Where Bot Framework publishes the keys that sign its requests to the bot, and where the
    # bot gets its own tokens ({tenant}: MICROSOFT_APP_TENANT_ID, else botframework.com). Other
    # clouds (or a test's local stand-in) have their own.
    botframework_openid_url: str = (
        "https://login.botframework.com/v1/.well-known/openidconfiguration"
    )
    botframework_token_url: str = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
    # The Bot Connector's name in that cloud: the issuer of its tokens, the audience of okrbot's.
    botframework_issuer: str = "https://api.botframework.com"
    teams_tenant_rate: int = Field(default=30, ge=1)
    # The Microsoft 365 organisations whose people okrbot serves; empty: the app's own tenant.
    teams_tenant_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return check_timezone(value)

    @field_validator("checkin_time", "digest_time", "work_start", "work_end", mode="before")
    @classmethod
    def _time(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name == "work_end" and isinstance(value, str):
            return parse_end(value)  # 24:00: working until midnight
        return parse_local_time(value) if isinstance(value, str) else value

    @field_validator("checkin_day", "digest_day", mode="before")
    @classmethod
    def _day(cls, value: Any) -> Any:
        return Weekday.parse(value) if isinstance(value, str) else value

    @field_validator("holidays", mode="before")
    @classmethod
    def _holidays(cls, value: Any) -> Any:
        return parse_holidays(value) if isinstance(value, str) else value

    @field_validator("regional_holidays", mode="before")
    @classmethod
    def _regional_holidays(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        days = {}
        for zone, calendar in value.items():
            check_timezone(str(zone))
            try:
                parsed = parse_holidays(calendar) if isinstance(calendar, str) else calendar
            except ValueError as error:
                raise ValueError(f"{zone}: {error}") from None
            days[str(zone)] = parsed
        return days

    @property
    def holiday_calendar(self) -> Holidays:
        return Holidays(self.holidays, self.regional_holidays)

    @field_validator("work_end")
    @classmethod
    def _work_end(cls, value: time, info: ValidationInfo) -> time:
        start = info.data.get("work_start")
        if isinstance(start, time) and value <= start:
            raise ValueError(f"{value:%H:%M} is not after OKRBOT_WORK_START ({start:%H:%M})")
        return value

    @field_validator("work_days", mode="before")
    @classmethod
    def _days(cls, value: Any) -> Any:
        days = parse_days(value) if isinstance(value, str | list | tuple) else value
        if not days:
            raise ValueError("name at least one working day, e.g. mon-fri")
        return days

    @property
    def working_hours(self) -> WorkingHours:
        return WorkingHours(self.work_start, self.work_end, frozenset(self.work_days))

    @field_validator("company_values", mode="before")
    @classmethod
    def _values(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.split(",")
        return [v.strip().lstrip("#").lower() for v in value if v.strip().lstrip("#")]

    @field_validator("botframework_openid_url", "botframework_token_url", "botframework_issuer")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("teams_tenant_ids", mode="before")
    @classmethod
    def _tenants(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.split(",")
        return [str(v).strip().lower() for v in value if str(v).strip()]

    @property
    def allowed_teams_tenants(self) -> frozenset[str]:
        """Tenant ids Teams activities may come from; empty means any (no tenant configured)."""
        if self.teams_tenant_ids:
            return frozenset(self.teams_tenant_ids)
        own = (self.microsoft_app_tenant_id or "").strip().lower()
        return frozenset({own} if own else ())

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"{value!r} is not a log level; use DEBUG, INFO, WARNING or ERROR")
        return level

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = Path(os.environ.get(CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, path))


def _setting_name(loc: tuple[Any, ...]) -> str:
    field = str(loc[0]) if loc else "?"
    info = Settings.model_fields.get(field)
    if info is not None and isinstance(info.validation_alias, AliasChoices):
        return str(info.validation_alias.choices[0])
    return f"OKRBOT_{field.upper()}"


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, or raise SettingsError naming every bad one."""
    config_path = Path(os.environ.get(CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE))
    if CONFIG_FILE_ENV in os.environ and not config_path.is_file():
        raise SettingsError(f"{CONFIG_FILE_ENV}: no configuration file at {config_path}")
    try:
        return Settings(**overrides)
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            message = str(problem["msg"]).removeprefix("Value error, ")
            lines.append(f"{_setting_name(problem['loc'])}: {message}")
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(lines)) from None
    except ValueError as error:  # a malformed okrbot.toml
        raise SettingsError(f"{config_path}: {error}") from None
