"""A checkpoint at run time: a bank of identical lanes fed by one FIFO queue of fans.

Each fan of a party is screened on their own lane; a share goes on to a secondary search that
does not hold a lane. The party walks on when its last member is through.
"""

from __future__ import annotations

from collections import deque


class TurnstileBank:
    """Queue and lanes of one checkpoint; the engine draws service times and schedules them."""

    __slots__ = (
        "busy_s",
        "index",
        "lanes_free",
        "node",
        "peak_queue",
        "queue",
        "served",
        "wait_n",
        "wait_sum",
        "waits",
    )

    def __init__(self, index: int, node: int, lanes: int) -> None:
        self.index = index
        self.node = node
        self.lanes_free = lanes
        self.queue: deque[tuple[float, int]] = deque()  # (time the fan joined, party)
        self.served = 0
        self.busy_s = 0.0  # lane-seconds of primary screening started so far (utilisation)
        self.peak_queue = 0
        self.wait_sum = 0.0  # over fans who started service in the current sample interval
        self.wait_n = 0
        self.waits: list[float] = []  # every fan's queue wait, for percentiles

    def join(self, party: int, size: int, t: float) -> None:
        """Queue every member of a party."""
        for _ in range(size):
            self.queue.append((t, party))
        if len(self.queue) > self.peak_queue:
            self.peak_queue = len(self.queue)

    def next_fan(self, t: float) -> int:
        """Take the next fan to a free lane; return their party (caller checks availability)."""
        joined, party = self.queue.popleft()
        self.lanes_free -= 1
        wait = t - joined
        self.wait_sum += wait
        self.wait_n += 1
        self.waits.append(wait)
        return party
