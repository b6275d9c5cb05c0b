"""Dwell, service points and half-time against their references, through the YAML path.

- Little's law (Little 1961, Operations Research 9(3): 383-387): the mean number dwelling on a
  floor is the rate of those who stop times their mean dwell, L = lambda x p x W.
- Erlang C (Erlang 1917; Kleinrock 1975, Queueing Systems vol. 1, ch. 3.5): the mean queue wait
  of an M/M/c service point fed by a steady Poisson stream.
- Conservation: everyone who leaves a seat at half-time is back in it, and the fan counts still
  add up (arrived = dropped + in venue + left).
- The half-time surge: a concourse's densest minute falls inside the half-time window.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from test_queueing import batch_ci, erlang_c
from validation_venues import link, scenario, source

from simulator import Simulation
from simulator.engine.party import HALFTIME

pytestmark = pytest.mark.validation


def _zone(dwell: dict[str, Any], *, services: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A large floor crossed in no time (``walk_m: 0``): its occupancy is who dwells there."""
    area: dict[str, Any] = {"id": "zone", "area_m2": 20000, "walk_m": 0, "dwell": dwell}
    if services:
        area["services"] = services
    return area


def _through_zone(name: str, area: dict[str, Any], rate: float, hours: float) -> Any:
    end = hours * 3600
    return scenario(
        name=name,
        areas=[area],
        links=[link("in", "o", "zone", 20, 20), link("out", "zone", "x", 20, 20)],
        sources=[{**source(rate, end), "destination": "x"}],
        settings={"end": end, "sample_interval_s": 10},
        ingress=None,
    )


def _samples(result: Any, element: str, after: float) -> np.ndarray:
    ts = result.timeseries
    rows = [
        n
        for t, e, n in zip(
            ts["time_s"].to_pylist(),
            ts["element"].to_pylist(),
            ts["occupancy"].to_pylist(),
            strict=True,
        )
        if e == element and t >= after
    ]
    return np.asarray(rows, dtype=float)


def test_mean_number_dwelling_obeys_littles_law() -> None:
    lam, share, mean = 2.0, 0.5, 300.0
    dwell = {"sources": {"share": share, "time": {"kind": "lognormal", "mean": mean, "cv": 0.5}}}
    sc = _through_zone("little", _zone(dwell), lam, 4.0)
    sim = Simulation(sc, seed=11)
    sim.run()
    occ = _samples(sim.result(), "zone", after=3600.0)  # past the warm-up of a few dwell times
    expected = lam * share * mean  # 300 dwelling
    assert occ.mean() == pytest.approx(expected, rel=0.04)
    # the share who stopped is the rule's share (binomial, within 4 standard deviations)
    stopped, n = sim.world.dwell.dwelt[sim.network.index["zone"]], sim.world.arrived
    assert abs(stopped - share * n) < 4 * math.sqrt(n * share * (1 - share))


def test_service_point_queue_matches_erlang_c() -> None:
    lam, mean, servers = 0.6, 15.0, 10  # offered load 9 erlang, utilisation 0.9
    wc = {"id": "wc", "kind": "toilet", "servers": servers}
    wc["service"] = {"kind": "exponential", "mean": mean}
    dwell = {"sources": {"share": 1.0, "use": {"toilet": 1.0}}}
    sc = _through_zone("erlang", _zone(dwell, services=[wc]), lam, 16.0)
    sim = Simulation(sc, seed=5)
    sim.run()
    waits = np.asarray(sim.world.dwell.services[0].waits[2000:])  # past the warm-up
    wq, rho = erlang_c(lam, mean, servers)
    got, half = batch_ci(waits)
    assert abs(got - wq) < max(half, 0.1 * wq), (got, half, wq)
    summary = sim.result().summary.services["wc"]
    assert summary.utilisation == pytest.approx(rho, rel=0.05)
    assert summary.served == len(sim.world.dwell.services[0].waits)


STADIUM = {
    "areas": [
        {"id": "plaza", "area_m2": 4000},
        {
            "id": "conc",
            "area_m2": 1200,
            "services": [
                {
                    "id": "wc",
                    "kind": "toilet",
                    "servers": 40,
                    "service": {"kind": "lognormal", "mean": 75, "cv": 0.4},
                },
                {
                    "id": "kiosk",
                    "kind": "concession",
                    "servers": 16,
                    "service": {"kind": "lognormal", "mean": 50, "cv": 0.5},
                },
            ],
        },
    ],
    "checkpoints": [
        {
            "id": "g",
            "lanes": 12,
            "service": {"kind": "exponential", "mean": 5.0},
            "queue_area_m2": 400,
        },
    ],
    "sectors": [{"id": "s1", "seats": 2500, "gate": "g"}, {"id": "s2", "seats": 2500, "gate": "g"}],
    "links": [
        link("a", "o", "plaza", 150, 10),
        link("b", "plaza", "g", 30, 8),
        link("c", "g", "conc", 20, 8),
        link("v1", "conc", "s1", 8, 4.8, kind="door"),
        link("v2", "conc", "s2", 8, 4.8, kind="door"),
        link("e", "conc", "plaza", 20, 10, kind="door", two_way=False),
    ],
    "ingress": {
        "kickoff": 7200,
        "gates_open": 0,
        "attendance": 1.0,
        "profile": [[-110, 0.0], [-60, 0.5], [-10, 1.0]],
        "mode_split": {"o": 1.0},
        "party_sizes": [0.4, 0.4, 0.2],
    },
    "egress": {"final_whistle": 7200 + 110 * 60, "release_profile": [[0, 0], [15, 1.0]]},
}


