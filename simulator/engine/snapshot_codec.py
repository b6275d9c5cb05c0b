"""The snapshot state format: the run's object graph as tagged msgpack, with no code on load.

Format ``matchday.state.v2`` (bytes): the magic ``MDSTATE2`` then one msgpack value. Plain
values are msgpack's own: None, bools, 64-bit integers, float64 (inf and NaN included), strings,
bytes, lists and maps. Every other value is a msgpack extension of type ``code`` whose data is
its payload, itself packed as msgpack:

====  ==================  ==============================================================
code  Python value        payload
====  ==================  ==============================================================
1     tuple               [key, [items...]]
2     collections.deque   [maxlen or None, [items...]]
3     int beyond 64 bit   its decimal string
4     object              [key, qualified class name, state]: ``obj.__getstate__()`` (a
                          dict, a (dict or None, slots dict) pair, or what the class's own
                          ``__getstate__`` returns), given to ``__setstate__`` or set
                          attribute by attribute
5     numpy array         [dtype string (numeric kinds only), shape, raw bytes]
6     numpy Generator     [bit generator name, ``bit_generator.state``]
7     shared container    [key, list, dict or deque referenced more than once]
8     reference           the key of a tuple, object or container met earlier
9     set / frozenset     [is frozen, [items...]]
10    numpy scalar        [dtype string, raw bytes]
11    unassigned slot     None
12    slotted object      [key, qualified class name, [slot values in ``__slots__`` order]]
                          for classes that keep their state in slots with pickle's default
13    table of objects    [first key, qualified class name, row count, columns as msgpack
                          bytes]: a list of slotted objects of one class, one column per
                          slot (below); the rows take keys first key, first key + 1, ...
14    array.array         [type code (numbers only), little-endian raw bytes]: the packed
                          times and waits of the run state
====  ==================  ==============================================================

A table (code 13) is how a long list of one slotted class (the run's parties) is written:
column-wise, so a snapshot of 40,000 parties costs a few numpy copies instead of 40,000 tagged
objects. Each column is ``[kind, data]``:

========  ===========================================================================
kind      data
========  ===========================================================================
``f8``    little-endian float64 bytes, one per row (every value a float)
``i8``    little-endian int64 bytes (every value an int within 64 bits)
``raw``   the plain msgpack list (floats, strings, bools, None)
``tup``   [distinct tuples in the order first met, as values above; uint32 bytes: each
          row's index among them]
``f8rows`` [row length, float64 bytes]: every value an unshared list of that many floats
``d8rows`` [row length, float64 bytes]: every value an unshared ``array('d')`` that long
``any``   the list of values, each as above
========  ===========================================================================

Keys number tuples, objects and shared containers in the order they are first met, so a
later reference (code 8) keeps identity: a route tuple shared by many parties stays shared.
Nothing depends on where objects lie in memory, so a state encodes to the same bytes wherever
it lives: decoded, copied (``simulator.engine.fork``) or the run's own.
Only classes in the allow-list (``register_state_class``; the engine's run-state classes are
in it) can be created, by their qualified name looked up in that list: nothing named by the
data is imported or called, so a crafted state can at worst be refused. A warm start from it
continues exactly as the uninterrupted run.
"""

from __future__ import annotations

import array as arrays
import ast
import collections
import contextlib
import dataclasses
import itertools
import operator
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import msgpack
import numpy as np

from simulator.errors import SnapshotError

