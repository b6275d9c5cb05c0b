"""Route choice: fans choose among a few paths by expected travel time, at decision nodes.

A fan about to leave a decision node (``Network.branch``: parallel links out, or two first hops
that each start a way to some node within the detour limit) compares the candidate paths to its
next *anchor* (the gate it must be screened at, a pinned node, or its seat or destination).
Candidates are built once per (node, anchor, serve) and cached on the plan: up to
``routing.paths`` loop-free shortest paths (Yen's k shortest simple paths) no longer than
``1 + routing.detour`` times the shortest. A fan reconsidering on the way drops the candidates
that pass a node it has already walked through (its route keeps the way walked), so it can
never walk in a circle. At run time only the cost of these few is read from the run state:

    cost = sum over hops of the cheapest parallel link: max(length / v(n), (n + waiting) x h)
         + crossing of each place on the way at its crowd's speed
         + screening queue x mean service / lanes at each checkpoint that screens on the way

``v(n)`` is the link's speed at its head count, ``h`` its exit headway (seconds per person at
the flow cap): the first term is the walk, the second the time to discharge everyone already
on it or queuing for it. A closed link or gate costs infinity. The choice is a path-size logit
(Ben-Akiva & Bierlaire 1999): ``P(i) ~ exp(-theta C_i + ln PS_i)`` with
``PS_i = sum_a (L_a / L_i) / N_a`` over the hops ``a`` of path ``i``, ``N_a`` the candidates
sharing hop ``a``; the link among parallel ones on the first hop is drawn by the same logit
on its own cost. Draws come from the run's generator (only when two or more alternatives are
open), so a run stays deterministic per seed and a warm start replays it.

A fan pinned to a gate is routed to that gate; the perimeter checkpoints of its access chain are
screened wherever its way passes one, so a closed perimeter entry is routed round like a closed
link (``Router.bypass``: back from the closed one to another).
A closure (a closed link, a gate with no lanes) met on the way sends the fan onto the best open
path; with every candidate closed, the shortest path avoiding the closed links is computed and
cached per set of closed links. A fan whose gate has closed is sent to the open gate of least
expected delay from where it stands. A fan with no open way left waits and is counted as
unable to re-route (``World.unroutable``). With ``ingress.route_choice: least_delay`` a fan also
weighs its nearest gates again at each decision node before its gate (``Router.reconsider``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any, Final

import networkx as nx

from simulator.engine.party import EGRESS, HALFTIME, INGRESS, Party, Step
from simulator.errors import SimulatorError

if TYPE_CHECKING:
    from simulator.engine.checkpoint import TurnstileBank
    from simulator.engine.gates import GateCosts
    from simulator.engine.network import Network
    from simulator.engine.place import Place
    from simulator.engine.world import World
    from simulator.scenario.model import Routing, Scenario

INF: Final = math.inf
FREE_WALK_MPS = 1.34  # walking speed assumed for the part of a way beyond the next anchor
NEAR_GATES = 3  # gates a least-delay fan weighs again on the way (least free walk first)
Hop = tuple[tuple[int, int], ...]  # the parallel (link, direction) of one hop


class Candidate:
    """One path from a decision node to an anchor, with what its cost is read from."""

    __slots__ = ("banks", "hops", "log_ps", "nodes", "places", "steps", "through")

    def __init__(
        self,
        nodes: tuple[int, ...],
        hops: tuple[Hop, ...],
        places: tuple[int, ...],
        banks: tuple[int, ...],
        steps: tuple[tuple[Step, ...], ...],
    ) -> None:
        self.nodes = nodes
        self.hops = hops
        self.places = places  # nodes crossed on the way (the anchor excluded)
        self.banks = banks  # checkpoint banks that screen on the way (serve "all")
        self.steps = steps  # per link of the first hop: the steps up to the anchor (excluded)
        self.log_ps = 0.0
        self.through: tuple[int, ...] = ()  # banks walked through unscreened on an ingress way


def avoids(nodes: tuple[int, ...], seen: set[int]) -> bool:
    """``seen.isdisjoint(nodes)`` as ``all``, which mypyc compiles to a loop (the method call
    is a generic one)."""
    return all(v not in seen for v in nodes)


def serve_code(serve: str) -> int:
    """``serve`` ("none", "via" or "all") as 0, 1 or 2: a part of the run's int look-up keys."""
    return 0 if serve == "none" else 1 if serve == "via" else 2


