"""KPIs of a run: pure, keyword-only functions of its records, returning the typed summary.

``summarize`` returns a ``RunSummary`` (``simulator.results.summary``) whose ``to_json()`` is
byte-identical for the same seed; numbers are plain floats and ints.

Fan counts: ``arrived`` (reached their origin, sources' arrivals included), ``seated`` (ever
reached their seat), ``left`` (reached an exit or origin), ``dropped`` (lost by a loss-system
source, or removed by assimilation), ``in_venue`` (summed over the element occupancies, so
``arrived == dropped + in_venue + left`` is a real check). ``time_to_clear_s`` is None while any
ticket holder has not left; link ``mean_occupancy`` and ``share_time_full`` are exact time
averages over the run, densities and LoS minutes come from the minute samples.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from simulator.results.records import CheckpointStats, FanCounts, LinkStats
from simulator.results.summary import (
    CheckpointKpis,
    LinkKpis,
    LosKpis,
    RunHeader,
    RunSummary,
    StageKpis,
    WaitKpis,
)
from simulator.scenario.digest import scenario_digest
from simulator.scenario.model import Scenario
from simulator.venue.los import LEVELS


def los_minutes(*, timeseries: pa.Table, interval_s: float) -> dict[str, LosKpis]:
    """Per element: peak density, worst LoS, minutes sampled at LoS E and F."""
    acc: dict[str, list[Any]] = {}
    elements = timeseries.column("element").to_pylist()
    density = timeseries.column("density_per_m2").to_pylist()
    los = timeseries.column("los").to_pylist()
    minutes = interval_s / 60.0
    for e, k, level in zip(elements, density, los, strict=True):
        row = acc.get(e)
        if row is None:
            row = acc[e] = [0.0, "A", 0.0, 0.0]
        if k > row[0]:
            row[0] = float(k)
        if level and LEVELS.index(level) > LEVELS.index(row[1]):
            row[1] = level
        if level == "E":
            row[2] += minutes
        elif level == "F":
            row[3] += minutes
    return {e: LosKpis(*row) for e, row in acc.items()}


def wait_kpis(waits: Sequence[float], *, with_mean: bool = False) -> WaitKpis:
    """Median, 95th percentile and maximum of the waits (seconds); all 0 when nobody waited."""
    arr = np.asarray(waits, dtype=float)
    if not arr.size:
        return WaitKpis(mean_wait_s=0.0 if with_mean else None)
    p50, p95 = np.percentile(arr, [50, 95])
    mean = float(arr.mean()) if with_mean else None
    return WaitKpis(float(p50), float(p95), float(arr.max()), mean)


def checkpoint_kpis(
    *,
    stats: Mapping[str, CheckpointStats],
    los: Mapping[str, LosKpis],
    stages: Mapping[str, str] | None = None,
) -> dict[str, CheckpointKpis]:
    """Per checkpoint; ``stages`` gives each checkpoint's stage (default ``ticket``)."""
    stage = stages or {}
    return {
        cp_id: CheckpointKpis(
            int(s.served),
            wait_kpis(s.waits),
            int(s.peak_queue),
            los.get(cp_id, LosKpis()),
            stage.get(cp_id, "ticket"),
        )
        for cp_id, s in stats.items()
    }


def stage_kpis(*, scenario: Scenario, stats: Mapping[str, CheckpointStats]) -> dict[str, StageKpis]:
    """The access chain per stage: every checkpoint of a stage taken together."""
    out: dict[str, StageKpis] = {}
    for stage in ("perimeter", "ticket"):
        members = [cp for cp in scenario.venue.checkpoints if cp.stage == stage]
        if not members:
            continue
        waits = [w for cp in members if cp.id in stats for w in stats[cp.id].waits]
        out[stage] = StageKpis(
            checkpoints=len(members),
            lanes=sum(cp.lanes for cp in members),
            capacity_per_h=float(sum(cp.lanes * 3600.0 / cp.service.mean for cp in members)),
            served=sum(int(stats[cp.id].served) for cp in members if cp.id in stats),
            waits=wait_kpis(waits, with_mean=True),
            peak_queue=max(
                (int(stats[cp.id].peak_queue) for cp in members if cp.id in stats), default=0
            ),
        )
    return out


def link_kpis(*, stats: Mapping[str, LinkStats], los: Mapping[str, LosKpis]) -> dict[str, LinkKpis]:
    return {
        link_id: LinkKpis(
            int(s.throughput),
            float(s.mean_occupancy),
            int(s.max_occupancy),
            float(s.share_time_full),
            los.get(link_id, LosKpis()),
        )
        for link_id, s in stats.items()
    }


def ingress_kpis(*, scenario: Scenario, fans: pa.Table) -> tuple[float | None, float | None]:
    """(share seated at kick-off, time to clear after the final whistle) over ticket holders."""
    sector = np.asarray(fans.column("sector").to_pylist(), dtype=object)
    ticketed = sector != ""
    n = int(ticketed.sum())
    share = clear = None
    if scenario.ingress is not None and n:
        seated = fans.column("seated_s").to_numpy()[ticketed]
        share = float(np.sum(seated <= scenario.ingress.kickoff_s) / n)
    if scenario.egress is not None and n:
        left = fans.column("left_s").to_numpy()[ticketed]
        if not np.isnan(left).any():
            clear = float(left.max() - scenario.egress.final_whistle_s)
    return share, clear


def summarize(
    *,
    scenario: Scenario,
    seed: int,
    end_s: float,
    counts: FanCounts,
    fans: pa.Table,
    timeseries: pa.Table,
    links: Mapping[str, LinkStats],
    checkpoints: Mapping[str, CheckpointStats],
    los: Mapping[str, LosKpis] | None = None,
) -> RunSummary:
    """The run summary (``los``: ``los_minutes`` of the time series, if already computed)."""
    settings = scenario.settings
    if los is None:
        los = los_minutes(timeseries=timeseries, interval_s=settings.sample_interval_s)
    share, clear = ingress_kpis(scenario=scenario, fans=fans)
    header = RunHeader(
        scenario=scenario.name,
        seed=int(seed),
        pedestrian_model=settings.pedestrian_model,
        flow_caps=settings.flow_caps,
        start_s=float(settings.start_s),
        end_s=float(end_s),
        kickoff_s=float(scenario.ingress.kickoff_s) if scenario.ingress else None,
        final_whistle_s=float(scenario.egress.final_whistle_s) if scenario.egress else None,
        scenario_digest=scenario_digest(scenario),
    )
    return RunSummary(
        header=header,
        fans=counts,
        share_seated_at_kickoff=share,
        time_to_clear_s=clear,
        checkpoints=checkpoint_kpis(
            stats=checkpoints,
            los=los,
            stages={cp.id: cp.stage for cp in scenario.venue.checkpoints},
        ),
        stages=stage_kpis(scenario=scenario, stats=checkpoints),
        areas={a.id: los.get(a.id, LosKpis()) for a in scenario.venue.areas},
        links=link_kpis(stats=links, los=los),
    )
