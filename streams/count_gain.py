"""How far the twin moves a zone's modelled crowd towards its camera count: a Kalman gain.

Why not a fixed weight. The twin used to set each member's zone to ``w * count + (1 - w) *
model`` with ``w`` the cameras' confidence, every cycle. A fixed weight ignores how much the
model could have drifted since it was last corrected: at 15-s cycles the model had a quarter
of a minute to go wrong, yet each noisy count (15% here) still pulled it 80% of the way, so
the state followed the noise and every correction moved fans (added from seats, removed fans
released later, ``simulator.engine.assimilate``): the crowd was re-walked four times as often
as at 60-s cycles, and the twin forecast worse at the cycle it ships with.

So each zone keeps the relative variance ``P`` of its modelled count (a scalar Kalman filter
per zone, Kalman 1960; as a steady-state gain it is the alpha filter of tracking): between
counts it grows by ``model_error**2`` per ``error_memory_s`` of match clock (the model's
error builds up as it runs), a count with relative variance ``R = (count_noise**2 + 1/n) /
confidence`` (the camera's error and counting's Poisson part, larger for a less confident
detector) gets the weight ``K = P / (P + R)``, and ``P`` shrinks to ``(1 - K) P``. At a
steady rate of counts the weight settles where the model's drift per cycle balances the
count's noise: about 0.65 at 60-s cycles and 0.4 at 15-s cycles with the defaults, so the
information per minute is the same whatever the cycle.

Trouble nobody modelled is not noise: a count whose innovation is more than ``SURPRISE_Z``
standard deviations out (``sqrt((P + R) n^2)``) sets ``P`` so that it explains it (an
adaptive filter's covariance matching, Mehra 1972, IEEE Trans. Autom. Control 17) and is
taken at least as far as the cameras' confidence (the rule before): a surge of 3000 where the
model has 100 is believed at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

SURPRISE_Z = 3.0


@dataclass
class CountGain:
    """Per zone, the relative variance of the modelled count and the last count applied."""

    model_error: float  # relative error the model builds up per ``memory_s``
    count_noise: float  # relative error of one camera count
    memory_s: float
    variance: dict[str, float] = field(default_factory=dict)
    clock_s: dict[str, float] = field(default_factory=dict)  # match clock of the last update
    applied_s: dict[str, float] = field(default_factory=dict)  # newest count applied

    def is_new(self, zone: str, count_clock_s: float) -> bool:
        """Whether a count this recent has not been applied yet (a count is news once)."""
        return count_clock_s > self.applied_s.get(zone, -math.inf)

    def weight(
        self,
        zone: str,
        *,
        clock_s: float,
        count_clock_s: float,
        observed: float,
        modelled: float,
        confidence: float,
    ) -> float:
        """The weight of ``observed`` against ``modelled`` now; the zone's variance updated."""
        since = clock_s - self.clock_s.get(zone, clock_s - self.memory_s)
        drift = self.model_error**2 * max(since, 0.0) / self.memory_s
        p = self.variance.get(zone, 0.0) + drift
        scale = max(observed, modelled, 1.0)
        r = (self.count_noise**2 + 1.0 / scale) / max(confidence, 1e-3)
        z2 = (observed - modelled) ** 2 / ((p + r) * scale**2)
        k = p / (p + r)
        if z2 > SURPRISE_Z**2:  # the model is wrong here: the camera, as far as it is sure
            p = max(p, (observed - modelled) ** 2 / scale**2)
            k = max(p / (p + r), confidence)
        self.variance[zone] = (1.0 - k) * p
        self.clock_s[zone] = clock_s
        self.applied_s[zone] = count_clock_s
        return k
