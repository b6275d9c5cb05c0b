"""KPIs of dwelling: each service point's waits and queue, and the half-time concourse peaks.

The half-time peak of a concourse is its densest minute sample between the half-time whistle
and 5 minutes after the interval (late comers still crowd it), graded on its own Fruin scale
as the samples are; the density of the minute before the whistle is given beside it, so a
planner sees the surge half-time adds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pyarrow as pa

from simulator.results.kpis import wait_kpis
from simulator.results.summary import ConcoursePeak, HalftimeKpis, ServiceKpis
from simulator.scenario.dwell_reader import halftime_concourses
from simulator.scenario.model import Scenario

if TYPE_CHECKING:
    from simulator.engine.dwell import DwellState

LATE_WINDOW_S = 300.0  # the window runs on past the interval by this much


def service_kpis(*, scenario: Scenario, state: DwellState, run_s: float) -> dict[str, ServiceKpis]:
    """Per service point: served, waits (p50/p95/max, mean), peak queue, utilisation and the
    fans who gave it up."""
    specs = [(a.id, sp) for a in scenario.venue.areas for sp in a.services]
    out: dict[str, ServiceKpis] = {}
    for (area, sp), bank, balked in zip(specs, state.services, state.balked, strict=True):
        busy = min(bank.busy_s, sp.servers * run_s) if run_s > 0 else 0.0
        out[sp.id] = ServiceKpis(
            area=area,
            kind=sp.kind,
            servers=sp.servers,
            served=int(bank.started),
            waits=wait_kpis(bank.waits, with_mean=True),
            peak_queue=int(bank.peak_queue),
            utilisation=busy / (sp.servers * run_s) if run_s > 0 else 0.0,
            balked=int(balked),
        )
    return out


def halftime_kpis(
    *, scenario: Scenario, state: DwellState, timeseries: pa.Table
) -> HalftimeKpis | None:
    """Half-time counts and each half-time concourse's peak; None without ``halftime:``."""
    ht = scenario.halftime
    if ht is None:
        return None
    concourses = sorted(set(halftime_concourses(scenario).values()))
    return HalftimeKpis(
        start_s=ht.start_s,
        end_s=ht.end_s,
        fans_left_seats=int(state.ht_out),
        fans_back=int(state.ht_back),
        fans_back_late=int(state.ht_late),
        concourses=_peaks(timeseries, concourses, ht.start_s, ht.end_s + LATE_WINDOW_S),
    )


def _peaks(
    timeseries: pa.Table, elements: list[str], start: float, end: float
) -> Mapping[str, ConcoursePeak]:
    wanted = set(elements)
    best: dict[str, tuple[float, str, float, int]] = {}
    before: dict[str, float] = {}
    cols = (timeseries.column(c).to_pylist() for c in ("time_s", "element", "density_per_m2"))
    times, names, density = cols
    los = timeseries.column("los").to_pylist()
    occ = timeseries.column("occupancy").to_pylist()
    for t, e, k, level, n in zip(times, names, density, los, occ, strict=True):
        if e not in wanted:
            continue
        if start - 60.0 <= t < start:
            before[e] = float(k)
        if start <= t <= end and (e not in best or k > best[e][0]):
            best[e] = (float(k), str(level), float(t), int(n))
    return {
        e: ConcoursePeak(*best.get(e, (0.0, "A", start, 0)), before.get(e, 0.0)) for e in elements
    }