MAGIC = b"MDSTATE2"
T_TUPLE, T_DEQUE, T_BIGINT, T_OBJECT, T_ARRAY, T_RNG, T_SHARED, T_REF, T_SET, T_NPSCALAR = range(
    1, 11
)
T_UNSET, T_SLOTS, T_TABLE, T_PACKED = 11, 12, 13, 14
MIN_TABLE_ROWS = 64  # shorter lists of objects are written object by object
_INT64 = (-(2**63), 2**64 - 1)
_NUMERIC_KINDS = frozenset("biufc")
BIT_GENERATORS: dict[str, Callable[[], Any]] = {  # the bit generators a snapshot may hold
    "PCG64": np.random.PCG64,
    "PCG64DXSM": np.random.PCG64DXSM,
    "Philox": np.random.Philox,
    "SFC64": np.random.SFC64,
    "MT19937": np.random.MT19937,
}
_ALLOWED: dict[str, type] = {}
_ENGINE_CLASSES_ADDED: list[bool] = []  # one True once the engine's classes are in _ALLOWED
_CONTAINERS = (list, dict, tuple, collections.deque, set, frozenset, arrays.array)
_MUTABLE = frozenset({list, dict, collections.deque, set, frozenset, arrays.array})
_TYPECODES = frozenset("bBhHiIlLqQfd")  # array.array of numbers (not 'u', 'w': text)
_SCALARS = frozenset({float, str, bool, type(None)})  # ints may exceed 64 bits


def _plain_list(v: list[Any]) -> bool:
    """True when msgpack can pack ``v`` as it is: scalars, and integers within 64 bits."""
    types = set(map(type, v))
    if types <= _SCALARS:
        return True
    if not types <= _SCALARS | {int}:
        return False
    ints = v if types == {int} else [x for x in v if type(x) is int]
    return _INT64[0] <= min(ints) and max(ints) <= _INT64[1]


def qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def register_state_class(cls: type) -> type:
    """Allow ``cls`` in snapshots (usable as a decorator); its state must itself be data."""
    _ALLOWED[qualified_name(cls)] = cls
    return cls


def allowed_classes() -> dict[str, type]:
    """The allow-list, filled with the engine's run-state classes on first use (also when a
    researcher's own class was registered before)."""
    if not _ENGINE_CLASSES_ADDED:
        _ENGINE_CLASSES_ADDED.append(True)
        from simulator.engine.checkpoint import TurnstileBank
        from simulator.engine.dwell import DwellState
        from simulator.engine.link import Walkway
        from simulator.engine.party import Party
        from simulator.engine.place import Place
        from simulator.engine.world import World
        from simulator.levers import model as levers
        from simulator.scenario import model as scenario
        from simulator.transport import model as transport
        from simulator.transport import state as transport_state

        for cls in (World, Walkway, TurnstileBank, Party, Place, levers.LeverState, DwellState):
            register_state_class(cls)
        for value in vars(transport_state).values():  # the module holds only run-state classes
            if isinstance(value, type) and value.__module__ == transport_state.__name__:
                register_state_class(value)
        for module in (scenario, transport, levers):  # frozen value objects the state refers to
            for value in vars(module).values():
                if dataclasses.is_dataclass(value) and value.__module__ == module.__name__:
                    register_state_class(cast(type, value))
    return _ALLOWED


_SLOT_CACHE: dict[type, tuple[str, ...] | None] = {}


def plain_slots(cls: type) -> tuple[str, ...] | None:
    """All slot names of ``cls`` when it keeps its state in slots alone with pickle's default
    state methods, else None."""
    if cls not in _SLOT_CACHE:
        names: list[str] = []
        plain = not hasattr(cls, "__dict__") or "__dict__" not in dir(cls)
        for klass in cls.__mro__[:-1]:
            layout = _compiled_layout(klass)
            slots, own_state = layout or (
                klass.__dict__.get("__slots__", ()),
                "__getstate__" in klass.__dict__ or "__setstate__" in klass.__dict__,
            )
            names.extend([slots] if isinstance(slots, str) else slots)
            plain = plain and not own_state
        _SLOT_CACHE[cls] = tuple(names) if plain and names else None
    return _SLOT_CACHE[cls]


