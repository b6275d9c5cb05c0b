"""Snapshot.with_counts: observed head counts applied on warm start (the twin's correction)."""

from __future__ import annotations

import pytest

from simulator import Scenario, Simulation, Snapshot, SnapshotError
from simulator.engine.party import EGRESS


@pytest.fixture()
def mid_ingress(small: Scenario) -> Snapshot:
    sim = Simulation(small, seed=3)
    sim.run(until=small.ingress.kickoff_s - 1800)
    return sim.snapshot()


def occupancy(sim: Simulation, element: str) -> int:
    return sim.world.occ[sim.network.index[element]]


def test_counts_are_set_and_every_fan_still_accounted_for(
    small: Scenario, mid_ingress: Snapshot
) -> None:
    before = mid_ingress.occupancy
    counts = {"l1": before["l1"] + 30, "plaza": before["plaza"] + 12, "l3": 0}
    observed = mid_ingress.with_counts(counts)
    assert observed.occupancy["l1"] == counts["l1"]
    assert mid_ingress.occupancy["l1"] == before["l1"]  # the original is untouched
    sim = Simulation(small, seed=3, snapshot=observed)
    assert occupancy(sim, "l1") == counts["l1"]
    assert occupancy(sim, "l3") == 0
    # added plaza fans walk on at once (or queue for the next link): none are lost
    fans = sim.result().summary.to_dict()["fans"]
    assert fans["arrived"] == fans["dropped"] + fans["in_venue"] + fans["left"]
    sim.run()
    fans = sim.result().summary.to_dict()["fans"]
    # the added fans were drawn from those still to arrive (moved in time, not created)
    assert fans["expected"] == 5700
    # the l3 fans the counts removed were re-estimated (they arrive later), not lost
    assert fans["dropped"] == 0
    assert fans["left"] == fans["arrived"] == fans["expected"]
    assert fans["in_venue"] == 0


def test_removal_takes_the_fans_nearest_the_way_out(small: Scenario, mid_ingress: Snapshot) -> None:
    ahead = Simulation(small, seed=3, snapshot=mid_ingress)
    lk = ahead.world.links[ahead.network.index["l2"] - ahead.network.n_nodes]
    head_party = lk.fifo[0][0][1]
    head_size = lk.fifo[0][0][2]
    sim = Simulation(
        small, seed=3, snapshot=mid_ingress.with_counts({"l2": mid_ingress.occupancy["l2"] - 1})
    )
    moved = sim.world.links[lk.index]
    assert moved.fifo[0][0][1] == head_party if head_size > 1 else moved.fifo[0][0][1] != head_party
    assert sim.world.parties[head_party].size == head_size - 1


def test_fans_taken_off_a_link_no_longer_walk_it(small: Scenario, mid_ingress: Snapshot) -> None:
    """The per-direction head counts fall with the removal: a link emptied by the counts
    holds nobody walking either way (phantom walkers would cut its capacity as counterflow)."""
    sim = Simulation(small, seed=3, snapshot=mid_ingress.with_counts({"l2": 0}))
    lk = sim.world.links[sim.network.index["l2"] - sim.network.n_nodes]
    assert lk.n == 0 and lk.n_dir == [0, 0]
    part = Simulation(small, seed=3, snapshot=mid_ingress.with_counts({"l1": 3}))
    lk = part.world.links[part.network.index["l1"] - part.network.n_nodes]
    assert lk.n_dir == [sum(size for _, _, size in fifo) for fifo in lk.fifo]


def test_checkpoint_queue_is_trimmed_from_its_head(small: Scenario, mid_ingress: Snapshot) -> None:
    sim = Simulation(small, seed=3, snapshot=mid_ingress.with_counts({"g1": 0}))
    bank = sim.world.banks[0]
    assert len(bank.queue) == 0
    assert occupancy(sim, "g1") <= 6 + 6 * 5  # only fans in service or their party stay
    sim.run()
    fans = sim.result().summary.to_dict()["fans"]
    assert fans["in_venue"] == 0 and fans["left"] == fans["arrived"] - fans["dropped"]


