"""The twin's cycle time with and without a crowd of dashboard pages, in one run.

Shared by the always-on load test (``test_load.py``) and the 1,000-page benchmark
(``benchmarks/bench_dashboard.py``). Everything is real and laid out as ``matchday live`` lays
it out: the in-process bus, the twin and its service on this (the main) thread, the dashboard's
reader and web server on their own threads via ``serve``; the counts come from the ``--fast``
replay. The pages are ``streams.dashboard.loadtest`` in a separate process (its CPU must not
be the server's GIL), which also probes ``/healthz`` throughout.

Phases: ``cycles`` twin cycles with no page open, the same number with the crowd connected,
and the same number again after it left (so slow drift of a shared machine shows up as
before/after disagreeing, not as an effect of the crowd). A cycle is one minute of match
clock: four camera rounds published, the service's pump and the twin's cycle (assimilate,
forecast, rules, alerts), timed together, half an hour after kick-off, where the twin's work
per minute is steady.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from simulator.scenario.loader import load_scenario
from streams.bus import InProcessBus
from streams.cameras import demo_cameras
from streams.dashboard import serve
from streams.inbox import Publisher
from streams.live import default_start, match_day
from streams.plausible import count_limits
from streams.replay import CountReplay
from streams.ruleset import RuleSet
from streams.service import TwinService
from streams.twin import DigitalTwin, TwinSettings

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "stade_mohammed_v.yaml"
TOKEN = "load-test-operator-token"
READY_TIMEOUT_S = 90.0


@dataclass
class LoadRun:
    """Cycle times (s) before, with and after the crowd; the crowd's and the server's figures."""

    before: list[float] = field(default_factory=list)
    during: list[float] = field(default_factory=list)
    after: list[float] = field(default_factory=list)
    cpu: dict[str, list[float]] = field(default_factory=dict)  # the twin thread's CPU seconds
    process_cpu: dict[str, list[float]] = field(default_factory=dict)  # the live process's
    crowd: dict[str, Any] = field(default_factory=dict)
    streams: dict[str, int] = field(default_factory=dict)
    connect_s: float = 0.0  # from starting the crowd until every page had its answer

    @property
    def quiet_median_s(self) -> float:
        return statistics.median(self.before + self.after)

    @property
    def loaded_median_s(self) -> float:
        return statistics.median(self.during)

    @property
    def ratio(self) -> float:
        return self.loaded_median_s / self.quiet_median_s

    @property
    def cpu_ratio(self) -> float:
        """The twin's CPU per cycle, crowd / no crowd: >1 only if the twin itself did more.

        The wall-clock ratio also holds what the machine's other work took from it; on a shared
        machine the two together tell the crowd's effect from the neighbours'.
        """
        return _ratio(self.cpu)

    @property
    def process_cpu_ratio(self) -> float:
        """The live process's CPU per cycle (all its threads), crowd / no crowd.

        With the web server on a thread of the live process this grows with every page; with
        it in its own process it must not.
        """
        return _ratio(self.process_cpu)

    @property
    def other_threads_cpu_share(self) -> float:
        """CPU of the live process's other threads per crowded cycle, over the quiet twin cycle.

        The process's CPU less the twin thread's is whatever else the live process did (web
        work, if the server ran on one of its threads). Unlike a ratio of CPU times it does not
        move when the machine's neighbours slow every instruction (shared caches on two cores
        raised the twin's own CPU per cycle by up to 26% under the crowd in CI).
        """
        quiet = statistics.median(self.cpu["before"] + self.cpu["after"])
        during = zip(self.process_cpu["during"], self.cpu["during"], strict=True)
        others = [process - twin for process, twin in during]
        return statistics.median(others) / quiet

    def figures(self) -> dict[str, Any]:
        return {
            "cycle_s_before": round(statistics.median(self.before), 4),
            "cycle_s_during": round(self.loaded_median_s, 4),
            "cycle_s_after": round(statistics.median(self.after), 4),
            "ratio_during_to_quiet": round(self.ratio, 3),
            "cpu_ratio_during_to_quiet": round(self.cpu_ratio, 3),
            "process_cpu_ratio_during_to_quiet": round(self.process_cpu_ratio, 3),
            "other_threads_cpu_share": round(self.other_threads_cpu_share, 3),
            "connect_s": round(self.connect_s, 2),
            **{f"crowd_{k}": v for k, v in self.crowd.items()},
            **{f"streams_{k}": v for k, v in self.streams.items()},
        }


def _ratio(phases: dict[str, list[float]]) -> float:
    quiet = statistics.median(phases["before"] + phases["after"])
    return statistics.median(phases["during"]) / quiet


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Twin:
    """The live loop's work, one match minute per call, driven by the caller's pace."""

    def __init__(self, bus: InProcessBus, scenario_path: Path) -> None:
        self.scenario = load_scenario(scenario_path)
        self.day = match_day(date(2030, 7, 21))
        ingress = self.scenario.ingress  # half an hour into the match: a steady load, so the
        # phases differ only by the crowd of pages (egress grows the twin's work minute by minute)
        self.clock = ingress.kickoff_s + 1800 if ingress else default_start(self.scenario)
        cameras = demo_cameras(self.scenario)
        twin = DigitalTwin(
            self.scenario,
            cameras,
            RuleSet(),
            day=self.day,
            start_s=self.clock,
            settings=TwinSettings(seed=0),
        )
        self.twin = twin
        self.service = TwinService(bus, twin)
        self.replay = CountReplay(self.scenario, cameras, day=self.day, start_s=self.clock, seed=1)
        self.publisher = Publisher(bus)
        self.cpu: list[float] = []
        self.process_cpu: list[float] = []

    def minute(self) -> float:
        start, cpu, process = time.perf_counter(), time.thread_time(), _process_cpu()
        for k in range(4):
            for message in self.replay.counts(self.clock + 15 * k):
                self.publisher.publish(message, key=message.camera)
        self.clock += 60
        self.service.pump(self.clock)
        self.service.cycle(self.clock)
        self.cpu.append(time.thread_time() - cpu)
        self.process_cpu.append(_process_cpu() - process)
        return time.perf_counter() - start


def run(
    clients: int,
    *,
    cycles: int = 6,
    max_streams: int = 256,
    scenario_path: Path = SCENARIO,
    process: bool = True,
) -> LoadRun:
    """Measure the twin's cycles before, during and after ``clients`` pages stream."""
    bus = InProcessBus()
    twin = _Twin(bus, scenario_path)
    board = serve(
        bus,
        twin.scenario,
        port=0,
        tokens={"operator": TOKEN},
        escalation=twin.twin.rules.lifecycle.escalation,
        day=twin.day,
        limits=count_limits(twin.scenario, twin.day),
        max_streams=max_streams,
        process=process,
    )
    result = LoadRun()
    try:
        twin.minute()  # first cycle: imports, caches
        result.before = [twin.minute() for _ in range(cycles)]
        crowd = _start_crowd(board.url, clients)
        try:
            result.connect_s = _wait_ready(crowd)
            result.during = [twin.minute() for _ in range(cycles)]
            result.crowd = _finish(crowd)
        finally:
            if crowd.poll() is None:
                crowd.kill()
                crowd.wait(10)
        result.after = [twin.minute() for _ in range(cycles)]
        result.cpu = _phases(twin.cpu[1:], cycles)
        result.process_cpu = _phases(twin.process_cpu[1:], cycles)
        with urllib.request.urlopen(f"{board.url}healthz", timeout=10) as reply:
            result.streams = json.load(reply)["streams"]
    finally:
        board.stop()
        twin.service.close()
    return result


