"""Hostile or odd input: bad frames skipped and counted, mixed sizes counted, bow-ties refused."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner
from vision_testkit import constant_model, write_spec

from matchday.cli import app
from vision import CameraSource, CountingModel, ZoneError
from vision.capture import MAX_FRAME_PIXELS
from vision.pipeline import count_stream
from vision.zones import parse_layout


def huge_png(path: Path, width: int, height: int) -> Path:
    """A valid 1-bit PNG of width x height that is tiny on disk but huge once decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes((width + 7) // 8)
    raw = zlib.compress(row * height, 9)
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
    )
    return path


@pytest.fixture
def density_model(tmp_path: Path) -> CountingModel:
    """A model that reports exactly 256 people spread evenly over any square frame."""
    constant_model(tmp_path / "flat.onnx", [np.ones((1, 1, 16, 16), np.float32)])
    return CountingModel.from_yaml(
        write_spec(tmp_path, "flat.onnx", "density", "person_class: null\n")
    )


def test_oversized_and_corrupt_images_are_skipped_and_counted(
    tmp_path: Path, density_model: CountingModel
) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), np.zeros((64, 64, 3), np.uint8))
    huge_png(folder / "b.png", 20_000, 20_000)  # 400 MP: 1.2 GB if decoded
    (folder / "c.png").write_bytes(b"not a png at all")
    cv2.imwrite(str(folder / "d.png"), np.zeros((64, 64, 3), np.uint8))
    assert MAX_FRAME_PIXELS < 20_000 * 20_000 and (folder / "b.png").stat().st_size < 200_000
    source = CameraSource(folder)
    steps = list(count_stream(source, density_model))
    assert [s.frame.index for s in steps] == [0, 3]
    assert (source.stats.corrupt, source.stats.oversized, source.stats.delivered) == (2, 1, 2)


def test_cli_reports_skipped_frames(tmp_path: Path, density_model: CountingModel) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), np.zeros((64, 64, 3), np.uint8))
    huge_png(folder / "b.png", 20_000, 20_000)
    result = CliRunner().invoke(
        app, ["vision", "count", str(folder), "--model", density_model.spec.file]
    )
    assert result.exit_code == 0, result.output
    assert "bad frames skipped 1 (oversized 1)" in result.output


def test_whole_frame_zone_follows_each_image_size(
    tmp_path: Path, density_model: CountingModel
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    cv2.imwrite(str(folder / "a_small.png"), np.zeros((64, 64, 3), np.uint8))
    cv2.imwrite(str(folder / "b_large.png"), np.zeros((256, 256, 3), np.uint8))
    counts = [s.counts[0].count for s in count_stream(CameraSource(folder), density_model)]
    # a zone fixed to the first image's 64x64 would see 1/16 of the second: 16 instead of 256
    assert counts == pytest.approx([256.0, 256.0])


def test_self_intersecting_zone_is_refused() -> None:
    bow_tie = {"zones": [{"id": "plaza", "polygon": [[0, 0], [10, 10], [10, 0], [0, 10]]}]}
    with pytest.raises(
        ZoneError, match=r"f\.yaml: zones\[0\]\.polygon: .*edge 0 .*crossing edge 2"
    ):
        parse_layout(bow_tie, "f.yaml")


def test_concave_zone_is_accepted() -> None:
    ell = [[0, 0], [10, 0], [10, 4], [4, 4], [4, 10], [0, 10]]
    layout = parse_layout({"zones": [{"id": "l", "polygon": ell}]}, "f.yaml")
    assert len(layout.zones) == 1


def test_a_tiny_frame_from_a_live_camera_is_skipped_without_reconnecting() -> None:
    from vision import ArrayCapture

    images = [np.zeros((64, 64, 3), np.uint8), np.zeros((4, 4, 3), np.uint8)]
    images.append(np.zeros((64, 64, 3), np.uint8))
    source = CameraSource(
        "rtsp://127.0.0.1:1/cam", opener=lambda _: ArrayCapture(images), max_frames=2
    )
    assert [f.index for f in source] == [0, 2]
    assert (source.stats.corrupt, source.stats.reconnects) == (1, 0)


def test_alias_bomb_and_oversized_files_are_refused_quickly(tmp_path: Path) -> None:
    from vision import ModelError
    from vision.fusion import load_model
    from vision.zones import load_layout

    bomb = tmp_path / "bomb.yaml"
    lines = ["a0: &a0 [[1, 2], [3, 4], [5, 6]]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 12)]
    bomb.write_text("\n".join(lines) + "\nzones: [{id: z, polygon: *a11}]\n")
    with pytest.raises(ZoneError, match=r"bomb\.yaml: .*aliases \(\*a0\) are not allowed"):
        load_layout(bomb)
    with pytest.raises(ModelError, match=r"bomb\.yaml: .*aliases"):
        load_model(bomb)
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * 1_100_000 + "\n")
    with pytest.raises(ZoneError, match=r"big\.yaml: zones file is 1,100,003 bytes"):
        load_layout(big)


def test_a_polygon_with_too_many_corners_is_refused() -> None:
    t = np.linspace(0, 2 * np.pi, 5000, endpoint=False)
    circle = np.c_[np.cos(t), np.sin(t)].tolist()
    with pytest.raises(ZoneError, match=r"zones\[0\]\.polygon: expected at most 1000 corners"):
        parse_layout({"zones": [{"id": "z", "polygon": circle}]}, "f.yaml")
