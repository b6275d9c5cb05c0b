"""The snapshot codec's byte order helper and its canonical bytes."""

from __future__ import annotations

import struct
from array import array

from simulator import Scenario, Simulation
from simulator.engine.snapshot_codec import _swapped, decode, encode


def test_one_helper_swaps_the_byte_order_of_every_array_type() -> None:
    assert _swapped(array("d", [1.5, -2.0]).tobytes()) == struct.pack(">2d", 1.5, -2.0)
    assert _swapped(array("q", [7]).tobytes(), "q") == struct.pack(">q", 7)
    assert _swapped(array("H", [258]).tobytes(), "H") == struct.pack(">H", 258)
    raw = array("i", [1, -5, 9]).tobytes()
    assert _swapped(_swapped(raw, "i"), "i") == raw


def test_a_decoded_state_encodes_to_the_same_bytes(small: Scenario) -> None:
    """Distinct routes are written in the order first met, not by address: the bytes depend
    on the state alone, so a state decoded (or copied) elsewhere re-encodes exactly."""
    sim = Simulation(small, seed=8)
    sim.run(until=small.ingress.kickoff_s - 900)
    state = sim.snapshot().state
    once = decode(state)
    assert encode(once) == state
    assert encode(decode(encode(once))) == state
