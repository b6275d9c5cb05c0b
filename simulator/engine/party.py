"""A party: up to six fans who move together, the unit the engine moves through the venue.

Fans are counted one by one in occupancies and densities; a party's times are shared by its
members in the fans table. ``QUEUE`` and ``SERVICE`` are the times at the ticket gate (or the
first checkpoint of a route without one); a chain's perimeter search has its own pair,
``PERIMETER_QUEUE`` and ``PERIMETER_SERVICE`` (the first perimeter checkpoint passed).
"""

from __future__ import annotations

import math
from array import array

from mypy_extensions import mypyc_attr

NAN = math.nan

# indices into Party.times
ARRIVE, QUEUE, SERVICE, SEATED, RELEASE, LEFT, PERIMETER_QUEUE, PERIMETER_SERVICE = range(8)
TIME_COLUMNS = (
    "arrive_s",
    "queue_start_s",
    "service_start_s",
    "seated_s",
    "release_s",
    "left_s",
    "perimeter_queue_s",
    "perimeter_service_s",
)
N_TIMES = len(TIME_COLUMNS)
# a party's times are packed doubles: a list would hold a 24-byte float object per time set,
# and every party of the day is alive at once (issue 14)
_NO_TIMES = array("d", [NAN] * N_TIMES)

# Party.phase; HALFTIME: a seated fan on the way to the concourse and back (simulator.engine.dwell)
INGRESS, EGRESS, SOURCE, HALFTIME = 0, 1, 2, 3

# A route step: (node index, checkpoint bank index serving here or -1, link index or -1, direction)
Step = tuple[int, int, int, int]


# a Party's attributes (mypyc, compiling this module, keeps no __slots__ on the class: the
# warm start's copier and the tests read these names)
PARTY_FIELDS = (
    "destination",
    "first_fan",
    "gate",
    "id",
    "origin",
    "pending",
    "phase",
    "pos",
    "release_at",
    "route",
    "sector",
    "size",
    "times",
)


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)  # snapshots: see setup.py
class Party:
    """Mutable run-time state of one party; pickled with the run for snapshots."""

    __slots__ = PARTY_FIELDS

    def __init__(
        self, pid: int, size: int, first_fan: int, origin: int, sector: int, phase: int
    ) -> None:
        self.id = pid
        self.size = size
        self.first_fan = first_fan
        self.origin = origin  # node index
        self.sector = sector  # node index, -1 for none
        self.gate = -1  # checkpoint bank index, -1 for none
        self.destination = origin  # egress destination node index
        self.phase = phase
        self.route: tuple[Step, ...] = ()
        self.pos = 0
        self.pending = 0  # members still in service at a checkpoint
        self.release_at = NAN
        self.times = array("d", _NO_TIMES)

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # a flat tuple pickles and loads several times faster than the slots' state dict,
        # and a snapshot carries every party
        return _restore, (
            self.id,
            self.size,
            self.first_fan,
            self.origin,
            self.sector,
            self.gate,
            self.destination,
            self.phase,
            self.route,
            self.pos,
            self.pending,
            self.release_at,
            self.times,
        )


def _restore(
    pid: int,
    size: int,
    first_fan: int,
    origin: int,
    sector: int,
    gate: int,
    destination: int,
    phase: int,
    route: tuple[Step, ...],
    pos: int,
    pending: int,
    release_at: float,
    times: array[float],
) -> Party:
    party = Party(pid, size, first_fan, origin, sector, phase)
    party.gate, party.destination, party.route, party.pos = gate, destination, route, pos
    party.pending, party.release_at, party.times = pending, release_at, times
    return party


def copy_parties(parties: list[Party]) -> list[Party]:
    """Independent copies of ``parties``, every slot equal: the packed times copied, the
    routes (tuples of numbers) shared. The run state's in-memory fork
    (``simulator.engine.fork``) copies the day's parties with this, compiled: several times
    cheaper than creating them slot by slot from interpreted code."""
    out: list[Party] = []
    for p in parties:
        q = Party(p.id, p.size, p.first_fan, p.origin, p.sector, p.phase)
        q.gate = p.gate
        q.destination = p.destination
        q.route = p.route
        q.pos = p.pos
        q.pending = p.pending
        q.release_at = p.release_at
        q.times = p.times[:]
        out.append(q)
    return out
