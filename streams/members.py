"""Running the ensemble's members: one job per member per cycle, in-process or in a pool.

One job warm-starts a member from its corrected snapshot with its parameters (``TwinPart``),
runs to the next cycle's time and snapshots there (the member's prior for the next cycle, and
what it predicted for the counts of that window), then keeps going to the end of the horizon
recording occupancy and queue waits (its forecast). One restore and one dump per member per
cycle: the nowcast is the first stretch of the forecast.

On a 2-core machine the members are spread over worker processes (``MemberPool``) when the
cycle would not fit on one core; the scenario travels once per worker, snapshots and
factors per job.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

from simulator import Simulation, SimulatorError, Snapshot
from simulator.engine.snapshot import forget_decoded, keep_decoded
from simulator.errors import SnapshotError
from simulator.scenario.model import Scenario
from streams.ensemble import MemberParams, TwinPart


@dataclass(frozen=True)
class MemberJob:
    """What one member does this cycle."""

    snapshots: tuple[Snapshot, ...]  # corrected at the cycle's clock, then fallbacks
    params: MemberParams
    next_s: float  # the next cycle's clock: snapshot there
    end_s: float  # the end of the horizon
    seed: int


@dataclass(frozen=True)
class MemberRun:
    """What one member produced: its state at ``next_s`` and its forecast."""

    started: Snapshot  # the snapshot the member resumed (the first the simulator took)
    next_snapshot: Snapshot
    outflow: tuple[int, ...]  # persons who left each element between clock and next_s
    times_s: tuple[float, ...]
    occupancy: tuple[tuple[int, ...], ...]  # per sample time, per element
    waits: tuple[tuple[float, ...], ...]  # per sample time, per sampled element
    sampled_ids: tuple[str, ...]  # the elements of ``waits`` (exits excluded)
    refusals: tuple[str, ...] = ()  # corrections the simulator refused (a fallback was used)


def run_member(scenario: Scenario, job: MemberJob, keep: bool = False) -> MemberRun:
    """Warm-start, run to ``next_s`` (snapshot), then on to ``end_s`` recording the forecast.

    If the simulator refuses a corrected snapshot (added fans on a link nobody has walked yet
    have no direction) the next of ``job.snapshots`` is tried; the refusals are reported.
    The tries share one state: it is decoded once (or was kept by the last cycle) and each
    try resumes a copy of it. ``keep``: the snapshot at ``next_s`` keeps its state decoded in
    this process (``Simulation.snapshot(keep=True)``), for the next cycle's restores here;
    the state this job resumed is let go.
    """
    refusals: list[str] = []
    sim = None
    try:
        tries = keep_decoded(job.snapshots)
    except SnapshotError as error:  # malformed: each try would be refused for it alike
        raise SimulatorError(f"no snapshot of this member could be resumed: {error}") from error
    for k, snap in enumerate(tries):
        if k == len(tries) - 1 and snap.kept is not None:
            snap.kept.last_use = True  # let go after this job anyway: no copy for the last try
        try:
            sim = Simulation(scenario, seed=job.seed, snapshot=snap, parts=[job.params.part()])
        except (SimulatorError, StopIteration) as error:  # StopIteration: see README
            refusals.append(f"{snap.time_s:.0f}: {type(error).__name__}: {error}")
            continue
        started = job.snapshots[k]
        break
    forget_decoded(tries)
    if sim is None:
        raise SimulatorError(f"no snapshot of this member could be resumed: {refusals}")
    part = sim.part(TwinPart)
    before = part.outflow()  # a restored run carries the partial counts of its last sample
    sim.run(until=job.next_s)
    outflow = tuple(b - a for a, b in zip(before, part.outflow(), strict=True))
    final = job.end_s <= job.next_s  # a member only brought to the next cycle
    nxt = sim.snapshot(keep=keep, final=final and keep)
    part.recording = True
    if not (final and keep):
        sim.run(until=job.end_s)
    times = tuple(t for t, _, _ in part.record)
    occ = tuple(tuple(o) for _, o, _ in part.record)
    waits = tuple(tuple(w) for _, _, w in part.record)
    ids = tuple(e.id for e in part.elements)
    return MemberRun(started, nxt, outflow, times, occ, waits, ids, tuple(refusals))


_SCENARIO: Scenario | None = None


def _init(scenario: Scenario) -> None:
    global _SCENARIO
    _SCENARIO = scenario


# what a worker sends back for ``MemberRun.started``: the caller has that snapshot already
_SENT_BACK = Snapshot(0.0, "", 0, (), (), {}, {}, 0, 0, b"")


def _run(job: MemberJob) -> tuple[int, MemberRun]:
    """A member's job in a worker: which of the job's snapshots it resumed, and its run
    without that snapshot (megabytes of state the caller holds already)."""
    assert _SCENARIO is not None
    run = run_member(_SCENARIO, job)
    tried = next(i for i, snap in enumerate(job.snapshots) if snap is run.started)
    return tried, replace(run, started=_SENT_BACK)


class MemberPool:
    """Runs member jobs in ``workers`` processes (0: in this process, in order)."""

    def __init__(self, scenario: Scenario, workers: int = 0) -> None:
        self.scenario = scenario
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        if workers > 0:
            # spawn, not fork: the live service runs threads (bus readers, the dashboard)
            self._pool = ProcessPoolExecutor(
                workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init,
                initargs=(scenario,),
            )

    def map(self, jobs: Sequence[MemberJob]) -> list[MemberRun]:
        if self._pool is None:  # states kept decoded here for the next cycle's restores
            return [run_member(self.scenario, job, keep=True) for job in jobs]
        done = self._pool.map(_run, jobs)
        return [
            replace(run, started=job.snapshots[tried])
            for job, (tried, run) in zip(jobs, done, strict=True)
        ]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
