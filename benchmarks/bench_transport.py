"""Time per replication of the 115,000-seat Benslimane match day with its transport.

group "benslimane": the Grand Stade Hassan II scenario (scenarios/grand_stade_hassan_ii.yaml:
ingress, egress, 5 lines, 4 car parks, 2 roads) against the same scenario and seed without
its ``transport:`` section (fans just leave at their platform or car park), measured in the
same run, so the difference is what transport costs. Sizes: ``small`` (10% attendance,
~11,500 fans, a quick check) and ``large`` (95%, ~109,000 fans).

``extra_info`` records SimPy events, events per wall second and the run's clearing KPIs.
Run: ``python -m pytest benchmarks/bench_transport.py -q``; results in RESULTS-transport.md.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from simulator import Scenario, Simulation
from simulator.scenario.loader import load_scenario

SEED = 42
SCENARIO = Path(__file__).parents[1] / "scenarios" / "grand_stade_hassan_ii.yaml"
ATTENDANCE = {"small": 0.10, "large": 0.95}


@pytest.fixture(scope="module", params=sorted(ATTENDANCE))
def benslimane(request: pytest.FixtureRequest) -> tuple[str, Scenario]:
    scenario = load_scenario(SCENARIO)
    assert scenario.ingress is not None
    ingress = replace(scenario.ingress, attendance=ATTENDANCE[request.param])
    return request.param, replace(scenario, ingress=ingress)


CPU_S: list[float] = []  # process CPU seconds of each round: robust to a busy machine


def match_day(scenario: Scenario) -> Simulation:
    started = time.process_time()
    sim = Simulation(scenario, seed=SEED)
    sim.run()
    sim.result()
    CPU_S.append(time.process_time() - started)
    return sim


def record(benchmark, sim: Simulation, started: float) -> None:  # type: ignore[no-untyped-def]
    stats = getattr(benchmark, "stats", None)
    wall = stats.stats.mean if stats is not None else time.perf_counter() - started
    summary = sim.result().summary.to_dict()
    benchmark.extra_info["wall_s"] = round(wall, 3)
    benchmark.extra_info["cpu_s_per_round"] = [round(c, 2) for c in CPU_S]
    CPU_S.clear()
    benchmark.extra_info["fans"] = summary["fans"]["expected"]
    benchmark.extra_info["events"] = int(sim.world.events)
    benchmark.extra_info["events_per_s"] = round(sim.world.events / wall)
    benchmark.extra_info["time_to_clear_s"] = summary["time_to_clear_s"]
    benchmark.extra_info["time_to_leave_area_s"] = summary.get("time_to_leave_area_s")


@pytest.mark.benchmark(group="benslimane")
def test_benslimane_with_transport(benchmark, benslimane: tuple[str, Scenario]) -> None:  # type: ignore[no-untyped-def]
    size, scenario = benslimane
    CPU_S.clear()
    started = time.perf_counter()
    sim = benchmark.pedantic(match_day, args=(scenario,), rounds=3 if size == "large" else 1)
    record(benchmark, sim, started)
    fans = sim.result().summary.to_dict()["fans"]
    assert fans["left"] == fans["expected"]  # everyone got a train, a bus or their car out


@pytest.mark.benchmark(group="benslimane")
def test_benslimane_without_transport(benchmark, benslimane: tuple[str, Scenario]) -> None:  # type: ignore[no-untyped-def]
    size, scenario = benslimane
    bare = replace(scenario, transport=None, interventions=())
    CPU_S.clear()
    started = time.perf_counter()
    sim = benchmark.pedantic(match_day, args=(bare,), rounds=3 if size == "large" else 1)
    record(benchmark, sim, started)
    fans = sim.result().summary.to_dict()["fans"]
    assert fans["left"] == fans["expected"]
