"""How far a fan walks across an area: given, derived from the map positions, or from the floor.

An area is crossed from the side facing the element a fan comes from to the side facing the
element it goes on to. Where the area and at least two of its neighbours have map positions
(``xy``), the floor is taken as a disc of its area centred on the area's position, and the walk
is the chord between the two points of its rim that face the neighbours, averaged over every
pair of neighbours: ``2 r sin(theta / 2)``, ``r = sqrt(area / pi)``, ``theta`` the angle between
the two directions. Only directions are used, so a map drawn out of scale still gives the
floor's own size. Straight through a square-ish plaza that is ``1.13 sqrt(area)``; round a
right-angle corner ``0.80 sqrt(area)``. Without positions the walk is the side of a square of
that floor, ``sqrt(area)``; ``walk_m`` in the scenario overrides both (0 where the links
already include the crossing).
"""

from __future__ import annotations

import itertools
import math

from simulator.scenario.model import Area, Venue


def walk_across_m(venue: Venue) -> dict[str, float]:
    """The walking distance across each area of ``venue``, by area id."""
    positions = {
        node.id: node.xy
        for group in (venue.origins, venue.areas, venue.checkpoints, venue.sectors, venue.exits)
        for node in group
        if node.xy is not None
    }
    neighbours: dict[str, set[str]] = {a.id: set() for a in venue.areas}
    for link in venue.links:
        if link.source in neighbours and link.target != link.source:
            neighbours[link.source].add(link.target)
        if link.target in neighbours and link.source != link.target:
            neighbours[link.target].add(link.source)
    return {a.id: _walk(a, neighbours[a.id], positions) for a in venue.areas}


def _walk(area: Area, around: set[str], positions: dict[str, tuple[float, float]]) -> float:
    if area.walk_m is not None:
        return area.walk_m
    centre = area.xy
    if centre is None:
        return area.area_m2**0.5
    angles = []
    for other in sorted(around):
        xy = positions.get(other)
        if xy is not None and (xy[0] != centre[0] or xy[1] != centre[1]):
            angles.append(math.atan2(xy[1] - centre[1], xy[0] - centre[0]))
    if len(angles) < 2:
        return area.area_m2**0.5
    radius = math.sqrt(area.area_m2 / math.pi)
    chords = [
        2.0 * radius * abs(math.sin((a - b) / 2.0)) for a, b in itertools.combinations(angles, 2)
    ]
    return sum(chords) / len(chords)
