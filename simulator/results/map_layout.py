"""Where the places of a venue go on its map, in map units (y grows down, north up).

In this order: the scenario's ``xy`` (metres, north up) when every place has one; real
coordinates ``{id: (lat, lon)}`` when every place has them, projected onto a local plane in
metres; otherwise the venue graph as a stadium is seen from above (rings by walking steps from
the seats, each ordered by a barycentre pass so links cross rarely). A stadium's bowl is small
next to its approaches, so radii about the bowl are then spread (half linear, half by rank;
angles kept), fitted into the map, and markers pushed apart until none touch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import networkx as nx
import numpy as np

from simulator.venue.elements import VenueElement

MAP_WIDTH = 1000.0  # map units; the SVG scales them to the screen
MARGIN = 30.0
MIN_GAP = 6.0  # clear space between two markers
RING = {"sector": 1.0, "checkpoint": 2.0, "area": 3.0, "origin": 4.0, "exit": 4.0}
EARTH_RADIUS_M = 6_371_000.0

Point = tuple[float, float]


def place_positions(
    venue: Any,
    nodes: list[VenueElement],
    radii: Mapping[str, float],
    coordinates: Mapping[str, tuple[float, float]] | None = None,
) -> tuple[dict[str, Point], float, str]:
    """Map positions of ``nodes``, the map's height, and where the positions came from."""
    raw, source = _raw_positions(venue, nodes, coordinates)
    points, height = _fit(_spread(raw, nodes), radii)
    return points, height, source


def _raw_positions(
    venue: Any, nodes: list[VenueElement], coordinates: Mapping[str, tuple[float, float]] | None
) -> tuple[dict[str, Point], str]:
    given = {e.id: e.xy for e in nodes if e.xy is not None}
    if len(given) == len(nodes) and nodes:
        return {k: (float(x), float(y)) for k, (x, y) in given.items()}, "scenario xy"
    if coordinates and all(e.id in coordinates for e in nodes):
        return project({e.id: coordinates[e.id] for e in nodes}), "coordinates"
    return _rings(venue, nodes), "laid out"


def project(latlon: Mapping[str, tuple[float, float]]) -> dict[str, Point]:
    """Degrees to metres east/north of the mean point (accurate to <0.1 % across a venue)."""
    for key, (lat, lon) in latlon.items():
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(
                f"coordinates[{key!r}]: expected (lat, lon) in degrees, got {lat, lon}"
            )
    lat0 = float(np.mean([p[0] for p in latlon.values()]))
    lon0 = float(np.mean([p[1] for p in latlon.values()]))
    k = math.radians(1.0) * EARTH_RADIUS_M
    return {
        key: ((lon - lon0) * k * math.cos(math.radians(lat0)), (lat - lat0) * k)
        for key, (lat, lon) in latlon.items()
    }


def _rings(venue: Any, nodes: list[VenueElement]) -> dict[str, Point]:
    """The stadium seen from above: rings by walking steps from the seats, seats innermost.

    Each ring is ordered by the mean angle of its neighbours on the ring inside it (a
    barycentre pass), so links cross rarely; deterministic, the same venue gives the same map.
    """
    graph: nx.Graph = nx.Graph()
    graph.add_nodes_from(e.id for e in nodes)
    graph.add_edges_from((lk.source, lk.target) for lk in venue.links)
    seats = [e.id for e in nodes if e.kind == "sector"]
    steps = nx.multi_source_dijkstra_path_length(graph, seats) if seats else {}
    ring = {e.id: steps.get(e.id, RING[e.kind] + 1) for e in nodes}
    angles: dict[str, float] = {}
    for depth in sorted(set(ring.values())):
        members = [e.id for e in nodes if ring[e.id] == depth]
        angles.update(_order_ring(graph, members, angles))
    radius = {k: ring[k] + 2.5 for k in ring}  # a wide inner ring: the seats need room for names
    return {k: (radius[k] * math.cos(a), radius[k] * math.sin(a)) for k, a in angles.items()}


