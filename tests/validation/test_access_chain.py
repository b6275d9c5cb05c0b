"""Access chains through the YAML path: a perimeter search, then the ticket gate, in series.

References: two banks in series are a tandem queue. Its throughput is the least of the stage
capacities (lanes / service time), the queue builds in front of the bottleneck stage, and a stage
with capacity to spare changes the totals only by its own service time (Jackson 1957; any
queueing text on tandem lines, e.g. Gross & Harris, *Fundamentals of Queueing Theory*, ch. 4).
Under a steady overload the bottleneck serves at its capacity ``mu`` from the first arrival, so
the last of ``N`` fans arriving over ``T`` seconds waits ``N / mu - T`` at it (the fluid queue).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from validation_venues import crowd, link, scenario

from simulator import Scenario, Simulation
from simulator.errors import ScenarioError
from simulator.results.capacity import ground_capacity

pytestmark = pytest.mark.validation

K_JAM = 5.4
N = 3000  # ticket holders


def chain(
    *,
    perimeter: tuple[int, float] | None,
    ticket: tuple[int, float] | None,
    spread_min: float,
    pens_m2: tuple[float, float] = (400.0, 400.0),
    apron: tuple[float, float] = (5_000.0, 10.0),
    end: float = 9000.0,
    **sections: Any,
) -> Scenario:
    """``o`` -> plaza -> perimeter ``p`` -> apron -> ticket gate ``g`` -> seats ``s``.

    ``perimeter`` / ``ticket``: (lanes, deterministic service s) of each stage; None replaces
    that stage by an area of the same floor crossed in no time (the single-stage run).
    ``apron``: (floor m², width m of the links either side of it).
    """
    checkpoints: list[dict[str, Any]] = []
    areas: list[dict[str, Any]] = [
        {"id": "plaza", "area_m2": 20_000, "walk_m": 0},
        {"id": "apron", "area_m2": apron[0], "walk_m": 0},
    ]
    for cid, stage, spec, pen in (
        ("p", "perimeter", perimeter, pens_m2[0]),
        ("g", "ticket", ticket, pens_m2[1]),
    ):
        if spec is None:
            areas.append({"id": cid, "area_m2": pen, "walk_m": 0})
            continue
        lanes, service = spec
        checkpoints.append(
            {
                "id": cid,
                "stage": stage,
                "lanes": lanes,
                "service": {"kind": "deterministic", "mean": service},
                "queue_area_m2": pen,
            }
        )
    gated = ticket is not None
    seats = {"id": "s", "seats": N, **({"gate": "g"} if gated else {})}
    return scenario(
        name="access chain",
        settings={"end": end},
        areas=areas,
        checkpoints=checkpoints,
        sectors=[seats],
        links=[
            link("approach", "o", "plaza", 50, 20, two_way=False),
            link("to_p", "plaza", "p", 10, 10, two_way=False),
            link("p_out", "p", "apron", 30, apron[1], two_way=False),
            link("to_g", "apron", "g", 10, apron[1], two_way=False),
            link("vom", "g", "s", 5, 20, kind="door", two_way=False),
        ],
        ingress=crowd(spread_min),
        **sections,
    )


def run(sc: Scenario) -> Simulation:
    sim = Simulation(sc, seed=5)
    sim.run()
    return sim


def col(fans: pa.Table, name: str) -> np.ndarray:
    return np.asarray(fans[name].to_numpy(zero_copy_only=False), dtype=float)


def throughput(starts: np.ndarray) -> float:
    """Fans per second through a stage over the middle 80% of its service starts."""
    t = np.sort(starts)
    lo, hi = int(0.1 * len(t)), int(0.9 * len(t))
    return (hi - lo) / (t[hi] - t[lo])


@pytest.mark.parametrize(
    ("perimeter", "ticket"),
    [((8, 6.0), (4, 5.45)), ((4, 6.0), (8, 5.45))],
    ids=["ticket-bottleneck", "perimeter-bottleneck"],
)
def test_tandem_throughput_is_the_least_stage_capacity(perimeter, ticket) -> None:
    # 3,000 fans over 5 min: 10 /s, above both stages (1.33 and 0.73 /s, or 0.67 and 1.47)
    sim = run(chain(perimeter=perimeter, ticket=ticket, spread_min=5))
    fans = sim.result().fans
    expected = min(perimeter[0] / perimeter[1], ticket[0] / ticket[1])
    for column in ("service_start_s", "seated_s"):  # what the chain lets in
        rate = throughput(col(fans, column))
        assert abs(rate - expected) / expected < 0.01, (column, rate, expected)
    # the perimeter works at its own capacity: the pens between hold the queue
    own = perimeter[0] / perimeter[1]
    assert abs(throughput(col(fans, "perimeter_service_s")) - own) / own < 0.01
    assert sim.world.seated == N


@pytest.mark.parametrize(
    ("perimeter", "ticket", "queues", "idle"),
    [((8, 6.0), (4, 5.45), "g", "p"), ((4, 6.0), (8, 5.45), "p", "g")],
    ids=["ticket-bottleneck", "perimeter-bottleneck"],
)
def test_the_queue_builds_before_the_bottleneck_and_its_last_wait_is_the_fluid_one(
    perimeter, ticket, queues, idle
) -> None:
    # 1 fan/s for 50 min: between the two stages' capacities, so only the bottleneck queues
    sim = run(chain(perimeter=perimeter, ticket=ticket, spread_min=50))
    summary = sim.result().summary
    mu = min(perimeter[0] / perimeter[1], ticket[0] / ticket[1])
    fluid = N / mu - 50 * 60.0  # the last fan's wait at the bottleneck
    busy, calm = summary.checkpoints[queues], summary.checkpoints[idle]
    assert abs(busy.waits.max_wait_s - fluid) / fluid < 0.02, (busy.waits.max_wait_s, fluid)
    assert busy.peak_queue > 500
    assert calm.peak_queue < 40 and calm.waits.p95_wait_s < 15.0
    stage = {"p": "perimeter", "g": "ticket"}
    assert summary.stages[stage[queues]].waits.max_wait_s == busy.waits.max_wait_s


def test_a_stage_that_is_not_the_bottleneck_leaves_the_totals_of_the_single_stage_run() -> None:
    two = run(chain(perimeter=(8, 6.0), ticket=(4, 5.45), spread_min=20)).result()
    one = run(chain(perimeter=None, ticket=(4, 5.45), spread_min=20)).result()
    seated = {
        k: col(r.fans, "seated_s") - col(r.fans, "arrive_s") for k, r in (("2", two), ("1", one))
    }
    for stat in (np.mean, np.max):
        a, b = float(stat(seated["2"])), float(stat(seated["1"]))
        assert abs(a - b) / b < 0.03, (stat.__name__, a, b)
    last = [float(np.nanmax(col(r.fans, "seated_s"))) for r in (two, one)]
    assert abs(last[0] - last[1]) / last[1] < 0.01
    assert two.summary.stages["ticket"].served == one.summary.stages["ticket"].served == N


def test_every_fan_is_screened_at_both_stages_in_order_before_being_seated() -> None:
    sim = run(chain(perimeter=(6, 6.0), ticket=(5, 5.45), spread_min=10))
    result = sim.result()
    fans, summary = result.fans, result.summary
    order = ["arrive_s", "perimeter_queue_s", "perimeter_service_s", "queue_start_s"]
    order += ["service_start_s", "seated_s"]
    times = np.vstack([col(fans, c) for c in order])
    assert not np.isnan(times).any()  # every fan has both stages' times and a seat
    assert (np.diff(times, axis=0) >= 0).all()
    assert (times[3] > times[2]).all()  # the walk from the perimeter to the gate
    assert summary.checkpoints["p"].served == summary.checkpoints["g"].served == N
    assert summary.fans.seated == N
    assert (
        summary.checkpoints["p"].stage == "perimeter" and summary.checkpoints["g"].stage == "ticket"
    )


def test_per_stage_waits_are_reported_from_the_fans_own_waits() -> None:
    result = run(chain(perimeter=(4, 6.0), ticket=(3, 5.45), spread_min=20)).result()
    fans, stages = result.fans, result.summary.stages
    pairs = {
        "perimeter": ("perimeter_queue_s", "perimeter_service_s"),
        "ticket": ("queue_start_s", "service_start_s"),
    }
    for stage, (queued, started) in pairs.items():
        waits = col(fans, started) - col(fans, queued)
        st = stages[stage]
        assert st.served == N and st.checkpoints == 1
        assert st.waits.p95_wait_s == pytest.approx(float(np.percentile(waits, 95)))
        assert st.waits.mean_wait_s == pytest.approx(float(waits.mean()))
    assert stages["perimeter"].capacity_per_h == pytest.approx(4 * 3600 / 6.0)
    assert stages["ticket"].capacity_per_h == pytest.approx(3 * 3600 / 5.45)
    doc = result.summary.to_dict()
    assert doc["stages"]["ticket"]["p95_wait_s"] == stages["ticket"].waits.p95_wait_s


def test_each_stage_holds_its_own_queue_pen_and_spills_back_through_the_chain() -> None:
    # a 20 m² ticket pen holds 108 and the way from the perimeter 702 in all: the backlog of
    # the ticket gate (about 1,350 fans) fills it and reaches back to the perimeter
    sc = chain(
        perimeter=(8, 6.0),
        ticket=(4, 5.45),
        spread_min=10,
        pens_m2=(60.0, 20.0),
        apron=(30.0, 2.0),
    )
    sim = run(sc)
    w, idx = sim.world, sim.network.index
    for node, floor in (("g", 20), ("apron", 30), ("p", 60)):
        assert w.places[idx[node]].max_n == math.floor(K_JAM * floor), node
    links = sim.result().summary.links
    for lid, floor in (("to_g", 20), ("p_out", 60)):  # queued, above critical density 1.75
        assert links[lid].max_occupancy / floor > 2.5, lid
    fans = sim.result().fans
    rate = throughput(col(fans, "service_start_s"))  # the bottleneck still works flat out
    assert abs(rate - 4 / 5.45) / (4 / 5.45) < 0.01
    assert sim.world.seated == N


def test_levers_act_on_each_stage() -> None:
    # the perimeter is 1.33 /s and the gate 0.73 /s; slowing every perimeter lane 2.5 times
    # (0.53 /s) moves the bottleneck to it, then 8 ticket lanes do not change that
    levers = [
        {
            "id": "bags",
            "kind": "service_factor",
            "stage": "perimeter",
            "service_factor": 2.5,
            "start": 0,
        },
        {"id": "more", "kind": "lanes", "gate": "g", "lanes": 8, "start": 0},
    ]
    sim = run(chain(perimeter=(8, 6.0), ticket=(4, 5.45), spread_min=5, interventions=levers))
    fans = sim.result().fans
    expected = 8 / (6.0 * 2.5)
    assert abs(throughput(col(fans, "service_start_s")) - expected) / expected < 0.01
    # and a lanes lever on the perimeter alone: 2 lanes open, 0.33 /s
    levers = [{"id": "few", "kind": "lanes", "gate": "p", "lanes": 2, "start": 0}]
    sim = run(
        chain(perimeter=(8, 6.0), ticket=(4, 5.45), spread_min=5, end=12_000, interventions=levers)
    )
    rate = throughput(col(sim.result().fans, "perimeter_service_s"))
    assert abs(rate - 2 / 6.0) / (2 / 6.0) < 0.01


def test_a_route_round_the_perimeter_is_an_error_that_names_the_fix() -> None:
    base = chain(perimeter=(8, 6.0), ticket=(4, 5.45), spread_min=5)
    assert base.venue.checkpoints[0].stage == "perimeter"
    with pytest.raises(ScenarioError) as err:
        scenario(
            name="hole",
            areas=[{"id": "plaza", "area_m2": 2000}, {"id": "apron", "area_m2": 2000}],
            checkpoints=[
                {
                    "id": "p",
                    "stage": "perimeter",
                    "lanes": 2,
                    "queue_area_m2": 50,
                    "service": {"kind": "deterministic", "mean": 6},
                },
                {
                    "id": "g",
                    "lanes": 2,
                    "queue_area_m2": 50,
                    "service": {"kind": "deterministic", "mean": 5},
                },
            ],
            sectors=[{"id": "s", "seats": 100, "gate": "g"}],
            links=[
                link("approach", "o", "plaza", 50, 5),
                link("to_p", "plaza", "p", 10, 5, two_way=False),
                link("p_out", "p", "apron", 10, 5, two_way=False),
                link("gap", "plaza", "apron", 10, 2),  # a service road left open
                link("to_g", "apron", "g", 10, 5, two_way=False),
                link("vom", "g", "s", 5, 5, kind="door", two_way=False),
            ],
            ingress=crowd(1),
        )
    text = str(err.value)
    assert "venue.sectors[0]" in text and "perimeter" in text and "'o' to 'g'" in text


@pytest.mark.parametrize(
    ("perimeter", "ticket", "entry_h"),
    # a 6 s arch passes 600 /h, a 5.45 s turnstile 660 /h (capped at the Green Guide 660)
    [((4, 6.0), (8, 5.45), 4 * 600.0), ((8, 6.0), (4, 5.45), 4 * 660.0)],
    ids=["perimeter-bottleneck", "ticket-bottleneck"],
)
def test_the_green_guide_entry_figure_of_a_chain_is_its_least_stage(
    perimeter, ticket, entry_h
) -> None:
    sc = chain(perimeter=perimeter, ticket=ticket, spread_min=5)
    stands, ground = ground_capacity(scenario=sc)
    assert ground["entry"] == pytest.approx(entry_h)
    (stand,) = stands
    assert stand.entry.persons == pytest.approx(entry_h)  # one stand behind the one gate
