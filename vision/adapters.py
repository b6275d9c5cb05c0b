"""Adapters turn a model's raw outputs into ``Detections`` or a ``DensityMap``.

Built in (the ``adapter:`` name in a model YAML):

- ``yolo_darknet``: raw Darknet v3/v4 heads, one output ``[1, A*(5+C), H, W]`` per head,
  decoded with ``params.anchors`` (pixels of the network input) and ``params.masks`` (one per head).
- ``yolo_v5``: ``[1, N, 5+C]`` rows of cx, cy, w, h, objectness, class scores (input pixels).
- ``yolo_v8``: ``[1, 4+C, N]`` columns of cx, cy, w, h, class scores (v8/v11 export).
- ``ssd``: ``[1, N, 6]`` rows of x1, y1, x2, y2, score, class (``params.normalized: true`` when
  coordinates are 0..1 of the input).
- ``density``: ``[1, 1, h, w]`` people-per-cell map; its sum is the count.

To add a family, write a class with two methods and register it (or name it in the YAML as
``adapter: mypackage.module:MyAdapter``)::

    @register_adapter("my_family")
    class MyAdapter:
        def __init__(self, spec: ModelSpec) -> None: ...
        def check(self, output_shapes: list[Shape]) -> None: ...  # raise AdapterMismatchError
        def decode(self, outputs: list[np.ndarray], placement: Placement) -> Prediction: ...

``tests/vision/test_custom_adapter.py`` is a complete, tested example.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import cv2
import numpy as np

from vision.detections import DensityMap, Detections, Prediction
from vision.errors import AdapterMismatchError, ModelError
from vision.nms import nms
from vision.preprocess import Placement
from vision.spec import ModelSpec

Shape = Sequence[int | str | None]


class Adapter(Protocol):
    def check(self, output_shapes: list[Shape]) -> None: ...

    def decode(self, outputs: list[np.ndarray], placement: Placement) -> Prediction: ...


ADAPTERS: dict[str, Callable[[ModelSpec], Adapter]] = {}


def register_adapter(name: str) -> Callable[[type], type]:
    def wrap(cls: type) -> type:
        ADAPTERS[name] = cls
        return cls

    return wrap


def make_adapter(spec: ModelSpec) -> Adapter:
    """Find the adapter named in the YAML: a registered name or ``module:Class``."""
    if spec.adapter in ADAPTERS:
        return ADAPTERS[spec.adapter](spec)
    if ":" in spec.adapter:
        module_name, _, attr = spec.adapter.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise ModelError(
                f"{spec.file}: adapter: cannot import {spec.adapter!r} ({exc})"
            ) from exc
        return factory(spec)
    raise ModelError(
        f"{spec.file}: adapter: expected one of {sorted(ADAPTERS)} or 'module:Class', found "
        f"{spec.adapter!r}"
    )


def _mismatch(spec: ModelSpec, expected: str, found: object) -> AdapterMismatchError:
    return AdapterMismatchError(
        f"{spec.file}: adapter {spec.adapter!r}: model outputs expected {expected}, found {found}; "
        "pick the adapter that matches the export, or write one (see vision/adapters.py)"
    )


def _dim_ok(dim: object, want: int | None) -> bool:
    return want is None or not isinstance(dim, int) or dim == want


def finish_boxes(
    spec: ModelSpec,
    cxcywh_or_xyxy: np.ndarray,
    scores: np.ndarray,
    classes: np.ndarray,
    placement: Placement,
    *,
    centre: bool,
) -> Detections:
    """Shared tail of every box adapter: threshold, person filter, NMS, map to frame pixels."""
    keep = scores >= spec.confidence
    if spec.person_class is not None:
        keep &= classes == spec.person_class
    boxes, scores, classes = cxcywh_or_xyxy[keep].astype(np.float64), scores[keep], classes[keep]
    if centre:
        cx, cy, w, h = boxes.T
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    idx = nms(boxes, scores, classes, spec.nms_iou, spec.max_detections)
    return Detections(
        placement.to_frame(boxes[idx]),
        scores[idx].astype(np.float64),
        classes[idx].astype(np.int64),
    )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@register_adapter("yolo_darknet")
class DarknetYolo:
    """Raw Darknet YOLO heads; box centre = (sigmoid(t) + cell) * stride, size = exp(t) * anchor."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        p: dict[str, Any] = spec.params
        try:
            self.anchors = np.asarray(p["anchors"], dtype=np.float64).reshape(-1, 2)
            self.masks = [list(map(int, m)) for m in p["masks"]]
            self.classes = int(p.get("classes", 80))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(
                f"{spec.file}: params: yolo_darknet needs anchors [[w, h], ...] and masks [[i, "
                f"...], ...] ({exc})"
            ) from exc
        bad = [i for m in self.masks for i in m if not 0 <= i < len(self.anchors)]
        if bad:
            raise ModelError(
                f"{spec.file}: params.masks: expected anchor indices below "
                f"{len(self.anchors)}, found {bad}"
            )

    def check(self, output_shapes: list[Shape]) -> None:
        if len(output_shapes) != len(self.masks):
            raise _mismatch(
                self.spec,
                f"{len(self.masks)} heads (one per mask)",
                f"{len(output_shapes)} outputs",
            )
        for shape, mask in zip(output_shapes, self.masks, strict=True):
            want = len(mask) * (5 + self.classes)
            if len(shape) != 4 or not _dim_ok(shape[1], want):
                raise _mismatch(self.spec, f"[1, {want}, H, W] per head", list(shape))

    def decode(self, outputs: list[np.ndarray], placement: Placement) -> Prediction:
        self.check([list(o.shape) for o in outputs])
        boxes, scores, classes = [], [], []
        for out, mask in zip(outputs, self.masks, strict=True):
            _, _, gh, gw = out.shape
            t = out[0].reshape(len(mask), 5 + self.classes, gh, gw).astype(np.float64)
            conf = _sigmoid(t[:, 4])
            best = conf > self.spec.confidence  # a class score never exceeds its objectness
            a, gy, gx = np.nonzero(best)
            if a.size == 0:
                continue
            cls_prob = _sigmoid(t[a, 5:, gy, gx]) * conf[a, gy, gx][:, None]
            cls = (
                cls_prob.argmax(axis=1)
                if self.spec.person_class is None
                else np.full(a.size, self.spec.person_class)
            )
            sx, sy = self.spec.input.width / gw, self.spec.input.height / gh
            anchors = self.anchors[np.asarray(mask)[a]]
            cx = (_sigmoid(t[a, 0, gy, gx]) + gx) * sx
            cy = (_sigmoid(t[a, 1, gy, gx]) + gy) * sy
            w = np.exp(t[a, 2, gy, gx]) * anchors[:, 0]
            h = np.exp(t[a, 3, gy, gx]) * anchors[:, 1]
            boxes.append(np.stack([cx, cy, w, h], axis=1))
            scores.append(cls_prob[np.arange(a.size), cls])
            classes.append(cls)
        if not boxes:
            return Detections.empty()
        return finish_boxes(
            self.spec,
            np.concatenate(boxes),
            np.concatenate(scores),
            np.concatenate(classes),
            placement,
            centre=True,
        )


