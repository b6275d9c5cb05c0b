"""Vision benchmarks: frames per second per core for each model, each against a baseline.

Run with ``python -m pytest benchmarks/bench_vision.py``. Every model runs with one onnxruntime
thread, so 1 / mean time is frames per second per core (``extra_info.fps_per_core``). Groups,
baseline first, all in the same run:

``vision-yolo-416``   FP32 YOLOv3-tiny bare ``session.run`` (baseline; needs the optional
                      Darknet weights, skipped without them), the shipped INT8 graph bare, and
                      INT8 ``predict`` on a vtest.avi frame (letterbox + run + decode + NMS).
``vision-yolo-608``   the same at 608x608.
``vision-batch``      four cameras' frames: four ``predict`` calls (baseline) vs one
                      ``predict_batch`` call.
``vision-tiled``      the detector on the frame (baseline) vs on 2 x 2 overlapping tiles.
``vision-csrnet``     CSRNet INT8 at 640x480: bare run (baseline) vs ``predict``; 3 rounds.
``vision-density``    the synthetic density network at 320x240: bare run vs ``predict``.
``vision-pipeline``   10 vtest frames: bare runs on pre-decoded tensors (baseline) vs the whole
                      path (decode from file -> predict -> two zones and a gate line).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from vision import CameraSource, CountingModel, ModelError, SyntheticCamera, ZoneCounter
from vision.fusion import load_model
from vision.pipeline import count_stream
from vision.preprocess import prepare
from vision.samples import vtest_video

ZONES = Path(__file__).resolve().parents[1] / "tests" / "data" / "vision" / "vtest_zones.yaml"
PIPELINE_FRAMES = 10
CAMERAS = 4


@pytest.fixture(scope="module")
def video() -> Path:
    return vtest_video()


@pytest.fixture(scope="module")
def frame(video: Path) -> np.ndarray:
    return next(iter(CameraSource(video, max_frames=1))).image


def _tensor(model: CountingModel, image: np.ndarray) -> np.ndarray:
    i = model.spec.input
    return prepare(
        image, width=i.width, height=i.height, resize=i.resize, pad_value=i.pad_value,
        mean=i.mean, std=i.std,
    )[0]  # fmt: skip


def _fps(benchmark: Callable[..., object], frames: int = 1) -> None:
    benchmark.extra_info["fps_per_core"] = round(frames / benchmark.stats.stats.mean, 2)  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", [416, 608])
@pytest.mark.parametrize("what", ["fp32_bare_baseline", "int8_bare", "int8_predict"])
def test_yolo(benchmark, frame: np.ndarray, size: int, what: str) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = f"vision-yolo-{size}"
    name = "yolov3-tiny-fp32" if what.startswith("fp32") else "default"
    try:
        model = CountingModel.from_yaml(name, input_size=size, threads=1)
    except ModelError as exc:  # the FP32 reference needs the original Darknet weights
        pytest.skip(str(exc))
    if what.endswith("predict"):
        benchmark(model.predict, frame)
    else:
        benchmark(model.run_raw, _tensor(model, frame))
    _fps(benchmark)


@pytest.mark.parametrize("what", ["one_call_per_camera_baseline", "one_batched_call"])
def test_batch(benchmark, video: Path, what: str) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = "vision-batch"
    model = CountingModel.from_yaml("default", threads=1)
    images = [f.image for f in CameraSource(video, max_frames=40)][:: 40 // CAMERAS]
    if what == "one_batched_call":
        benchmark(model.predict_batch, images)
    else:
        benchmark(lambda: [model.predict(im) for im in images])
    _fps(benchmark, len(images))


@pytest.mark.parametrize("what", ["whole_frame_baseline", "tiles_2x2"])
def test_tiled(benchmark, frame: np.ndarray, what: str) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = "vision-tiled"
    model = load_model("default" if what.startswith("whole") else "tiled", threads=1)
    benchmark(model.predict, frame)
    _fps(benchmark)


@pytest.mark.parametrize("what", ["bare_onnxruntime", "predict"])
def test_csrnet(benchmark, frame: np.ndarray, what: str) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = "vision-csrnet"
    model = CountingModel.from_yaml("csrnet", threads=1)
    if what == "bare_onnxruntime":
        x = _tensor(model, frame)
        benchmark.pedantic(model.run_raw, args=(x,), rounds=3, iterations=1, warmup_rounds=1)
    else:
        benchmark.pedantic(model.predict, args=(frame,), rounds=3, iterations=1, warmup_rounds=1)
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
