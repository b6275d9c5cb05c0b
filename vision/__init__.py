"""Count people in camera streams with ONNX models, per zone, in people per square metre.

Camera -> ``Frame`` -> ``CountingModel`` (onnxruntime + an adapter) -> ``Detections`` or
``DensityMap`` -> ``ZoneCounter`` -> ``ZoneCount`` -> ``zone.count.v1`` (``vision.wire``, sent
by the counting worker in ``vision.publish``). ``SyntheticCamera`` renders crowds
with exact ground truth. Errors: see ``vision.errors``.
"""

from __future__ import annotations

from vision.adapters import ADAPTERS, Adapter, register_adapter
from vision.camera import CameraSource, SourceStats
from vision.capture import ArrayCapture, Capture, ImageFolderCapture
from vision.detections import DensityMap, Detections, Prediction
from vision.errors import (
    AdapterMismatchError,
    LabelError,
    ModelError,
    PublishError,
    SourceError,
    StreamDroppedError,
    VisionError,
    ZoneError,
)
from vision.frame import Frame
from vision.geometry import Homography
from vision.model import CountingModel, PeopleModel
from vision.spec import ModelSpec
from vision.synthetic import SyntheticCamera, SyntheticTruth
from vision.zones import GateLine, Zone, ZoneCount, ZoneCounter, ZoneLayout, load_layout

__all__ = [
    "ADAPTERS",
    "Adapter",
    "AdapterMismatchError",
    "ArrayCapture",
    "CameraSource",
    "Capture",
    "CountingModel",
    "DensityMap",
    "Detections",
    "Frame",
    "GateLine",
    "Homography",
    "ImageFolderCapture",
    "LabelError",
    "ModelError",
    "ModelSpec",
    "PeopleModel",
    "Prediction",
    "PublishError",
    "SourceError",
    "SourceStats",
    "StreamDroppedError",
    "SyntheticCamera",
    "SyntheticTruth",
    "VisionError",
    "Zone",
    "ZoneCount",
    "ZoneCounter",
    "ZoneError",
    "ZoneLayout",
    "load_layout",
    "register_adapter",
]
