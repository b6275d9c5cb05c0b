"""An in-memory copy of a run state: what ``decode(encode(world))`` builds, without the bytes.

The twin restores a dozen members every 15 s, each from a snapshot it took itself a cycle
earlier, often several times (a refused correction falls back to the next try). Decoding the
snapshot's bytes creates every party afresh from numbers; copying a decoded state keeps it in
this process and copies it instead (``Simulation.snapshot(keep=True)``).

The copy walks the state exactly as the snapshot codec does (``simulator.engine.snapshot_codec``:
the same allow-listed run-state classes, the same state methods, slotted classes by slot): the
copy encodes to the snapshot's very bytes, and a run resumed from it is the run resumed from the
snapshot (tests/simulator/test_fork.py, tests/streams/test_members.py). Identity is kept as the
codec keeps it, and more: every object, tuple and container met twice is one object in the
copy. Immutable values (numbers, strings, tuples of them, numpy scalars) are shared with the
original, which the run cannot tell apart; a later snapshot of it may write two equal routes
as one tuple where a run resumed from the bytes holds two (the values are the same).
"""

from __future__ import annotations

import array as arrays
import collections
import itertools
import operator
from collections.abc import Callable
from typing import Any, cast

import numpy as np

from simulator.engine.party import PARTY_FIELDS, Party, copy_parties
from simulator.engine.snapshot_codec import (
    BIT_GENERATORS,
    MIN_TABLE_ROWS,
    allowed_classes,
    plain_slots,
    qualified_name,
)
from simulator.errors import SnapshotError

_IMMUTABLE = frozenset({int, float, str, bool, bytes, type(None)})
_UNSET = object()


def fork_state(root: Any) -> Any:
    """An independent copy of the run state ``root`` (SnapshotError where encode would fail)."""
    return _Copier(allowed_classes()).copy(root)


