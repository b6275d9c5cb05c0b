"""What a person reads for an element: its label, else the map's name for it (never a bare id)."""

from __future__ import annotations

from simulator.results.venue_map import display_names, id_as_words
from simulator.scenario.model import Scenario
from simulator.venue.elements import venue_elements


def element_names(scenario: Scenario) -> dict[str, str]:
    """Id -> label for every venue element, service point, line, car park and road."""
    names = display_names(scenario.venue)
    names.update({e.id: e.label for e in venue_elements(scenario.venue) if e.label})
    for area in scenario.venue.areas:
        names.update({s.id: s.label or id_as_words(s.id) for s in area.services})
    t = scenario.transport
    if t is not None:
        for line in t.lines:
            names[line.id] = line.label or line.id
        for park in t.car_parks:
            names[park.id] = park.label or park.id
        for road in t.roads:
            names[road.id] = road.label or road.id
    return names
