"""Speed of a full match day and of a twin's warm-start forecast, with same-run baselines.

group "match day": the engine (per-party distance-clock links, checkpoints, densities) against
two naive one-SimPy-process-per-fan models of the same scenario and demand (``naive_model``):
``free_flow`` walks every link at free speed (less modelling than the engine: a lower bound on
what a per-fan model costs) and ``mgcc`` carries the engine's physics (link supply shared by
both ends with counterflow, storage of links and places with spill-back, speed by head count,
area crossings, flow caps), so it computes the same match day.
group "forecast": a 20-minute forecast warm-started from a mid-ingress snapshot, building only
the stretch's time series (``results="timeseries"``, what the twin reads) and, in the same run,
the full result (fans table and summary, the old path), against a cold run over the same
stretch of the day (what a twin would do without snapshots). ``timeseries-kept`` restores the
same snapshot with its state kept decoded in this process (``Snapshot.kept``: what the twin's
members resume), so the restore copies the state instead of decoding its bytes.
``extra_info`` has the CPU time (``process_time``) of each phase: restore, simulate, results.
Measured 2026-12-02 18:54 UTC (compiled engine, 2-core machine shared, load 4.0-4.4), 115,000
seats, 74,043 events, CPU means of 10 rounds: from the bytes restore 0.104 s, simulate 0.208 s,
results 0.0005 s, total 0.313 s (min 0.297 s); kept restore 0.062 s, simulate 0.258 s, total
0.321 s (min 0.235 s); full result 0.355 s. Before this tree's kept state, at load 1.4: restore
0.112 s, simulate 0.239 s, total 0.351 s. Issue 14's 0.2 s is not met: the simulation alone
takes 0.19-0.26 s (the engine's per-event cost).
group "snapshot": saving and loading the mid-ingress state in the data-only format against
pickle of the same state in the same run (CPU time, garbage collection paused as the engine
does).

group "memory": the bytes a run holds per fan at 20:50, ten minutes before kick-off, when
nearly the whole crowd is in the model (``tracemalloc``: every Python allocation still live
that was made from building the run to that moment, divided by the fans arrived), for the
engine and, as the baseline in the same run, the naive free-flow per-fan model. Issue 14's
target is 300 bytes per fan; ``extra_info`` says whether it is met.

group "engine path": the 115,000-seat match day on the compiled engine (mypyc, ``setup.py``)
against the interpreted one (``MATCHDAY_INTERPRETED=1``, the baseline), same scenario and seed,
each day in a process of its own (the path is chosen at import), in alternate rounds.
``extra_info`` has each day's CPU time (``process_time`` in that process) of the run and of
building the result, their means, the ratio interpreted / compiled, and the summary digests,
which must be equal; the benchmark's own time is of a pair of days, processes included.
Measured 2026-12-02 19:02 UTC (load 2.4-1.7, shared 2-core machine): compiled 2.42, 2.40,
2.41 s (2.4 us per event, 993,799 events), interpreted 9.02, 8.69, 9.02 s, ratio 3.69, one
digest; the tree before (ba39ef3) right after, same load: compiled 3.56, 3.52, 3.58 s,
interpreted 7.11, 7.02, 7.16 s, ratio 2.0, the same digest (benchmarks/RESULTS-simulator.md).

group "crowd size": the synthetic stadium's match day at 115,000 (the baseline, same run),
230,000, 500,000 and 1,000,000 seats on the engine as installed, one day each: ``extra_info``
has per size the fans, events, CPU of building and running the day, CPU per fan and per event,
and the log-log slope of CPU against fans from the baseline (1.0 is linear). Issue 14 asks for
linear cost to 1,000,000 fans in at most 10 s. ``benchmarks/stadium.py`` keeps the same 16
gates and plazas at every size, so bigger crowds queue longer (more events per fan): the slope
mixes the engine's cost with that. Every link must stay within its storage (the 1,000,000-seat
day once overflowed one and crashed). Measured 2026-12-02 19:53 UTC (compiled, load 0.7-1.1):
1.94 / 4.10 / 10.29 / 11.71 s for 109,240 / 218,480 / 474,980 / 950,020 fans, 1.70-1.91 us
per event.

``extra_info`` records SimPy events per wall second and simulated seconds per wall second.
Run: ``python -m pytest benchmarks -q`` (``--benchmark-disable -k small`` checks the code fast).
"""

