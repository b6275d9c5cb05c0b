"""A full forecourt feeding a congested walkway: the walkway keeps its entry cap and storage.

Letting a fan off a full origin frees room there, and the fan held outside it steps on and
heads for the same walkway at the same instant. The engine once vacated the node before the
leaving party was on the walkway, so each freed place let the next party on by the old entry
time: a cascade that ignored the entry headway, filled the walkway past its jam storage and
crashed the run (``IndexError`` in ``Walkway.leave``; on a 1,000,000-seat day as well).
"""

from __future__ import annotations

from simulator import Simulation
from simulator.scenario.loader import load_scenario_text

WINDOW_S = 600.0


def _burst(small_text: str) -> str:
    """The small day with a 40 m2 tram stop, 90% by tram, and a 0.4 m walkway from it."""
    return (
        small_text.replace(
            "{id: tram, mode: tram, area_m2: 400}", "{id: tram, mode: tram, area_m2: 40}"
        )
        .replace(
            "{id: l1, source: tram, target: plaza, length_m: 200, width_m: 8}",
            "{id: l1, source: tram, target: plaza, length_m: 200, width_m: 0.4}",
        )
        .replace("mode_split: {tram: 0.5, park: 0.5}", "mode_split: {tram: 0.9, park: 0.1}")
    )


def test_a_full_forecourt_lets_fans_onto_its_walkway_at_the_walkways_cap(small_text: str) -> None:
    scenario = load_scenario_text(_burst(small_text), source="<burst>")
    assert scenario.ingress is not None
    sim = Simulation(scenario, seed=3)
    link = sim.world.links[sim.network.index["l1"] - sim.network.n_nodes]
    tram = sim.world.places[sim.network.index["tram"]]
    assert tram is not None
    cap = WINDOW_S / link.headway  # persons per window at the walkway's flow cap
    entered_before, held_outside = 0, 0
    t = scenario.ingress.kickoff_s - 7200
    while t < scenario.ingress.kickoff_s:
        t += WINDOW_S
        sim.run(until=t)
        entered = link.throughput + link.n
        # a party of up to 6 may straddle the window's edge
        assert entered - entered_before <= cap + 6
        entered_before = entered
        held_outside = max(held_outside, len(tram.outside))
    assert held_outside > 100  # the case this is about: the stop's floor was full
    assert link.max_n <= link.capacity
    sim.run()  # the whole day runs (the stop is too small for everyone to come by 23:59)
    assert link.max_n <= link.capacity
    fans = sim.result().summary.to_dict()["fans"]
    assert fans["arrived"] == fans["dropped"] + fans["in_venue"] + fans["left"]
