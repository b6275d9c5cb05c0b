"""Replication statistics against published t tables, hand-worked examples and CI coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.whatif.stats import (
    mean_ci,
    paired_difference,
    regularized_beta,
    t_cdf,
    t_quantile,
    welch_difference,
)

# Two-sided 95% (p = 0.975) and 99% (p = 0.995) critical values, from the standard t table
# (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2).
T_TABLE = [
    (1, 0.975, 12.706),
    (2, 0.975, 4.303),
    (4, 0.975, 2.776),
    (9, 0.975, 2.262),
    (19, 0.975, 2.093),
    (29, 0.975, 2.045),
    (100, 0.975, 1.984),
    (10, 0.995, 3.169),
    (5, 0.95, 2.015),
]


@pytest.mark.parametrize(("df", "p", "expected"), T_TABLE)
def test_t_quantile_matches_published_table(df: int, p: float, expected: float) -> None:
    assert t_quantile(p, df) == pytest.approx(expected, abs=5e-4)


def test_t_quantile_is_symmetric_and_inverts_the_cdf() -> None:
    assert t_quantile(0.025, 7) == pytest.approx(-t_quantile(0.975, 7))
    for df in (1.5, 3, 40):
        for p in (0.6, 0.9, 0.999):
            assert t_cdf(t_quantile(p, df), df) == pytest.approx(p, abs=1e-10)
    assert t_cdf(0.0, 3) == 0.5


def test_large_df_tends_to_the_normal_quantile() -> None:
    assert t_quantile(0.975, 1e6) == pytest.approx(1.959964, abs=1e-4)


def test_regularized_beta_known_values() -> None:
    # I_x(1, 1) = x; I_x(a, 1) = x^a; I_0.5(a, a) = 0.5 by symmetry.
    assert regularized_beta(1.0, 1.0, 0.3) == pytest.approx(0.3)
    assert regularized_beta(3.0, 1.0, 0.4) == pytest.approx(0.4**3)
    assert regularized_beta(4.5, 4.5, 0.5) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: t_quantile(1.0, 5), "probability"),
        (lambda: t_quantile(0.0, 5), "probability"),
        (lambda: t_cdf(1.0, 0), "degrees of freedom"),
        (lambda: regularized_beta(1.0, 1.0, 1.5), "x must lie"),
    ],
)
def test_bad_arguments_say_what_is_wrong(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        call()


def test_mean_ci_hand_worked_example() -> None:
    est = mean_ci([2.0, 4.0, 4.0, 5.0, 7.0])
    # mean 4.4, sample variance 13.2 / 4 = 3.3, half width t(0.975, 4) * sd / sqrt(5)
    assert est.n == 5
    assert est.mean == pytest.approx(4.4)
    assert est.std == pytest.approx(math.sqrt(3.3))
    assert est.half_width == pytest.approx(2.7764451 * math.sqrt(3.3) / math.sqrt(5), rel=1e-6)
    assert est.low == pytest.approx(4.4 - est.half_width)


def test_undefined_values_are_left_out_and_few_values_give_no_interval() -> None:
    est = mean_ci([1.0, None, float("nan"), 3.0])
    assert est.n == 2 and est.mean == 2.0
    one = mean_ci([5.0, None])
    assert (one.n, one.mean, one.low, one.high) == (1, 5.0, None, None)
    none = mean_ci([])
    assert none.n == 0 and none.mean is None and not none.excludes_zero()


def test_interval_coverage_is_95_percent_with_five_seeds() -> None:
    """With 1.96 instead of t(4) the coverage would be ~88%; t gives 95% (binomial sd ~0.5%)."""
    rng = np.random.default_rng(2030)
    trials, hits = 2000, 0
    for _ in range(trials):
        est = mean_ci(rng.normal(10.0, 3.0, size=5).tolist())
        assert est.low is not None and est.high is not None
        hits += est.low <= 10.0 <= est.high
    assert 0.935 <= hits / trials <= 0.965


def test_pairing_by_seed_cancels_common_noise() -> None:
    """Common random numbers: a seed effect shared by both runs drops out of the difference."""
    rng = np.random.default_rng(7)
    seed_effect = rng.normal(0.0, 50.0, size=20)
    noise = rng.normal(0.0, 1.0, size=20)
    baseline = {s: 100.0 + seed_effect[s] for s in range(20)}
    variant = {s: 95.0 + seed_effect[s] + noise[s] for s in range(20)}
    paired = paired_difference(variant, baseline)
    unpaired = welch_difference(variant.values(), baseline.values())
    assert paired.low is not None and paired.high is not None
    assert paired.high < 0.0 and paired.excludes_zero()
    assert paired.half_width is not None and unpaired.half_width is not None
    assert paired.half_width * 20 < unpaired.half_width
    assert not unpaired.excludes_zero()


def test_paired_difference_uses_only_seeds_both_define() -> None:
    est = paired_difference({1: 3.0, 2: 5.0, 3: None, 4: 9.0}, {1: 1.0, 2: 2.0, 3: 1.0, 5: 0.0})
    assert est.n == 2 and est.mean == pytest.approx(2.5)


def test_float_rounding_is_no_difference() -> None:
    """3295.1 vs 3295.1 + 1e-12 on every seed must not read as a significant difference."""
    base = {s: 3295.1 + s for s in range(10)}
    same = {s: v + 1e-12 for s, v in base.items()}
    est = paired_difference(same, base)
    assert est.mean == 0.0 and not est.excludes_zero()
    real = paired_difference({s: v + 1e-3 for s, v in base.items()}, base)
    assert real.excludes_zero()


def test_welch_hand_worked_example() -> None:
    x, y = [20.0, 22.0, 24.0, 26.0], [10.0, 11.0, 12.0]
    est = welch_difference(x, y)
    vx, vy = (20.0 / 3) / 4, 1.0 / 3  # s_x^2 / n_x, s_y^2 / n_y
    df = (vx + vy) ** 2 / (vx**2 / 3 + vy**2 / 2)
    assert est.mean == pytest.approx(12.0)
    assert est.half_width == pytest.approx(t_quantile(0.975, df) * math.sqrt(vx + vy))
    assert welch_difference([1.0], [2.0]).low is None