@register_adapter("yolo_v5")
class YoloV5:
    """``[1, N, 5+C]``: cx, cy, w, h, objectness, per-class scores."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    def check(self, output_shapes: list[Shape]) -> None:
        if (
            len(output_shapes) < 1
            or len(output_shapes[0]) != 3
            or not (isinstance(output_shapes[0][2], str | None) or output_shapes[0][2] >= 6)
        ):
            raise _mismatch(
                self.spec, "first output [1, N, 5+C] with C >= 1", [list(s) for s in output_shapes]
            )

    def decode(self, outputs: list[np.ndarray], placement: Placement) -> Prediction:
        self.check([list(outputs[0].shape)])
        rows = outputs[0][0]
        cls_scores = rows[:, 5:] * rows[:, 4:5]
        cls = cls_scores.argmax(axis=1)
        return finish_boxes(
            self.spec,
            rows[:, :4],
            cls_scores[np.arange(len(rows)), cls],
            cls,
            placement,
            centre=True,
        )


@register_adapter("yolo_v8")
class YoloV8:
    """``[1, 4+C, N]``: cx, cy, w, h then per-class scores, one column per candidate."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    def check(self, output_shapes: list[Shape]) -> None:
        s = output_shapes[0] if output_shapes else []
        if len(s) != 3 or not (isinstance(s[1], str | None) or s[1] >= 5):
            raise _mismatch(
                self.spec, "first output [1, 4+C, N] with C >= 1", [list(x) for x in output_shapes]
            )

    def decode(self, outputs: list[np.ndarray], placement: Placement) -> Prediction:
        self.check([list(outputs[0].shape)])
        cols = outputs[0][0].T
        cls = cols[:, 4:].argmax(axis=1)
        return finish_boxes(
            self.spec, cols[:, :4], cols[np.arange(len(cols)), 4 + cls], cls, placement, centre=True
        )


@register_adapter("ssd")
class SsdRows:
    """``[1, N, 6]``: x1, y1, x2, y2, score, class (SSD/CenterNet/end-to-end exports)."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self.normalized = bool(spec.params.get("normalized", False))

    def check(self, output_shapes: list[Shape]) -> None:
        s = output_shapes[0] if output_shapes else []
        if len(s) != 3 or not _dim_ok(s[2], 6):
            raise _mismatch(self.spec, "first output [1, N, 6]", [list(x) for x in output_shapes])

    def decode(self, outputs: list[np.ndarray], placement: Placement) -> Prediction:
        self.check([list(outputs[0].shape)])
        rows = outputs[0][0].astype(np.float64)
        boxes = rows[:, :4].copy()
        if self.normalized:
            boxes[:, [0, 2]] *= self.spec.input.width
            boxes[:, [1, 3]] *= self.spec.input.height
        return finish_boxes(
            self.spec,
            boxes,
            rows[:, 4],
            rows[:, 5].round().astype(np.int64),
            placement,
            centre=False,
        )


@register_adapter("density")
class Density:
    """``[1, 1, h, w]`` density map, resampled to the frame with its total preserved."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    def check(self, output_shapes: list[Shape]) -> None:
        s = output_shapes[0] if output_shapes else []
        if len(s) != 4 or not _dim_ok(s[1], 1):
            raise _mismatch(
                self.spec,
                "first output [1, 1, h, w] (a density map)",
                [list(x) for x in output_shapes],
            )

    def decode(self, outputs: list[np.ndarray], placement: Placement) -> Prediction:
        self.check([list(outputs[0].shape)])
        dmap = np.clip(outputs[0][0, 0].astype(np.float64), 0.0, None)
        iw, ih = self.spec.input.width, self.spec.input.height
        up = cv2.resize(dmap, (iw, ih), interpolation=cv2.INTER_LINEAR)
        up *= dmap.sum() / max(up.sum(), 1e-12)
        x0, y0 = round(placement.pad_x), round(placement.pad_y)
        x1 = x0 + round(placement.frame_w * placement.scale_x)
        y1 = y0 + round(placement.frame_h * placement.scale_y)
        crop = up[y0:y1, x0:x1]
        out = cv2.resize(
            crop, (placement.frame_w, placement.frame_h), interpolation=cv2.INTER_LINEAR
        )
        out *= crop.sum() / max(out.sum(), 1e-12)
        return DensityMap(out)
