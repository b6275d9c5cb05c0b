"""A walking link at run time: a FIFO per direction driven by one distance clock.

Everyone on a link walks at the speed of its current head count, so the link keeps
``clock = S(t) = ∫ v(n) dt`` and each party the clock reading when it entered; the head leaves
when ``clock - entry = length``. Entering and leaving are O(1) and allocate one tuple: there is no
timer per fan, only one pending "head" event per direction, moved when the speed changes.

Capacity ``c = floor(k_jam x floor area)`` bounds storage (spill-back: a party that does not fit
waits at the upstream node; the loader makes sure every party fits every link, so a party never
overfills one). Exits are spaced by ``size / (flow cap x width)`` seconds, so a link never
discharges faster than its specific-flow cap.

Both directions of a two-way link share one floor, one entry supply and one exit server: an
exit or entry at either end uses up the same headway, so their combined flow never exceeds the
link's capacity. With people walking both ways the capacity falls with the minor stream's share
``s`` (of those on the link and queuing at its ends),
``f(s) = 1 - 2 s (1 - BIDIRECTIONAL_BALANCED)``: from 1 one way to 0.79 for balanced
streams, the ratio of the balanced bidirectional to the unidirectional peak specific flow in
the Juelich corridor (Zhang et al. 2012, J. Stat. Mech. P02002: about 1.5
against 1.9 persons/m/s); Lam et al. (2003, Transp. Res. A 37: 789-810) likewise found the
at-capacity flow of Hong Kong walkways falling as the opposing share grows.

Entries are spaced by the link's *supply* (the receiving flow of the cell transmission model):
``min(cap, w (k_jam - k)) x width`` with the backward wave speed
``w = q_max / (k_jam - k_crit)``, evaluated at the current density. A saturated inflow then
settles at the critical density and the peak flow, instead of packing the link to jam density
where everyone creeps (the M/G/c/c congestion collapse). A link with an explicit
``flow_cap_per_m_s`` takes entries at that cap up to its storage, as Cheah & Smith's
loss system does.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Final

from mypy_extensions import mypyc_attr

INF: Final = math.inf
# A head within this many seconds of the end of its link has arrived. Speeds at low density
# differ in the ninth digit from one head count to the next, so without a slack most re-timed
# heads would fire microseconds early and be re-queued for the rest; a millisecond of walking
# (about a millimetre) is far below anything the model resolves.
ARRIVAL_SLACK_S: Final = 1e-3
BIDIRECTIONAL_BALANCED = 0.79  # balanced two-way / one-way peak specific flow (Zhang 2012)
STATIC = frozenset({"speeds", "entry_headway", "min_headway"})


# Walkway's attributes; those a snapshot holds leave out the static tables (mypyc, compiling
# this module, keeps no __slots__ on the class: the state methods read these names)
SLOTS = (
    "capacity",
    "clock",
    "due",
    "entry_due",
    "entry_headway",
    "fifo",
    "full_time",
    "headway",
    "index",
    "last_in",
    "last_party",
    "length",
    "max_n",
    "min_headway",
    "n",
    "n_dir",
    "n_time",
    "next_exit",
    "speeds",
    "t_last",
    "throughput",
    "waiting",
)
STATE = tuple(k for k in SLOTS if k not in STATIC)


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)  # snapshots: see setup.py
class Walkway:
    """Run-time state of one link (both directions share floor, storage and speed)."""

    __slots__ = SLOTS

    def __init__(
        self,
        index: int,
        length: float,
        capacity: int,
        speeds: list[float],
        headway: float,
        t0: float,
        entry_headway: list[float] | None = None,
    ) -> None:
        self.index = index
        self.length = length
        self.capacity = capacity
        # speeds[n] in m/s; padded so a party bigger than a tiny empty link still indexes it
        self.speeds = speeds + [speeds[-1]] * 8
        self.headway = headway  # seconds per person at the flow cap
        # seconds per person admitted, by head count (the supply); default: the exit cap
        hw = entry_headway if entry_headway is not None else [headway] * (capacity + 1)
        self.entry_headway = [*hw, INF]
        self.min_headway = min(self.entry_headway)
        self.n = 0
        self.n_dir = [0, 0]  # people on the link walking each way
        self.clock = 0.0
        self.t_last = t0
        # per direction; typed ``tuple[X, ...]``, not ``tuple[X, X]``: mypyc keeps a pair
        # unboxed and builds a new tuple at every ``fifo[d]``, this one it indexes in place
        self.fifo: tuple[deque[tuple[float, int, int]], ...] = (deque(), deque())
        self.waiting: tuple[deque[tuple[float, int]], ...] = (deque(), deque())
        self.due = [INF, INF]
        self.entry_due = [INF, INF]
        self.last_in = [(-INF, 0), (-INF, 0)]  # (time, size) of the last party admitted
        self.next_exit = [-INF, -INF]
        self.n_time = 0.0
        self.full_time = 0.0
        self.max_n = 0
        self.throughput = 0
        self.last_party = [-1, -1]

    def __getstate__(self) -> tuple[object, ...]:
        # the speed and supply tables are static (rebuilt from the scenario on restore)
        return tuple(getattr(self, k) for k in STATE)

    def __setstate__(self, state: tuple[object, ...]) -> None:
        for key, value in zip(STATE, state, strict=True):
            setattr(self, key, value)

    def set_tables(self, other: Walkway) -> None:
        """Take the static speed and supply tables of an identically built link."""
        self.speeds, self.entry_headway = other.speeds, other.entry_headway
        self.min_headway = other.min_headway

    def may_admit_sooner(self) -> bool:
        """Whether a party waiting at either end might now enter before its pending admission.

        Asked after someone left. The pending admission (``entry_due``) cannot move earlier
        than the last entry plus the shortest headway of the supply table. A waiting party
        with no pending admission (it did not fit) needs a look. In a long egress queue most
        leaves change nothing: skipping them saves about 187,000 look-ups in a
        115,000-seat match day.
        """
        for d in (0, 1):
            if self.waiting[d]:
                t, last = self.last_in[d]
                if self.entry_due[d] > t + last * self.min_headway:
                    return True
        return False

    def speed(self) -> float:
        return self.speeds[self.n]

    def counterflow(self, d: int, size: int) -> float:
        """Capacity factor ``f(s)`` with ``size`` more people walking in direction ``d``.

        The split counts those on the link and the parties queuing at each end: on a short
        link (a door) the two streams are seldom on it at the same instant, yet they take
        turns at it all the same.
        """
        a = self.n_dir[d] + size + len(self.waiting[d])
        b = self.n_dir[1 - d] + len(self.waiting[1 - d])
        if not b:
            return 1.0
        minor = (a if a < b else b) / (a + b)
        return 1.0 - 2.0 * minor * (1.0 - BIDIRECTIONAL_BALANCED)

    def advance(self, t: float) -> None:
        """Move the distance clock and the time integrals to ``t``."""
        dt = t - self.t_last
        if dt > 0.0:
            n = self.n
            self.clock += self.speeds[n] * dt
            self.n_time += n * dt
            if n >= self.capacity:
                self.full_time += dt
            self.t_last = t

    def admission_time(self, d: int, size: int) -> float:
        """Earliest time a party of ``size`` may enter at the ``d`` end; INF while it does not fit.

        The supply is read at the density the link would have with the party on it, so a big
        party does not push a nearly full link into a crawl. Both ends share the supply
        (``last_in`` is the last entry at either end), reduced by the counterflow factor.
        """
        n = self.n
        if n + size > self.capacity:
            return INF
        t, last = self.last_in[d]
        if not last:
            return -INF
        headway = self.entry_headway[n + size if n else 0]
        if self.n_dir[1 - d] or self.waiting[1 - d]:
            headway /= self.counterflow(d, size)
        return t + last * headway

    def enter(self, party: int, size: int, d: int, t: float) -> float:
        """Put a party on the link in direction ``d``; return when the head of ``d`` may leave."""
        n = self.n
        dt = t - self.t_last
        if dt > 0.0:  # advance(t), inlined: this is the hot path
            self.clock += self.speeds[n] * dt
            self.n_time += n * dt
            if n >= self.capacity:
                self.full_time += dt
            self.t_last = t
        fifo = self.fifo[d]
        fifo.append((self.clock, party, size))
        n += size
        self.n = n
        self.n_dir[d] = self.n_dir[d] + size  # not ``+=``: mypyc compiles that generically
        if n > self.max_n:
            self.max_n = n
        self.last_in[0] = self.last_in[1] = (t, size)  # one supply for both ends
        self.last_party[d] = party
        if len(fifo) > 1:
            return INF
        walk = t + self.length / self.speeds[n]  # a new head has the whole length to go
        exit_free = self.next_exit[d]
        return walk if walk > exit_free else exit_free

    def take_head(self, d: int) -> int:
        """Take one fan off the head of direction ``d`` (the twin's correction); its party.

        Keeps the link's head counts with its FIFO, as ``enter`` and ``leave`` do: a fan left
        in ``n_dir`` walks on as a phantom that ``counterflow`` charges the other way.
        """
        fifo = self.fifo[d]
        entry, party, size = fifo.popleft()
        if size > 1:
            fifo.appendleft((entry, party, size - 1))
        self.n -= 1
        self.n_dir[d] = self.n_dir[d] - 1
        return party

    def head_time(self, d: int, t: float) -> float:
        """When the head of direction ``d`` can leave at the current speed (INF if none)."""
        fifo = self.fifo[d]
        if not fifo:
            return INF
        speed = self.speeds[self.n]
        remaining = fifo[0][0] + self.length - self.clock
        walk = t + remaining / speed if remaining > speed * ARRIVAL_SLACK_S else t
        return max(walk, self.next_exit[d])

    def leave(self, d: int, t: float) -> tuple[int, int, float] | float:
        """At ``t``, release the head of ``d`` if it has walked the length and the cap allows.

        Returns (party, size, when the new head of ``d`` may leave) when it leaves, else the
        time to try again; both at the current speed.
        """
        n = self.n
        dt = t - self.t_last
        if dt > 0.0:  # advance(t), inlined
            self.clock += self.speeds[n] * dt
            self.n_time += n * dt
            if n >= self.capacity:
                self.full_time += dt
            self.t_last = t
        fifo = self.fifo[d]
        if not fifo:
            return INF
        entry, party, size = fifo[0]
        remaining = entry + self.length - self.clock
        if remaining > self.speeds[n] * ARRIVAL_SLACK_S or t < self.next_exit[d]:
            return self.head_time(d, t)
        headway = self.headway
        if self.n_dir[1 - d] or self.waiting[1 - d]:
            headway /= self.counterflow(d, 0)
        fifo.popleft()
        n -= size
        self.n = n
        self.n_dir[d] = self.n_dir[d] - size
        self.throughput += size
        # one exit server for both ends: the combined flow stays within the capacity
        exit_free = self.next_exit[0] = self.next_exit[1] = t + size * headway
        if not fifo:
            return party, size, INF
        speed = self.speeds[n]  # head_time(d, t), inlined
        remaining = fifo[0][0] + self.length - self.clock
        walk = t + remaining / speed if remaining > speed * ARRIVAL_SLACK_S else t
        return party, size, walk if walk > exit_free else exit_free
