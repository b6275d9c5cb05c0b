"""The ops-room venue map: the one map component shared with the planner's report.

Geometry (positions, link polylines, names placed so none overlap) comes from
``simulator.results.venue_map``; the page draws it with the same renderer the report inlines,
``venue_map.js``, served at ``/venue_map.js``. Scenario ``xy`` positions are used when every
place has one; otherwise the venue is laid out as a stadium seen from above.
"""

from __future__ import annotations

from simulator.results.venue_map import VenueMapGeometry, map_geometry, script
from simulator.scenario.model import Venue

VenueMap = VenueMapGeometry

__all__ = ["VenueMap", "map_script", "venue_map"]


def venue_map(venue: Venue) -> VenueMap:
    """The map of ``venue`` as the dashboard serves it at ``/api/venue``."""
    return map_geometry(venue)


def map_script() -> str:
    """The renderer's source (``venue_map.js``), served to the page from its own origin."""
    return script()
