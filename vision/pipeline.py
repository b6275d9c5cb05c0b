"""Source -> model -> zones, the loop behind ``matchday vision count`` (and the benchmarks)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from vision.camera import CameraSource
from vision.detections import Prediction
from vision.frame import Frame
from vision.model import CountingModel
from vision.zones import Zone, ZoneCount, ZoneCounter, ZoneLayout


@dataclass(frozen=True)
class Step:
    frame: Frame
    prediction: Prediction
    counts: list[ZoneCount]


def whole_frame_layout(camera: str, width: int, height: int) -> ZoneLayout:
    """One zone covering the picture, used when no zones file is given."""
    poly = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float64)
    return ZoneLayout(camera, (Zone("frame", poly),))


def count_stream(
    source: CameraSource, model: CountingModel, counter: ZoneCounter | None = None
) -> Iterator[Step]:
    """Yield each frame with its prediction and zone counts; builds a whole-frame zone if needed."""
    for frame in source.frames():
        if counter is None:
            counter = ZoneCounter(whole_frame_layout(frame.camera, frame.width, frame.height))
        prediction = model.predict(frame.image)
        counts = counter.update(
            prediction, time_s=frame.time_s, frame=frame.index, model=model.name
        )
        yield Step(frame, prediction, counts)
