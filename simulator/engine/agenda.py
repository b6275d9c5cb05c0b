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
from heapq import heappop, heappush
from typing import Any, Final, final

import simpy
from simpy.core import EmptySchedule, Infinity, StopSimulation
from simpy.events import NORMAL, Event, EventPriority

from simulator.engine.world import World

RunEvent = tuple[int, int, int]  # (kind, a, b)
# (time, priority x 2^48 + insertion counter, a packed run event, a RunEvent or a SimPy Event):
# one int orders as the (priority, counter) pair SimPy sorts by, with a counter below 2^48
Entry = tuple[float, int, object]
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
class EventQueue:
    """The one queue of a run: SimPy's events and the run's, and the clock.

    A compiled class: its state is native attributes, and ``advance`` is the hot loop.
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
        heappush(self.heap, (t, PRIORITY + seq, code))

    def put(self, t: float, priority: int, event: object) -> None:
        """Queue a SimPy event at ``t`` with SimPy's ``priority`` (lower first)."""
        seq = self.seq
        self.seq = seq + 1
        heappush(self.heap, (t, priority * PRIORITY + seq, event))

    def peek(self) -> float:
        return self.heap[0][0] if self.heap else Infinity

    def step(self, engine: Dispatcher, process: Callable[[Any], None]) -> None:
        """Process the next queued event, SimPy's (``process``) or the run's."""
        t, _, code = heappop(self.heap)
        self.t = t
        state = self.state
        state.now = t
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
            t, _, code = heap[0]
            if t > end:
                break
            if isinstance(code, int):
                heappop(heap)
                self.t = t
                state.now = t
                engine.dispatch(code & (KINDS - 1), code >> KIND_BITS & FIELD_MASK, code >> B_SHIFT)
                processed += 1
            elif isinstance(code, tuple):
                heappop(heap)
                self.t = t
                state.now = t
                engine.dispatch(code[0], code[1], code[2])
                processed += 1
            else:
                self.step(engine, process)
        state.events += processed

    def pending(self) -> list[tuple[float, int, int, int]]:
        """The run's queued events in the order they will be processed."""
        out = []
        for t, _, code in sorted(self.heap, key=lambda q: (q[0], q[1])):
            event = unpack(code)
            if event is not None:
                out.append((t, event[0], event[1], event[2]))
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
        return self.queue.peek()

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
        heap = self.queue.heap
        if heap and heap[0][0] < t:
            raise ValueError(f"wait_until({t}): an event is due at {heap[0][0]} before it")
        self.queue.t = self.queue.state.now = max(self.queue.t, t)

    def pending(self) -> list[tuple[float, int, int, int]]:
        """The run's queued events in the order they will be processed."""
        return self.queue.pending()
