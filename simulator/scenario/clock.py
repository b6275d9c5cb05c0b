"""Clock times on a match day: parse "HH:MM[:SS]" and format seconds since midnight.

Matches run past midnight (kick-off 21:00, stadium clear at 00:30), so a clock string earlier
than the run's start means the next day. Plain numbers are taken as seconds since midnight as
they are, so a validation scenario can say ``start: 0, end: 3600``.
"""

from __future__ import annotations

import math
import re

DAY_S = 86_400.0
MAX_CLOCK_S = 7 * DAY_S  # a match day with its build-up and clear-out spans at most a few days
_CLOCK = re.compile(r"^(\d{1,2}):([0-5]\d)(?::([0-5]\d(?:\.\d+)?))?$")


class ClockFormatError(ValueError):
    """A value is neither "HH:MM[:SS]" nor a number of seconds; the message says what it was."""


def parse_clock(value: object, *, day_start_s: float | None = None) -> float:
    """Return seconds since midnight for ``value``.

    A "HH:MM[:SS]" string earlier than ``day_start_s`` is moved to the next day, because a
    match-day clock that reads 00:30 after a 16:30 start means half past midnight.
    """
    if isinstance(value, bool):
        raise ClockFormatError(f"a boolean ({value!r})")
    if isinstance(value, int | float):
        if isinstance(value, int) and abs(value) > MAX_CLOCK_S:
            raise ClockFormatError(
                f"{len(str(abs(value)))}-digit seconds (at most {MAX_CLOCK_S:g})"
            )
        if not math.isfinite(value) or not 0 <= value <= MAX_CLOCK_S:
            raise ClockFormatError(f"{value!r} seconds (from 0 to {MAX_CLOCK_S:g})")
        return float(value)
    if not isinstance(value, str):
        raise ClockFormatError(f"a {type(value).__name__} ({repr(value)[:40]})")
    match = _CLOCK.match(value.strip())
    if match is None:
        raise ClockFormatError(f"{value[:40]!r}")
    hours, minutes, seconds = int(match[1]), int(match[2]), float(match[3] or 0)
    if hours > 23:
        raise ClockFormatError(f"{value!r} (hours above 23)")
    clock_s = hours * 3600.0 + minutes * 60.0 + seconds
    if day_start_s is not None and clock_s < day_start_s % DAY_S:
        clock_s += DAY_S
    return clock_s


def format_clock(seconds: float, *, with_seconds: bool = False) -> str:
    """Format seconds since midnight as "HH:MM" (wrapping past midnight), for people to read."""
    total = round(seconds) % int(DAY_S)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if with_seconds:
        return f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{hours:02d}:{minutes:02d}"


def format_duration(seconds: float | None) -> str:
    """Format a duration as "1 h 05 min" / "12.5 min" / "40 s"; "n/a" when there is none."""
    if seconds is None or seconds != seconds:  # None or NaN
        return "n/a"
    if seconds < 120:
        return f"{seconds:.0f} s"
    minutes = seconds / 60.0
    if minutes < 90:
        return f"{minutes:.1f} min"
    hours, mins = divmod(round(minutes), 60)
    return f"{hours} h {mins:02d} min"
