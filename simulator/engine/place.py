"""A place at run time: finite storage, and a walk across it on a distance clock.

Areas (plazas, forecourts, concourses, junctions), checkpoint queue pens and the origins that
have a floor hold at most ``floor(k_jam x floor)`` people. A full place admits nobody: the head
of an inbound link waits on the link (registered in ``blocked``) and an arrival from outside
waits off the floor (``outside``), so a queue spills back through any chain of links and
places and nobody is lost. When someone leaves, the blocked heads are woken in the order they
were held.

Crossing an area takes time: everyone in it walks at the speed of its current head count, so
the place keeps ``clock = ∫ v(n) dt`` exactly like a one-way link, and a party has crossed when
``clock - entry = walk length``. Everyone crosses the same distance at the same speed, so the
crossings finish in the order they began: one FIFO and one pending event per place. ``n``
counts everyone in the place (crossing, waiting to leave, queuing), the same count the
occupancy samples show.
"""

from __future__ import annotations

import math
from collections import deque

from simulator.engine.link import ARRIVAL_SLACK_S

INF = math.inf


class Place:
    """Run-time state of one bounded node; the speed table stays with the engine's plan."""

    __slots__ = ("blocked", "clock", "due", "fifo", "max_n", "n", "node", "outside", "t_last")

    def __init__(self, node: int, t0: float) -> None:
        self.node = node
        self.n = 0
        self.max_n = 0
        self.clock = 0.0
        self.t_last = t0
        self.fifo: deque[tuple[float, int]] = deque()  # (clock at entry, party) crossing
        self.due = INF  # the pending crossing event
        self.blocked: list[tuple[int, int]] = []  # (link, direction) heads held by a full place
        self.outside: deque[int] = deque()  # arrivals waiting off the floor (origins)

    def advance(self, t: float, speeds: list[float]) -> None:
        dt = t - self.t_last
        if dt > 0.0:
            n = self.n
            self.clock += speeds[n if n < len(speeds) else -1] * dt
            self.t_last = t

    def recount(self, n: int) -> None:
        """Take the node's occupancy after a change (the clock was advanced before it)."""
        self.n = n
        if n > self.max_n:
            self.max_n = n

    def start_crossing(self, party: int, t: float, length: float, speeds: list[float]) -> float:
        """A party begins to cross; return when the head finishes (INF if not the head)."""
        self.advance(t, speeds)
        self.fifo.append((self.clock, party))
        if len(self.fifo) > 1:
            return INF
        return self.head_time(t, length, speeds)

    def head_time(self, t: float, length: float, speeds: list[float]) -> float:
        if not self.fifo:
            return INF
        self.advance(t, speeds)
        n = self.n
        speed = speeds[n if n < len(speeds) else -1]
        remaining = self.fifo[0][0] + length - self.clock
        return t + remaining / speed if remaining > speed * ARRIVAL_SLACK_S else t

    def finish_crossing(self, t: float, length: float, speeds: list[float]) -> int | float:
        """The head's party if it has crossed by ``t``, else the time to look again."""
        when = self.head_time(t, length, speeds)
        if when > t:
            return when
        return self.fifo.popleft()[1]
