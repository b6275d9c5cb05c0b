"""The ensemble filter's parts on their own: localisation, tracking both ways, line crossings,
staggered forecasts. Small arrays and the test arena: fast."""

from __future__ import annotations

import math

import numpy as np
import pytest
from live_helpers import DAY, arena, zone_count

from streams.cameras import Camera
from streams.ensemble import (
    PROBE_DEPTHS,
    PROBE_OPEN,
    ParamSpace,
    keep_spread,
    probe_trouble,
    renew,
    update,
)
from streams.messages import Forecast
from streams.ruleset import RuleSet
from streams.twin import DigitalTwin, TwinSettings


def _members(n: int = 12, seed: int = 0) -> tuple[np.ndarray, np.random.Generator]:
    rng = np.random.default_rng(seed)
    a = rng.normal(0.0, 0.3, n)
    # parameter 1 is perfectly correlated with parameter 0 across these members: the worst
    # case for a spurious update (two gates whose factors happen to line up)
    return np.column_stack([a, a]), rng


def test_an_observation_moves_only_the_parameters_it_is_local_to() -> None:
    theta, rng = _members()
    predicted = (100.0 * np.exp(theta[:, 0]))[:, None]  # a gate's scans: its own factor
    observed, variance = np.array([30.0]), np.array([32.0])
    local = np.array([[True, False]])
    after = update(theta, predicted.copy(), observed, variance, local, rng)
    assert np.allclose(after[:, 1], theta[:, 1])  # the other gate did not move
    assert after[:, 0].mean() < theta[:, 0].mean() - 0.3  # its own gate learnt "slower"
    # and without localisation the correlated gate would have moved with it
    both = update(theta, predicted.copy(), observed, variance, np.array([[True, True]]), rng)
    assert both[:, 1].mean() < theta[:, 1].mean() - 0.3


def _track(truth: list[float], renew_every: int | None) -> list[float]:
    """A door's factor learnt from its outflow each cycle; the median factor per cycle."""
    rng = np.random.default_rng(3)
    n = 12
    theta = rng.normal(0.0, 0.2, (n, 1))
    lo, hi = np.array([math.log(0.03)]), np.array([math.log(1.6)])
    out = []
    for k, factor in enumerate(truth):
        predicted = 100.0 * np.exp(theta)
        observed = np.array([rng.poisson(100.0 * factor)], dtype=float)
        theta = update(theta, predicted, observed, observed + 2.0, np.array([[True]]), rng)
        theta = keep_spread(theta, np.array([0.1]), lo, hi, rng)
        if renew_every and k % renew_every == 0:
            theta = renew(theta, 1 + k % (n - 1), np.array([0.2]), lo, hi, rng)
        out.append(float(np.exp(np.median(theta))))
    return out


def test_a_factor_that_drops_then_recovers_is_tracked_both_ways() -> None:
    truth = [1.0] * 5 + [0.0] * 20 + [1.0] * 20  # a door blocked for 20 cycles
    learnt = _track(truth, renew_every=1)
    assert learnt[4] > 0.8
    assert learnt[24] < 0.1  # the door shut: learnt within the 20 cycles
    assert min(learnt[28:]) > 0.7  # open again within 3 cycles of reopening, and stays so
    # without members drawn afresh they sit at the bound, alike, and never see it reopen
    assert _track(truth, renew_every=None)[-1] < 0.3


def test_a_door_learnt_nearly_shut_is_tried_open_again() -> None:
    """Blocked, a door passes a trickle: learnt at a few percent, no member at the bound.
    Members drawn round the ensemble's mean there never tried it open, and the twin kept it
    shut long after it reopened (the blocked north exit, measured 2026-12-02)."""
    truth = [1.0] * 5 + [0.04] * 20 + [1.0] * 20
    learnt = _track(truth, renew_every=1)
    assert learnt[24] < 0.15
    assert min(learnt[30:]) > 0.7


