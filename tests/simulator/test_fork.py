"""The in-memory fork of a run state: equal to a snapshot's round trip, and resumed alike."""

from __future__ import annotations

import json
import pickle
from array import array
from dataclasses import replace

import pytest

from simulator import Scenario, Simulation
from simulator.engine.fork import fork_state
from simulator.engine.snapshot import forget_decoded, keep_decoded, load_state
from simulator.engine.snapshot_codec import decode, encode
from simulator.errors import SimulatorError, SnapshotError


def _results(sim: Simulation) -> tuple[str, object, object]:
    out = sim.result()
    return out.summary.to_json(), out.fans, out.timeseries


@pytest.fixture(scope="module")
def taken(small: Scenario) -> tuple[Simulation, object]:
    sim = Simulation(small, seed=3)
    sim.run(until=small.ingress.kickoff_s - 1234.5)
    return sim, sim.snapshot(keep=True)


def test_a_fork_encodes_to_the_snapshot_s_bytes(taken) -> None:  # type: ignore[no-untyped-def]
    _, snap = taken
    world = decode(snap.state)
    copy = fork_state(world)
    assert encode(copy) == snap.state == encode(world)
    assert copy.parties[0] is not world.parties[0]
    assert copy.parties[0].times is not world.parties[0].times
    copy.parties[0].times[0] = -1.0  # independent: the original is untouched
    assert encode(world) == snap.state


def test_a_kept_snapshot_resumes_as_the_uninterrupted_run(small: Scenario, taken) -> None:  # type: ignore[no-untyped-def]
    _, snap = taken
    assert snap.kept is not None and snap.kept.state is snap.state
    whole = Simulation(small, seed=3)
    whole.run()
    runs = [Simulation(small, seed=3, snapshot=s) for s in (snap, snap, replace(snap, kept=None))]
    for run in runs:
        run.run()
    a, b, c = (_results(r) for r in runs)
    w = _results(whole)
    assert a[0] == b[0] == c[0] == w[0]
    assert a[2].equals(w[2]) and b[2].equals(c[2])  # type: ignore[attr-defined]
    assert runs[0].snapshot().state == runs[1].snapshot().state == runs[2].snapshot().state


def test_the_kept_state_never_leaves_the_process(taken) -> None:  # type: ignore[no-untyped-def]
    _, snap = taken
    assert pickle.loads(pickle.dumps(snap)).kept is None
    assert "kept" not in json.dumps(snap.to_dict())
    assert replace(snap, kept=None) == snap  # not part of the value


def test_a_kept_state_is_used_only_with_its_own_bytes(small: Scenario, taken) -> None:  # type: ignore[no-untyped-def]
    _, snap = taken
    other = replace(snap, state=b"MDSTATE2\xc1")  # the kept world travels with replace()
    with pytest.raises(SnapshotError, match="malformed"):
        load_state(other)
    with pytest.raises(SnapshotError, match="malformed"):
        keep_decoded([other])


def test_keep_decoded_decodes_each_state_once_and_forget_lets_it_go(taken) -> None:  # type: ignore[no-untyped-def]
    _, snap = taken
    bare = replace(snap, kept=None)
    tries = keep_decoded([bare, bare.with_counts({}), bare])
    assert tries[0].kept is not None and {id(t.kept) for t in tries} == {id(tries[0].kept)}
    assert encode(load_state(tries[1])) == snap.state
    forget_decoded(tries)
    assert tries[0].kept is not None and tries[0].kept.world is None
    assert encode(load_state(tries[0])) == snap.state  # decoded from the bytes again


def test_a_fork_keeps_shared_values_shared_and_refuses_foreign_classes() -> None:
    shared = [1.0, 2.0]
    times = array("d", [1.0])
    root = {"a": shared, "b": shared, "t": (times, times), "n": {3, 4}}
    copy = fork_state(root)
    assert copy["a"] is copy["b"] and copy["a"] is not shared
    assert copy["t"][0] is copy["t"][1] and copy["t"][0] is not times
    assert encode(copy) == encode(root)

    class Foreign:
        pass

    with pytest.raises(SnapshotError, match="not a run-state class"):
        fork_state([Foreign()])


def test_a_final_snapshot_hands_over_the_run_s_own_state(small: Scenario) -> None:
    sim = Simulation(small, seed=5)
    sim.run(until=small.ingress.kickoff_s - 600)
    snap = sim.snapshot(keep=True, final=True)
    assert snap.kept is not None and snap.kept.world is sim.world
    with pytest.raises(SimulatorError, match="handed"):
        sim.run(until=small.ingress.kickoff_s)
    assert encode(snap.kept.world) == snap.state
    bare = replace(snap, kept=None)
    tries = keep_decoded([snap])
    tries[0].kept.last_use = True  # type: ignore[union-attr]
    taken = Simulation(small, seed=5, snapshot=tries[0])
    assert snap.kept.world is None  # taken, not copied
    decoded = Simulation(small, seed=5, snapshot=bare)
    taken.run()
    decoded.run()
    assert taken.snapshot().state == decoded.snapshot().state
    assert taken.result().summary.to_json() == decoded.result().summary.to_json()
