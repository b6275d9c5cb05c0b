"""The value object that travels from a camera to a model: one decoded image with its time."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Frame:
    """One decoded frame.

    ``time_s`` is the event time (seconds since the Unix epoch for live streams, or the media
    position plus the source's ``start_time_s`` for files), so zone counts from different cameras
    line up on one clock. ``image`` is BGR uint8 ``[H, W, 3]`` as OpenCV delivers it.
    """

    camera: str
    index: int
    time_s: float
    image: np.ndarray = field(repr=False)

    def __post_init__(self) -> None:
        img = self.image
        if (
            not isinstance(img, np.ndarray)
            or img.dtype != np.uint8
            or img.ndim != 3
            or img.shape[2] != 3
        ):
            found = getattr(img, "shape", type(img).__name__), getattr(img, "dtype", None)
            raise ValueError(f"Frame.image: expected uint8 array [H, W, 3], found {found}")
        if self.index < 0:
            raise ValueError(f"Frame.index: expected >= 0, found {self.index}")

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])
