"""Everything that changes during a run, in one picklable object: the state a snapshot holds.

The SimPy environment is not part of it: events go to whatever clock drives the run (``push``)
as plain data ``(time, kind, a, b)``. When a snapshot is taken the clock's queue is copied into
``pending`` in its order, so the run can be pickled at any instant and resumed with its events
re-queued in their original order; without a clock, events collect in ``pending``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from simulator.engine.checkpoint import TurnstileBank
from simulator.engine.link import Walkway
from simulator.engine.party import Party

# event kinds: (time, kind, a, b)
K_LINK, K_ADMIT, K_LANE_FREE, K_PARTY_SCREENED = 0, 1, 2, 3
K_ARRIVAL, K_RELEASE, K_SOURCE, K_SAMPLE, K_GATES = 4, 5, 6, 7, 8
K_VEHICLE, K_CAR, K_LEVER = 9, 10, 11  # simulator.transport and simulator.levers.runner
K_PLACE = 12  # simulator.engine.place: the head of a place has crossed it (physics, issue 11)

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
        arrivals: list[int],
        releases: list[int],
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
        self.samples: dict[str, list[Any]] = {c: [] for c in SAMPLE_COLUMNS}
        self.transport: Any = None  # simulator.transport.state.TransportState
        self.levers: Any = None  # simulator.levers.model.LeverState
        self.places: list[Any] = []  # simulator.engine.place.Place or None per node
        self.events = 0  # processed so far, for events/s in benchmarks
        self.push: Callable[[float, int, int, int], None] = self.hold

    def schedule(self, t: float, kind: int, a: int = 0, b: int = 0) -> None:
        """Hand an event to the clock driving the run (or keep it until there is one)."""
        self.push(t, kind, a, b)

    def hold(self, t: float, kind: int, a: int, b: int) -> None:
        self.pending.append((t, kind, a, b))

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["push"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.push = self.hold
