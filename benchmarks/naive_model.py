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
    carry the engine's physics. The fan first waits its turn at the link's supply (the entry
    spacing by head count of the engine, shared by both ends and reduced by counterflow as in
    the engine). It then takes one of the link's ``c`` places: a ``simpy.Resource`` of the
    engine's storage. It walks at the speed of the head count it finds on entry, from the
    engine's own speed table, and leaves no sooner than the link's shared exit cap allows.
    Places (areas, pens, forecourts) are ``simpy.Resource`` s of the engine's storage too: a
    fan at the end of a link takes a place in the node ahead before giving up its place on
    the link (a full node holds it on the link: spill-back), crosses an area at the speed of
    the walkers' density over the walk the queue leaves, and gives the node's place back when
    it steps onto its next link.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from simulator.crowd.registry import create_model
from simulator.engine.demand import ingress_parties
from simulator.engine.link import BIDIRECTIONAL_BALANCED
from simulator.engine.network import KIND_SPEED_FACTOR, Network, build_walkway, place_tables
from simulator.engine.party import ARRIVE, Step
from simulator.engine.place import BINS
from simulator.scenario.model import Scenario

FREE_SPEED = 1.34  # m/s, Weidmann's free walking speed


def run_naive(scenario: Scenario, seed: int, links: str = "free_flow") -> dict[str, float]:
    """Simulate the whole day; return fans seated and left and the number of SimPy events."""
    env, counts = build_naive(scenario, seed, links)
    env.run(until=scenario.settings.end_s)
    return {**counts, "events": float(next(env._eid))}


def build_naive(
    scenario: Scenario, seed: int, links: str = "free_flow"
) -> tuple[simpy.Environment, dict[str, float]]:
    """The day's SimPy environment with every fan's process started, and its counters."""
    env = simpy.Environment(initial_time=scenario.settings.start_s)
    rng = np.random.default_rng(seed)
    net = Network(scenario)
    walker = {"free_flow": _FreeFlow, "mgcc": _Mgcc}[links](env, scenario)
    gates = [simpy.Resource(env, capacity=cp.lanes) for cp in scenario.venue.checkpoints]
    counts = {"seated": 0, "left": 0, "fans": 0, "last_left_s": scenario.settings.start_s}

    def go(route: tuple[Step, ...], slot: Any) -> Generator[Any, Any, Any]:
        for k, (node, bank, link, d) in enumerate(route):
            yield from walker.cross(node)
            if bank >= 0:
                with gates[bank].request() as lane:
                    yield lane
                    yield env.timeout(scenario.venue.checkpoints[bank].service.sample(rng))
            if link >= 0:
                slot = yield from walker.walk(link, d, node, slot, route[k + 1][0])
        return slot

    def fan(
        route: tuple[Step, ...], home: tuple[Step, ...], arrive: float, release: float
    ) -> Generator[Any, Any, None]:
        yield env.timeout(max(arrive - env.now, 0.0))
        slot = yield from walker.arrive(route[0][0])
        slot = yield from go(route, slot)
        counts["seated"] += 1
        if np.isnan(release):
            return
        yield env.timeout(max(release - env.now, 0.0))
        slot = yield from go(home, slot)
        walker.leave(home[-1][0], slot)
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
        counts["fans"] += party.size
    return env, counts


class _FreeFlow:
    """A timeout at the link's free speed; places are points, storage is unbounded."""

    def __init__(self, env: simpy.Environment, scenario: Scenario) -> None:
        self.env = env
        self.walk_s = [
            link.length_m / (FREE_SPEED * KIND_SPEED_FACTOR.get(link.kind, 1.0))
            for link in scenario.venue.links
        ]

    def arrive(self, node: int) -> Generator[Any, Any, Any]:
        return None
        yield

    def cross(self, node: int) -> Generator[Any, Any, None]:
        return
        yield

    def walk(self, link: int, d: int, node: int, slot: Any, nxt: int) -> Generator[Any, Any, Any]:
        yield self.env.timeout(self.walk_s[link])

    def leave(self, node: int, slot: Any) -> None:
        pass


class _Mgcc:
    """Per-fan M/G/c/c links and places with the engine's tables (see the module docstring)."""

    def __init__(self, env: simpy.Environment, scenario: Scenario) -> None:
        settings = scenario.settings
        model = create_model(settings.pedestrian_model, settings.model_params)
        self.env = env
        self.tables = [
            build_walkway(i, link, model, settings.flow_caps, settings.start_s)
            for i, link in enumerate(scenario.venue.links)
        ]
        self.places = [simpy.Resource(env, capacity=t.capacity) for t in self.tables]
        self.on = [[0, 0] for _ in self.tables]  # fans on each link, by direction
        self.next_exit = [settings.start_s] * len(self.tables)  # one server for both ends
        self.next_entry = [settings.start_s] * len(self.tables)
        cap, self.node_walk, self.node_speeds = place_tables(scenario, model)
        self.room = [model.k_jam * e.floor_m2 for e in Network(scenario).elements]
        self.storage = [simpy.Resource(env, capacity=int(c)) if c < math.inf else None for c in cap]
        self.crossers = [0] * len(cap)

    def _counterflow(self, link: int, d: int, extra: int) -> float:
        a, b = self.on[link][d] + extra, self.on[link][1 - d]
        if not b:
            return 1.0
        return 1.0 - 2.0 * min(a, b) / (a + b) * (1.0 - BIDIRECTIONAL_BALANCED)

    def arrive(self, node: int) -> Generator[Any, Any, Any]:
        store = self.storage[node]
        if store is None:
            return None
        slot = store.request()
        yield slot
        return slot

    def cross(self, node: int) -> Generator[Any, Any, None]:
        speeds = self.node_speeds[node]
        if speeds is None:
            return
        store = self.storage[node]
        assert store is not None
        room = self.room[node]
        self.crossers[node] += 1
        waiting = store.count - self.crossers[node]
        length = self.node_walk[node] * max(0.0, 1.0 - waiting / room)
        speed = speeds[min(int(BINS * self.crossers[node] / room), BINS)]
        yield self.env.timeout(length / speed)
        self.crossers[node] -= 1

    def walk(self, link: int, d: int, node: int, slot: Any, nxt: int) -> Generator[Any, Any, Any]:
        env, table, places = self.env, self.tables[link], self.places[link]
        enter = max(env.now, self.next_entry[link])  # the shared supply, as in the engine
        headway = table.entry_headway[min(places.count + 1, table.capacity)]
        self.next_entry[link] = enter + headway / self._counterflow(link, d, 1)
        if enter > env.now:
            yield env.timeout(enter - env.now)
        place = places.request()
        yield place
        self.leave(node, slot)
        self.on[link][d] += 1
        yield env.timeout(table.length / table.speeds[places.count])
        leave = max(env.now, self.next_exit[link])
        self.next_exit[link] = leave + table.headway / self._counterflow(link, d, 0)
        if leave > env.now:
            yield env.timeout(leave - env.now)
        ahead = yield from self.arrive(nxt)  # a full node holds the fan on the link
        self.on[link][d] -= 1
        places.release(place)
        return ahead

    def leave(self, node: int, slot: Any) -> None:
        if slot is not None:
            store = self.storage[node]
            assert store is not None
            store.release(slot)
