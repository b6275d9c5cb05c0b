"""The tiny capture interface a ``CameraSource`` reads from, and its non-OpenCV implementations.

OpenCV's ``cv2.VideoCapture`` already satisfies ``Capture``; ``ImageFolderCapture`` reads a folder
of stills the same way, and ``ArrayCapture`` is the in-memory stand-in used by tests and by the
synthetic camera (it can be told to fail reads, to rehearse corrupt frames and dropped streams).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
from PIL import Image

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
MAX_FRAME_PIXELS = 36_000_000  # above 8K UHD (33.2 MP): skipped, never decoded


class Capture(Protocol):
    """What a source needs from a capture: the subset of ``cv2.VideoCapture`` we use."""

    def isOpened(self) -> bool: ...

    def read(self) -> tuple[bool, np.ndarray | None]: ...

    def get(self, prop: int) -> float: ...

    def release(self) -> None: ...


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from the file's header without decoding it; None when unreadable.

    Pillow refuses headers past its own bomb limit (far above ``MAX_FRAME_PIXELS``); those come
    back as the limit plus one so the caller skips them as oversized.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                return int(im.size[0]), int(im.size[1])
    except Image.DecompressionBombError:
        return MAX_FRAME_PIXELS + 1, 1
    except Exception:  # Pillow raises many types on bad files; all mean "cannot read this"
        return None


class ImageFolderCapture:
    """Reads a folder of images in name order; a bad image is returned as a failed read.

    Bad means: unreadable, not decodable, or larger than ``MAX_FRAME_PIXELS`` (checked from the
    header first, so a 1-gigapixel PNG costs nothing). ``skipped`` lists them with the reason.
    """

    def __init__(self, folder: Path, fps: float = 1.0) -> None:
        self.paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        self.fps = fps
        self.pos = 0
        self.skipped: list[tuple[Path, str]] = []
        self.last_oversized = False  # whether the last failed read was an over-large image

    def isOpened(self) -> bool:
        return bool(self.paths)

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.pos >= len(self.paths):
            return False, None
        path = self.paths[self.pos]
        self.pos += 1
        size = image_size(path)
        self.last_oversized = size is not None and size[0] * size[1] > MAX_FRAME_PIXELS
        if size is None or self.last_oversized:
            why = "unreadable" if size is None else f"over {MAX_FRAME_PIXELS:,} pixels"
            self.skipped.append((path, why))
            return False, None
        try:
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        except (cv2.error, MemoryError):
            image = None
        if image is None:
            self.skipped.append((path, "not decodable"))
        return (image is not None), image

    def get(self, prop: int) -> float:
        return sequence_property(prop, count=len(self.paths), fps=self.fps, pos=self.pos)

    def release(self) -> None:
        self.pos = len(self.paths)


class ArrayCapture:
    """An in-memory capture over a list of images.

    ``failures`` holds read indices that fail (a corrupt frame in a file, or a dropped
    connection on a live stream); ``None`` entries in ``images`` are returned as failed reads too.
    """

    def __init__(
        self, images: Sequence[np.ndarray | None], fps: float = 25.0, failures: Sequence[int] = ()
    ) -> None:
        self.images = list(images)
        self.fps = fps
        self.failures = set(failures)
        self.pos = 0
        self.opened = True

    def isOpened(self) -> bool:
        return self.opened

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.pos >= len(self.images):
            return False, None
        index = self.pos
        self.pos += 1
        image = self.images[index]
        if index in self.failures or image is None:
            return False, None
        return True, image

    def get(self, prop: int) -> float:
        return sequence_property(prop, count=len(self.images), fps=self.fps, pos=self.pos)

    def release(self) -> None:
        self.opened = False


def sequence_property(prop: int, *, count: int, fps: float, pos: int) -> float:
    """``cv2.VideoCapture.get`` for a finite frame sequence played at ``fps`` (0 if unknown)."""
    if prop == cv2.CAP_PROP_FRAME_COUNT:
        return float(count)
    if prop == cv2.CAP_PROP_FPS:
        return fps
    if prop == cv2.CAP_PROP_POS_FRAMES:
        return float(pos)
    if prop == cv2.CAP_PROP_POS_MSEC:
        return 1000.0 * max(pos - 1, 0) / fps
    return 0.0
