"""The documented way to add a model family: one small adapter class plus a YAML (tested example).

Here: a head-point model that outputs ``[1, N, 3]`` rows of (x, y, score) for people's heads.
Each point becomes a small box whose bottom-centre sits 1.7 head-heights below the head.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from vision_testkit import constant_model

from vision import AdapterMismatchError, CountingModel, Detections, ModelSpec, register_adapter
from vision.preprocess import Placement


@register_adapter("head_points")
class HeadPoints:
    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self.drop = float(spec.params.get("feet_below_head_px", 40))

    def check(self, output_shapes: list[list[int | str | None]]) -> None:
        if len(output_shapes[0]) != 3 or output_shapes[0][2] != 3:
            raise AdapterMismatchError(
                f"{self.spec.file}: head_points expects [1, N, 3], found {output_shapes[0]}"
            )

    def decode(self, outputs: list[np.ndarray], placement: Placement) -> Detections:
        rows = outputs[0][0]
        rows = rows[rows[:, 2] >= self.spec.confidence]
        x, y = rows[:, 0], rows[:, 1]
        xyxy = np.stack([x - 5, y, x + 5, y + self.drop], axis=1)
        return Detections(
            placement.to_frame(xyxy), rows[:, 2].astype(np.float64), np.zeros(len(rows), np.int64)
        )


def test_custom_adapter_from_yaml(tmp_path: Path) -> None:
    constant_model(
        tmp_path / "heads.onnx",
        [np.array([[[20, 10, 0.9], [40, 12, 0.2], [50, 5, 0.6]]], np.float32)],
    )
    yaml_path = tmp_path / "heads.yaml"
    yaml_path.write_text(
        "name: head-points\nadapter: head_points\nonnx: heads.onnx\n"
        "input: {width: 64, height: 64, resize: stretch}\nthresholds: {confidence: 0.5}\n"
        "params: {feet_below_head_px: 30}\n"
    )
    det = CountingModel.from_yaml(yaml_path).predict(
        np.zeros((128, 128, 3), np.uint8)
    )  # 2x stretch
    assert len(det) == 2
    np.testing.assert_allclose(det.anchors, [[40, 80], [100, 70]])


def test_custom_adapter_by_import_path(tmp_path: Path) -> None:
    constant_model(tmp_path / "heads.onnx", [np.zeros((1, 4, 3), np.float32)])
    yaml_path = tmp_path / "heads.yaml"
    yaml_path.write_text(
        "name: h\nadapter: test_vision_custom_adapter:HeadPoints\nonnx: heads.onnx\ninput: "
        "{width: 64, height: 64}\n"
    )
    assert len(CountingModel.from_yaml(yaml_path).predict(np.zeros((64, 64, 3), np.uint8))) == 0
