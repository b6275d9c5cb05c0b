"""The baseline: a straightforward one-process-per-fan SimPy model of the same match day.

Each fan is a SimPy process that waits for its arrival, walks each link of its route in a
timeout at the link's free speed, requests a lane of its gate (a ``simpy.Resource``) for its
service time, sits, waits for its release and walks back out. Same scenario, same demand draw,
same routes as the engine; no densities, caps or spill-back (so it does *less* modelling).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from simulator.demand import ingress_parties
from simulator.network import KIND_SPEED_FACTOR, Network
from simulator.party import ARRIVE, Step
from simulator.scenario import Scenario


def run_naive(scenario: Scenario, seed: int) -> dict[str, float]:
    """Simulate the whole day; return fans seated and left and the number of SimPy events."""
    env = simpy.Environment(initial_time=scenario.settings.start_s)
    rng = np.random.default_rng(seed)
    net = Network(scenario)
    walk_s = [
        link.length_m / (1.34 * KIND_SPEED_FACTOR.get(link.kind, 1.0))
        for link in scenario.venue.links
    ]
    gates = [simpy.Resource(env, capacity=cp.lanes) for cp in scenario.venue.checkpoints]
    counts = {"seated": 0, "left": 0}
    for party in ingress_parties(scenario, net, rng):
        if party.gate >= 0:
            gate_node = net.index[scenario.venue.checkpoints[party.gate].id]
            route = net.route(party.origin, gate_node, party.sector, "via")
        else:
            route = net.route(party.origin, -1, party.sector, "all")
        home = net.route(party.sector, -1, party.destination, "none")
        for _ in range(party.size):
            env.process(
                _fan(
                    env,
                    scenario,
                    rng,
                    gates,
                    walk_s,
                    route,
                    home,
                    party.times[ARRIVE],
                    party.release_at,
                    counts,
                )
            )
    env.run(until=scenario.settings.end_s)
    return {**counts, "events": float(next(env._eid))}


def _fan(
    env: simpy.Environment,
    scenario: Scenario,
    rng: np.random.Generator,
    gates: list[simpy.Resource],
    walk_s: list[float],
    route: tuple[Step, ...],
    home: tuple[Step, ...],
    arrive: float,
    release: float,
    counts: dict[str, int],
) -> Generator[Any, Any, None]:
    yield env.timeout(max(arrive - env.now, 0.0))
    yield from _walk(env, scenario, rng, gates, walk_s, route)
    counts["seated"] += 1
    if np.isnan(release):
        return
    yield env.timeout(max(release - env.now, 0.0))
    yield from _walk(env, scenario, rng, gates, walk_s, home)
    counts["left"] += 1


def _walk(
    env: simpy.Environment,
    scenario: Scenario,
    rng: np.random.Generator,
    gates: list[simpy.Resource],
    walk_s: list[float],
    route: tuple[Step, ...],
) -> Generator[Any, Any, None]:
    for _node, bank, link, _d in route:
        if bank >= 0:
            with gates[bank].request() as lane:
                yield lane
                yield env.timeout(scenario.venue.checkpoints[bank].service.sample(rng))
        if link >= 0:
            yield env.timeout(walk_s[link])
