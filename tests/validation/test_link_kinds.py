"""Counterflow, planning caps on every link kind, exits that set egress time, escalators.

References:
- Zhang, Klingsch, Schadschneider & Seyfried (2012), J. Stat. Mech. P02002: the maximum
  specific flow of balanced bidirectional streams in the Juelich corridor is about 1.5 against
  1.9 persons/m/s one way (ratio 0.79, read off the paper's fundamental diagrams; the abstract
  states only that every bidirectional maximum is significantly below the one-way one);
  Lam, Lee, Chan & Goh (2003), Transp. Res. A 37: 789-810: at-capacity flow falls as the
  opposing share grows.
- The Green Guide (Guide to Safety at Sports Grounds, 6th ed., 2018): 82 persons/m/min on level
  walkways and ramps, 66 on stairs.
- EN 115-1: escalator steps at 0.5 m/s; theoretical 9,000 persons/h per metre of step;
  practical 40-80% of it (Al-Sharif 1996; Gnendiger, Chraibi & Tordeux 2023).
"""

from __future__ import annotations

import numpy as np
import pytest
from validation_venues import link, scenario, source

from simulator import Simulation
from simulator.crowd.registry import critical_point
from simulator.crowd.weidmann import Weidmann
from simulator.engine.link import BIDIRECTIONAL_BALANCED
from simulator.engine.network import (
    DOOR_SPECIFIC_FLOW,
    ESCALATOR_SPECIFIC_FLOW,
    ESCALATOR_STEP_SPEED,
)

pytestmark = pytest.mark.validation


def rate_between(times: np.ndarray, a: float, b: float) -> float:
    times = times[~np.isnan(times)]
    return float(np.sum((times > a) & (times <= b))) / (b - a)


def two_way(kind: str, length: float, width: float, rate_each: float, end: float = 900):
    """Two origins facing each other across one two-way link, each sending ``rate_each``/s."""
    return scenario(
        name="counterflow",
        settings={"end": end},
        origins=[{"id": "a", "mode": "walk"}, {"id": "b", "mode": "walk"}],
        exits=[],
        areas=[
            {"id": "ra", "area_m2": 5000, "walk_m": 0},
            {"id": "rb", "area_m2": 5000, "walk_m": 0},
        ],
        links=[
            link("la", "a", "ra", 5, 40),
            link("mid", "ra", "rb", length, width, kind=kind),
            link("lb", "rb", "b", 5, 40),
        ],
        sources=[
            {
                "id": "ab",
                "origin": "a",
                "destination": "b",
                "rate_per_s": rate_each,
                "start": 0,
                "end": end - 200,
                "party_size": 1,
            },
            {
                "id": "ba",
                "origin": "b",
                "destination": "a",
                "rate_per_s": rate_each,
                "start": 0,
                "end": end - 200,
                "party_size": 1,
            },
        ],
    )


def test_a_two_way_door_shares_one_capacity_reduced_as_in_the_juelich_experiments() -> None:
    width = 1.2
    sim = Simulation(two_way("door", 0.5, width, 3.0), seed=1)
    sim.run()
    left = sim.result().fans["left_s"].to_numpy()
    combined = rate_between(left, 200, 650)
    one_way = DOOR_SPECIFIC_FLOW * width
    assert combined <= one_way  # never the 2x of two independent directions
    expected = BIDIRECTIONAL_BALANCED * one_way  # balanced streams
    assert abs(combined - expected) / expected < 0.05, (combined, expected)
    assert abs(BIDIRECTIONAL_BALANCED - 1.5 / 1.9) < 0.01  # Zhang et al. 2012


def test_a_two_way_walkway_carries_what_its_one_way_halves_would_without_collapse() -> None:
    length, width = 100.0, 8.0
    q_max, k_crit = critical_point(Weidmann(), length * width / 2)
    each = 0.75 * q_max * width / 2  # 75% of a one-way half's capacity, both ways
    sim = Simulation(two_way("walkway", length, width, each, end=1500), seed=1)
    sim.run()
    summary = sim.result().summary.to_dict()
    mid = summary["links"]["mid"]
    peak = mid["max_occupancy"] / (length * width)
    assert peak < k_crit  # free-flow branch: no collapse towards jam density
    left = sim.result().fans["left_s"].to_numpy()
    assert abs(rate_between(left, 300, 1200) - 2 * each) / (2 * each) < 0.05
    assert summary["fans"]["left"] == summary["fans"]["arrived"]


def saturated_flow(kind: str, caps: str, width: float = 2.0, length: float = 20.0) -> float:
    """Persons/m/min out of a link fed by a standing queue."""
    sc = scenario(
        name=f"saturated {kind}",
        settings={"end": 900, "flow_caps": caps},
        areas=[{"id": "room", "area_m2": 4000, "walk_m": 0}],
        links=[
            link("feed", "o", "room", 5, 40, two_way=False),
            link("test", "room", "x", length, width, kind=kind, two_way=False),
        ],
        sources=[source(6.0, 800)],
    )
    sim = Simulation(sc, seed=3)
    sim.run()
    left = sim.result().fans["left_s"].to_numpy()
    return rate_between(left, 200, 750) / width * 60