def _compiled_layout(cls: type) -> tuple[tuple[str, ...], bool] | None:
    """For a class compiled by mypyc (the engine's hot path): its ``__slots__`` and whether it
    defines ``__getstate__`` or ``__setstate__``, as its source says; None for any other class.

    A mypyc class keeps no ``__slots__`` and has state methods of mypyc's own whether or not
    its source defines any, so the layout is read from the source beside the extension (the
    same file the interpreted engine runs): a snapshot then holds the same state either way
    and resumes on either path (the bytes may differ where compiled code made two equal tuples
    that interpreted code shares, as ``Walkway.last_in``'s two ends).
    """
    if "__mypyc_attrs__" not in cls.__dict__:
        return None
    module = sys.modules[cls.__module__]
    package, _, leaf = cls.__module__.rpartition(".")  # a compiled module's __file__ is unreliable
    source = Path(str(sys.modules[package].__file__)).with_name(f"{leaf}.py")
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef) and node.name == cls.__qualname__:
            break
    else:
        raise SnapshotError(f"snapshot: no class {cls.__qualname__} in {source}")
    slots: tuple[str, ...] = ()
    own_state = False
    for item in node.body:
        if isinstance(item, ast.FunctionDef) and item.name in ("__getstate__", "__setstate__"):
            own_state = True
        if isinstance(item, ast.Assign) and [ast.unparse(t) for t in item.targets] == ["__slots__"]:
            value = item.value
            if isinstance(value, ast.Name):  # __slots__ = NAMES, a module constant
                slots = tuple(getattr(module, value.id))
            else:
                literal = ast.literal_eval(value)
                slots = (literal,) if isinstance(literal, str) else tuple(literal)
    return slots, own_state


_UNSET_SLOT = object()  # a slot never assigned


def encode(root: object) -> bytes:
    """``MAGIC`` + the tagged msgpack of ``root``; SnapshotError on a value it cannot carry.

    Tuples and objects are memoised as they are met (a repeat becomes a reference). Lists,
    dicts and deques are assumed unshared, which holds for the engine's state; should one be
    met twice, the graph is walked once more to find every shared container first.
    """
    allowed = allowed_classes()
    try:
        return MAGIC + _Encoder(None, allowed).pack(root)
    except _Aliased:
        return MAGIC + _Encoder(_shared_containers(root, allowed), allowed).pack(root)


class _Aliased(Exception):
    """A list, dict or deque is referenced twice: encode again keeping it shared."""


def _shared_containers(root: object, allowed: dict[str, type]) -> set[int]:
    """Ids of the mutable containers referenced more than once (each object walked once)."""
    counts: dict[int, int] = {}
    keep: list[object] = []  # states built here must outlive the walk, or ids get reused
    stack = [root]
    while stack:
        value = stack.pop()
        if not isinstance(value, _CONTAINERS) and qualified_name(type(value)) not in allowed:
            continue
        key = id(value)
        counts[key] = counts.get(key, 0) + 1
        if counts[key] > 1:
            continue
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, arrays.array):  # numbers only: nothing to walk
            continue
        elif isinstance(value, _CONTAINERS):
            stack.extend(value)
        else:
            keep.append(value.__getstate__())
            stack.append(keep[-1])
    return {key for key, n in counts.items() if n > 1}


