"""Saving a person's own check-in day, time and time away, for both platforms."""

from __future__ import annotations

from collections.abc import Mapping

from okrbot.adapters.conversations import CheckIns
from okrbot.bot.domain import Person
from okrbot.bot.messages import Form, Message
from okrbot.bot.preferences import (
    SLACK_CHANGE_HINT,
    Preferences,
    parse_preferences,
    preferences_form,
    saved_message,
)
from okrbot.scheduler.cadence import Cadence
from okrbot.storage.people import save_checkin_settings, save_working_hours


class PreferencesFlow:
    def __init__(self, checkins: CheckIns, cadence: Cadence) -> None:
        self.checkins = checkins
        self.cadence = cadence

    def current(self, person: Person) -> Preferences:
        settings = self.checkins.settings
        today = self.checkins.moment(person).local_date
        away = person.paused_until if person.paused_until and person.paused_until >= today else None
        return Preferences(
            person.checkin_day if person.checkin_day is not None else settings.checkin_day,
            person.checkin_time or settings.checkin_time,
            away,
            self.checkins.working_hours(person),
        )

    def form(self, person: Person) -> Form:
        return preferences_form(self.current(person))

    async def save(
        self, person: Person, answers: Mapping[str, object], change_hint: str = SLACK_CHANGE_HINT
    ) -> tuple[dict[str, str], Message | None]:
        """Store the person's choices and move their next prompt to match; the confirmation
        ends with `change_hint`, where the person's platform lets them change them again."""
        today = self.checkins.moment(person).local_date
        chosen, errors = parse_preferences(answers, today)
        if chosen is None:
            return errors, None
        async with self.checkins.database.transaction() as session:
            await save_checkin_settings(
                session, person.id, chosen.day, chosen.at, chosen.away_until
            )
            if chosen.hours is not None:
                # The company's hours are kept as "the company's", so that they follow a change.
                own = chosen.hours if chosen.hours != self.checkins.settings.working_hours else None
                await save_working_hours(session, person.id, own)
            await self.cadence.reschedule(session, [person.id])
        zone = person.timezone or self.checkins.settings.default_timezone
        return {}, saved_message(chosen, zone, change_hint)
