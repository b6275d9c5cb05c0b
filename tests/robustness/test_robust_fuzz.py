"""Property-based fuzzing of ``matchday validate`` and ``simulate`` with hostile scenario files.

Each example mutates one bundled scenario (or the tiny test ground) in one hostile way
(``robust_mutations``) and runs the real command on the file. The property: the command exits 0
or 2, never with a traceback, within a deadline, and its output stays short (no echoed
megabytes). Accepted mutations of the tiny ground are also simulated, and every figure in the
summary must be finite and not negative. Examples are few and derandomized so CI stays fast.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from robust_mutations import mutate
from typer.testing import CliRunner

from simulator import Simulation
from simulator.cli import register
from simulator.errors import ScenarioError
from simulator.scenario.budget import check_budget
from simulator.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))
TINY = ROOT / "tests" / "data" / "scenarios" / "tiny.yaml"
DOCS = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in [*BUNDLED, TINY]]
TINY_DOC = yaml.safe_load(TINY.read_text(encoding="utf-8"))
MAX_OUTPUT_CHARS = 20_000
FUZZ = settings(
    max_examples=40,
    deadline=10_000,  # ms per example; a hang is what this catches
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    application = typer.Typer()
    register(application)
    return application


def _numbers(value: Any) -> list[float]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [float(value)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list | tuple):
        return [n for v in value for n in _numbers(v)]
    return []


@FUZZ
@given(data=st.data())
def test_validate_never_crashes_hangs_or_floods(
    app: typer.Typer, tmp_path: Path, data: st.DataObject
) -> None:
    doc = data.draw(st.sampled_from(DOCS))
    path = tmp_path / "mutated.yaml"
    path.write_text(mutate(doc, data.draw), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 2), result.output[-2000:]
    assert "Traceback" not in result.output
    assert len(result.output) < MAX_OUTPUT_CHARS
    if result.exit_code == 2:
        assert str(path) in result.output  # the file is named


@settings(FUZZ, max_examples=20)
@given(data=st.data())
def test_accepted_mutations_simulate_to_finite_figures(tmp_path: Path, data: st.DataObject) -> None:
    path = tmp_path / "mutated.yaml"
    path.write_text(mutate(TINY_DOC, data.draw), encoding="utf-8")
    try:
        scenario = load_scenario(path)
    except ScenarioError:
        return
    if check_budget(scenario, max_memory_gb=1.0, max_minutes=1.0):
        return
    sim = Simulation(scenario, seed=1)
    sim.run()
    figures = _numbers(sim.result().summary.to_dict())
    assert figures
    assert all(math.isfinite(x) and x >= 0 for x in figures)
