"""Sweep benchmarks: time per replication, and how a sweep scales from 1 to 2 local workers.

Run with ``python -m pytest benchmarks/bench_sweep.py`` (the file is named explicitly, so
pytest collects it). Groups:

``sweep-replication-<size>``  one replication in this process: what a worker does per job.
``sweep-scaling-<size>``      the same 4 jobs (baseline + one variant x 2 seeds) on a process
                              pool of 1 worker (the baseline) and of 2 workers; the 2-worker
                              row's ``speedup`` in extra_info is t(1 worker) / t(2 workers),
                              both measured in this run.

Sizes: ``smv`` is the bundled 45,000-seat Stade Mohammed V; ``115k`` the synthetic 115,000-seat
stadium of ``benchmarks/stadium.py`` (the size of Grand Stade Hassan II, no transport yet).
"""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from benchmarks.stadium import stadium_yaml
from simulator import Simulation
from simulator.scenario.loader import load_scenario
from simulator.whatif.sweep import LocalExecutor, plan_sweep, run_sweep
from simulator.whatif.variants import Variant

_timings: dict[tuple[str, int], float] = {}


@pytest.fixture(scope="module", params=["smv", "115k"])
def scenario_file(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if request.param == "smv":
        return Path(str(resources.files("scenarios").joinpath("stade_mohammed_v.yaml")))
    path = tmp_path_factory.mktemp("stadium") / "stadium_115k.yaml"
    path.write_text(stadium_yaml(115_000), encoding="utf-8")
    return path


def _size(path: Path) -> str:
    return "115k" if "115k" in path.name else "smv"


def _more_lanes(path: Path) -> Variant:
    """A real variant of this scenario: one more lane at every checkpoint."""
    scenario = load_scenario(path)
    patch = {
        "venue": {"checkpoints": {c.id: {"lanes": c.lanes + 1} for c in scenario.venue.checkpoints}}
    }
    return Variant("more lanes", "every checkpoint one lane more", patch, "bench")


def test_replication(benchmark: Any, scenario_file: Path) -> None:
    scenario = load_scenario(scenario_file)
    benchmark.group = f"sweep-replication-{_size(scenario_file)}"

    def one() -> dict[str, Any]:
        sim = Simulation(scenario, seed=1)
        sim.run()
        return sim.result().summary.to_dict()

    summary = benchmark.pedantic(one, rounds=2, iterations=1)
    assert summary["fans"]["arrived"] == summary["fans"]["expected"]


@pytest.mark.parametrize("workers", [1, 2])
def test_sweep_scaling(benchmark: Any, scenario_file: Path, workers: int) -> None:
    size = _size(scenario_file)
    benchmark.group = f"sweep-scaling-{size}"
    plan = plan_sweep(scenario_file, seeds=2)
    plan = replace(plan, variants=(*plan.variants, _more_lanes(scenario_file)))

    def sweep() -> int:
        return len(run_sweep(plan, LocalExecutor(workers=workers)).results)

    assert benchmark.pedantic(sweep, rounds=1, iterations=1) == 4
    _timings[(size, workers)] = benchmark.stats.stats.mean
    if workers == 2 and (size, 1) in _timings:
        speedup = _timings[(size, 1)] / _timings[(size, 2)]
        benchmark.extra_info["speedup"] = round(speedup, 2)
        benchmark.extra_info["seconds_1_worker"] = round(_timings[(size, 1)], 2)