def candidate(net: Network, nodes: list[int], serve: str) -> Candidate:
    """The candidate for a node path; its steps screen only where ``serve`` is "all"."""
    body = net.steps(nodes, -1, serve)[:-1]  # "via" with no via: perimeter checkpoints only
    first = net.hops[(nodes[0], nodes[1])]
    steps = tuple(((nodes[0], -1, link, d), *body[1:]) for link, d in first)
    banks = tuple(s[1] for s in body[1:] if s[1] >= 0)
    hops = tuple(net.hops[(u, v)] for u, v in itertools.pairwise(nodes))
    cand = Candidate(tuple(nodes), hops, tuple(nodes[1:-1]), banks, steps)
    if serve == "via":
        cand.through = tuple(
            net.bank_of_node[v]
            for v in nodes[1:-1]
            if v in net.bank_of_node and v not in net.perimeter
        )
    return cand


def candidates(net: Network, node: int, anchor: int, serve: str, routing: Routing) -> list[Any]:
    """The cached candidates from ``node`` to ``anchor`` (empty: no walking path)."""
    key = (node, anchor, serve)
    found = net.choices.get(key)
    if found is None:
        found = net.choices[key] = _candidates(net, node, anchor, serve, routing)
    return found


class WalkGraph:
    """The hops a way from ``node`` to its ``anchor`` may walk, without seats and exits between.

    Each node's successors and predecessors are kept in ``Network.walk_hops`` order, the
    order an ``nx.DiGraph`` built from the same hops keeps them in: the searches below visit
    neighbours, and so break ties between equally long ways, exactly as networkx's do.
    """

    def __init__(self, net: Network, node: int, anchor: int) -> None:
        self.succ: list[list[tuple[int, float]]] = [[] for _ in range(net.n_nodes)]
        self.pred: list[list[tuple[int, float]]] = [[] for _ in range(net.n_nodes)]
        self.length: dict[tuple[int, int], float] = {}
        for u, v, length, u_stop, v_stop in net.walk_hops:
            if (v_stop and v != node and v != anchor) or (u_stop and u != node and u != anchor):
                continue
            self.succ[u].append((v, length))
            self.pred[v].append((u, length))
            self.length[(u, v)] = length

    def has(self, v: int) -> bool:
        """Whether a hop of the graph starts or ends at ``v``."""
        return bool(self.succ[v]) or bool(self.pred[v])

    def path_length(self, nodes: list[int]) -> float:
        """The summed hop lengths of a path, added in order (as networkx adds them)."""
        total = 0.0
        for k in range(1, len(nodes)):
            total += self.length[(nodes[k - 1], nodes[k])]
        return total


def distance(graph: WalkGraph, source: int, target: int) -> float:
    """Shortest distance (Dijkstra, ``nx.shortest_path_length``'s order); INF: no way."""
    if source == target:
        return 0.0
    done: dict[int, float] = {}
    seen: dict[int, float] = {source: 0.0}
    fringe: list[tuple[float, int, int]] = [(0.0, 0, source)]
    count = 1
    while fringe:
        dist, _, v = heappop(fringe)
        if v in done:
            continue
        done[v] = dist
        if v == target:
            return dist
        for u, length in graph.succ[v]:
            d = dist + length
            if u not in done and (u not in seen or d < seen[u]):
                seen[u] = d
                heappush(fringe, (d, count, u))
                count += 1
    return INF


