"""Everything that changes during a run, in one picklable object: the state a snapshot holds.

The SimPy environment is not part of it: events go to whatever clock drives the run (``push``)
as plain data ``(time, kind, a, b)``. When a snapshot is taken the clock's queue is copied into
``pending`` in its order, so the run can be pickled at any instant and resumed with its events
re-queued in their original order; without a clock, events collect in ``pending``.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from enum import IntEnum
from typing import Any, Final

import numpy as np
from mypy_extensions import mypyc_attr

from simulator.engine.checkpoint import TurnstileBank
from simulator.engine.link import Walkway
from simulator.engine.party import Party


class Kind(IntEnum):
    """The kind of a run event ``(time, kind, a, b)``; each has exactly one handler.

    The engine (``simulator.engine.dynamics``) handles LINK to GATES and PLACE; an engine
    part (``simulator.engine.parts``) claims VEHICLE, CAR and LEVER in its ``handlers()``.
    The numbers index the dispatch table and are stored in snapshots: append new kinds,
    never renumber.
    """

    LINK = 0  # the head of (link a, direction b) may be due to leave
    ADMIT = 1  # (link a, direction b) may let its next waiting party on
    LANE_FREE = 2  # a lane of turnstile bank a is free
    PARTY_SCREENED = 3  # the last member of party b is through bank a
    ARRIVAL = 4  # the next ingress party reaches its origin
    RELEASE = 5  # the next party's moment to leave its seat
    SOURCE = 6  # background source a emits a party
    SAMPLE = 7  # take a sample of every element
    GATES = 8  # the gates open: held parties set off
    VEHICLE = 9  # line a: a vehicle calls, departs or is back (b); simulator.transport
    CAR = 10  # car park a: the next car passes the barrier; simulator.transport
    LEVER = 11  # lever a: its window opens or closes (b); simulator.levers
    PLACE = 12  # the head of place a has walked across it (simulator.engine.place)
    DWELL = 13  # party b has done dwelling on the floor of node a (simulator.engine.dwell)
    SERVICE_FREE = 14  # a server of service point a is free
    SERVED = 15  # the last member of party b is served at service point a
    HALFTIME = 16  # the half-time whistle: seated fans choose whether to leave
    HT_LEAVE = 17  # party b leaves its seat for its concourse


# plain ints for the hot path and for snapshots (an enum member pickles by class path); Final
# literals, so that the compiled engine inlines them instead of looking up a module global
K_LINK: Final = 0
K_ADMIT: Final = 1
K_LANE_FREE: Final = 2
K_PARTY_SCREENED: Final = 3
K_ARRIVAL: Final = 4
K_RELEASE: Final = 5
K_SOURCE: Final = 6
K_SAMPLE: Final = 7
K_GATES: Final = 8
K_VEHICLE: Final = 9
K_CAR: Final = 10
K_LEVER: Final = 11
K_PLACE: Final = 12
K_DWELL: Final = 13
K_SERVICE_FREE: Final = 14
K_SERVED: Final = 15
K_HALFTIME: Final = 16
K_HT_LEAVE: Final = 17
_NUMBERS = (
    K_LINK,
    K_ADMIT,
    K_LANE_FREE,
    K_PARTY_SCREENED,
    K_ARRIVAL,
    K_RELEASE,
    K_SOURCE,
    K_SAMPLE,
    K_GATES,
    K_VEHICLE,
    K_CAR,
    K_LEVER,
    K_PLACE,
    K_DWELL,
    K_SERVICE_FREE,
    K_SERVED,
    K_HALFTIME,
    K_HT_LEAVE,
)
if tuple(k.value for k in Kind) != _NUMBERS:  # a kind added to one and not the other
    raise RuntimeError("simulator.engine.world: the K_ constants do not number Kind")

SAMPLE_COLUMNS = (
    "time_s",
    "element",
    "element_type",
    "occupancy",
    "density_per_m2",
    "los",
    "outflow_per_min",
    "mean_wait_s",
)


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)  # snapshots: see setup.py
class World:
    """Mutable run state: links, checkpoints, parties, counters, samples, pending events."""

    def __init__(
        self,
        rng: np.random.Generator,
        t0: float,
        links: list[Walkway],
        banks: list[TurnstileBank],
        n_elements: int,
        parties: list[Party],
        arrivals: array[int],  # packed party indices: see demand.order_by
        releases: array[int],
    ) -> None:
        self.rng = rng
        self.start = t0
        self.now = t0
        self.pending: list[tuple[float, int, int, int]] = []
        self.links = links
        self.banks = banks
        self.occ = [0] * n_elements
        self.outflow = [0] * n_elements
        self.parties = parties
        self.arrivals = arrivals
        self.next_arrival = 0
        self.releases = releases
        self.next_release = 0
        self.held: list[int] = []  # parties waiting at their origin for the gates to open
        self.fans_expected = sum(p.size for p in parties)
        self.next_fan = self.fans_expected
        self.arrived = 0
        self.seated = 0
        self.left = 0
        self.dropped = 0
        self.rerouted: set[int] = set()  # parties sent another way by a closure
        self.reseated: set[int] = set()  # egress parties the counts sent back to their seats
        self.unroutable: dict[int, int] = {}  # party: its phase when a closure left no way on
        self.samples: dict[str, list[Any]] = {c: [] for c in SAMPLE_COLUMNS}
        self.transport: Any = None  # simulator.transport.state.TransportState
        self.levers: Any = None  # simulator.levers.model.LeverState
        self.places: list[Any] = []  # simulator.engine.place.Place or None per node
        self.dwell: Any = None  # simulator.engine.dwell.DwellState
        self.events = 0  # processed so far, for events/s in benchmarks
        self.push: Callable[[float, int, int, int], None] = self.hold

    def schedule(self, t: float, kind: int, a: int = 0, b: int = 0) -> None:
        """Hand an event to the clock driving the run (or keep it until there is one)."""
        self.push(t, kind, a, b)

    def hold(self, t: float, kind: int, a: int, b: int) -> None:
        self.pending.append((t, kind, a, b))

    def __getstate__(self) -> dict[str, Any]:
        # the attributes in the order __init__ sets them, interpreted (the instance dict) or
        # compiled (mypyc keeps no __dict__ and lists them in that order in __mypyc_attrs__)
        names = getattr(World, "__mypyc_attrs__", None)
        state = {k: getattr(self, k) for k in names} if names else self.__dict__.copy()
        del state["push"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            setattr(self, key, value)
        self.push = self.hold