from __future__ import annotations

import gc
import json
import math
import os
import pickle
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from benchmarks.naive_model import build_naive, run_naive
from benchmarks.stadium import grown_stadium_yaml
from simulator import Scenario, Simulation, Snapshot
from simulator.engine import clear_plan_caches, engine_path, snapshot_codec
from simulator.engine.gc_pause import gc_paused
from simulator.engine.snapshot import keep_decoded, load_state
from simulator.scenario.loader import load_scenario_text

SEED = 42
FORECAST_S = 1200.0
ROOT = Path(__file__).resolve().parents[1]
# one match day in this process: CPU seconds of the run and the result, events, summary digest
ONE_DAY = """
import hashlib, json, sys, time
from benchmarks.stadium import stadium_yaml
from simulator import Simulation
from simulator.engine import engine_path
from simulator.scenario.loader import load_scenario_text
sc = load_scenario_text(stadium_yaml(seats=115_000, sectors=60), source="<synthetic large>")
t0 = time.process_time()
sim = Simulation(sc, seed=int(sys.argv[1]))
sim.run()
t1 = time.process_time()
summary = sim.result().summary.to_json()
t2 = time.process_time()
print(json.dumps({"engine": engine_path(), "run_s": t1 - t0, "result_s": t2 - t1,
                  "events": sim.world.events,
                  "digest": hashlib.sha256(summary.encode()).hexdigest()}))
"""


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


def forecast(
    scenario: Scenario, snap: Snapshot, results: str, phases: dict[str, list[float]]
) -> tuple[Simulation, int]:
    """The forecast run and the events it processed (the world's counter spans the whole day);
    the CPU seconds of restore, simulate and results are appended to ``phases``."""
    t0 = time.process_time()
    sim = Simulation(scenario, seed=SEED, snapshot=snap)
    t1 = time.process_time()
    before = sim.world.events
    sim.run(until=snap.time_s + FORECAST_S)
    t2 = time.process_time()
    if results == "timeseries":
        sim.run(until=sim.now, results="timeseries")  # nothing left to simulate: builds only
    else:
        sim.result()
    t3 = time.process_time()
    for name, value in (("restore", t1 - t0), ("simulate", t2 - t1), ("results", t3 - t2)):
        phases.setdefault(name, []).append(value)
    phases.setdefault("total", []).append(t3 - t0)
    return sim, sim.world.events - before


def cold_to_horizon(scenario: Scenario, until: float) -> Simulation:
    sim = Simulation(scenario, seed=SEED)
    sim.run(until=until)
    sim.result()
    return sim


@pytest.mark.benchmark(group="forecast")
@pytest.mark.parametrize("results", ["timeseries", "timeseries-kept", "full-baseline"])
def test_warm_start_forecast(
    benchmark, mid_ingress: tuple[Scenario, Snapshot], results: str
) -> None:
    scenario, snap = mid_ingress
    if results.endswith("-kept"):  # the state kept decoded in this process: copied, not decoded
        snap = keep_decoded([snap])[0]
    phases: dict[str, list[float]] = {}
    started = time.perf_counter()
    mode = results.removesuffix("-baseline").removesuffix("-kept")
    sim, events = benchmark.pedantic(forecast, args=(scenario, snap, mode, phases), rounds=10)
    benchmark.extra_info["snapshot_bytes"] = len(snap.state)
    for name, values in phases.items():
        benchmark.extra_info[f"cpu_{name}_s_mean"] = round(statistics.mean(values), 4)
    benchmark.extra_info["cpu_total_s_min"] = round(min(phases["total"]), 4)
    record_rates(benchmark, events, FORECAST_S, started)
    assert sim.now == snap.time_s + FORECAST_S


