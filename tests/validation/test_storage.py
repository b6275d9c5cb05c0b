"""Finite storage and spill-back: places hold at most jam density x floor, queues back up.

References: jam density 5.4 persons/m² (Weidmann 1993, the pedestrian model's ``k_jam``);
spill-back through a chain of cells at the backward wave speed is the cell transmission
model's (Daganzo 1994), here applied to places as well as links; crossing time at free speed
1.34 m/s (Weidmann 1993).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from validation_venues import link, scenario, source

from simulator import Simulation
from simulator.engine.network import DOOR_SPECIFIC_FLOW
from simulator.errors import SimulatorError
from simulator.scenario.loader import load_scenario_text

pytestmark = pytest.mark.validation
K_JAM = 5.4
V0 = 1.34


def run(sc, seed: int = 2) -> Simulation:
    sim = Simulation(sc, seed=seed)
    sim.run()
    return sim


def assert_never_above_jam(sim: Simulation) -> None:
    """Exact peaks (not only samples): every place and link within jam density x floor."""
    w, net = sim.world, sim.network
    for i, place in enumerate(w.places):
        if place is not None:
            assert place.max_n <= math.floor(K_JAM * net.elements[i].floor_m2), net.elements[i]
    for lk in w.links:
        assert lk.max_n <= lk.capacity
    density = sim.result().timeseries["density_per_m2"].to_numpy()
    assert density.max() <= K_JAM + 1e-9


def lobby_behind_a_door(horizon: float = 1800.0) -> Simulation:
    """A 10 m² lobby behind a 1 m door, fed by a corridor at twice the door's capacity."""
    sc = scenario(
        name="lobby",
        settings={"end": horizon},
        areas=[{"id": "lobby", "area_m2": 10}],
        links=[
            link("corridor", "o", "lobby", 20, 3, two_way=False),
            link("door", "lobby", "x", 0.5, 1.0, kind="door", two_way=False),
        ],
        sources=[source(2 * DOOR_SPECIFIC_FLOW, 600)],
    )
    return run(sc)


def test_a_full_lobby_spills_back_onto_its_corridor_and_nobody_is_lost() -> None:
    sim = lobby_behind_a_door()
    summary = sim.result().summary.to_dict()
    lobby = sim.world.places[sim.network.index["lobby"]]
    assert lobby.max_n == math.floor(K_JAM * 10)  # it fills, to jam density and no further
    corridor = summary["links"]["corridor"]
    # the queue reached back through the corridor: it sits on the congested branch, above
    # Weidmann's critical density of 1.75 /m²
    assert corridor["max_occupancy"] / (20 * 3) > 2.5
    assert_never_above_jam(sim)
    fans = summary["fans"]
    assert fans["left"] == fans["arrived"]  # everyone got out in the end


def test_a_queue_spills_back_through_a_chain_of_links_and_places() -> None:
    sc = scenario(
        name="chain",
        settings={"end": 3600},
        areas=[{"id": "a1", "area_m2": 40}, {"id": "a2", "area_m2": 40}],
        links=[
            link("l1", "o", "a1", 30, 2, two_way=False),
            link("l2", "a1", "a2", 30, 2, two_way=False),
            link("door", "a2", "x", 0.5, 1.0, kind="door", two_way=False),
        ],
        sources=[source(2.5, 900)],
    )
    sim = run(sc)
    w, idx = sim.world, sim.network.index
    for area in ("a1", "a2"):
        assert w.places[idx[area]].max_n == math.floor(K_JAM * 40)
    links = sim.result().summary.to_dict()["links"]
    for lid in ("l1", "l2"):  # both links queue, above the critical density 1.75 /m²
        assert links[lid]["max_occupancy"] / (30 * 2) > 2.5
    assert_never_above_jam(sim)
    # the door, the bottleneck, passed its capacity all along
    left = np.sort(sim.result().fans["left_s"].to_numpy())
    rate = np.sum((left > 300) & (left < 900)) / 600.0
    assert abs(rate - DOOR_SPECIFIC_FLOW) / DOOR_SPECIFIC_FLOW < 0.03


def test_the_corridor_before_a_full_junction_reaches_the_congested_branch() -> None:
    sc = scenario(
        name="congested branch",
        settings={"end": 2400},
        areas=[{"id": "junction", "area_m2": 40}],
        links=[
            link("corridor", "o", "junction", 60, 3, two_way=False),
            link("door", "junction", "x", 0.5, 1.0, kind="door", two_way=False),
        ],
        sources=[source(3.0, 1500)],
    )
    sim = run(sc)
    series = sim.result().timeseries
    elements = np.array(series["element"].to_pylist())
    density = series["density_per_m2"].to_numpy()
    corridor, junction = density[elements == "corridor"], density[elements == "junction"]
    # Weidmann's critical density is 1.75 /m²: a queued corridor sits above it, below jam
    assert 2.5 <= corridor.max() <= K_JAM
    assert junction.max() <= K_JAM
    assert_never_above_jam(sim)


