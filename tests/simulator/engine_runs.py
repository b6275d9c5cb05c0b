"""Record what every ``Simulation`` in a process computes, to compare two engine paths.

``tests/simulator/test_compiled.py`` runs the same work twice in subprocesses, once on the
compiled engine and once with ``MATCHDAY_INTERPRETED=1``, and requires the records to be equal:

* ``python engine_runs.py OUT``: every bundled scenario and variant (``scenarios/``) and the
  test data's scenarios and variants, each a whole match day, plus a warm start from a snapshot;
* ``python -m pytest tests/validation -p engine_runs`` with ``MATCHDAY_RECORD_RUNS=OUT``: every
  run the validation tests make, keyed by test id.

A record is, after each ``run()`` stretch, the clock, the events processed and the fans arrived,
seated and gone, and for each ``result()`` the summary's canonical JSON (``summary.json`` without
the file's three added keys) with the sha256 of the fans table (every party's times) and of the
time series. Not a test module: pytest does not collect it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa

RECORD_ENV = "MATCHDAY_RECORD_RUNS"
ROOT = Path(__file__).resolve().parents[2]
# variant file name prefix -> the scenario it patches
VARIANT_BASES = {
    "smv": "stade_mohammed_v",
    "benslimane": "grand_stade_hassan_ii",
    "marrakech": "grand_stade_marrakech",
    "tiny": "tiny",
}
SEED = 7
# Fans per scenario, at most: a whole day of every scenario at full attendance costs minutes
# interpreted; fewer fans take the same code paths through the same days (ingress, half-time,
# egress, transport). The README's demo venue runs in full, queues and spill-back and all.
MAX_FANS = 15_000
FULL = "stade_mohammed_v"

_records: dict[str, list[Any]] = defaultdict(list)
_label = ["<outside a test>"]


def _table_digest(table: pa.Table) -> str:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


def install() -> None:
    """Wrap ``Simulation._advance`` and ``Simulation.result`` (interpreted in both paths) to
    record their outcome under the current label."""
    from simulator.engine.simulation import Simulation

    advance, result = Simulation._advance, Simulation.result

    def recorded_advance(self: Simulation, *args: Any, **kwargs: Any) -> None:
        advance(self, *args, **kwargs)
        w = self.world
        _records[_label[0]].append(["advance", w.now, w.events, w.arrived, w.seated, w.left])

    def recorded_result(self: Simulation) -> Any:
        out = result(self)
        _records[_label[0]].append(
            [
                "result",
                out.summary.to_json(),
                _table_digest(out.fans),
                _table_digest(out.timeseries),
            ]
        )
        return out

    Simulation._advance = recorded_advance  # type: ignore[method-assign]
    Simulation.result = recorded_result  # type: ignore[method-assign]


def write(path: str | Path) -> None:
    from simulator.engine import engine_path

    doc = {"engine": engine_path(), "runs": _records}
    Path(path).write_text(json.dumps(doc, sort_keys=True))


# -- as a pytest plugin (-p engine_runs) ------------------------------------------------------
def pytest_configure(config: Any) -> None:
    if os.environ.get(RECORD_ENV):
        install()


def pytest_runtest_setup(item: Any) -> None:
    _label[0] = item.nodeid


def pytest_unconfigure(config: Any) -> None:
    if os.environ.get(RECORD_ENV):
        write(os.environ[RECORD_ENV])


# -- as a script: the bundled scenarios ---------------------------------------------------------
def bundled() -> list[tuple[str, Any]]:
    """(name, scenario) for every scenario and variant file shipped or in the test data."""
    from simulator import load_scenario
    from simulator.whatif.variants import load_variant, variant_scenario

    files = {p.stem: p for p in sorted((ROOT / "scenarios").glob("*.yaml"))}
    files["tiny"] = ROOT / "tests" / "data" / "scenarios" / "tiny.yaml"
    out = [(name, load_scenario(path)) for name, path in files.items()]
    variants = [
        *sorted((ROOT / "scenarios" / "variants").glob("*.yaml")),
        *sorted((ROOT / "tests" / "data" / "variants").glob("tiny_*.yaml")),
    ]
    for path in variants:
        base = VARIANT_BASES[path.stem.split("_")[0]]  # KeyError: map a new variant's base
        out.append((f"{base}+{path.stem}", variant_scenario(files[base], load_variant(path))))
    return [(name, sc if name == FULL else _at_most(sc, MAX_FANS)) for name, sc in out]


def _at_most(scenario: Any, fans: int) -> Any:
    """``scenario`` with its attendance cut so that at most ``fans`` come."""
    ingress = scenario.ingress
    seats = sum(s.seats for s in scenario.venue.sectors)
    if ingress is None or seats * ingress.attendance <= fans:
        return scenario
    return dataclasses.replace(
        scenario, ingress=dataclasses.replace(ingress, attendance=fans / seats)
    )


def main(out: str) -> None:
    from simulator import Simulation

    install()
    for name, scenario in bundled():
        _label[0] = name
        sim = Simulation(scenario, seed=SEED)
        sim.run()
        sim.result()
    # a warm start: snapshot mid-ingress, resume in a new Simulation, finish the day
    name, scenario = next((n, s) for n, s in bundled() if n == "tiny")
    _label[0] = f"{name} (warm start)"
    sim = Simulation(scenario, seed=SEED)
    sim.run(until=scenario.ingress.kickoff_s - 1800)
    warm = Simulation(scenario, seed=SEED, snapshot=sim.snapshot())
    warm.run()
    warm.result()
    write(out)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main(sys.argv[1])
