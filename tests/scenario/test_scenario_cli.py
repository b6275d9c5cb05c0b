"""``matchday validate`` and ``matchday simulate`` as a planner runs them (typer's test runner)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import typer
from scenario_helpers import DATA, TINY
from typer.testing import CliRunner

from simulator import Simulation
from simulator.cli import bundled_scenarios, default_out_dir, register, resolve_scenario
from simulator.scenario.digest import scenario_digest
from simulator.scenario.loader import load_scenario


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    """The simulator's commands on their own app, as ``matchday.cli`` registers them."""
    application = typer.Typer()
    register(application)
    return application


runner = CliRunner()


def test_validate_a_good_file_exits_0_with_a_digest(app: typer.Typer) -> None:
    result = runner.invoke(app, ["validate", str(TINY)])
    assert result.exit_code == 0, result.output
    assert "valid: 2 sectors, 1,000 seats" in result.output
    assert "kick-off 21:00" in result.output


def test_validate_a_bundled_scenario_by_name(app: typer.Typer) -> None:
    result = runner.invoke(app, ["validate", "stade_mohammed_v"])
    assert result.exit_code == 0, result.output
    assert "45,000 seats" in result.output


def test_validate_lists_every_problem_and_exits_2(app: typer.Typer) -> None:
    bad = DATA / "bad_many_problems.yaml"
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "invalid: 11 problem(s)" in result.output
    # file:line: path, sorted by line
    lines = [ln.strip() for ln in result.output.splitlines() if ln.startswith("  ")]
    assert lines[0].startswith(f"{bad}:3: settings.pedestrian_model: expected one of")
    assert f"{bad}:16: venue.links[0].widht_m: " in result.output
    assert f"{bad}:18: venue.links[2].target: " in result.output
    assert f"{bad}:20: ingress.kickoff: " in result.output
    assert "did you mean 'width_m'?" in result.output


def test_validate_a_missing_file_names_the_bundled_ones(app: typer.Typer, tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "no such file" in result.output and "stade_mohammed_v" in result.output


def test_resolving_scenario_names() -> None:
    assert "stade_mohammed_v" in bundled_scenarios()
    assert resolve_scenario("stade_mohammed_v").name == "stade_mohammed_v.yaml"
    assert resolve_scenario("stade_mohammed_v.yaml").is_file()
    assert resolve_scenario(str(TINY)) == TINY
    assert default_out_dir("stade_mohammed_v", 3) == Path("runs/stade_mohammed_v-seed3")
    assert default_out_dir("some dir/My Venue.yaml", 1) == Path("runs/My_Venue-seed1")


def test_simulate_writes_the_four_files(app: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(app, ["simulate", str(TINY), "--seed", "7", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "fans.parquet",
        "report.html",
        "summary.json",
        "timeseries.parquet",
    ]
    # The files hold exactly what a direct run with the same seed returns.
    sim = Simulation(load_scenario(TINY), seed=7)
    sim.run()
    direct = sim.result()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary.pop("generated_by").startswith("matchday")
    assert "density_per_m2" in summary.pop("units")
    assert summary["scenario_digest"] == scenario_digest(load_scenario(TINY))
    assert summary == direct.summary.to_dict()
    assert pq.read_table(out / "timeseries.parquet").equals(direct.timeseries)
    assert pq.read_table(out / "fans.parquet").equals(direct.fans)
    assert "Tiny ground (seed 7)" in result.output
    assert "seated at kick-off" in result.output


def test_simulate_defaults_to_runs_folder(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["simulate", str(TINY)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "runs" / "tiny-seed1" / "summary.json").is_file()


def test_simulate_refuses_an_invalid_scenario_before_running(
    app: typer.Typer, tmp_path: Path
) -> None:
    out = tmp_path / "never"
    result = runner.invoke(app, ["simulate", str(DATA / "bad_unreachable.yaml"), "--out", str(out)])
    assert result.exit_code == 2
    assert "venue.sectors[1]" in result.output
    assert not out.exists()
