"""RiMEA tests a network model can represent (as coded in JuPedSim's test suite)."""

from __future__ import annotations

import numpy as np
import pytest
from validation_venues import crowd, link, scenario, source

from simulator import Simulation
from simulator.crowd.registry import peak_specific_flow
from simulator.crowd.weidmann import Weidmann
from simulator.engine.network import DOOR_SPECIFIC_FLOW, KIND_SPEED_FACTOR

pytestmark = pytest.mark.validation
TURNSTILES = {
    "id": "g",
    "lanes": 50,
    "queue_area_m2": 500,
    "service": {"kind": "deterministic", "mean": 0.5},
}
V0 = 1.34


def lone_walk(length: float, kind: str) -> float:
    """Seconds one fan takes over a link of ``kind`` (turnstile and approach excluded)."""
    sc = scenario(
        name=f"rimea {kind}",
        checkpoints=[TURNSTILES],
        sectors=[{"id": "seat", "seats": 1}],
        links=[link("approach", "o", "g", 1, 5), link("walk", "g", "seat", length, 2, kind=kind)],
        ingress=crowd(),
    )
    sim = Simulation(sc, seed=1)
    sim.run()
    fans = sim.result().fans
    assert fans.num_rows == 1
    return float(fans["seated_s"][0].as_py() - fans["service_start_s"][0].as_py() - 0.5)


def test_rimea_1_straight_corridor() -> None:
    assert 26.0 <= lone_walk(40.0, "walkway") <= 34.0


@pytest.mark.parametrize("kind", ["stairs_up", "stairs_down"])
def test_rimea_2_3_stairs_time(kind: str) -> None:
    expected = 10.0 / (V0 * KIND_SPEED_FACTOR[kind])  # IMO: 0.8 (up) / 1.0 (down) vs 1.2
    assert abs(lone_walk(10.0, kind) - expected) / expected < 0.05


def room_clearing(open_exits: int) -> float:
    """1,000 fans leave a room through ``open_exits`` 1 m exits (each assigned its share)."""
    exits = [f"e{i}" for i in range(open_exits)]
    sc = scenario(
        name="rimea 9",
        settings={"end": 3000},
        areas=[{"id": "room", "area_m2": 1000}],
        checkpoints=[TURNSTILES],
        sectors=[{"id": f"out_{e}", "seats": 1000 // open_exits} for e in exits],
        links=[link("in", "o", "g", 1, 50), link("to_room", "g", "room", 1, 50)]
        + [link(e, "room", f"out_{e}", 0.5, 1.0, kind="door") for e in exits],
        ingress=crowd(),
    )
    sim = Simulation(sc, seed=2)
    sim.run()
    fans = sim.result().fans
    seated = fans["seated_s"].to_numpy()
    assert not np.isnan(seated).any()
    return float(seated.max() - np.nanmin(fans["arrive_s"].to_numpy()))


def test_rimea_9_closing_half_the_exits() -> None:
    ratio = room_clearing(2) / room_clearing(4)
    assert 1.6 <= ratio <= 2.4, ratio


def test_rimea_10_assigned_exits_are_used() -> None:
    gates = [
        {**TURNSTILES, "id": "near", "lanes": 2},
        {**TURNSTILES, "id": "far", "lanes": 2},
    ]
    sc = scenario(
        name="rimea 10",
        checkpoints=gates,
        areas=[{"id": "stand", "area_m2": 500}],
        sectors=[
            {"id": "a", "seats": 300, "gate": "far"},
            {"id": "b", "seats": 200, "gate": "near"},
        ],
        links=[
            link("l_near", "o", "near", 10, 4),
            link("l_far", "o", "far", 200, 4),
            link("n_in", "near", "stand", 5, 4, two_way=False),
            link("f_in", "far", "stand", 5, 4, two_way=False),
            link("to_a", "stand", "a", 5, 4),
            link("to_b", "stand", "b", 5, 4),
            link("out", "stand", "x", 5, 4),
        ],
        ingress=crowd(spread_min=5),
    )
    sim = Simulation(sc, seed=3)
    sim.run()
    result = sim.result()
    sectors = result.fans["sector"].to_pylist()
    gates_used = result.fans["gate"].to_pylist()
    assert all(g == {"a": "far", "b": "near"}[s] for s, g in zip(sectors, gates_used, strict=True))
    assert result.summary.to_dict()["checkpoints"]["far"]["served"] == 300
    assert result.summary.to_dict()["links"]["l_far"]["throughput"] == 300


def two_bottlenecks(stair_width: float, *, stairs: bool) -> dict:
    """Corridor -> area -> (door or stair) -> area -> door -> exit, fed above the first cap."""
    kind = "stairs_up" if stairs else "door"
    sc = scenario(
        name="rimea 12/13",
        settings={"end": 900},
        areas=[{"id": "foot", "area_m2": 2000}, {"id": "between", "area_m2": 2000}],
        links=[
            link("corridor", "o", "foot", 30, 3, two_way=False),
            link(
                "first",
                "foot",
                "between",
                8 if stairs else 0.5,
                stair_width,
                kind=kind,
                two_way=False,
            ),
            link("second", "between", "x", 0.5, 2.0, kind="door", two_way=False),
        ],
        sources=[source(3.0, 600)],
    )
    sim = Simulation(sc, seed=4)
    sim.run()
    return sim.result().summary.to_dict()


def crossing_density(flow_per_s: float, area_m2: float = 2000.0) -> float:
    """Density of an area holding only the people crossing it (sqrt(area) at free speed)."""
    return flow_per_s * area_m2**0.5 / 1.34 / area_m2


def test_rimea_12_jam_only_before_the_first_bottleneck() -> None:
    summary = two_bottlenecks(1.0, stairs=False)
    links, areas = summary["links"], summary["areas"]
    assert areas["foot"]["peak_density_per_m2"] > 0.1  # hundreds queue at the first door
    # between the doors only those crossing: nobody waits at the second (wider) door
    crossing = crossing_density(DOOR_SPECIFIC_FLOW * 1.0)
    assert areas["between"]["peak_density_per_m2"] <= 1.25 * crossing
    assert links["corridor"]["share_time_full"] == 0.0


def test_rimea_13_stair_jams_at_its_foot() -> None:
    summary = two_bottlenecks(2.0, stairs=True)
    links, areas = summary["links"], summary["areas"]
    assert areas["foot"]["peak_density_per_m2"] > 0.1
    assert links["corridor"]["max_occupancy"] < 0.5 * 5.4 * 30 * 3  # corridor itself flows
    stair_flow = peak_specific_flow(Weidmann(), 16.0) * KIND_SPEED_FACTOR["stairs_up"] * 2.0
    assert areas["between"]["peak_density_per_m2"] <= 1.25 * crossing_density(stair_flow)