def test_members_drawn_afresh_do_not_pull_a_weakly_observed_factor_back_to_the_plan() -> None:
    """The walking speed, heard through walkways (fans on one at the same flow: 1 / speed)
    with a large model error: each cycle moves it a little. Members drawn afresh from the
    plan's prior every cycle pulled it back by 1/N of its distance each time, so rain at 75%
    was learnt as about 100% (here 0.96); away from a bound they are drawn around the
    ensemble's mean."""
    rng = np.random.default_rng(4)
    n = 8
    sd = np.array([0.12])
    theta = rng.normal(0.0, 1.0, (n, 1)) * sd
    lo, hi = np.array([math.log(0.5)]), np.array([math.log(1.3)])
    learnt = []
    for k in range(60):
        predicted = 200.0 / np.exp(theta)  # fans on a walkway: flow x length / speed
        observed = np.array([200.0 / 0.75 * rng.normal(1.0, 0.15)])
        variance = (0.43 * observed) ** 2 + observed + 4.0
        theta = update(theta, predicted, observed, variance, np.array([[True]]), rng)
        theta = keep_spread(theta, sd * 0.5, lo, hi, rng)
        theta = renew(theta, 1 + k % (n - 1), sd, lo, hi, rng, persists=np.array([True]))
        learnt.append(float(np.exp(np.median(theta))))
    assert np.mean(learnt[30:]) < 0.9  # truth: 75% of plan


def _speed_move(pattern: np.ndarray, corr: float) -> float:
    """Mean move of the speed (log) after one update by 16 walkway counts, over 20 draws.

    ``pattern[k]``: how walkway k's count answers the speed (-1: fans on it ~ 1 / speed, a
    walkway the crowd is on; +1: fewer when slower, a walkway the wave has not reached yet).
    The truth walks at 80%; each count's error is mostly the model's (sd 40%, as for links).
    """
    moves = []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        theta = rng.normal(0.0, 0.12, (8, 1))
        base = np.linspace(80.0, 400.0, pattern.size)
        predicted = base * np.exp(pattern * theta)
        observed = base * np.exp(pattern * math.log(0.8))
        variance = (0.15 * observed) ** 2 + (0.4 * observed) ** 2 + observed + 4.0
        local = np.ones((pattern.size, 1), dtype=bool)
        after = update(
            theta, predicted, observed, variance, local, rng, shared=0.4 * observed, corr=corr
        )
        moves.append(float(after.mean() - theta.mean()))
    return float(np.mean(moves))


def test_many_counts_that_move_apart_keep_their_information() -> None:
    """The model's error is shared by the counts (correlated R), so it could mimic a signal
    that moves them all the same way, never one that fills some walkways and empties
    others. The earlier cap (R x n/4 beyond four counts) halved both alike, and the speed
    was not learnt in the rain."""
    mixed = np.array([-1.0, 1.0] * 8)
    independent = _speed_move(mixed, corr=0.0)
    assert independent < -0.05  # "slower"
    assert _speed_move(mixed, corr=0.25) < 0.8 * independent  # the cap kept 0.47 of it


def test_many_counts_that_move_together_are_discounted_as_a_shared_error() -> None:
    same = -np.ones(16)
    independent = _speed_move(same, corr=0.0)
    assert independent < -0.05
    # about what four independent counts would say (measured: 0.46 of sixteen)
    assert 0.6 * independent < _speed_move(same, corr=0.25) < 0.25 * independent


def test_a_shared_error_correlation_outside_0_1_is_refused() -> None:
    theta, rng = _members()
    with pytest.raises(ValueError, match="correlation"):
        update(theta, theta[:, :1], np.ones(1), np.ones(1), np.ones((1, 2), bool), rng, corr=1.0)


