"""Members' jobs run alike in this process (states kept between cycles) and in workers."""

from __future__ import annotations

import numpy as np
import pytest
from live_helpers import EVENING_S, arena

from simulator import Simulation
from simulator.engine.party import PARTY_FIELDS
from simulator.engine.snapshot_codec import decode, encode
from streams.ensemble import MemberParams, ParamSpace
from streams.members import MemberJob, MemberPool, MemberRun, run_member


@pytest.fixture(scope="module")
def scenario():  # type: ignore[no-untyped-def]
    return arena()


def _jobs(scenario, snap, t0: float):  # type: ignore[no-untyped-def]
    space = ParamSpace.of(scenario)
    rows = np.random.default_rng(4).normal(0.0, 1.0, (3, len(space.prior_sd))) * space.prior_sd
    params = [MemberParams.from_vector(space, row) for row in rows]
    # fans on a link nobody has walked yet are refused (no direction): the plain state is next
    tries = (snap.with_counts({"plaza": 40, "l_exit": 30}), snap)
    ends = (t0 + 60, t0 + 600, t0 + 60)  # two members stop at the next cycle
    return [MemberJob(tries, p, t0 + 60, end, 7) for p, end in zip(params, ends, strict=True)]


def _same(x: MemberRun, y: MemberRun) -> bool:
    """The same run: state, counts and forecast. (The state's bytes can differ after a resume
    from a kept state while every value is equal: a table writes each distinct route tuple
    object once, and which equal routes are one object depends on where the state came from.)"""
    a, b = decode(x.next_snapshot.state), decode(y.next_snapshot.state)
    rows = [[encode(getattr(p, s)) for s in PARTY_FIELDS] for p in a.parties]
    other = [[encode(getattr(p, s)) for s in PARTY_FIELDS] for p in b.parties]
    rest = {k: encode(v) for k, v in a.__getstate__().items() if k != "parties"}
    return (
        rows == other
        and rest == {k: encode(v) for k, v in b.__getstate__().items() if k != "parties"}
        and (x.outflow, x.times_s, x.occupancy, x.waits)
        == (y.outflow, y.times_s, y.occupancy, y.waits)
        and x.next_snapshot.occupancy == y.next_snapshot.occupancy
    )


def test_workers_and_this_process_run_members_alike_over_two_cycles(scenario) -> None:  # type: ignore[no-untyped-def]
    plan = Simulation(scenario, seed=1)
    plan.run(until=EVENING_S)
    start = plan.snapshot()
    here, pool = MemberPool(scenario, 0), MemberPool(scenario, 1)
    try:
        jobs = _jobs(scenario, start, EVENING_S)
        a, b = here.map(jobs), pool.map(jobs)
        for x, y in zip(a, b, strict=True):
            assert x.started is y.started  # the caller's own snapshot, not sent back
            assert _same(x, y) and x.next_snapshot.state == y.next_snapshot.state
            assert x.refusals == y.refusals and "l_exit" in x.refusals[0]
            assert x.started is jobs[0].snapshots[1]  # the try it resumed
        assert a[0].next_snapshot.kept is not None and b[0].next_snapshot.kept is None
        # the next cycle: in-process members resume the states they kept, workers the bytes
        nxt = [_jobs(scenario, r.next_snapshot, EVENING_S + 60)[i] for i, r in enumerate(a)]
        again = [_jobs(scenario, r.next_snapshot, EVENING_S + 60)[i] for i, r in enumerate(b)]
        for x, y in zip(here.map(nxt), pool.map(again), strict=True):
            assert _same(x, y)
        # the run a member resumed from a kept state is the one it resumes from the bytes
        solo = run_member(scenario, again[1])
        assert _same(solo, here.map([again[1]])[0])
    finally:
        pool.close()
