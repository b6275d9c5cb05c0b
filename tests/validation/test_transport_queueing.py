"""A line at a platform against queueing theory: bulk service at a deterministic headway.

Vehicles call every H seconds (dwell 0) and take up to C waiting fans each; fans arrive by a
Poisson stream of rate lambda over a 10 m walk.

* Capacity never binding (lambda*H << C): a fan waits for the next call, so by PASTA the mean
  wait is H/2 and every wait lies in [0, H).
* Oversaturated (lambda*H > C), the D/D/1 bulk-service calculation: once a queue has formed
  every vehicle leaves full, so after k calls the platform holds A(t_k) - k*C fans, whose
  expectation is lambda*t_k - k*C (fluid growth lambda*H - C per headway).
* A small platform holds at most its jam density; the rest wait on the walk (spill-back).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import yaml

from simulator import Scenario, Simulation
from simulator.scenario.loader import load_scenario_text

pytestmark = pytest.mark.validation


def load(doc: dict[str, Any]) -> Scenario:
    return load_scenario_text(yaml.safe_dump(doc, sort_keys=False), source="<platform>")


def platform_day(
    *, rate: float, capacity: int, headway: float, end: float, area: float | None = 2000.0
) -> dict[str, Any]:
    """A Poisson source walking 10 m onto a platform served by one line (dwell 0)."""
    plat: dict[str, Any] = {"id": "plat", "mode": "rail"}
    if area is not None:
        plat["area_m2"] = area
    return {
        "name": "platform",
        "settings": {"start": 0, "end": end, "sample_interval_s": 60},
        "venue": {
            "name": "platform",
            "origins": [{"id": "o", "mode": "walk"}, plat],
            "areas": [],
            "checkpoints": [],
            "sectors": [],
            "exits": [],
            "links": [{"id": "l", "source": "o", "target": "plat", "length_m": 10, "width_m": 10}],
        },
        "sources": [
            {
                "id": "s",
                "origin": "o",
                "destination": "plat",
                "rate_per_s": rate,
                "start": 0,
                "end": end,
                "party_size": 1,
            },
        ],
        "transport": {
            "lines": [
                {
                    "id": "line",
                    "mode": "rail",
                    "platform": "plat",
                    "capacity": capacity,
                    "headway_s": headway,
                    "dwell_s": 0,
                    "running_time_s": 300,
                },
            ],
        },
    }


def test_mean_wait_is_half_the_headway_when_capacity_never_binds() -> None:
    headway = 120.0
    sc = load(platform_day(rate=0.5, capacity=1000, headway=headway, end=4 * 3600))
    sim = Simulation(sc, seed=3)
    sim.run()
    result = sim.result()
    plat = result.summary.to_dict()["platforms"]["plat"]
    assert plat["boarded"] > 6500
    assert plat["max_wait_s"] < headway
    assert plat["mean_wait_s"] == pytest.approx(headway / 2, rel=0.03)
    left = result.fans["left_s"].to_numpy()
    boarded = left[~np.isnan(left)]
    assert np.allclose(np.mod(boarded, headway), 0.0)  # everyone leaves on a call


def test_oversaturated_platform_grows_as_the_bulk_service_calculation() -> None:
    rate, capacity, headway, end = 2.0, 200, 120.0, 3600.0
    sc = load(platform_day(rate=rate, capacity=capacity, headway=headway, end=end))
    sim = Simulation(sc, seed=5)
    sim.run()
    result = sim.result()
    fans = result.fans
    left = fans["left_s"].to_numpy()
    times, loads = np.unique(left[~np.isnan(left)], return_counts=True)
    # once the queue has formed (after two headways) every vehicle leaves full
    assert np.all(loads[times >= 2 * headway] == capacity)
    assert result.summary.to_dict()["lines"]["line"]["passengers"] == int(loads.sum())
    # the leftover at a sample between two calls is exactly the fans that reached the
    # platform minus what the vehicles took ...
    t = end - headway / 2
    ts = result.timeseries
    now = ts.filter(pc.equal(ts["time_s"], t))
    leftover = int(now.filter(pc.equal(now["element"], "plat"))["occupancy"][0].as_py())
    on_platform = int(np.sum(fans["arrive_s"].to_numpy() <= t)) - _still_walking(ts, t)
    taken = int(loads[times <= t].sum())
    assert leftover == on_platform - taken
    # ... and its expectation is the D/D/1 bulk figure lambda*t - k*C (Poisson spread)
    calls = int(t // headway)
    walk = 10.0 / 1.34
    expected = rate * (t - walk) - calls * capacity
    assert abs(leftover - expected) < 4 * math.sqrt(rate * t)


def _still_walking(ts: pa.Table, t: float) -> int:
    """Fans arrived but not yet on the platform: at the origin or on the walk."""
    now = ts.filter(pc.equal(ts["time_s"], t))
    rows = now.filter(pc.is_in(now["element"], pa.array(["o", "l"])))
    return int(pc.sum(rows["occupancy"]).as_py())


def test_platform_never_holds_more_than_its_jam_density() -> None:
    area = 20.0
    hold = math.floor(5.4 * area)
    sc = load(platform_day(rate=2.0, capacity=50, headway=120.0, end=1800.0, area=area))
    sim = Simulation(sc, seed=8)
    sim.run()
    result = sim.result()
    ts = result.timeseries
    plat = ts.filter(pc.equal(ts["element"], "plat"))
    occupancy = plat["occupancy"].to_numpy()
    assert occupancy.max() == hold  # it does fill up ...
    assert np.all(plat["density_per_m2"].to_numpy() <= 5.4 + 1e-9)  # ... and never beyond
    summary = result.summary.to_dict()
    assert summary["platforms"]["plat"]["hold"] == hold
    assert summary["platforms"]["plat"]["peak_queue"] <= hold
    walk = ts.filter(pc.equal(ts["element"], "l"))
    assert walk["occupancy"].to_numpy().max() > 0  # the rest wait on the walk
    fans = summary["fans"]
    assert fans["arrived"] == fans["left"] + fans["in_venue"] + fans["dropped"]
