"""The venue map: where each place and walking link is drawn on the ops-room screen.

Places carry map coordinates when the scenario gives them (``xy``); otherwise the venue graph is
laid out as a stadium is seen from above: seats in the middle, gates around them, plazas and
concourses outside the gates, platforms, car parks and exits on the outer ring. Each ring is
ordered by the angle of the neighbours already placed (a barycentre pass), so links cross
rarely. The layout is deterministic: the same venue gives the same picture every time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import networkx as nx

from simulator.scenario.model import Area, Checkpoint, Exit, Origin, Sector, Venue
from simulator.venue.elements import VenueElement, venue_elements

Place = Origin | Area | Checkpoint | Sector | Exit

# Ring (radius in map units) per kind of place: the stadium seen from above.
RING = {"sector": 1.0, "checkpoint": 2.0, "area": 3.0, "origin": 4.0, "exit": 4.0}
MAP_SIZE = 1000.0  # laid-out maps span [0, MAP_SIZE] in both directions


@dataclass(frozen=True)
class MapNode:
    """One place on the map; ``area_m2`` sizes the marker, ``los_scale`` picks its Fruin scale."""

    id: str
    kind: str  # "origin" | "area" | "checkpoint" | "sector" | "exit"
    label: str
    x: float
    y: float
    area_m2: float | None
    los_scale: str | None


@dataclass(frozen=True)
class MapLink:
    """One walking link drawn as a segment; ``width_m`` sets the stroke width."""

    id: str
    source: str
    target: str
    kind: str
    width_m: float
    floor_m2: float
    label: str
    los_scale: str


@dataclass(frozen=True)
class VenueMap:
    """What the page needs to draw the venue; ``laid_out`` says whether positions were computed."""

    name: str
    nodes: tuple[MapNode, ...]
    links: tuple[MapLink, ...]
    laid_out: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form served at ``/api/venue``."""
        return {
            "name": self.name,
            "laid_out": self.laid_out,
            "nodes": [vars(n) for n in self.nodes],
            "links": [vars(link) for link in self.links],
        }


def venue_map(venue: Venue) -> VenueMap:
    """Build the map of ``venue``: scenario coordinates if every place has them, else a layout."""
    places = _places(venue)
    given = {p.id: p.xy for p, _ in places if p.xy is not None}
    laid_out = len(given) < len(places)
    positions = _ring_layout(venue, places) if laid_out else _fit(given)
    elements = {e.id: e for e in venue_elements(venue)}
    nodes = tuple(_map_node(elements[place.id], positions[place.id]) for place, _ in places)
    links = tuple(
        MapLink(
            id=link.id,
            source=link.source,
            target=link.target,
            kind=link.kind,
            width_m=link.width_m,
            floor_m2=link.floor_m2,
            label=link.label,
            los_scale=elements[link.id].los_scale,
        )
        for link in venue.links
    )
    return VenueMap(name=venue.name, nodes=nodes, links=links, laid_out=laid_out)


def _places(venue: Venue) -> list[tuple[Place, str]]:
    groups: list[tuple[tuple[Place, ...], str]] = [
        (venue.sectors, "sector"),
        (venue.checkpoints, "checkpoint"),
        (venue.areas, "area"),
        (venue.origins, "origin"),
        (venue.exits, "exit"),
    ]
    return [(place, kind) for group, kind in groups for place in group]


def _map_node(element: VenueElement, xy: tuple[float, float]) -> MapNode:
    """A place as drawn: its floor sizes the marker, its one Fruin scale colours it."""
    floored = element.floor_m2 > 0
    return MapNode(
        id=element.id,
        kind=element.kind,
        label=element.name,
        x=round(xy[0], 2),
        y=round(xy[1], 2),
        area_m2=element.floor_m2 if floored else None,
        los_scale=element.los_scale if floored else None,
    )


def _ring_layout(venue: Venue, places: list[tuple[Place, str]]) -> dict[str, tuple[float, float]]:
    """Concentric rings by kind, each ordered by the mean angle of placed neighbours."""
    graph: nx.Graph = nx.Graph()
    graph.add_nodes_from(p.id for p, _ in places)
    graph.add_edges_from((link.source, link.target) for link in venue.links if link.source in graph)
    angles: dict[str, float] = {}
    radius: dict[str, float] = {}
    for ring in sorted(set(RING.values())):
        members = [p.id for p, kind in places if RING[kind] == ring]
        for node, angle in _order_ring(graph, members, angles).items():
            angles[node], radius[node] = angle, ring
    outer = max(radius.values(), default=1.0)
    scale = (MAP_SIZE / 2 - 40) / outer
    centre = MAP_SIZE / 2
    return {
        node: (
            centre + scale * radius[node] * math.cos(angle),
            centre + scale * radius[node] * math.sin(angle),
        )
        for node, angle in angles.items()
    }


def _order_ring(graph: nx.Graph, members: list[str], placed: dict[str, float]) -> dict[str, float]:
    """Spread ``members`` evenly round a ring, in the order of their neighbours' mean angle."""
    if not members:
        return {}
    wish: dict[str, float] = {}
    for index, node in enumerate(members):
        neighbours = [placed[n] for n in graph.neighbors(node) if n in placed]
        if neighbours:
            x = sum(math.cos(a) for a in neighbours)
            y = sum(math.sin(a) for a in neighbours)
            wish[node] = math.atan2(y, x) % (2 * math.pi)
        else:
            wish[node] = 2 * math.pi * index / len(members)
    order = sorted(members, key=lambda n: (wish[n], members.index(n)))
    step = 2 * math.pi / len(order)
    # Rotate the evenly spaced slots so they sit as close as possible to the wished angles.
    offset = math.atan2(
        sum(math.sin(wish[n] - i * step) for i, n in enumerate(order)),
        sum(math.cos(wish[n] - i * step) for i, n in enumerate(order)),
    )
    return {n: (offset + i * step) % (2 * math.pi) for i, n in enumerate(order)}


def _fit(given: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """Scale scenario coordinates into the map box, keeping the aspect ratio; y grows down."""
    xs = [xy[0] for xy in given.values()]
    ys = [xy[1] for xy in given.values()]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    scale = (MAP_SIZE - 80) / span
    return {
        node: (40 + (x - min(xs)) * scale, 40 + (max(ys) - y) * scale)
        for node, (x, y) in given.items()
    }
