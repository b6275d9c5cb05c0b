"""Speed of a full match day and of a twin's warm-start forecast, with same-run baselines.

group "match day": the engine (per-party distance-clock links, checkpoints, densities) against
two naive one-SimPy-process-per-fan models of the same scenario and demand (``naive_model``):
``free_flow`` walks every link at free speed (less modelling than the engine: a lower bound on
what a per-fan model costs) and ``mgcc`` carries the engine's physics (link supply shared by
both ends with counterflow, storage of links and places with spill-back, speed by head count,
area crossings, flow caps), so it computes the same match day.
group "forecast": a 20-minute forecast warm-started from a mid-ingress snapshot against a cold
run over the same stretch of the day (what a twin would do without snapshots).

``extra_info`` records SimPy events per wall second and simulated seconds per wall second.
Run: ``python -m pytest benchmarks -q`` (``--benchmark-disable -k small`` checks the code fast).
"""

from __future__ import annotations

import time

import pytest

from benchmarks.naive_model import run_naive
from simulator import Scenario, Simulation, Snapshot

SEED = 42
FORECAST_S = 1200.0


def engine_day(scenario: Scenario) -> Simulation:
    sim = Simulation(scenario, seed=SEED)
    sim.run()
    sim.result()
    return sim


def record_rates(benchmark, events: float, simulated_s: float, started: float) -> None:
    """Rates per wall second of one round (the benchmark's mean when it timed, else ours)."""
    stats = getattr(benchmark, "stats", None)
    wall = stats.stats.mean if stats is not None else time.perf_counter() - started
    benchmark.extra_info["wall_s"] = round(wall, 3)
    benchmark.extra_info["events"] = int(events)
    benchmark.extra_info["events_per_s"] = round(events / wall)
    benchmark.extra_info["simulated_s_per_wall_s"] = round(simulated_s / wall, 1)


@pytest.mark.benchmark(group="match day")
def test_engine_match_day(benchmark, stadium: tuple[str, Scenario]) -> None:
    size, scenario = stadium
    started = time.perf_counter()
    sim = benchmark.pedantic(engine_day, args=(scenario,), rounds=3 if size == "large" else 1)
    span = scenario.settings.end_s - scenario.settings.start_s
    record_rates(benchmark, sim.world.events, span, started)
    summary = sim.result().summary.to_dict()
    benchmark.extra_info["time_to_clear_s"] = round(summary["time_to_clear_s"])
    assert summary["fans"]["left"] == summary["fans"]["expected"]


@pytest.mark.benchmark(group="match day")
@pytest.mark.parametrize("links", ["free_flow", "mgcc"])
def test_naive_match_day(benchmark, stadium: tuple[str, Scenario], links: str) -> None:
    _, scenario = stadium
    assert scenario.egress is not None
    started = time.perf_counter()
    out = benchmark.pedantic(run_naive, args=(scenario, SEED, links), rounds=1)
    span = scenario.settings.end_s - scenario.settings.start_s
    record_rates(benchmark, out["events"], span, started)
    benchmark.extra_info["time_to_clear_s"] = round(
        out["last_left_s"] - scenario.egress.final_whistle_s
    )
    assert out["left"] == out["seated"]


@pytest.fixture(scope="module")
def mid_ingress(stadium: tuple[str, Scenario]) -> tuple[Scenario, Snapshot]:
    _, scenario = stadium
    assert scenario.ingress is not None
    sim = Simulation(scenario, seed=SEED)
    sim.run(until=scenario.ingress.kickoff_s - 3600)
    return scenario, sim.snapshot()


def forecast(scenario: Scenario, snap: Snapshot) -> tuple[Simulation, int]:
    """The forecast run and the events it processed (the world's counter spans the whole day)."""
    sim = Simulation(scenario, seed=SEED, snapshot=snap)
    before = sim.world.events
    sim.run(until=snap.time_s + FORECAST_S)
    sim.result()
    return sim, sim.world.events - before


def cold_to_horizon(scenario: Scenario, until: float) -> Simulation:
    sim = Simulation(scenario, seed=SEED)
    sim.run(until=until)
    sim.result()
    return sim


@pytest.mark.benchmark(group="forecast")
def test_warm_start_forecast(benchmark, mid_ingress: tuple[Scenario, Snapshot]) -> None:
    scenario, snap = mid_ingress
    started = time.perf_counter()
    sim, events = benchmark.pedantic(forecast, args=(scenario, snap), rounds=10)
    benchmark.extra_info["snapshot_bytes"] = len(snap.state)
    record_rates(benchmark, events, FORECAST_S, started)
    assert sim.now == snap.time_s + FORECAST_S


@pytest.mark.benchmark(group="forecast")
def test_cold_run_to_the_same_horizon(benchmark, mid_ingress: tuple[Scenario, Snapshot]) -> None:
    scenario, snap = mid_ingress
    sim = benchmark.pedantic(cold_to_horizon, args=(scenario, snap.time_s + FORECAST_S), rounds=1)
    assert sim.now == snap.time_s + FORECAST_S
