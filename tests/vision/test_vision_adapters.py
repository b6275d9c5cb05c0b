"""Adapters, NMS and thresholds checked exactly on tiny ONNX graphs with known outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from vision_testkit import constant_model, write_spec

from vision import AdapterMismatchError, CountingModel, DensityMap, Detections, ModelError

BLACK_64 = np.zeros((64, 64, 3), np.uint8)


def _model(
    tmp_path: Path, adapter: str, outputs: list[np.ndarray], extra: str = ""
) -> CountingModel:
    constant_model(tmp_path / "m.onnx", outputs)
    return CountingModel.from_yaml(write_spec(tmp_path, "m.onnx", adapter, extra))


def test_yolo_v8_layout_decodes_boxes_and_keeps_people(tmp_path: Path) -> None:
    # [1, 4+C, N] with C=2 (person=0, other=1); candidates: a person, a weaker duplicate of it,
    # a second person elsewhere, a non-person, and a person below the threshold.
    cols = np.array(
        [
            [20, 20, 10, 20, 0.9, 0.0],
            [21, 20, 10, 20, 0.8, 0.0],
            [50, 40, 8, 16, 0.7, 0.1],
            [40, 40, 8, 8, 0.1, 0.95],
            [10, 50, 6, 6, 0.2, 0.0],
        ],
        dtype=np.float32,
    ).T[None]
    model = _model(tmp_path, "yolo_v8", [cols], "thresholds: {confidence: 0.25, nms_iou: 0.5}\n")
    det = model.predict(BLACK_64)
    assert isinstance(det, Detections)
    np.testing.assert_allclose(det.xyxy, [[15, 10, 25, 30], [46, 32, 54, 48]], atol=1e-5)
    np.testing.assert_allclose(det.confidence, [0.9, 0.7], atol=1e-6)
    np.testing.assert_allclose(det.anchors, [[20, 30], [50, 48]], atol=1e-5)


def test_letterbox_maps_boxes_back_to_frame_pixels(tmp_path: Path) -> None:
    # A 128x64 frame letterboxed into 64x64: scale 0.5, 16 px bands above and below.
    cols = np.array([[32, 32, 16, 16, 0.9, 0.0]], dtype=np.float32).T[None]
    det = _model(tmp_path, "yolo_v8", [cols]).predict(np.zeros((64, 128, 3), np.uint8))
    np.testing.assert_allclose(det.xyxy, [[48, 16, 80, 48]], atol=1e-5)


def test_yolo_v5_rows_use_objectness_times_class(tmp_path: Path) -> None:
    rows = np.array(
        [[[30, 30, 10, 10, 0.5, 0.8, 0.1], [30, 30, 10, 10, 0.2, 0.9, 0.0]]], dtype=np.float32
    )
    det = _model(tmp_path, "yolo_v5", [rows], "thresholds: {confidence: 0.3}\n").predict(BLACK_64)
    np.testing.assert_allclose(det.confidence, [0.4], atol=1e-6)
    np.testing.assert_allclose(det.xyxy, [[25, 25, 35, 35]], atol=1e-5)


def test_ssd_rows_normalised_coordinates(tmp_path: Path) -> None:
    rows = np.array(
        [[[0.25, 0.25, 0.5, 0.75, 0.9, 0], [0.1, 0.1, 0.2, 0.2, 0.9, 3]]], dtype=np.float32
    )
    det = _model(tmp_path, "ssd", [rows], "params: {normalized: true}\n").predict(BLACK_64)
    np.testing.assert_allclose(det.xyxy, [[16, 16, 32, 48]], atol=1e-5)
    assert det.class_id.tolist() == [0]


def test_darknet_head_decoding_matches_the_yolo_equations(tmp_path: Path) -> None:
    # One head, 2x2 grid on a 64x64 input (stride 32), 2 anchors, 1 class.
    head = np.full((1, 2 * 6, 2, 2), -20.0, dtype=np.float32)
    a, gy, gx = 1, 1, 0  # second anchor, cell (row 1, col 0)
    head[0, a * 6 + 0, gy, gx] = 0.0  # sigmoid = 0.5
    head[0, a * 6 + 1, gy, gx] = 0.0
    head[0, a * 6 + 2, gy, gx] = np.log(2.0)  # w = 2 * anchor w
    head[0, a * 6 + 3, gy, gx] = 0.0
    head[0, a * 6 + 4, gy, gx] = 10.0  # objectness ~1
    head[0, a * 6 + 5, gy, gx] = 10.0  # class ~1
    extra = "params: {classes: 1, anchors: [[4, 4], [10, 20]], masks: [[0, 1]]}\n"
    det = _model(tmp_path, "yolo_darknet", [head], extra).predict(BLACK_64)
    cx, cy, w, h = (0.5 + gx) * 32, (0.5 + gy) * 32, 20.0, 20.0
    np.testing.assert_allclose(
        det.xyxy, [[cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]], atol=1e-4
    )
    assert det.confidence[0] == pytest.approx(1 / (1 + np.exp(-10.0)) ** 2, rel=1e-6)


def test_density_map_total_is_preserved_through_letterbox(tmp_path: Path) -> None:
    dmap = np.zeros((1, 1, 16, 16), np.float32)
    dmap[0, 0, 8, 4:12] = 0.5  # 4 people, on the band the frame occupies
    pred = _model(tmp_path, "density", [dmap]).predict(np.zeros((64, 128, 3), np.uint8))
    assert isinstance(pred, DensityMap)
    assert pred.density.shape == (64, 128)
    assert pred.count == pytest.approx(4.0, rel=1e-6)


def test_outputs_that_do_not_fit_the_adapter_are_refused_at_load(tmp_path: Path) -> None:
    with pytest.raises(AdapterMismatchError, match=r"ssd.*\[1, N, 6\].*\[1, 5, 7\]"):
        _model(tmp_path, "ssd", [np.zeros((1, 5, 7), np.float32)])
    with pytest.raises(AdapterMismatchError, match=r"2 heads"):
        _model(
            tmp_path,
            "yolo_darknet",
            [np.zeros((1, 255, 2, 2), np.float32)],
            "params: {anchors: [[1, 1], [2, 2]], masks: [[0], [1]]}\n",
        )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("thresholds: {confidence: 1.5}\n", "thresholds.confidence: expected a number in"),
        ("colour: red\n", "colour: expected one of"),
        ("person_class: -1\n", "person_class: expected a class index"),
    ],
)
def test_bad_model_yaml_names_the_field(tmp_path: Path, extra: str, message: str) -> None:
    constant_model(tmp_path / "m.onnx", [np.zeros((1, 5, 6), np.float32)])
    with pytest.raises(ModelError, match=message):
        CountingModel.from_yaml(write_spec(tmp_path, "m.onnx", "ssd", extra))


def test_missing_onnx_unknown_adapter_and_unknown_model(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"onnx: expected an existing \.onnx file"):
        CountingModel.from_yaml(write_spec(tmp_path, "nope.onnx", "ssd"))
    constant_model(tmp_path / "m.onnx", [np.zeros((1, 5, 6), np.float32)])
    with pytest.raises(ModelError, match="adapter: expected one of"):
        CountingModel.from_yaml(write_spec(tmp_path, "m.onnx", "retina"))
    with pytest.raises(ModelError, match="no such model"):
        CountingModel.from_yaml("no-such-model")
    not_onnx = tmp_path / "bad.onnx"
    not_onnx.write_bytes(b"not a graph")
    with pytest.raises(ModelError, match="cannot be loaded by onnxruntime"):
        CountingModel.from_yaml(write_spec(tmp_path, "bad.onnx", "ssd"))


def test_nms_keeps_different_classes_and_caps_the_count() -> None:
    from vision.nms import nms

    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [0, 0, 10, 10], [50, 50, 60, 60]], float)
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    classes = np.array([0, 0, 1, 0])
    assert nms(boxes, scores, classes, 0.5, 10).tolist() == [0, 2, 3]
    assert nms(boxes, scores, classes, 0.5, 2).tolist() == [0, 2]