class _Encoder:
    def __init__(self, shared: set[int] | None, allowed: dict[str, type]) -> None:
        self.shared = shared  # None: containers are not expected to be shared
        self.allowed = allowed
        self.keys: dict[int, int] = {}  # id -> key of memoised tuples, objects, containers
        self.seen: set[int] = set()  # containers met so far (when shared is None)
        self.keep: list[object] = []  # states of objects: alive, so their ids stay unique
        self.names: dict[type, str | None] = {}
        self.packer = msgpack.Packer(use_bin_type=True, strict_types=True)

    def pack(self, root: object) -> bytes:
        return msgpack.packb(self.value(root), use_bin_type=True, strict_types=True)

    def ext(self, code: int, payload: object) -> msgpack.ExtType:
        """A tagged value: an extension of type ``code`` holding ``payload`` as msgpack."""
        return msgpack.ExtType(code, self.packer.pack(payload))

    def key(self, v: object) -> int | None:
        """The memo key of ``v`` if it was met before, else a new one is taken (returns None)."""
        key = self.keys.get(id(v))
        if key is None:
            self.keys[id(v)] = len(self.keys)
        return key

    def value(self, v: Any) -> Any:
        t = type(v)
        if v is None or t is bool or t is float or t is str or t is bytes:
            return v
        if t is int:
            return v if _INT64[0] <= v <= _INT64[1] else self.ext(T_BIGINT, str(v))
        if t is tuple:
            old = self.key(v)
            if old is not None:
                return self.ext(T_REF, old)
            return self.ext(T_TUPLE, [self.keys[id(v)], [self.value(x) for x in v]])
        if t in _MUTABLE:
            return self.container(v)
        return self.other(v)

    def container(self, v: Any) -> Any:
        if self.shared is None:
            if id(v) in self.seen:
                raise _Aliased
            self.seen.add(id(v))
        elif id(v) in self.shared:
            old = self.key(v)
            if old is not None:
                return self.ext(T_REF, old)
            return self.ext(T_SHARED, [self.keys[id(v)], self.items(v)])
        return self.items(v)

    def items(self, v: Any) -> Any:
        t = type(v)
        if t is arrays.array:
            return self.ext(T_PACKED, _packed(v))
        if t is list:
            if _plain_list(v):  # msgpack packs these lists in C
                return v
            table = self.table(v) if len(v) >= MIN_TABLE_ROWS else None
            return [self.value(x) for x in v] if table is None else table
        if t is dict:
            return {self.value(k): self.value(x) for k, x in v.items()}
        if t is collections.deque:
            return self.ext(T_DEQUE, [v.maxlen, [self.value(x) for x in v]])
        return self.ext(T_SET, [t is frozenset, [self.value(x) for x in v]])

    def name(self, t: type) -> str | None:
        """The allow-listed qualified name of ``t``, or None."""
        if t not in self.names:
            self.names[t] = qualified_name(t) if qualified_name(t) in self.allowed else None
        return self.names[t]

    def table(self, rows: list[Any]) -> msgpack.ExtType | None:
        """``rows`` column-wise (code 13) when they are distinct, unseen objects of one
        allow-listed slotted class with every slot set; None to write them one by one."""
        cls = type(rows[0])
        slots = plain_slots(cls)
        name = self.name(cls)
        if slots is None or len(slots) < 2 or name is None:
            return None
        keys, ids = self.keys, list(map(id, rows))
        if set(map(type, rows)) != {cls} or len(set(ids)) != len(ids):
            return None
        if not keys.keys().isdisjoint(ids):
            return None
        try:
            cells = [list(map(operator.attrgetter(slot), rows)) for slot in slots]
        except AttributeError:  # an unassigned slot
            return None
        first = len(keys)
        keys.update(zip(ids, range(first, first + len(ids)), strict=True))
        columns = [self.column(col) for col in cells]
        return self.ext(T_TABLE, [first, name, len(rows), self.packer.pack(columns)])

    def column(self, col: list[Any]) -> list[Any]:
        """One column of a table as ``[kind, data]`` (the kinds are in the module docstring)."""
        types = set(map(type, col))
        if types == {float}:
            return ["f8", np.array(col, dtype="<f8").tobytes()]
        if types == {int}:
            with contextlib.suppress(OverflowError):
                return ["i8", np.array(col, dtype="<i8").tobytes()]
        if types <= _SCALARS:
            return ["raw", col]
        if types == {tuple}:  # few distinct tuples (routes): each written once
            # in the order first met, not of their addresses: the same state encodes to the
            # same bytes wherever it lives (a decoded or copied state re-encodes exactly)
            by_id = dict(zip(map(id, col), col, strict=True))
            ids, first, rows = np.unique(
                np.fromiter(map(id, col), np.uint64, len(col)),
                return_index=True,
                return_inverse=True,
            )
            order = np.argsort(first)
            rank = np.empty(len(order), dtype="<u4")
            rank[order] = np.arange(len(order), dtype="<u4")
            distinct = [self.value(by_id[i]) for i in ids[order].tolist()]
            return ["tup", [distinct, rank[rows].astype("<u4").tobytes()]]
        if types == {list} and self.float_rows(col):
            return ["f8rows", [len(col[0]), np.array(col, dtype="<f8").tobytes()]]
        if types == {arrays.array} and len(col[0]) and self.float_rows(col):
            raw = b"".join(col)
            return ["d8rows", [len(col[0]), raw if _LITTLE else _swapped(raw)]]
        return ["any", [self.value(x) for x in col]]

    def float_rows(self, col: list[Any]) -> bool:
        """True when every list (or every array) in ``col`` holds floats alone, has one length
        and is unshared (each is then taken as met, for the aliasing check)."""
        width = len(col[0])
        if any(len(x) != width for x in col):
            return False
        if type(col[0]) is arrays.array:
            if any(x.typecode != "d" for x in col):
                return False
        elif not set(map(type, itertools.chain.from_iterable(col))) <= {float}:
            return False
        if self.shared is not None:
            return not any(id(x) in self.shared for x in col)
        ids = set(map(id, col))
        if len(ids) != len(col) or not self.seen.isdisjoint(ids):
            raise _Aliased
        self.seen.update(ids)
        return True

    def other(self, v: Any) -> Any:
        t = type(v)
        if v is _UNSET_SLOT:
            return self.ext(T_UNSET, None)
        if t is np.ndarray:
            return self.ext(T_ARRAY, self.array(v))
        if isinstance(v, np.generic) and v.dtype.kind in _NUMERIC_KINDS:
            return self.ext(T_NPSCALAR, [v.dtype.str, v.tobytes()])
        if t is np.random.Generator:
            bits = v.bit_generator
            self.keep.append(bits.state)
            return self.ext(T_RNG, [type(bits).__name__, self.value(self.keep[-1])])
        name = self.name(t)
        if name is None:
            raise SnapshotError(
                f"snapshot: cannot store a {qualified_name(t)} (not a run-state class); "
                "register it with simulator.engine.snapshot_codec.register_state_class "
                "if it is plain data"
            )
        old = self.key(v)
        if old is not None:
            return self.ext(T_REF, old)
        key = self.keys[id(v)]
        slots = plain_slots(t)
        if slots is not None:  # a flat row in slot order: the common case, and the fastest
            row = [self.value(getattr(v, k, _UNSET_SLOT)) for k in slots]
            return self.ext(T_SLOTS, [key, name, row])
        state = v.__getstate__()
        self.keep.append(state)
        return self.ext(T_OBJECT, [key, name, self.value(state)])

    @staticmethod
    def array(a: np.ndarray) -> list[Any]:
        if a.dtype.kind not in _NUMERIC_KINDS:
            raise SnapshotError(f"snapshot: cannot store a numpy array of dtype {a.dtype}")
        return [a.dtype.str, list(a.shape), np.ascontiguousarray(a).tobytes()]


