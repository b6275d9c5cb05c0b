"""The venue as a networkx graph, the run-time links built from it, and routes through it.

Nodes are indexed origins, areas, checkpoints, sectors, exits in scenario order; links follow
them in the element numbering used for occupancy counters. Routes avoid passing through seats
and exits (they are ends, never corridors); the precomputed route takes the shortest walking
length, and ``simulator.engine.routing`` lets fans choose among a few at decision nodes.
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
from simulator.engine.place import BINS
from simulator.errors import SimulatorError
from simulator.scenario.model import FlowCaps, Link, Scenario
from simulator.venue.elements import venue_elements
from simulator.venue.walk_across import walk_across_m

# IMO MSC.1/Circ.1533 free speeds: level 1.2, stairs down 1.0, up 0.8 m/s -> factors on level.
# Ramps walk as level floor: the Green Guide (2018) plans ramps with level walkways (82/m/min).
KIND_SPEED_FACTOR = {"stairs_down": 1.0 / 1.2, "stairs_up": 0.8 / 1.2}
# Default door capacity, persons/m/s (80 persons/m/min): between stadium egress observed below
# 1.0 (under 60/m/min, Larsson et al. 2021) and laboratory bottlenecks of 1.6-2.0 (Seyfried et
# al. 2009, Kretz et al. 2006), within 3% of the Green Guide's 82/m/min planning rate for exits.
# Trade-off: the laboratory figures come from short, motivated runs and would make every exit
# look a quarter faster than stadium crowds use it; the field figure is a lower bound.
DOOR_SPECIFIC_FLOW = 4.0 / 3.0
GREEN_GUIDE_LEVEL = 82.0 / 60.0
GREEN_GUIDE_STAIRS = 66.0 / 60.0
# Escalators (EN 115-1): steps move at 0.5 m/s; theoretical capacity 9,000 persons/h for a 1 m
# step (two per step). Practical capacity is 40-80% of it (Al-Sharif 1996, London Underground
# surveys; Gnendiger, Chraibi & Tordeux 2023, PLoS ONE 18: e0282599): two thirds, 6,000/h.
ESCALATOR_STEP_SPEED = 0.5
ESCALATOR_SPECIFIC_FLOW = 9000.0 / 3600.0 * 2.0 / 3.0
ENDS = ("sector", "exit")  # nodes a walk may end at but never pass through
V_MIN = 0.05  # m/s: a crush still creeps; keeps a full link from freezing for ever


def is_stairs(link: Link) -> bool:
    return link.kind in ("stairs_up", "stairs_down")


def flow_cap(link: Link, model: PedestrianModel, caps: FlowCaps) -> float:
    """Specific-flow cap in persons/m/s for a link, before its own override."""
    if link.flow_cap_per_m_s is not None:
        return link.flow_cap_per_m_s
    if link.kind == "escalator":
        return ESCALATOR_SPECIFIC_FLOW
    if caps == "green_guide":
        return GREEN_GUIDE_STAIRS if is_stairs(link) else GREEN_GUIDE_LEVEL
    if link.kind == "door":
        return DOOR_SPECIFIC_FLOW
    return critical_point(model, link.floor_m2)[0] * KIND_SPEED_FACTOR.get(link.kind, 1.0)


def speed_factor(link: Link, model: PedestrianModel, caps: FlowCaps) -> float:
    """Factor on the level walking law for this link's kind.

    With ``flow_caps: green_guide`` the walking law of walkways, ramps and stairs is scaled so
    that its peak flow is the Green Guide's planning rate: a saturated link then passes 82
    (level, ramps) or 66 (stairs) persons/m/min, not the lower peak of the walking law.
    """
    factor = KIND_SPEED_FACTOR.get(link.kind, 1.0)
    if (
        caps == "green_guide"
        and link.kind not in ("door", "escalator")
        and link.flow_cap_per_m_s is None
    ):
        factor = flow_cap(link, model, caps) / critical_point(model, link.floor_m2)[0]
    return factor


def build_walkway(
    index: int, link: Link, model: PedestrianModel, caps: FlowCaps, t0: float
) -> Walkway:
    """The run-time link: storage, speed table by head count, and headway at the cap.

    Links of one geometry share one set of tables (a template link, cached): a 500 m
    approach has 35,000 head counts, and the padded copies each link made for itself were
    7.9 MB of list slots at 115,000 seats, about 70 bytes per fan.
    """
    key = (link.kind, link.length_m, link.width_m, link.flow_cap_per_m_s, caps, link.walking_share)
    try:
        template = _template(cast(Hashable, model), key)
    except TypeError:  # an unhashable custom model: build without the cache
        template = _template.__wrapped__(model, key)
    walkway = Walkway(index, link.length_m, template.capacity, [0.0], template.headway, t0)
    walkway.set_tables(template)
    return walkway


def clear_caches() -> None:
    """Empty the caches of link templates and place speed tables (built again when used)."""
    _template.cache_clear()
    _place_speeds.cache_clear()


@functools.lru_cache(maxsize=1024)
def _template(
    model: Hashable, key: tuple[str, float, float, float | None, FlowCaps, float]
) -> Walkway:
    """A link of geometry ``key`` (``_tables``' arguments) whose static tables every link of
    the geometry shares."""
    capacity, speeds, headway, supply = _tables(model, *key)
    return Walkway(-1, key[1], capacity, speeds, headway, 0.0, supply)


def _tables(
    model: Hashable,
    kind: str,
    length: float,
    width: float,
    override: float | None,
    caps: FlowCaps,
    walking_share: float = 0.0,
) -> tuple[int, list[float], float, list[float] | None]:
    """Storage, speed by head count, exit headway and supply of a link of this geometry.

    Built once per geometry (``_template``): a long walkway has tens of thousands of head
    counts, and venues repeat geometries. The lists are shared between links, never written to.
    """
    ped = cast(PedestrianModel, model)
    link = Link("", "", "", length, width, kind, True, override, "", walking_share)  # type: ignore[arg-type]
    floor = length * width
    capacity = max(1, math.floor(ped.k_jam * floor))
    factor = speed_factor(link, ped, caps)
    free = ped.speed(0.0, floor) * factor
    cap = flow_cap(link, ped, caps)
    if kind == "door":  # short: the cap is the point, walking time is at free speed
        speeds = [free] * (capacity + 1)
    elif kind == "escalator":  # standing on the steps; walkers climb at the stair speed too
        climb = KIND_SPEED_FACTOR["stairs_up"]
        speeds = [
            ESCALATOR_STEP_SPEED + walking_share * ped.speed(n / floor, floor) * climb
            for n in range(capacity + 1)
        ]
        return capacity, speeds, 1.0 / (cap * width), None
    else:
        speeds = [free] + [
            max(V_MIN, ped.speed(n / floor, floor) * factor) for n in range(1, capacity + 1)
        ]
    supply = None
    if kind != "door" and override is None:
        q_max, k_crit = critical_point(ped, floor)
        wave = q_max * factor / (ped.k_jam - k_crit)  # backward wave speed, m/s
        supply = [
            1.0 / (width * min(cap, wave * (ped.k_jam - n / floor))) if n < capacity else math.inf
            for n in range(capacity + 1)
        ]
    return capacity, speeds, 1.0 / (cap * width), supply


def place_tables(
    scenario: Scenario, model: PedestrianModel
) -> tuple[list[float], list[float], list[list[float] | None]]:
    """Per node: storage (INF: unbounded), walk across it (m) and speed by head count.

    Areas hold and are crossed; checkpoint pens and origins with a floor only hold (a pen's
    time is its queue; an origin is where a walk starts). Origins are left to the transport
    model when a scenario has one (it holds platforms itself), seats and exits are ends.
    """
    venue = scenario.venue
    elements = venue_elements(venue)
    n_nodes = len(elements) - len(venue.links)
    capacity = [math.inf] * n_nodes
    walk = [0.0] * n_nodes
    speeds: list[list[float] | None] = [None] * n_nodes
    crossing = walk_across_m(venue)
    for i, element in enumerate(elements[:n_nodes]):
        floor = element.floor_m2
        if floor <= 0 or element.kind in ("sector", "exit"):
            continue
        if element.kind == "origin" and scenario.transport is not None:
            continue
        capacity[i] = float(math.floor(model.k_jam * floor))
        walk[i] = crossing.get(element.id, 0.0)
        if walk[i] > 0:
            try:
                speeds[i] = _place_speeds(cast(Hashable, model), floor)
            except TypeError:  # an unhashable custom model
                speeds[i] = _place_speeds.__wrapped__(model, floor)
    return capacity, walk, speeds


@functools.lru_cache(maxsize=256)
def _place_speeds(model: Hashable, floor: float) -> list[float]:
    """Level speed by density in steps of ``k_jam / BINS`` (index BINS: jam density)."""
    ped = cast(PedestrianModel, model)
    return [ped.speed(0.0, floor)] + [
        max(V_MIN, ped.speed(ped.k_jam * i / BINS, floor)) for i in range(1, BINS + 1)
    ]


class Network:
    """Node and element numbering, the venue multigraph, and cached shortest routes.

    Every link is an edge of its own (keyed ``(link, direction)``), so two doors between the
    same two places both carry fans; ``hops[(u, v)]`` lists the parallel links of a hop, widest
    first (a precomputed route takes the widest; the route choice of
    ``simulator.engine.routing`` chooses among all of them at run time).
    """

    def __init__(self, scenario: Scenario) -> None:
        venue = scenario.venue
        self.elements = venue_elements(venue)
        self.n_nodes = len(self.elements) - len(venue.links)
        self.index = {e.id: i for i, e in enumerate(self.elements)}
        self.bank_of_node = {self.index[c.id]: i for i, c in enumerate(venue.checkpoints)}
        # perimeter checkpoints screen every ingress route through them, pinned to a gate or not
        self.perimeter = frozenset(
            self.index[c.id] for c in venue.checkpoints if c.stage == "perimeter"
        )
        self.graph = self._graph(scenario)
        self.hops = self._hops(scenario)
        self.branch = self._decision_nodes(scenario.routing.detour, self._anchors(scenario))
        self._paths: dict[tuple[int, int], list[int]] = {}
        self._routes: dict[tuple[int, int, int, str], tuple[Step, ...]] = {}
        self.choices: dict[tuple[int, int, str], Any] = {}  # simulator.engine.routing's cache

    def _graph(self, scenario: Scenario) -> nx.MultiDiGraph:
        graph = nx.MultiDiGraph()
        graph.add_nodes_from(range(self.n_nodes))
        for i, link in enumerate(scenario.venue.links):
            ends = [(link.source, link.target, 0)]
            if link.two_way:
                ends.append((link.target, link.source, 1))
            for a, b, d in ends:
                u, v = self.index[a], self.index[b]
                graph.add_edge(
                    u, v, key=(i, d), link=i, dir=d, length=link.length_m, width=link.width_m
                )
        return graph

    def _hops(self, scenario: Scenario) -> dict[tuple[int, int], tuple[tuple[int, int], ...]]:
        """Per (u, v): its links as (link, direction), widest first, then in scenario order."""
        out: dict[tuple[int, int], tuple[tuple[int, int], ...]] = {}
        for u, v in {(u, v) for u, v in self.graph.edges()}:
            edges = self.graph[u][v].values()
            ranked = sorted(edges, key=lambda e: (-e["width"], e["link"]))
            out[(u, v)] = tuple((e["link"], e["dir"]) for e in ranked)
        return out

    def _anchors(self, scenario: Scenario) -> set[int]:
        """Every node a walk may be headed for: origins, gates, seats, exits, destinations, pins."""
        kinds = ("origin", "checkpoint", "sector", "exit")
        out = {i for i, e in enumerate(self.elements[: self.n_nodes]) if e.kind in kinds}
        if scenario.egress is not None:
            out |= {self.index[d] for d, _ in scenario.egress.destinations}
        out |= {self.index[s.destination] for s in scenario.sources}
        out |= {self.index[n] for _, n in scenario.routing.egress_via}
        return out

    def _decision_nodes(self, detour: float, anchors: set[int]) -> list[bool]:
        """Where a fan may have a choice: parallel links out, or two first hops within reach.

        A node is a decision node when it has parallel links out, or when for some anchor two
        of its out-neighbours each start a way there no longer than ``1 + detour`` times the
        shortest (ways that do not come back through the node and cross no seats or exits): a
        necessary condition for ``simulator.engine.routing`` to have two candidates there.
        Elsewhere a fan walks on without being asked, which keeps the engine's hot path short.
        """
        ends = {i for i, e in enumerate(self.elements[: self.n_nodes]) if e.kind in ENDS}
        walk = nx.DiGraph()
        walk.add_nodes_from(range(self.n_nodes))
        for (u, v), _ in self.hops.items():
            if u not in ends:
                walk.add_edge(u, v, length=self.hop_length(u, v))
        outs: dict[int, list[int]] = {}
        for u, v in self.hops:
            outs.setdefault(u, []).append(v)
        decide = [False] * self.n_nodes
        for u, near in outs.items():
            if any(len(self.hops[(u, v)]) > 1 for v in near):
                decide[u] = True
                continue
            if len(near) < 2:
                continue
            rest = nx.subgraph_view(walk, filter_node=lambda n, u=u: n != u)
            reach = []
            for v in near:
                dist = (
                    {v: 0.0}
                    if v in ends
                    else nx.single_source_dijkstra_path_length(rest, v, weight="length")
                )
                first = self.hop_length(u, v)
                reach.append({t: first + d for t, d in dist.items()})
            best: dict[int, float] = {}
            for way in reach:
                for t, d in way.items():
                    if d < best.get(t, math.inf):
                        best[t] = d
            for t, d in best.items():
                if t not in anchors:
                    continue
                limit = (1.0 + detour) * d + 1e-9
                if sum(1 for way in reach if way.get(t, math.inf) <= limit) >= 2:
                    decide[u] = True
                    break
        return decide

    @functools.cached_property
    def walk_hops(self) -> tuple[tuple[int, int, float, bool, bool], ...]:
        """(u, v, hop length, u is a sector or exit, v is one) per hop, in ``hops`` order: what
        route choice builds its walking graphs from, a few hundred times per plan."""
        stop = [e.kind in ("sector", "exit") for e in self.elements]
        return tuple((u, v, self.hop_length(u, v), stop[u], stop[v]) for u, v in self.hops)

    def hop_length(self, u: int, v: int) -> float:
        """The shortest of the parallel links from ``u`` to ``v``."""
        return float(min(e["length"] for e in self.graph[u][v].values()))

    def path(self, source: int, target: int) -> list[int]:
        """Shortest node path; sectors and exits are never crossed, only reached."""
        key = (source, target)
        if key not in self._paths:
            types = self.elements

            def weight(u: int, v: int, data: dict[Any, dict[str, Any]]) -> float | None:
                if v != target and types[v].kind in ("sector", "exit"):
                    return None
                return float(min(e["length"] for e in data.values()))

            try:
                self._paths[key] = nx.shortest_path(self.graph, source, target, weight=weight)
            except nx.NetworkXNoPath as exc:
                raise SimulatorError(
                    f"venue.links: no walking path from {types[source].id!r} to "
                    f"{types[target].id!r}; add a link between them"
                ) from exc
        return self._paths[key]

    def length(self, nodes: list[int]) -> float:
        return sum(self.hop_length(u, v) for u, v in itertools.pairwise(nodes))

    def steps(self, nodes: list[int], via: int, serve: str) -> list[Step]:
        """Route steps along a node path, each hop on its widest link; the last has no link.

        ``serve``: "via" = screening at ``via`` and at the perimeter checkpoints passed (the
        access chain of a fan with a gate); "all" = at every checkpoint passed; "none" = walk
        through checkpoints (egress).
        """
        steps: list[Step] = []
        for k, node in enumerate(nodes):
            bank = self.bank_of_node.get(node, -1)
            if serve == "none" or (serve == "via" and node != via and node not in self.perimeter):
                bank = -1
            if k + 1 < len(nodes):
                link, d = self.hops[(node, nodes[k + 1])][0]
                steps.append((node, bank, link, d))
            else:
                steps.append((node, bank, -1, 0))
        return steps

    def route(self, source: int, via: int, target: int, serve: str) -> tuple[Step, ...]:
        """Steps from ``source`` (through checkpoint node ``via`` if >= 0) to ``target``.

        ``serve`` as in ``steps``.
        """
        key = (source, via, target, serve)
        cached = self._routes.get(key)
        if cached is not None:
            return cached
        if via >= 0:
            nodes = self.path(source, via) + self.path(via, target)[1:]
        else:
            nodes = self.path(source, target)
        route = tuple(self.steps(nodes, via, serve))
        self._routes[key] = route
        return route
