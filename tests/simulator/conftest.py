"""A small match day (two gates, 5,700 fans, egress back to origins) loaded through YAML."""

from __future__ import annotations

import pytest

from simulator import Scenario
from simulator.scenario.loader import load_scenario_text

SMALL = """
name: small
settings: {start: "19:00", end: "23:59", sample_interval_s: 60}
venue:
  name: small
  origins: [{id: tram, mode: tram, area_m2: 400}, {id: park, mode: car}]
  areas: [{id: plaza, area_m2: 3000}, {id: conc, area_m2: 1500}]
  checkpoints:
    - {id: g1, lanes: 6, service: {kind: exponential, mean: 6.0}, queue_area_m2: 300,
       secondary_share: 0.05, secondary_service: {kind: uniform, low: 20, high: 40, mean: 30}}
    - {id: g2, lanes: 6, service: {kind: exponential, mean: 6.0}, queue_area_m2: 300}
  sectors: [{id: s1, seats: 3000, gate: g1}, {id: s2, seats: 3000, gate: g2}]
  exits: [{id: x}]
  links:
    - {id: l1, source: tram, target: plaza, length_m: 200, width_m: 8}
    - {id: l2, source: park, target: plaza, length_m: 300, width_m: 10}
    - {id: l3, source: plaza, target: g1, length_m: 50, width_m: 6}
    - {id: l4, source: plaza, target: g2, length_m: 50, width_m: 6}
    - {id: l5, source: g1, target: conc, length_m: 30, width_m: 6}
    - {id: l6, source: g2, target: conc, length_m: 30, width_m: 6}
    - {id: l7, source: conc, target: s1, length_m: 20, width_m: 3, kind: stairs_up}
    - {id: l8, source: conc, target: s2, length_m: 20, width_m: 3, kind: stairs_up}
    - {id: l9, source: plaza, target: x, length_m: 10, width_m: 4, kind: door}
ingress:
  kickoff: "21:00"
  gates_open: "19:00"
  attendance: 0.95
  profile: [[-120, 0.0], [-60, 0.45], [-15, 0.93], [0, 0.98], [20, 1.0]]
  mode_split: {tram: 0.5, park: 0.5}
  party_sizes: [0.25, 0.35, 0.15, 0.15, 0.05, 0.05]
  route_choice: assigned
egress:
  final_whistle: "22:50"
  release_profile: [[0, 0.0], [10, 0.6], [25, 0.95], [40, 1.0]]
"""


@pytest.fixture(scope="session")
def small_text() -> str:
    return SMALL


@pytest.fixture(scope="session")
def small() -> Scenario:
    return load_scenario_text(SMALL, source="<small>")
