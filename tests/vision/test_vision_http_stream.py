"""A real HTTP stream on 127.0.0.1 read by OpenCV/FFmpeg: reconnects, then a lasting drop."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from vision import CameraSource, SourceError, StreamDroppedError

FRAMES = 8


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def served_clip(tmp_path: Path) -> Iterator[tuple[str, http.server.ThreadingHTTPServer]]:
    writer = cv2.VideoWriter(
        str(tmp_path / "cam.avi"), cv2.VideoWriter.fourcc(*"MJPG"), 10, (32, 24)
    )
    for i in range(FRAMES):
        writer.write(np.full((24, 32, 3), 20 * i, np.uint8))
    writer.release()
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/cam.avi", server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_stream_end_is_treated_as_a_drop_and_reconnected(served_clip) -> None:  # type: ignore[no-untyped-def]
    url, _ = served_clip
    src = CameraSource(url, max_frames=2 * FRAMES + 2, backoff_s=0.01)
    frames = list(src)
    assert len(frames) == 2 * FRAMES + 2
    assert src.stats.reconnects == 2  # the clip ended twice; each time it came back


def test_stream_that_goes_down_raises_stream_dropped(served_clip) -> None:  # type: ignore[no-untyped-def]
    url, server = served_clip
    src = CameraSource(url, max_frames=100, backoff_s=0.01, max_reconnects=2)
    seen = 0
    with pytest.raises(StreamDroppedError, match="after 2 reconnect attempts"):
        for _ in src:
            seen += 1
            if seen == 1:
                server.shutdown()
                server.server_close()
    assert seen >= 1 and src.stats.reconnects == 2


def test_nothing_listening_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match="cannot open stream"):
        list(CameraSource("http://127.0.0.1:9/none.avi"))
