"""Cross-reference checks on a fully read scenario: ids, references, models and routes.

The route checks build the venue as a networkx digraph (a two-way link is an edge each way).
Fans may walk through origins, areas and checkpoints, never through a seat sector or out of an
exit on the way, so those two kinds are only ever a path's last node. Ingress needs, for every
sector, a path from each origin fans arrive at, through a checkpoint (its assigned gate when it
has one); egress needs a path from each sector back to where fans go after the match. Where a
venue has perimeter checkpoints, no way in may reach a sector's gate without passing one.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import networkx as nx

from simulator.crowd.registry import create_model, model_names
from simulator.errors import SimulatorError
from simulator.scenario.clock import format_clock
from simulator.scenario.fields import FieldReader, join
from simulator.scenario.model import Scenario, Venue

_GROUPS = ("origins", "areas", "checkpoints", "sectors", "exits")


class Where:
    """YAML path of the k-th kept item of a list, by its index in the file's list."""

    def __init__(self, positions: Mapping[str, Sequence[int]] | None) -> None:
        self.positions = positions or {}

    def __call__(self, group: str, k: int) -> str:
        raw = self.positions.get(group)
        index = raw[k] if raw is not None and k < len(raw) else k
        return f"sources[{index}]" if group == "sources" else f"venue.{group}[{index}]"


def check_scenario(
    r: FieldReader,
    scenario: Scenario,
    *,
    declared: Mapping[str, set[str]] | None = None,
    positions: Mapping[str, Sequence[int]] | None = None,
) -> None:
    """Record every cross-reference problem of ``scenario`` in ``r``.

    ``scenario`` may be partial (items that failed to read left out); ``declared`` holds the
    ids written in each venue list, valid or not, to check references against, and
    ``positions`` each kept item's index in its YAML list. Routes are only
    checked once everything else is clean, since a route check on a broken graph misleads.
    """
    if declared is None:
        declared = {g: {n.id for n in getattr(scenario.venue, g)} for g in _GROUPS}
    at = Where(positions)
    _check_ids(r, scenario.venue, at)
    _check_references(r, scenario, declared, at)
    _check_model(r, scenario)
    _check_storage(r, scenario, at)
    _check_times(r, scenario)
    if not r.problems:
        _check_routes(r, scenario, at)


def venue_graph(venue: Venue) -> nx.DiGraph:
    """The walking network: nodes carry ``kind``, edges the link ``id`` (both ways if two-way)."""
    graph = nx.DiGraph()
    for group in _GROUPS:
        for node in getattr(venue, group):
            graph.add_node(node.id, kind=group[:-1])
    for link in venue.links:
        graph.add_edge(link.source, link.target, id=link.id)
        if link.two_way:
            graph.add_edge(link.target, link.source, id=link.id)
    return graph


def _check_ids(r: FieldReader, venue: Venue, at: Where) -> None:
    seen: dict[str, str] = {}
    for group in _GROUPS:
        for i, node in enumerate(getattr(venue, group)):
            path = join(at(group, i), "id")
            if node.id in seen:
                r.problem(
                    path,
                    f"an id not used elsewhere (already used at {seen[node.id]})",
                    repr(node.id),
                )
            else:
                seen[node.id] = path
    links: dict[str, str] = {}
    for i, link in enumerate(venue.links):
        path = join(at("links", i), "id")
        if link.id in links:
            r.problem(
                path,
                f"a link id not used elsewhere (already used at {links[link.id]})",
                repr(link.id),
            )
        links.setdefault(link.id, path)


def _check_references(
    r: FieldReader, s: Scenario, declared: Mapping[str, set[str]], at: Where
) -> None:
    v = s.venue
    nodes = set().union(*declared.values())
    origins, checkpoints = declared["origins"], declared["checkpoints"]
    for i, link in enumerate(v.links):
        for end in ("source", "target"):
            _known(r, join(at("links", i), end), getattr(link, end), nodes, "a node id")
        if link.source == link.target:
            r.problem(
                join(at("links", i), "target"),
                "a node other than the source",
                repr(link.target),
            )
    perimeter = {c.id for c in v.checkpoints if c.stage == "perimeter"}
    for i, sector in enumerate(v.sectors):
        if sector.gate is not None:
            _known(
                r,
                join(at("sectors", i), "gate"),
                sector.gate,
                checkpoints,
                "a checkpoint id",
            )
            if sector.gate in perimeter:
                tickets = sorted(checkpoints - perimeter)
                r.problem(
                    join(at("sectors", i), "gate"),
                    "a ticket checkpoint (a perimeter screens whoever passes it; name the gate "
                    f"behind it: {', '.join(tickets) or 'none declared'})",
                    f"perimeter checkpoint {sector.gate!r}",
                )
    if s.ingress is not None:
        for origin, _ in s.ingress.mode_split:
            _known(r, join("ingress.mode_split", origin), origin, origins, "an origin id")
    if s.egress is not None:
        exits = origins | declared["exits"]
        for dest, _ in s.egress.destinations:
            _known(r, join("egress.destinations", dest), dest, exits, "an origin or exit id")
    for i, src in enumerate(s.sources):
        _known(r, join(at("sources", i), "origin"), src.origin, origins, "an origin id")
        _known(
            r,
            join(at("sources", i), "destination"),
            src.destination,
            nodes - {src.origin},
            "a node id",
        )
    dupes = [k for k, n in Counter(src.id for src in s.sources).items() if n > 1]
    for dup in dupes:
        r.problem("sources", "source ids used once each", f"{dup!r} used more than once")


