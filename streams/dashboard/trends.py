"""Trend lines per zone: observed density, the twin's estimate, its latest forecast, queue waits.

Each series is a bounded ring of (match clock seconds, value) points, so a page that joins late
sees the last few hours and memory stays flat over a long match day. The forecast series is
replaced by every new forecast (only the latest prediction is worth drawing).
"""

from __future__ import annotations

from collections import deque
from typing import Any

POINTS_KEPT = 360  # per series: six hours of one-minute samples
FORECAST_STEPS = (
    ("density_now_per_m2", 0.0),
    ("density_5min_per_m2", 300.0),
    ("density_10min_per_m2", 600.0),
    ("density_20min_per_m2", 1200.0),
)
RING_SERIES = ("observed", "estimate", "wait", "occupancy")


class Trends:
    """Series per zone: observed, estimate, wait (s), occupancy (persons); forecast (latest)."""

    def __init__(self) -> None:
        self._rings: dict[str, dict[str, deque[tuple[float, float]]]] = {}
        self._forecast: dict[str, list[tuple[float, float]]] = {}

    def add(self, zone: str, series: str, at: float, value: float) -> None:
        """Append one point to a ring series of ``zone``."""
        if series not in RING_SERIES:
            raise ValueError(f"trend series must be one of {RING_SERIES}, got {series!r}")
        rings = self._rings.setdefault(zone, {})
        rings.setdefault(series, deque(maxlen=POINTS_KEPT)).append((at, float(value)))

    def add_forecast(self, row: dict[str, Any], at: float) -> dict[str, Any]:
        """Fold one zone row of a twin.forecast.v1 message; returns the new points for the page."""
        zone = row["zone"]
        self.add(zone, "estimate", at, row["density_now_per_m2"])
        self.add(zone, "occupancy", at, row["occupancy_now"])
        delta: dict[str, Any] = {
            "estimate": [at, row["density_now_per_m2"]],
            "occupancy": [at, row["occupancy_now"]],
        }
        if row.get("mean_wait_s") is not None:
            self.add(zone, "wait", at, row["mean_wait_s"])
            delta["wait"] = [at, row["mean_wait_s"]]
        forecast = [
            (at + offset, float(row[name]))
            for name, offset in FORECAST_STEPS
            if row.get(name) is not None
        ]
        self._forecast[zone] = forecast
        delta["forecast"] = [list(p) for p in forecast]
        return delta

    def series(self, zone: str) -> dict[str, list[list[float]]]:
        """Every series of one zone as lists of [clock_s, value]."""
        rings = self._rings.get(zone, {})
        out = {name: [list(p) for p in rings.get(name, ())] for name in RING_SERIES}
        out["forecast"] = [list(p) for p in self._forecast.get(zone, [])]
        return out

    def payload(self) -> dict[str, dict[str, list[list[float]]]]:
        """All zones' series, for the full state a page loads on (re)connect."""
        zones = set(self._rings) | set(self._forecast)
        return {zone: self.series(zone) for zone in sorted(zones)}
