"""Fixtures for the sweep tests: the tiny scenario, its variant files, one real sweep.

``tiny_sweep`` runs the real engine (baseline + two variants x 4 seeds on the local process
pool) once per session; the compare, report and CLI tests read it rather than running again.
"""

from __future__ import annotations

import pytest
from sweep_helpers import SEEDS, TINY, VARIANTS

from simulator.whatif.sweep import LocalExecutor, SweepResult, plan_sweep, run_sweep


@pytest.fixture(scope="session")
def tiny_sweep() -> SweepResult:
    """A real sweep: baseline, 'more lanes' and 'slow gate', seeds 1..4."""
    plan = plan_sweep(
        TINY,
        [VARIANTS / "tiny_more_lanes.yaml", VARIANTS / "tiny_slow_gate.yaml"],
        seeds=SEEDS,
    )
    return run_sweep(plan, LocalExecutor(workers=2))