def shortest_way(
    graph: WalkGraph,
    source: int,
    target: int,
    ignore_nodes: set[int],
    ignore_edges: set[tuple[int, int]],
) -> tuple[float, list[int]] | None:
    """The shortest path avoiding some nodes and hops, and its length; None if there is none.

    Bidirectional Dijkstra, a port of networkx's (``simple_paths._bidirectional_dijkstra``,
    the search Yen's algorithm runs there): the same expansions and ties, so the same path.
    """
    if source in ignore_nodes or target in ignore_nodes:
        return None
    if source == target:
        return 0.0, [source]
    dists: list[dict[int, float]] = [{}, {}]
    paths: list[dict[int, list[int]]] = [{source: [source]}, {target: [target]}]
    seen: list[dict[int, float]] = [{source: 0.0}, {target: 0.0}]
    fringe: list[list[tuple[float, int, int]]] = [[(0.0, 0, source)], [(0.0, 1, target)]]
    count = 2
    final_dist = 0.0
    final_path: list[int] = []
    direction = 1
    while fringe[0] and fringe[1]:
        direction = 1 - direction
        dist, _, v = heappop(fringe[direction])
        here = dists[direction]
        if v in here:
            continue
        here[v] = dist
        if v in dists[1 - direction]:
            return final_dist, final_path
        near = seen[direction]
        for w, length in graph.succ[v] if direction == 0 else graph.pred[v]:
            if w in ignore_nodes or (((v, w) if direction == 0 else (w, v)) in ignore_edges):
                continue
            vw = dist + length
            if w in here or (w in near and vw >= near[w]):
                continue
            near[w] = vw
            heappush(fringe[direction], (vw, count, w))
            count += 1
            paths[direction][w] = paths[direction][v] + [w]
            if w in seen[0] and w in seen[1]:
                total = seen[0][w] + seen[1][w]
                if not final_path or final_dist > total:
                    final_dist = total
                    back = paths[1][w][::-1]
                    final_path = paths[0][w] + back[1:]
    return None


def simple_paths(graph: WalkGraph, source: int, target: int) -> Iterator[list[int]]:
    """Loop-free paths, shortest first: Yen's algorithm as ``nx.shortest_simple_paths`` runs it
    (the same spur searches, costs and order), compiled, on a graph without a dict per hop."""
    found: list[list[int]] = []
    buffer: list[tuple[float, int, list[int]]] = []  # (cost, insertion counter, path)
    buffered: set[tuple[int, ...]] = set()
    count = 0
    prev: list[int] = []
    while True:
        spurs: list[tuple[float, list[int]]] = []
        if not prev:
            first = shortest_way(graph, source, target, set(), set())
            if first is not None:
                spurs.append(first)
        else:
            ignore_nodes: set[int] = set()
            ignore_edges: set[tuple[int, int]] = set()
            for i in range(1, len(prev)):
                root = prev[:i]
                root_length = graph.path_length(root)
                for path in found:
                    if path[:i] == root:
                        ignore_edges.add((path[i - 1], path[i]))
                spur = shortest_way(graph, root[-1], target, ignore_nodes, ignore_edges)
                if spur is not None:
                    spurs.append((root_length + spur[0], root[:-1] + spur[1]))
                ignore_nodes.add(root[-1])
        for cost, path in spurs:
            key = tuple(path)
            if key not in buffered:
                heappush(buffer, (cost, count, path))
                count += 1
                buffered.add(key)
        if not buffer:
            return
        _, _, prev = heappop(buffer)
        buffered.remove(tuple(prev))
        found.append(prev)
        yield prev


def _candidates(
    net: Network, node: int, anchor: int, serve: str, routing: Routing
) -> list[Candidate]:
    graph = WalkGraph(net, node, anchor)
    if not graph.has(node) or not graph.has(anchor):
        return []
    shortest = distance(graph, node, anchor)
    if shortest == INF:
        return []
    limit = (1.0 + routing.detour) * shortest + 1e-9
    paths: list[list[int]] = []
    for nodes in simple_paths(graph, node, anchor):
        if len(paths) >= routing.paths or (paths and net.length(nodes) > limit):
            break
        paths.append(nodes)
        if len(paths) >= routing.paths:  # not one more: each path costs Yen's algorithm more
            break
    out = [candidate(net, nodes, serve) for nodes in paths]
    # an alternative to the shortest never walks through another gate to reach its own
    out = [c for k, c in enumerate(out) if k == 0 or not c.through]
    paths = [list(c.nodes) for c in out]
    uses: dict[tuple[int, int], int] = {}
    for nodes in paths:
        for hop in itertools.pairwise(nodes):
            uses[hop] = uses.get(hop, 0) + 1
    for cand, nodes in zip(out, paths, strict=True):
        total = net.length(nodes)
        if total > 0:
            size = sum(
                net.hop_length(u, v) / total / uses[(u, v)] for u, v in itertools.pairwise(nodes)
            )
            cand.log_ps = math.log(size)
    return out


