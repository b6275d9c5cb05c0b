"""The weight a zone's count gets against the model (``streams.count_gain``): a Kalman gain."""

from __future__ import annotations

import math

import numpy as np

from streams.count_gain import CountGain


def _steady_weight(cycle_s: float, confidence: float = 0.8, cycles: int = 200) -> float:
    gain = CountGain(model_error=0.2, count_noise=0.15, memory_s=60.0)
    rng = np.random.default_rng(0)
    w = 0.0
    for k in range(1, cycles + 1):
        t = k * cycle_s
        seen = 2000.0 * (1.0 + 0.15 * float(rng.normal()))  # noise only: never a surprise
        seen = min(max(seen, 1700.0), 2300.0)
        w = gain.weight(
            "conc",
            clock_s=t,
            count_clock_s=t,
            observed=seen,
            modelled=2000.0,
            confidence=confidence,
        )
    return w


def _riccati(q: float, r: float) -> float:
    """The steady-state gain of a random walk with variance q per step seen with noise r."""
    p_prior = q / 2.0 + math.sqrt(q * q / 4.0 + q * r)
    return p_prior / (p_prior + r)


def test_the_weight_settles_at_the_kalman_gain_of_the_cycle() -> None:
    # R is relative to the larger of count and model, so it wanders with the noise: a band
    for cycle_s in (15.0, 60.0):
        q = 0.2**2 * cycle_s / 60.0
        r_lo = (0.15**2 + 1 / 2300.0) / 0.8
        r_hi = (0.15**2 + 1 / 2000.0) / 0.8
        w = _steady_weight(cycle_s)
        assert _riccati(q, r_hi) - 1e-9 <= w <= _riccati(q, r_lo) + 1e-9


def test_shorter_cycles_weigh_each_count_less_but_not_the_minute_less() -> None:
    w15, w60 = _steady_weight(15.0), _steady_weight(60.0)
    assert w15 < w60 < 0.8  # the old fixed weight (the confidence) followed the noise
    # four counts at w15 move the model at least as far as one at w60: no information lost
    assert 1.0 - (1.0 - w15) ** 4 >= w60


def test_a_less_sure_camera_moves_the_model_less() -> None:
    assert _steady_weight(15.0, confidence=0.4) < _steady_weight(15.0, confidence=0.9)


def test_a_count_the_model_cannot_explain_is_believed_as_far_as_its_camera_is_sure() -> None:
    gain = CountGain(model_error=0.2, count_noise=0.15, memory_s=60.0)
    w = gain.weight(
        "plaza", clock_s=60, count_clock_s=55, observed=3000, modelled=100, confidence=1
    )
    assert w == 1.0
    w = gain.weight(
        "gate", clock_s=60, count_clock_s=55, observed=3000, modelled=100, confidence=0.6
    )
    assert w > 0.95  # the surprise outweighs the camera's doubt


def test_a_count_is_news_once() -> None:
    gain = CountGain(model_error=0.2, count_noise=0.15, memory_s=60.0)
    assert gain.is_new("plaza", 55.0)
    gain.weight("plaza", clock_s=60, count_clock_s=55, observed=100, modelled=100, confidence=1)
    assert not gain.is_new("plaza", 55.0) and gain.is_new("plaza", 70.0)
