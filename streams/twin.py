"""The live digital twin: an ensemble assimilating camera counts, forecasting, alerting.

Each cycle (every ``cycle_s``, 15 s by default):

1. every member (``streams.ensemble``: its own gate capacities, door flows and walking speed)
   has run from its last corrected state to now; what it predicted for the counts of the
   window (head counts per watched zone, gate-line crossings ``in_count``/``out_count``) is
   compared with what the cameras saw, and an ensemble Kalman update moves the members'
   parameters (``streams.ensemble.update``; Evensen 2003, Ward et al. 2016);
2. every member's state is corrected towards the counts: for each zone with cameras whose
   last count is at most ``stale_after_s`` old and not applied before,

       observed = sum(camera counts) / sum(camera coverages)
       w        = Kalman gain of the zone (``streams.count_gain``: how far the model may
                  have drifted since its last count against the count's noise, with the
                  cameras' coverage-weighted confidence)
       set_i    = round(w * observed + (1 - w) * modelled_i)

   applied by ``Snapshot.with_counts`` (the simulator's rule for adding or removing fans,
   ``simulator.engine.assimilate``); zones whose cameras are stale or silent keep each
   member's modelled value, so a dropped camera degrades to the model instead of to zero;
3. every member runs on to the horizon with its parameters (``streams.members``); the zone
   forecasts are the p10 / p50 / p90 over the members, and an alert's certainty is the share
   of members that cross its level (``streams.rules``).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from simulator import Simulation, Snapshot
from simulator.results.names import element_names
from simulator.scenario.model import Scenario
from streams.alerts import AlertBook
from streams.cameras import Camera
from streams.count_gain import CountGain
from streams.ensemble import (
    MemberParams,
    ParamSpace,
    keep_spread,
    probe_trouble,
    quantiles,
    renew,
    update,
)
from streams.instructions import match_phases
from streams.members import MemberJob, MemberPool, MemberRun
from streams.messages import (
    Ack,
    Alert,
    Estimate,
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
from streams.zones import FORECAST_STEPS_S, Zone, ZoneForecast, venue_zones

# a member re-forecasts before its turn when a parameter moved by more than this (log: 15%)
REFRESH_DRIFT = 0.15
DEFAULT_CYCLE_S = 15.0  # match seconds between cycles unless told otherwise (issue 16)
DEFAULT_MEMBERS = 8  # the ensemble the twin runs unless told otherwise (TwinSettings.members)


@dataclass(frozen=True)
class TwinSettings:
    """How the twin runs; times are match-clock seconds."""

    horizon_s: float = 1200.0
    cycle_s: float = DEFAULT_CYCLE_S
    stale_after_s: float = 30.0
    seed: int = 0
    # ensemble size. 8 members learn the parameters of unplanned trouble; one run of the plan
    # corrected by the counts (1) learns nothing, so its forecasts drift back to the plan
    # within a horizon (README, "Twin evaluation", scores both). About 0.75 s of CPU per 15-s
    # cycle on Stade Mohammed V.
    members: int = DEFAULT_MEMBERS
    workers: int = 0  # processes the members are spread over (0: this process)
    count_noise: float = 0.15  # relative error of one camera count (the filter's R)
    model_error: float = 0.2  # relative error of the model's count (corrections bias it)
    # how long the model's error in a count lasts (the same misplaced fans are counted again
    # in the next windows): a cycle shorter than this hears a share cycle_s / error_memory_s
    # of an independent count's information, so its model-error variance is scaled up by
    # error_memory_s / cycle_s (``_learn``). Counts every 15 s are not four times the news
    # of counts every minute. The same time sets how fast the model drifts from a corrected
    # state (``streams.count_gain``: model_error**2 per error_memory_s)
    error_memory_s: float = 60.0
    min_spread: float = 0.5  # share of each parameter's prior spread the members keep
    relax: float = 0.01  # pull of the parameters back to the plan per 15 s, without evidence
    # members per minute of match clock whose parameters are drawn afresh from the plan's
    # prior (rejuvenation): trouble ends, and a door learnt shut can only be seen to reopen
    # if some member tries it open (the others sit at the bound, all predicting the same).
    # The walking speed, away from a bound, is drawn around the ensemble's mean (``renew``)
    renew_per_min: float = 1.0
    # each member re-runs its forecast to the horizon at least this often; between, it runs
    # only to the next cycle and its last forecast (run ``refresh_s`` past the horizon so it
    # still covers it) is read from the current clock on. With 15-s cycles a quarter of the
    # members forecast per cycle: the cycle costs about a quarter of the full ensemble's.
    refresh_s: float = 60.0


@dataclass(frozen=True)
class CycleReport:
    """What one cycle did: the messages to publish and how long the ensemble took."""

    clock_s: float
    messages: tuple[Message, ...]
    warm_start_s: float
    assimilated: int


@dataclass
class _Latest:
    count: int
    confidence: float
    clock_s: float


@dataclass
class _Window:
    """Gate-line crossings one camera reported since the last cycle."""

    inflow: int | None = None  # None: this camera reports no line crossings that way
    outflow: int | None = None


@dataclass
class _Member:
    """One member between cycles: its corrected state and its last run."""

    params: MemberParams
    corrected: Snapshot
    run: MemberRun | None = None
    forecast: MemberRun | None = None  # its last run to the horizon (see refresh_s)
    forecast_theta: np.ndarray | None = None  # the parameters that forecast was run with
    refusals: list[str] = field(default_factory=list)


class DigitalTwin:
    """Holds the ensemble; ``observe`` counts, ``cycle`` assimilates, forecasts and alerts."""

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
        if self.settings.members < 1:
            raise ValueError("TwinSettings.members: at least 1 (1: no ensemble, no learning)")
        self.rules = rules
        self.day = day
        self.cameras = {c.id: c for c in cameras}
        self.zones = venue_zones(scenario)
        self.phases = match_phases(scenario)  # ingress / match / egress, for instructions
        self.book = AlertBook(rules.lifecycle, day, {z.id: z.label for z in self.zones.values()})
        plan = Simulation(scenario, seed=self.settings.seed)
        plan.run(until=start_s)
        start = plan.snapshot()
        self.element_ids = start.element_ids
        self.element_index = {e: i for i, e in enumerate(start.element_ids)}
        self.links = {link.id for link in scenario.venue.links}
        self.space = ParamSpace.of(scenario)
        self.rng = np.random.default_rng(self.settings.seed + 104729)
        sd = np.asarray(self.space.prior_sd)
        self.theta = self.rng.normal(0.0, 1.0, (self.settings.members, len(sd))) * sd
        self.theta[0] = 0.0  # one member keeps the plan
        self.lo = np.asarray([self.space.bounds(n)[0] for n in self.space.names])
        self.hi = np.asarray([self.space.bounds(n)[1] for n in self.space.names])
        self.theta = np.clip(self.theta, self.lo, self.hi)
        self.members = [
            _Member(MemberParams.from_vector(self.space, row), start) for row in self.theta
        ]
        self.pool = MemberPool(scenario, self.settings.workers)
        self._renewals = 0.0  # members due to be drawn afresh (fractional, see _renew)
        self._renewed = 0
        self.latest: dict[str, _Latest] = {}
        self.gain = CountGain(
            self.settings.model_error, self.settings.count_noise, self.settings.error_memory_s
        )
        self.window: dict[str, list[int]] = defaultdict(list)
        self.crossings: dict[str, _Window] = defaultdict(_Window)
        self.window_start_s = start_s
        self.last_cycle_s = start_s
        self.cycles = 0
        self.ignored = 0  # counts from cameras not in the map
        self.refusals: list[str] = []  # assimilations the simulator refused (fell back)
        self.coalesced = 0  # counts the reader dropped unread under overload (set by the service)
        self.bus_down_s: float | None = None  # match clock the bus was last seen down

    def close(self) -> None:
        """Stop the member worker processes (if any)."""
        self.pool.close()

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
        crossing = self.crossings[camera.id]
        if count.in_count is not None:
            crossing.inflow = (crossing.inflow or 0) + count.in_count
        if count.out_count is not None:
            crossing.outflow = (crossing.outflow or 0) + count.out_count

    def count_lag_s(self, clock_s: float) -> float | None:
        """Match-clock age of the newest count applied so far (None before the first)."""
        newest = max((latest.clock_s for latest in self.latest.values()), default=None)
        return None if newest is None else clock_s - newest

    def acknowledge(self, ack: Ack, clock_s: float) -> list[Alert]:
        """An operator's Ack for an open incident: the Update that records it."""
        return self.book.acknowledge(ack, clock_s)

    def cycle(self, clock_s: float) -> CycleReport:
        """Bring the members to ``clock_s``, assimilate, forecast, evaluate rules, alert."""
        started = time.perf_counter()
        clock_s = max(clock_s, self.last_cycle_s)
        priors = self._priors(clock_s)
        fresh, confidence, newest = self._observed(clock_s)
        # a count is news once: a camera slower than the cycle is not assimilated twice
        observed = {z: o for z, o in fresh.items() if self.gain.is_new(z, newest[z])}
        self._learn(priors, observed)
        weights = self._weights(clock_s, priors, observed, confidence, newest)
        corrected = self._correct(priors, observed, weights)
        runs = self._forecast(clock_s, corrected, priors)
        now_occ = self._now(corrected)
        ahead, members = self._ahead(runs, clock_s + self.settings.horizon_s)
        if len(self.members) < 2:
            members = {}  # one run: no quantiles, no share of members behind a certainty
        state = self._state(clock_s, now_occ, ahead, members, set(fresh))
        messages = self._densities(clock_s)
        warm = time.perf_counter() - started
        messages.append(self._forecast_message(state, ahead, members, warm))
        messages.extend(self.book.update(self.rules.evaluate(state), clock_s))
        self.cycles += 1
        self.last_cycle_s = clock_s
        self.crossings.clear()
        return CycleReport(clock_s, tuple(messages), warm, len(fresh))

    # -- the ensemble steps --------------------------------------------------------------
    def _priors(self, clock_s: float) -> list[MemberRun]:
        """Each member's run up to ``clock_s``: last cycle's when it stopped there, else now."""
        late = [
            m
            for m in self.members
            if m.run is None or abs(m.run.next_snapshot.time_s - clock_s) > 1e-6
        ]
        if late:
            jobs = [
                MemberJob((m.corrected,), m.params, clock_s, clock_s, self._seed(i))
                for i, m in enumerate(late)
            ]
            for m, run in zip(late, self.pool.map(jobs), strict=True):
                m.run = run
        return [m.run for m in self.members if m.run is not None]

    def _seed(self, member: int) -> int:
        return self.settings.seed * 1_000_003 + 31 * self.cycles + 1

    def _learn(self, priors: list[MemberRun], observed: dict[str, float]) -> None:
        """The EnKF update of the members' parameters by this window's counts."""
        if len(self.members) < 2:
            return  # one run has no spread to learn from: its parameters stay the plan's
        names, pred, obs, var, shared = [], [], [], [], []
        noise = self.settings.count_noise
        memory = math.sqrt(max(1.0, self.settings.error_memory_s / self.settings.cycle_s))
        for zone, o in observed.items():
            names.append(zone)
            pred.append([p.next_snapshot.occupancy.get(zone, 0) for p in priors])
            obs.append(o)
            err = memory * self.settings.model_error * (2.0 if zone in self.links else 1.0)
            var.append((noise * o) ** 2 + (err * o) ** 2 + o + 4.0)
            shared.append(err * o)  # the model's error: common to the zones (ensemble.update)
        for zone, (inflow, outflow) in self._crossings().items():
            i = self.element_index[zone]
            for kind, o in (("out", outflow), ("in", inflow)):
                if o is None:
                    continue
                if kind == "out":
                    series = [p.outflow[i] for p in priors]
                else:
                    series = [
                        p.next_snapshot.occupancy.get(zone, 0)
                        - m.corrected.occupancy.get(zone, 0)
                        + p.outflow[i]
                        for p, m in zip(priors, self.members, strict=True)
                    ]
                names.append(zone)
                pred.append(series)
                obs.append(float(o))
                var.append(o + 2.0 + (0.05 * o) ** 2)  # line counts: about Poisson
                shared.append(0.0)  # counted at the line: the error is the count's own
        self.theta *= (1.0 - self.settings.relax) ** (self.settings.cycle_s / 15.0)
        if not names:
            self._set_params()
            return
        local = np.asarray(
            [[zone in self.space.local[p] for p in self.space.names] for zone in names]
        )
        predicted = np.asarray(pred, dtype=float).T
        theta = update(
            self.theta,
            predicted,
            np.asarray(obs),
            np.asarray(var),
            local,
            self.rng,
            shared=np.asarray(shared),
        )
        sd = np.asarray(self.space.prior_sd) * self.settings.min_spread
        self.theta = keep_spread(theta, sd, self.lo, self.hi, self.rng)
        self._renew()
        self.theta, _ = probe_trouble(
            self.theta,
            predicted,
            np.asarray(obs),
            np.asarray(var),
            local,
            self.lo,
            self.space.may_break,
        )
        self._set_params()

    def _renew(self) -> None:
        """Draw the next member(s) in turn afresh (``streams.ensemble.renew``)."""
        n = len(self.members)
        self._renewals += self.settings.renew_per_min * self.settings.cycle_s / 60.0
        sd = np.asarray(self.space.prior_sd)
        while self._renewals >= 1.0 and n > 2:
            self._renewals -= 1.0
            k = 1 + self._renewed % (n - 1)  # member 0 is not special after the start
            self._renewed += 1
            self.theta = renew(
                self.theta, k, sd, self.lo, self.hi, self.rng, persists=self.space.persists
            )

    def _set_params(self) -> None:
        for m, row in zip(self.members, self.theta, strict=True):
            m.params = MemberParams.from_vector(self.space, row)

    def _crossings(self) -> dict[str, tuple[int | None, int | None]]:
        """Gate-line crossings per zone over the window, when its cameras reported them.

        Only a window the members ran in one go (the previous cycle's run) is comparable.
        """
        if any(m.run is None for m in self.members) or self.cycles == 0:
            return {}
        out: dict[str, tuple[int | None, int | None]] = {}
        for cam_id, crossing in self.crossings.items():
            if crossing.inflow is None and crossing.outflow is None:
                continue
            zone = self.cameras[cam_id].zone
            i, o = out.get(zone, (None, None))
            out[zone] = (_add(i, crossing.inflow), _add(o, crossing.outflow))
        return out

    def _weights(
        self,
        clock_s: float,
        priors: list[MemberRun],
        observed: dict[str, float],
        confidence: dict[str, float],
        newest: dict[str, float],
    ) -> dict[str, float]:
        """Per zone the weight of its count against the members' median (``CountGain``)."""
        return {
            z: self.gain.weight(
                z,
                clock_s=clock_s,
                count_clock_s=newest[z],
                observed=o,
                modelled=float(np.median([p.next_snapshot.occupancy.get(z, 0) for p in priors])),
                confidence=confidence[z],
            )
            for z, o in observed.items()
        }

    def _correct(
        self, priors: list[MemberRun], observed: dict[str, float], weights: dict[str, float]
    ) -> list[tuple[Snapshot, ...]]:
        """Each member's state moved towards the counts; fallbacks if the simulator refuses.

        If the simulator refuses some counts (a link nobody has walked yet has no direction
        for added fans), the member retries with the node zones only, then with none; each
        refusal is kept in ``refusals`` so the operator sees the twin fell back to its model.
        """
        out = []
        for prior in priors:
            snap = prior.next_snapshot
            counts = {
                z: max(0, round(weights[z] * o + (1 - weights[z]) * snap.occupancy.get(z, 0)))
                for z, o in observed.items()
            }
            nodes = {z: n for z, n in counts.items() if z not in self.links}
            tries = [snap.with_counts(counts) if counts else snap]
            if len(nodes) < len(counts):
                tries.append(snap.with_counts(nodes) if nodes else snap)
            if counts:
                tries.append(snap)
            out.append(tuple(tries))
        return out

    def _forecast(
        self, clock_s: float, corrected: list[tuple[Snapshot, ...]], priors: list[MemberRun]
    ) -> list[MemberRun]:
        every = max(1, round(self.settings.refresh_s / self.settings.cycle_s))
        # far enough that a forecast read ``every - 1`` cycles later still has a sample at
        # or after its horizon
        sample_s = self.scenario.settings.sample_interval_s
        horizon = clock_s + self.settings.horizon_s + self.settings.cycle_s * (every - 1)
        horizon += sample_s if every > 1 else 0.0
        nxt = clock_s + self.settings.cycle_s
        due = [
            m.forecast is None or (self.cycles + i) % every == 0 for i, m in enumerate(self.members)
        ]
        due = self._refuted(due)
        jobs = [
            MemberJob(tries, m.params, nxt, max(horizon, nxt) if full else nxt, self._seed(i))
            for i, (m, tries, full) in enumerate(zip(self.members, corrected, due, strict=True))
        ]
        runs = self.pool.map(jobs)
        for m, run, full, row in zip(self.members, runs, due, self.theta, strict=True):
            m.corrected = run.started
            m.run = run
            if full:
                m.forecast = run
                m.forecast_theta = row.copy()
            self.refusals.extend(run.refusals)
        forecasts = [m.forecast for m in self.members if m.forecast is not None]
        # members of different ages: read all from the first sample every one of them has
        start = max([clock_s, *(f.times_s[0] for f in forecasts if f.times_s)])
        return [_from(f, start) for f in forecasts]

    def _refuted(self, due: list[bool]) -> list[bool]:
        """``due`` plus the members whose parameters the counts moved since their forecast.

        Between its turns a member's forecast is read as it was run (``refresh_s``). When the
        counts have just taught the ensemble that a door is shut, most members' forecasts were
        run with the door open: their median said "empty in 5 minutes" for a minute after the
        members knew better. So a member whose parameters moved by more than
        ``REFRESH_DRIFT`` (in log) re-forecasts now, the most moved first, at most half the
        ensemble beyond those due (the cycle costs at most three times a quiet one).
        """
        if len(self.members) < 2:
            return due
        drift = []
        for i, m in enumerate(self.members):
            if due[i] or m.forecast_theta is None:
                continue
            moved = float(np.max(np.abs(self.theta[i] - m.forecast_theta)))
            if moved > REFRESH_DRIFT:
                drift.append((moved, i))
        out = list(due)
        for _, i in sorted(drift, reverse=True)[: len(self.members) // 2]:
            out[i] = True
        return out

    def _now(self, corrected: list[tuple[Snapshot, ...]]) -> dict[str, int]:
        """Persons per zone now: the median over the members' corrected states."""
        states = [m.corrected for m in self.members]
        return {
            z: round(float(np.median([s.occupancy.get(z, 0) for s in states]))) for z in self.zones
        }

    def _ahead(
        self, runs: list[MemberRun], until_s: float
    ) -> tuple[dict[str, ZoneForecast], dict[str, np.ndarray]]:
        """Per zone the median forecast, and every member's densities (members x times).

        Cut at the first sample at or after ``until_s`` (the horizon, read as ``+20 min``):
        members that forecast ``refresh_s`` past it in an earlier cycle would otherwise raise
        alerts for onsets beyond the stated horizon.
        """
        times = runs[0].times_s
        n = min(len(r.times_s) for r in runs)
        n = min(n, _index_at(times, until_s) + 1)
        times = times[:n]
        occ = np.asarray([r.occupancy[:n] for r in runs], dtype=float)  # members x t x elem
        waits = np.asarray([r.waits[:n] for r in runs], dtype=float)
        ahead: dict[str, ZoneForecast] = {}
        members: dict[str, np.ndarray] = {}
        sampled = runs[0].sampled_ids
        for z, zone in self.zones.items():
            i = self.element_index[z]
            dens = occ[:, :, i] / zone.floor_m2 if zone.floor_m2 > 0 else occ[:, :, i] * 0.0
            members[z] = dens
            _, p50, _ = quantiles(dens) if n else (dens[0], dens[0], dens[0])
            j = sampled.index(z) if z in sampled else -1
            wait = float(np.median(waits[:, :, j].max(axis=1))) if n and j >= 0 else 0.0
            ahead[z] = ZoneForecast(tuple(times), tuple(float(d) for d in p50), wait)
        return ahead, members

    def _observed(
        self, clock_s: float
    ) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
        """Per zone with fresh cameras: persons seen (count / coverage), the cameras'
        coverage-weighted confidence and the match clock of the newest count."""
        per_zone: dict[str, list[tuple[Camera, _Latest]]] = defaultdict(list)
        for cam_id, latest in self.latest.items():
            if clock_s - latest.clock_s <= self.settings.stale_after_s:
                per_zone[self.cameras[cam_id].zone].append((self.cameras[cam_id], latest))
        seen_by, confidence, newest = {}, {}, {}
        for zone, seen in per_zone.items():
            coverage = sum(c.coverage for c, _ in seen)
            seen_by[zone] = sum(s.count for _, s in seen) / coverage
            confidence[zone] = sum(c.coverage * s.confidence for c, s in seen) / coverage
            newest[zone] = max(s.clock_s for _, s in seen)
        return seen_by, confidence, newest

    def estimates(self) -> tuple[Estimate, ...]:
        """The members' parameters as p10 / p50 / p90 factors of the plan, with a sentence.

        None with one member: it learns nothing, so it has no estimate to state.
        """
        if len(self.members) < 2:
            return ()
        labels = element_names(self.scenario)  # as the report, map and alerts name them
        factors = np.exp(self.theta)
        out = []
        for j, name in enumerate(self.space.names):
            p10, p50, p90 = (float(v) for v in np.percentile(factors[:, j], [10, 50, 90]))
            kind, _, element = name.partition(":")
            what = {"cap": "screening", "flow": "door flow", "speed": "walking speed"}[kind]
            where = labels.get(element, element) if element else "everyone"
            out.append(
                Estimate(
                    parameter=kind,
                    element=element,
                    p10=round(p10, 3),
                    p50=round(p50, 3),
                    p90=round(p90, 3),
                    text=f"{where}: {what} at about {p50:.0%} of plan ({p10:.0%}-{p90:.0%})",
                )
            )
        return tuple(out)

    def _state(
        self,
        clock_s: float,
        occupancy: dict[str, int],
        ahead: dict[str, ZoneForecast],
        members: dict[str, np.ndarray],
        observed: set[str],
    ) -> TwinState:
        zones = []
        for z in self.zones.values():
            f = ahead.get(z.id)
            ens = members.get(z.id)
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
                    z.place,
                    _ensemble(ens),
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
        phase = self.phases.phase(clock_s)
        return TwinState(clock_s, self.settings.horizon_s, tuple(zones), cameras, phase)

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
        self,
        state: TwinState,
        ahead: dict[str, ZoneForecast],
        members: dict[str, np.ndarray],
        warm_s: float,
    ) -> Forecast:
        rows = []
        for zs in state.zones:
            z, f = self.zones[zs.zone], ahead.get(zs.zone)
            later: dict[str, float | str | None] = {}
            ens = members.get(zs.zone)
            for step, name in zip(FORECAST_STEPS_S, ("5min", "10min", "20min"), strict=True):
                d = f.at(state.clock_s + step) if f and step <= state.horizon_s else None
                later[f"density_{name}_per_m2"] = None if d is None else round(d, 4)
                later[f"los_{name}"] = None if d is None else z.los(d)
                lo = hi = None
                if d is not None and f is not None and ens is not None and ens.shape[1]:
                    k = min(_index_at(f.times_s, state.clock_s + step), ens.shape[1] - 1)
                    p10, _, p90 = quantiles(ens[:, k])
                    lo, hi = round(float(p10), 4), round(float(p90), 4)
                later[f"density_{name}_p10_per_m2"] = lo
                later[f"density_{name}_p90_per_m2"] = hi
            rows.append(
                ForecastZone(
                    zone=z.id,
                    element_type=z.element_type,
                    observed=zs.observed,
                    occupancy_now=zs.occupancy_now,
                    density_now_per_m2=round(zs.density_now, 4),
                    los_now=z.los(zs.density_now),
                    mean_wait_s=round(zs.wait_s, 2) if z.element_type == "checkpoint" else None,
                    estimated=not zs.observed,
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
            members=len(self.members),
            estimates=self.estimates(),
        )


def _from(run: MemberRun, clock_s: float) -> MemberRun:
    """A member's forecast read from ``clock_s`` on (it may have been run cycles ago)."""
    k = _index_at(run.times_s, clock_s)
    if k == 0:
        return run
    return replace(run, times_s=run.times_s[k:], occupancy=run.occupancy[k:], waits=run.waits[k:])


def _add(a: int | None, b: int | None) -> int | None:
    """Sum of two crossing counts where either may be unreported (None)."""
    return b if a is None else a if b is None else a + b


def _index_at(times: tuple[float, ...], clock_s: float) -> int:
    """The first sample at or after ``clock_s`` (as ``ZoneForecast.at`` reads it)."""
    return int(np.searchsorted(np.asarray(times), clock_s - 1e-6))


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


def _ensemble(ens: np.ndarray | None) -> tuple[tuple[float, ...], ...]:
    """Every member's densities for the rules (members x times); () without an ensemble."""
    return () if ens is None else tuple(tuple(float(d) for d in row) for row in ens)
