"""Crash-safe run folders: a killed or failed run leaves the old run whole and nothing half-made.

``matchday simulate`` writes into a hidden sibling folder and renames it into place. The kill
test runs a real writer in a subprocess, lets it write ``summary.json`` of the new run, then
SIGKILLs it while the Parquet files are being written, and checks what a planner would see.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from simulator import Simulation
from simulator.cli import register
from simulator.errors import OutputExistsError
from simulator.results import run_files
from simulator.results.run_files import write_run
from simulator.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "scenarios" / "tiny.yaml"
runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    application = typer.Typer()
    register(application)
    return application


def _seed_of(folder: Path) -> int:
    return int(json.loads((folder / "summary.json").read_text(encoding="utf-8"))["seed"])


def _visible(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if not p.name.startswith("."))


def _run(seed: int):  # type: ignore[no-untyped-def]
    scenario = load_scenario(TINY)
    sim = Simulation(scenario, seed=seed)
    sim.run()
    return scenario, sim.result()


def test_simulate_refuses_an_existing_run_without_overwrite(
    app: typer.Typer, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    assert (
        runner.invoke(app, ["simulate", str(TINY), "--seed", "1", "--out", str(out)]).exit_code == 0
    )
    again = runner.invoke(app, ["simulate", str(TINY), "--seed", "2", "--out", str(out)])
    assert again.exit_code == 2
    assert "already holds a run" in again.output and "--overwrite" in again.output
    assert _seed_of(out) == 1
    replaced = runner.invoke(
        app, ["simulate", str(TINY), "--seed", "2", "--out", str(out), "--overwrite"]
    )
    assert replaced.exit_code == 0, replaced.output
    assert _seed_of(out) == 2
    assert sorted(p.name for p in out.iterdir()) == sorted(run_files.FILES)
    assert _visible(tmp_path) == ["run"] and os.listdir(tmp_path) == ["run"]


def test_overwrite_never_replaces_a_folder_matchday_did_not_write(
    app: typer.Typer, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = runner.invoke(app, ["simulate", str(TINY), "--out", str(tmp_path), "--overwrite"])
    assert result.exit_code == 2 and "did not write" in result.output
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_a_run_failing_mid_write_leaves_the_old_run_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "run"
    scenario, first = _run(1)
    write_run(first, scenario=scenario, seed=1, out_dir=out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _, second = _run(2)

    def broken(*_: object, **__: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(run_files.pq, "write_table", broken)
    with pytest.raises(OSError, match="disk full"):
        write_run(second, scenario=scenario, seed=2, out_dir=out, overwrite=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert os.listdir(tmp_path) == ["run"]  # the partial folder is gone too
    with pytest.raises(OutputExistsError):
        write_run(second, scenario=scenario, seed=2, out_dir=out)


KILLED_WRITER = """
import sys, time
from pathlib import Path
from simulator import Simulation
from simulator.results import run_files
from simulator.scenario.loader import load_scenario
real = run_files.pq.write_table
def slow(table, where, **kw):
    real(table, where, **kw)
    print("WROTE", where, flush=True)
    time.sleep(60)
run_files.pq.write_table = slow
scenario = load_scenario(sys.argv[1])
sim = Simulation(scenario, seed=2)
sim.run()
run_files.write_run(sim.result(), scenario=scenario, seed=2, out_dir=Path(sys.argv[2]),
                    overwrite=True)
"""


def test_sigkill_mid_write_leaves_the_old_run_and_nothing_valid_looking(tmp_path: Path) -> None:
    out = tmp_path / "run"
    scenario, first = _run(1)
    write_run(first, scenario=scenario, seed=1, out_dir=out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(TINY), str(out)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 120
        line = proc.stdout.readline()  # blocks until the first Parquet file is written
        assert line.startswith("WROTE"), line
        assert time.monotonic() < deadline
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert _visible(tmp_path) == ["run"]  # a hidden .run.partial-* may remain, nothing else
    leftovers = [p for p in tmp_path.iterdir() if p.name != "run"]
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".run.partial-")
    assert _seed_of(leftovers[0]) == 2  # killed mid-write: the new summary was already there
