"""Source -> model -> zones, the loop behind ``matchday vision count`` (and the benchmarks)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from vision.camera import CameraSource
from vision.detections import Prediction
from vision.frame import Frame
from vision.model import PeopleModel
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


class WholeFrame:
    """The default zone: each frame's whole picture, whatever its size.

    A folder of stills may mix sizes; one counter per size keeps every person in the count
    (a zone fixed to the first frame's size would silently drop people outside it).
    """

    def __init__(self) -> None:
        self._by_size: dict[tuple[str, int, int], ZoneCounter] = {}

    def counter_for(self, frame: Frame) -> ZoneCounter:
        key = (frame.camera, frame.width, frame.height)
        if key not in self._by_size:
            self._by_size[key] = ZoneCounter(whole_frame_layout(*key))
        return self._by_size[key]


def count_frame(frame: Frame, model: PeopleModel, counter: ZoneCounter | WholeFrame) -> Step:
    """One frame through the model and the zones."""
    zones = counter.counter_for(frame) if isinstance(counter, WholeFrame) else counter
    prediction = model.predict(frame.image)
    counts = zones.update(prediction, time_s=frame.time_s, frame=frame.index, model=model.name)
    return Step(frame, prediction, counts)


def count_stream(
    source: CameraSource, model: PeopleModel, counter: ZoneCounter | None = None
) -> Iterator[Step]:
    """Yield each frame with its prediction and zone counts (whole frame when no zones)."""
    zones: ZoneCounter | WholeFrame = counter if counter is not None else WholeFrame()
    for frame in source.frames():
        yield count_frame(frame, model, zones)
