"""What a model returns for one frame: person boxes, or a density map whose sum is the count."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Detections:
    """Boxes in source-image pixels.

    ``xyxy`` is float ``[N, 4]`` (x1, y1, x2, y2), ``confidence`` ``[N]``, ``class_id`` int ``[N]``.
    ``anchors`` are the points that stand for each person on the ground: the bottom-centre of a
    box (the feet), which is what a homography maps to metres.
    """

    xyxy: np.ndarray = field(repr=False)
    confidence: np.ndarray = field(repr=False)
    class_id: np.ndarray = field(repr=False)

    def __post_init__(self) -> None:
        n = len(self.xyxy)
        if self.xyxy.shape != (n, 4):
            raise ValueError(f"Detections.xyxy: expected shape [N, 4], found {self.xyxy.shape}")
        for name in ("confidence", "class_id"):
            arr = getattr(self, name)
            if arr.shape != (n,):
                raise ValueError(f"Detections.{name}: expected shape [{n}], found {arr.shape}")

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4)), np.zeros(0), np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.xyxy)

    @property
    def anchors(self) -> np.ndarray:
        """Bottom-centre of each box, ``[N, 2]`` image pixels."""
        x = (self.xyxy[:, 0] + self.xyxy[:, 2]) / 2.0
        return np.stack([x, self.xyxy[:, 3]], axis=1)

    @property
    def count(self) -> float:
        return float(len(self))

    @property
    def mean_confidence(self) -> float:
        return float(self.confidence.mean()) if len(self) else 1.0

    def select(self, mask: np.ndarray) -> Detections:
        return Detections(self.xyxy[mask], self.confidence[mask], self.class_id[mask])


@dataclass(frozen=True)
class DensityMap:
    """People per pixel over the source image: ``density.sum()`` over a region is its count.

    The map is resampled to the source image size with the total preserved, so zone polygons in
    image pixels apply to boxes and maps alike.
    """

    density: np.ndarray = field(repr=False)

    def __post_init__(self) -> None:
        if self.density.ndim != 2:
            raise ValueError(
                f"DensityMap.density: expected a 2-D map, found shape {self.density.shape}"
            )

    @property
    def count(self) -> float:
        return float(self.density.sum())

    @property
    def mean_confidence(self) -> float:
        return 1.0


Prediction = Detections | DensityMap
