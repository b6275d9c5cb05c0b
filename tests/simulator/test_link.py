"""The distance clock of a walking link."""

from __future__ import annotations

import math

import pytest

from simulator.engine.link import ARRIVAL_SLACK_S, BIDIRECTIONAL_BALANCED, Walkway


def corridor(capacity: int = 10, headway: float = 0.0) -> Walkway:
    # speed 2 m/s alone, 1 m/s with two or more on it
    return Walkway(0, 10.0, capacity, [2.0, 2.0] + [1.0] * (capacity - 1), headway, 0.0)


def test_lone_walker_takes_length_over_speed() -> None:
    lk = corridor()
    assert lk.enter(7, 1, 0, 0.0) == pytest.approx(5.0)
    assert lk.leave(0, 5.0) == (7, 1, math.inf)  # nobody behind: no next head
    assert lk.n == 0 and lk.throughput == 1


def test_speed_change_moves_the_head_exit() -> None:
    lk = corridor()
    lk.enter(1, 1, 0, 0.0)  # walks 2 m/s
    assert lk.enter(2, 1, 0, 2.0) == math.inf  # not the head: no new event
    # head has 6 m left at 1 m/s now
    assert lk.head_time(0, 2.0) == pytest.approx(8.0)
    assert lk.leave(0, 5.0) == pytest.approx(8.0)  # too early: try again at 8
    # second walked 6 m at 1 m/s; alone now at 2 m/s for the last 4 m
    assert lk.leave(0, 8.0) == (1, 1, pytest.approx(10.0))
    assert lk.head_time(0, 8.0) == pytest.approx(10.0)


def test_a_head_within_the_arrival_slack_leaves_now() -> None:
    lk = corridor()
    lk.enter(1, 1, 0, 0.0)  # due at 5.0 s
    early = 5.0 - ARRIVAL_SLACK_S / 2
    assert lk.leave(0, early) == (1, 1, math.inf)
    lk.enter(2, 1, 0, 10.0)  # due at 15.0 s
    assert lk.leave(0, 15.0 - 2 * ARRIVAL_SLACK_S) == pytest.approx(15.0)  # outside: retry


def test_exit_cap_spaces_departures_and_storage_is_bounded() -> None:
    lk = corridor(capacity=3, headway=0.5)
    lk.enter(1, 2, 0, 0.0)
    assert lk.admission_time(0, 1) < math.inf and lk.admission_time(0, 2) == math.inf
    lk.enter(2, 1, 1, 0.0)  # other direction shares storage and speed
    assert lk.n == 3 and lk.admission_time(0, 1) == math.inf  # full
    assert lk.leave(0, 10.0) == (1, 2, math.inf)
    # two people x 0.5 s, at the counterflow capacity of a minor share of 1/3
    f = 1 - 2 / 3 * (1 - BIDIRECTIONAL_BALANCED)
    assert lk.next_exit[0] == lk.next_exit[1] == pytest.approx(10.0 + 1.0 / f)
    # one exit server for both ends: the other stream waits for it
    assert lk.leave(1, 10.0) == pytest.approx(10.0 + 1.0 / f)
    assert lk.leave(1, 10.0 + 1.0 / f) == (2, 1, math.inf)
    assert lk.next_exit[0] == pytest.approx(10.5 + 1.0 / f)  # alone now: the full capacity


def test_a_party_never_overfills_a_link() -> None:
    lk = corridor(capacity=2)
    assert lk.admission_time(0, 3) == math.inf  # even empty, a party of 3 does not fit 2
    assert lk.admission_time(0, 2) == -math.inf


def test_admission_is_spaced_by_the_supply_at_the_new_head_count() -> None:
    supply = [0.5, 0.5, 1.0, 2.0]  # seconds per person with 0, 1, 2, 3 on the link
    lk = Walkway(0, 10.0, 3, [2.0, 2.0, 1.0, 1.0], 0.0, 0.0, supply)
    assert lk.admission_time(0, 2) == -math.inf  # nobody has entered at this end yet
    lk.enter(1, 2, 0, 0.0)
    assert lk.admission_time(0, 1) == pytest.approx(2 * 2.0)  # last party of 2, n would be 3
    assert lk.admission_time(0, 2) == math.inf  # 2 + 2 > 3 places
    # both ends share one supply: the other end waits for the same spacing
    assert lk.admission_time(1, 1) == pytest.approx(
        2 * 2.0 / (1 - 2 / 3 * (1 - BIDIRECTIONAL_BALANCED))
    )


def test_time_integrals() -> None:
    lk = corridor()
    lk.enter(1, 2, 0, 0.0)
    lk.advance(4.0)
    assert lk.n_time == pytest.approx(8.0)
    assert lk.clock == pytest.approx(4.0)


def test_a_leave_looks_at_the_waiting_only_when_someone_could_enter_sooner() -> None:
    supply = [0.5, 0.5, 1.0, 2.0]
    lk = Walkway(0, 10.0, 3, [2.0, 2.0, 1.0, 1.0], 0.0, 0.0, supply)
    lk.enter(1, 2, 0, 0.0)
    lk.waiting[0].append((0.0, 2))
    assert lk.may_admit_sooner()  # waiting, and no admission pending
    lk.entry_due[0] = 1.0  # pending at the earliest the supply ever allows: 0 + 2 x 0.5
    assert not lk.may_admit_sooner()
    lk.entry_due[0] = 4.0  # pending at a crowded link's spacing: fewer on it, sooner
    assert lk.may_admit_sooner()
