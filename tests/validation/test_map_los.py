"""The venue map's LoS legend and colours against Fruin's published level-of-service tables.

Source: J. J. Fruin, *Pedestrian Planning and Design* (1971; rev. 1987), level-of-service
standards in square feet of area per person at the lower edge of levels A-E:
walkways 35, 25, 15, 10, 5 ft²; stairways 20, 15, 10, 7, 4 ft²; queuing 13, 10, 7, 3, 2 ft².
The map (report and dashboard) shows, per scale, the density at which each level starts, and
colours each element by the level its density reaches; both are checked here for a scenario
read through the planner's YAML path.
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from simulator.results.records import TIMESERIES_SCHEMA
from simulator.results.venue_map import map_frames, map_geometry
from simulator.scenario.loader import load_scenario_text
from simulator.venue.elements import venue_elements

FT2_M2 = 0.09290304
FRUIN_FT2 = {
    "walkway": (35, 25, 15, 10, 5),
    "stairs": (20, 15, 10, 7, 4),
    "queuing": (13, 10, 7, 3, 2),
}

YAML = """
name: map LoS check
settings: {start: "18:00", end: "23:00"}
venue:
  name: check
  origins: [{id: tram, mode: tram, area_m2: 400, label: Tram platform}]
  areas: [{id: plaza, area_m2: 2000, label: Plaza}]
  checkpoints:
    - {id: gate, lanes: 4, service: {kind: exponential, mean: 6.0}, queue_area_m2: 200}
  sectors: [{id: s1, seats: 1000, gate: gate}]
  exits: [{id: x}]
  links:
    - {id: walk, source: tram, target: plaza, length_m: 100, width_m: 5}
    - {id: steps, source: plaza, target: gate, length_m: 20, width_m: 4, kind: stairs_up}
    - {id: vom, source: gate, target: s1, length_m: 10, width_m: 3}
    - {id: out, source: s1, target: x, length_m: 10, width_m: 3}
ingress:
  kickoff: "21:00"
  gates_open: "19:00"
  attendance: 1.0
  profile: [[-120, 0.0], [0, 1.0]]
  mode_split: {tram: 1.0}
egress:
  final_whistle: "22:50"
  release_profile: [[0, 0.0], [20, 1.0]]
"""


@pytest.fixture(scope="module")
def scenario():
    return load_scenario_text(YAML, source="<map LoS check>")


@pytest.mark.validation
def test_legend_thresholds_are_fruins_space_per_person(scenario) -> None:
    scales = map_geometry(scenario).to_dict()["scales"]
    for scale, feet in FRUIN_FT2.items():
        for level, ft2 in zip("BCDEF", feet, strict=True):
            published = 1.0 / (ft2 * FT2_M2)  # persons/m² where the level starts
            # the vocabulary rounds Fruin's metric figures to 0.1 m² per person
            assert scales[scale][level] == pytest.approx(published, rel=0.09), (scale, level)


@pytest.mark.validation
def test_map_colours_each_element_by_fruins_level_on_its_own_scale(scenario) -> None:
    """14 ft² per person: D on a walkway, C on stairs, A in a queue; 6 ft²: E walking, D queuing."""
    elements = venue_elements(scenario.venue)
    by_id = {e.id: e for e in elements}
    cases = {  # element -> (space per person in ft², Fruin level)
        "plaza": (14, "D"),  # walkway: 10-15 ft² is D
        "steps": (14, "C"),  # stairs: 10-15 ft² is C
        "tram": (14, "A"),  # queuing (a tram platform): >= 13 ft² is A
        "walk": (6, "E"),  # walkway: 5-10 ft² is E
        "gate": (6, "D"),  # queuing pen: 3-7 ft² is D
    }
    rows = []
    for element_id, (ft2, _) in cases.items():
        density = 1.0 / (ft2 * FT2_M2)
        floor = by_id[element_id].floor_m2
        rows.append(
            {
                "time_s": 72_000.0,
                "element": element_id,
                "element_type": by_id[element_id].kind,
                "occupancy": round(density * floor),
                "density_per_m2": density,
                "los": "",
                "outflow_per_min": 0.0,
                "mean_wait_s": 0.0,
            }
        )
    table = pa.Table.from_pylist(rows, schema=TIMESERIES_SCHEMA)
    (frame,) = map_frames(table, elements, [("check", 72_030.0)])
    for element_id, (_, level) in cases.items():
        assert frame.values[element_id][1] == level, element_id
    assert frame.values["s1"] == (None, "", None)  # a sector has no floor: not graded
