"""Snapshots are data only: a crafted one is refused with SnapshotError and never runs code.

The state format is ``simulator.engine.snapshot_codec``'s tagged msgpack. These tests craft
what an attacker would send (a pickle that calls ``os.system``, a class outside the allow-list,
an unknown tag, truncated bytes, another scenario's snapshot) and check each is refused, and
that a genuine snapshot still resumes to exactly the uninterrupted run.
"""

from __future__ import annotations

import base64
import collections
import math
import os
import pickle
from array import array
from dataclasses import replace
from pathlib import Path

import msgpack
import numpy as np
import pytest

from simulator import Simulation, Snapshot
from simulator.engine import snapshot_codec as codec
from simulator.errors import SnapshotError
from simulator.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "scenarios" / "tiny.yaml"


class _Boom:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("touch PWNED_BY_SNAPSHOT",))


@pytest.fixture(scope="module")
def taken() -> tuple[object, Snapshot]:
    scenario = load_scenario(TINY)
    sim = Simulation(scenario, seed=3)
    sim.run(until=scenario.ingress.kickoff_s - 600)  # type: ignore[union-attr]
    return scenario, sim.snapshot()


def test_a_pickle_payload_is_refused_and_never_run(
    taken: tuple[object, Snapshot], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario, snap = taken
    monkeypatch.chdir(tmp_path)
    doc = snap.to_dict()
    doc["state"] = base64.b64encode(pickle.dumps(_Boom())).decode("ascii")
    crafted = Snapshot.from_dict(doc)
    with pytest.raises(SnapshotError, match="not in the MDSTATE2 format"):
        Simulation(scenario, seed=3, snapshot=crafted)  # type: ignore[arg-type]
    assert not (tmp_path / "PWNED_BY_SNAPSHOT").exists()


def test_the_old_pickle_format_is_refused_by_name(taken: tuple[object, Snapshot]) -> None:
    doc = {**taken[1].to_dict(), "format": "matchday.snapshot.v1"}
    with pytest.raises(SnapshotError, match="no longer read"):
        Snapshot.from_dict(doc)


def _state(value: object) -> bytes:
    return codec.MAGIC + msgpack.packb(value, use_bin_type=True)


def _ext(code: int, payload: object) -> msgpack.ExtType:
    return msgpack.ExtType(code, msgpack.packb(payload, use_bin_type=True))


@pytest.mark.parametrize(
    ("state", "words"),
    [
        (_state(_ext(codec.T_OBJECT, [0, "os.system", {}])), "not a run-state class"),
        (_state(_ext(codec.T_OBJECT, [0, "builtins.eval", ["1"]])), "not a run-state class"),
        (_state(_ext(codec.T_SLOTS, [0, "subprocess.Popen", []])), "as a slotted"),
        (_state(_ext(codec.T_RNG, ["os.system", {}])), "unknown random bit generator"),
        (_state(_ext(codec.T_ARRAY, ["|O", [1], b"\0" * 8])), "dtype"),
        (_state(_ext(99, [])), "unknown value tag 99"),
        (_state(_ext(codec.T_REF, 12345)), "malformed state"),
        (codec.MAGIC + b"\x92\x01", "malformed state"),  # cut short
        (b"\x80\x04\x95" + b"\0" * 20, "not in the MDSTATE2 format"),
    ],
)
def test_crafted_states_are_refused(state: bytes, words: str) -> None:
    with pytest.raises(SnapshotError, match=words):
        codec.decode(state)


def test_a_well_formed_state_of_the_wrong_shape_is_refused(taken: tuple[object, Snapshot]) -> None:
    scenario, snap = taken
    crafted = replace(snap, state=_state([1, 2, 3]))
    with pytest.raises(SnapshotError, match="does not fit scenario"):
        Simulation(scenario, seed=3, snapshot=crafted)  # type: ignore[arg-type]


def test_a_snapshot_of_another_scenario_version_is_refused(
    taken: tuple[object, Snapshot],
) -> None:
    scenario, snap = taken
    edited = replace(scenario, description="lanes changed")  # same name, same elements
    with pytest.raises(SnapshotError, match="another version of the scenario"):
        Simulation(edited, seed=3, snapshot=snap)  # type: ignore[arg-type]
    with pytest.raises(SnapshotError, match="another version"):
        Simulation(scenario, seed=3, snapshot=replace(snap, scenario_digest=""))  # type: ignore[arg-type]


def test_a_snapshot_through_json_resumes_exactly(taken: tuple[object, Snapshot]) -> None:
    scenario, snap = taken
    again = Snapshot.from_dict(snap.to_dict())
    warm = Simulation(scenario, seed=3, snapshot=again)  # type: ignore[arg-type]
    warm.run()
    cold = Simulation(scenario, seed=3)  # type: ignore[arg-type]
    cold.run()
    assert warm.result().summary == cold.result().summary
    assert warm.result().timeseries.equals(cold.result().timeseries)
    assert warm.result().fans.equals(cold.result().fans)


def test_the_codec_round_trips_every_kind_of_value_with_identity() -> None:
    shared = [1.0, 2.0]
    packed = array("d", [4.0])
    step = (1, 2, 3, 4)
    rng = np.random.default_rng(5)
    value = {
        "floats": [float("inf"), float("-inf"), -0.0, 1e-310],
        "nan": float("nan"),
        "big": 2**100,
        "tuples": (step, step),
        "deque": collections.deque([(1.0, 2)], maxlen=5),
        "sets": [frozenset({1, 2}), {3}],
        "array": np.arange(6, dtype=np.int32).reshape(2, 3),
        "scalar": np.int64(7),
        "rng": rng,
        "aliased": [shared, shared],
        "packed": [array("d", [1.5, float("nan"), -0.0]), array("q", [2**62, -3]), array("d")],
        "aliased packed": [packed, packed],
        7: "int key",
        (1, 2): "tuple key",
    }
    out = codec.decode(codec.encode(value))
    assert out["floats"][:2] == [float("inf"), float("-inf")] and str(out["floats"][2]) == "-0.0"
    assert out["nan"] != out["nan"] and out["big"] == 2**100
    assert out["tuples"][0] is out["tuples"][1] and out["tuples"][0] == step
    assert out["deque"] == collections.deque([(1.0, 2)]) and out["deque"].maxlen == 5
    assert out["sets"] == [frozenset({1, 2}), {3}]
    assert out["array"].dtype == np.int32 and out["array"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert type(out["scalar"]) is np.int64
    assert out["rng"].random() == rng.random()
    assert out["aliased"][0] is out["aliased"][1]
    doubles, longs, empty = out["packed"]
    assert doubles.typecode == "d" and doubles.tobytes() == value["packed"][0].tobytes()
    assert longs == array("q", [2**62, -3]) and empty == array("d")
    assert out["aliased packed"][0] is out["aliased packed"][1] == array("d", [4.0])
    assert out[7] == "int key" and out[(1, 2)] == "tuple key"


def test_a_class_outside_the_allow_list_cannot_be_stored() -> None:
    with pytest.raises(SnapshotError, match="register_state_class"):
        codec.encode([_Boom()])


def test_a_run_s_parties_are_written_as_one_table(taken: tuple[object, Snapshot]) -> None:
    """The parties go column-wise (code 13), and resuming from them is exact (above)."""
    _, snap = taken
    world = codec.decode(snap.state)
    top = msgpack.unpackb(codec.encode(world.parties)[len(codec.MAGIC) :])
    assert isinstance(top, msgpack.ExtType) and top.code == codec.T_TABLE
    _, name, rows, _ = msgpack.unpackb(top.data)
    assert name == "simulator.engine.party.Party" and rows == len(world.parties) > 100


@codec.register_state_class
class _Row:
    __slots__ = ("a", "b", "c")

    def __init__(self, a: object, b: object, c: object) -> None:
        self.a, self.b, self.c = a, b, c


def test_tables_keep_types_identity_and_unset_slots() -> None:
    route = ((1, 2, 3, 4),)
    shared_list = [1.0, 2.0]
    rows = [_Row(i, float(i) / 3, route) for i in range(100)]
    mixed = [_Row(i % 2 == 0, 2**70 if i == 5 else i, [float(i)]) for i in range(100)]
    aliased = [_Row(i, "x", shared_list) for i in range(100)]
    unset = [_Row(1, 2, 3) for _ in range(100)]
    del unset[7].c
    value = {"rows": rows, "mixed": mixed, "aliased": aliased, "unset": unset, "again": rows[3]}
    out = codec.decode(codec.encode(value))
    assert [(r.a, r.b) for r in out["rows"]] == [(r.a, r.b) for r in rows]
    assert all(r.c is out["rows"][0].c for r in out["rows"]) and out["rows"][0].c == route
    assert out["again"] is out["rows"][3]
    assert [type(r.a) for r in out["mixed"]] == [bool] * 100 and out["mixed"][5].b == 2**70
    assert [r.c for r in out["mixed"]] == [[float(i)] for i in range(100)]
    assert all(r.c is out["aliased"][0].c for r in out["aliased"])
    assert not hasattr(out["unset"][7], "c") and out["unset"][8].c == 3


def test_a_table_column_of_float_arrays_keeps_values_and_identity() -> None:
    """Party.times is an array('d') per party: written as one block of doubles (d8rows)."""
    packed = [_Row(i, 0, array("d", [float(i), math.nan, -0.0])) for i in range(100)]
    shared = array("d", [1.0, 2.0])
    aliased = [_Row(i, 0, shared) for i in range(100)]
    ragged = [_Row(i, 0, array("d", [1.0] * (i % 3))) for i in range(100)]
    data = codec.encode({"packed": packed, "aliased": aliased, "ragged": ragged})
    out = codec.decode(data)
    assert [r.c.tobytes() for r in out["packed"]] == [r.c.tobytes() for r in packed]
    assert all(type(r.c) is array and r.c.typecode == "d" for r in out["packed"])
    assert len({id(r.c) for r in out["packed"]}) == 100
    assert all(r.c is out["aliased"][0].c for r in out["aliased"]) and shared == out["aliased"][0].c
    assert [r.c for r in out["ragged"]] == [r.c for r in ragged]
    top = msgpack.unpackb(codec.encode(packed)[len(codec.MAGIC) :])
    columns = msgpack.unpackb(msgpack.unpackb(top.data)[3])
    assert columns[2][0] == "d8rows"


def _table(name: str, n: int, columns: object, first: int = 0) -> bytes:
    packed = msgpack.packb(columns, use_bin_type=True)
    return _state(_ext(codec.T_TABLE, [first, name, n, packed]))


_ROW = f"{_Row.__module__}.{_Row.__qualname__}"
_F8 = ["f8", b"\0" * 16]


@pytest.mark.parametrize(
    ("state", "words"),
    [
        (_table("os.system", 2, [_F8, _F8, _F8]), "as a table of run state"),
        (_table(_ROW, 10**9, [_F8, _F8, _F8]), "as a table of run state"),  # rows past bytes
        (_table(_ROW, 2, [_F8, _F8]), "3 columns wanted"),
        (_table(_ROW, 2, [_F8, _F8, ["f8", b"\0" * 8]]), "other than 2 values"),
        (_table(_ROW, 2, [_F8, _F8, ["tup", [[], b"\0" * 8]]]), "past its distinct values"),
        (_table(_ROW, 2, [_F8, _F8, ["pickle", b""]]), "unknown table column kind"),
        (_table(_ROW, 2, [_F8, _F8, ["f8rows", [3, b"\0" * 8]]]), "float rows"),
        (_table(_ROW, 2, [_F8, _F8, ["d8rows", [3, b"\0" * 8]]]), "float arrays"),
        (_table(_ROW, 2, [_F8, _F8, ["d8rows", [0, b""]]]), "float arrays"),
        (_state(_ext(codec.T_PACKED, ["u", b"\0" * 4])), "type code"),
        (_state(_ext(codec.T_PACKED, ["d", b"\0" * 12])), "not whole values"),
    ],
)
def test_crafted_tables_are_refused(state: bytes, words: str) -> None:
    with pytest.raises(SnapshotError, match=words):
        codec.decode(state)
