"""A model whose input does not fit its YAML fails when it loads, naming the YAML and the field."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from vision_testkit import constant_model, write_spec

from vision import CountingModel, ModelError

DENSITY_OUT = [np.ones((1, 1, 16, 16), np.float32)]


def test_wrong_channel_count_is_refused_at_load(tmp_path: Path) -> None:
    constant_model(tmp_path / "gray.onnx", DENSITY_OUT, channels=1)
    spec = write_spec(tmp_path, "gray.onnx", "density", "person_class: null\n")
    with pytest.raises(ModelError, match=r"density\.yaml: channels: .*shape \[1, 1, 64, 64\]"):
        CountingModel.from_yaml(spec)


def test_fixed_input_size_must_match_the_yaml(tmp_path: Path) -> None:
    constant_model(tmp_path / "small.onnx", DENSITY_OUT, size=(32, 32))
    spec = write_spec(tmp_path, "small.onnx", "density", "person_class: null\n", size=64)
    with pytest.raises(ModelError, match=r"input\.height: .*expected 64 on axis 2"):
        CountingModel.from_yaml(spec)


def test_a_fitting_model_loads_and_counts(tmp_path: Path) -> None:
    constant_model(tmp_path / "ok.onnx", DENSITY_OUT)
    spec = write_spec(tmp_path, "ok.onnx", "density", "person_class: null\n")
    model = CountingModel.from_yaml(spec)
    assert model.predict(np.zeros((64, 64, 3), np.uint8)).count == pytest.approx(256.0)
