"""``matchday live``: wire a bus, cameras (or the replay demo), the twin and the dashboard.

The loop reads top to bottom: the match clock advances at ``speed`` x wall time; due cameras
publish counts; the twin service pumps the bus; every ``cycle_s`` of match clock the twin
forecasts and alerts. It stops by itself after ``minutes`` of match clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Protocol

from simulator.scenario.model import Scenario
from streams.bus import Bus, BusHealth
from streams.errors import BusError
from streams.inbox import Publisher
from streams.messages import ZoneCount
from streams.service import TwinService
from streams.twin import DEFAULT_CYCLE_S, CycleReport


class CountSource(Protocol):
    """What publishes counts in a demo: ``CountReplay`` (--fast) or ``FrameReplay`` (frames)."""

    def counts(self, clock_s: float) -> list[ZoneCount]: ...


MOROCCO = timezone(timedelta(hours=1))  # Morocco keeps UTC+1 outside Ramadan


@dataclass(frozen=True)
class LiveSettings:
    """Pace and length of a live run, in match-clock seconds unless named otherwise."""

    start_s: float
    minutes: float = 30.0
    speed: float = 20.0  # match seconds per wall second; 1 for a real match
    camera_interval_s: float = 15.0
    cycle_s: float = DEFAULT_CYCLE_S  # the twin's cycle (TwinSettings.cycle_s)


def match_day(day: date | None = None) -> datetime:
    """Midnight of the match day in Moroccan time (today when not given)."""
    d = day or datetime.now(MOROCCO).date()
    return datetime(d.year, d.month, d.day, tzinfo=MOROCCO)


def default_start(scenario: Scenario) -> float:
    """Where the demo starts: 8 min before the final whistle, else 70 min before kick-off."""
    if scenario.egress is not None:
        return scenario.egress.final_whistle_s - 480
    if scenario.ingress is not None:
        return scenario.ingress.kickoff_s - 4200
    return scenario.settings.start_s


def run_live(
    bus: Bus,
    service: TwinService,
    settings: LiveSettings,
    *,
    replay: CountSource | None = None,
    on_cycle: Callable[[CycleReport], None] | None = None,
    on_bus: Callable[[BusHealth], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Run until ``settings.minutes`` of match clock have passed (or ``should_stop()``).

    ``on_bus`` hears every change of the broker's health (down, back up).
    """
    publisher = Publisher(bus)
    end_s = settings.start_s + settings.minutes * 60
    wall0 = time.monotonic()
    next_camera = settings.start_s
    next_cycle = settings.start_s + settings.cycle_s
    clock = settings.start_s
    was_up = True
    while next_cycle <= end_s and not should_stop():
        clock = min(end_s, settings.start_s + (time.monotonic() - wall0) * settings.speed)
        service.pump(clock, timeout_s=0.02)
        if service.bus_health.up != was_up:
            was_up = service.bus_health.up
            if on_bus is not None:
                on_bus(service.bus_health)
        # due events in time order, so a cycle never sees counts from after its own time
        camera_due = replay is not None and next_camera <= min(clock, next_cycle)
        if camera_due and replay is not None:
            for message in replay.counts(next_camera):
                try:
                    publisher.publish(message, key=message.camera)
                except BusError:  # the buffer is full while the broker is away: drop, go on
                    service.stats.camera_dropped += 1
            bus.flush(timeout_s=0.0)
            next_camera += settings.camera_interval_s
        elif clock >= next_cycle:
            service.pump(next_cycle, timeout_s=0.05)
            report = service.cycle(next_cycle)
            next_cycle += settings.cycle_s
            if on_cycle is not None:
                on_cycle(report)
    bus.flush(timeout_s=10.0)
