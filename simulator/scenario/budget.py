"""How much memory and time a run will need, estimated before it starts, and a limit on both.

A valid scenario can still be unrunnable: 10,000,000 seats, a 100 km walkway (the engine keeps
a speed table entry per person a link can hold), or a sample every microsecond. Such a run
used to end in ``MemoryError`` after a minute; the estimate refuses it in milliseconds, names
the field that drives it, and says how to override.

The per-unit costs were measured on the bundled scenarios (``ru_maxrss`` and wall time of a
full run on one core; about 1.4 kB and 55 us per fan at 45,000 seats) and are rounded up, so the
figures are an upper estimate, not a promise.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.crowd.registry import create_model
from simulator.errors import Problem
from simulator.scenario.model import Scenario

BYTES_PER_FAN = 2_000  # party, records, fans table row
BYTES_PER_CELL = 80  # a link's speed and supply tables: one entry per person it can hold
BYTES_PER_SAMPLE = 300  # one time-series row (eight columns)
BASE_BYTES = 150e6  # interpreter, numpy, pyarrow, networkx
SECONDS_PER_FAN = 80e-6
SECONDS_PER_SAMPLE = 3e-6
DEFAULT_MAX_MEMORY_GB = 8.0
DEFAULT_MAX_MINUTES = 120.0


@dataclass(frozen=True)
class Budget:
    """Estimated size of one run; ``memory_gb`` and ``minutes`` are upper estimates."""

    fans: float
    link_cells: float
    samples: float
    memory_gb: float
    minutes: float
    driver: str  # YAML path of the largest contributor, for the message


def estimate(scenario: Scenario) -> Budget:
    """Fans, link storage and time-series rows a run of ``scenario`` makes, and their cost."""
    s, v = scenario.settings, scenario.venue
    attendance = scenario.ingress.attendance if scenario.ingress is not None else 0.0
    seated = v.seats * attendance
    sourced = sum(
        src.rate_per_s * (src.end_s - src.start_s) * src.party_size for src in scenario.sources
    )
    k_jam = create_model(s.pedestrian_model, s.model_params).k_jam
    cells = [max(1.0, k_jam * link.length_m * link.width_m) for link in v.links]
    n_elements = len(v.node_ids()) + len(v.links)
    samples = (s.end_s - s.start_s) / s.sample_interval_s * n_elements
    vehicles = _vehicles(scenario)
    parts = {
        "transport.lines (headway_s)": vehicles * BYTES_PER_SAMPLE,
        "venue.sectors (seats x ingress.attendance)": seated * BYTES_PER_FAN,
        "sources (rate_per_s x duration x party_size)": sourced * BYTES_PER_FAN,
        "venue.links (length_m x width_m)": sum(cells) * BYTES_PER_CELL,
        "settings.sample_interval_s": samples * BYTES_PER_SAMPLE,
    }
    driver = max(parts, key=parts.__getitem__)
    if driver.startswith("venue.links") and cells:
        driver = f"venue.links[{max(range(len(cells)), key=cells.__getitem__)}]"
    memory = BASE_BYTES + sum(parts.values())
    seconds = (seated + sourced) * SECONDS_PER_FAN + (samples + vehicles) * SECONDS_PER_SAMPLE
    cap = 1e18  # keeps an absurd estimate printable (1e-320 s intervals make it infinite)
    return Budget(
        min(seated + sourced, cap),
        min(sum(cells), cap),
        min(samples, cap),
        min(memory / 1e9, cap),
        min(seconds / 60, cap),
        driver,
    )


def _vehicles(scenario: Scenario) -> float:
    """Vehicle calls over the run: each is a few events, so a 1e-9 s headway never ends."""
    transport = getattr(scenario, "transport", None)
    if transport is None:
        return 0.0
    start, end = scenario.settings.start_s, scenario.settings.end_s
    calls = 0.0
    for line in transport.lines:
        if line.headway_s is None:
            calls += len(line.timetable)
            continue
        first = line.service_start_s if line.service_start_s is not None else start
        last = line.service_end_s if line.service_end_s is not None else end
        calls += max(0.0, last - first) / line.headway_s
    return calls


def check_budget(
    scenario: Scenario,
    *,
    max_memory_gb: float = DEFAULT_MAX_MEMORY_GB,
    max_minutes: float = DEFAULT_MAX_MINUTES,
) -> list[Problem]:
    """A problem for each limit the run would pass, naming the figure and how to override."""
    b = estimate(scenario)
    where = scenario.source_path
    size = f"{b.fans:,.0f} fans, {b.link_cells:,.0f} link places, {b.samples:,.0f} samples"
    problems = []
    if b.memory_gb > max_memory_gb:
        problems.append(
            Problem(
                where,
                b.driver,
                f"a run within {max_memory_gb:g} GB of memory (make it smaller, or pass "
                f"--max-memory-gb {_up(b.memory_gb)} to run anyway)",
                f"{size}: needs about {b.memory_gb:,.1f} GB",
            )
        )
    if b.minutes > max_minutes:
        problems.append(
            Problem(
                where,
                b.driver,
                f"a run within {max_minutes:g} minutes (make it smaller, or pass "
                f"--max-minutes {_up(b.minutes)} to run anyway)",
                f"{size}: needs about {b.minutes:,.0f} minutes",
            )
        )
    return problems


def _up(value: float) -> str:
    """A round limit just above ``value`` for the override hint."""
    return f"{max(1, int(value * 1.2) + 1):d}"
