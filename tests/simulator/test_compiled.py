"""The compiled engine (mypyc, ``setup.py``) and the interpreted one give the same runs, byte
for byte, and the switch between them works.

Each comparison runs the same work in two subprocesses at once, one per path
(``MATCHDAY_INTERPRETED=1`` for the interpreted one), and compares what ``engine_runs`` recorded:
every bundled scenario and variant over its whole match day, and every run the validation tests
make. An install without the compiled modules fails here (CI installs them with the README's
command); ``MATCHDAY_INTERPRETED=1`` or ``MATCHDAY_PURE_PYTHON=1`` in the environment skips it.
"""

from __future__ import annotations

import difflib
import importlib.machinery
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import simulator
import simulator.engine as engine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PACKAGE_ROOT = Path(simulator.__file__).resolve().parents[1]  # where this simulator lives
OPTED_OUT = [v for v in ("MATCHDAY_INTERPRETED", "MATCHDAY_PURE_PYTHON") if os.environ.get(v)]
needs_compiled = pytest.mark.skipif(
    bool(OPTED_OUT), reason=f"{', '.join(OPTED_OUT)} set: the compiled engine is opted out"
)


def _env(interpreted: bool, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MATCHDAY_INTERPRETED",)}
    path = [str(PACKAGE_ROOT), str(HERE), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in path if p)
    if interpreted:
        env["MATCHDAY_INTERPRETED"] = "1"
    return {**env, **extra}


def _both(cmd: list[str], out: Path, *, record_env: bool = False) -> dict[str, dict[str, Any]]:
    """Run ``cmd`` (OUT appended, or in MATCHDAY_RECORD_RUNS) on both paths at once; the two
    records, by path."""
    procs = {}
    for mode in ("compiled", "interpreted"):
        path = out / f"{mode}.json"
        extra = {"MATCHDAY_RECORD_RUNS": str(path)} if record_env else {}
        procs[mode] = subprocess.Popen(
            cmd if record_env else [*cmd, str(path)],
            cwd=ROOT,
            env=_env(mode == "interpreted", **extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    records = {}
    for mode, proc in procs.items():
        log, _ = proc.communicate(timeout=540)
        assert proc.returncode == 0, f"{mode}:\n{log[-3000:]}"
        records[mode] = json.loads((out / f"{mode}.json").read_text())
    assert records["compiled"]["engine"].startswith("compiled (mypyc"), records["compiled"]
    assert records["interpreted"]["engine"] == "interpreted (MATCHDAY_INTERPRETED=1)"
    return {mode: r["runs"] for mode, r in records.items()}


def _first_difference(a: list[Any], b: list[Any]) -> str:
    for x, y in zip(a, b, strict=False):
        if x != y:
            if x[0] == "result" and x[1] != y[1]:
                diff = difflib.unified_diff(
                    x[1].splitlines(), y[1].splitlines(), "compiled", "interpreted", lineterm=""
                )
                return "\n".join(list(diff)[:40])
            return f"compiled {x!r:.300}\ninterpreted {y!r:.300}"
    return f"{len(a)} records compiled, {len(b)} interpreted"


def _assert_same(runs: dict[str, dict[str, Any]]) -> None:
    compiled, interpreted = runs["compiled"], runs["interpreted"]
    assert sorted(compiled) == sorted(interpreted)
    differ = [k for k in compiled if compiled[k] != interpreted[k]]
    assert not differ, (
        f"{len(differ)} of {len(compiled)} differ, first {differ[0]}:\n"
        + _first_difference(compiled[differ[0]], interpreted[differ[0]])
    )


@needs_compiled
def test_the_engine_runs_compiled() -> None:
    """This install has the compiled hot path and runs it (each module an extension)."""
    assert engine.compiled(), (
        f"engine {engine.engine_path()}: install with `pip install -e .` (compiles it), "
        "or set MATCHDAY_INTERPRETED=1 to skip the compiled-engine tests"
    )
    names = engine.compiled_modules()
    assert {"dynamics", "link", "place", "party", "world", "agenda"} <= set(names)
    for name in names:
        module = __import__(f"simulator.engine.{name}", fromlist=["_"])
        assert isinstance(module.__loader__, importlib.machinery.ExtensionFileLoader), name


@needs_compiled
def test_every_bundled_scenario_is_the_same_compiled_and_interpreted(tmp_path: Path) -> None:
    runs = _both([sys.executable, str(HERE / "engine_runs.py")], tmp_path)
    names = set(runs["compiled"])
    assert len(names) >= 15 and "tiny (warm start)" in names, sorted(names)
    _assert_same(runs)


@needs_compiled
def test_every_validation_run_is_the_same_compiled_and_interpreted(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "pytest", "tests/validation", "-q", "-x"]
    cmd += ["-p", "engine_runs", "-p", "no:cacheprovider", "-p", "no:randomly"]
    runs = _both(cmd, tmp_path, record_env=True)
    results = sum(r[0] == "result" for rs in runs["compiled"].values() for r in rs)
    assert len(runs["compiled"]) >= 50 and results >= 50, (len(runs["compiled"]), results)
    _assert_same(runs)


def _engine_path_in(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    probe = (
        "import simulator.engine as e, simulator.engine.link as l\n"
        "print(e.engine_path()); print(l.__loader__.__class__.__name__)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=cwd, capture_output=True, text=True
    )


@needs_compiled
def test_interpreted_switch_loads_every_engine_module_from_its_source() -> None:
    done = _engine_path_in(_env(True), ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == [
        "interpreted (MATCHDAY_INTERPRETED=1)",
        "SourceFileLoader",
    ]


@needs_compiled
def test_a_source_edited_after_compiling_runs_interpreted_with_a_warning(tmp_path: Path) -> None:
    """An editable install's stale extension never shadows the edited source."""
    shutil.copytree(
        PACKAGE_ROOT / "simulator",
        tmp_path / "simulator",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    link = tmp_path / "simulator" / "engine" / "link.py"
    link.write_text(link.read_text() + "\n# edited\n")
    env = {**_env(False), "PYTHONPATH": str(tmp_path)}
    done = _engine_path_in(env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == [
        "interpreted (compiled modules out of date: link.py)",
        "SourceFileLoader",
    ]
    assert "RuntimeWarning: matchday: the compiled engine does not match" in done.stderr


def test_run_state_classes_called_from_python_run_their_init() -> None:
    """mypyc 2.4.1 skips ``__init__`` of a ``serializable`` class called from interpreted code
    unless it also allows interpreted subclasses (setup.py): every run-state class the snapshot
    decoder creates must still be whole when interpreted code builds one. Either path."""
    from simulator.engine.checkpoint import TurnstileBank
    from simulator.engine.dwell import DwellState
    from simulator.engine.link import Walkway
    from simulator.engine.party import Party
    from simulator.engine.place import Place

    assert Walkway(0, 10.0, 3, [1.0] * 4, 0.5, 0.0).capacity == 3
    assert TurnstileBank(1, node=2, lanes=4).lanes == 4
    assert Party(5, 2, 0, 1, 3, 0).size == 2 and math.isnan(Party(5, 2, 0, 1, 3, 0).release_at)
    assert Place(1, 0.0, 5.0).room == 5.0
    assert DwellState([], 3).dwelt == [0, 0, 0]
    from simulator import Simulation, load_scenario

    sim = Simulation(load_scenario(ROOT / "tests" / "data" / "scenarios" / "tiny.yaml"), seed=1)
    assert sim.world.now == sim.scenario.settings.start_s and sim.world.events == 0


CROSS = """
import hashlib, json, sys
from simulator import Simulation, Snapshot, load_scenario
sc = load_scenario(sys.argv[2])
if sys.argv[1] == "take":
    sim = Simulation(sc, seed=3)
    sim.run(until=sc.ingress.kickoff_s - 1800)
    print(json.dumps(sim.snapshot().to_dict()))
else:
    sim = Simulation(sc, seed=3, snapshot=Snapshot.from_dict(json.load(sys.stdin)))
    sim.run()
    print(hashlib.sha256(sim.result().summary.to_json().encode()).hexdigest())
"""


@needs_compiled
def test_a_snapshot_taken_compiled_resumes_the_same_on_either_path() -> None:
    tiny = str(ROOT / "tests" / "data" / "scenarios" / "tiny.yaml")

    def run(interpreted: bool, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "-c", CROSS, *args, tiny],
            input=stdin,
            env=_env(interpreted),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.strip()

    snapshot = run(False, "take")
    assert run(False, "resume", stdin=snapshot) == run(True, "resume", stdin=snapshot)