def _stadium(halftime: dict[str, Any]) -> Any:
    return scenario(
        name="halftime",
        exits=[],
        settings={"end": 7200 + 140 * 60, "sample_interval_s": 60},
        halftime=halftime,
        **STADIUM,
    )


def test_everyone_who_leaves_at_half_time_is_back_in_a_seat() -> None:
    sc = _stadium({"share": 0.4, "time": {"kind": "exponential", "mean": 240}})
    ht = sc.halftime
    sim = Simulation(sc, seed=3)
    sim.run(until=ht.start_s - 1)
    seated_before = sum(sim.occupancy()[s] for s in ("s1", "s2"))
    assert seated_before == 5000  # everyone is in by half-time (arrivals end 10 min before)
    sim.run(until=ht.end_s + 30 * 60)  # ample time to come back, before the final whistle
    d = sim.world.dwell
    assert d.ht_out == d.ht_back > 0
    assert not any(p.phase == HALFTIME for p in sim.world.parties)
    assert sum(sim.occupancy()[s] for s in ("s1", "s2")) == seated_before
    parties = len(sim.world.parties)  # the share is drawn per party: binomial on parties
    assert abs(d.ht_out / 5000 - 0.4) < 4 * math.sqrt(0.24 / parties) * 1.3
    sim.run()
    result = sim.result()
    fans = result.summary.fans
    assert fans.arrived == fans.dropped + fans.in_venue + fans.left
    assert fans.left == 5000
    assert result.summary.halftime is not None
    assert result.summary.halftime.fans_back == d.ht_out


def test_concourse_peaks_in_the_half_time_window() -> None:
    sc = _stadium({"share": 0.5})
    ht = sc.halftime
    sim = Simulation(sc, seed=8)
    sim.run()
    result = sim.result()
    ts = result.timeseries
    rows = [
        (t, k)
        for t, e, k in zip(
            ts["time_s"].to_pylist(), ts["element"].to_pylist(),
            ts["density_per_m2"].to_pylist(), strict=True,
        )
        if e == "conc"
    ]  # fmt: skip
    t_peak, k_peak = max(rows, key=lambda r: r[1])
    assert ht.start_s <= t_peak <= ht.end_s + 300
    peak = result.summary.halftime.concourses["conc"]
    assert peak.peak_density_per_m2 == k_peak and peak.peak_time_s == t_peak
    # the surge half-time adds: well above the concourse's density before the whistle
    assert peak.peak_density_per_m2 > 5 * max(peak.before_density_per_m2, 0.01)


def test_a_vomitory_closed_at_half_time_is_walked_round_both_ways() -> None:
    # s1 has a second, longer vomitory; its usual one closes as half-time starts: those who
    # leave their seats go round by the other, and every one of them is back in a seat
    links = [*STADIUM["links"], link("v1b", "conc", "s1", 12, 4.8, kind="door")]
    whistle = 7200 + 45 * 60 + 2 * 60  # IFAB Law 7: 45 minutes and the stoppage below
    shut = {"id": "shut", "kind": "close_link", "link": "v1", "start": whistle}
    sc = scenario(
        name="halftime closure",
        exits=[],
        settings={"end": 7200 + 140 * 60, "sample_interval_s": 60},
        halftime={"share": 0.4, "stoppage_min": 2},
        interventions=[shut],
        **{**STADIUM, "links": links},
    )
    assert sc.halftime is not None and sc.halftime.start_s == whistle
    sim = Simulation(sc, seed=3)
    sim.run(until=sc.halftime.end_s + 30 * 60)
    d = sim.world.dwell
    assert d.ht_out == d.ht_back > 0
    assert not any(p.phase == HALFTIME for p in sim.world.parties)
    sim.run()
    summary = sim.result().summary.to_dict()
    assert summary["fans"]["stranded"] == 0 and summary["fans"]["rerouted"] > 0
    assert summary["fans"]["left"] == 5000
