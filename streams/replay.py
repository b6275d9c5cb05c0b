"""The ``--fast`` demo's cameras: a ground-truth run of the scenario, counted with noise.

A second simulation of the same scenario (its own seed, so it differs from the twin's model)
plays the real crowd; each camera reports the truth in its zone times its coverage, with
multiplicative Gaussian noise. No frames, no model: the point is to drive the live path.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np

from simulator.scenario.model import Scenario
from streams.cameras import Camera
from streams.messages import ZoneCount, at_clock, new_id
from streams.truth import GroundTruth
from streams.zones import venue_zones


class CountReplay:
    """Synthetic zone.count.v1 messages from a ground-truth simulation."""

    def __init__(
        self,
        scenario: Scenario,
        cameras: Sequence[Camera],
        *,
        day: datetime,
        start_s: float,
        seed: int = 1,
        noise: float = 0.08,
        confidence: float = 0.8,
    ) -> None:
        self.cameras = tuple(cameras)
        self.day = day
        self.noise = noise
        self.confidence = confidence
        self.rng = np.random.default_rng(seed)
        self.truth = GroundTruth(scenario, seed=seed, start_s=start_s)
        self.zones = venue_zones(scenario)
        self.silent: set[str] = set()  # cameras that currently send nothing (dropout tests)

    def counts(self, clock_s: float) -> list[ZoneCount]:
        """One message per camera that is not silent, at ``clock_s``."""
        occupancy = self.truth.occupancy_at(clock_s)
        stamp = at_clock(self.day, clock_s)
        out = []
        for cam in self.cameras:
            if cam.id in self.silent:
                continue
            true = occupancy.get(cam.zone, 0) * cam.coverage
            seen = max(0, round(true * float(self.rng.normal(1.0, self.noise))))
            zone = self.zones[cam.zone]
            out.append(
                ZoneCount(
                    id=new_id(),
                    camera=cam.id,
                    zone=cam.zone,
                    event_time=stamp,
                    count=seen,
                    model="simulated",
                    confidence=self.confidence,
                    density_per_m2=round(zone.density(seen / cam.coverage), 4)
                    if zone.floor_m2 > 0
                    else None,
                )
            )
        return out
