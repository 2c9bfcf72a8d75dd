"""Quiet hours (``PINPAL_QUIET_HOURS=22-8``): local hours without reminders."""

from __future__ import annotations

import re
import time

import attrs

QUIET_VARIABLE = "PINPAL_QUIET_HOURS"
_RANGE = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*-\s*(\d{1,2})(?::(\d{2}))?\s*$")
MINUTES_PER_DAY = 24 * 60


class BadQuietHours(ValueError):
    """The variable's value is not a range of hours."""


@attrs.frozen
class QuietHours:
    """From ``start`` up to (not including) ``end``, minutes after local midnight."""

    start: int
    end: int

    def covers(self, moment: float) -> bool:
        local = time.localtime(moment)
        minute = local.tm_hour * 60 + local.tm_min
        if self.start < self.end:
            return self.start <= minute < self.end
        # Across midnight, as in 22-8.
        return minute >= self.start or minute < self.end


def _minutes(hours: str, minutes: str | None) -> int:
    hour, minute = int(hours), int(minutes or 0)
    if hour > 23 or minute > 59:
        raise BadQuietHours
    return hour * 60 + minute


def parse_quiet_hours(text: str | None) -> QuietHours | None:
    """None when unset or empty; raises :class:`BadQuietHours` for anything but H[:MM]-H[:MM]."""
    if text is None or not text.strip():
        return None
    found = _RANGE.match(text)
    problem = BadQuietHours(
        f"{QUIET_VARIABLE} must be a range of local hours such as 22-8 or 22:30-7:15, not {text!r}"
    )
    if found is None:
        raise problem
    try:
        start = _minutes(found.group(1), found.group(2))
        end = _minutes(found.group(3), found.group(4))
    except BadQuietHours:
        raise problem from None
    if start == end:
        raise problem
    return QuietHours(start, end)
