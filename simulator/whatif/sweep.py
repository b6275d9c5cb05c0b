"""Sweeps: every variant x seed of a scenario, run on a local process pool or a Ray cluster.

A job is one (variant, seed) replication: ``Simulation(scenario, seed).run()`` then its summary.
Jobs are independent, so executors only have to run a function over a list of picklable jobs;
``LocalExecutor`` uses a process pool, ``RayExecutor`` the same function as Ray tasks. Both
return results in job order, so a sweep gives identical numbers whichever runs it.

Seeds are ``first_seed, first_seed + 1, ...`` for every variant alike: common random numbers, so
a variant and the baseline see the same arrivals for a seed and their difference is paired. A
planner can rerun one replication alone with ``matchday simulate --seed N``.

    SweepError(SimulatorError)   a job failed in a worker, or the Ray extra is missing
"""

from __future__ import annotations

import json
import multiprocessing
import re
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

from simulator.errors import Problem, ScenarioError, SimulatorError
from simulator.results.summary import RunSummary
from simulator.scenario.digest import DIGEST_KEY
from simulator.scenario.model import Scenario
from simulator.whatif.variants import (
    BASELINE,
    Variant,
    VariantError,
    load_variant,
    variant_scenario,
)

J = TypeVar("J")
R = TypeVar("R")
OnDone = Callable[[Any], None]


class SweepError(SimulatorError):
    """A sweep could not run: a job raised in its worker, or the executor is unavailable."""


@dataclass(frozen=True)
class Job:
    """One replication: a variant's scenario run with one seed."""

    variant: str
    seed: int
    scenario: Scenario


@dataclass(frozen=True)
class JobResult:
    """The summary of one replication and the wall time it took in its worker."""

    variant: str
    seed: int
    summary: RunSummary
    wall_s: float


def run_job(job: Job) -> JobResult:
    """Run one replication with the simulator engine (executes inside a worker process)."""
    from simulator import Simulation

    started = time.perf_counter()
    sim = Simulation(job.scenario, seed=job.seed)
    sim.run()
    summary = sim.result().summary  # its header carries the scenario digest
    return JobResult(job.variant, job.seed, summary, time.perf_counter() - started)


class Executor(Protocol):
    """Runs ``fn`` over ``jobs``; returns results in job order and calls ``on_done`` per result."""

    name: str

    def map(
        self, fn: Callable[[J], R], jobs: Sequence[J], *, on_done: OnDone | None = None
    ) -> list[R]: ...


def _failure(job: object, err: BaseException) -> SweepError:
    what = f"variant {job.variant!r} seed {job.seed}" if isinstance(job, Job) else repr(job)
    return SweepError(f"job {what} failed: {type(err).__name__}: {err}")


class LocalExecutor:
    """A pool of ``workers`` processes on this machine (spawned, so no state leaks from here)."""

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        cpus = multiprocessing.cpu_count()
        if workers is not None and workers < 1:
            raise SweepError(f"workers must be at least 1, got {workers}")
        self.workers = workers or cpus

    def map(
        self, fn: Callable[[J], R], jobs: Sequence[J], *, on_done: OnDone | None = None
    ) -> list[R]:
        results: list[R | None] = [None] * len(jobs)
        context = multiprocessing.get_context("spawn")
        workers = max(1, min(self.workers, len(jobs)))
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures: dict[Future[R], int] = {pool.submit(fn, job): i for i, job in enumerate(jobs)}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=futures.__getitem__):
                    index = futures[future]
                    error = future.exception()
                    if error is not None:
                        for other in pending:
                            other.cancel()
                        raise _failure(jobs[index], error) from error
                    results[index] = future.result()
                    if on_done is not None:
                        on_done(results[index])
        return cast(list[R], results)


def import_ray() -> Any:
    """Import Ray, or say how to install it: it is the optional ``matchday[cluster]`` extra."""
    try:
        import ray
    except ImportError as err:
        raise SweepError(
            "the ray executor needs Ray, which is not installed; "
            "install it with: pip install 'matchday[cluster]' (or pip install 'ray>=2.30')"
        ) from err
    return ray


class RayExecutor:
    """The same jobs as Ray tasks, on the cluster at ``address`` or a local Ray instance.

    With no address and no running Ray, a local instance with ``workers`` CPUs is started and
    shut down again after the sweep; a Ray already initialised by the caller is used as it is.
    """

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        self.address = address
        self.workers = workers

    def map(
        self, fn: Callable[[J], R], jobs: Sequence[J], *, on_done: OnDone | None = None
    ) -> list[R]:
        ray = import_ray()
        started_here = not ray.is_initialized()
        if started_here:
            cpus = self.workers if self.address is None else None
            ray.init(
                address=self.address,
                num_cpus=cpus,
                include_dashboard=False,
                logging_level="warning",
            )
        try:
            task = ray.remote(num_cpus=1, max_retries=0)(fn)
            refs = [task.remote(job) for job in jobs]
            index = {ref: i for i, ref in enumerate(refs)}
            results: list[Any] = [None] * len(jobs)
            pending = list(refs)
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                i = index[done[0]]
                try:
                    results[i] = ray.get(done[0])
                except ray.exceptions.RayTaskError as err:
                    for ref in pending:  # a shared cluster should not run the rest for nothing
                        ray.cancel(ref)
                    raise _failure(jobs[i], err.cause if err.cause else err) from err
                if on_done is not None:
                    on_done(results[i])
            return results
        finally:
            if started_here:
                ray.shutdown()


