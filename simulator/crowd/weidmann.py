"""Weidmann (1993): v(k) = v0 (1 - exp(-gamma (1/k - 1/k_jam))), the default walking law.

Peak specific flow about 1.22 persons/m/s near 1.75 persons/m² with the defaults.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from simulator.crowd.registry import register_model


@dataclass(frozen=True)
class Weidmann:
    """Parameters of Weidmann's speed-density relation (level walking)."""

    v0: float = 1.34
    gamma: float = 1.913
    k_jam: float = 5.4

    def __post_init__(self) -> None:
        for name in ("v0", "gamma", "k_jam"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")

    def speed(self, density: float, floor_m2: float) -> float:
        """Level speed in m/s; free speed at zero density, 0 at jam density."""
        if density <= 0:
            return self.v0
        if density >= self.k_jam:
            return 0.0
        return self.v0 * (1.0 - math.exp(-self.gamma * (1.0 / density - 1.0 / self.k_jam)))


def _factory(params: Mapping[str, float]) -> Weidmann:
    return Weidmann(**{k: float(v) for k, v in params.items()})


register_model("weidmann", _factory)
