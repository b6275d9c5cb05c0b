"""The dashboard under 1,000 concurrent event-stream clients on 127.0.0.1 (issue 15, item 4).

Run with ``python -m pytest benchmarks/bench_dashboard.py -s`` (about two minutes). Each case
is one ``tests/dashboard/load_harness.run``: a ``matchday live`` set-up on Stade Mohammed V
(in-process bus, twin on the main thread, ``--fast`` counts), the twin's cycle time measured
before, during and after a crowd of 1,000 pages (a separate, niced process that also probes
``/healthz`` every 0.5 s), all in the same run. Cases:

``process-cap-256``   the default: the dashboard in its own process, at most 256 streams, so
                      744 pages get 503 with ``Retry-After``.
``process-cap-1000``  every page streams.
``threads-cap-256``   the baseline: the same app on threads of the live process (the layout
                      before this change), to show what sharing one interpreter costs.

The figures are printed and kept in ``benchmark.extra_info``-style JSON lines on stdout;
``RESULTS-dashboard.md`` has a run's numbers and the machine they came from.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from dashboard.load_harness import run

pytestmark = pytest.mark.load
CASES = {
    "process-cap-256": dict(max_streams=256, process=True),
    "process-cap-1000": dict(max_streams=1000, process=True),
    "threads-cap-256": dict(max_streams=256, process=False),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_1000_pages(case: str) -> None:
    options = CASES[case]
    result = run(1000, cycles=6, **options)  # type: ignore[arg-type]
    figures = {"case": case, **result.figures()}
    print(json.dumps(figures))
    crowd = result.crowd
    cap = int(options["max_streams"])  # type: ignore[call-overload]
    assert crowd["failed"] == 0, crowd["errors"]
    assert crowd["accepted"] == cap and crowd["accepted_without_bytes"] == 0
    assert crowd["refused_503"] == 1000 - cap == crowd["refused_with_retry_after"]
    assert crowd["probes_failed"] == 0
    if options["process"]:  # wall time also holds the machine's other work: see RESULTS
        assert result.cpu_ratio <= 1.6 and result.other_threads_cpu_share <= 0.1, figures
        assert result.ratio <= 2.0, figures
