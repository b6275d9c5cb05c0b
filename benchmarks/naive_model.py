"""The baselines: straightforward one-process-per-fan SimPy models of the same match day.

Each fan is a SimPy process. It waits for its arrival and walks each link of its route. At its
gate it requests a lane (a ``simpy.Resource``) for its service time. Then it sits, waits for
its release and walks back out. The demand draw and the routes are the engine's. The two
baselines differ only in how a fan walks a link:

``free_flow``
    a timeout at the link's free speed. No densities, storage or caps: it models *less* than
    the engine, so it is the cheapest per-fan model there is.
``mgcc``
    the textbook M/G/c/c walkway (Cheah & Smith 1994), which is how a per-fan model would
    carry the engine's link physics. The fan first waits its turn at the link's supply (the
    entry spacing by head count of the engine; without it the per-fan model packs links to
    jam density and a 115,000-seat stadium is still half full at the end of the day). It then
    takes one of the link's ``c`` places: a ``simpy.Resource`` of the engine's storage, so a
    full link holds fans at the node before it. It walks at the speed of the head count it
    finds on entry, from the engine's own speed table, and leaves no sooner than the link's
    flow cap allows. Its time to clear the stadium comes within a few per cent of the engine's.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from simulator.crowd.registry import create_model
from simulator.engine.demand import ingress_parties
from simulator.engine.network import KIND_SPEED_FACTOR, Network, build_walkway
from simulator.engine.party import ARRIVE, Step
from simulator.scenario.model import Scenario

FREE_SPEED = 1.34  # m/s, Weidmann's free walking speed
Walk = Callable[[int, int], Generator[Any, Any, None]]  # (link, direction) -> SimPy process steps


def run_naive(scenario: Scenario, seed: int, links: str = "free_flow") -> dict[str, float]:
    """Simulate the whole day; return fans seated and left and the number of SimPy events."""
    env = simpy.Environment(initial_time=scenario.settings.start_s)
    rng = np.random.default_rng(seed)
    net = Network(scenario)
    walk = {"free_flow": _free_flow, "mgcc": _mgcc}[links](env, scenario)
    gates = [simpy.Resource(env, capacity=cp.lanes) for cp in scenario.venue.checkpoints]
    counts = {"seated": 0, "left": 0, "last_left_s": scenario.settings.start_s}

    def go(route: tuple[Step, ...]) -> Generator[Any, Any, None]:
        for _node, bank, link, d in route:
            if bank >= 0:
                with gates[bank].request() as lane:
                    yield lane
                    yield env.timeout(scenario.venue.checkpoints[bank].service.sample(rng))
            if link >= 0:
                yield from walk(link, d)

    def fan(
        route: tuple[Step, ...], home: tuple[Step, ...], arrive: float, release: float
    ) -> Generator[Any, Any, None]:
        yield env.timeout(max(arrive - env.now, 0.0))
        yield from go(route)
        counts["seated"] += 1
        if np.isnan(release):
            return
        yield env.timeout(max(release - env.now, 0.0))
        yield from go(home)
        counts["left"] += 1
        counts["last_left_s"] = env.now

    for party in ingress_parties(scenario, net, rng):
        if party.gate >= 0:
            gate_node = net.index[scenario.venue.checkpoints[party.gate].id]
            route = net.route(party.origin, gate_node, party.sector, "via")
        else:
            route = net.route(party.origin, -1, party.sector, "all")
        home = net.route(party.sector, -1, party.destination, "none")
        for _ in range(party.size):
            env.process(fan(route, home, party.times[ARRIVE], party.release_at))
    env.run(until=scenario.settings.end_s)
    return {**counts, "events": float(next(env._eid))}


def _free_flow(env: simpy.Environment, scenario: Scenario) -> Walk:
    walk_s = [
        link.length_m / (FREE_SPEED * KIND_SPEED_FACTOR.get(link.kind, 1.0))
        for link in scenario.venue.links
    ]

    def walk(link: int, d: int) -> Generator[Any, Any, None]:
        yield env.timeout(walk_s[link])

    return walk


def _mgcc(env: simpy.Environment, scenario: Scenario) -> Walk:
    settings = scenario.settings
    model = create_model(settings.pedestrian_model, settings.model_params)
    tables = [
        build_walkway(i, link, model, settings.flow_caps, settings.start_s)
        for i, link in enumerate(scenario.venue.links)
    ]
    places = [simpy.Resource(env, capacity=t.capacity) for t in tables]
    next_exit = [[settings.start_s, settings.start_s] for _ in tables]
    next_entry = [[settings.start_s, settings.start_s] for _ in tables]

    def walk(link: int, d: int) -> Generator[Any, Any, None]:
        table = tables[link]
        enter = max(env.now, next_entry[link][d])  # the link's supply, as in the engine
        next_entry[link][d] = (
            enter + table.entry_headway[min(places[link].count + 1, table.capacity)]
        )
        if enter > env.now:
            yield env.timeout(enter - env.now)
        with places[link].request() as place:
            yield place
            yield env.timeout(table.length / table.speeds[places[link].count])
            leave = max(env.now, next_exit[link][d])
            next_exit[link][d] = leave + table.headway
            if leave > env.now:
                yield env.timeout(leave - env.now)

    return walk
