"""A place at run time: finite storage, and a walk across it on a distance clock.

Areas (plazas, forecourts, concourses, junctions), checkpoint queue pens and the origins that
have a floor hold at most ``floor(k_jam x floor)`` people. A full place admits nobody: the head
of an inbound link waits on the link (registered in ``blocked``) and an arrival from outside
waits off the floor (``outside``), so a queue spills back through any chain of links and
places and nobody is lost. When someone leaves, the blocked heads are woken in the order they
were held.

Crossing an area takes time. Those crossing walk at the speed of their own density on its
floor, ``k = m / A`` for ``m`` people crossing. People who have crossed and wait at the far side
(for a link with no room, say) form a queue there: they cover their share ``w / (k_jam A)`` of
the walk (a newcomer joins the back of the queue, not its front) and do not slow the walkers
down as a crowd would, since they are the queue itself. A full place therefore does not starve
its own exit: its throughput is the exit's. The place keeps ``clock = ∫ v(k) dt`` exactly like
a one-way link, and a party has crossed when ``clock - entry`` reaches the walk left; everyone
crosses the same distance at the same speed, so the crossings finish in the order they began:
one FIFO and one pending event per place.
``n`` counts everyone in the place, the count its occupancy samples show. ``dwelling`` of them
have stopped on the floor (``simulator.engine.dwell``: at a kiosk, in a fan zone): they are part
of the crowd the walkers cross (their density sets the speed) but not of the queue at the far
side.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Final

from mypy_extensions import mypyc_attr

INF: Final = math.inf
# A crossing this close to done (in seconds of walking) is done. Every newcomer slows the
# crossing a little, so without it the pending crossing fires a moment early and is re-queued
# after almost every entry; a quarter of a second on a crossing of tens of seconds is far
# below anything the model resolves, and halves the place events of a 110,000-seat day.
CROSSING_SLACK_S: Final = 0.25


BINS: Final = 1000  # speed table resolution: density in steps of k_jam / 1000


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)  # snapshots: see setup.py
class Place:
    """Run-time state of one bounded node; the speed table stays with the engine's plan."""

    __slots__ = (
        "blocked",
        "clock",
        "crossing",
        "due",
        "dwelling",
        "fifo",
        "max_n",
        "n",
        "node",
        "outside",
        "room",
        "t_last",
    )

    def __init__(self, node: int, t0: float, room: float = 0.0) -> None:
        self.node = node
        self.room = room  # k_jam x floor: people the floor holds at jam density
        self.n = 0
        self.crossing = 0  # people in the crossing FIFO
        self.dwelling = 0  # people stopped on the floor (simulator.engine.dwell)
        self.max_n = 0
        self.clock = 0.0
        self.t_last = t0
        self.fifo: deque[tuple[float, int, int]] = deque()  # (clock at entry, party, size)
        self.due = INF  # the pending crossing event
        self.blocked: list[tuple[int, int]] = []  # (link, direction) heads held by a full place
        self.outside: deque[int] = deque()  # arrivals waiting off the floor (origins)

    def speed(self, speeds: list[float]) -> float:
        """Walking speed of those crossing, by the density of the crowd on the floor: the
        walkers and those who have stopped there (at a kiosk, in a fan zone)."""
        m = self.crossing + self.dwelling
        if m >= self.room:
            return speeds[-1]
        return speeds[int(BINS * m / self.room)]

    def advance(self, t: float, speeds: list[float]) -> None:
        dt = t - self.t_last
        if dt > 0.0:
            self.clock += self.speed(speeds) * dt
            self.t_last = t

    def recount(self, n: int) -> None:
        """Take the node's occupancy after a change (the clock was advanced before it)."""
        self.n = n
        if n > self.max_n:
            self.max_n = n

    def start_crossing(
        self, party: int, size: int, t: float, length: float, speeds: list[float]
    ) -> float:
        """A party begins to cross; return when the head finishes (INF if not the head)."""
        self.advance(t, speeds)
        self.fifo.append((self.clock, party, size))
        self.crossing += size
        if len(self.fifo) > 1:
            return INF
        return self.head_time(t, length, speeds)

    def head_time(self, t: float, length: float, speeds: list[float]) -> float:
        if not self.fifo:
            return INF
        self.advance(t, speeds)
        speed = self.speed(speeds)
        waiting = self.n - self.crossing - self.dwelling
        if waiting > 0:  # the queue at the far side covers its share of the walk
            length *= max(0.0, 1.0 - waiting / self.room)
        remaining = self.fifo[0][0] + length - self.clock
        return t + remaining / speed if remaining > speed * CROSSING_SLACK_S else t

    def finish_crossing(self, t: float, length: float, speeds: list[float]) -> int | float:
        """The head's party if it has crossed by ``t``, else the time to look again."""
        when = self.head_time(t, length, speeds)
        if when > t:
            return when
        _, party, size = self.fifo.popleft()
        self.crossing -= size
        return party
