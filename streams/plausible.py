"""Is a schema-valid count physically possible? The stated rule the twin's inbox applies.

A count passes the schema and still cannot be used when:

* its zone is not in the scenario;
* it counts more people than the zone can physically hold: ``count > k_jam x floor area``, with
  ``k_jam`` the jam density of the scenario's pedestrian model (5.4 persons/m² for Weidmann),
  or, for a zone without a floor area, more than the whole crowd (``seats`` of the venue);
* its time, placed on the match's full date-time (``seconds_since`` midnight of the match day,
  so a count from 2019 at the right clock time is years away), is outside the scenario's
  window ``[settings.start, settings.end]``, or later than the twin's clock plus
  ``future_slack_s`` (a count from the future would freeze its camera: latest wins).

Such a count is dead-lettered with the rule it broke; it is never clipped into the twin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from simulator.crowd.registry import create_model
from simulator.scenario.model import Scenario
from streams.messages import Message, ZoneCount, at_clock, seconds_since
from streams.zones import venue_zones

FUTURE_SLACK_S = 120.0  # camera clocks may run a little ahead of the twin's


@dataclass(frozen=True)
class CountLimits:
    """Where and when counts can come from, and how many people each zone can hold."""

    day: datetime
    start_s: float
    end_s: float
    capacity: dict[str, int]  # zone id -> most people it can physically hold
    future_slack_s: float = FUTURE_SLACK_S

    def problem(self, count: ZoneCount, now_s: float | None = None) -> str | None:
        """Why ``count`` cannot be used, or None when it is plausible."""
        limit = self.capacity.get(count.zone)
        if limit is None:
            return f"zone.count.v1: field 'zone': {count.zone!r} is not a zone of the scenario"
        if count.count > limit:
            return (
                f"zone.count.v1: field 'count': {count.count} people cannot fit in zone "
                f"{count.zone!r} (at most {limit}: jam density x floor area)"
            )
        at = seconds_since(self.day, count.event_time)
        if not self.start_s <= at <= self.end_s:
            return (
                f"zone.count.v1: field 'event_time': {count.event_time.isoformat()} is outside "
                f"the match window {_hhmm(self.day, self.start_s)} to "
                f"{_hhmm(self.day, self.end_s)}"
            )
        if now_s is not None and at > now_s + self.future_slack_s:
            return (
                f"zone.count.v1: field 'event_time': {count.event_time.isoformat()} is "
                f"{at - now_s:.0f} s ahead of the twin's clock (at most {self.future_slack_s:.0f})"
            )
        return None


def count_limits(scenario: Scenario, day: datetime) -> CountLimits:
    """The limits of ``scenario`` played on ``day`` (midnight of the match day, with offset)."""
    settings = scenario.settings
    k_jam = create_model(settings.pedestrian_model, settings.model_params).k_jam
    crowd = max(1, scenario.venue.seats)
    capacity = {
        z.id: int(k_jam * z.floor_m2) if z.floor_m2 > 0 else crowd
        for z in venue_zones(scenario).values()
    }
    return CountLimits(day, settings.start_s, settings.end_s, capacity)


def count_check(
    limits: CountLimits, clock: Callable[[], float | None] = lambda: None
) -> Callable[[Message], str | None]:
    """An ``Inbox`` check: counts must be plausible at the reader's clock; others pass."""

    def check(message: Message) -> str | None:
        return limits.problem(message, clock()) if isinstance(message, ZoneCount) else None

    return check


def _hhmm(day: datetime, clock_s: float) -> str:
    return at_clock(day, clock_s).strftime("%Y-%m-%d %H:%M")