def _known(r: FieldReader, path: str, value: str, known: Iterable[str], what: str) -> None:
    if value not in known:
        choices = ", ".join(sorted(known)) or "none defined"
        r.problem(path, f"{what} defined in the scenario ({choices})", f"unknown {value!r}")


def _check_model(r: FieldReader, s: Scenario) -> None:
    names = model_names()
    if s.settings.pedestrian_model not in names:
        r.problem(
            "settings.pedestrian_model",
            f"one of {', '.join(names)}",
            repr(s.settings.pedestrian_model),
        )
        return
    try:
        create_model(s.settings.pedestrian_model, s.settings.model_params)
    except SimulatorError as err:
        r.problem(
            "settings.model_params",
            f"parameters the {s.settings.pedestrian_model} model accepts",
            str(err),
        )


def largest_party(s: Scenario) -> int:
    """The most fans that move as one party in this scenario."""
    sizes = [1]
    if s.ingress is not None:
        sizes += [k + 1 for k, p in enumerate(s.ingress.party_sizes) if p > 0]
    sizes += [src.party_size for src in s.sources]
    return max(sizes)


def _check_storage(r: FieldReader, s: Scenario, at: Where) -> None:
    """Every link and place must hold the largest party at jam density.

    A party enters only when it fits the room left (it never overfills an element), so an
    element too small for it would hold the party back for ever.
    """
    try:
        k_jam = create_model(s.settings.pedestrian_model, s.settings.model_params).k_jam
    except SimulatorError:
        return  # reported by _check_model
    party = largest_party(s)
    need = party / k_jam
    floors: list[tuple[str, str, float]] = [
        (join(at("links", i), "width_m"), "length_m x width_m", lk.floor_m2)
        for i, lk in enumerate(s.venue.links)
    ]
    floors += [
        (join(at("areas", i), "area_m2"), "area_m2", a.area_m2) for i, a in enumerate(s.venue.areas)
    ]
    floors += [
        (join(at("checkpoints", i), "queue_area_m2"), "queue_area_m2", c.queue_area_m2)
        for i, c in enumerate(s.venue.checkpoints)
    ]
    for path, what, floor in floors:
        if math.floor(k_jam * floor) < party:
            r.problem(
                path,
                f"{what} of at least {need:.2f} m² so a party of {party} fits at jam density "
                f"{k_jam:g}/m² (widen or lengthen it, or allow smaller parties)",
                f"{floor:g} m²",
            )


def _check_times(r: FieldReader, s: Scenario) -> None:
    st = s.settings
    if s.ingress is not None and not st.start_s <= s.ingress.kickoff_s < st.end_s:
        r.problem(
            "ingress.kickoff",
            f"a time inside settings start..end ({clock(st.start_s)}..{clock(st.end_s)})",
            clock(s.ingress.kickoff_s),
        )
    if s.egress is not None:
        whistle = s.egress.final_whistle_s
        if not st.start_s <= whistle < st.end_s:
            r.problem(
                "egress.final_whistle",
                f"a time inside settings start..end ({clock(st.start_s)}..{clock(st.end_s)})",
                clock(whistle),
            )
        if s.ingress is not None and not whistle > s.ingress.kickoff_s:
            r.problem(
                "egress.final_whistle",
                f"a time after kick-off ({clock(s.ingress.kickoff_s)})",
                clock(whistle),
            )


def clock(seconds: float) -> str:
    """A clock time with its seconds, and the day when it is past midnight."""
    day = " next day" if seconds >= 86_400 else ""
    return f"{format_clock(seconds, with_seconds=True)}{day} = {seconds:g} s"