class _Copier:
    def __init__(self, allowed: dict[str, type]) -> None:
        self.allowed = allowed
        self.memo: dict[int, Any] = {}
        self.keep: list[object] = []  # states built here stay alive, so their ids stay unique
        self.kinds: dict[type, Callable[[Any], Any]] = {
            list: self.a_list,
            dict: self.a_dict,
            tuple: self.a_tuple,
            collections.deque: self.a_deque,
            set: self.a_set,
            frozenset: self.a_set,
            arrays.array: self.an_array,
            np.ndarray: self.ndarray,
            np.random.Generator: self.rng,
        }

    def copy(self, v: Any) -> Any:
        t = type(v)
        if t in _IMMUTABLE:
            return v
        done = self.memo.get(id(v), _UNSET)
        if done is not _UNSET:
            return done
        kind = self.kinds.get(t)
        if kind is not None:
            return kind(v)
        if isinstance(v, np.generic):
            return v  # numpy scalars are immutable
        return self.obj(v)

    def plain(self, items: Any) -> bool:
        """True when every item is an immutable scalar (the container's copy is shallow)."""
        return set(map(type, items)) <= _IMMUTABLE

    def a_list(self, v: list[Any]) -> list[Any]:
        if self.plain(v):
            out = v.copy()
            self.memo[id(v)] = out
            return out
        if len(v) >= MIN_TABLE_ROWS:
            rows = self.table(v)
            if rows is not None:
                return rows
        out = []
        self.memo[id(v)] = out
        out.extend(map(self.copy, v))
        return out

    def a_dict(self, v: dict[Any, Any]) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        self.memo[id(v)] = out
        if self.plain(v.values()) and self.plain(v.keys()):
            out.update(v)
        else:
            for key, value in v.items():
                out[self.copy(key)] = self.copy(value)
        return out

    def a_tuple(self, v: tuple[Any, ...]) -> tuple[Any, ...]:
        if self.plain(v) or all(type(x) is tuple and self.plain(x) for x in v):
            out = v  # immutable all the way down (a route): shared
        else:
            out = tuple(map(self.copy, v))
            done = self.memo.get(id(v), _UNSET)  # a cycle through a container inside
            if done is not _UNSET:
                return done
        self.memo[id(v)] = out
        return out

    def a_deque(self, v: collections.deque[Any]) -> collections.deque[Any]:
        if self.plain(v) or all(type(x) is tuple and self.plain(x) for x in v):
            out = v.copy()  # of numbers, or of flat tuples of numbers (a link's queues)
            self.memo[id(v)] = out
            return out
        out = collections.deque(maxlen=v.maxlen)
        self.memo[id(v)] = out
        out.extend(map(self.copy, v))
        return out

    def a_set(self, v: set[Any] | frozenset[Any]) -> set[Any] | frozenset[Any]:
        out = type(v)(map(self.copy, v))  # items of a set are hashable: immutable in practice
        self.memo[id(v)] = out
        return out

    def an_array(self, v: arrays.array[Any]) -> arrays.array[Any]:
        out = v[:]
        self.memo[id(v)] = out
        return out

    def ndarray(self, v: np.ndarray) -> np.ndarray:
        if v.dtype.kind not in "biufc":
            raise SnapshotError(f"snapshot: cannot store a numpy array of dtype {v.dtype}")
        out = v.copy()
        self.memo[id(v)] = out
        return out

    def rng(self, v: np.random.Generator) -> np.random.Generator:
        bits = v.bit_generator
        make = BIT_GENERATORS.get(type(bits).__name__)
        if make is None:
            raise SnapshotError(f"snapshot: unknown random bit generator {type(bits).__name__}")
        fresh = make()
        fresh.state = bits.state
        out = np.random.Generator(fresh)
        self.memo[id(v)] = out
        return out

    def cls_of(self, v: Any) -> type:
        t = type(v)
        if self.allowed.get(qualified_name(t)) is not t:
            raise SnapshotError(
                f"snapshot: cannot store a {qualified_name(t)} (not a run-state class); "
                "register it with simulator.engine.snapshot_codec.register_state_class "
                "if it is plain data"
            )
        return t

    def obj(self, v: Any) -> Any:
        cls = self.cls_of(v)
        out = cast(Any, cls).__new__(cls)
        self.memo[id(v)] = out
        setter = object.__setattr__
        slots = plain_slots(cls)
        if slots is not None:
            for slot in slots:
                value = getattr(v, slot, _UNSET)
                if value is not _UNSET:
                    setter(out, slot, self.copy(value))
            return out
        state = v.__getstate__()
        self.keep.append(state)
        copied = self.copy(state)
        if getattr(cls, "__setstate__", None) is not getattr(object, "__setstate__", None):
            out.__setstate__(copied)
            return out
        pair = isinstance(copied, tuple) and len(copied) == 2
        for part in copied if pair else (copied, None):
            for key, value in (part or {}).items():
                setter(out, key, value)
        return out

    def table(self, rows: list[Any]) -> list[Any] | None:
        """``rows`` copied slot by slot when they are distinct objects of one allow-listed
        slotted class met for the first time (the run's parties); None otherwise."""
        cls = type(rows[0])
        slots = plain_slots(cls)
        if slots is None or set(map(type, rows)) != {cls}:
            return None
        self.cls_of(rows[0])
        ids = list(map(id, rows))
        memo = self.memo
        if len(set(ids)) != len(ids) or not memo.keys().isdisjoint(ids):
            return None
        if cls is Party and slots == PARTY_FIELDS:  # what copy_parties copies, else generic
            return self.parties(rows, ids)
        try:
            cells = [list(map(operator.attrgetter(slot), rows)) for slot in slots]
        except AttributeError:  # an unassigned slot: object by object
            return None
        out = list(map(cast(Any, cls).__new__, itertools.repeat(cls, len(rows))))
        memo[id(rows)] = out
        memo.update(zip(ids, out, strict=True))
        for slot, col in zip(slots, cells, strict=True):
            values = self.column(col)
            put = getattr(cls, slot, None)
            if hasattr(put, "__set__"):
                collections.deque(map(cast(Any, put).__set__, out, values), maxlen=0)
            else:
                setter = object.__setattr__
                collections.deque(map(setter, out, itertools.repeat(slot), values), maxlen=0)
        return out

    def parties(self, rows: list[Party], ids: list[int]) -> list[Party] | None:
        """The engine's parties, copied by compiled code (``party.copy_parties``) when their
        slots hold what it copies: routes of numbers and unshared packed times."""
        times = list(map(operator.attrgetter("times"), rows))
        if set(map(type, times)) != {arrays.array} or any(t.typecode != "d" for t in times):
            return None
        routes = list({id(r): r for r in map(operator.attrgetter("route"), rows)}.values())
        steps = list(itertools.chain.from_iterable(routes))
        immutable = set(map(type, routes)) <= {tuple} and set(map(type, steps)) <= {tuple}
        if not (immutable and self.plain(itertools.chain.from_iterable(steps))):
            return None  # routes of tuples of numbers are shared; anything else generically
        time_ids = list(map(id, times))
        memo = self.memo
        if len(set(time_ids)) != len(time_ids) or not memo.keys().isdisjoint(time_ids):
            return None
        out = copy_parties(rows)
        memo[id(rows)] = out
        memo.update(zip(ids, out, strict=True))
        memo.update(zip(time_ids, map(operator.attrgetter("times"), out), strict=True))
        return out

    def column(self, col: list[Any]) -> list[Any]:
        """One slot's values over the rows, copied."""
        kinds = set(map(type, col))
        if kinds <= _IMMUTABLE:
            return col
        memo = self.memo
        if kinds == {tuple}:  # routes: few distinct ones, each copied (or shared) once
            distinct = {id(x): x for x in col}
            copied = {key: self.copy(x) for key, x in distinct.items()}
            return list(map(copied.__getitem__, map(id, col)))
        if kinds == {arrays.array}:  # the parties' packed times: unshared, as a rule
            ids = list(map(id, col))
            if len(set(ids)) == len(ids) and memo.keys().isdisjoint(ids):
                out = list(map(operator.getitem, col, itertools.repeat(slice(None))))
                memo.update(zip(ids, out, strict=True))
                return out
        return list(map(self.copy, col))
