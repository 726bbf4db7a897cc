"""Support's business hours (pure): by when a person will answer a conversation handed over now.

Inside the hours the answer comes within `response_time`; outside them, within `response_time`
of the next opening (in the policy's time zone, which may differ from the customer's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from notifier.decide.policy import Support

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Answer:
    """When a person will answer: `in_hours` (within `response_time` from now) or at `reply_by`."""

    in_hours: bool
    reply_by: datetime
    response_time: timedelta


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _local(day: datetime, at: time, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, at.hour, at.minute, tzinfo=zone)


def is_open(now: datetime, hours: Support) -> bool:
    """True when `now` falls inside a business day's opening hours."""
    zone = ZoneInfo(hours.timezone)
    local = now.astimezone(zone)
    if WEEKDAYS[local.weekday()] not in hours.days:
        return False
    return _clock(hours.opens) <= local.time() < _clock(hours.closes)


def next_opening(now: datetime, hours: Support) -> datetime | None:
    """The next time support opens after `now` (None when no business day is configured)."""
    zone = ZoneInfo(hours.timezone)
    local = now.astimezone(zone)
    for ahead in range(8):
        day = local + timedelta(days=ahead)
        opening = _local(day, _clock(hours.opens), zone)
        if WEEKDAYS[day.weekday()] in hours.days and opening > local:
            return opening.astimezone(now.tzinfo)
    return None


def answer_by(now: datetime, hours: Support) -> Answer:
    """By when the customer hears from a person, for the acknowledgement they get now."""
    if is_open(now, hours):
        return Answer(True, now + hours.response_time, hours.response_time)
    opening = next_opening(now, hours) or now
    return Answer(False, opening + hours.response_time, hours.response_time)