def test_bad_counts_are_refused_by_name(mid_ingress: Snapshot) -> None:
    with pytest.raises(SnapshotError, match="no element 'plazza'"):
        mid_ingress.with_counts({"plazza": 3})
    with pytest.raises(SnapshotError, match="'s1' is a sector"):
        mid_ingress.with_counts({"s1": 3})
    with pytest.raises(SnapshotError, match="needs a count >= 0, found -1"):
        mid_ingress.with_counts({"plaza": -1})


def test_a_link_nobody_used_cannot_take_fans(small: Scenario) -> None:
    sim = Simulation(small, seed=1)
    snap = sim.snapshot().with_counts({"l9": 5})
    with pytest.raises(SnapshotError, match="nobody has used link 'l9'"):
        Simulation(small, seed=1, snapshot=snap)


def test_observed_counts_survive_json(small: Scenario, mid_ingress: Snapshot) -> None:
    snap = mid_ingress.with_counts({"plaza": 40})
    again = Snapshot.from_dict(snap.to_dict())
    assert again.observed == {"plaza": 40}
    a = Simulation(small, seed=3, snapshot=snap)
    b = Simulation(small, seed=3, snapshot=again)
    a.run()
    b.run()
    assert a.result().summary.to_dict() == b.result().summary.to_dict()


def test_link_whose_last_user_turned_for_home_still_takes_fans() -> None:
    """After the final whistle the last ingress user of a stair now follows its egress route;
    counts on that stair must copy an earlier party still routed over it, not crash."""
    from pathlib import Path

    from simulator.scenario.loader import load_scenario

    bundled = Path(__file__).parents[2] / "scenarios" / "stade_mohammed_v.yaml"
    scenario = load_scenario(bundled)
    sim = Simulation(scenario, seed=0)
    sim.run(until=22 * 3600 + 52 * 60)  # two minutes after the final whistle
    snap = sim.snapshot()
    observed = snap.with_counts({"stairs_s_up": snap.occupancy["stairs_s_up"] + 50})
    warm = Simulation(scenario, seed=0, snapshot=observed)
    assert occupancy(warm, "stairs_s_up") == snap.occupancy["stairs_s_up"] + 50
    warm.run(until=snap.time_s + 600)
    fans = warm.result().summary.to_dict()["fans"]
    assert fans["arrived"] == fans["dropped"] + fans["in_venue"] + fans["left"]


def test_fans_added_after_the_whistle_head_out_on_several_routes(small: Scenario) -> None:
    from simulator.engine.party import EGRESS

    sim = Simulation(small, seed=3)
    sim.run(until=small.egress.final_whistle_s + 600)
    snap = sim.snapshot()
    before = len(sim.world.parties)
    after = Simulation(
        small, seed=3, snapshot=snap.with_counts({"plaza": snap.occupancy["plaza"] + 200})
    )
    added = [p for p in after.world.parties[before:] if p.size]
    assert len(added) == 200 and all(p.phase == EGRESS for p in added)
    stands = {after.network.index["s1"], after.network.index["s2"]}
    assert not any(step[0] in stands for p in added for step in p.route[p.pos :])
    # not all on one route: the stream through the plaza goes to the tram and to the car park
    assert len({p.route[-1][0] for p in added}) == 2


def test_fifteen_minutes_of_noisy_corrections_lose_nobody(small: Scenario) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    sim = Simulation(small, seed=4)
    sim.run(until=small.egress.final_whistle_s + 300)
    for k in range(15):  # one correction a minute at 8% count noise, as the twin would
        snap = sim.snapshot()
        counts = {
            z: max(0, round(snap.occupancy[z] * float(rng.normal(1.0, 0.08))))
            for z in ("plaza", "conc", "l1", "l3", "l7")
        }
        sim = Simulation(small, seed=5 + k, snapshot=snap.with_counts(counts))
        sim.run(until=sim.now + 60)
    fans = sim.result().summary.to_dict()["fans"]
    assert fans["dropped"] == 0  # removed fans went back to their seats, to leave later
    assert fans["arrived"] == fans["in_venue"] + fans["left"]
    sim.run()
    fans = sim.result().summary.to_dict()["fans"]
    assert fans["left"] == fans["expected"] and fans["in_venue"] == 0