def _check_routes(r: FieldReader, s: Scenario, at: Where) -> None:
    graph = venue_graph(s.venue)
    walkable = {
        n for n, kind in graph.nodes(data="kind") if kind in ("origin", "area", "checkpoint")
    }
    checkpoints = [c.id for c in s.venue.checkpoints]
    perimeter = {c.id for c in s.venue.checkpoints if c.stage == "perimeter"}
    tickets = [c for c in checkpoints if c not in perimeter]
    reach = Reach(graph, walkable)
    around = Reach(graph, walkable - set(checkpoints))  # walks that pass no checkpoint
    outside = Reach(graph, walkable - perimeter) if perimeter else None  # walks past no perimeter
    arriving = [o for o, share in s.ingress.mode_split if share > 0] if s.ingress else []
    for i, sector in enumerate(s.venue.sectors):
        path = at("sectors", i)
        if s.ingress is not None:
            if s.ingress.route_choice == "least_delay":
                gates = tickets or checkpoints  # fans choose among the ticket gates
            else:
                gates = [sector.gate] if sector.gate else checkpoints
            _check_ingress(r, reach, path, sector.id, arriving, gates, sector.gate)
            if sector.gate is None and s.ingress.route_choice == "assigned":
                # No gate to pin the route: fans take the shortest path, which must screen them.
                _check_bypass(r, around, path, sector.id, arriving)
            if outside is not None:
                ends = gates if sector.gate or s.ingress.route_choice != "assigned" else []
                _check_perimeter(r, outside, reach, path, sector.id, arriving, ends)
        if s.egress is not None:
            _check_egress(r, reach, path, sector.id, _egress_targets(s, arriving))
    for i, src in enumerate(s.sources):
        if not reach(src.origin, src.destination):
            r.problem(
                join(at("sources", i), "destination"),
                f"a node reachable from {src.origin!r}",
                f"no route to {src.destination!r}",
            )


def _egress_targets(s: Scenario, arriving: list[str]) -> list[str] | None:
    """Where a sector's fans must be able to go; None = any origin or exit will do."""
    if s.egress is not None and s.egress.destinations:
        return [d for d, share in s.egress.destinations if share > 0]
    return arriving or None  # back to the origin each fan came from


class Reach:
    """Where each node can walk to, passing only through ``walkable`` nodes (cached per source).

    Edges out of the other nodes (sectors, exits) are dropped, so those are reached only as the
    end of a walk; one networkx ``descendants`` per source keeps large venues fast.
    """

    def __init__(self, graph: nx.DiGraph, walkable: set[str]) -> None:
        self.graph = graph
        self.walks = graph.copy()
        self.walks.remove_edges_from([(u, v) for u, v in graph.edges if u not in walkable])
        self._cache: dict[str, set[str]] = {}

    def __call__(self, source: str, target: str) -> bool:
        """A walk from ``source`` to ``target`` whose inner nodes are all walkable."""
        if source not in self._cache:
            seen = {source}
            for first in self.graph.successors(source):
                seen |= {first} | nx.descendants(self.walks, first)
            self._cache[source] = seen
        return target in self._cache[source]


def _check_ingress(
    r: FieldReader,
    reach: Reach,
    path: str,
    sector: str,
    origins: list[str],
    gates: list[str],
    assigned: str | None,
) -> None:
    if assigned is not None and not reach(assigned, sector):
        r.problem(
            join(path, "gate"),
            f"a checkpoint with a route to sector {sector!r}",
            f"no route from {assigned!r}",
        )
        return
    stranded = [o for o in origins if not any(reach(o, g) and reach(g, sector) for g in gates)]
    if stranded:
        via = f"its gate {assigned!r}" if len(gates) == 1 and assigned else "a checkpoint"
        r.problem(
            path,
            f"seats reachable from every arrival origin through {via}",
            f"no route from {', '.join(stranded)} to {sector!r}",
        )


def _check_bypass(
    r: FieldReader,
    around: Reach,
    path: str,
    sector: str,
    origins: list[str],
) -> None:
    """A sector without an assigned gate must not be reachable without passing a checkpoint."""
    open_from = [o for o in origins if around(o, sector)]
    if open_from:
        r.problem(
            path,
            "every way in to pass a checkpoint (or a gate: for the sector)",
            f"a route from {', '.join(open_from)} to {sector!r} that passes no checkpoint",
        )


def _check_perimeter(
    r: FieldReader,
    outside: Reach,
    reach: Reach,
    path: str,
    sector: str,
    origins: list[str],
    gates: list[str],
) -> None:
    """With a perimeter, no way from an arrival origin to a sector's gate (or, without a gate,
    to its seats) may pass no perimeter checkpoint: fans would walk round the search."""
    targets = [g for g in gates if reach(g, sector)] or [sector]
    holes = [(o, t) for o in origins for t in targets if outside(o, t)]
    if holes:
        o, t = holes[0]
        r.problem(
            path,
            "every way in to pass a perimeter checkpoint (stage: perimeter) before the ticket "
            "gate: route the link that bypasses it through a perimeter checkpoint, or make it "
            "one-way outwards",
            f"a route from {o!r} to {t!r} that passes no perimeter checkpoint",
        )


def _check_egress(
    r: FieldReader, reach: Reach, path: str, sector: str, targets: list[str] | None
) -> None:
    if targets is None:
        kinds = ("origin", "exit")
        ends = [n for n, k in reach.graph.nodes(data="kind") if k in kinds]
        if not any(reach(sector, n) for n in ends):
            r.problem(path, "a route from the sector to an exit or origin after the match", "none")
        return
    missing = [t for t in targets if not reach(sector, t)]
    if missing:
        r.problem(
            path,
            "a route after the match to every destination of its fans",
            f"no route from {sector!r} to {', '.join(missing)}",
        )
