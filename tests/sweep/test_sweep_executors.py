"""Executors, plans and the real sweep: order, progress, failures, determinism, Ray parity."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sweep_helpers import SEEDS, TINY, VARIANTS
from sweep_jobs import fail_on_three, seeded_draw

from simulator import Simulation
from simulator.scenario.digest import DIGEST_KEY, scenario_digest
from simulator.scenario.loader import load_scenario
from simulator.whatif.sweep import (
    Job,
    LocalExecutor,
    RayExecutor,
    SweepError,
    SweepResult,
    build_jobs,
    import_ray,
    make_executor,
    plan_sweep,
    run_job,
    run_sweep,
    seeds_for,
    slug,
    write_runs,
)
from simulator.whatif.variants import VariantError, variant_scenario


def test_local_executor_returns_results_in_job_order_and_reports_each() -> None:
    done: list[object] = []
    jobs = list(range(10, 0, -1))
    results = LocalExecutor(workers=2).map(seeded_draw, jobs, on_done=done.append)
    assert results == [seeded_draw(j) for j in jobs]
    assert sorted(done) == sorted(results)


def test_a_failing_job_is_named_in_the_error() -> None:
    with pytest.raises(SweepError, match=r"job 3 failed: RuntimeError: seed 3 is cursed"):
        LocalExecutor(workers=2).map(fail_on_three, [1, 2, 3, 4])


def test_failing_sweep_job_names_variant_and_seed() -> None:
    scenario = load_scenario(TINY)
    with pytest.raises(SweepError, match=r"variant 'baseline' seed 5 failed: ValueError"):
        LocalExecutor(workers=1).map(fail_job, [Job("baseline", 5, scenario)])


def fail_job(job: Job) -> None:
    raise ValueError(f"cannot run {job.seed}")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: LocalExecutor(workers=0), "workers must be at least 1"),
        (lambda: make_executor("dask"), "executor must be 'local' or 'ray'"),
        (lambda: make_executor("local", address="ray://x:10001"), "--address is for the ray"),
        (lambda: seeds_for(0), "--seeds must be at least 1"),
        (lambda: seeds_for(3, first_seed=-1), "--first-seed"),
    ],
)
def test_bad_options_say_what_is_wrong(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SweepError, match=message):
        call()


def test_seeds_are_consecutive_and_shared() -> None:
    assert seeds_for(3, first_seed=7) == (7, 8, 9)
    plan = plan_sweep(TINY, [VARIANTS / "tiny_more_lanes.yaml"], seeds=2)
    jobs = build_jobs(plan)
    assert [(j.variant, j.seed) for j in jobs] == [
        ("baseline", 1),
        ("baseline", 2),
        ("more lanes", 1),
        ("more lanes", 2),
    ]


def test_plan_reports_problems_of_all_variant_files_and_name_clashes(tmp_path: Path) -> None:
    twin = tmp_path / "twin.yaml"
    twin.write_text("name: More Lanes\npatch: {}\n")
    with pytest.raises(VariantError) as err:
        plan_sweep(
            TINY,
            [VARIANTS / "tiny_more_lanes.yaml", twin, VARIANTS / "bad_top_level.yaml"],
            seeds=2,
        )
    files = [p.file for p in err.value.problems]
    assert str(twin) in files and str(VARIANTS / "bad_top_level.yaml") in files
    clash = next(p for p in err.value.problems if p.file == str(twin))
    assert clash.path == "name" and "'more lanes'" in clash.expected


def test_every_variant_is_validated_before_anything_runs() -> None:
    plan = plan_sweep(
        TINY, [VARIANTS / "bad_unknown_key.yaml", VARIANTS / "bad_wrong_type.yaml"], seeds=1
    )
    with pytest.raises(VariantError) as err:
        build_jobs(plan)
    assert {Path(p.file).name for p in err.value.problems} == {
        "bad_unknown_key.yaml",
        "bad_wrong_type.yaml",
    }


def test_sweep_results_are_sorted_and_equal_direct_runs(tiny_sweep: SweepResult) -> None:
    keys = [(r.variant, r.seed) for r in tiny_sweep.results]
    expected_seeds = list(range(1, SEEDS + 1))
    assert keys == [(v, s) for v in ("baseline", "more lanes", "slow gate") for s in expected_seeds]
    # A replication in a pool worker is byte-identical to the same run in this process.
    more = variant_scenario(TINY, tiny_sweep.plan.variants[1])
    sim = Simulation(more, seed=2)
    sim.run()
    direct = {**sim.result().summary, DIGEST_KEY: scenario_digest(more)}  # + its version
    assert json.dumps(tiny_sweep.summaries("more lanes")[2], sort_keys=True) == json.dumps(
        direct, sort_keys=True
    )


def test_variants_move_the_gate_wait_the_expected_way(tiny_sweep: SweepResult) -> None:
    def p95(variant: str) -> list[float]:
        runs = tiny_sweep.summaries(variant)
        return [runs[s]["checkpoints"]["gate_a"]["p95_wait_s"] for s in sorted(runs)]

    assert all(slow > base for slow, base in zip(p95("slow gate"), p95("baseline"), strict=True))
    assert all(more <= base for more, base in zip(p95("more lanes"), p95("baseline"), strict=True))
    fans = tiny_sweep.summaries("baseline")[1]["fans"]
    assert fans["arrived"] == fans["expected"] > 0


def test_write_runs_lays_out_one_summary_per_seed(tiny_sweep: SweepResult, tmp_path: Path) -> None:
    runs = write_runs(tiny_sweep, tmp_path)
    assert sorted(p.name for p in runs.iterdir()) == ["baseline", "more-lanes", "slow-gate"]
    meta = json.loads((runs / "slow-gate" / "variant.json").read_text())
    assert meta["name"] == "slow gate" and meta["source"].endswith("tiny_slow_gate.yaml")
    saved = json.loads((runs / "baseline" / "seed_3" / "summary.json").read_text())
    assert saved == tiny_sweep.summaries("baseline")[3]
    assert slug("Gate 3: 16 lanes!") == "gate-3-16-lanes"


def test_missing_ray_gives_an_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` raise ImportError
    with pytest.raises(SweepError, match=r"pip install 'matchday\[cluster\]'"):
        import_ray()


@pytest.fixture(scope="module")
def local_ray():  # type: ignore[no-untyped-def]
    ray = pytest.importorskip("ray", reason="Ray is the optional matchday[cluster] extra")
    # Ray workers start in the repository root; the helper job module lives next to this file.
    here = str(Path(__file__).resolve().parent)
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        logging_level="warning",
        runtime_env={"env_vars": {"PYTHONPATH": here}},
    )
    yield ray
    ray.shutdown()


def test_ray_runs_plain_jobs_in_order(local_ray) -> None:  # type: ignore[no-untyped-def]
    done: list[object] = []
    jobs = [5, 1, 4, 2, 3]
    results = RayExecutor().map(seeded_draw, jobs, on_done=done.append)
    assert results == LocalExecutor(workers=2).map(seeded_draw, jobs)
    assert len(done) == len(jobs)
    with pytest.raises(SweepError, match=r"job 3 failed: .*seed 3 is cursed"):
        RayExecutor().map(fail_on_three, [1, 3])


def test_ray_and_local_give_identical_sweeps(local_ray, tiny_sweep: SweepResult) -> None:  # type: ignore[no-untyped-def]
    on_ray = run_sweep(tiny_sweep.plan, RayExecutor())
    assert [(r.variant, r.seed) for r in on_ray.results] == [
        (r.variant, r.seed) for r in tiny_sweep.results
    ]
    for ray_result, local_result in zip(on_ray.results, tiny_sweep.results, strict=True):
        assert json.dumps(ray_result.summary, sort_keys=True) == json.dumps(
            local_result.summary, sort_keys=True
        )


def test_run_job_runs_the_engine() -> None:
    result = run_job(Job("baseline", 9, load_scenario(TINY)))
    assert (result.variant, result.seed, result.summary["seed"]) == ("baseline", 9, 9)
    assert result.wall_s > 0
