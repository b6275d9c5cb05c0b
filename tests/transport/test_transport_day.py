"""A match day with transport: conservation, determinism, warm starts, and the KPIs it adds."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.compute as pc
from transport_venues import load, match_day

from simulator import Simulation


def test_no_fan_is_lost_with_transport() -> None:
    doc = match_day()
    doc["interventions"] = [
        {"id": "rain", "kind": "weather", "speed_factor": 0.8, "start": "22:00", "end": "23:20"},
        {"id": "buses", "kind": "line_service", "line": "shuttle", "fleet": 3, "start": "23:00"},
    ]
    sc = load(doc)
    sim = Simulation(sc, seed=11)
    clock = sc.settings.start_s
    while clock < sc.settings.end_s:
        clock = min(clock + 600, sc.settings.end_s)
        sim.run(until=clock)
        result = sim.result()
        fans = result.summary.to_dict()["fans"]
        assert fans["arrived"] == fans["in_venue"] + fans["left"] + fans["dropped"]
        left = int(np.sum(result.fans["left_s"].to_numpy() <= clock))
        assert left == fans["left"]
    summary = result.summary.to_dict()
    assert summary["fans"]["left"] == summary["fans"]["expected"] == 6000
    boarded = sum(p["boarded"] for p in summary["platforms"].values())
    cars = sum(c["cars_out"] for c in summary["car_parks"].values())
    by_car = int(np.sum(np.asarray(result.fans["origin"].to_pylist()) == "car_park"))
    passengers = sum(line["passengers"] for line in summary["lines"].values())
    assert boarded == passengers
    assert cars == len(
        set(result.fans.filter(pc.equal(result.fans["origin"], "car_park"))["party"].to_pylist())
    )
    assert by_car > 0


def test_transport_kpis_and_time_series() -> None:
    sim = Simulation(load(match_day()), seed=2)
    sim.run()
    result = sim.result()
    s = result.summary.to_dict()
    assert set(s["lines"]) == {"tram", "shuttle"}
    assert s["lines"]["tram"]["peak_load"] <= 300 and s["lines"]["shuttle"]["peak_load"] <= 80
    assert s["time_to_leave_area_s"] >= s["time_to_clear_s"] > 0
    assert s["car_parks"]["park"]["overflow"] == s["car_parks"]["park"]["cars_in"] - 700 or (
        s["car_parks"]["park"]["overflow"] == 0
    )
    assert s["roads"]["road"]["max_travel_time_s"] > s["roads"]["road"]["free_time_s"]
    ts = result.timeseries
    lines = ts.filter(pc.equal(ts["element_type"], "line"))
    assert set(lines["element"].to_pylist()) == {"tram", "shuttle"}
    departed = pc.sum(lines["outflow_per_min"]).as_py()  # per-minute rates of 60 s samples
    assert round(departed) == sum(v["passengers"] for v in s["lines"].values())
    json.dumps(s)  # JSON-ready


def test_same_seed_same_summary_and_warm_start_replays() -> None:
    doc = match_day()
    doc["interventions"] = [  # levers active across the snapshot must survive it
        {"id": "rain", "kind": "weather", "speed_factor": 0.8, "start": "22:30", "end": "23:40"},
        {"id": "fleet", "kind": "line_service", "line": "shuttle", "fleet": 9, "start": "23:05"},
    ]
    sc = load(doc)
    a = Simulation(sc, seed=7)
    a.run()
    b = Simulation(sc, seed=7)
    b.run(until=23 * 3600 + 600)  # mid-egress: vehicles out, queues on platforms
    snap = b.snapshot()
    c = Simulation(sc, seed=7, snapshot=snap)
    c.run()
    full = json.dumps(a.result().summary.to_dict(), sort_keys=True)
    assert json.dumps(c.result().summary.to_dict(), sort_keys=True) == full
    d = Simulation(sc, seed=7)
    d.run()
    assert json.dumps(d.result().summary.to_dict(), sort_keys=True) == full


def test_a_bigger_fleet_clears_the_bay_sooner() -> None:
    base = match_day()
    more = match_day()
    more["transport"]["lines"][1]["fleet"] = 14
    a = Simulation(load(base), seed=5)
    a.run()
    b = Simulation(load(more), seed=5)
    b.run()
    wait_a = a.result().summary.to_dict()["platforms"]["bus_bay"]["p95_wait_s"]
    wait_b = b.result().summary.to_dict()["platforms"]["bus_bay"]["p95_wait_s"]
    assert wait_b < 0.7 * wait_a


def test_fans_reach_a_platform_in_vehicle_loads() -> None:
    sim = Simulation(load(match_day()), seed=3)
    sim.run(until=21 * 3600)
    fans = sim.result().fans
    tram = fans.filter(pc.equal(fans["origin"], "tram_stop"))
    times, loads = np.unique(tram["arrive_s"].to_numpy(), return_counts=True)
    start = 18.5 * 3600
    assert np.allclose(np.mod(times - start, 240.0), 0.0)  # on the tram's calls ...
    assert loads.max() <= 300  # ... and never more than a tram holds
    walkers = fans.filter(pc.equal(fans["origin"], "walk_in"))
    parties = len(set(walkers["party"].to_pylist()))
    assert len(np.unique(walkers["arrive_s"].to_numpy())) == parties  # walkers come one by one


def test_observed_counts_on_a_queuing_platform() -> None:
    sc = load(match_day())
    sim = Simulation(sc, seed=7)
    sim.run(until=23 * 3600 + 300)
    snap = sim.snapshot()
    queued = snap.occupancy["bus_bay"]
    assert queued > 20  # fans are waiting for shuttles
    fewer = Simulation(sc, seed=7, snapshot=snap.with_counts({"bus_bay": queued - 20}))
    assert fewer.world.occ[fewer.network.index["bus_bay"]] == queued - 20
    fewer.run()
    more = Simulation(sc, seed=7, snapshot=snap.with_counts({"bus_bay": queued + 15}))
    more.run()
    a, b = fewer.result().summary.to_dict(), more.result().summary.to_dict()
    assert a["fans"]["dropped"] == 20 and b["fans"]["dropped"] == 0
    assert b["fans"]["expected"] == 6000 + 15
    for s in (a, b):
        fans = s["fans"]
        assert fans["arrived"] == fans["left"] + fans["in_venue"] + fans["dropped"]
        assert fans["in_venue"] == 0