def _cpu(benchmark, step: Callable[[], Any], rounds: int = 5) -> Any:
    """Time ``step`` with garbage collection paused; CPU seconds (mean, min) in extra_info."""
    cpu: list[float] = []

    def one() -> Any:
        with gc_paused():
            t0 = time.process_time()
            out = step()
            cpu.append(time.process_time() - t0)
        return out

    out = benchmark.pedantic(one, rounds=rounds, warmup_rounds=1)
    benchmark.extra_info["cpu_s_mean"] = round(statistics.mean(cpu), 4)
    benchmark.extra_info["cpu_s_min"] = round(min(cpu), 4)
    return out


@pytest.mark.benchmark(group="snapshot")
@pytest.mark.parametrize("fmt", ["data-only", "pickle-baseline"])
@pytest.mark.parametrize("step", ["save", "load"])
def test_snapshot_state(
    benchmark, mid_ingress: tuple[Scenario, Snapshot], fmt: str, step: str
) -> None:
    _, snap = mid_ingress
    world = load_state(snap)
    dump: Callable[[Any], bytes] = snapshot_codec.encode
    read: Callable[[bytes], Any] = snapshot_codec.decode
    if fmt == "pickle-baseline":
        dump, read = (lambda w: pickle.dumps(w, protocol=5)), pickle.loads
    data = dump(world)
    benchmark.extra_info["bytes"] = len(data)
    benchmark.extra_info["parties"] = len(world.parties)
    if step == "save":
        assert _cpu(benchmark, lambda: dump(world)) == data
    else:
        assert len(_cpu(benchmark, lambda: read(data)).parties) == len(world.parties)


@pytest.mark.benchmark(group="forecast")
def test_cold_run_to_the_same_horizon(benchmark, mid_ingress: tuple[Scenario, Snapshot]) -> None:
    scenario, snap = mid_ingress
    sim = benchmark.pedantic(cold_to_horizon, args=(scenario, snap.time_s + FORECAST_S), rounds=1)
    assert sim.now == snap.time_s + FORECAST_S


PEAK_S = 20 * 3600 + 50 * 60  # 20:50: kick-off is 21:00, arrivals end soon after
TARGET_BYTES_PER_FAN = 300  # issue 14


def state_bytes(scenario: Scenario, model: str) -> tuple[int, int]:
    """(bytes still allocated at 20:50 since the run was built, fans in the model).

    Both models hold every fan of the day from the start (the engine as parties, the naive
    model as one process each), so the fans in the model are all of them. The engine's
    caches of a scenario's static plan (graph, routes, link tables) are emptied first: runs
    earlier in the same process would otherwise have paid for what this run holds (217
    instead of 278 bytes per fan), and a planner's single run pays for it all."""
    clear_plan_caches()
    gc.collect()
    tracemalloc.start()
    try:
        if model == "engine":
            sim = Simulation(scenario, seed=SEED)
            sim.run(until=PEAK_S)
            fans = sum(p.size for p in sim.world.parties)
        else:
            env, counts = build_naive(scenario, SEED)
            env.run(until=PEAK_S)
            fans = int(counts["fans"])
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return held, fans


@pytest.mark.benchmark(group="memory")
@pytest.mark.parametrize("model", ["engine", "naive-baseline"])
def test_run_state_memory_per_fan(benchmark, stadium: tuple[str, Scenario], model: str) -> None:
    size, scenario = stadium
    held, fans = benchmark.pedantic(state_bytes, args=(scenario, model), rounds=1)
    per_fan = held / fans
    benchmark.extra_info["bytes_held"] = held
    benchmark.extra_info["fans"] = fans
    benchmark.extra_info["bytes_per_fan"] = round(per_fan)
    benchmark.extra_info["target_bytes_per_fan"] = TARGET_BYTES_PER_FAN
    benchmark.extra_info["meets_target"] = per_fan <= TARGET_BYTES_PER_FAN
    assert fans > 0.9 * scenario.ingress.attendance * sum(s.seats for s in scenario.venue.sectors)
    if model == "engine" and size == "large":  # the target is per fan of the 115k day; the
        assert per_fan <= TARGET_BYTES_PER_FAN  # small stadium is dominated by its fixed plan