def _still_to_come(sim: Simulation) -> int:
    w = sim.world
    return sum(w.parties[pid].size for pid in w.arrivals[w.next_arrival :])


def test_fans_added_at_a_queue_come_back_from_the_seats_of_that_gate(
    small: Scenario, mid_ingress: Snapshot
) -> None:
    before = Simulation(small, seed=3, snapshot=mid_ingress)
    seated_before = before.world.seated
    to_come = _still_to_come(before)
    counts = {"g1": mid_ingress.occupancy["g1"] + 40}
    after = Simulation(small, seed=3, snapshot=mid_ingress.with_counts(counts))
    assert occupancy(after, "g1") == counts["g1"]
    # the queue is longer than modelled: the gate let these 40 through too soon
    assert after.world.seated == seated_before - 40
    assert (
        after.world.occ[after.network.index["s1"]]
        == before.world.occ[before.network.index["s1"]] - 40
    )
    assert _still_to_come(after) == to_come  # nobody taken from the arrivals to come
    after.run()
    fans = after.result().summary.to_dict()["fans"]
    assert fans["expected"] == 5700 and fans["dropped"] == 0
    assert fans["left"] == fans["arrived"] == fans["expected"]


def test_fans_added_on_the_approach_are_the_next_arrivals(
    small: Scenario, mid_ingress: Snapshot
) -> None:
    before = Simulation(small, seed=3, snapshot=mid_ingress)
    to_come = _still_to_come(before)
    counts = {"plaza": mid_ingress.occupancy["plaza"] + 25}
    after = Simulation(small, seed=3, snapshot=mid_ingress.with_counts(counts))
    assert _still_to_come(after) == to_come - 25  # earlier than planned, not extra
    assert after.world.fans_expected == before.world.fans_expected


