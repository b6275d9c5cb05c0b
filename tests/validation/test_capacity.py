"""Green Guide capacity arithmetic against examples worked by hand.

Source: Guide to Safety at Sports Grounds, 6th edition (SGSA, 2018), chapter 2 and SGSA's
"Calculating safe capacity": exit capacity = 8 min (section 10.7, the normal maximum egress
time) x exit width x 82 persons/m/min on the level or 66 on stairways; entry capacity = lanes
x rate per lane x 1 h, at most 660 persons per hour per turnstile; emergency evacuation over
2.5 to 8 minutes with an exit unavailable; final safe capacity = the smallest figure. Each
example goes through the planner's path: a YAML scenario read by the loader.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from simulator.results.capacity import ground_capacity, stand_capacity
from simulator.scenario.loader import load_scenario, load_scenario_text

pytestmark = pytest.mark.validation

STAND = """
name: hand-worked stand
settings: {{start: "18:00", end: "23:00"}}
venue:
  name: one stand
  origins: [{{id: o, mode: walk}}]
  areas:
    - {{id: plaza, area_m2: 5000}}
    - {{id: conc, area_m2: 1500, label: Main stand concourse}}
  checkpoints:
    - {{id: g1, lanes: 8, queue_area_m2: 300, service: {{kind: deterministic, mean: {mean}}}}}
  sectors:
    - {{id: s1, seats: 3000, gate: g1}}
    - {{id: s2, seats: 2000, gate: g1}}
  exits: []
  links:
    - {{id: a, source: o, target: plaza, length_m: 50, width_m: 10}}
    - {{id: in_g, source: plaza, target: g1, length_m: 10, width_m: 6, two_way: false}}
    - {{id: out_g, source: g1, target: conc, length_m: 10, width_m: 6, two_way: false}}
    - {{id: v1, source: conc, target: s1, length_m: 8, width_m: 3.0, kind: door, label: Vom 1}}
    - {{id: v2, source: conc, target: s2, length_m: 8, width_m: 2.4, kind: stairs_down}}
    - {{id: door, source: conc, target: plaza, length_m: 10, width_m: {door}, kind: door,
        two_way: false}}
"""


def stand(mean: float = 6.0, door: float = 12.0, evacuation_min: float = 8.0):  # type: ignore[no-untyped-def]
    sc = load_scenario_text(STAND.format(mean=mean, door=door))
    return stand_capacity(scenario=sc, stand="conc", evacuation_min=evacuation_min)


def test_holding_entry_exit_emergency_and_final_by_hand() -> None:
    c = stand()
    assert c.label == "Main stand concourse" and c.sectors == ("s1", "s2")
    assert c.holding.persons == 5000
    # entry: 8 lanes x (3600 s / 6 s = 600 per hour) x 1 h = 4,800 < 5,000 seats
    assert c.entry.persons == pytest.approx(4800) and not c.entry.passes
    # exit: 8 min x (3.0 m x 82 + 2.4 m x 66) = 8 x 404.4 = 3,235.2
    assert c.exit.persons == pytest.approx(3235.2) and not c.exit.passes
    assert c.egress_min == pytest.approx(5000 / 404.4)  # 12.36 min > 8
    # emergency: the largest exit (Vom 1, 246 /min) unavailable: 8 x 158.4 = 1,267.2
    assert c.largest_exit is not None and c.largest_exit.link == "v1"
    assert c.emergency.persons == pytest.approx(1267.2)
    assert c.evacuation_min == pytest.approx(5000 / 158.4)
    assert c.final == pytest.approx(1267.2)


def test_turnstile_rate_is_capped_at_660_an_hour() -> None:
    # 4 s a fan would be 900 an hour; the Green Guide allows 660: 8 x 660 = 5,280 >= 5,000
    c = stand(mean=4.0)
    assert c.entry.persons == pytest.approx(5280) and c.entry.passes


def test_a_narrow_onward_door_limits_the_exit() -> None:
    # a 4 m door onward: 8 x 4 x 82 = 2,624 < 3,235.2 through the vomitories
    c = stand(door=4.0)
    assert c.exit.persons == pytest.approx(2624.0)
    assert c.egress_min == pytest.approx(5000 / 328.0)


def test_shorter_evacuation_time_scales_the_emergency_figure() -> None:
    # fire risk assessed high: 2.5 min x 158.4 = 396
    assert stand(evacuation_min=2.5).emergency.persons == pytest.approx(396.0)


def test_rabat_egress_doors_match_the_scenario_authors_hand_sum() -> None:
    """Prince Moulay Abdellah's YAML says 74 m of egress doors and 105 m would be needed."""
    sc = load_scenario(Path(__file__).parents[2] / "scenarios" / "prince_moulay_abdellah.yaml")
    rows, ground = ground_capacity(scenario=sc)
    doors = {e.link: e.width_m for r in rows for e in r.onward if e.rate_per_m_min == 82.0}
    assert math.isclose(sum(doors.values()), 74.0)
    needed = sc.venue.seats / (82 * 8)
    assert round(needed) == 105
    assert ground["holding"] == 68_700
    # no stand meets 8 minutes through 74 m of doors, so exit capacity is below the seats
    assert ground["exit"] < sc.venue.seats and all(r.egress_min > 8 for r in rows)


def test_a_stand_with_wide_exits_passes_every_figure() -> None:
    # vomitories 30 m and 24 m: 8 x (30 x 82 + 24 x 66) = 32,352; without the 30 m one:
    # 8 x 1,584 = 12,672 >= 5,000 and 5,000 / 1,584 = 3.2 min <= 8; entry 5,280 at 4 s a fan
    sc = load_scenario_text(
        STAND.format(mean=4.0, door=60.0)
        .replace("width_m: 3.0", "width_m: 30")
        .replace("width_m: 2.4", "width_m: 24")
    )
    c = stand_capacity(scenario=sc, stand="conc")
    assert c.exit.persons == pytest.approx(32352.0)
    assert c.emergency.persons == pytest.approx(12672.0)
    assert all(f.passes for f in c.figures()) and c.final == 5000
