"""A checkpoint's lanes at run time: freed lazily, counted exactly."""

from __future__ import annotations

from heapq import heappush

from simulator.engine.checkpoint import TurnstileBank


def test_a_busy_lane_is_free_again_once_its_screening_ends() -> None:
    bank = TurnstileBank(0, node=3, lanes=2)
    bank.join(party=7, size=3, t=0.0)
    assert bank.peak_queue == 3 and bank.free_lanes(0.0) == 2
    for end in (4.0, 6.0):
        assert bank.next_fan(0.0) == 7
        bank.busy.append(end)  # heap order: ascending
    assert bank.free_lanes(3.9) == 0
    assert bank.free_lanes(4.0) == 1  # the lane that ended at 4 s is read back as free
    assert bank.next_fan(4.5) == 7
    heappush(bank.busy, 9.0)
    assert bank.waits.tolist() == [0.0, 0.0, 4.5]
    assert bank.served_by(5.0) == 1 and bank.served_by(6.0) == 2


def test_closing_lanes_while_they_are_busy_frees_none_until_enough_end() -> None:
    bank = TurnstileBank(0, node=3, lanes=3)
    bank.busy.extend([1.0, 2.0, 3.0])
    bank.lanes = 1  # a lever closes two lanes
    assert bank.free_lanes(1.5) == -1
    assert bank.free_lanes(2.5) == 0
    assert bank.free_lanes(3.0) == 1
