"""Twin evaluation: truth runs with trouble the twin is not told about, scored honestly.

A case is a disturbance (a scenario lever applied to the *truth* run only: a gate down to 3
of its 10 lanes, an exit blocked after the whistle, rain slowing everyone), a window of match
clock and the zones it disturbs. The twin gets the plan scenario and noisy per-camera counts
of the truth (``CountReplay``, multiplicative Gaussian noise, plus turnstile scans as
``out_count`` on gate cameras), fed through its public API (``observe`` then ``cycle``) as
``matchday live --fast`` does. Scored against two baselines:

* **persistence**: the count seen now, held for every horizon;
* **plan**: the same model with no camera at all (a cold run of the plan scenario).

Forecast error is the mean absolute error in persons, per horizon, over the disturbed zones
and the cycles of the window. Alerts: an *unplanned build-up* is an episode in which a
disturbed zone's true density reaches its LoS E threshold while the plan keeps it below;
an alert (``density_now`` or ``density_forecast``, first message of an incident) is a true
positive when its zone reaches the level within the horizon after it was raised (or is there
already); recall counts the build-ups with an alert raised at most 1 min after onset, lead is
onset minus the first such alert.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from simulator import Simulation
from simulator.levers.model import Intervention
from simulator.scenario.model import Scenario
from simulator.venue.los import density_at_level
from streams.cameras import Camera, demo_cameras
from streams.ensemble import MemberParams, TwinPart
from streams.messages import Alert, Forecast, ZoneCount, at_clock, new_id
from streams.ruleset import RuleSet
from streams.twin import DigitalTwin, TwinSettings
from streams.zones import Zone, venue_zones

HORIZONS_S = (300.0, 600.0, 1200.0)
ALERT_RULES = ("density_now", "density_forecast")


@dataclass(frozen=True)
class Case:
    """One disturbance: the lever on the truth, the window watched, the zones it disturbs."""

    name: str
    levers: tuple[Intervention, ...]
    start_s: float
    end_s: float
    zones: tuple[str, ...]


@dataclass
class Scores:
    """What one case measured."""

    case: str
    cycles: int
    mae: dict[str, dict[float, float]]  # method -> horizon -> MAE (persons)
    alerts: int = 0
    true_alerts: int = 0
    buildups: int = 0
    caught: int = 0
    leads_s: list[float] = field(default_factory=list)
    cycle_cpu_s: float = 0.0
    estimates: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.true_alerts / self.alerts if self.alerts else None

    @property
    def recall(self) -> float | None:
        return self.caught / self.buildups if self.buildups else None

    @property
    def median_lead_s(self) -> float | None:
        return statistics.median(self.leads_s) if self.leads_s else None


def stade_cases(scenario: Scenario) -> tuple[Case, ...]:
    """The three disturbances of issue 16 on stade_mohammed_v (times from its plan)."""
    assert scenario.ingress is not None and scenario.egress is not None
    ko, whistle = scenario.ingress.kickoff_s, scenario.egress.final_whistle_s
    return (
        Case(
            "gate E1 at 3 of 10 lanes (ingress)",
            (Intervention("slow_e1", "lanes", ko - 90 * 60, ko, gate="gate_e1", lanes=3),),
            ko - 70 * 60,
            ko - 30 * 60,
            ("gate_e1", "to_e1", "forecourt_e"),
        ),
        Case(
            "north exit blocked 20 min after the whistle",
            (Intervention("block_n", "close_link", whistle, whistle + 20 * 60, link="exit_n"),),
            whistle - 5 * 60,
            whistle + 35 * 60,
            ("conc_n_lower", "exit_n", "stairs_n_down", "conc_n_upper"),
        ),
        Case(
            "rain: everyone at 75% speed (egress)",
            (Intervention("rain", "weather", whistle - 30 * 60, None, factor=0.75),),
            whistle - 5 * 60,
            whistle + 35 * 60,
            ("exit_e", "exit_w", "app_t1", "app_walk_e", "conc_e_lower", "conc_w_lower"),
        ),
    )


class NoisyCounts:
    """Per-camera counts of a truth run with noise, and turnstile scans at gate cameras."""

    def __init__(
        self,
        truth: Scenario,
        cameras: Sequence[Camera],
        *,
        day: datetime,
        start_s: float,
        seed: int,
        noise: float,
    ) -> None:
        self.cameras = tuple(cameras)
        self.day = day
        self.noise = noise
        self.rng = np.random.default_rng(seed + 17)
        self.sim = Simulation(truth, seed=seed, parts=[MemberParams().part()])
        self.sim.run(until=start_s)
        self.part = self.sim.part(TwinPart)
        self.index = {e.id: i for i, e in enumerate(self.sim.network.elements)}
        self.gates = {cp.id for cp in truth.venue.checkpoints}
        self.last_out = self.part.outflow()
        self.zones = venue_zones(truth)

    def occupancy_at(self, clock_s: float) -> dict[str, int]:
        self.sim.run(until=max(clock_s, self.sim.now))
        return self.sim.occupancy()

    def counts(self, clock_s: float) -> list[ZoneCount]:
        occupancy = self.occupancy_at(clock_s)
        out_now = self.part.outflow()
        stamp = at_clock(self.day, clock_s)
        out = []
        for cam in self.cameras:
            true = occupancy.get(cam.zone, 0) * cam.coverage
            seen = max(0, round(true * float(self.rng.normal(1.0, self.noise))))
            scans = None
            if cam.zone in self.gates:
                i = self.index[cam.zone]
                scans = int(self.rng.poisson(max(out_now[i] - self.last_out[i], 0)))
            out.append(
                ZoneCount(
                    id=new_id(),
                    camera=cam.id,
                    zone=cam.zone,
                    event_time=stamp,
                    count=seen,
                    model="simulated",
                    confidence=0.8,
                    out_count=scans,
                )
            )
        self.last_out = out_now
        return out


def run_case(
    plan: Scenario,
    case: Case,
    *,
    day: datetime,
    settings: TwinSettings,
    noise: float = 0.15,
    truth_seed: int = 101,
    camera_interval_s: float = 15.0,
    cameras: Sequence[Camera] | None = None,
) -> Scores:
    """Run the twin through ``case`` and score it against persistence and the plan."""
    truth = dataclasses.replace(plan, interventions=(*plan.interventions, *case.levers))
    cams = tuple(cameras) if cameras is not None else demo_cameras(plan)
    zones = venue_zones(plan)
    source = NoisyCounts(truth, cams, day=day, start_s=case.start_s, seed=truth_seed, noise=noise)
    truth_occ = _series(truth, truth_seed, case.start_s, case.end_s + max(HORIZONS_S))
    plan_occ = _series(plan, settings.seed, case.start_s, case.end_s + max(HORIZONS_S))
    twin = DigitalTwin(plan, cams, RuleSet(), day=day, start_s=case.start_s, settings=settings)
    errors: dict[str, dict[float, list[float]]] = {
        m: {h: [] for h in HORIZONS_S} for m in ("twin", "persistence", "plan")
    }
    alerts: list[tuple[str, float]] = []
    seen_now: dict[str, int] = {}
    cpu = 0.0
    clock, next_cycle, cycles = case.start_s, case.start_s + settings.cycle_s, 0
    by_cam = {c.id: c for c in cams}
    try:
        while next_cycle <= case.end_s + 1e-6:
            while clock + camera_interval_s <= next_cycle + 1e-6:
                clock += camera_interval_s
                for message in source.counts(clock):
                    twin.observe(message)
                    cam = by_cam[message.camera]
                    seen_now[cam.zone] = round(message.count / cam.coverage)
            started = time.process_time()
            report = twin.cycle(next_cycle)
            cpu += time.process_time() - started
            cycles += 1
            forecast = next(m for m in report.messages if isinstance(m, Forecast))
            _score(forecast, case, zones, truth_occ, plan_occ, seen_now, errors)
            alerts += [
                (m.zone, next_cycle)
                for m in report.messages
                if isinstance(m, Alert) and m.msg_type == "Alert" and m.rule in ALERT_RULES
            ]
            next_cycle += settings.cycle_s
        estimates = [e.text for e in twin.estimates() if e.learnt]
    finally:
        twin.close()
    scores = Scores(
        case.name,
        cycles,
        {m: {h: _mean(v) for h, v in per.items()} for m, per in errors.items()},
        cycle_cpu_s=cpu / max(cycles, 1),
        estimates=estimates,
    )
    _score_alerts(scores, case, zones, truth_occ, plan_occ, alerts, settings.horizon_s)
    return scores


def _series(scenario: Scenario, seed: int, start_s: float, end_s: float) -> dict[float, dict]:
    """Occupancy per element at every sample time of a cold run over [start_s, end_s]."""
    sim = Simulation(scenario, seed=seed)
    sim.run(until=end_s)
    table = sim.result().timeseries.to_pydict()
    out: dict[float, dict[str, int]] = {}
    for t, e, n in zip(table["time_s"], table["element"], table["occupancy"], strict=True):
        if start_s - 1e-6 <= t:
            out.setdefault(float(t), {})[e] = int(n)
    return out


def _at(series: dict[float, dict], t: float) -> dict[str, int] | None:
    return series.get(float(round(t / 60.0) * 60.0))


def _score(
    forecast: Forecast,
    case: Case,
    zones: dict[str, Zone],
    truth: dict[float, dict],
    plan: dict[float, dict],
    seen_now: dict[str, int],
    errors: dict[str, dict[float, list[float]]],
) -> None:
    rows = {z.zone: z for z in forecast.zones}
    for h, name in zip(HORIZONS_S, ("5min", "10min", "20min"), strict=True):
        target = _at(truth, forecast.clock_s + h)
        planned = _at(plan, forecast.clock_s + h)
        if target is None or planned is None:
            continue
        for z in case.zones:
            density = getattr(rows[z], f"density_{name}_per_m2")
            if density is None:
                continue
            actual = target.get(z, 0)
            errors["twin"][h].append(abs(density * zones[z].floor_m2 - actual))
            errors["persistence"][h].append(abs(seen_now.get(z, 0) - actual))
            errors["plan"][h].append(abs(planned.get(z, 0) - actual))


def _episodes(series: dict[float, dict], zone: str, limit: float) -> list[tuple[float, float]]:
    """(onset, end) of each stretch with occupancy at or above ``limit`` persons."""
    out: list[tuple[float, float]] = []
    onset = None
    for t in sorted(series):
        above = series[t].get(zone, 0) >= limit
        if above and onset is None:
            onset = t
        elif not above and onset is not None:
            out.append((onset, t))
            onset = None
    if onset is not None:
        out.append((onset, max(series)))
    return out


def _score_alerts(
    scores: Scores,
    case: Case,
    zones: dict[str, Zone],
    truth: dict[float, dict],
    plan: dict[float, dict],
    alerts: list[tuple[str, float]],
    horizon_s: float,
) -> None:
    limits = {
        z: density_at_level("E", zone.los_scale) * zone.floor_m2
        for z, zone in zones.items()
        if zone.floor_m2 > 0 and zone.element_type != "origin"
    }
    for zone, t in alerts:
        if zone not in case.zones or zone not in limits:
            continue
        scores.alerts += 1
        hits = [
            (on, off) for on, off in _episodes(truth, zone, limits[zone]) if on <= t + horizon_s
        ]
        if any(off >= t for _, off in hits):
            scores.true_alerts += 1
    for zone in case.zones:
        if zone not in limits:
            continue
        planned = _episodes(plan, zone, limits[zone])
        for onset, _ in _episodes(truth, zone, limits[zone]):
            if onset > case.end_s or onset < case.start_s + 60:
                continue
            if any(on - 300 <= onset <= off for on, off in planned):
                continue  # the plan has it too: not unplanned
            scores.buildups += 1
            raised = [t for z, t in alerts if z == zone and onset - horizon_s <= t <= onset + 60]
            if raised:
                scores.caught += 1
                scores.leads_s.append(onset - min(raised))


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


def table(results: Sequence[Scores]) -> str:
    """The evaluation as a Markdown table (MAE in persons; lead in minutes)."""
    lines = [
        "| case | cycles | +5 min MAE twin / persistence / plan | +10 min | +20 min "
        "| alerts precision | recall | median lead (min) | CPU per cycle (s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        cells = []
        for h in HORIZONS_S:
            cells.append(" / ".join(f"{r.mae[m][h]:.0f}" for m in ("twin", "persistence", "plan")))
        prec = "n/a" if r.precision is None else f"{r.precision:.0%} of {r.alerts}"
        rec = "n/a" if r.recall is None else f"{r.recall:.0%} of {r.buildups}"
        lead = "n/a" if r.median_lead_s is None else f"{r.median_lead_s / 60:.1f}"
        lines.append(
            f"| {r.case} | {r.cycles} | {cells[0]} | {cells[1]} | {cells[2]} | {prec} | {rec} "
            f"| {lead} | {r.cycle_cpu_s:.2f} |"
        )
    return "\n".join(lines)
