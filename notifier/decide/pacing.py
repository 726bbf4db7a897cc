"""When a message may go out (pure): quiet hours in the customer's time zone, and the frequency
cap, for marketing kinds; and the payment reminder's own rule, which keeps to the quiet hours
by going earlier, never later, so it always lands before the voucher's deadline. Other
transactional kinds are never paced."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from notifier.decide.policy import FrequencyCap, QuietHours

# A reminder moved out of the quiet hours goes this long before they start, in the last hour
# of the day's allowed window: time enough for a slow scheduler, a rate limit or a carrier's
# delay before the night (a window shorter than that: its last minute).
BEFORE_QUIET = timedelta(hours=1)
LAST_MINUTE = timedelta(minutes=1)


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _at(day: date, moment: time, zone: ZoneInfo) -> datetime:
    """That day's wall-clock time in the zone (its own offset, across a daylight change)."""
    return datetime.combine(day, moment).replace(tzinfo=zone)


def _is_quiet(moment: time, start: time, end: time) -> bool:
    if start > end:  # overnight, like 21:00-08:00
        return moment >= start or moment < end
    return start <= moment < end


def quiet_until(now: datetime, timezone: str, quiet: QuietHours) -> datetime | None:
    """The end of the quiet hours `now` falls in (aware, UTC), or None when it is not quiet."""
    start, end, zone = _clock(quiet.start), _clock(quiet.end), ZoneInfo(timezone)
    local = now.astimezone(zone)
    if not _is_quiet(local.time(), start, end):
        return None
    resume = _at(local.date(), end, zone)
    if resume <= local:
        resume = _at(local.date() + timedelta(days=1), end, zone)
    return resume.astimezone(now.tzinfo)


def quiet_since(moment: datetime, timezone: str, quiet: QuietHours) -> datetime | None:
    """When the quiet hours `moment` falls in began (aware), or None when it is not quiet."""
    start, end, zone = _clock(quiet.start), _clock(quiet.end), ZoneInfo(timezone)
    local = moment.astimezone(zone)
    if not _is_quiet(local.time(), start, end):
        return None
    day = local.date()
    if start > end and local.time() < end:  # after midnight: they began the evening before
        day -= timedelta(days=1)
    return _at(day, start, zone).astimezone(moment.tzinfo)


def reminder_wait(
    now: datetime, deadline: datetime | None, timezone: str, quiet: QuietHours
) -> datetime | None:
    """A payment reminder due `now`: None to send it now, or the end of the quiet hours `now`
    falls in when they end before the voucher's deadline (a reminder after the deadline would
    be worthless, so it goes in the night rather than not at all)."""
    until = quiet_until(now, timezone, quiet)
    if until is None or deadline is None or until >= deadline:
        return None
    return until


def reminder_time(
    at: datetime, now: datetime, deadline: datetime, timezone: str, quiet: QuietHours
) -> datetime:
    """When a payment reminder wanted at `at` goes: then, outside the quiet hours; else an
    hour before those quiet hours began (the end of the previous evening's allowed window); if
    that is not after `now`, as `reminder_wait` says from `now` (now, or the end of the quiet
    hours when that is still before the deadline). Never after `deadline` when `at` is not."""
    began = quiet_since(at, timezone, quiet)
    if began is None:
        return at
    earlier = began - BEFORE_QUIET
    if quiet_since(earlier, timezone, quiet) is not None:
        earlier = began - LAST_MINUTE
    if earlier > now:
        return earlier
    return reminder_wait(now, deadline, timezone, quiet) or now


def capped_until(now: datetime, sent: Sequence[datetime], cap: FrequencyCap) -> datetime | None:
    """When the cap lets one more marketing message through, or None when it does now.

    `sent` are the send times of the customer's marketing messages that count against the cap
    (other steps of the same sequence do not)."""
    recent = sorted(moment for moment in sent if moment > now - cap.per)
    if len(recent) < cap.max_marketing:
        return None
    return recent[len(recent) - cap.max_marketing] + cap.per