def make_executor(name: str, *, workers: int | None = None, address: str | None = None) -> Executor:
    """The executor a CLI option names: ``local`` or ``ray``."""
    if name == "local":
        if address is not None:
            raise SweepError("--address is for the ray executor; drop it or use --executor ray")
        return LocalExecutor(workers)
    if name == "ray":
        return RayExecutor(address=address, workers=workers)
    raise SweepError(f"executor must be 'local' or 'ray', got {name!r}")


@dataclass(frozen=True)
class SweepPlan:
    """What a sweep runs: the scenario file, its variants (baseline first) and the seeds."""

    scenario_path: str
    variants: tuple[Variant, ...]
    seeds: tuple[int, ...]


def seeds_for(count: int, first_seed: int = 1) -> tuple[int, ...]:
    """The seeds of a sweep: consecutive, the same for every variant (common random numbers)."""
    if count < 1:
        raise SweepError(f"--seeds must be at least 1, got {count}")
    if first_seed < 0:
        raise SweepError(f"--first-seed must be >= 0, got {first_seed}")
    return tuple(range(first_seed, first_seed + count))


def plan_sweep(
    scenario_path: str | Path,
    variant_paths: Iterable[str | Path] = (),
    *,
    seeds: int,
    first_seed: int = 1,
) -> SweepPlan:
    """Read every variant file; report the problems of all of them together."""
    variants: list[Variant] = [BASELINE]
    problems: list[Problem] = []
    for path in variant_paths:
        try:
            variant = load_variant(path)
        except VariantError as err:
            problems += err.problems
            continue
        clash = next((v for v in variants if slug(v.name) == slug(variant.name)), None)
        if clash is not None:
            other = clash.source_path or "the baseline"
            expected = f"a name unlike the other variants' ({other} is named {clash.name!r})"
            problems.append(Problem(str(path), "name", expected, repr(variant.name)))
            continue
        variants.append(variant)
    if problems:
        raise VariantError(problems)
    return SweepPlan(str(scenario_path), tuple(variants), seeds_for(seeds, first_seed))


def build_jobs(plan: SweepPlan) -> list[Job]:
    """Load and validate every variant's scenario before anything runs, all problems at once."""
    scenarios: dict[str, Scenario] = {}
    problems: list[Problem] = []
    for variant in plan.variants:
        try:
            scenarios[variant.name] = variant_scenario(plan.scenario_path, variant)
        except ScenarioError as err:
            problems += err.problems
    if problems:
        raise VariantError(problems)
    return [Job(v.name, seed, scenarios[v.name]) for v in plan.variants for seed in plan.seeds]


@dataclass(frozen=True)
class SweepResult:
    """Every replication's result, sorted by variant (plan order, baseline first) then seed."""

    plan: SweepPlan
    results: tuple[JobResult, ...]

    def summaries(self, variant: str) -> dict[int, RunSummary]:
        return {r.seed: r.summary for r in self.results if r.variant == variant}


def run_sweep(
    plan: SweepPlan,
    executor: Executor,
    *,
    jobs: Sequence[Job] | None = None,
    job_fn: Callable[[Job], JobResult] = run_job,
    on_done: OnDone | None = None,
) -> SweepResult:
    """Run every variant x seed of ``plan`` on ``executor`` (``jobs``: already built ones)."""
    jobs = build_jobs(plan) if jobs is None else jobs
    results = executor.map(job_fn, jobs, on_done=on_done)
    order = {v.name: i for i, v in enumerate(plan.variants)}
    ordered = sorted(results, key=lambda r: (order[r.variant], r.seed))
    return SweepResult(plan, tuple(ordered))


def slug(name: str) -> str:
    """A directory name for a variant: lower case, words joined by '-'."""
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return text or "variant"


def write_runs(result: SweepResult, out_dir: str | Path) -> Path:
    """Write ``runs/<variant>/seed_<n>/summary.json`` (+ ``variant.json``) for ``compare``.

    ``variant.json`` records the digest of the variant's scenario (``scenario_digest``), so a
    later sweep into the same folder can tell whether it ran the same scenario version.
    """
    runs = Path(out_dir) / "runs"
    for variant in result.plan.variants:
        folder = runs / slug(variant.name)
        folder.mkdir(parents=True, exist_ok=True)
        digests = {
            r.summary.header.scenario_digest for r in result.results if r.variant == variant.name
        }
        meta = {
            "name": variant.name,
            "description": variant.description,
            "source": variant.source_path,
            "scenario": result.plan.scenario_path,
            DIGEST_KEY: next(iter(digests)) if len(digests) == 1 else None,
        }
        (folder / "variant.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        for seed, summary in result.summaries(variant.name).items():
            seed_dir = folder / f"seed_{seed}"
            seed_dir.mkdir(exist_ok=True)
            text = summary.to_json() + "\n"
            (seed_dir / "summary.json").write_text(text, encoding="utf-8")
    return runs