def decode(data: bytes) -> Any:
    """The object graph ``encode`` wrote; SnapshotError for anything else, never code."""
    if not isinstance(data, bytes | bytearray) or not data.startswith(MAGIC):
        head = bytes(data[:8]) if isinstance(data, bytes | bytearray) else type(data).__name__
        raise SnapshotError(
            f"snapshot: state is not in the {MAGIC.decode()} format (starts {head!r}); "
            "take a new snapshot with this version of matchday"
        )
    decoder = _Decoder(allowed_classes())
    try:
        return decoder.unpack(bytes(data[len(MAGIC) :]))
    except SnapshotError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as err:
        raise SnapshotError(f"snapshot: malformed state ({type(err).__name__}: {err})") from err
    except Exception as err:  # msgpack's own errors (ExtraData, FormatError, ...)
        raise SnapshotError(f"snapshot: malformed state ({type(err).__name__})") from err


_UNSET = object()


class _Decoder:
    def __init__(self, allowed: dict[str, type]) -> None:
        self.allowed = allowed
        self.shared: dict[int, Any] = {}
        self.hooks: dict[int, Callable[[Any], Any]] = {
            T_TUPLE: self.make_tuple,
            T_DEQUE: lambda p: collections.deque(p[1], p[0]),
            T_BIGINT: self.bigint,
            T_OBJECT: self.obj,
            T_ARRAY: self.array,
            T_RNG: self.rng,
            T_SHARED: self.define,
            T_REF: lambda key: self.shared[key],
            T_SET: lambda p: (frozenset if p[0] else set)(p[1]),
            T_NPSCALAR: lambda p: self.array([p[0], [], p[1]])[()],
            T_UNSET: lambda _: _UNSET,
            T_SLOTS: self.slotted,
            T_TABLE: self.table,
            T_PACKED: _unpacked,
        }

    def unpack(self, data: bytes) -> Any:
        return msgpack.unpackb(
            data, ext_hook=self.ext, raw=False, strict_map_key=False, use_list=True
        )

    def ext(self, code: int, payload: bytes) -> Any:
        """The value of an extension: its payload read (recursively) and built by tag."""
        hook = self.hooks.get(code)
        if hook is None:
            raise SnapshotError(f"snapshot: unknown value tag {code}")
        return hook(self.unpack(payload))

    def define(self, p: list[Any]) -> Any:
        key, value = p
        if not isinstance(key, int) or key in self.shared:
            raise SnapshotError(f"snapshot: shared value key {key!r} repeated or not a number")
        self.shared[key] = value
        return value

    def make_tuple(self, p: list[Any]) -> tuple[Any, ...]:
        return cast(tuple[Any, ...], self.define([p[0], tuple(p[1])]))

    @staticmethod
    def bigint(text: str) -> int:
        if not isinstance(text, str) or len(text) > 100:
            raise SnapshotError("snapshot: malformed big integer")
        return int(text)

    def obj(self, p: list[Any]) -> Any:
        key, name, state = p
        return self.define([key, self.build(name, state)])

    def slotted(self, p: list[Any]) -> Any:
        key, name, row = p
        cls = self.allowed.get(name) if isinstance(name, str) else None
        slots = plain_slots(cls) if cls is not None else None
        if cls is None or slots is None or not isinstance(row, list) or len(row) != len(slots):
            raise SnapshotError(
                f"snapshot: refuses {str(name)[:80]!r} as a slotted run-state class"
            )
        obj = cast(Any, cls).__new__(cls)
        setter = object.__setattr__
        for slot, value in zip(slots, row, strict=True):
            if value is not _UNSET:
                setter(obj, slot, value)
        return self.define([key, obj])

    def table(self, p: list[Any]) -> list[Any]:
        """The rows of a table (code 13): made first, so the columns may refer to them."""
        first, name, n, packed = p
        cls = self.allowed.get(name) if isinstance(name, str) else None
        slots = plain_slots(cls) if cls is not None else None
        sizes_ok = isinstance(packed, bytes) and type(n) is int and 0 <= n <= len(packed)
        if slots is None or type(first) is not int or not sizes_ok:
            raise SnapshotError(f"snapshot: refuses {str(name)[:80]!r} as a table of run state")
        keys = range(first, first + n)
        if any(k in self.shared for k in keys):
            raise SnapshotError(f"snapshot: table keys from {first} repeated")
        rows = list(map(cast(Any, cls).__new__, itertools.repeat(cls, n)))
        self.shared.update(zip(keys, rows, strict=True))
        columns = self.unpack(packed)
        if not isinstance(columns, list) or len(columns) != len(slots):
            raise SnapshotError(f"snapshot: malformed table of {name}: {len(slots)} columns wanted")
        setter = object.__setattr__
        for slot, column in zip(slots, columns, strict=True):
            values, plain = _column(column, n)
            if not plain and any(v is _UNSET for v in values):
                for row, value in zip(rows, values, strict=True):
                    if value is not _UNSET:
                        setter(row, slot, value)
            else:  # the slot's own descriptor: no attribute lookup per row
                put = getattr(cls, slot, None)
                if isinstance(put, types.MemberDescriptorType):
                    collections.deque(map(put.__set__, rows, values), maxlen=0)
                else:
                    collections.deque(map(setter, rows, itertools.repeat(slot), values), maxlen=0)
        return rows

    def build(self, name: object, state: Any) -> Any:
        cls = self.allowed.get(name) if isinstance(name, str) else None
        if cls is None:
            raise SnapshotError(
                f"snapshot: refuses to create {str(name)[:80]!r}: not a run-state class"
            )
        obj = cast(Any, cls).__new__(cls)
        if getattr(cls, "__setstate__", None) is not getattr(object, "__setstate__", None):
            obj.__setstate__(state)
            return obj
        pair = isinstance(state, tuple | list) and len(state) == 2
        attrs, slots = state if pair else (state, None)
        for part in (attrs, slots):
            if part is None:
                continue
            if not isinstance(part, dict) or not all(isinstance(k, str) for k in part):
                raise SnapshotError(f"snapshot: malformed state of {name}")
            for key, value in part.items():
                object.__setattr__(obj, key, value)  # frozen value objects too
        return obj

    @staticmethod
    def array(p: list[Any]) -> np.ndarray:
        dtype_text, shape, raw = p
        dtype = np.dtype(str(dtype_text))
        if dtype.kind not in _NUMERIC_KINDS or not all(isinstance(n, int) for n in shape):
            raise SnapshotError(f"snapshot: refuses a numpy array of dtype {dtype}")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()

    @staticmethod
    def rng(p: list[Any]) -> np.random.Generator:
        name, state = p
        make = BIT_GENERATORS.get(name) if isinstance(name, str) else None
        if make is None:
            raise SnapshotError(f"snapshot: unknown random bit generator {str(name)[:40]!r}")
        bits = make()
        bits.state = state
        return np.random.Generator(bits)


