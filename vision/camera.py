"""``CameraSource``: frames from a file, an RTSP/HTTP URL, a device index or a folder of images.

Files are read at media time (every frame is decoded; ``target_fps`` keeps one frame per 1/fps
of media time). Live streams (URLs, devices) are stamped with the wall clock and, when a read
fails, reconnected with exponential backoff; a live stream that stays down raises
``StreamDroppedError``. A frame that fails to decode is skipped and counted in ``stats``, never
raised, because one bad frame must not stop an operations room's counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vision.capture import MAX_FRAME_PIXELS, Capture, ImageFolderCapture
from vision.errors import SourceError, StreamDroppedError
from vision.frame import Frame

STREAM_PREFIXES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://", "udp://", "tcp://")
MAX_CONSECUTIVE_CORRUPT = 25  # a file with this many bad frames in a row is treated as ended
MIN_FRAME_SIDE = 8  # smaller frames cannot be letterboxed meaningfully: skipped as bad


@dataclass
class SourceStats:
    """Running counts for camera-health displays: what was read, kept, dropped and why.

    ``corrupt`` counts every bad frame skipped (undecodable, too small, or larger than
    ``MAX_FRAME_PIXELS``); ``oversized`` is the part of it that was too large.
    """

    read: int = 0
    delivered: int = 0
    skipped_for_fps: int = 0
    corrupt: int = 0
    oversized: int = 0
    reconnects: int = 0


def _default_opener(uri: str | int) -> Capture:
    return cv2.VideoCapture(uri)


class CameraSource:
    """An iterable of ``Frame`` from one camera.

    ``uri`` is a path to a video file or an image folder, a stream URL, or a device index
    (an ``int``, or a string of digits). ``opener`` replaces ``cv2.VideoCapture`` (tests pass an
    in-memory ``ArrayCapture``). ``clock``/``sleep`` are injectable so backoff is testable.
    """

    def __init__(
        self,
        uri: str | int | Path,
        *,
        camera: str | None = None,
        target_fps: float | None = None,
        start_time_s: float = 0.0,
        max_reconnects: int = 5,
        backoff_s: float = 0.5,
        backoff_max_s: float = 8.0,
        max_frames: int | None = None,
        opener: Callable[[str | int], Capture] | None = None,
        live: bool | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if target_fps is not None and target_fps <= 0:
            raise SourceError(
                f"{uri}: target_fps: expected a positive number, found {target_fps!r}"
            )
        self.uri = _normalise_uri(uri)
        self.kind = _kind_of(self.uri)
        self.camera = camera or _default_name(self.uri)
        self.target_fps = target_fps
        self.start_time_s = start_time_s
        self.max_reconnects = max_reconnects
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.max_frames = max_frames
        self.live = live if live is not None else self.kind in ("stream", "device")
        self.clock = clock
        self.sleep = sleep
        self.stats = SourceStats()
        self._opener = opener or _default_opener
        if opener is None:
            _check_exists(self.uri, self.kind)

    def open(self) -> Capture:
        """Open the underlying capture or raise ``SourceError`` saying what is wrong and where."""
        if self.kind == "folder":
            cap: Capture = ImageFolderCapture(Path(str(self.uri)), fps=self.target_fps or 1.0)
            if not cap.isOpened():
                raise SourceError(
                    f"{self.uri}: folder holds no images (expected *.png, *.jpg, ...)"
                )
            return cap
        cap = self._opener(self.uri)
        if not cap.isOpened():
            if self.kind == "file":
                raise SourceError(
                    f"{self.uri}: not a video OpenCV can decode (expected a video file such as "
                    ".avi/.mp4/.mkv, a folder of images, a stream URL or a device index)"
                )
            raise SourceError(
                f"{self.uri}: cannot open {self.kind} (check the address and that it is up)"
            )
        return cap

    def __iter__(self) -> Iterator[Frame]:
        return self.frames()

    def frames(self) -> Iterator[Frame]:
        """Yield frames until the file ends, ``max_frames`` is reached or a stream stays down."""
        cap = self.open()
        try:
            yield from self._loop(cap)
        finally:
            cap.release()

    def _loop(self, cap: Capture) -> Iterator[Frame]:
        fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
        next_due = -np.inf
        bad_run = 0
        index = -1
        while self.max_frames is None or self.stats.delivered < self.max_frames:
            ok, image = cap.read()
            index += 1
            if ok and _is_image(image) and not _fits(image):  # decoded, but unusable: skip
                self.stats.oversized += _pixels(image) > MAX_FRAME_PIXELS
                self.stats.corrupt += 1
                continue
            if not ok or not _is_image(image):
                if self.live:
                    cap = self._reconnect(cap)
                    continue
                if not self._file_has_more(cap, index):
                    return
                self.stats.corrupt += 1
                self.stats.oversized += bool(getattr(cap, "last_oversized", False))
                bad_run += 1
                if bad_run >= MAX_CONSECUTIVE_CORRUPT:
                    return
                continue
            bad_run = 0
            self.stats.read += 1
            t = self.clock() if self.live else self.start_time_s + index / fps
            if self.target_fps is not None and t < next_due - 1e-9:
                self.stats.skipped_for_fps += 1
                continue
            if self.target_fps is not None:
                next_due = (
                    max(next_due + 1.0 / self.target_fps, t)
                    if np.isfinite(next_due)
                    else t + 1.0 / self.target_fps
                )
            self.stats.delivered += 1
            assert image is not None
            yield Frame(camera=self.camera, index=index, time_s=float(t), image=_bgr(image))

    def _file_has_more(self, cap: Capture, index: int) -> bool:
        """Whether a failed read at ``index`` was a bad frame rather than the end of the file."""
        total = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        if isinstance(cap, ImageFolderCapture):  # exact: every image is a frame
            return index < total
        return total > 0 and index < total - 1  # a video's frame count can be one too many

    def _reconnect(self, cap: Capture) -> Capture:
        """Reopen a dropped stream with exponential backoff; give up after ``max_reconnects``."""
        cap.release()
        delay = self.backoff_s
        for attempt in range(1, self.max_reconnects + 1):
            self.sleep(delay)
            self.stats.reconnects += 1
            fresh = self._opener(self.uri)
            if fresh.isOpened():
                return fresh
            fresh.release()
            delay = min(delay * 2.0, self.backoff_max_s)
            del attempt
        raise StreamDroppedError(
            f"{self.uri}: stream dropped and did not come back after {self.max_reconnects} "
            f"reconnect attempts (backoff {self.backoff_s}s doubling to {self.backoff_max_s}s); "
            "check the camera or raise max_reconnects"
        )


def _normalise_uri(uri: str | int | Path) -> str | int:
    if isinstance(uri, int):
        return uri
    text = str(uri)
    return int(text) if text.isdigit() else text


def _kind_of(uri: str | int) -> str:
    if isinstance(uri, int):
        return "device"
    if uri.lower().startswith(STREAM_PREFIXES):
        return "stream"
    return "folder" if Path(uri).is_dir() else "file"


def _default_name(uri: str | int) -> str:
    if isinstance(uri, int):
        return f"device{uri}"
    return Path(uri.split("?")[0].rstrip("/")).stem or str(uri)


def _check_exists(uri: str | int, kind: str) -> None:
    if kind == "file" and not Path(str(uri)).exists():
        raise SourceError(
            f"{uri}: no such file (expected a video file, a folder of images, a stream URL "
            "such as rtsp://host/path, or a device index such as 0)"
        )


def _is_image(image: object) -> bool:
    return (
        isinstance(image, np.ndarray)
        and image.dtype == np.uint8
        and image.ndim in (2, 3)
        and image.shape[0] > 0
        and image.shape[1] > 0
    )


def _pixels(image: np.ndarray) -> int:
    return int(image.shape[0]) * int(image.shape[1])


def _fits(image: np.ndarray) -> bool:
    """Neither larger than ``MAX_FRAME_PIXELS`` nor smaller than ``MIN_FRAME_SIDE`` a side."""
    return _pixels(image) <= MAX_FRAME_PIXELS and min(image.shape[:2]) >= MIN_FRAME_SIDE


def _bgr(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image
