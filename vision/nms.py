"""Greedy non-maximum suppression over boxes of the same class (numpy, no OpenCV dependency)."""

from __future__ import annotations

import numpy as np


def iou_one_to_many(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one xyxy box against ``[N, 4]`` boxes."""
    x1 = np.maximum(box[0], boxes[:, 0])
    y1 = np.maximum(box[1], boxes[:, 1])
    x2 = np.minimum(box[2], boxes[:, 2])
    y2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def nms(
    xyxy: np.ndarray, scores: np.ndarray, class_id: np.ndarray, iou: float, max_keep: int
) -> np.ndarray:
    """Indices kept, best score first; boxes of different classes never suppress each other."""
    if len(xyxy) == 0:
        return np.zeros(0, dtype=np.int64)
    # Shift each class to its own region so one pass handles all classes.
    offset = class_id.astype(np.float64)[:, None] * (float(np.abs(xyxy).max()) + 1.0) * 2.0
    boxes = xyxy.astype(np.float64) + offset
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size and len(keep) < max_keep:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        order = rest[iou_one_to_many(boxes[i], boxes[rest]) <= iou]
    return np.asarray(keep, dtype=np.int64)
