"""Fruin Level of Service from density, for the three Fruin scales (walkway, stairs, queuing).

Thresholds are Fruin's space per person in m² (Fruin 1971/1987, see docs/venues.md); density is the
inverse. A level holds while space per person is at least its threshold.
"""

from __future__ import annotations

from typing import Literal

LosScale = Literal["walkway", "stairs", "queuing"]
LEVELS = ("A", "B", "C", "D", "E", "F")

# m² per person at the lower edge of A..E; below the last one is F.
SPACE_THRESHOLDS_M2: dict[str, tuple[float, float, float, float, float]] = {
    "walkway": (3.3, 2.3, 1.4, 0.9, 0.5),
    "stairs": (1.9, 1.4, 0.9, 0.7, 0.4),
    "queuing": (1.2, 0.9, 0.7, 0.3, 0.2),
}


def fruin_los(density_per_m2: float, scale: LosScale = "walkway") -> str:
    """Return the Fruin level ("A".."F") for a density in persons per m²."""
    if density_per_m2 < 0:
        raise ValueError(f"density must be >= 0 persons/m², got {density_per_m2}")
    thresholds = SPACE_THRESHOLDS_M2[scale]
    if density_per_m2 == 0:
        return "A"
    space = 1.0 / density_per_m2
    for level, threshold in zip(LEVELS, thresholds, strict=False):
        if space >= threshold:
            return level
    return "F"


def density_at_level(level: str, scale: LosScale = "walkway") -> float:
    """Density (persons/m²) at which a zone enters ``level``; 0 for A."""
    index = LEVELS.index(level)
    if index == 0:
        return 0.0
    return 1.0 / SPACE_THRESHOLDS_M2[scale][index - 1]
