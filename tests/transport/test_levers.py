"""Interventions change a run the way a planner expects, and only inside their window."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pyarrow.compute as pc
from transport_venues import load, match_day

from simulator import Simulation


def run(doc: dict[str, Any], seed: int = 4) -> Any:
    sim = Simulation(load(doc), seed=seed)
    sim.run()
    return sim.result()


def with_levers(*levers: dict[str, Any], doc: dict[str, Any] | None = None) -> dict[str, Any]:
    out = copy.deepcopy(doc or match_day())
    out["interventions"] = list(levers)
    return out


def test_closing_a_gate_raises_waits_at_its_neighbours() -> None:
    base = run(match_day()).summary.to_dict()["checkpoints"]
    closed = run(
        with_levers({"id": "shut", "kind": "close_gate", "gate": "g2", "start": "18:30"})
    ).summary.to_dict()["checkpoints"]
    assert closed["g2"]["served"] == 0
    for gate in ("g1", "g3"):
        assert closed[gate]["served"] > base[gate]["served"]
        assert closed[gate]["p50_wait_s"] > base[gate]["p50_wait_s"] + 10.0
    # the closed gate's fans queue at its neighbours (together: one neighbour's own peak may
    # come before the diverted fans reach it)
    peak = sum(closed[g]["peak_queue"] for g in ("g1", "g3"))
    assert peak > sum(base[g]["peak_queue"] for g in ("g1", "g3")) + base["g2"]["peak_queue"]
    total = sum(cp["served"] for cp in closed.values())
    assert total == sum(cp["served"] for cp in base.values())  # nobody is lost


def test_a_rain_factor_lengthens_ingress() -> None:
    base = run(match_day()).fans
    rain = run(
        with_levers({"id": "rain", "kind": "weather", "speed_factor": 0.6, "start": "18:30"})
    ).fans
    # same seed, same draws: the same fans arrive at the same times and walk slower
    assert np.array_equal(base["arrive_s"].to_numpy(), rain["arrive_s"].to_numpy())
    in_base = base["seated_s"].to_numpy() - base["arrive_s"].to_numpy()
    in_rain = rain["seated_s"].to_numpy() - rain["arrive_s"].to_numpy()
    assert np.nanmean(in_rain) > np.nanmean(in_base) * 1.15


def test_weather_only_acts_inside_its_window() -> None:
    base = run(match_day()).fans
    late = run(
        with_levers(
            {"id": "rain", "kind": "weather", "speed_factor": 0.5, "start": "23:00", "end": "23:30"}
        )
    ).fans
    assert np.array_equal(base["seated_s"].to_numpy(), late["seated_s"].to_numpy())
    assert not np.array_equal(base["left_s"].to_numpy(), late["left_s"].to_numpy())


def test_lanes_and_service_factor_change_the_wait() -> None:
    base = run(match_day()).summary.to_dict()["checkpoints"]["g1"]
    fewer = run(
        with_levers({"id": "two", "kind": "lanes", "gate": "g1", "lanes": 2, "start": "18:30"})
    ).summary.to_dict()["checkpoints"]["g1"]
    slower = run(
        with_levers(
            {
                "id": "slow",
                "kind": "service_factor",
                "service_factor": 1.5,
                "gate": "g1",
                "start": "18:30",
            }
        )
    ).summary.to_dict()["checkpoints"]["g1"]
    assert fewer["p95_wait_s"] > base["p95_wait_s"]
    assert slower["p95_wait_s"] > base["p95_wait_s"]
    assert fewer["served"] == slower["served"] == base["served"]


def test_reassigned_sectors_use_the_new_gate() -> None:
    result = run(
        with_levers(
            {
                "id": "move",
                "kind": "reassign_gate",
                "sectors": ["s1"],
                "gate": "g3",
                "start": "18:30",
            }
        )
    )
    fans = result.fans
    s1 = fans.filter(pc.equal(fans["sector"], "s1"))
    assert set(s1["gate"].to_pylist()) == {"g3"}
    assert result.summary.to_dict()["checkpoints"]["g1"]["served"] == 0


def test_a_closed_link_holds_fans_until_it_reopens() -> None:
    lever = {
        "id": "incident",
        "kind": "close_link",
        "link": "a_walk",
        "start": "19:00",
        "end": "20:00",
    }
    fans = run(with_levers(lever)).fans
    walkers = fans.filter(pc.equal(fans["origin"], "walk_in"))
    arrive = walkers["arrive_s"].to_numpy()
    seated = walkers["seated_s"].to_numpy()
    blocked = (arrive >= 19 * 3600) & (arrive < 20 * 3600 - 600)
    assert blocked.any()
    assert np.all(seated[blocked] >= 20 * 3600)  # nobody got through during the incident


def test_release_delay_holds_back_only_its_sectors() -> None:
    lever = {
        "id": "stagger",
        "kind": "release_delay",
        "sectors": ["s3"],
        "delay_min": 15,
        "start": "22:50",
    }
    base = run(match_day()).fans
    late = run(with_levers(lever)).fans
    for sector, shift in (("s1", 0.0), ("s3", 900.0)):
        b = base.filter(pc.equal(base["sector"], sector))["release_s"].to_numpy()
        d = late.filter(pc.equal(late["sector"], sector))["release_s"].to_numpy()
        assert np.allclose(d - b, shift)


def test_line_service_fleet_and_capacity() -> None:
    base = run(match_day()).summary.to_dict()
    more = run(
        with_levers(
            {
                "id": "buses",
                "kind": "line_service",
                "line": "shuttle",
                "fleet": 12,
                "capacity": 100,
                "start": "22:40",
            }
        )
    ).summary.to_dict()
    assert more["lines"]["shuttle"]["peak_load"] == 100 > base["lines"]["shuttle"]["peak_load"]
    assert more["platforms"]["bus_bay"]["p95_wait_s"] < base["platforms"]["bus_bay"]["p95_wait_s"]
