"""Tiled and fused models: tile geometry, the switch rule, loading by name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from vision_testkit import constant_model, write_spec

from vision import CameraSource, CountingModel, DensityMap, Detections, ModelError
from vision.fusion import FusedModel, TiledModel, load_model

TWO_PEOPLE = np.array([[[10, 10, 20, 40, 0.9, 0], [40, 10, 50, 40, 0.9, 0]]], np.float32)


def _density(tmp_path: Path, per_cell: float, name: str) -> CountingModel:
    constant_model(tmp_path / f"{name}.onnx", [np.full((1, 1, 16, 16), per_cell, np.float32)])
    spec = write_spec(tmp_path, f"{name}.onnx", "density", "person_class: null\n")
    return CountingModel.from_yaml(spec.rename(tmp_path / f"{name}.yaml"))


@pytest.fixture
def detector(tmp_path: Path) -> CountingModel:
    constant_model(tmp_path / "det.onnx", [TWO_PEOPLE])
    return CountingModel.from_yaml(write_spec(tmp_path, "det.onnx", "ssd"))


def test_tiles_cover_the_frame_with_the_stated_overlap(detector: CountingModel) -> None:
    tiled = TiledModel(detector, rows=2, cols=3, overlap=0.25)
    tiles = tiled.tiles(1000, 600)
    assert len(tiles) == 6
    xs = sorted({(x0, x1) for x0, _, x1, _ in tiles})
    assert xs[0][0] == 0 and xs[-1][1] == 1000
    side = xs[0][1] - xs[0][0]
    assert xs[0][1] - xs[1][0] == pytest.approx(0.25 * side, abs=1)


def test_fused_model_uses_the_density_map_only_for_crowds(
    tmp_path: Path, detector: CountingModel
) -> None:
    image = np.zeros((64, 64, 3), np.uint8)
    crowd = FusedModel(detector, _density(tmp_path, 1.0, "crowd"), switch_at=50)  # 256 people
    few = FusedModel(detector, _density(tmp_path, 0.1, "few"), switch_at=50)  # 25.6 people
    assert isinstance(crowd.predict(image), DensityMap) and crowd.predict(image).count == 256
    assert isinstance(few.predict(image), Detections) and few.predict(image).count == 2


def test_shipped_fused_and_tiled_models_load_by_name(vtest_path: Path) -> None:
    frame = next(iter(CameraSource(vtest_path, max_frames=1))).image
    tiled, auto = load_model("tiled"), load_model("auto")
    assert isinstance(tiled, TiledModel) and isinstance(auto, FusedModel)
    assert 2 <= tiled.predict(frame).count <= 6  # frame 0: three walkers
    assert auto.predict(frame).count == 3  # sparse: the detector's count (CSRNet says ~17)


def test_bad_fusion_yaml_names_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "f.yaml"
    bad.write_text("fusion: {sparse: default, dense: csrnet, switch_at: -1}\n")
    with pytest.raises(ModelError, match=r"f\.yaml: fusion\.switch_at: expected a number"):
        load_model(bad)
