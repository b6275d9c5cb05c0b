"""The venue as a networkx graph, the run-time links built from it, and routes through it.

Nodes are indexed origins, areas, checkpoints, sectors, exits in scenario order; links follow
them in the element numbering used for occupancy counters. Routes avoid passing through seats
and exits (they are ends, never corridors) and take the shortest walking length.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Hashable
from typing import Any, cast

import networkx as nx

from simulator.crowd.registry import PedestrianModel, critical_point
from simulator.engine.link import Walkway
from simulator.engine.party import Step
from simulator.errors import SimulatorError
from simulator.scenario.model import FlowCaps, Link, Scenario
from simulator.venue.elements import venue_elements

# IMO MSC.1/Circ.1533 free speeds: level 1.2, stairs down 1.0, up 0.8 m/s -> factors on level.
KIND_SPEED_FACTOR = {"stairs_down": 1.0 / 1.2, "stairs_up": 0.8 / 1.2}
DOOR_SPECIFIC_FLOW = 2.0  # persons/m/s: inside every experimental band of docs/design.md section 5
GREEN_GUIDE_LEVEL = 82.0 / 60.0
GREEN_GUIDE_STAIRS = 66.0 / 60.0
V_MIN = 0.05  # m/s: a crush still creeps; keeps a full link from freezing for ever


def is_stairs(link: Link) -> bool:
    return link.kind in ("stairs_up", "stairs_down")


def flow_cap(link: Link, model: PedestrianModel, caps: FlowCaps) -> float:
    """Specific-flow cap in persons/m/s for a link, before its own override."""
    if link.flow_cap_per_m_s is not None:
        return link.flow_cap_per_m_s
    if caps == "green_guide":
        return GREEN_GUIDE_STAIRS if is_stairs(link) else GREEN_GUIDE_LEVEL
    if link.kind == "door":
        return DOOR_SPECIFIC_FLOW
    return critical_point(model, link.floor_m2)[0] * KIND_SPEED_FACTOR.get(link.kind, 1.0)


def build_walkway(
    index: int, link: Link, model: PedestrianModel, caps: FlowCaps, t0: float
) -> Walkway:
    """The run-time link: storage, speed table by head count, and headway at the cap."""
    key = (link.kind, link.length_m, link.width_m, link.flow_cap_per_m_s, caps)
    try:
        capacity, speeds, headway, supply = _tables(cast(Hashable, model), *key)
    except TypeError:  # an unhashable custom model: build without the cache
        capacity, speeds, headway, supply = _tables.__wrapped__(model, *key)
    return Walkway(index, link.length_m, capacity, speeds, headway, t0, supply)


@functools.lru_cache(maxsize=1024)
def _tables(
    model: Hashable,
    kind: str,
    length: float,
    width: float,
    override: float | None,
    caps: FlowCaps,
) -> tuple[int, list[float], float, list[float] | None]:
    """Storage, speed by head count, exit headway and supply of a link of this geometry.

    Cached: a long walkway has tens of thousands of head counts, and venues repeat geometries.
    The lists are shared between links and never written to.
    """
    ped = cast(PedestrianModel, model)
    link = Link("", "", "", length, width, kind, True, override)  # type: ignore[arg-type]
    floor = length * width
    capacity = max(1, math.floor(ped.k_jam * floor))
    factor = KIND_SPEED_FACTOR.get(kind, 1.0)
    free = ped.speed(0.0, floor) * factor
    if kind == "door":  # short: the cap is the point, walking time is at free speed
        speeds = [free] * (capacity + 1)
    else:
        speeds = [free] + [
            max(V_MIN, ped.speed(n / floor, floor) * factor) for n in range(1, capacity + 1)
        ]
    cap = flow_cap(link, ped, caps)
    supply = None
    if kind != "door" and override is None:
        q_max, k_crit = critical_point(ped, floor)
        wave = q_max * factor / (ped.k_jam - k_crit)  # backward wave speed, m/s
        supply = [
            1.0 / (width * min(cap, wave * (ped.k_jam - n / floor))) if n < capacity else math.inf
            for n in range(capacity + 1)
        ]
    return capacity, speeds, 1.0 / (cap * width), supply


class Network:
    """Node and element numbering, the directed graph, and cached shortest routes."""

    def __init__(self, scenario: Scenario) -> None:
        venue = scenario.venue
        self.elements = venue_elements(venue)
        self.n_nodes = len(self.elements) - len(venue.links)
        self.index = {e.id: i for i, e in enumerate(self.elements)}
        self.bank_of_node = {self.index[c.id]: i for i, c in enumerate(venue.checkpoints)}
        self.graph = self._graph(scenario)
        self._paths: dict[tuple[int, int], list[int]] = {}
        self._routes: dict[tuple[int, int, int, str], tuple[Step, ...]] = {}

    def _graph(self, scenario: Scenario) -> nx.DiGraph:
        graph = nx.DiGraph()
        graph.add_nodes_from(range(self.n_nodes))
        for i, link in enumerate(scenario.venue.links):
            ends = [(link.source, link.target, 0)]
            if link.two_way:
                ends.append((link.target, link.source, 1))
            for a, b, d in ends:
                u, v = self.index[a], self.index[b]
                old = graph.get_edge_data(u, v)
                if old is None or old["width"] < link.width_m:
                    graph.add_edge(u, v, link=i, dir=d, length=link.length_m, width=link.width_m)
        return graph

    def path(self, source: int, target: int) -> list[int]:
        """Shortest node path; sectors and exits are never crossed, only reached."""
        key = (source, target)
        if key not in self._paths:
            types = self.elements

            def weight(u: int, v: int, data: dict[str, Any]) -> float | None:
                if v != target and types[v].kind in ("sector", "exit"):
                    return None
                return float(data["length"])

            try:
                self._paths[key] = nx.shortest_path(self.graph, source, target, weight=weight)
            except nx.NetworkXNoPath as exc:
                raise SimulatorError(
                    f"venue.links: no walking path from {types[source].id!r} to "
                    f"{types[target].id!r}; add a link between them"
                ) from exc
        return self._paths[key]

    def length(self, nodes: list[int]) -> float:
        return sum(self.graph[u][v]["length"] for u, v in itertools.pairwise(nodes))

    def route(self, source: int, via: int, target: int, serve: str) -> tuple[Step, ...]:
        """Steps from ``source`` (through checkpoint node ``via`` if >= 0) to ``target``.

        ``serve``: "via" = screening only at ``via``; "all" = at every checkpoint passed;
        "none" = walk through checkpoints (egress).
        """
        key = (source, via, target, serve)
        cached = self._routes.get(key)
        if cached is not None:
            return cached
        if via >= 0:
            nodes = self.path(source, via) + self.path(via, target)[1:]
        else:
            nodes = self.path(source, target)
        steps: list[Step] = []
        for k, node in enumerate(nodes):
            bank = self.bank_of_node.get(node, -1)
            if serve == "none" or (serve == "via" and node != via):
                bank = -1
            if k + 1 < len(nodes):
                edge = self.graph[node][nodes[k + 1]]
                steps.append((node, bank, edge["link"], edge["dir"]))
            else:
                steps.append((node, bank, -1, 0))
        route = tuple(steps)
        self._routes[key] = route
        return route