@pytest.mark.parametrize(("walk_m", "expected_m"), [(None, 100.0), (40.0, 40.0), (0.0, 0.0)])
def test_crossing_a_plaza_takes_its_walk_at_free_speed(walk_m, expected_m) -> None:
    plaza = {"id": "plaza", "area_m2": 10_000}
    if walk_m is not None:
        plaza["walk_m"] = walk_m
    sc = scenario(
        name="plaza",
        settings={"end": 900},
        areas=[plaza],
        links=[link("in", "o", "plaza", 10, 5, two_way=False), link("out", "plaza", "x", 10, 5)],
        sources=[source(0.02, 600)],
    )
    fans = run(sc).result().fans
    times = (fans["left_s"].to_numpy() - fans["arrive_s"].to_numpy())[:5]
    expected = (20.0 + expected_m) / V0
    assert np.allclose(times, expected, rtol=0.01), (times, expected)


@pytest.mark.parametrize(
    ("exit_xy", "angle"), [((300.0, 0.0), math.pi), ((0.0, 300.0), math.pi / 2)]
)
def test_a_plaza_with_map_positions_is_crossed_rim_to_rim(exit_xy, angle) -> None:
    """The walk is the chord of a disc of the plaza's floor between the rims facing its
    neighbours (``simulator.venue.walk_across``): straight through ``2 r``, round a right-angle
    corner ``sqrt(2) r``, ``r = sqrt(area / pi)``; walked at free speed 1.34 m/s (Weidmann 1993).
    """
    area = 10_000.0
    sc = scenario(
        name="plaza on the map",
        settings={"end": 900},
        origins=[{"id": "o", "mode": "walk", "xy": [-300.0, 0.0]}],
        areas=[{"id": "plaza", "area_m2": area, "xy": [0.0, 0.0]}],
        exits=[{"id": "x", "xy": list(exit_xy)}],
        links=[link("in", "o", "plaza", 10, 5, two_way=False), link("out", "plaza", "x", 10, 5)],
        sources=[source(0.02, 600)],
    )
    fans = run(sc).result().fans
    times = (fans["left_s"].to_numpy() - fans["arrive_s"].to_numpy())[:5]
    chord = 2.0 * math.sqrt(area / math.pi) * math.sin(angle / 2.0)
    assert np.allclose(times, (20.0 + chord) / V0, rtol=0.01), (times, chord)


def test_a_busy_place_is_crossed_at_weidmanns_speed_for_its_density() -> None:
    """Little's law gives the crossing density; the crossing speed must be Weidmann's there."""
    from simulator.crowd.weidmann import Weidmann

    rate, floor, walk = 4.0, 400.0, 100.0
    sc = scenario(
        name="busy plaza",
        settings={"end": 1200},
        areas=[{"id": "plaza", "area_m2": floor, "walk_m": walk}],
        links=[
            link("in", "o", "plaza", 5, 40, two_way=False),
            link("out", "plaza", "x", 5, 40, two_way=False),
        ],
        sources=[source(rate, 1000)],
    )
    fans = run(sc).result().fans
    arrive, left = fans["arrive_s"].to_numpy(), fans["left_s"].to_numpy()
    steady = (arrive > 300) & (arrive < 700)
    crossing = float(np.mean(left[steady] - arrive[steady])) - 10.0 / V0
    density = rate * crossing / floor  # Little's law: people crossing per m²
    expected = Weidmann().speed(density, floor)
    assert crossing > 1.1 * walk / V0  # slower than alone
    assert abs(walk / crossing - expected) / expected < 0.03, (walk / crossing, expected)


def test_a_party_bigger_than_a_link_is_an_error_that_says_what_to_change() -> None:
    text = """
name: tiny door
settings: {start: 0, end: 600}
venue:
  name: tiny
  origins: [{id: o, mode: walk}]
  checkpoints: [{id: g, lanes: 1, service: {kind: deterministic, mean: 2}, queue_area_m2: 50}]
  sectors: [{id: s, seats: 10, gate: g}]
  exits: []
  links:
    - {id: a, source: o, target: g, length_m: 10, width_m: 2}
    - {id: tiny, source: g, target: s, length_m: 0.3, width_m: 1.0, kind: door}
ingress:
  kickoff: 500
  gates_open: 0
  attendance: 1.0
  profile: [[-8, 0.0], [-2, 1.0]]
  mode_split: {o: 1.0}
  party_sizes: [0.5, 0.0, 0.0, 0.0, 0.0, 0.5]
"""
    with pytest.raises(SimulatorError) as err:
        load_scenario_text(text, source="tiny.yaml")
    message = str(err.value)
    assert "venue.links[1].width_m" in message and "party of 6" in message
    assert "1.11 m²" in message  # 6 / 5.4


@pytest.mark.parametrize(
    ("area", "link_extra", "where"),
    [
        ({"walk_m": -5}, {}, "venue.areas[0].walk_m"),
        ({}, {"walking_share": 0.5}, "venue.links[0].walking_share"),
        ({}, {"kind": "escalator", "walking_share": 1.5}, "venue.links[0].walking_share"),
    ],
)
def test_bad_place_and_escalator_fields_are_named(area, link_extra, where) -> None:
    with pytest.raises(SimulatorError, match=where.replace("[", r"\[").replace("]", r"\]")):
        scenario(
            name="bad fields",
            areas=[{"id": "plaza", "area_m2": 100, **area}],
            links=[link("in", "o", "plaza", 10, 2, **link_extra), link("out", "plaza", "x", 5, 2)],
            sources=[source(0.1, 100)],
        )
