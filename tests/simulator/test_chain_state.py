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
from simulator.scenario.loader import load_scenario


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
