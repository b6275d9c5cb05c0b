"""Count error against hand-labelled frames: MAE and MAPE, per frame rows for the report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from vision.camera import CameraSource
from vision.errors import LabelError


@dataclass(frozen=True)
class Labels:
    video: str
    counts: dict[int, int]  # frame index -> people counted by hand


@dataclass(frozen=True)
class EvalResult:
    frames: tuple[int, ...]
    truth: tuple[float, ...]
    predicted: tuple[float, ...]

    @property
    def mae(self) -> float:
        return float(np.mean(np.abs(np.subtract(self.predicted, self.truth))))

    @property
    def mape_percent(self) -> float:
        t, p = np.asarray(self.truth), np.asarray(self.predicted)
        nz = t > 0
        return float(100 * np.mean(np.abs(p[nz] - t[nz]) / t[nz])) if nz.any() else float("nan")

    @property
    def bias(self) -> float:
        return float(np.mean(np.subtract(self.predicted, self.truth)))

    def to_dict(self) -> dict[str, object]:
        return {
            "frames": len(self.frames),
            "mae": round(self.mae, 4),
            "mape_percent": round(self.mape_percent, 2),
            "bias": round(self.bias, 4),
            "rows": [
                {"frame": f, "truth": t, "predicted": p}
                for f, t, p in zip(self.frames, self.truth, self.predicted, strict=True)
            ],
        }


def load_labels(path: str | Path) -> Labels:
    path = Path(path)
    if not path.exists():
        raise LabelError(f"{path}: labels file not found")
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("frames"), dict) or not data["frames"]:
        raise LabelError(
            f"{path}: frames: expected a mapping of frame index -> person count, found {data!r:.80}"
        )
    counts: dict[int, int] = {}
    for k, v in data["frames"].items():
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise LabelError(
                f"{path}: frames.{k}: expected a frame index >= 0 as the key, found {k!r}"
            )
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise LabelError(f"{path}: frames.{k}: expected a person count >= 0, found {v!r}")
        counts[k] = v
    return Labels(str(data.get("video", "")), counts)


def evaluate(
    source: CameraSource, labels: Labels, count: Callable[[np.ndarray], float]
) -> EvalResult:
    """Run ``count`` on each labelled frame of ``source`` (decoded in order, others skipped)."""
    wanted = dict(labels.counts)
    rows: list[tuple[int, float, float]] = []
    for frame in source.frames():
        if frame.index in wanted:
            rows.append((frame.index, float(wanted.pop(frame.index)), float(count(frame.image))))
        if not wanted:
            break
    if wanted:
        raise LabelError(
            f"{source.uri}: labelled frames {sorted(wanted)[:5]} are past the end of the video"
        )
    return EvalResult(
        tuple(r[0] for r in rows), tuple(r[1] for r in rows), tuple(r[2] for r in rows)
    )