def test_the_walking_speed_hears_the_walkways_and_stairs_not_the_doors() -> None:
    """A door's count is its queue (its flow capacity and what arrives), not a walk: on Stade
    Mohammed V the speed hears the 44 walkways and stairs, not the 24 vomitories and exits."""
    from simulator.cli import resolve_scenario
    from simulator.scenario.loader import load_scenario

    scenario = load_scenario(resolve_scenario("stade_mohammed_v"))
    venue, space = scenario.venue, ParamSpace.of(scenario)
    kinds = {lk.id: lk.kind for lk in venue.links}
    heard = space.local["speed"]
    assert {"app_t1", "round_ne", "stairs_n_down"} <= heard
    assert not heard & {"exit_n", "vom_north_lower_w"}
    assert heard == {k for k, kind in kinds.items() if kind != "door"} and len(heard) == 44
    assert "exit_n" in space.local["flow:exit_n"]  # a door is heard by its own flow factor


CAMERAS = (Camera("cam_gate", "gate_a"), Camera("cam_plaza", "plaza"))


def _twin(**settings: float) -> DigitalTwin:
    start = 20 * 3600.0
    return DigitalTwin(
        arena(),
        CAMERAS,
        RuleSet(),
        day=DAY,
        start_s=start,
        settings=TwinSettings(seed=1, **settings),  # type: ignore[arg-type]
    )


def test_crossings_reported_one_way_are_not_read_as_zero_the_other_way() -> None:
    twin = _twin(members=4, cycle_s=60.0)
    try:
        start = twin.last_cycle_s
        twin.cycle(start + 60)
        twin.observe(zone_count("cam_gate", "gate_a", 20, start + 90, out_count=37))
        twin.observe(zone_count("cam_gate", "gate_a", 22, start + 105, out_count=40))
        assert twin._crossings() == {"gate_a": (None, 77)}
    finally:
        twin.close()


def test_a_quarter_of_the_members_refresh_their_forecast_each_15_s_cycle() -> None:
    twin = _twin(members=4, cycle_s=15.0, refresh_s=60.0, horizon_s=1200.0)
    try:
        clock = twin.last_cycle_s
        refreshed = []
        for _ in range(6):
            clock += 15.0
            before = [m.forecast for m in twin.members]
            report = twin.cycle(clock)
            refreshed.append(
                sum(a is not m.forecast for a, m in zip(before, twin.members, strict=True))
            )
            forecast = next(m for m in report.messages if isinstance(m, Forecast))
            # every forecast still reaches the horizon, from members of different ages
            assert all(z.density_20min_per_m2 is not None for z in forecast.zones)
        assert refreshed == [4, 1, 1, 1, 1, 1]
    finally:
        twin.close()


