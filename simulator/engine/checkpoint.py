"""A checkpoint at run time: a bank of identical lanes fed by one FIFO queue of fans.

Each fan of a party is screened on their own lane; a share goes on to a secondary search that
does not hold a lane. The party walks on when its last member is through.

Lanes are freed lazily. A busy lane is only its finish time in a heap; it is read back as free
the next time someone needs a lane. Most lanes finish with nobody queuing: at a 115,000-seat
stadium, 94% of them do. A lane end therefore schedules nothing. The bank wakes itself at the
earliest lane end only while fans queue, and the party gets one event, when its last member is
through. A FIFO queue on identical lanes starts every fan at the same instant either way.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from heapq import heappop
from typing import Final

from mypy_extensions import mypyc_attr

INF: Final = math.inf


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)  # snapshots: see setup.py
class TurnstileBank:
    """Queue and lanes of one checkpoint; the engine draws service times and schedules them."""

    __slots__ = (
        "busy",
        "busy_s",
        "finish",
        "index",
        "lanes",
        "node",
        "peak_queue",
        "queue",
        "started",
        "wait_n",
        "wait_sum",
        "waits",
        "wake_due",
    )

    def __init__(self, index: int, node: int, lanes: int) -> None:
        self.index = index
        self.node = node
        self.lanes = lanes  # lanes open now (a lever may change it)
        self.busy: list[float] = []  # heap: when each busy lane ends its primary screening
        self.finish: dict[int, float] = {}  # party: latest finish of its members screened so far
        self.wake_due = INF  # the pending lane-end wake-up, if fans queue
        self.queue: deque[tuple[float, int]] = deque()  # (time the fan joined, party)
        self.started = 0
        self.busy_s = 0.0  # lane-seconds of primary screening started so far (utilisation)
        self.peak_queue = 0
        self.wait_sum = 0.0  # over fans who started service in the current sample interval
        self.wait_n = 0
        # every fan's queue wait, for percentiles: packed doubles, not a float object per fan
        self.waits = array("d")

    def join(self, party: int, size: int, t: float) -> None:
        """Queue every member of a party."""
        for _ in range(size):
            self.queue.append((t, party))
        if len(self.queue) > self.peak_queue:
            self.peak_queue = len(self.queue)

    def free_lanes(self, t: float) -> int:
        """Lanes free at ``t`` (negative while a lever has closed lanes that are still busy)."""
        busy = self.busy
        while busy and busy[0] <= t:
            heappop(busy)
        return self.lanes - len(busy)

    def next_fan(self, t: float) -> int:
        """Take the next fan to a free lane; return their party (caller checks availability)."""
        joined, party = self.queue.popleft()
        self.started += 1
        wait = t - joined
        self.wait_sum += wait
        self.wait_n += 1
        self.waits.append(wait)
        return party

    def served_by(self, t: float) -> int:
        """Fans through primary screening by ``t``."""
        return self.started - sum(1 for end in self.busy if end > t)
