"""Sweeps and ``compare`` never mix scenario versions: the digest in every run decides.

An independent test re-ran a sweep into the same folder with an edited scenario and compared
runs of two versions: the old seeds stayed and ``compare`` averaged 500/500/900/900 into one
mean. Here the same steps are refused, or reported, with the fix named.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
import yaml
from typer.testing import CliRunner

from simulator import cli as simulator_cli
from simulator.whatif import cli as sweep_cli

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "scenarios" / "tiny.yaml"
runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    simulator_cli.register(app)
    sweep_cli.register(app)
    return app


def _edited(tmp_path: Path) -> Path:
    """The tiny ground with two more lanes and the same name: another version of it."""
    doc = yaml.safe_load(TINY.read_text(encoding="utf-8"))
    doc["venue"]["checkpoints"][0]["lanes"] = 6
    path = tmp_path / "tiny_v2.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def _digests(sweep: Path) -> set[str]:
    return {
        json.loads(p.read_text(encoding="utf-8"))["scenario_digest"]
        for p in sweep.glob("runs/*/seed_*/summary.json")
    }


def _sweep(app: typer.Typer, scenario: Path, out: Path, *extra: str):  # type: ignore[no-untyped-def]
    args = ["sweep", str(scenario), "--workers", "1", "--out", str(out), *extra]
    return runner.invoke(app, args)


def test_a_sweep_of_another_version_into_the_same_folder_is_refused(tmp_path: Path) -> None:
    app, out = _app(), tmp_path / "sweep"
    first = _sweep(app, TINY, out, "--seeds", "3")
    assert first.exit_code == 0, first.output
    old = _digests(out)
    assert len(old) == 1 and next(iter(old)).startswith("sha256:")
    again = _sweep(app, _edited(tmp_path), out, "--seeds", "2")
    assert again.exit_code == 2
    text = " ".join(again.output.split())
    assert "another version of the scenario" in text and "--overwrite" in text
    assert _digests(out) == old and len(list(out.glob("runs/baseline/seed_*"))) == 3
    same = _sweep(app, TINY, out, "--seeds", "3")
    assert same.exit_code == 2 and "already holds a sweep" in " ".join(same.output.split())
    replaced = _sweep(app, _edited(tmp_path), out, "--seeds", "2", "--overwrite")
    assert replaced.exit_code == 0, replaced.output
    new = _digests(out)
    assert len(new) == 1 and new != old
    assert sorted(p.name for p in out.glob("runs/baseline/seed_*")) == ["seed_1", "seed_2"]


def test_compare_refuses_a_folder_mixing_two_scenario_versions(tmp_path: Path) -> None:
    app, mixed = _app(), tmp_path / "mixed"
    edited = _edited(tmp_path)
    for seed, scenario in ((1, TINY), (2, TINY), (3, edited), (4, edited)):
        out = mixed / f"seed_{seed}"
        result = runner.invoke(
            app, ["simulate", str(scenario), "--seed", str(seed), "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["compare", str(mixed), "--out", str(tmp_path / "cmp")])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "scenario_digest" in text and "seeds 1, 2" in text and "seeds 3, 4" in text
    assert "its own folder" in text
    assert not (tmp_path / "cmp").exists()


def test_compare_says_when_groups_ran_different_versions(tmp_path: Path) -> None:
    app = _app()
    for name, scenario in (("v1", TINY), ("v2", _edited(tmp_path))):
        result = runner.invoke(
            app, ["simulate", str(scenario), "--seed", "1", "--out", str(tmp_path / name)]
        )
        assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["compare", str(tmp_path / "v1"), str(tmp_path / "v2"), "--out", str(tmp_path / "c")]
    )
    assert result.exit_code == 0, result.output
    assert "different scenario versions" in " ".join(result.output.split())
