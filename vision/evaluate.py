"""Count error against hand-labelled frames: MAE and MAPE, overall and per density band.

Bands go by the true count of a frame, because that is what decides which model counts well:
``sparse`` up to 15 people, ``medium`` 16 to 100, ``dense`` above 100 (``BANDS``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vision.camera import CameraSource
from vision.errors import LabelError
from vision.yamlio import read_yaml

BANDS = (("sparse", 15.0), ("medium", 100.0), ("dense", float("inf")))  # (name, most people)


def band_of(count: float) -> str:
    """The band a frame with ``count`` people (truth) belongs to."""
    return next(name for name, most in BANDS if count <= most)


@dataclass(frozen=True)
class BandError:
    """One density band's error: frames, MAE (people), MAPE (%) and mean true count."""

    band: str
    frames: int
    mae: float
    mape_percent: float
    mean_truth: float


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

    def bands(self) -> tuple[BandError, ...]:
        """MAE and MAPE per band (bands with no labelled frame are left out)."""
        out = []
        t, p = np.asarray(self.truth), np.asarray(self.predicted)
        names = np.array([band_of(x) for x in t])
        for name, _most in BANDS:
            m = names == name
            if m.any():
                sub = EvalResult((), tuple(t[m]), tuple(p[m]))
                out.append(
                    BandError(name, int(m.sum()), sub.mae, sub.mape_percent, float(t[m].mean()))
                )
        return tuple(out)

    def to_dict(self) -> dict[str, object]:
        return {
            "frames": len(self.frames),
            "bands": [
                {
                    "band": b.band,
                    "frames": b.frames,
                    "mae": round(b.mae, 4),
                    "mape_percent": round(b.mape_percent, 2),
                    "mean_truth": round(b.mean_truth, 2),
                }
                for b in self.bands()
            ],
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
    data = read_yaml(path, LabelError, "labels file")
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
