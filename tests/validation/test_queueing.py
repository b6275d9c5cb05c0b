"""Queueing theory references: turnstile banks and Cheah & Smith's M/G/c/c corridor.

A bank is checked against Erlang C and against the exact FIFO G/G/c start-time recursion.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from validation_venues import link, scenario, source

from simulator import Scenario, Simulation
from simulator.crowd.exponential import Exponential

pytestmark = pytest.mark.validation


def erlang_c(lam: float, mean_service: float, lanes: int) -> tuple[float, float]:
    """(mean queue wait Wq, utilisation) of M/M/c."""
    a = lam * mean_service
    rho = a / lanes
    top = a**lanes / math.factorial(lanes) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(lanes)) + top)
    return p_wait / (lanes / mean_service - lam), rho


def batch_ci(values: np.ndarray, batches: int = 20) -> tuple[float, float]:
    """Mean and 95% half-width by batch means (t quantile for 19 d.o.f.: 2.093)."""
    means = np.array([b.mean() for b in np.array_split(values, batches)])
    return float(means.mean()), 2.093 * float(means.std(ddof=1)) / math.sqrt(batches)


def turnstile_bank(
    lanes: int, service: dict[str, Any], lam: float, horizon: float, **checkpoint: Any
) -> Scenario:
    """One checkpoint ``g`` fed by a Poisson source at ``lam`` per second until ``horizon``."""
    return scenario(
        name="bank",
        settings={"end": horizon},
        checkpoints=[
            {"id": "g", "lanes": lanes, "queue_area_m2": 200, "service": service, **checkpoint}
        ],
        links=[link("in", "o", "g", 1, 10, two_way=False), link("out", "g", "x", 1, 10)],
        sources=[source(lam, horizon)],
    )


def test_turnstile_bank_matches_erlang_c() -> None:
    lanes, mean_s, lam, horizon = 4, 6.0, 0.55, 150_000.0
    sc = turnstile_bank(lanes, {"kind": "exponential", "mean": mean_s}, lam, horizon)
    sim = Simulation(sc, seed=7)
    sim.run()
    fans = sim.result().fans
    waits = fans["service_start_s"].to_numpy() - fans["queue_start_s"].to_numpy()
    waits = waits[~np.isnan(waits)][2000:]  # drop the warm-up from an empty bank
    wq, rho = erlang_c(lam, mean_s, lanes)
    mean, half = batch_ci(waits)
    assert abs(mean - wq) <= half, (mean, half, wq)
    assert abs(mean - wq) / wq < 0.05
    utilisation = sim.world.banks[0].busy_s / (lanes * horizon)
    assert abs(utilisation - rho) / rho < 0.01, (utilisation, rho)


def stationary_law(lam: float, length: float, width: float) -> tuple[float, float, float]:
    """Exact M/G/c/c law of Cheah & Smith: (blocking, throughput, mean occupancy)."""
    model = Exponential()
    floor = length * width
    capacity = math.floor(model.k_jam * floor)
    log_p = [0.0]
    for n in range(1, capacity + 1):
        f = model.speed(n / floor, floor) / model.a
        log_p.append(log_p[-1] + math.log(lam * length / model.a) - math.log(n) - math.log(f))
    p = np.exp(np.array(log_p) - max(log_p))
    p /= p.sum()
    return float(p[-1]), lam * (1 - float(p[-1])), float(np.arange(capacity + 1) @ p)


@pytest.mark.parametrize(
    ("lam", "blocking", "throughput", "occupancy"),
    [(1.0, 0.0, 1.0, 7.8), (2.0, 0.0, 2.0, 21.1), (4.0, 0.61, 1.56, 99.4)],
)
def test_corridor_is_the_m_g_c_c_loss_system(
    lam: float, blocking: float, throughput: float, occupancy: float
) -> None:
    horizon = 20_000.0
    sc = scenario(
        name="mgcc",
        settings={
            "end": horizon,
            "pedestrian_model": "exponential",
            "model_params": {"a": 1.5, "v_at_2": 0.64, "v_at_4": 0.25, "k_jam": 5.0},
        },
        links=[link("c", "o", "x", 10, 2, two_way=False, flow_cap_per_m_s=1000)],
        sources=[source(lam, horizon, drop=True)],
    )
    sim = Simulation(sc, seed=11)
    sim.run()
    summary = sim.result().summary.to_dict()
    fans, corridor = summary["fans"], summary["links"]["c"]
    got = (
        fans["dropped"] / fans["arrived"],
        corridor["throughput"] / horizon,
        corridor["mean_occupancy"],
    )
    exact = stationary_law(lam, 10, 2)
    for measured, table, law in zip(got, (blocking, throughput, occupancy), exact, strict=True):
        if table == 0.0:
            assert measured < 1e-3 and law < 1e-3
            continue
        assert abs(measured - table) / table < 0.03, (measured, table)
        assert abs(measured - law) / law < 0.03, (measured, law)
        assert abs(law - table) / table < 0.03, (law, table)


@pytest.mark.parametrize("secondary_share", [0.0, 0.4])
def test_lanes_start_fans_in_order_as_the_fifo_recursion_says(secondary_share: float) -> None:
    """Every start time equals the exact FIFO G/G/c recursion (Kiefer & Wolfowitz 1955).

    With identical deterministic service ``d`` on ``c`` lanes, fan ``i`` starts at
    ``max(join_i, start_{i-c} + d)``. The load is 1.3 (a queue builds), so every lane is freed
    by its wake-up while fans wait. A secondary search must not hold the lane.
    """
    lanes, d, lam, horizon = 3, 5.0, 0.8, 3000.0
    sc = turnstile_bank(
        lanes,
        {"kind": "deterministic", "mean": d},
        lam,
        horizon,
        secondary_share=secondary_share,
        secondary_service={"kind": "uniform", "low": 20, "high": 40, "mean": 30},
    )
    sim = Simulation(sc, seed=3)
    sim.run()
    fans = sim.result().fans
    join = fans["queue_start_s"].to_numpy()
    start = fans["service_start_s"].to_numpy()
    started = ~np.isnan(start)
    order = np.lexsort((fans["fan"].to_numpy()[started], join[started]))
    join, start = join[started][order], start[started][order]
    assert len(start) > 1500 and start[-1] - join[-1] > 300  # a long queue built up
    expected = join.copy()
    for i in range(lanes, len(join)):
        expected[i] = max(join[i], expected[i - lanes] + d)
    np.testing.assert_allclose(start, expected, rtol=0, atol=1e-6)
    bank = sim.world.banks[0]
    assert bank.served_by(sim.now) == int(np.sum(start + d <= sim.now))
