"""Route choice through the planner's YAML path: parallel links, shared exits, the logit split,
closures that re-route (simulator.engine.routing, docs/design.md section 2 "Route choice").

References: the door capacity ``q = 1.33 persons/m/s`` of ``simulator.engine.network`` (80
persons/m/min, within 3% of the Green Guide's 82/m/min); a stand released at once through exits
of total width ``W`` clears 90% of ``N`` in ``0.9 N / (q W)`` (the queueing of a bottleneck fed
faster than it drains). The path-size logit (Ben-Akiva & Bierlaire 1999) of two disjoint routes
whose free walking times differ by ``dt`` splits ``1 / (1 + exp(-theta dt))`` on the shorter.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from validation_venues import link, scenario, source

from simulator import Simulation
from simulator.engine.network import DOOR_SPECIFIC_FLOW

pytestmark = pytest.mark.validation
V0 = 1.34  # Weidmann's free speed, m/s
STAND_GATE = {
    "id": "g",
    "lanes": 60,
    "queue_area_m2": 1000,
    "service": {"kind": "deterministic", "mean": 1.0},
}
INGRESS = {
    "kickoff": 3600,
    "gates_open": 0,
    "attendance": 1.0,
    "profile": [[-55, 0.0], [-35, 1.0]],
    "mode_split": {"o": 1.0},
    "party_sizes": [1.0],
    "route_choice": "assigned",
}
WHISTLE = 5400.0


def stand(
    seats: int,
    exits: list[dict[str, Any]],
    *,
    areas: list[dict[str, Any]] = (),  # type: ignore[assignment]
    extra: dict[str, Any] | None = None,
    seed: int = 1,
) -> Simulation:
    """A stand of ``seats`` filled before kick-off and released at once at the final whistle."""
    sc = scenario(
        name="routing stand",
        settings={"end": 14_400},
        checkpoints=[STAND_GATE],
        areas=[{"id": "concourse", "area_m2": 4000, "walk_m": 20}, *areas],
        sectors=[{"id": "stand", "seats": seats}],
        links=[
            link("approach", "o", "g", 10, 30),
            link("inner", "g", "concourse", 10, 30),
            link("vomitories", "concourse", "stand", 10, 30),
            *exits,
        ],
        ingress=INGRESS,
        egress={
            "final_whistle": WHISTLE,
            "release_profile": [[0, 0.0], [0.01, 1.0]],
            "destinations": {"x": 1.0},
        },
        **(extra or {}),
    )
    sim = Simulation(sc, seed=seed)
    sim.run()
    return sim


def t90(sim: Simulation, seats: int) -> float:
    left = np.sort(sim.result().fans["left_s"].to_numpy())
    assert not np.isnan(left).any()
    return float(left[int(0.9 * seats) - 1]) - WHISTLE


def throughput(sim: Simulation, link_id: str) -> int:
    return int(sim.result().summary.to_dict()["links"][link_id]["throughput"])


def test_parallel_doors_both_carry_and_share_by_width() -> None:
    seats = 6000
    doors = [
        link("door_3m", "concourse", "x", 1.0, 3.0, kind="door"),
        link("door_2m", "concourse", "x", 1.0, 2.0, kind="door"),
    ]
    sim = stand(seats, doors)
    wide, narrow = throughput(sim, "door_3m"), throughput(sim, "door_2m")
    assert wide + narrow == seats
    assert abs(wide / seats - 3.0 / 5.0) < 0.03, (wide, narrow)  # flow shares by width
    both = 0.9 * seats / (DOOR_SPECIFIC_FLOW * 5.0)  # N / (q W) over both doors: 810 s
    wide_only = 0.9 * seats / (DOOR_SPECIFIC_FLOW * 3.0)  # the 2 m door dropped: 1,350 s
    t = t90(sim, seats)
    assert abs(t - both) / both < 0.10, (t, both, wide_only)


def equal_exits(seats: int, seed: int = 1) -> Simulation:
    """Two exit routes of equal length and width from the concourse: door, forecourt, road."""
    exits = []
    for side in ("a", "b"):
        exits += [
            link(f"door_{side}", "concourse", f"fore_{side}", 1.0, 4.0, kind="door"),
            link(f"road_{side}", f"fore_{side}", "x", 60.0, 10.0),
        ]
    areas = [{"id": f"fore_{s}", "area_m2": 600, "walk_m": 0} for s in ("a", "b")]
    return stand(seats, exits, areas=areas, seed=seed)


def test_equal_exits_share_the_stand_and_clear_near_the_analytic_time() -> None:
    seats = 6000
    sim = equal_exits(seats)
    a, b = throughput(sim, "door_a"), throughput(sim, "door_b")
    assert a + b == seats
    assert abs(a - b) / seats < 0.03, (a, b)  # within a few percent of half each
    expected = 0.9 * seats / (DOOR_SPECIFIC_FLOW * 8.0) + 60.0 / V0  # both doors, then the road
    one_way = 0.9 * seats / (DOOR_SPECIFIC_FLOW * 4.0)
    t = t90(sim, seats)
    assert abs(t - expected) / expected < 0.10, (t, expected, one_way)


def test_route_choice_is_deterministic_per_seed() -> None:
    one, again, other = equal_exits(1200, seed=5), equal_exits(1200, seed=5), equal_exits(1200, 6)
    assert one.result().fans.equals(again.result().fans)
    assert throughput(one, "door_a") == throughput(again, "door_a")
    assert not one.result().fans.equals(other.result().fans)


@pytest.mark.parametrize("extra_m", [0.0, 30.0])
def test_logit_split_matches_its_analytic_value(extra_m: float) -> None:
    theta = 0.05
    sc = scenario(
        name="logit split",
        settings={"end": 5000},
        areas=[{"id": a, "area_m2": 2000, "walk_m": 0} for a in ("a", "b")],
        links=[
            link("o_a", "o", "a", 100.0, 10.0, two_way=False),
            link("a_x", "a", "x", 100.0, 10.0, two_way=False),
            link("o_b", "o", "b", 100.0, 10.0, two_way=False),
            link("b_x", "b", "x", 100.0 + extra_m, 10.0, two_way=False),
        ],
        sources=[source(0.5, 4000)],
        routing={"theta_per_s": theta},
    )
    sim = Simulation(sc, seed=11)
    sim.run()
    links = sim.result().summary.to_dict()["links"]
    n_a, n_b = links["o_a"]["throughput"], links["o_b"]["throughput"]
    n = n_a + n_b
    assert n > 1800
    expected = 1.0 / (1.0 + math.exp(-theta * extra_m / V0))  # share on the shorter route
    sd = math.sqrt(expected * (1 - expected) / n)
    assert abs(n_a / n - expected) < 3.5 * sd + 0.005, (n_a / n, expected)


def test_pinned_routes_keep_the_shortest_path() -> None:
    seats = 1200
    exits = [
        link("door_a", "concourse", "x", 1.0, 4.0, kind="door"),
        link("door_b", "concourse", "x", 1.0, 4.0, kind="door"),
    ]
    sim = stand(seats, exits, extra={"routing": {"model": "shortest"}})
    assert throughput(sim, "door_a") == seats and throughput(sim, "door_b") == 0


def test_egress_via_pins_a_sector_through_a_node() -> None:
    seats = 1200
    sim = equal_exits_pinned(seats)
    assert throughput(sim, "door_b") == seats and throughput(sim, "door_a") == 0


def equal_exits_pinned(seats: int) -> Simulation:
    exits = []
    for side in ("a", "b"):
        exits += [
            link(f"door_{side}", "concourse", f"fore_{side}", 1.0, 4.0, kind="door"),
            link(f"road_{side}", f"fore_{side}", "x", 60.0, 10.0),
        ]
    areas = [{"id": f"fore_{s}", "area_m2": 600, "walk_m": 0} for s in ("a", "b")]
    return stand(seats, exits, areas=areas, extra={"routing": {"egress_via": {"stand": "fore_b"}}})


# -- closures ----------------------------------------------------------------------------------
def two_gates(closures: list[dict[str, Any]], *, gates: tuple[str, ...] = ("g1", "g2")) -> Any:
    """2,000 fans, half assigned to each of two gates; ``closures`` as interventions."""
    checkpoints = [
        {"id": g, "lanes": 4, "queue_area_m2": 400, "service": {"kind": "deterministic", "mean": 3}}
        for g in gates
    ]
    links = [link("o_plaza", "o", "plaza", 20, 20)]
    for g in gates:
        links += [
            link(f"to_{g}", "plaza", f"lane_{g}", 150, 6),
            link(f"at_{g}", f"lane_{g}", g, 5, 6),
            link(f"in_{g}", g, "concourse", 10, 6, two_way=False),
        ]
    links += [link(f"to_s{i}", "concourse", f"s{i}", 5, 10) for i in (1, 2)]
    links.append(link("out", "concourse", "x", 5, 10))
    sc = scenario(
        name="closures",
        settings={"end": 12 * 3600},
        areas=[
            {"id": "plaza", "area_m2": 5000, "walk_m": 0},
            {"id": "concourse", "area_m2": 5000, "walk_m": 0},
            *[{"id": f"lane_{g}", "area_m2": 300, "walk_m": 0} for g in gates],
        ],
        checkpoints=checkpoints,
        sectors=[
            {"id": "s1", "seats": 1000, "gate": gates[0]},
            {"id": "s2", "seats": 1000, "gate": gates[-1]},
        ],
        links=links,
        ingress={**INGRESS, "kickoff": 5400, "profile": [[-85, 0.0], [-45, 1.0]]},
        interventions=closures,
    )
    sim = Simulation(sc, seed=4)
    sim.run()
    return sim.result()


def test_a_gate_closed_for_good_sends_its_fans_to_the_open_gate() -> None:
    # closed 20 minutes after the first arrivals: fans are walking to it and queuing at it
    result = two_gates([{"id": "shut", "kind": "close_gate", "gate": "g1", "start": 1500}])
    fans = result.summary.to_dict()["fans"]
    assert fans["seated"] == fans["arrived"] == 2000  # nobody stranded: g2 had capacity
    assert fans["stranded"] == 0 and fans["rerouted"] > 0
    gates = result.fans["gate"].to_pylist()
    served = result.summary.to_dict()["checkpoints"]
    assert served["g1"]["served"] + served["g2"]["served"] == 2000
    assert gates.count("g2") == served["g2"]["served"]


def test_a_link_closed_for_good_reroutes_those_walking_towards_it() -> None:
    result = two_gates([{"id": "incident", "kind": "close_link", "link": "at_g1", "start": 1500}])
    fans = result.summary.to_dict()["fans"]
    assert fans["seated"] == fans["arrived"] == 2000 and fans["stranded"] == 0
    assert fans["rerouted"] > 0
    links = result.summary.to_dict()["links"]
    assert links["in_g1"]["throughput"] + links["in_g2"]["throughput"] == 2000


def test_a_closed_gate_s_fans_on_their_way_follow_a_reassignment() -> None:
    # g1 closes and its sector is reassigned to g3 at the same moment: those already walking
    # to g1 go to g3 as the planner said, not to the empty g2 that least delay would pick
    levers = [
        {"id": "shut", "kind": "close_gate", "gate": "g1", "start": 1500},
        {"id": "send", "kind": "reassign_gate", "gate": "g3", "sectors": ["s1"], "start": 1500},
    ]
    result = two_gates(levers, gates=("g1", "g2", "g3"))
    fans = result.summary.to_dict()["fans"]
    assert fans["seated"] == fans["arrived"] == 2000 and fans["rerouted"] > 0
    fans_table = result.fans
    by_gate = list(
        zip(fans_table["sector"].to_pylist(), fans_table["gate"].to_pylist(), strict=True)
    )
    assert ("s1", "g2") not in by_gate
    assert by_gate.count(("s1", "g3")) > 0 and by_gate.count(("s1", "g1")) > 0


def test_fans_with_no_open_way_are_counted_as_stranded() -> None:
    # one gate, closed for good: everyone not through it by then is stranded, and counted
    result = two_gates(
        [{"id": "shut", "kind": "close_gate", "gate": "g1", "start": 1500}], gates=("g1",)
    )
    fans = result.summary.to_dict()["fans"]
    assert 0 < fans["seated"] < 2000
    assert fans["seated"] + fans["stranded"] == fans["arrived"] == 2000  # every fan accounted


def two_perimeters(closures: list[dict[str, Any]]) -> dict[str, Any]:
    """2,000 fans to one ticket gate ``g`` behind two perimeter entries ``p1`` and ``p2``.

    o -> plaza -> lane_p -> p -> apron -> g -> concourse -> seats, for p in (p1, p2): the
    access chain of FIFA's Stadium Guidelines (5.1), two search points on one outer ring.
    """
    search = {"stage": "perimeter", "lanes": 4, "queue_area_m2": 400}
    checkpoints = [
        {"id": p, **search, "service": {"kind": "deterministic", "mean": 3}} for p in ("p1", "p2")
    ]
    ticket = {"id": "g", "stage": "ticket", "lanes": 8, "queue_area_m2": 400}
    checkpoints.append({**ticket, "service": {"kind": "deterministic", "mean": 2}})
    links = [link("o_plaza", "o", "plaza", 20, 20)]
    for p in ("p1", "p2"):
        links += [
            link(f"to_{p}", "plaza", f"lane_{p}", 150, 6),
            link(f"at_{p}", f"lane_{p}", p, 5, 6),
            link(f"in_{p}", p, "apron", 10, 6),
        ]
    links += [link("apron_g", "apron", "g", 10, 10), link("in_g", "g", "concourse", 10, 10)]
    links += [link(f"to_s{i}", "concourse", f"s{i}", 5, 10) for i in (1, 2)]
    links.append(link("out", "concourse", "x", 5, 10))
    places = ["plaza", "apron", "concourse", "lane_p1", "lane_p2"]
    sc = scenario(
        name="perimeters",
        settings={"end": 12 * 3600},
        areas=[{"id": a, "area_m2": 5000, "walk_m": 0} for a in places],
        checkpoints=checkpoints,
        sectors=[{"id": f"s{i}", "seats": 1000, "gate": "g"} for i in (1, 2)],
        links=links,
        ingress={**INGRESS, "kickoff": 5400, "profile": [[-85, 0.0], [-45, 1.0]]},
        interventions=closures,
    )
    sim = Simulation(sc, seed=4)
    sim.run()
    return sim.result().summary.to_dict()


def test_each_fan_is_searched_at_one_perimeter_entry_of_its_choice() -> None:
    # the route's anchor is the ticket gate: a fan through p2 is not sent on to p1 from inside
    summary = two_perimeters([])
    served = {c: summary["checkpoints"][c]["served"] for c in ("p1", "p2", "g")}
    assert served["p1"] + served["p2"] == served["g"] == 2000
    assert min(served["p1"], served["p2"]) > 500  # equal entries share the crowd


@pytest.mark.parametrize("kind", ["close_gate", "lanes"])
def test_a_closed_perimeter_entry_is_routed_round(kind: str) -> None:
    # p1 shut for good 20 minutes after the first arrivals: those walking to it or queuing
    # at it go back to p2; nobody waits for p1 to reopen
    shut = {"id": "shut", "kind": kind, "gate": "p1", "start": 1500}
    summary = two_perimeters([{**shut, "lanes": 0} if kind == "lanes" else shut])
    fans = summary["fans"]
    assert fans["seated"] == fans["arrived"] == 2000 and fans["stranded"] == 0
    assert fans["rerouted"] > 0
    served = {c: summary["checkpoints"][c]["served"] for c in ("p1", "p2", "g")}
    assert served["p1"] + served["p2"] == served["g"] == 2000
    assert served["p2"] > served["p1"] > 0  # p1 screened only before it shut


def slowed_gate(model: str) -> tuple[int, int]:
    """least_delay fans on a 270 m approach when gate g1 slows six-fold at t = 300 s.

    Returns (fans who set off before the slow-down, those of them screened at g2).
    """
    gate = {"lanes": 2, "queue_area_m2": 400, "service": {"kind": "deterministic", "mean": 2}}
    sc = scenario(
        name="slowed gate",
        settings={"end": 7200},
        areas=[
            {"id": "plaza", "area_m2": 3000, "walk_m": 0},
            {"id": "concourse", "area_m2": 3000, "walk_m": 0},
        ],
        checkpoints=[{"id": g, **gate} for g in ("g1", "g2")],
        sectors=[{"id": "s", "seats": 1200, "gate": "g1"}],
        links=[
            link("approach", "o", "plaza", 270, 10),
            link("to_g1", "plaza", "g1", 20, 6, two_way=False),
            link("to_g2", "plaza", "g2", 20, 6, two_way=False),
            link("in_g1", "g1", "concourse", 10, 6, two_way=False),
            link("in_g2", "g2", "concourse", 10, 6, two_way=False),
            link("seat", "concourse", "s", 5, 10),
        ],
        ingress={
            **INGRESS,
            "kickoff": 3600,
            "profile": [[-60, 0.0], [-50, 1.0]],
            "route_choice": "least_delay",
        },
        interventions=[
            {
                "id": "slow",
                "kind": "service_factor",
                "gate": "g1",
                "service_factor": 6,
                "start": 300,
            }
        ],
        routing={"model": model},
    )
    sim = Simulation(sc, seed=9)
    sim.run()
    fans = sim.result().fans
    early = fans["arrive_s"].to_numpy() < 300.0
    at_g2 = np.array(fans["gate"].to_pylist()) == "g2"
    return int(early.sum()), int((early & at_g2).sum())


def test_least_delay_fans_reconsider_their_gate_on_the_way() -> None:
    # pinned (shortest): the gate chosen at the origin is kept; logit: weighed again at the plaza
    early, kept = slowed_gate("shortest")
    early_logit, switched = slowed_gate("logit")
    assert early == early_logit > 400
    walking = 270.0 / V0  # those who set off in the last 200 s before the slow-down
    on_the_way = early * walking / 300.0
    assert switched - kept > 0.5 * on_the_way / 2, (early, kept, switched)


def test_a_link_closed_behind_a_gate_reroutes_the_screened_without_screening_them_again() -> None:
    result = two_gates([{"id": "incident", "kind": "close_link", "link": "in_g1", "start": 1500}])
    summary = result.summary.to_dict()
    fans = summary["fans"]
    assert fans["seated"] == fans["arrived"] == 2000 and fans["stranded"] == 0
    served = summary["checkpoints"]
    assert served["g1"]["served"] + served["g2"]["served"] == 2000  # each fan screened once
    assert summary["links"]["in_g1"]["throughput"] < 2000 and fans["rerouted"] > 0
