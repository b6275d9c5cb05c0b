"""An access chain in the run state: snapshots carry both stages and a warm start replays them.

Stade Mohammed V screens every fan at a perimeter line, then at the ticket gate; the snapshot is
taken half an hour before kick-off, with fans queuing, in screening and walking between the
stages, under a lever that slows every perimeter lane.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np

from simulator import Simulation, Snapshot
from simulator.cli import resolve_scenario
from simulator.levers.model import Intervention
from simulator.scenario.loader import load_scenario, load_scenario_text


def test_warm_start_in_the_middle_of_a_two_stage_ingress_replays_the_run() -> None:
    base = load_scenario(resolve_scenario("stade_mohammed_v"))
    assert {c.stage for c in base.venue.checkpoints} == {"perimeter", "ticket"}
    assert base.ingress is not None
    slow = Intervention(
        "bags", "service_factor", base.ingress.kickoff_s - 5400, factor=1.8, stage="perimeter"
    )
    sc = replace(base, interventions=(slow,))
    whole = Simulation(sc, seed=4)
    whole.run()
    first = Simulation(sc, seed=4)
    first.run(until=sc.ingress.kickoff_s - 1800)
    w = first.world
    perimeter = [
        b for b, c in zip(w.banks, sc.venue.checkpoints, strict=True) if c.stage == "perimeter"
    ]
    assert sum(len(b.queue) for b in perimeter) > 0  # fans are queuing at the first stage
    snap = Snapshot.from_dict(json.loads(json.dumps(first.snapshot().to_dict())))
    resumed = Simulation(sc, seed=4, snapshot=snap)
    resumed.run()
    a, b = whole.result(), resumed.result()
    assert a.summary.to_json() == b.summary.to_json()
    assert a.fans.equals(b.fans) and a.timeseries.equals(b.timeseries)
    times = a.fans["perimeter_service_s"].to_numpy(zero_copy_only=False)
    assert not np.isnan(times).any()  # everyone was searched at the perimeter
    assert (
        a.summary.stages["perimeter"].waits.p95_wait_s > a.summary.stages["ticket"].waits.p95_wait_s
    )


LEAST_DELAY = """
name: two chains
settings: {start: 0, end: 7200}
venue:
  name: two chains
  origins: [{id: o, mode: walk}]
  areas:
    - {id: plaza, area_m2: 4000}
    - {id: apron_a, area_m2: 500}
    - {id: apron_b, area_m2: 500}
    - {id: conc, area_m2: 1000}
  checkpoints:
    - {id: p_a, stage: perimeter, lanes: 4, service: {kind: deterministic, mean: 6},
       queue_area_m2: 200}
    - {id: p_b, stage: perimeter, lanes: 4, service: {kind: deterministic, mean: 6},
       queue_area_m2: 200}
    - {id: g_a, lanes: 4, service: {kind: deterministic, mean: 5}, queue_area_m2: 200}
    - {id: g_b, lanes: 4, service: {kind: deterministic, mean: 5}, queue_area_m2: 200}
  sectors: [{id: s, seats: 400}]
  exits: []
  links:
    - {id: l_o, source: o, target: plaza, length_m: 50, width_m: 10}
    - {id: l_pa, source: plaza, target: p_a, length_m: 10, width_m: 4, two_way: false}
    - {id: l_pb, source: plaza, target: p_b, length_m: 30, width_m: 4, two_way: false}
    - {id: l_aa, source: p_a, target: apron_a, length_m: 10, width_m: 4, two_way: false}
    - {id: l_ab, source: p_b, target: apron_b, length_m: 10, width_m: 4, two_way: false}
    - {id: l_ga, source: apron_a, target: g_a, length_m: 10, width_m: 4, two_way: false}
    - {id: l_gb, source: apron_b, target: g_b, length_m: 10, width_m: 4, two_way: false}
    - {id: l_ca, source: g_a, target: conc, length_m: 10, width_m: 4, two_way: false}
    - {id: l_cb, source: g_b, target: conc, length_m: 10, width_m: 4, two_way: false}
    - {id: l_s, source: conc, target: s, length_m: 10, width_m: 4, kind: door}
ingress:
  kickoff: 3600
  gates_open: 0
  attendance: 1.0
  profile: [[-50, 0.0], [-40, 1.0]]
  mode_split: {o: 1.0}
  route_choice: least_delay
"""


def test_least_delay_counts_the_perimeter_queue_on_the_way_to_each_gate() -> None:
    sc = load_scenario_text(LEAST_DELAY, source="<two chains>")
    sim = Simulation(sc, seed=1)
    net, banks, gates = sim.network, sim.world.banks, sim.dynamics.gates
    o, s = net.index["o"], net.index["s"]
    assert [b for b, _ in gates.walks(o, s)] == [2, 3]  # ticket gates only
    assert gates.chains(o, s) == [(0,), (1,)]  # each behind its perimeter
    lanes = [4, 4, 4, 4]
    assert gates.best(o, s, -1, lanes=lanes) == 2  # the shorter walk
    for fan in range(40):  # 40 fans queuing at the perimeter before gate a: 60 s more
        banks[0].join(10_000 + fan, 1, sim.now)
    assert gates.best(o, s, -1, lanes=lanes) == 3
    assert gates.best(o, s, -1, lanes=[4, 0, 4, 4]) == 2  # b's perimeter shut: not a candidate
    run = Simulation(sc, seed=1)
    run.run()
    result = run.result()
    assert result.summary.fans.seated == 400
    assert result.summary.stages["perimeter"].served == result.summary.stages["ticket"].served
    served = {k: result.summary.checkpoints[k].served for k in ("p_a", "p_b", "g_a", "g_b")}
    assert served["p_a"] == served["g_a"] > 0 and served["p_b"] == served["g_b"] > 0
