"""The venue as the live path sees it: zones (elements with a floor) and forecast extraction.

A zone is any scenario element a camera can watch: an area, a link, a checkpoint's queuing
area, an origin with a platform area. Sectors and exits are not zones (seats are not counted).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from simulator.results.names import element_names
from simulator.scenario.model import Scenario
from simulator.venue.elements import venue_elements
from simulator.venue.los import LosScale, fruin_los
from streams.instructions import zone_places

FORECAST_STEPS_S = (300.0, 600.0, 1200.0)  # the +5/+10/+20 min columns of twin.forecast.v1


@dataclass(frozen=True)
class Zone:
    """One watchable element: its type, floor and Fruin scale."""

    id: str
    element_type: str  # origin | area | link | checkpoint
    label: str  # what the report and the map call it: an unnamed link is "A to B"
    floor_m2: float  # 0 = no floor area (a car park without an apron)
    los_scale: LosScale
    mode: str = ""
    place: str = ""  # the kind of place (streams.instructions): what an operator can do there

    def density(self, occupancy: float) -> float:
        return occupancy / self.floor_m2 if self.floor_m2 > 0 else 0.0

    def los(self, density: float) -> str:
        return fruin_los(density, self.los_scale) if self.floor_m2 > 0 else ""


def venue_zones(scenario: Scenario) -> dict[str, Zone]:
    """Every zone of ``scenario`` by id, in the venue vocabulary's order and with its scale."""
    modes = {o.id: o.mode for o in scenario.venue.origins}
    places = zone_places(scenario)
    names = element_names(scenario)  # one name per element for the report, map and alerts
    return {
        e.id: Zone(
            e.id,
            e.kind,
            names.get(e.id, e.name),
            e.floor_m2,
            e.los_scale,
            modes.get(e.id, ""),
            places.get(e.id, ""),
        )
        for e in venue_elements(scenario.venue)
        if e.kind not in ("sector", "exit")
    }


@dataclass(frozen=True)
class ZoneForecast:
    """One zone's forecast: density per sample time after the start, and queue wait."""

    times_s: tuple[float, ...]
    densities: tuple[float, ...]
    max_wait_s: float

    def at(self, clock_s: float) -> float | None:
        """Density at the first sample at or after ``clock_s``; None beyond the horizon."""
        index = int(np.searchsorted(np.asarray(self.times_s), clock_s - 1e-6))
        return self.densities[index] if index < len(self.densities) else None


def forecasts_from(
    timeseries: pa.Table, *, start_s: float, horizon_s: float
) -> dict[str, ZoneForecast]:
    """Per element, the forecast run's samples in (start_s, start_s + horizon_s]."""
    window = timeseries.filter(
        pc.and_(
            pc.greater(timeseries["time_s"], start_s),
            pc.less_equal(timeseries["time_s"], start_s + horizon_s + 1e-6),
        )
    )
    cols = window.select(["element", "time_s", "density_per_m2", "mean_wait_s"]).to_pydict()
    rows: dict[str, tuple[list[float], list[float], list[float]]] = {}
    for element, t, d, w in zip(
        cols["element"], cols["time_s"], cols["density_per_m2"], cols["mean_wait_s"], strict=True
    ):
        times, dens, waits = rows.setdefault(element, ([], [], []))
        times.append(t)
        dens.append(d)
        waits.append(w)
    return {
        e: ZoneForecast(tuple(t), tuple(d), max(w, default=0.0)) for e, (t, d, w) in rows.items()
    }
