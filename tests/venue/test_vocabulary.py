"""One venue vocabulary: every element of every bundled scenario is graded alike everywhere.

The engine's time series, the twin's zones and the map shared by the report and the dashboard
all read the Fruin scale of
a place from ``simulator.venue``; this test grades each element at densities across all six
levels through each part and requires one answer.
"""

from __future__ import annotations

import pytest

from simulator.cli import bundled_scenarios, load_or_exit
from simulator.engine.network import Network
from simulator.venue import LEVELS, density_at_level, venue_elements
from streams.dashboard.layout import venue_map
from streams.zones import venue_zones

DENSITIES = [
    0.0,
    0.2,
    *(
        density_at_level(lv, s) + 1e-6
        for lv in LEVELS[1:]
        for s in ("walkway", "stairs", "queuing")
    ),
    6.0,
]


@pytest.mark.parametrize("name", bundled_scenarios())
def test_every_part_grades_every_element_alike(name: str) -> None:
    scenario = load_or_exit(name)
    elements = venue_elements(scenario.venue)
    engine = {e.id: e for e in Network(scenario).elements}
    twin = venue_zones(scenario)
    board = venue_map(scenario.venue)
    board_scales = {n.id: n.los_scale for n in board.places} | {
        lk.id: lk.los_scale for lk in board.links
    }
    assert list(engine) == [e.id for e in elements]
    for element in elements:
        for density in DENSITIES:
            level = element.los(density)
            assert engine[element.id].los(density) == level
            if element.id in twin:
                assert twin[element.id].los(density) == level, element.id
            if element.floor_m2 > 0:
                assert board_scales[element.id] == element.los_scale, element.id


def test_the_scale_rule() -> None:
    scenario = load_or_exit("stade_mohammed_v")
    kinds = {e.id: e for e in venue_elements(scenario.venue)}
    by_mode = {o.id: o.mode for o in scenario.venue.origins}
    for origin_id, mode in by_mode.items():
        expected = "queuing" if mode in ("tram", "rail", "bus") else "walkway"
        assert kinds[origin_id].los_scale == expected
    for link in scenario.venue.links:
        stairs = link.kind in ("stairs_up", "stairs_down", "escalator")
        assert kinds[link.id].los_scale == ("stairs" if stairs else "walkway")
    for cp in scenario.venue.checkpoints:
        assert kinds[cp.id].los_scale == "queuing"
    assert any(e.los_scale == "stairs" for e in kinds.values())
    # 1.2 persons/m² is LoS D on stairs (space 0.83 m²) and D on a walkway too, E on neither:
    stair = next(e for e in kinds.values() if e.los_scale == "stairs")
    assert stair.los(1.2) == "D"
    assert stair.los(2.0) == "E"
