"""``matchday sweep`` and ``matchday compare`` end to end on the tiny scenario (real engine)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from sweep_helpers import TINY, VARIANTS
from typer.testing import CliRunner

from simulator.whatif import cli as sweep_cli

runner = CliRunner()


def app() -> typer.Typer:
    """The commands mounted the way ``matchday/cli.py`` mounts them."""
    application = typer.Typer()
    sweep_cli.register(application)
    return application


def test_sweep_writes_report_runs_and_prints_headline(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    args = ["sweep", str(TINY), "--seeds", "3", "--workers", "2", "--out", str(out)]
    args += ["--variant", str(VARIANTS / "tiny_slow_gate.yaml")]
    result = runner.invoke(app(), args)
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "comparison.json").read_text())
    assert [g["name"] for g in doc["groups"]] == ["baseline", "slow gate"]
    assert [g["seeds"] for g in doc["groups"]] == [[1, 2, 3], [1, 2, 3]]
    assert (out / "comparison.html").read_text().startswith("<!doctype html>")
    assert len(list((out / "runs").glob("*/seed_*/summary.json"))) == 6
    assert "Tiny ground: mean [95% CI]" in result.output and "worst" in result.output

    again = tmp_path / "compare"
    result = runner.invoke(app(), ["compare", str(out), "--out", str(again)])
    assert result.exit_code == 0, result.output
    compared = json.loads((again / "comparison.json").read_text())
    assert compared["kpis"] == doc["kpis"]


def test_bad_variant_exits_2_naming_file_and_field(tmp_path: Path) -> None:
    bad = VARIANTS / "bad_unknown_key.yaml"
    args = ["sweep", str(TINY), "--seeds", "1", "--variant", str(bad), "--out", str(tmp_path)]
    result = runner.invoke(app(), args)
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "bad_unknown_key.yaml" in text and "patch.venue.checkpoints.gate_a.lanez" in text
    assert not (tmp_path / "comparison.json").exists()


def test_bad_option_exits_1(tmp_path: Path) -> None:
    args = ["sweep", str(TINY), "--seeds", "1", "--executor", "dask", "--out", str(tmp_path)]
    result = runner.invoke(app(), args)
    assert result.exit_code == 1 and "executor must be 'local' or 'ray'" in result.output


def test_compare_bad_run_dir_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app(), ["compare", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "nope" in result.output


def test_sweep_accepts_bundled_scenario_and_variant_names() -> None:
    assert sweep_cli.scenario_path("stade_mohammed_v").is_file()
    assert sweep_cli.scenario_path("no_such_ground") == Path("no_such_ground")
    assert sweep_cli.variant_path("smv_late_crowd").name == "smv_late_crowd.yaml"
    assert sweep_cli.variant_path(str(VARIANTS / "tiny_slow_gate.yaml")).is_file()


def test_missing_variant_file_exits_2(tmp_path: Path) -> None:
    args = ["sweep", str(TINY), "--seeds", "1", "--variant", "no_such_variant"]
    result = runner.invoke(app(), [*args, "--out", str(tmp_path)])
    assert result.exit_code == 2 and "no_such_variant" in result.output


def test_compare_reads_matchday_simulate_runs(tmp_path: Path) -> None:
    """The contract with ``matchday simulate``: its summary.json is one replication."""
    from simulator import cli as simulator_cli

    application = app()
    simulator_cli.register(application)
    for seed in (1, 2):
        args = [
            "simulate",
            str(TINY),
            "--seed",
            str(seed),
            "--out",
            str(tmp_path / "sim" / f"seed_{seed}"),
        ]
        result = runner.invoke(application, args)
        assert result.exit_code == 0, result.output
    sweep_out = tmp_path / "sweep"
    result = runner.invoke(
        application, ["sweep", str(TINY), "--seeds", "2", "--out", str(sweep_out)]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        application,
        ["compare", str(tmp_path / "sim"), str(sweep_out), "--out", str(tmp_path / "cmp")],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "cmp" / "comparison.json").read_text())
    names = [g["name"] for g in doc["groups"]]
    assert names == ["sim", "sweep:baseline"]
    for kpi in doc["kpis"]:  # same scenario, same seeds: simulate and sweep agree exactly
        diff = kpi["differences"]["sweep:baseline"]
        assert diff["method"] == "paired" and diff["mean"] in (0.0, None), kpi["key"]
