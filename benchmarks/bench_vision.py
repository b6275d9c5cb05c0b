"""Vision benchmarks: frames per second per core, each against the bare onnxruntime call.

Run with ``python -m pytest benchmarks/bench_vision.py``. Every model runs with one onnxruntime
thread, so 1 / mean time is frames per second per core. Groups (baseline first, same run):

``vision-yolo-416``   bare ``session.run`` on a prepared 416x416 tensor, vs ``predict`` on a
                      vtest.avi frame (letterbox + run + decode + NMS).
``vision-yolo-608``   the same at 608x608.
``vision-density``    the density network on a 320x240 synthetic frame: bare run vs ``predict``.
``vision-pipeline``   10 vtest frames: bare runs on pre-decoded tensors (baseline) vs the whole
                      path (decode from file -> predict -> two zones and a gate line).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from vision import CameraSource, CountingModel, SyntheticCamera, ZoneCounter
from vision.pipeline import count_stream
from vision.preprocess import prepare
from vision.samples import vtest_video

ZONES = Path(__file__).resolve().parents[1] / "tests" / "data" / "vision" / "vtest_zones.yaml"
PIPELINE_FRAMES = 10


@pytest.fixture(scope="module")
def video() -> Path:
    return vtest_video()


@pytest.fixture(scope="module")
def frame(video: Path) -> np.ndarray:
    return next(iter(CameraSource(video, max_frames=1))).image


def _tensor(model: CountingModel, image: np.ndarray) -> np.ndarray:
    i = model.spec.input
    return prepare(image, width=i.width, height=i.height, resize=i.resize, pad_value=i.pad_value)[0]


def _fps(benchmark: Callable[..., object], frames: int = 1) -> None:
    benchmark.extra_info["fps_per_core"] = round(frames / benchmark.stats.stats.mean, 2)  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", [416, 608])
@pytest.mark.parametrize("what", ["bare_onnxruntime", "predict"])
def test_yolo(benchmark, frame: np.ndarray, size: int, what: str) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = f"vision-yolo-{size}"
    model = CountingModel.from_yaml("default", input_size=size, threads=1)
    if what == "bare_onnxruntime":
        x = _tensor(model, frame)
        benchmark(model.run_raw, x)
    else:
        benchmark(model.predict, frame)
    _fps(benchmark)


@pytest.mark.parametrize("what", ["bare_onnxruntime", "predict"])
def test_density(benchmark, what: str) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = "vision-density"
    model = CountingModel.from_yaml("density_synthetic", threads=1)
    cam = SyntheticCamera()
    rng = np.random.default_rng(1)
    image, _ = cam.render(cam.sample_positions(2.0, rng), rng)
    if what == "bare_onnxruntime":
        benchmark(model.run_raw, _tensor(model, image))
    else:
        benchmark(model.predict, image)
    _fps(benchmark)


@pytest.mark.parametrize("what", ["bare_onnxruntime", "source_model_zones"])
def test_pipeline(benchmark, video: Path, what: str) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = "vision-pipeline"
    model = CountingModel.from_yaml("default", threads=1)
    if what == "bare_onnxruntime":
        tensors = [_tensor(model, f.image) for f in CameraSource(video, max_frames=PIPELINE_FRAMES)]
        benchmark(lambda: [model.run_raw(t) for t in tensors])
    else:

        def run() -> int:
            steps = count_stream(
                CameraSource(video, max_frames=PIPELINE_FRAMES), model, ZoneCounter.from_yaml(ZONES)
            )
            return sum(1 for _ in steps)

        assert benchmark(run) == PIPELINE_FRAMES
    _fps(benchmark, PIPELINE_FRAMES)
