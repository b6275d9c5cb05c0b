"""The bundled Stade Mohammed V scenario runs to a plausible match day.

One full run (about 5 s): most fans seated at kick-off, everyone out again within tens of
minutes of the final whistle, every fan accounted for, and every sector reached.
"""

from __future__ import annotations

import pyarrow.compute as pc

from simulator import Simulation
from simulator.cli import resolve_scenario
from simulator.scenario.loader import load_scenario


def test_stade_mohammed_v_match_day_is_plausible() -> None:
    scenario = load_scenario(resolve_scenario("stade_mohammed_v"))
    sim = Simulation(scenario, seed=1)
    sim.run()
    result = sim.result()
    s = result.summary.to_dict()
    fans = s["fans"]
    assert abs(fans["expected"] - 45_000 * 0.95) < 20  # rounded per sector
    assert fans["arrived"] == fans["expected"] == fans["seated"] == fans["left"]
    assert fans["in_venue"] == 0 and fans["dropped"] == 0
    assert 0.85 <= s["share_seated_at_kickoff"] <= 1.0
    assert 10 * 60 <= s["time_to_clear_s"] <= 90 * 60
    served = sum(c["served"] for c in s["checkpoints"].values())
    assert served == fans["arrived"]  # one screening per fan, at the gate on the ticket
    seated_by_sector = result.fans.group_by("sector").aggregate([("fan", "count")])
    assert seated_by_sector.num_rows == len(scenario.venue.sectors)
    assert pc.min(seated_by_sector["fan_count"]).as_py() > 1_000