def _order_ring(
    graph: nx.Graph, members: list[str], placed: Mapping[str, float]
) -> dict[str, float]:
    """Spread ``members`` evenly round a ring, in the order of their placed neighbours' angle."""
    wish: dict[str, float] = {}
    for index, node in enumerate(members):
        near = [placed[n] for n in graph.neighbors(node) if n in placed]
        if near:
            x, y = sum(math.cos(a) for a in near), sum(math.sin(a) for a in near)
            wish[node] = math.atan2(y, x) % (2 * math.pi)
        else:
            wish[node] = 2 * math.pi * index / len(members)
    order = sorted(members, key=lambda n: (wish[n], members.index(n)))
    step = 2 * math.pi / len(order)
    # Turn the evenly spaced slots to sit as close as they can to the wished angles.
    offset = math.atan2(
        sum(math.sin(wish[n] - i * step) for i, n in enumerate(order)),
        sum(math.cos(wish[n] - i * step) for i, n in enumerate(order)),
    )
    return {n: (offset + i * step) % (2 * math.pi) for i, n in enumerate(order)}


def _spread(raw: Mapping[str, Point], nodes: list[VenueElement]) -> dict[str, Point]:
    """Spread radii about the bowl (mean of the sectors) half by rank; angles are kept."""
    core = [raw[e.id] for e in nodes if e.kind == "sector"] or list(raw.values())
    cx, cy = float(np.mean([p[0] for p in core])), float(np.mean([p[1] for p in core]))
    polar = {
        k: (math.hypot(x - cx, y - cy), math.atan2(y - cy, x - cx)) for k, (x, y) in raw.items()
    }
    radii = sorted({round(r, 6) for r, _ in polar.values()})
    top = radii[-1] or 1.0
    rank = {r: (i + 1) / len(radii) * top for i, r in enumerate(radii)}
    out = {}
    for key, (r, a) in polar.items():
        spread = 0.5 * r + 0.5 * rank[round(r, 6)]
        out[key] = (spread * math.cos(a), spread * math.sin(a))
    return out


def _fit(points: Mapping[str, Point], radii: Mapping[str, float]) -> tuple[dict[str, Point], float]:
    """Scale into the map (y grows down, north up), then push touching markers apart."""
    xs, ys = [p[0] for p in points.values()], [p[1] for p in points.values()]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    scale = (MAP_WIDTH - 2 * MARGIN) / max(span_x, span_y * 1.0)
    height = min(MAP_WIDTH, max(0.6 * MAP_WIDTH, span_y * scale + 2 * MARGIN))
    scale = min(scale, (height - 2 * MARGIN) / span_y)
    off_x = (MAP_WIDTH - span_x * scale) / 2
    fitted = {
        k: (off_x + (x - min(xs)) * scale, MARGIN + (max(ys) - y) * scale)
        for k, (x, y) in points.items()
    }
    return _separate(fitted, radii, height), height


def _separate(
    points: dict[str, Point], radii: Mapping[str, float], height: float
) -> dict[str, Point]:
    """Nudge markers apart (half the overlap each way) until every pair has MIN_GAP between."""
    keys = list(points)
    xy = np.array([points[k] for k in keys], dtype=float)
    r = np.array([radii[k] for k in keys])
    need = r[:, None] + r[None, :] + MIN_GAP
    np.fill_diagonal(need, 0.0)
    for _ in range(400):
        delta = xy[:, None, :] - xy[None, :, :]
        dist = np.hypot(delta[..., 0], delta[..., 1])
        short = np.where(dist < need, need - dist, 0.0)
        if not short.any():
            break
        dist = np.where(dist == 0, 1e-6, dist)
        push = (short / dist / 2)[..., None] * delta
        xy += push.sum(axis=1) * 0.6
        xy[:, 0] = np.clip(xy[:, 0], r + 2, MAP_WIDTH - r - 2)
        xy[:, 1] = np.clip(xy[:, 1], r + 2, height - r - 2)
    return {k: (float(x), float(y)) for k, (x, y) in zip(keys, xy, strict=True)}