def _day(engine: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "MATCHDAY_INTERPRETED"}
    if engine == "interpreted":
        env["MATCHDAY_INTERPRETED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-c", ONE_DAY, str(SEED)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.benchmark(group="engine path")
def test_compiled_engine_against_interpreted(benchmark) -> None:
    days: dict[str, list[dict[str, Any]]] = {"interpreted": [], "compiled": []}

    def pair() -> None:  # the baseline first, then the compiled day
        for engine, out in days.items():
            out.append(_day(engine))

    benchmark.pedantic(pair, rounds=3)
    info = benchmark.extra_info
    for engine, out in days.items():
        info[f"{engine}_engine"] = out[0]["engine"]
        info[f"{engine}_run_cpu_s"] = [round(d["run_s"], 3) for d in out]
        info[f"{engine}_result_cpu_s"] = [round(d["result_s"], 3) for d in out]
        info[f"{engine}_run_cpu_s_mean"] = round(statistics.mean(d["run_s"] for d in out), 3)
        info[f"{engine}_digests"] = sorted({d["digest"][:16] for d in out})
    info["events"] = days["compiled"][0]["events"]
    info["ratio_run_cpu"] = round(
        info["interpreted_run_cpu_s_mean"] / info["compiled_run_cpu_s_mean"], 2
    )
    assert info["compiled_engine"].startswith("compiled (mypyc"), info["compiled_engine"]
    assert info["interpreted_engine"] == "interpreted (MATCHDAY_INTERPRETED=1)"
    assert info["compiled_digests"] == info["interpreted_digests"]
    assert len(info["compiled_digests"]) == 1


CROWD_SEATS = (115_000, 230_000, 500_000, 1_000_000)


@pytest.mark.timeout(1800)
@pytest.mark.benchmark(group="crowd size")
def test_cost_against_crowd_size(benchmark) -> None:
    """CPU of whole match days (build and run, compiled engine) against the crowd, on a stadium
    whose gates, sectors, plazas and approaches grow with it (``grown_stadium_yaml``), so each
    size is the same day for more fans; the baseline is the 115,000-seat day in the same run.

    Checked so that a jam cannot pass for speed: events per fan within 15% of the baseline's,
    at least 98% of the fans gone home by the day's end, no link beyond its storage.
    Measured 2026-12-02 (load 0.4-0.8): 115k / 230k / 500k / 1M seats 1.95 / 4.94 / 13.12 /
    30.67 s, 9.07-9.47 events per fan, 1.96 / 2.39 / 2.95 / 3.56 us per event: the cost per
    event grows with the crowd (log-log slope of CPU against fans 1.27 to 1M), spread over
    the whole hot path in a profile (no single term grows): issue 14's 10 s at 1M is not met.
    """
    rows: list[dict[str, float]] = []

    def days() -> None:
        for seats in CROWD_SEATS:
            scenario = load_scenario_text(grown_stadium_yaml(seats), source=f"<{seats} seats>")
            cpu0 = time.process_time()
            sim = Simulation(scenario, seed=SEED)
            sim.run()
            cpu = time.process_time() - cpu0
            w = sim.world
            assert all(lk.max_n <= lk.capacity for lk in w.links), f"{seats}: a link overflowed"
            fans = w.fans_expected
            assert w.left >= 0.98 * fans, f"{seats}: {fans - w.left} fans still in at the end"
            rows.append(
                {
                    "seats": seats,
                    "fans": fans,
                    "events": w.events,
                    "events_per_fan": round(w.events / fans, 2),
                    "cpu_s": round(cpu, 3),
                    "us_per_fan": round(cpu / fans * 1e6, 2),
                    "us_per_event": round(cpu / w.events * 1e6, 3),
                }
            )

    benchmark.pedantic(days, rounds=1)
    base = rows[0]
    for row in rows[1:]:
        row["slope"] = round(
            math.log(row["cpu_s"] / base["cpu_s"]) / math.log(row["fans"] / base["fans"]), 3
        )
        drift = row["events_per_fan"] / base["events_per_fan"]
        assert 0.85 <= drift <= 1.15, f"{row['seats']}: {drift:.2f}x the events per fan"
    benchmark.extra_info["days"] = rows
    benchmark.extra_info["engine"] = engine_path()
