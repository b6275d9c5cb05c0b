"""``Agenda``: SimPy's ``Environment`` with one queue for SimPy events and the run's events.

SimPy is the clock of a run. ``Agenda`` subclasses ``simpy.Environment`` the way SimPy's own
``simpy.rt.RealtimeEnvironment`` does, overriding the documented members ``now``,
``schedule()``, ``peek()`` and ``step()`` (the environment interface SimPy's events are built on:
every ``Timeout``, ``Process`` start or ``succeed()`` goes through ``schedule()``), so it reads
no private attribute of SimPy's. It adds two things:

* **Run events as plain data.** The engine queues about 16 events per party; each is a tuple
  ``(kind, a, b)`` queued by ``at(t, kind, a, b)`` where SimPy queues an event object, sorted by
  (time, priority, insertion counter) exactly as SimPy sorts its own, and dispatched by
  ``advance`` straight to its handler. One allocation per event, no callbacks list.
* **Exact absolute times.** ``at`` takes the absolute time, not ``now + delay`` (which rounds
  differently after a warm start), so a run resumed from a snapshot replays the uninterrupted
  run bit for bit.

SimPy events and processes (``env.process``, ``env.timeout``, ``env.event``, resources) share
the same queue and counter, so a researcher's process runs beside the engine's events in a
deterministic order. ``env.run(until=...)`` works as in SimPy; ``Simulation.run`` uses the
faster ``advance``. Snapshots hold only run events (a SimPy process is a live generator).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from heapq import heappop, heappush
from itertools import count
from typing import Any, Protocol

import simpy
from simpy.core import EmptySchedule, Infinity, StopSimulation
from simpy.events import NORMAL, Event, EventPriority

RunEvent = tuple[int, int, int]  # (kind, a, b)
Entry = tuple[float, int, int, Any]  # (time, priority, insertion counter, Event or RunEvent)
Handlers = Sequence[Callable[[int, int], None]]


class RunClock(Protocol):
    """The run state's copy of the time (handlers read ``world.now``) and its event count."""

    now: float
    events: int


class Agenda(simpy.Environment):
    """A SimPy environment that also queues run events at exact absolute times.

    ``handlers[kind](a, b)`` handles a run event; ``state.now`` follows the clock.
    """

    def __init__(self, state: RunClock, handlers: Handlers) -> None:
        super().__init__(initial_time=state.now)
        self.t = state.now  # the clock, read through ``now``
        self.state = state
        self.agenda: list[Entry] = []
        self.order = count()
        self.handlers = handlers
        agenda, order = self.agenda, self.order

        def at(t: float, kind: int, a: int, b: int) -> None:
            heappush(agenda, (t, NORMAL, next(order), (kind, a, b)))

        self.at = at  # a closure: no attribute look-ups on a path taken ~16 times per party

    @property
    def now(self) -> float:
        """The current simulation time."""
        return self.t

    def schedule(self, event: Event, priority: EventPriority = NORMAL, delay: float = 0) -> None:
        """Schedule a SimPy ``event`` with ``priority`` after ``delay`` (SimPy's contract)."""
        heappush(self.agenda, (self.t + delay, priority, next(self.order), event))

    def peek(self) -> float:
        """Time of the next queued event, SimPy's or the run's; ``Infinity`` if none."""
        return self.agenda[0][0] if self.agenda else Infinity

    def step(self) -> None:
        """Process the next queued event, SimPy's or the run's."""
        try:
            self.t, _, _, item = heappop(self.agenda)
        except IndexError:
            raise EmptySchedule from None
        self.state.now = self.t
        if item.__class__ is tuple:
            self.handlers[item[0]](item[1], item[2])
            self.state.events += 1
        else:
            self._process(item)

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
        agenda, handlers, state = self.agenda, self.handlers, self.state
        processed = 0
        while agenda and agenda[0][0] <= end:
            item = agenda[0][3]
            if item.__class__ is tuple:
                self.t = state.now = heappop(agenda)[0]
                handlers[item[0]](item[1], item[2])
                processed += 1
            else:
                self.step()
        state.events += processed

    def wait_until(self, t: float) -> None:
        """Move the clock on to ``t``, when nothing is due before it (the end of a run call)."""
        if self.agenda and self.agenda[0][0] < t:
            raise ValueError(f"wait_until({t}): an event is due at {self.agenda[0][0]} before it")
        self.t = self.state.now = max(self.t, t)

    def pending(self) -> list[tuple[float, int, int, int]]:
        """The run's queued events in the order they will be processed."""
        ordered = sorted(self.agenda, key=lambda q: q[:3])
        return [(q[0], *q[3]) for q in ordered if q[3].__class__ is tuple]
