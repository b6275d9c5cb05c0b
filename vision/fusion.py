"""Counting at every density: a detector on tiles, and a detector/density-map switch.

- ``TiledModel``: the detector on overlapping tiles. People in a tile fill more of the network's
  input, so smaller (more distant) people are found; boxes from all tiles are merged by NMS.
- ``FusedModel``: the density-map model's count where either model sees at least
  ``switch_at`` people in the frame, the detector's otherwise. Detectors count sparse scenes
  well and miss most people in packed ones; density maps do the opposite (they invent people
  in empty scenes).

Both are chosen by name like any model (``--model tiled``, ``--model auto``) from a YAML with a
single ``tiled:`` or ``fusion:`` key; ``load_model`` reads either kind, or a plain model YAML.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vision.detections import Detections, Prediction
from vision.errors import ModelError
from vision.model import CountingModel, PeopleModel
from vision.nms import nms
from vision.spec import resolve_model_path
from vision.yamlio import read_yaml

Model = PeopleModel


class TiledModel:
    """A detector run on ``rows`` x ``cols`` overlapping tiles of each frame."""

    def __init__(self, base: CountingModel, rows: int, cols: int, overlap: float) -> None:
        self.base, self.rows, self.cols, self.overlap = base, rows, cols, overlap
        self.name = f"{base.name}-tiled{rows}x{cols}"

    def tiles(self, width: int, height: int) -> list[tuple[int, int, int, int]]:
        """(x0, y0, x1, y1) of each tile; neighbours share ``overlap`` of a tile's side."""
        xs, ys = _spans(width, self.cols, self.overlap), _spans(height, self.rows, self.overlap)
        return [(x0, y0, x1, y1) for y0, y1 in ys for x0, x1 in xs]

    def predict(self, image: np.ndarray) -> Prediction:
        boxes, scores, classes = [], [], []
        for x0, y0, x1, y1 in self.tiles(image.shape[1], image.shape[0]):
            det = self.base.predict(np.ascontiguousarray(image[y0:y1, x0:x1]))
            if not isinstance(det, Detections):
                raise ModelError(
                    f"{self.base.spec.file}: tiled: needs a detector, not a density map"
                )
            boxes.append(det.xyxy + np.array([x0, y0, x0, y0], dtype=np.float64))
            scores.append(det.confidence)
            classes.append(det.class_id)
        xyxy = np.concatenate(boxes) if boxes else np.zeros((0, 4))
        conf = np.concatenate(scores) if scores else np.zeros(0)
        cls = np.concatenate(classes) if classes else np.zeros(0, np.int64)
        keep = nms(xyxy, conf, cls, self.base.spec.nms_iou, self.base.spec.max_detections)
        return Detections(xyxy[keep], conf[keep], cls[keep])


def _spans(length: int, n: int, overlap: float) -> list[tuple[int, int]]:
    side = length / (n - (n - 1) * overlap)
    step = side * (1 - overlap)
    return [(round(k * step), min(length, round(k * step + side))) for k in range(n)]


class FusedModel:
    """The density map where either model sees at least ``switch_at`` people, else the detector.

    The decision cannot rest on the detector alone: in a packed crowd it finds almost nobody
    (0-13 of 148-961 people in the issue's real dense images), so it would never hand over. The
    density model runs on every frame the detector finds sparse, which makes this model as slow
    as the density model. ``switch_at`` must sit above the density model's false count on empty
    scenes (CSRNet: about 17 on vtest frames with 3-9 people).
    """

    def __init__(self, sparse: Model, dense: CountingModel, switch_at: float) -> None:
        self.sparse, self.dense, self.switch_at = sparse, dense, switch_at
        self.name = f"auto({sparse.name}<{switch_at:g}<={dense.name})"

    def predict(self, image: np.ndarray) -> Prediction:
        first = self.sparse.predict(image)
        if first.count >= self.switch_at:
            return self.dense.predict(image)
        dense = self.dense.predict(image)
        return dense if dense.count >= self.switch_at else first


def _number(file: Path, where: str, raw: dict, key: str, lo: float, hi: float) -> float:
    v = raw.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= v <= hi:
        raise ModelError(f"{file}: {where}.{key}: expected a number in [{lo}, {hi}], found {v!r}")
    return float(v)


def load_model(name_or_path: str | Path, *, threads: int = 1) -> Model:
    """A plain model YAML, a ``tiled:`` one or a ``fusion:`` one, by name or path."""
    path = resolve_model_path(name_or_path)
    data = read_yaml(path, ModelError, "model YAML")
    if isinstance(data, dict) and set(data) == {"tiled"} and isinstance(data["tiled"], dict):
        t = data["tiled"]
        base = CountingModel.from_yaml(str(t.get("model", "default")), threads=threads)
        rows = int(_number(path, "tiled", t, "rows", 1, 8))
        cols = int(_number(path, "tiled", t, "cols", 1, 8))
        return TiledModel(base, rows, cols, _number(path, "tiled", t, "overlap", 0.0, 0.75))
    if isinstance(data, dict) and set(data) == {"fusion"} and isinstance(data["fusion"], dict):
        f = data["fusion"]
        sparse = load_model(str(f.get("sparse", "default")), threads=threads)
        dense = CountingModel.from_yaml(str(f.get("dense", "csrnet")), threads=threads)
        return FusedModel(sparse, dense, _number(path, "fusion", f, "switch_at", 0, 1e6))
    return CountingModel.from_yaml(path, threads=threads)
