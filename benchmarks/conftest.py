"""Benchmark sizes: ``small`` (5,000 seats, quick check) and ``large`` (115,000 seats)."""

from __future__ import annotations

import pytest

from benchmarks.stadium import stadium_yaml
from simulator import Scenario
from simulator.scenario.loader import load_scenario_text

SIZES = {"small": (5_000, 20), "large": (115_000, 60)}


@pytest.fixture(scope="module", params=sorted(SIZES))
def stadium(request: pytest.FixtureRequest) -> tuple[str, Scenario]:
    """(size name, scenario) of a synthetic stadium loaded through the YAML loader."""
    seats, sectors = SIZES[request.param]
    text = stadium_yaml(seats=seats, sectors=sectors)
    return request.param, load_scenario_text(text, source=f"<synthetic {request.param}>")


def pytest_collect_file(file_path, parent):  # type: ignore[no-untyped-def]
    """Collect ``bench_*.py`` here (the project's pytest settings collect ``test_*.py``)."""
    named = file_path.name.startswith("bench_") and file_path.suffix == ".py"
    if named and not parent.session.isinitpath(file_path):  # a path given is collected anyway
        return pytest.Module.from_parent(parent, path=file_path)
    return None
