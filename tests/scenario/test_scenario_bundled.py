"""Every bundled scenario validates, runs to a plausible match day and stands alone.

One full run per scenario (3-10 s each, seed 1), shared by the tests of this module: every fan
accounted for, most seated at kick-off, everyone out again after the final whistle, every sector
reached, one screening per fan. The bounds are plausibility checks for any of the venues, not
figures fitted to one; the Stade Mohammed V test holds the tighter figures of that venue.
"""

from __future__ import annotations

import functools
import re

import pyarrow.compute as pc
import pytest
import typer
from typer.testing import CliRunner

from simulator import RunResult, Scenario, Simulation
from simulator.cli import bundled_scenarios, register, resolve_scenario
from simulator.scenario.loader import load_scenario

# The six World Cup 2030 venues and Casablanca's Stade Mohammed V.
MOROCCO_2030 = {
    "grand_stade_hassan_ii",
    "prince_moulay_abdellah",
    "grand_stade_tanger",
    "grand_stade_marrakech",
    "grand_stade_agadir",
    "complexe_sportif_fes",
}
BUNDLED = bundled_scenarios()
OUTSIDE_FILES = re.compile(r"/work/|VENUES\.md|DESIGN\.md|\.\./shared")


@functools.cache
def run_bundled(name: str) -> tuple[Scenario, RunResult]:
    """Load and run a bundled scenario once per test session (seed 1)."""
    scenario = load_scenario(resolve_scenario(name))
    sim = Simulation(scenario, seed=1)
    sim.run()
    return scenario, sim.result()


def test_the_pack_holds_every_moroccan_venue() -> None:
    assert MOROCCO_2030 | {"stade_mohammed_v"} <= set(BUNDLED)


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_scenario_validates_by_name(name: str) -> None:
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["validate", name])
    assert result.exit_code == 0, result.output
    seats = load_scenario(resolve_scenario(name)).venue.seats
    assert f"{seats:,} seats" in result.output


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_scenario_is_sourced_and_stands_alone(name: str) -> None:
    text = resolve_scenario(name).read_text(encoding="utf-8")
    assert "Sources" in text and "docs/venues.md" in text
    assert "estimate" in text
    assert not OUTSIDE_FILES.search(text), OUTSIDE_FILES.search(text)


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_match_day_is_plausible(name: str) -> None:
    scenario, result = run_bundled(name)
    s = result.summary.to_dict()
    fans = s["fans"]
    assert scenario.ingress is not None
    expected = scenario.venue.seats * scenario.ingress.attendance
    assert abs(fans["expected"] - expected) <= len(scenario.venue.sectors)  # rounded per sector
    assert fans["arrived"] == fans["expected"] == fans["seated"] == fans["left"]
    assert fans["in_venue"] == 0 and fans["dropped"] == 0
    assert 0.80 <= s["share_seated_at_kickoff"] <= 1.0
    assert s["time_to_clear_s"] is not None
    assert 10 * 60 <= s["time_to_clear_s"] <= 3 * 3600
    if scenario.transport is not None:
        assert s["time_to_leave_area_s"] >= s["time_to_clear_s"]
    for stage in {c.stage for c in scenario.venue.checkpoints}:  # one screening per fan a stage
        served = sum(c["served"] for c in s["checkpoints"].values() if c["stage"] == stage)
        assert served == fans["arrived"], stage  # at the gate on the ticket, and the perimeter
        assert s["stages"][stage]["served"] == served
    seated_by_sector = result.fans.group_by("sector").aggregate([("fan", "count")])
    assert seated_by_sector.num_rows == len(scenario.venue.sectors)


def test_stade_mohammed_v_match_day_is_plausible() -> None:
    _, result = run_bundled("stade_mohammed_v")
    s = result.summary.to_dict()
    assert abs(s["fans"]["expected"] - 45_000 * 0.95) < 20
    assert 0.85 <= s["share_seated_at_kickoff"] <= 1.0
    assert 10 * 60 <= s["time_to_clear_s"] <= 90 * 60
    seated_by_sector = result.fans.group_by("sector").aggregate([("fan", "count")])
    assert pc.min(seated_by_sector["fan_count"]).as_py() > 1_000
