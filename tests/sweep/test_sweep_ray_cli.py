"""``matchday sweep --executor ray`` starting its own local Ray matches the local executor.

Marked slow (~15-30 s: a Ray start plus two sweeps); the faster Ray parity test is in
test_sweep_executors.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sweep_helpers import TINY, VARIANTS
from test_sweep_cli import app, runner


@pytest.mark.slow
def test_ray_sweep_from_the_command_line_matches_local(tmp_path: Path) -> None:
    ray = pytest.importorskip("ray", reason="Ray is the optional matchday[cluster] extra")
    if ray.is_initialized():  # another test's Ray: this test is about starting its own
        ray.shutdown()
    common = ["--seeds", "2", "--workers", "2", "--variant", str(VARIANTS / "tiny_slow_gate.yaml")]
    for executor in ("local", "ray"):
        args = [
            "sweep",
            str(TINY),
            *common,
            "--executor",
            executor,
            "--out",
            str(tmp_path / executor),
        ]
        result = runner.invoke(app(), args)
        assert result.exit_code == 0, result.output
    assert not ray.is_initialized()  # the executor shut down the Ray it started
    local, on_ray = (
        json.loads((tmp_path / e / "comparison.json").read_text()) for e in ("local", "ray")
    )
    assert on_ray == local