class Router:
    """The run-time choice among cached candidates; state lives on the world, not here."""

    def __init__(
        self,
        scenario: Scenario,
        net: Network,
        world: World,
        link_closed: Callable[[int], bool] | None,
        node_walk: list[float],
        node_speeds: list[list[float] | None],
        gates: GateCosts | None = None,
        service_factor: Callable[[int], float] | None = None,
        halftime_stop: list[int] | None = None,
        gate_for: Callable[[Party, int], int] | None = None,
    ) -> None:
        self.scenario = scenario
        self.routing = scenario.routing
        self.net = net
        self.world = world
        self.closed = link_closed
        self.factor = service_factor  # the parts' screening-time factor per bank
        self.logit = self.routing.model == "logit"
        self.theta = self.routing.theta_per_s
        # lists, not sequences: the compiled code indexes a list natively
        self.node_walk = node_walk
        self.node_speeds = node_speeds
        self.mean_service = [cp.service.mean for cp in scenario.venue.checkpoints]
        sizes = scenario.ingress.party_sizes if scenario.ingress else (1.0,)
        self.mean_size = sum((k + 1) * p for k, p in enumerate(sizes)) / max(sum(sizes), 1e-12)
        index = net.index
        self.pins = {index[s]: index[n] for s, n in self.routing.egress_via}
        self._detours: dict[tuple[Any, ...], Candidate | None] = {}
        self.gates = gates  # the gate costs, for ``least_delay`` only
        # per sector node: its half-time concourse (-1 none)
        self.halftime_stop = [] if halftime_stop is None else halftime_stop
        self.gate_for = gate_for  # the parts' answer to "which gate" (a reassignment), if any
        # the candidates per node, by 3 x anchor + serve (see ``_candidates``): no key tuple
        # to build and hash on a path taken at every decision
        self._choices: list[dict[int, list[Candidate]]] = [{} for _ in range(net.n_nodes)]
        self._near: dict[tuple[int, int], list[int]] = {}
        self._rests: dict[tuple[int, int], float] = {}

    def _choices_at(self, node: int, anchor: int, serve: str) -> list[Candidate]:
        """``candidates(net, node, anchor, serve)``, looked up in the run's own table."""
        key = 3 * anchor + serve_code(serve)
        here = self._choices[node]
        found = here.get(key)
        if found is None:
            found = here[key] = candidates(self.net, node, anchor, serve, self.routing)
        return found

    # -- costs ----------------------------------------------------------------------------
    def link_cost(self, link: int, d: int) -> float:
        """Expected seconds to walk ``link`` in direction ``d`` from now; INF while closed."""
        if self.closed is not None and self.closed(link):
            return INF
        lk = self.world.links[link]
        n = lk.n
        walk = lk.length / lk.speeds[n]
        ahead = n + (len(lk.waiting[0]) + len(lk.waiting[1])) * self.mean_size
        discharge = ahead * lk.headway
        return walk if walk > discharge else discharge

    def bank_cost(self, bank: int) -> float:
        """Expected wait at a bank now: its queue per lane; INF while it is closed."""
        b: TurnstileBank = self.world.banks[bank]
        if b.lanes <= 0:
            return INF
        factor = 1.0 if self.factor is None else self.factor(bank)
        return len(b.queue) * self.mean_service[bank] * factor / b.lanes

    def cost(self, cand: Candidate) -> float:
        """Expected travel time along a candidate, from the run state now."""
        total = 0.0
        for hop in cand.hops:
            best = INF
            for link, d in hop:
                c = self.link_cost(link, d)  # a direct call (a bound method is a generic one)
                if c < best:
                    best = c
            if best == INF:
                return INF
            total += best
        places, walk = self.world.places, self.node_walk
        for v in cand.places:
            speeds = self.node_speeds[v]
            if speeds is not None:
                place: Place = places[v]
                total += walk[v] / place.speed(speeds)
        for b in cand.banks:
            total += self.bank_cost(b)
        banks = self.world.banks
        for b in cand.through:  # a closed gate cannot be walked through
            if banks[b].lanes <= 0:
                return INF
        return total

    # -- choosing ---------------------------------------------------------------------------
    def anchor(self, party: Party) -> tuple[str, int]:
        """How the party is screened on the way (serve) and the index of its next anchor."""
        route, last = party.route, len(party.route) - 1
        if party.phase == HALFTIME:  # to its concourse, then back to its seat; no screening
            stop = self.halftime_stop[party.sector] if self.halftime_stop else -1
            for k in range(party.pos + 1, last):
                if route[k][0] == stop:
                    return "none", k
            return "none", last
        if party.phase == EGRESS:
            pin = self.pins.get(party.sector, -1)
            if pin >= 0:
                for k in range(party.pos + 1, last):
                    if route[k][0] == pin:
                        return "none", k
            return "none", last
        if party.phase == INGRESS and party.gate >= 0:
            # its ticket gate, not the next perimeter checkpoint: any perimeter entry will do,
            # and the candidates screen at the one they pass (``Network.steps``)
            gate = party.gate
            for k in range(party.pos + 1, last):
                if route[k][1] == gate:
                    return "via", k
            return "via", last
        return "all", last

    def choose(self, party: Party, ordinary: bool) -> bool:
        """Choose the party's way on from its node; False if every way on is closed.

        ``ordinary``: a decision at a decision node (by logit when the model is one); else
        the party's next link is closed and only the best open way will do.
        """
        if party.phase == HALFTIME and ordinary:
            return True  # a half-time trip keeps its way unless a closure is met on it
        route, pos = party.route, party.pos
        node = route[pos][0]
        serve, k = self.anchor(party)
        anchor, bank = route[k][0], route[k][1]
        if anchor == node:
            return not ordinary
        if bank >= 0 and bank == party.gate and self.world.banks[bank].lanes <= 0:
            return self.regate(party)
        least = ordinary and self.gates is not None and serve == "via" and bank >= 0
        if least and self.reconsider(party, bank):
            return True
        cands = self._choices_at(node, anchor, serve)
        if ordinary and len(cands) == 1 and len(cands[0].hops[0]) == 1:
            return True  # one way on (a closure is met where it is): the common case
        if ordinary and len(cands) > 1 and pos > 0:  # never back to where it has been
            seen = {s[0] for s in route[:pos]}
            cands = [c for c in cands if avoids(c.nodes, seen)]
            if not cands:
                return True  # every other way turns back: keep the way it is on
        costs = [self.cost(c) for c in cands]
        pick = self._pick(cands, costs, logit=ordinary and self.logit)
        if pick is None:
            detour = self.detour(node, anchor, serve)
            if detour is None:  # no open way to the anchor: another gate, if it is one
                return bank >= 0 and bank == party.gate and self.regate(party)
            pick = detour
        steps = self._first_link(pick, logit=ordinary and self.logit)
        party.route = (*route[:pos], *steps, *route[k:])  # the way walked stays on record
        if not ordinary:
            self.world.rerouted.add(party.id)
        return True

    def _pick(self, cands: list[Candidate], costs: list[float], *, logit: bool) -> Any:
        best = costs[0] if costs else INF  # min(costs, default=INF), without a generic call
        for c in costs:
            if c < best:
                best = c
        if best == INF:
            return None
        if not logit or len(cands) == 1:
            return cands[costs.index(best)]
        theta = self.theta
        weights = [
            math.exp(-theta * (costs[i] - best) + cands[i].log_ps) if costs[i] < INF else 0.0
            for i in range(len(cands))
        ]
        return cands[self._draw(weights)]

    def _first_link(self, cand: Candidate, *, logit: bool) -> tuple[Step, ...]:
        """The candidate's steps, over the link of its first hop drawn by cost."""
        hop = cand.hops[0]
        if len(hop) == 1:
            return cand.steps[0]
        costs = [self.link_cost(link, d) for link, d in hop]
        best = min(costs)
        if not logit:
            return cand.steps[costs.index(best)]
        theta = self.theta
        weights = [math.exp(-theta * (c - best)) if c < INF else 0.0 for c in costs]
        return cand.steps[self._draw(weights)]

    def _draw(self, weights: list[float]) -> int:
        """An index drawn with probability by weight; no draw when only one is open."""
        n_open, last = 0, -1
        for i in range(len(weights)):
            if weights[i] > 0.0:
                n_open += 1
                last = i
        if n_open == 1:
            return last
        u = float(self.world.rng.random()) * sum(weights)
        acc = 0.0
        for i in range(len(weights)):
            acc += weights[i]
            if u < acc:
                return i
        return last

    # -- least delay: the gate weighed again on the way ---------------------------------------
    def reconsider(self, party: Party, bank: int) -> bool:
        """``least_delay``: before its gate, a fan weighs the nearest gates again from here.

        The gates are the ``NEAR_GATES`` of least free walk from its origin to its seat; each
        costs the way there now (not back through where it has walked), its queue per lane and
        the free walk on to the seat; the choice is the same logit. True if it switched.
        """
        route, pos = party.route, party.pos
        node = route[pos][0]
        near = self._near_gates(party.origin, party.sector)
        if len(near) < 2:
            return False
        seen = {s[0] for s in route[:pos]}
        banks = self.world.banks
        options: list[tuple[float, int, Candidate | None]] = []
        for b in near:
            there = banks[b]
            if there.lanes <= 0:
                continue
            way = (0.0, None) if there.node == node else self._way(node, there.node, seen)
            if way is None:
                continue
            rest = self._rest(b, party.sector)
            options.append((way[0] + self.bank_cost(b) + rest, b, way[1]))
        if len(options) < 2:
            return False
        best = min(o[0] for o in options)
        if best == INF:
            return False
        weights = [math.exp(-self.theta * (c - best)) if c < INF else 0.0 for c, _, _ in options]
        _, gate, cand = options[self._draw(weights)]
        if gate == party.gate:
            return False
        tail = self.net.route(banks[gate].node, banks[gate].node, party.sector, "via")
        head = () if cand is None else self._first_link(cand, logit=True)
        party.gate = gate
        party.route = (*route[:pos], *head, *tail)
        return True

    def _near_gates(self, origin: int, sector: int) -> list[int]:
        key = (origin, sector)
        found = self._near.get(key)
        if found is None:
            assert self.gates is not None
            walks = sorted(self.gates.walks(origin, sector), key=lambda bw: (bw[1], bw[0]))
            found = self._near[key] = [b for b, _ in walks[:NEAR_GATES]]
        return found

    def _rest(self, bank: int, sector: int) -> float:
        key = (bank, sector)
        found = self._rests.get(key)
        if found is None:
            gate = self.world.banks[bank].node
            found = self._rests[key] = self.net.length(self.net.path(gate, sector)) / FREE_WALK_MPS
        return found

    def _way(self, node: int, anchor: int, seen: set[int]) -> tuple[float, Candidate] | None:
        """The cheapest candidate to ``anchor`` now that avoids the nodes in ``seen``."""
        cands = self._choices_at(node, anchor, "via")
        best: tuple[float, Candidate] | None = None
        for cand in cands:
            if not avoids(cand.nodes, seen):
                continue
            c = self.cost(cand)
            if c < INF and (best is None or c < best[0]):
                best = (c, cand)
        return best

    # -- closures -------------------------------------------------------------------------------
    def detour(self, node: int, anchor: int, serve: str, forbid: int = -1) -> Candidate | None:
        """The shortest way to ``anchor`` avoiding every closed link (None: there is none),
        and not first to ``forbid``."""
        closed = self.closed
        n_links = len(self.world.links)
        shut = frozenset(i for i in range(n_links) if closed is not None and closed(i))
        shut_gates = frozenset(b.index for b in self.world.banks if b.lanes <= 0)
        key = (node, anchor, serve, shut, shut_gates, forbid)
        if key not in self._detours:
            self._detours[key] = self._detour(node, anchor, serve, shut, shut_gates, forbid)
        found = self._detours[key]
        if found is not None and self.cost(found) == INF:
            return None
        return found

    def _detour(
        self,
        node: int,
        anchor: int,
        serve: str,
        shut: frozenset[int],
        shut_gates: frozenset[int],
        forbid: int,
    ) -> Candidate | None:
        net, kinds = self.net, self.net.elements

        gates = net.bank_of_node

        def weight(u: int, v: int, data: dict[Any, dict[str, Any]]) -> float | None:
            if v != anchor and kinds[v].kind in ("sector", "exit"):
                return None
            if u == node and v == forbid:
                return None
            if serve != "none" and v != anchor and gates.get(v, -1) in shut_gates:
                return None  # a closed gate cannot be walked through on the way in
            open_ = [e["length"] for e in data.values() if e["link"] not in shut]
            return float(min(open_)) if open_ else None

        try:
            nodes = nx.shortest_path(net.graph, node, anchor, weight=weight)
        except nx.NetworkXNoPath:
            return None
        if len(nodes) < 2:
            return None
        cand = candidate(net, nodes, serve)
        # only the open links of each hop (the shortest open one first)
        hops = tuple(tuple(h for h in hop if h[0] not in shut) for hop in cand.hops)
        steps = tuple(s for s, h in zip(cand.steps, cand.hops[0], strict=True) if h[0] not in shut)
        out = Candidate(cand.nodes, hops, cand.places, cand.banks, steps)
        return out

    def bypass(self, party: Party) -> bool:
        """The perimeter checkpoint the party stands at has closed: go round to another.

        Its best open way from here to its next anchor that does not go on through the closed
        checkpoint (so back the way it came, to another perimeter entry); False when there is
        none, and the party waits for the checkpoint to reopen.
        """
        route, pos = party.route, party.pos
        node = route[pos][0]
        forbid = route[pos + 1][0] if pos + 1 < len(route) else -1
        serve, k = self.anchor(party)
        way = self._best_way(node, route[k][0], forbid, serve)
        if way is None or way[1] is None:
            return False
        party.route = (*route[:pos], *self._first_link(way[1], logit=False), *route[k:])
        self.world.rerouted.add(party.id)
        return True

    def regate(self, party: Party) -> bool:
        """The party's gate is closed: send it to the gate the parts name (a reassignment),
        else to the open gate of least expected delay.

        From where it stands: the way there at its current cost, the gate's queue, then the
        free walk from the gate to the seat. False when no gate is open to it.
        """
        route, pos = party.route, party.pos
        node, here = route[pos][0], route[pos][1]
        # standing unscreened at its closed gate: not on through it, back the way it came
        forbid = route[pos + 1][0] if here >= 0 and pos + 1 < len(route) else -1
        banks = self.world.banks
        named = -1 if self.gate_for is None else self.gate_for(party, party.gate)
        if named == party.gate or not 0 <= named < len(banks) or banks[named].lanes <= 0:
            named = -1
        best = self._best_gate(party, node, forbid, named)
        if best is None and named >= 0:  # no way to the named gate from here: any open one
            best = self._best_gate(party, node, forbid, -1)
        if best is None:
            return False
        _, gate, cand, tail = best
        party.gate = gate
        head = () if cand is None else self._first_link(cand, logit=False)
        party.route = (*route[:pos], *head, *tail)
        self.world.rerouted.add(party.id)
        return True

    def _best_gate(
        self, party: Party, node: int, forbid: int, only: int
    ) -> tuple[float, int, Candidate | None, tuple[Step, ...]] | None:
        """The open gate (``only`` that one, if >= 0) of least expected delay from ``node``."""
        net = self.net
        best: tuple[float, int, Candidate | None, tuple[Step, ...]] | None = None
        for b in self.world.banks:
            if b.lanes <= 0 or (only >= 0 and b.index != only):
                continue
            try:
                tail = net.route(b.node, b.node, party.sector, "via")
            except SimulatorError:
                continue
            way = (0.0, None) if b.node == node else self._best_way(node, b.node, forbid)
            if way is None:
                continue
            rest = net.length([s[0] for s in tail]) / FREE_WALK_MPS
            total = way[0] + self.bank_cost(b.index) + rest
            if best is None or total < best[0]:
                best = (total, b.index, way[1], tail)
        return best

    def _best_way(
        self, node: int, anchor: int, forbid: int = -1, serve: str = "via"
    ) -> tuple[float, Candidate | None] | None:
        """The cheapest open way to ``anchor`` now whose first step is not to ``forbid``."""
        cands = self._choices_at(node, anchor, serve)
        cands = [c for c in cands if c.nodes[1] != forbid]
        costs = [self.cost(c) for c in cands]
        pick = self._pick(cands, costs, logit=False)
        if pick is None:
            pick = self.detour(node, anchor, serve, forbid)
            if pick is None:
                return None
        return self.cost(pick), pick
