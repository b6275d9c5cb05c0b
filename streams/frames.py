"""The default demo's cameras: rendered frames of the simulated crowd through the real ONNX model.

Each demo camera looks at an 8 m x 10 m patch of its zone (vision's ``SyntheticCamera``). Every
tick the ground-truth simulation's density in the zone is drawn as people in that patch, the
frame is rendered, the counting model runs on it (onnxruntime), and vision's ``ZoneCounter``
turns the prediction into the count published as ``zone.count.v1``. The camera's coverage is the
patch's share of the zone floor, so the twin scales the patch count up to the zone.

Frames cost tens of milliseconds each, so the demo watches the zones where crowds form (areas,
stairs, checkpoint queues), not every link; ``--fast`` skips frames altogether.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np

from simulator.scenario.model import Scenario
from streams.cameras import Camera
from streams.errors import ConfigError
from streams.messages import ZoneCount, at_clock, new_id
from streams.truth import GroundTruth
from streams.zones import venue_zones

DEFAULT_MODELS = ("density_synthetic", "default")  # first one whose files are installed


def load_model(name: str | None) -> Any:
    """The counting model by vision name (or YAML path); the first installed default otherwise."""
    try:
        from vision import CountingModel, VisionError
    except ImportError as exc:  # vision is part of matchday; this only guards a broken install
        raise ConfigError("matchday live", "--model", "the vision package", str(exc)) from exc
    errors = []
    for candidate in [name] if name else list(DEFAULT_MODELS):
        try:
            return CountingModel.from_yaml(candidate)
        except VisionError as exc:
            errors.append(f"{candidate}: {exc}")
    raise ConfigError("matchday live", "--model", "an installed counting model", "; ".join(errors))


def frame_cameras(scenario: Scenario, patch_m2: float = 80.0) -> tuple[Camera, ...]:
    """One patch camera per area, stair link and checkpoint queue with at least a patch of floor."""
    out = []
    for z in venue_zones(scenario).values():
        watched = z.element_type in ("area", "checkpoint") or z.los_scale == "stairs"
        if watched and z.floor_m2 >= patch_m2:
            out.append(Camera(f"cam_{z.id}", z.id, round(patch_m2 / z.floor_m2, 6), z.label))
    return tuple(out)


class FrameReplay:
    """zone.count.v1 messages counted by the real model on rendered frames of the truth run."""

    def __init__(
        self,
        scenario: Scenario,
        cameras: Sequence[Camera],
        model: Any,
        *,
        day: datetime,
        start_s: float,
        seed: int = 1,
    ) -> None:
        from vision import SyntheticCamera, ZoneCounter

        self.cameras = tuple(cameras)
        self.model = model
        self.day = day
        self.rng = np.random.default_rng(seed)
        self.truth = GroundTruth(scenario, seed=seed, start_s=start_s)
        self.zones = venue_zones(scenario)
        self.views = {c.id: SyntheticCamera(camera=c.id) for c in self.cameras}
        self.counters = {c.id: ZoneCounter(self.views[c.id].layout(c.zone)) for c in self.cameras}
        self.silent: set[str] = set()
        self.frames = 0

    def counts(self, clock_s: float) -> list[ZoneCount]:
        """Render, count and report one frame per camera that is not silent."""
        occupancy = self.truth.occupancy_at(clock_s)
        stamp = at_clock(self.day, clock_s)
        out = []
        for cam in self.cameras:
            if cam.id in self.silent:
                continue
            zone = self.zones[cam.zone]
            view = self.views[cam.id]
            positions = view.sample_positions(zone.density(occupancy.get(cam.zone, 0)), self.rng)
            image, _truth = view.render(positions, self.rng)
            (seen,) = self.counters[cam.id].update(
                self.model.predict(image), time_s=clock_s, frame=self.frames, model=self.model.name
            )
            self.frames += 1
            out.append(
                ZoneCount(
                    id=new_id(),
                    camera=cam.id,
                    zone=cam.zone,
                    event_time=stamp,
                    count=round(seen.count),
                    model=seen.model[:128],
                    confidence=min(1.0, max(0.0, seen.confidence)),
                    density_per_m2=seen.density_per_m2,
                    in_count=seen.crossings_in,
                    out_count=seen.crossings_out,
                )
            )
        return out
