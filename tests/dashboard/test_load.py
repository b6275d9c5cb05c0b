"""A crowd of pages must not slow the twin, and /healthz must answer throughout (always on).

200 pages (150 allowed to stream, so 50 are turned away) against the real dashboard of a
``matchday live`` set-up on Stade Mohammed V; the twin's cycle time is measured before, during
and after in the same run (``load_harness``). The 1,000-page version is
``benchmarks/bench_dashboard.py``. Bound: the crowd runs only while the twin does its cycles
and is closed by the harness; the whole test takes about half a minute.
"""

from __future__ import annotations

import pytest

from .load_harness import run

pytestmark = [pytest.mark.load, pytest.mark.integration]
# The twin's median cycle with the crowd / without, in the same run. Wall time also holds what
# other work on the machine took (a shared 2-core box varies by tens of per cent minute to
# minute). CPU time is steadier but not free of it: the crowd's process competes for the same
# caches, and the twin thread's CPU per cycle rose to 1.26x in one CI run with no more work done
# (its own quiet cycles spread 0.68-1.05 s). So the work the crowd could add is bounded where it
# would show: the live process's other threads (web work, had the server run on one) may take
# at most a tenth of a quiet cycle (measured: 0.009 with the server in its own process, 0.14
# with it on a thread of the live process, 200 pages); the twin's own CPU and the wall time get
# bounds that still catch the old layout's failure (a live run 3.1x slower under 1,000 pages).
SLOWER_AT_MOST = 2.0
CPU_AT_MOST = 1.6
OTHER_THREADS_AT_MOST = 0.1


def test_200_pages_neither_slow_the_twin_nor_silence_healthz() -> None:
    result = run(200, cycles=5, max_streams=150)
    crowd = result.crowd
    print(result.figures())
    assert crowd["failed"] == 0, crowd["errors"]  # no time-outs, no resets: everyone answered
    assert crowd["accepted"] == 150 and crowd["accepted_without_bytes"] == 0
    assert crowd["accepted_with_updates"] == 150  # every stream got news while the twin ran
    assert crowd["refused_503"] == 50 and crowd["refused_with_retry_after"] == 50
    assert crowd["probes"] >= 1 and crowd["probes_failed"] == 0  # /healthz answered each time
    assert result.streams["refused"] == 50 and result.streams["open"] == 0
    assert result.cpu_ratio <= CPU_AT_MOST, result.figures()
    assert result.other_threads_cpu_share <= OTHER_THREADS_AT_MOST, result.figures()
    assert result.ratio <= SLOWER_AT_MOST, result.figures()
