"""The live digital twin: assimilate camera counts into a running simulation, forecast, alert.

Assimilation rule (documented once, here). Each cycle, for every zone with cameras whose last
count is at most ``stale_after_s`` old:

    observed = sum(camera counts) / sum(camera coverages)
    w        = coverage-weighted mean confidence of those cameras
    set      = round(w * observed + (1 - w) * modelled)

and ``Snapshot.with_counts`` moves the simulation to ``set`` (the simulator's documented rule for
adding or removing fans). Zones whose cameras are stale or silent keep the modelled value, so a
dropped camera degrades to the model instead of to zero. The corrected snapshot then both
continues the nowcast and warm-starts a forecast run ``horizon_s`` ahead.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from simulator import Simulation, SimulatorError, Snapshot
from simulator.scenario.model import Scenario
from streams.alerts import AlertBook
from streams.cameras import Camera
from streams.messages import (
    Ack,
    Alert,
    Forecast,
    ForecastZone,
    Message,
    ZoneCount,
    ZoneDensity,
    at_clock,
    new_id,
    seconds_since,
)
from streams.rules import CameraHealth, TwinState, ZoneState
from streams.ruleset import RuleSet
from streams.zones import FORECAST_STEPS_S, Zone, ZoneForecast, forecasts_from, venue_zones


@dataclass(frozen=True)
class TwinSettings:
    """How the twin runs; times are match-clock seconds."""

    horizon_s: float = 1200.0
    cycle_s: float = 60.0
    stale_after_s: float = 30.0
    seed: int = 0


@dataclass(frozen=True)
class CycleReport:
    """What one cycle did: the messages to publish and how long the forecast took."""

    clock_s: float
    messages: tuple[Message, ...]
    warm_start_s: float
    assimilated: int


@dataclass
class _Latest:
    count: int
    confidence: float
    clock_s: float


class DigitalTwin:
    """Holds the assimilated simulation; ``observe`` counts, ``cycle`` forecasts and alerts."""

    def __init__(
        self,
        scenario: Scenario,
        cameras: Sequence[Camera],
        rules: RuleSet,
        *,
        day: datetime,
        start_s: float,
        settings: TwinSettings | None = None,
    ) -> None:
        self.scenario = scenario
        self.settings = settings or TwinSettings()
        self.rules = rules
        self.day = day
        self.cameras = {c.id: c for c in cameras}
        self.zones = venue_zones(scenario)
        self.book = AlertBook(rules.lifecycle, day, {z.id: z.label for z in self.zones.values()})
        self.sim = Simulation(scenario, seed=self.settings.seed)
        self.sim.run(until=start_s)
        self.latest: dict[str, _Latest] = {}
        self.window: dict[str, list[int]] = defaultdict(list)
        self.window_start_s = start_s
        self.cycles = 0
        self.ignored = 0  # counts from cameras not in the map
        self.refusals: list[str] = []  # assimilations the simulator refused (fell back)
        self.coalesced = 0  # counts the reader dropped unread under overload (set by the service)
        self.bus_down_s: float | None = None  # match clock the bus was last seen down

    def clock_of(self, moment: datetime) -> float:
        """A message time as match-clock seconds: its full date and time, not its clock of day."""
        return seconds_since(self.day, moment)

    def observe(self, count: ZoneCount) -> None:
        """Take one zone.count.v1 (already validated and de-duplicated by the inbox)."""
        camera = self.cameras.get(count.camera)
        if camera is None or camera.zone != count.zone:
            self.ignored += 1
            return
        t = self.clock_of(count.event_time)
        prev = self.latest.get(camera.id)
        if prev is None or t >= prev.clock_s:
            self.latest[camera.id] = _Latest(count.count, count.confidence, t)
        self.window[camera.id].append(count.count)

    def count_lag_s(self, clock_s: float) -> float | None:
        """Match-clock age of the newest count applied so far (None before the first)."""
        newest = max((latest.clock_s for latest in self.latest.values()), default=None)
        return None if newest is None else clock_s - newest

    def acknowledge(self, ack: Ack, clock_s: float) -> list[Alert]:
        """An operator's Ack for an open incident: the Update that records it."""
        return self.book.acknowledge(ack, clock_s)

    def cycle(self, clock_s: float) -> CycleReport:
        """Advance the model to ``clock_s``, assimilate, forecast, evaluate rules, alert."""
        self.sim.run(until=max(clock_s, self.sim.now))
        snap = self.sim.snapshot()
        observed = self._observed(clock_s, snap)
        corrected, applied = self._correct(snap, observed)
        started = time.perf_counter()
        forecast = Simulation(self.scenario, seed=self.settings.seed + 7919, snapshot=corrected)
        series = forecast.run(until=clock_s + self.settings.horizon_s, results="timeseries")
        ahead = forecasts_from(
            series.timeseries, start_s=clock_s, horizon_s=self.settings.horizon_s
        )
        warm = time.perf_counter() - started
        now_occ = {z: snap.occupancy.get(z, 0) for z in self.zones} | observed
        state = self._state(clock_s, now_occ, ahead, set(observed))
        messages = self._densities(clock_s)
        messages.append(self._forecast_message(state, ahead, warm))
        messages.extend(self.book.update(self.rules.evaluate(state), clock_s))
        self.cycles += 1
        return CycleReport(clock_s, tuple(messages), warm, len(applied))

    def _correct(self, snap: Snapshot, observed: dict[str, int]) -> tuple[Snapshot, dict[str, int]]:
        """Apply the counts and resume the nowcast from them, degrading rather than stopping.

        If the simulator refuses some counts (a link nobody has walked yet has no direction
        for added fans), retry with the node zones only, then with none; each refusal is kept
        in ``refusals`` so the operator sees the twin fell back to its model there.
        """
        links = {link.id for link in self.scenario.venue.links}
        nodes_only = {z: n for z, n in observed.items() if z not in links}
        attempts: tuple[dict[str, int], ...] = (observed, nodes_only, {})
        for counts in attempts:
            corrected = snap.with_counts(counts) if counts else snap
            try:
                self.sim = Simulation(self.scenario, seed=self.settings.seed, snapshot=corrected)
            except (SimulatorError, StopIteration) as error:  # StopIteration: see README
                self.refusals.append(f"{snap.time_s:.0f}: {type(error).__name__}: {error}")
                continue
            return corrected, counts
        raise AssertionError("unreachable: the uncorrected snapshot always restores")

    def _observed(self, clock_s: float, snap: Snapshot) -> dict[str, int]:
        """The assimilation rule (module docstring): blended counts for zones with fresh cameras."""
        per_zone: dict[str, list[tuple[Camera, _Latest]]] = defaultdict(list)
        for cam_id, latest in self.latest.items():
            if clock_s - latest.clock_s <= self.settings.stale_after_s:
                per_zone[self.cameras[cam_id].zone].append((self.cameras[cam_id], latest))
        out = {}
        for zone, seen in per_zone.items():
            coverage = sum(c.coverage for c, _ in seen)
            observed = sum(s.count for _, s in seen) / coverage
            weight = sum(c.coverage * s.confidence for c, s in seen) / coverage
            modelled = snap.occupancy.get(zone, 0)
            out[zone] = max(0, round(weight * observed + (1 - weight) * modelled))
        return out

    def _state(
        self,
        clock_s: float,
        occupancy: dict[str, int],
        ahead: dict[str, ZoneForecast],
        observed: set[str],
    ) -> TwinState:
        zones = []
        for z in self.zones.values():
            f = ahead.get(z.id)
            zones.append(
                ZoneState(
                    z.id,
                    z.element_type,
                    z.label,
                    z.los_scale,
                    z.floor_m2,
                    occupancy.get(z.id, 0),
                    z.density(occupancy.get(z.id, 0)),
                    tuple(zip(f.times_s, f.densities, strict=True)) if f else (),
                    f.max_wait_s if f else 0.0,
                    z.mode,
                    z.id in observed,
                )
            )
        # while the bus is down (or just back) silence is the bus's, not the cameras'
        floor = self.bus_down_s if self.bus_down_s is not None else -float("inf")
        cameras = tuple(
            CameraHealth(
                c.id,
                c.zone,
                max(
                    floor,
                    self.latest[c.id].clock_s if c.id in self.latest else self.window_start_s,
                ),
            )
            for c in self.cameras.values()
        )
        return TwinState(clock_s, self.settings.horizon_s, tuple(zones), cameras)

    def _densities(self, clock_s: float) -> list[Message]:
        """zone.density.v1 per observed zone over the window since the last cycle."""
        by_zone: dict[str, list[tuple[str, int, float]]] = defaultdict(list)
        for cam_id, counts in self.window.items():
            cam = self.cameras[cam_id]
            by_zone[cam.zone].extend((cam_id, n, cam.coverage) for n in counts)
        out: list[Message] = []
        for zone_id, samples in by_zone.items():
            zone = self.zones[zone_id]
            heads = [n / cov for _, n, cov in samples]
            mean = sum(heads) / len(heads)
            out.append(
                _density_message(
                    zone,
                    sorted({c for c, _, _ in samples}),
                    heads,
                    mean,
                    at_clock(self.day, self.window_start_s),
                    at_clock(self.day, clock_s),
                )
            )
        self.window.clear()
        self.window_start_s = clock_s
        return out

    def _forecast_message(
        self, state: TwinState, ahead: dict[str, ZoneForecast], warm_s: float
    ) -> Forecast:
        rows = []
        for zs in state.zones:
            z, f = self.zones[zs.zone], ahead.get(zs.zone)
            later: dict[str, float | str | None] = {}
            for step, name in zip(FORECAST_STEPS_S, ("5min", "10min", "20min"), strict=True):
                d = f.at(state.clock_s + step) if f and step <= state.horizon_s else None
                later[f"density_{name}_per_m2"] = None if d is None else round(d, 4)
                later[f"los_{name}"] = None if d is None else z.los(d)
            rows.append(
                ForecastZone(
                    zone=z.id,
                    element_type=z.element_type,
                    observed=zs.observed,
                    occupancy_now=zs.occupancy_now,
                    density_now_per_m2=round(zs.density_now, 4),
                    los_now=z.los(zs.density_now),
                    mean_wait_s=round(zs.wait_s, 2) if z.element_type == "checkpoint" else None,
                    **later,  # type: ignore[arg-type]
                )
            )
        lag = self.count_lag_s(state.clock_s)
        return Forecast(
            id=new_id(),
            issued=at_clock(self.day, state.clock_s),
            clock_s=state.clock_s,
            horizon_s=state.horizon_s,
            warm_start_ms=round(warm_s * 1000, 1),
            zones=tuple(rows),
            count_lag_s=None if lag is None else round(lag, 3),
            coalesced=self.coalesced,
        )


def _density_message(
    zone: Zone,
    cameras: list[str],
    heads: list[float],
    mean: float,
    start: datetime,
    end: datetime,
) -> ZoneDensity:
    density = zone.density(mean)
    return ZoneDensity(
        id=new_id(),
        zone=zone.id,
        window_start=start,
        window_end=end,
        cameras=tuple(cameras),
        samples=len(heads),
        count_mean=round(mean, 2),
        density_mean_per_m2=round(density, 4),
        density_max_per_m2=round(zone.density(max(heads)), 4),
        los=zone.los(density),
    )