@pytest.mark.parametrize(
    ("kind", "rate"),
    [("walkway", 82), ("ramp", 82), ("stairs_up", 66), ("stairs_down", 66), ("door", 82)],
)
def test_green_guide_caps_hold_on_every_link_kind(kind: str, rate: float) -> None:
    flow = saturated_flow(kind, "green_guide", length=0.5 if kind == "door" else 20.0)
    assert abs(flow - rate) / rate < 0.03, (kind, flow)


def test_experimental_stairs_are_slower_than_level_and_up_slower_than_down() -> None:
    level, down, up = (
        saturated_flow(k, "experimental") for k in ("walkway", "stairs_down", "stairs_up")
    )
    assert up < down < level
    # IMO MSC.1/Circ.1533 free speeds 0.8 (up), 1.0 (down) and 1.2 m/s (level)
    assert abs(up / level - 0.8 / 1.2) < 0.03 and abs(down / level - 1.0 / 1.2) < 0.03


def stand_egress(seats: int, exit_width: float) -> float:
    """Seconds from the final whistle until 90% of a stand has left through its exits."""
    sc = scenario(
        name="exits",
        settings={"end": 14_400},
        checkpoints=[
            {
                "id": "g",
                "lanes": 60,
                "queue_area_m2": 1000,
                "service": {"kind": "deterministic", "mean": 1.0},
            }
        ],
        areas=[{"id": "concourse", "area_m2": 4000, "walk_m": 20}],
        sectors=[{"id": "stand", "seats": seats}],
        links=[
            link("approach", "o", "g", 10, 30),
            link("inner", "g", "concourse", 10, 30),
            link("vomitories", "concourse", "stand", 10, 30),
            link("exit_doors", "concourse", "x", 1.0, exit_width, kind="door"),
        ],
        ingress={
            "kickoff": 3600,
            "gates_open": 0,
            "attendance": 1.0,
            "profile": [[-55, 0.0], [-35, 1.0]],
            "mode_split": {"o": 1.0},
            "party_sizes": [1.0],
            "route_choice": "assigned",
        },
        egress={
            "final_whistle": 5400,
            "release_profile": [[0, 0.0], [0.01, 1.0]],
            "destinations": {"x": 1.0},
        },
    )
    sim = Simulation(sc, seed=1)
    sim.run()
    left = np.sort(sim.result().fans["left_s"].to_numpy())
    assert not np.isnan(left).any()
    return float(left[int(0.9 * seats) - 1]) - 5400.0


@pytest.mark.parametrize("width", [8.0, 4.0, 2.0])
def test_egress_time_follows_the_exit_width(width: float) -> None:
    seats = 6000
    t90 = stand_egress(seats, width)
    expected = 0.9 * seats / (DOOR_SPECIFIC_FLOW * width)  # N / (q W) for 90% of the stand
    assert abs(t90 - expected) / expected < 0.15, (width, t90, expected)


def escalator(walking_share: float = 0.0, rate: float = 0.05, length: float = 20.0):
    sc = scenario(
        name="escalator",
        settings={"end": 1200},
        areas=[{"id": "foot", "area_m2": 2000, "walk_m": 0}],
        links=[
            link("feed", "o", "foot", 5, 40, two_way=False),
            link(
                "esc",
                "foot",
                "x",
                length,
                1.0,
                kind="escalator",
                two_way=False,
                walking_share=walking_share,
            ),
        ],
        sources=[source(rate, 1000)],
    )
    sim = Simulation(sc, seed=2)
    sim.run()
    return sim.result().fans


def test_standing_on_an_escalator_takes_its_length_at_the_step_speed() -> None:
    fans = escalator()
    times = (fans["left_s"].to_numpy() - fans["arrive_s"].to_numpy())[:5]
    assert ESCALATOR_STEP_SPEED == 0.5  # EN 115-1
    assert np.allclose(times, 5 / 1.34 + 20 / 0.5, rtol=0.01)


def test_walking_on_the_steps_adds_the_climbing_speed() -> None:
    fans = escalator(walking_share=1.0)
    times = (fans["left_s"].to_numpy() - fans["arrive_s"].to_numpy())[:5]
    assert np.allclose(times, 5 / 1.34 + 20 / (0.5 + 1.34 * 0.8 / 1.2), rtol=0.01)


def test_a_saturated_escalator_passes_its_practical_capacity() -> None:
    assert abs(ESCALATOR_SPECIFIC_FLOW * 3600 - 6000) < 1e-6  # 2/3 of EN 115's 9,000/h
    fans = escalator(rate=4.0)
    left = fans["left_s"].to_numpy()
    flow = rate_between(left, 200, 950)
    assert abs(flow - ESCALATOR_SPECIFIC_FLOW) / ESCALATOR_SPECIFIC_FLOW < 0.03
