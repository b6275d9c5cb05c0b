"""Turn a BGR frame into a model's input tensor, and map model coordinates back to the frame."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Placement:
    """How the frame sits in the network input: ``input = frame * scale + pad``, per axis."""

    scale_x: float
    scale_y: float
    pad_x: float
    pad_y: float
    frame_w: int
    frame_h: int

    def to_frame(self, xyxy: np.ndarray) -> np.ndarray:
        """Map boxes from network-input pixels to frame pixels, clipped to the frame."""
        out = np.empty_like(xyxy, dtype=np.float64)
        out[:, [0, 2]] = (xyxy[:, [0, 2]] - self.pad_x) / self.scale_x
        out[:, [1, 3]] = (xyxy[:, [1, 3]] - self.pad_y) / self.scale_y
        out[:, [0, 2]] = out[:, [0, 2]].clip(0, self.frame_w)
        out[:, [1, 3]] = out[:, [1, 3]].clip(0, self.frame_h)
        return out


def prepare(
    image: np.ndarray,
    *,
    width: int,
    height: int,
    resize: str = "letterbox",
    pad_value: int = 127,
    rgb: bool = True,
    scale: float = 1.0 / 255.0,
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0),
    std: tuple[float, float, float] = (1.0, 1.0, 1.0),
) -> tuple[np.ndarray, Placement]:
    """Resize (``letterbox`` keeps the aspect ratio, ``stretch`` does not) and normalise to NCHW."""
    h, w = image.shape[:2]
    if resize == "letterbox":
        s = min(width / w, height / h)
        nw, nh = round(w * s), round(h * s)
        px, py = (width - nw) // 2, (height - nh) // 2
        canvas = np.full((height, width, 3), pad_value, dtype=np.uint8)
        canvas[py : py + nh, px : px + nw] = cv2.resize(
            image, (nw, nh), interpolation=cv2.INTER_LINEAR
        )
        placement = Placement(nw / w, nh / h, float(px), float(py), w, h)
    else:
        canvas = np.asarray(cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR))
        placement = Placement(width / w, height / h, 0.0, 0.0, w, h)
    if rgb:
        canvas = canvas[:, :, ::-1]
    x: np.ndarray = canvas.astype(np.float32) * np.float32(scale)
    if mean != (0.0, 0.0, 0.0) or std != (1.0, 1.0, 1.0):
        x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None]), placement