def _column(column: Any, n: int) -> tuple[list[Any], bool]:
    """The ``n`` values of one table column (SnapshotError if it does not hold ``n``), and
    whether they are numbers alone (no value can be an unassigned slot)."""
    if not isinstance(column, list) or len(column) != 2:
        raise SnapshotError("snapshot: malformed table column")
    kind, data = column
    values: list[Any]
    if kind in ("f8", "i8"):
        values = np.frombuffer(data, dtype="<" + kind).tolist()
    elif kind in ("raw", "any"):
        values = data
    elif kind == "tup":
        distinct, raw = data
        index = np.frombuffer(raw, dtype="<u4")
        if len(index) and int(index.max()) >= len(distinct):
            raise SnapshotError("snapshot: table column refers past its distinct values")
        values = list(map(distinct.__getitem__, index.tolist()))
    elif kind == "f8rows":
        width, raw = data
        floats = np.frombuffer(raw, dtype="<f8")
        if type(width) is not int or width < 0 or len(floats) != n * width:
            raise SnapshotError("snapshot: malformed table column of float rows")
        values = floats.reshape(n, width).tolist()
    elif kind == "d8rows":
        width, raw = data
        if (
            type(width) is not int
            or width < 1
            or type(raw) is not bytes
            or len(raw) != 8 * n * width
        ):
            raise SnapshotError("snapshot: malformed table column of float arrays")
        raw = raw if _LITTLE else _swapped(raw)
        step = 8 * width
        values = [arrays.array("d", raw[i : i + step]) for i in range(0, step * n, step)]
    else:
        raise SnapshotError(f"snapshot: unknown table column kind {str(kind)[:20]!r}")
    if not isinstance(values, list) or len(values) != n:
        raise SnapshotError(f"snapshot: a table column holds other than {n} values")
    return values, kind in ("f8", "i8", "f8rows", "d8rows")


_LITTLE = sys.byteorder == "little"


def _swapped(raw: bytes, code: str = "d") -> bytes:
    """The values of ``raw`` (of ``array`` type code ``code``) in the other byte order: the
    one helper both the float rows of a table and packed arrays (code 14) go through."""
    a = arrays.array(code)
    a.frombytes(raw)
    a.byteswap()
    return a.tobytes()


def _packed(a: arrays.array[Any]) -> list[Any]:
    """Payload of code 14: the type code and the values as little-endian bytes."""
    if a.typecode not in _TYPECODES:
        raise SnapshotError(f"snapshot: cannot store an array of type code {a.typecode!r}")
    raw = a.tobytes()
    return [a.typecode, raw if _LITTLE else _swapped(raw, a.typecode)]


def _unpacked(p: list[Any]) -> arrays.array[Any]:
    code, raw = p
    if code not in _TYPECODES or type(raw) is not bytes:
        raise SnapshotError(f"snapshot: refuses an array of type code {str(code)[:8]!r}")
    a = arrays.array(code)
    if len(raw) % a.itemsize:
        raise SnapshotError("snapshot: malformed array: not whole values")
    a.frombytes(raw if _LITTLE else _swapped(raw, code))
    return a
