"""One unit per quantity in everything a person reads.

Files keep SI seconds (``*_s`` keys); what is shown to a planner is in minutes for durations
and waits, persons/m² for density, persons per metre of width per minute for flows and
percent for shares. Every output (terminal, report, sweep table, comparison) formats through
these functions, so the same number reads the same everywhere.
"""

from __future__ import annotations

import math

NOT_APPLICABLE = "not applicable"


def minutes(seconds: float | None) -> float | None:
    """Seconds to minutes (None stays None)."""
    return None if seconds is None else seconds / 60.0


def fmt_minutes_of(seconds: float | None) -> str:
    """A duration given in seconds, shown in minutes with one decimal ("n/a" if none)."""
    if seconds is None or math.isnan(seconds):
        return "n/a"
    return f"{seconds / 60.0:.1f}"


def fmt_share(value: float | None) -> str:
    return "n/a" if value is None else f"{100.0 * value:.1f}%"


def fmt_density(value: float) -> str:
    return f"{value:.2f}"
