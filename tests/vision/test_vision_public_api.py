"""The public names other packages rely on stay importable; boundary objects frozen."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import vision


def test_all_names_exist() -> None:
    for name in vision.__all__:
        assert hasattr(vision, name), name
    for name in (
        "CameraSource",
        "Frame",
        "CountingModel",
        "Detections",
        "DensityMap",
        "ZoneCounter",
        "ZoneCount",
        "SyntheticCamera",
    ):
        assert name in vision.__all__


def test_zone_count_and_frame_are_frozen() -> None:
    c = vision.ZoneCount("cam", "z", 1.0, 2.0, 0.5, 0, 0, "m", 0.9)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.count = 3.0  # type: ignore[misc]
    with pytest.raises(ValueError, match=r"Frame\.image"):
        vision.Frame("cam", 0, 0.0, np.zeros((4, 4), np.float32))


def test_error_tree() -> None:
    errors = (vision.SourceError, vision.ModelError, vision.ZoneError, vision.LabelError)
    for cls in (*errors, vision.PublishError):
        assert issubclass(cls, vision.VisionError)
    assert issubclass(vision.StreamDroppedError, vision.SourceError)
    assert issubclass(vision.AdapterMismatchError, vision.ModelError)