def _agreeing(n: int = 8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Members near the plan on a door (0), a gate (1) and the speed (2), all predicting 50
    on the door's link and 200 in its concourse: the crowd is still short of the door's
    capacity, so no member's door factor shows in its counts."""
    rng = np.random.default_rng(3)
    theta = rng.normal(0.0, 0.1, (n, 3))
    predicted = np.column_stack([np.full(n, 50.0), np.full(n, 200.0)]) + rng.normal(0, 1, (n, 2))
    local = np.array([[True, False, True], [True, False, True]])
    return theta, predicted, local


LO = np.log(np.array([0.03, 0.1, 0.5]))
MAY_BREAK = np.array([True, True, False])


def test_a_count_no_member_explains_sends_members_to_try_its_door_shut() -> None:
    theta, predicted, local = _agreeing()
    # the cameras see nobody on the door's link (a blocked exit) and a filling concourse
    observed, variance = np.array([0.0, 320.0]), np.array([4.0, 2000.0])
    after, probed = probe_trouble(theta, predicted, observed, variance, local, LO, MAY_BREAK)
    assert probed == [0]  # the door: the gate hears neither count, the speed never breaks
    moved = np.nonzero(after[:, 0] != theta[:, 0])[0]
    assert sorted(moved) == sorted(np.argsort(-theta[:, 0])[:2])  # the two most open members
    assert sorted(after[moved, 0]) == sorted(d * LO[0] for d in PROBE_DEPTHS)
    assert np.array_equal(after[:, 1:], theta[:, 1:])


def test_counts_the_members_explain_send_nobody_to_try_trouble() -> None:
    theta, predicted, local = _agreeing()
    observed, variance = np.array([55.0, 230.0]), np.array([150.0, 2000.0])  # within noise
    after, probed = probe_trouble(theta, predicted, observed, variance, local, LO, MAY_BREAK)
    assert probed == [] and np.array_equal(after, theta)


def test_no_new_probe_while_a_member_already_tries_the_door_shut() -> None:
    theta, predicted, local = _agreeing()
    theta[5, 0] = 0.5 * LO[0]
    observed, variance = np.array([0.0, 320.0]), np.array([4.0, 2000.0])
    after, probed = probe_trouble(theta, predicted, observed, variance, local, LO, MAY_BREAK)
    assert probed == [] and np.array_equal(after, theta)


def test_a_count_no_member_explains_after_the_door_was_learnt_shut_tries_it_open() -> None:
    theta, predicted, local = _agreeing()
    theta[:, 0] = 0.9 * LO[0] + np.linspace(-0.05, 0.05, len(theta))  # every member: shut
    predicted[:, 0] = 0.0  # nobody through the door, the concourse full
    predicted[:, 1] = 900.0
    # the door is cleared: 400 on its link (6 sd out), the concourse emptying
    observed, variance = np.array([400.0, 700.0]), np.array([4000.0, 9000.0])
    after, probed = probe_trouble(theta, predicted, observed, variance, local, LO, MAY_BREAK)
    assert probed == [0]
    moved = np.nonzero(after[:, 0] != theta[:, 0])[0]
    assert sorted(moved) == sorted(np.argsort(theta[:, 0])[:2])  # the two most shut members
    assert sorted(after[moved, 0]) == sorted(d * LO[0] for d in PROBE_OPEN)
    # a member renewed at the plan already tries it open: one more, a sixth of the way
    theta[3, 0] = 0.0
    after, probed = probe_trouble(theta, predicted, observed, variance, local, LO, MAY_BREAK)
    moved = np.nonzero(after[:, 0] != theta[:, 0])[0]
    assert probed == [0] and len(moved) == 1 and after[moved[0], 0] == PROBE_OPEN[1] * LO[0]


def test_members_whose_parameters_the_counts_moved_forecast_before_their_turn() -> None:
    twin = _twin(members=4, cycle_s=15.0, refresh_s=60.0, horizon_s=1200.0)
    try:
        clock = twin.last_cycle_s + 15.0
        twin.cycle(clock)  # all four forecast once
        twin.theta[1:, 0] -= 1.0  # three members learn a gate at a third of its rate
        before = [m.forecast for m in twin.members]
        twin.cycle(clock + 15.0)
        fresh = [a is not m.forecast for a, m in zip(before, twin.members, strict=True)]
        # one member's regular turn, plus half the ensemble of those the counts moved
        assert sum(fresh) == 3 and sum(fresh[1:]) >= 2, fresh
    finally:
        twin.close()


def _variance_heard(cycle_s: float, monkeypatch: pytest.MonkeyPatch) -> float:
    """The error variance the update is given for one plaza count of 400 persons."""
    import streams.twin as twin_module

    heard: list[float] = []

    def spy(theta, predicted, observed, variance, *args, **kw):  # type: ignore[no-untyped-def]
        heard.append(float(variance[0]))
        return update(theta, predicted, observed, variance, *args, **kw)

    monkeypatch.setattr(twin_module, "update", spy)
    twin = _twin(members=4, cycle_s=cycle_s)
    try:
        start = twin.last_cycle_s
        twin.observe(zone_count("cam_plaza", "plaza", 400, start + cycle_s))
        twin.cycle(start + cycle_s)
    finally:
        twin.close()
    return heard[0]


def test_counts_every_15_s_are_not_taken_as_four_times_the_news_of_counts_every_minute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    minute, quarter = _variance_heard(60.0, monkeypatch), _variance_heard(15.0, monkeypatch)
    o, camera, model = 400.0, 0.15 * 400.0, 0.2 * 400.0
    assert minute == pytest.approx(camera**2 + model**2 + o + 4.0)
    # the model's error lasts about a minute (error_memory_s): four windows share it
    assert quarter == pytest.approx(camera**2 + 4 * model**2 + o + 4.0)
