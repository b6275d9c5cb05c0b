"""Bad inputs to ``matchday vision`` get one line naming the file and the fix, exit 2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from typer.testing import CliRunner
from vision_testkit import constant_model, write_spec

from matchday.cli import app


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["vision", *args])
    return result.exit_code, result.output


def test_missing_video(tmp_path: Path) -> None:
    code, out = _run("count", str(tmp_path / "nope.mp4"))
    assert code == 2 and "nope.mp4: no such file" in out


def test_not_a_video(tmp_path: Path) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_text("hello")
    code, out = _run("count", str(bad))
    assert code == 2 and "not a video OpenCV can decode" in out


def test_model_whose_outputs_do_not_fit(tmp_path: Path) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    import cv2

    cv2.imwrite(str(frames / "a.png"), np.zeros((64, 64, 3), np.uint8))
    constant_model(tmp_path / "m.onnx", [np.zeros((1, 84, 10), np.float32)])
    spec = write_spec(tmp_path, "m.onnx", "ssd")
    code, out = _run("count", str(frames), "--model", str(spec))
    assert code == 2 and "adapter 'ssd'" in out and "[1, 84, 10]" in out


def test_bad_zones_and_labels(tmp_path: Path) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    zones = tmp_path / "zones.yaml"
    zones.write_text("zones: [{id: a, polygon: [[0, 0], [1, 1]]}]\n")
    code, out = _run("count", str(frames), "--zones", str(zones))
    assert code == 2 and "zones[0].polygon" in out
    labels = tmp_path / "labels.yaml"
    labels.write_text("frames: {0: -3}\n")
    code, out = _run("eval", str(frames), "--labels", str(labels))
    assert code == 2 and "frames.0: expected a person count" in out


def test_count_on_image_folder_writes_json_lines(tmp_path: Path) -> None:
    import cv2

    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(3):
        cv2.imwrite(str(frames / f"{i}.png"), np.zeros((64, 64, 3), np.uint8))
    rows = np.array([[[10, 10, 20, 40, 0.9, 0], [40, 10, 50, 40, 0.9, 0]]], np.float32)
    constant_model(tmp_path / "m.onnx", [rows])
    spec = write_spec(tmp_path, "m.onnx", "ssd")
    out = tmp_path / "c.jsonl"
    code, text = _run("count", str(frames), "--model", str(spec), "--out", str(out))
    assert code == 0, text
    lines = out.read_text().splitlines()
    assert len(lines) == 3 and all(
        '"count": 2,' in line and '"zone": "frame"' in line for line in lines
    )
