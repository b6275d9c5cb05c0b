"""``Agenda``: SimPy's ``Environment`` with one queue for SimPy events and the run's events.

SimPy is the clock of a run. ``Agenda`` subclasses ``simpy.Environment`` the way SimPy's own
``simpy.rt.RealtimeEnvironment`` does, overriding the documented members ``now``,
``schedule()``, ``peek()`` and ``step()`` (the environment interface SimPy's events are built on:
every ``Timeout``, ``Process`` start or ``succeed()`` goes through ``schedule()``), so it reads
no private attribute of SimPy's. It adds two things:

* **Run events as plain data.** The engine queues about 16 events per party; each is
  ``(kind, a, b)`` packed in one int (a tuple when ``a`` or ``b`` does not fit: see ``pack``)
  and queued by ``at(t, kind, a, b)`` where SimPy queues an event object, sorted by
  (time, priority, insertion counter) exactly as SimPy sorts its own, and dispatched by
  ``advance`` straight to the engine's ``dispatch``. The queue (``EventQueue``) and the engine
  are compiled classes, so the compiled run calls its handlers without boxing an argument.
* **Exact absolute times.** ``at`` takes the absolute time, not ``now + delay`` (which rounds
  differently after a warm start), so a run resumed from a snapshot replays the uninterrupted
  run bit for bit.

SimPy events and processes (``env.process``, ``env.timeout``, ``env.event``, resources) share
the same queue and counter, so a researcher's process runs beside the engine's events in a
deterministic order. ``env.run(until=...)`` works as in SimPy; ``Simulation.run`` uses the
faster ``advance``. Snapshots hold only run events (a SimPy process is a live generator).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, final

import simpy
from simpy.core import EmptySchedule, Infinity, StopSimulation
from simpy.events import NORMAL, Event, EventPriority

from simulator.engine.world import World

RunEvent = tuple[int, int, int]  # (kind, a, b)
# an event's place among those queued at the same time: priority x 2^48 + insertion counter,
# which orders as the (priority, counter) pair SimPy sorts by (a counter stays below 2^48)
PRIORITY: Final = 1 << 48
KIND_BITS: Final = 5
FIELD_BITS: Final = 28
KINDS: Final = 1 << KIND_BITS
FIELD: Final = 1 << FIELD_BITS
FIELD_MASK: Final = FIELD - 1
B_SHIFT: Final = KIND_BITS + FIELD_BITS


def pack(kind: int, a: int, b: int) -> object:
    """A run event as one small int (no tuple, no boxed fields); a tuple when a field is
    negative or too big for 28 bits (a part's own events may carry any ints)."""
    if 0 <= kind < KINDS and 0 <= a < FIELD and 0 <= b < FIELD:
        return kind | a << KIND_BITS | b << B_SHIFT
    return (kind, a, b)


def unpack(code: object) -> RunEvent | None:
    """The (kind, a, b) of a queued run event; None for a SimPy event."""
    if isinstance(code, int):
        return code & (KINDS - 1), code >> KIND_BITS & FIELD_MASK, code >> B_SHIFT
    if isinstance(code, tuple):
        return code[0], code[1], code[2]
    return None


class Dispatcher:
    """The engine side of a run: ``dispatch(kind, a, b)`` acts on one run event.

    ``Dynamics`` is one; a compiled class, so the compiled queue calls it natively.
    """

    def dispatch(self, kind: int, a: int, b: int) -> None:
        raise NotImplementedError


@final
class Entry:
    """One queued event: its time, its place among those at that time (priority x 2^48 +
    insertion counter) and the event (a packed run event, a RunEvent or a SimPy event)."""

    def __init__(self, t: float, key: int, code: object) -> None:
        self.t = t
        self.key = key
        self.code = code


def push(heap: list[Entry], entry: Entry) -> None:
    """``heapq.heappush`` by (t, key), compiled: two native compares where heapq compares
    tuples item by item through the generic protocol."""
    heap.append(entry)
    _climb(heap, len(heap) - 1, entry)


def _climb(heap: list[Entry], pos: int, entry: Entry) -> None:
    """Put ``entry`` at ``pos`` or above it, moving down the parents that sort after it."""
    t, key = entry.t, entry.key
    while pos > 0:
        up = (pos - 1) >> 1
        parent = heap[up]
        if t < parent.t or (t == parent.t and key < parent.key):
            heap[pos] = parent
            pos = up
        else:
            break
    heap[pos] = entry


def pop(heap: list[Entry]) -> Entry:
    """``heapq.heappop`` by (t, key): the hole at the root goes down to a leaf by the smaller
    child, then the last entry climbs from there (heapq's order of compares)."""
    last = heap.pop()
    n = len(heap)
    if not n:
        return last
    top = heap[0]
    pos = 0
    child = 1
    while child < n:
        low = heap[child]  # the smaller child, read once
        right = child + 1
        if right < n:
            other = heap[right]
            if not (low.t < other.t or (low.t == other.t and low.key < other.key)):
                child, low = right, other
        heap[pos] = low
        pos = child
        child = 2 * pos + 1
    _climb(heap, pos, last)
    return top


@final
class EventQueue:
    """The one queue of a run: SimPy's events and the run's, and the clock.

    A binary heap of ``Entry`` by (time, priority, insertion counter), the order SimPy sorts
    its own queue by. A compiled class: its state is native attributes, and ``advance`` is the
    hot loop of a run.
    """

    def __init__(self, state: World) -> None:
        self.heap: list[Entry] = []
        self.seq = 0  # the insertion counter
        self.t: float = state.now  # the clock
        self.state = state

    def at(self, t: float, kind: int, a: int, b: int) -> None:
        """Queue run event (kind, a, b) at absolute time ``t`` (SimPy's NORMAL priority)."""
        seq = self.seq
        self.seq = seq + 1
        if 0 <= kind < KINDS and 0 <= a < FIELD and 0 <= b < FIELD:  # pack(), inlined
            code: object = kind | a << KIND_BITS | b << B_SHIFT
        else:
            code = (kind, a, b)
        push(self.heap, Entry(t, PRIORITY + seq, code))

    def put(self, t: float, priority: int, event: object) -> None:
        """Queue a SimPy event at ``t`` with SimPy's ``priority`` (lower first)."""
        seq = self.seq
        self.seq = seq + 1
        push(self.heap, Entry(t, priority * PRIORITY + seq, event))

    def next_time(self) -> float:
        """When the next queued event is due; ``Infinity`` if none."""
        return self.heap[0].t if self.heap else Infinity

    def step(self, engine: Dispatcher, process: Callable[[Any], None]) -> None:
        """Process the next queued event, SimPy's (``process``) or the run's."""
        entry = pop(self.heap)
        self.t = entry.t
        state = self.state
        state.now = entry.t
        code = entry.code
        if isinstance(code, int):
            engine.dispatch(code & (KINDS - 1), code >> KIND_BITS & FIELD_MASK, code >> B_SHIFT)
            state.events += 1
        elif isinstance(code, tuple):
            engine.dispatch(code[0], code[1], code[2])
            state.events += 1
        else:
            process(code)

    def advance(self, end: float, engine: Dispatcher, process: Callable[[Any], None]) -> None:
        """Process every queued event due at or before ``end``: the hot loop of a run."""
        heap, state = self.heap, self.state
        processed = 0
        while heap:
            first = heap[0]
            if first.t > end:
                break
            code = first.code
            if isinstance(code, int):
                pop(heap)
                self.t = state.now = first.t
                engine.dispatch(code & (KINDS - 1), code >> KIND_BITS & FIELD_MASK, code >> B_SHIFT)
                processed += 1
            elif isinstance(code, tuple):
                pop(heap)
                self.t = state.now = first.t
                engine.dispatch(code[0], code[1], code[2])
                processed += 1
            else:
                self.step(engine, process)
        state.events += processed

    def pending(self) -> list[tuple[float, int, int, int]]:
        """The run's queued events in the order they will be processed."""
        out = []
        for entry in sorted(self.heap, key=lambda e: (e.t, e.key)):
            event = unpack(entry.code)
            if event is not None:
                out.append((entry.t, event[0], event[1], event[2]))
        return out


class Agenda(simpy.Environment):
    """A SimPy environment that also queues run events at exact absolute times.

    ``engine.dispatch(kind, a, b)`` handles a run event; ``state.now`` follows the clock.
    """

    def __init__(self, queue: EventQueue, engine: Dispatcher) -> None:
        super().__init__(initial_time=queue.t)
        self.queue = queue
        self.engine = engine
        self.at = queue.at  # at(t, kind, a, b): a run event at absolute time t

    @property
    def now(self) -> float:
        """The current simulation time."""
        return self.queue.t

    def schedule(self, event: Event, priority: EventPriority = NORMAL, delay: float = 0) -> None:
        """Schedule a SimPy ``event`` with ``priority`` after ``delay`` (SimPy's contract)."""
        self.queue.put(self.queue.t + delay, priority, event)

    def peek(self) -> float:
        """Time of the next queued event, SimPy's or the run's; ``Infinity`` if none."""
        return self.queue.next_time()

    def step(self) -> None:
        """Process the next queued event, SimPy's or the run's."""
        if not self.queue.heap:
            raise EmptySchedule
        self.queue.step(self.engine, self._process)

    def _process(self, event: Event) -> None:
        """Run a SimPy event's callbacks, as ``simpy.Environment.step`` does."""
        callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
        for i, callback in enumerate(callbacks):
            try:
                callback(event)
            except StopSimulation:  # env.run(until=...) reached: keep the rest for later
                event.callbacks = callbacks[i + 1 :]
                self.schedule(event, EventPriority(-1))
                raise
        if not event.ok and not event.defused:  # a failed event nobody handled
            failure = event.value
            assert isinstance(failure, BaseException)  # a failed event's value is its exception
            exc = type(failure)(*failure.args)
            exc.__cause__ = failure
            raise exc

    def advance(self, end: float) -> None:
        """Process every queued event due at or before ``end``: the hot loop of a run."""
        self.queue.advance(end, self.engine, self._process)

    def wait_until(self, t: float) -> None:
        """Move the clock on to ``t``, when nothing is due before it (the end of a run call)."""
        due = self.queue.next_time()
        if due < t:
            raise ValueError(f"wait_until({t}): an event is due at {due} before it")
        self.queue.t = self.queue.state.now = max(self.queue.t, t)

    def pending(self) -> list[tuple[float, int, int, int]]:
        """The run's queued events in the order they will be processed."""
        return self.queue.pending()
