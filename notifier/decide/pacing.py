"""When a marketing message may go out (pure): quiet hours in the customer's time zone, and the
frequency cap. Transactional kinds are never paced."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from notifier.decide.policy import FrequencyCap, QuietHours


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def quiet_until(now: datetime, timezone: str, quiet: QuietHours) -> datetime | None:
    """The end of the quiet hours `now` falls in (aware, UTC), or None when it is not quiet."""
    start, end = _clock(quiet.start), _clock(quiet.end)
    local = now.astimezone(ZoneInfo(timezone))
    moment = local.time()
    overnight = start > end
    is_quiet = (moment >= start or moment < end) if overnight else (start <= moment < end)
    if not is_quiet:
        return None
    resume = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if resume <= local:
        resume += timedelta(days=1)
    naive = resume.replace(tzinfo=None)  # re-localise: the resume day may have another offset
    return naive.replace(tzinfo=ZoneInfo(timezone)).astimezone(now.tzinfo)


def capped_until(now: datetime, sent: Sequence[datetime], cap: FrequencyCap) -> datetime | None:
    """When the cap lets one more marketing message through, or None when it does now.

    `sent` are the send times of the customer's marketing messages that count against the cap
    (other steps of the same sequence do not)."""
    recent = sorted(moment for moment in sent if moment > now - cap.per)
    if len(recent) < cap.max_marketing:
        return None
    return recent[len(recent) - cap.max_marketing] + cap.per
