"""Transport's share of the records: time-series rows per line and the summary sections.

Pure functions of the run's ``TransportState`` (and the per-element LoS already computed from
the time series); the summary sections come back as typed ``TransportKpis``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.results.kpis import wait_kpis
from simulator.results.summary import (
    CarParkKpis,
    LineKpis,
    LosKpis,
    PlatformKpis,
    RoadKpis,
    TransportKpis,
)
from simulator.transport.model import Transport
from simulator.transport.state import TransportState


def sample_lines(
    *,
    state: TransportState,
    transport: Transport,
    now: float,
    interval_s: float,
    samples: dict[str, list[Any]],
) -> None:
    """Append one "line" row per line: fans aboard now, fans departed per minute, mean wait."""
    per_min = 60.0 / interval_s
    for line, veh in zip(transport.lines, state.vehicles, strict=True):
        while veh.in_service and veh.in_service[0][0] <= now:
            veh.in_service.popleft()
        aboard = sum(load for _, load in veh.in_service)
        wait = veh.wait_sum / veh.wait_n if veh.wait_n else 0.0
        samples["time_s"].append(now)
        samples["element"].append(line.id)
        samples["element_type"].append("line")
        samples["occupancy"].append(aboard)
        samples["density_per_m2"].append(0.0)
        samples["los"].append("")
        samples["outflow_per_min"].append(veh.departed * per_min)
        samples["mean_wait_s"].append(wait)
        veh.departed, veh.wait_sum, veh.wait_n = 0, 0.0, 0


def transport_kpis(
    *,
    state: TransportState,
    transport: Transport,
    platform_ids: list[str],
    los: Mapping[str, LosKpis],
    final_whistle_s: float | None,
    time_to_clear_s: float | None,
) -> TransportKpis:
    """The transport sections of the summary: platforms, lines, car parks, roads, leaving."""
    platforms = {
        pid: PlatformKpis(
            lines=tuple(ln.id for ln in transport.lines if ln.platform == pid),
            hold=int(plat.hold) if plat.hold is not None else None,
            peak_queue=int(plat.peak_queue),
            boarded=len(plat.waits),
            waits=wait_kpis(plat.waits, with_mean=True),
            los=los.get(pid),
        )
        for pid, plat in zip(platform_ids, state.platforms, strict=True)
    }
    lines = {
        ln.id: LineKpis(
            trips=int(v.trips),
            departures=int(v.departures),
            passengers=int(v.passengers),
            peak_load=int(v.peak_load),
            mean_load=float(v.passengers / v.trips) if v.trips else 0.0,
            capacity=int(v.capacity),
        )
        for ln, v in zip(transport.lines, state.vehicles, strict=True)
    }
    car_parks = {
        cp.id: CarParkKpis(
            spaces=int(cp.spaces),
            cars_in=int(c.cars_in),
            peak_parked=int(c.peak_parked),
            overflow=int(c.overflow),
            cars_out=int(c.cars_out),
            peak_queue=int(c.peak_queue),
            waits=wait_kpis(c.waits, with_mean=True),
        )
        for cp, c in zip(transport.car_parks, state.cars, strict=True)
    }
    roads = {
        r.id: RoadKpis(
            vehicles_pcu=float(f.vehicles),
            peak_volume_to_capacity=float(f.peak_ratio),
            free_time_s=float(r.free_time_s),
            max_travel_time_s=float(f.max_time),
        )
        for r, f in zip(transport.roads, state.roads, strict=True)
    }
    leave = None  # like time_to_clear_s: only once every ticket holder has left
    if final_whistle_s is not None and time_to_clear_s is not None:
        leave = float(max(time_to_clear_s, state.last_out - final_whistle_s))
    return TransportKpis(platforms, lines, car_parks, roads, leave)