def test_fans_added_at_a_gate_of_the_first_sector_find_its_stream(
    small: Scenario, mid_ingress: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parties are numbered sector by sector; the scan for templates must follow who passed
    latest, not the end of that list. A scan shorter than the second sector's parties (as on
    a 115k day, where the last 20,000 parties are the last few sectors) once found nobody at
    the first sector's gate and refused the correction."""
    from simulator.engine import assimilate

    sim = Simulation(small, seed=3, snapshot=mid_ingress)
    g2_parties = sum(1 for p in sim.world.parties if p.sector == sim.network.index["s2"])
    monkeypatch.setattr(assimilate, "SCAN", g2_parties // 2)
    observed = mid_ingress.with_counts({"g1": mid_ingress.occupancy["g1"] + 20})
    after = Simulation(small, seed=3, snapshot=observed)
    assert occupancy(after, "g1") == mid_ingress.occupancy["g1"] + 20


def _to_release(sim: Simulation) -> list[tuple[int, int]]:
    """The seated fans still to leave, party by party (id, size), in release order."""
    w = sim.world
    return [(pid, w.parties[pid].size) for pid in w.releases[w.next_release :]]


def test_fans_moved_along_the_stream_do_not_walk_it_again(small: Scenario) -> None:
    """Fewer fans on the stairs and more on the walkway on after the whistle: the same fans.

    Sent back to their seats (and the walkway's taken out of other seats) they would walk the
    stands' way out a second time: a phantom wave the twin forecast on stairs and concourses.
    """
    assert small.egress is not None
    sim = Simulation(small, seed=3)
    sim.run(until=small.egress.final_whistle_s + 300)
    snap = sim.snapshot()
    assert snap.occupancy["l7"] >= 30  # the stands are emptying down the stairs
    counts = {"l7": snap.occupancy["l7"] - 30, "l5": snap.occupancy["l5"] + 30}
    before = Simulation(small, seed=3, snapshot=snap)
    after = Simulation(small, seed=3, snapshot=snap.with_counts(counts))
    assert occupancy(after, "l7") == counts["l7"]
    assert occupancy(after, "l5") == counts["l5"]
    assert _to_release(after) == _to_release(before)  # nobody back in a seat, nobody out of one
    assert after.world.fans_expected == before.world.fans_expected
    after.run()
    fans = after.result().summary.to_dict()["fans"]
    assert fans["dropped"] == 0 and fans["in_venue"] == 0
    assert fans["left"] == fans["arrived"] == fans["expected"]


def test_removed_fans_no_addition_takes_still_go_back_to_their_seats(small: Scenario) -> None:
    assert small.egress is not None
    sim = Simulation(small, seed=3)
    sim.run(until=small.egress.final_whistle_s + 300)
    snap = sim.snapshot()
    before = Simulation(small, seed=3, snapshot=snap)
    after = Simulation(small, seed=3, snapshot=snap.with_counts({"l7": 0}))
    seats = sum(n for _, n in _to_release(after)) - sum(n for _, n in _to_release(before))
    assert seats == snap.occupancy["l7"]  # released later: they had not left their seats yet


def _on_link(sim: Simulation, element: str) -> list[tuple[int, int]]:
    """(party id, fans) of every egress party walking link ``element`` now."""
    w, net = sim.world, sim.network
    lk = w.links[net.index[element] - net.n_nodes]
    return [
        (pid, size) for fifo in lk.fifo for _, pid, size in fifo if w.parties[pid].phase == EGRESS
    ]


def test_fans_sent_back_to_their_seats_and_missed_again_have_gone_on(small: Scenario) -> None:
    """Re-seated once, a fan the cameras miss again on its way out is not sent back again.

    Sent back every time, fans the counts removed went round between the seats and the
    stairs for the rest of the egress: the twin forecast crowds the cameras never saw.
    """
    assert small.egress is not None
    sim = Simulation(small, seed=3)
    sim.run(until=small.egress.final_whistle_s + 300)
    sim = Simulation(small, seed=3, snapshot=sim.snapshot().with_counts({"l7": 0}))
    sent_back = set(sim.world.reseated)
    assert sent_back
    for _ in range(60):  # 15 min: the fans sent back come down the stairs again
        sim.run(until=sim.now + 15)
        if any(pid in sent_back for pid, _ in _on_link(sim, "l7")):
            break
    snap = sim.snapshot()
    before = Simulation(small, seed=3, snapshot=snap)
    walking = _on_link(before, "l7")
    again = sum(n for pid, n in walking if pid in sent_back)
    first = sum(n for pid, n in walking if pid not in sent_back)
    assert again > 0 and first > 0
    after = Simulation(small, seed=3, snapshot=snap.with_counts({"l7": 0}))
    assert after.world.left - before.world.left == again
    seats = sum(n for _, n in _to_release(after)) - sum(n for _, n in _to_release(before))
    assert seats == first
    after.run()
    fans = after.result().summary.to_dict()["fans"]
    assert fans["dropped"] == 0 and fans["in_venue"] == 0
    assert fans["left"] == fans["expected"]


def test_fans_missed_once_their_stand_is_out_have_gone_on(small: Scenario) -> None:
    """Nobody of their stands is left in the seats: fans the cameras miss are ahead, not behind."""
    assert small.egress is not None
    sim = Simulation(small, seed=3)
    sim.run(until=small.egress.final_whistle_s + 300)
    while sim.world.next_release < len(sim.world.releases):  # the last stand released
        sim.run(until=sim.now + 60)
    snap = sim.snapshot()
    before = Simulation(small, seed=3, snapshot=snap)
    walking = sum(n for _, n in _on_link(before, "l2"))
    assert walking > 0
    after = Simulation(small, seed=3, snapshot=snap.with_counts({"l2": 0}))
    assert after.world.left - before.world.left == walking
    assert _to_release(after) == _to_release(before) == []
    after.run()
    fans = after.result().summary.to_dict()["fans"]
    assert fans["left"] == fans["expected"] and fans["in_venue"] == 0
