"""Camera sources: files, folders, frame dropping, corrupt frames, dropped streams, bad paths."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from vision import ArrayCapture, CameraSource, SourceError, StreamDroppedError


def _img(v: int, shape: tuple[int, int] = (24, 32)) -> np.ndarray:
    return np.full((*shape, 3), v, np.uint8)


def _write_video(path: Path, n: int, fps: float = 10.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (32, 24))
    for i in range(n):
        writer.write(_img(8 * i % 256))
    writer.release()
    return path


def test_video_file_frames_are_stamped_with_media_time(tmp_path: Path) -> None:
    video = _write_video(tmp_path / "clip.avi", 12)
    frames = list(CameraSource(video, start_time_s=1000.0))
    assert [f.index for f in frames] == list(range(12))
    assert frames[5].time_s == pytest.approx(1000.5)
    assert frames[0].camera == "clip" and frames[0].image.shape == (24, 32, 3)


def test_target_fps_drops_frames_evenly(tmp_path: Path) -> None:
    src = CameraSource(
        _write_video(tmp_path / "clip.avi", 20), target_fps=2.5
    )  # 10 fps -> every 4th
    assert [f.index for f in src] == [0, 4, 8, 12, 16]
    assert (src.stats.delivered, src.stats.skipped_for_fps) == (5, 15)


def test_corrupt_frames_are_skipped_and_counted() -> None:
    images = [_img(1), None, _img(2), _img(3), _img(4)]
    src = CameraSource("mem", opener=lambda _: ArrayCapture(images, failures=[3]), live=False)
    assert [f.index for f in src] == [0, 2, 4]
    assert src.stats.corrupt == 2


def test_image_folder_skips_unreadable_files(tmp_path: Path) -> None:
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"{i:02d}.png"), _img(50 * i))
    (tmp_path / "01b.png").write_bytes(b"not a png")
    src = CameraSource(tmp_path)
    frames = list(src)
    assert [int(f.image[0, 0, 0]) for f in frames] == [0, 50, 100]
    assert src.stats.corrupt == 1


def test_dropped_stream_reconnects_with_backoff() -> None:
    opened: list[int] = []
    sleeps: list[float] = []

    def opener(_: object) -> ArrayCapture:
        opened.append(1)
        if len(opened) == 1:
            return ArrayCapture([_img(1), _img(2)])  # drops after two frames
        if len(opened) < 4:
            cap = ArrayCapture([])
            cap.opened = False  # two failed reconnects
            return cap
        return ArrayCapture([_img(3)])

    clock = iter(range(100))
    src = CameraSource(
        "rtsp://127.0.0.1:1/cam",
        opener=opener,
        max_frames=3,
        backoff_s=0.5,
        clock=lambda: float(next(clock)),
        sleep=sleeps.append,
    )
    frames = list(src)
    assert [int(f.image[0, 0, 0]) for f in frames] == [1, 2, 3]
    assert sleeps == [0.5, 1.0, 2.0] and src.stats.reconnects == 3
    assert frames[0].time_s < frames[1].time_s < frames[2].time_s  # wall-clock stamps


def test_stream_that_stays_down_raises_after_the_budget() -> None:
    sleeps: list[float] = []

    def opener(_: object) -> ArrayCapture:
        if not sleeps:
            return ArrayCapture([_img(1)])
        cap = ArrayCapture([])
        cap.opened = False
        return cap

    src = CameraSource(
        "http://127.0.0.1:1/cam.mjpg",
        opener=opener,
        max_reconnects=4,
        backoff_s=1.0,
        backoff_max_s=3.0,
        sleep=sleeps.append,
    )
    with pytest.raises(StreamDroppedError, match="did not come back after 4 reconnect attempts"):
        list(src)
    assert sleeps == [1.0, 2.0, 3.0, 3.0]


def test_missing_file_and_not_a_video(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        CameraSource(tmp_path / "missing.mp4")
    text = tmp_path / "notes.avi"
    text.write_text("this is not a video")
    with pytest.raises(SourceError, match="not a video OpenCV can decode"):
        list(CameraSource(text))
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="folder holds no images"):
        list(CameraSource(tmp_path / "empty"))
    with pytest.raises(SourceError, match="target_fps: expected a positive number"):
        CameraSource(text, target_fps=0)


def test_unreachable_stream_is_a_clear_error() -> None:
    src = CameraSource("rtsp://127.0.0.1:9/none", opener=lambda _: _closed())
    with pytest.raises(SourceError, match="cannot open stream"):
        list(src)


def _closed() -> ArrayCapture:
    cap = ArrayCapture([])
    cap.opened = False
    return cap


def test_truncated_video_file_does_not_crash(tmp_path: Path) -> None:
    video = _write_video(tmp_path / "clip.avi", 30)
    data = video.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) * 2 // 3])
    frames = list(CameraSource(cut))
    assert 0 < len(frames) < 30
