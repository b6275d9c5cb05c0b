"""Exceptions raised by the vision package.

    VisionError                    base of everything vision raises on purpose
    ├── SourceError                a camera source cannot be opened or read
    │   └── StreamDroppedError     a live stream stayed down after every reconnect attempt
    ├── ModelError                 a model YAML, its ONNX file or its weights are unusable
    │   └── AdapterMismatchError   the model's outputs do not have the shape its adapter expects
    ├── ZoneError                  a zones file is invalid (polygon, homography, line)
    ├── LabelError                 a hand-label file for evaluation is invalid
    └── PublishError               the counting worker could not deliver its counts

Every message names the file (or URL), the field and what would fix it.
"""

from __future__ import annotations


class VisionError(Exception):
    """Base class of the vision package's own errors."""


class SourceError(VisionError):
    """A camera source cannot be opened: missing file, not a video, unreachable stream."""


class StreamDroppedError(SourceError):
    """A stream dropped and did not come back within the reconnect budget."""


class ModelError(VisionError):
    """A model description or its files are invalid or missing."""


class AdapterMismatchError(ModelError):
    """The ONNX graph's outputs do not fit the adapter named in the model YAML."""


class ZoneError(VisionError):
    """A zones description is invalid."""


class LabelError(VisionError):
    """A labelled-frames file is invalid."""


class PublishError(VisionError):
    """The bus did not confirm the worker's counts in time (progress was not advanced)."""
