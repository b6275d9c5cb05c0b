"""What a person reads for an element: its label from the scenario, or its id without one."""

from __future__ import annotations

from simulator.scenario.model import Scenario
from simulator.venue.elements import venue_elements


def element_names(scenario: Scenario) -> dict[str, str]:
    """Id -> label for every venue element, line, car park and road of the scenario."""
    names = {e.id: e.name for e in venue_elements(scenario.venue)}
    t = scenario.transport
    if t is not None:
        for line in t.lines:
            names[line.id] = line.label or line.id
        for park in t.car_parks:
            names[park.id] = park.label or park.id
        for road in t.roads:
            names[road.id] = road.label or road.id
    return names