def _phases(values: list[float], cycles: int) -> dict[str, list[float]]:
    return {
        "before": values[:cycles],
        "during": values[cycles : 2 * cycles],
        "after": values[2 * cycles :],
    }


def _start_crowd(url: str, clients: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "streams.dashboard.loadtest",
        url.rstrip("/"),
        "--clients",
        str(clients),
        "--seconds",
        "300",  # a bound; the harness ends it by closing stdin
        "--until-stdin-closes",
        "--nice",
        "10",  # it stands in for browsers on other machines: the server's CPU comes first
    ]
    return subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def _wait_ready(crowd: subprocess.Popen[str]) -> float:
    """Seconds until every page of the crowd had its answer (200 or 503)."""
    start = time.monotonic()
    seen: list[str] = []
    ready = threading.Event()

    def watch() -> None:
        assert crowd.stderr is not None
        for line in crowd.stderr:
            seen.append(line)
            if line.strip() == "ready":
                ready.set()

    threading.Thread(target=watch, daemon=True).start()
    if not ready.wait(READY_TIMEOUT_S):
        raise AssertionError(
            f"the crowd did not connect within {READY_TIMEOUT_S} s: {''.join(seen)[-2000:]}"
        )
    return time.monotonic() - start


def _finish(crowd: subprocess.Popen[str]) -> dict[str, Any]:
    assert crowd.stdin is not None
    crowd.stdin.close()  # the crowd closes its pages and reports
    crowd.wait(60)
    assert crowd.stdout is not None
    out = crowd.stdout.read()
    if crowd.returncode != 0:
        raise AssertionError(f"the crowd process failed ({crowd.returncode}): {out[-2000:]}")
    figures: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return figures
