"""KPIs of a run: pure, keyword-only functions of its records, returning the summary dict.

The summary has exactly the JSON-ready shape of the engine contract; numbers are plain floats
and ints so ``json.dumps(summary, sort_keys=True)`` is byte-identical for the same seed.

Fan counts: ``arrived`` (reached their origin, sources' arrivals included), ``seated`` (ever
reached their seat), ``left`` (reached an exit or origin), ``dropped`` (lost by a loss-system
source, or removed by assimilation), ``in_venue`` (summed over the element occupancies, so
``arrived == dropped + in_venue + left`` is a real check). ``time_to_clear_s`` is None while any
ticket holder has not left; link ``mean_occupancy`` and ``share_time_full`` are exact time
averages over the run, densities and LoS minutes come from the minute samples.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from simulator.results.records import CheckpointStats, FanCounts, LinkStats
from simulator.scenario.model import Scenario
from simulator.venue.los import LEVELS


def los_minutes(*, timeseries: pa.Table, interval_s: float) -> dict[str, dict[str, Any]]:
    """Per element: peak density, worst LoS, minutes sampled at LoS E and F."""
    out: dict[str, dict[str, Any]] = {}
    elements = timeseries.column("element").to_pylist()
    density = timeseries.column("density_per_m2").to_pylist()
    los = timeseries.column("los").to_pylist()
    minutes = interval_s / 60.0
    for e, k, level in zip(elements, density, los, strict=True):
        row = out.get(e)
        if row is None:
            row = out[e] = {
                "peak_density_per_m2": 0.0,
                "peak_los": "A",
                "minutes_at_los_e": 0.0,
                "minutes_at_los_f": 0.0,
            }
        if k > row["peak_density_per_m2"]:
            row["peak_density_per_m2"] = float(k)
        if level and LEVELS.index(level) > LEVELS.index(row["peak_los"]):
            row["peak_los"] = level
        if level == "E":
            row["minutes_at_los_e"] += minutes
        elif level == "F":
            row["minutes_at_los_f"] += minutes
    return out


def checkpoint_kpis(
    *, stats: Mapping[str, CheckpointStats], los: Mapping[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    out = {}
    for cp_id, s in stats.items():
        waits = np.asarray(s.waits, dtype=float)
        p50, p95 = np.percentile(waits, [50, 95]) if waits.size else (0.0, 0.0)
        out[cp_id] = {
            "served": int(s.served),
            "p50_wait_s": float(p50),
            "p95_wait_s": float(p95),
            "max_wait_s": float(waits.max()) if waits.size else 0.0,
            "peak_queue": int(s.peak_queue),
            **los.get(cp_id, _empty_los()),
        }
    return out


def link_kpis(
    *, stats: Mapping[str, LinkStats], los: Mapping[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    return {
        link_id: {
            **los.get(link_id, _empty_los()),
            "throughput": int(s.throughput),
            "mean_occupancy": float(s.mean_occupancy),
            "max_occupancy": int(s.max_occupancy),
            "share_time_full": float(s.share_time_full),
        }
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
) -> dict[str, Any]:
    """The run summary of the engine contract."""
    settings = scenario.settings
    los = los_minutes(timeseries=timeseries, interval_s=settings.sample_interval_s)
    share, clear = ingress_kpis(scenario=scenario, fans=fans)
    return {
        "scenario": scenario.name,
        "seed": int(seed),
        "pedestrian_model": settings.pedestrian_model,
        "flow_caps": settings.flow_caps,
        "start_s": float(settings.start_s),
        "end_s": float(end_s),
        "kickoff_s": float(scenario.ingress.kickoff_s) if scenario.ingress else None,
        "final_whistle_s": float(scenario.egress.final_whistle_s) if scenario.egress else None,
        "fans": {
            "expected": counts.expected,
            "arrived": counts.arrived,
            "seated": counts.seated,
            "left": counts.left,
            "in_venue": counts.in_venue,
            "dropped": counts.dropped,
        },
        "share_seated_at_kickoff": share,
        "time_to_clear_s": clear,
        "checkpoints": checkpoint_kpis(stats=checkpoints, los=los),
        "areas": {a.id: los.get(a.id, _empty_los()) for a in scenario.venue.areas},
        "links": link_kpis(stats=links, los=los),
    }


def _empty_los() -> dict[str, Any]:
    return {
        "peak_density_per_m2": 0.0,
        "peak_los": "A",
        "minutes_at_los_e": 0.0,
        "minutes_at_los_f": 0.0,
    }
