"""Exponential V_n of Yuhaski & Smith (1989) / Cheah & Smith (1994) for M/G/c/c links.

With n people on a link of floor A, each walks at V_n = A_s exp(-((n-1)/beta)^gamma), where
``a = 2 A`` and ``b = 4 A`` are the counts at 2 and 4 persons/m² and beta, gamma are fixed by
V_a = ``v_at_2`` and V_b = ``v_at_4`` (this reproduces the paper's table for L=10, W=2):
gamma = ln(ln(V_a/A_s) / ln(V_b/A_s)) / ln((a-1)/(b-1)), beta = (a-1) / ln(A_s/V_a)^(1/gamma).
The calibration depends on the floor, which is why ``speed`` takes it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from simulator.crowd.registry import register_model


@dataclass(frozen=True)
class Exponential:
    """Free speed ``a`` (m/s), speeds at 2 and 4 persons/m², jam density."""

    a: float = 1.5
    v_at_2: float = 0.64
    v_at_4: float = 0.25
    k_jam: float = 5.0

    def __post_init__(self) -> None:
        if not self.a > self.v_at_2 > self.v_at_4 > 0:
            raise ValueError(
                f"need a > v_at_2 > v_at_4 > 0, got {self.a}, {self.v_at_2}, {self.v_at_4}"
            )
        if self.k_jam <= 4:
            raise ValueError(f"k_jam must be > 4 persons/m², got {self.k_jam}")

    def shape(self, floor_m2: float) -> tuple[float, float]:
        """(beta, gamma) for a link of this floor area."""
        a1, b1 = 2.0 * floor_m2 - 1.0, 4.0 * floor_m2 - 1.0
        la, lb = math.log(self.a / self.v_at_2), math.log(self.a / self.v_at_4)
        gamma = math.log(la / lb) / math.log(a1 / b1)
        beta = a1 / la ** (1.0 / gamma)
        return beta, gamma

    def speed(self, density: float, floor_m2: float) -> float:
        """V_n for n = density x floor people on the link."""
        n = density * floor_m2
        if n <= 1:
            return self.a
        beta, gamma = self.shape(floor_m2)
        return self.a * math.exp(-(((n - 1.0) / beta) ** gamma))


def _factory(params: Mapping[str, float]) -> Exponential:
    return Exponential(**{k: float(v) for k, v in params.items()})


register_model("exponential", _factory)
