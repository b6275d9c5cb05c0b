"""Convert Darknet ``.cfg`` + ``.weights`` to an ONNX graph with the ``onnx`` package.

Supported layers (enough for YOLOv3-tiny and similar): ``convolutional`` with batch norm folded
into the convolution, ``leaky``/``linear``/``relu`` activations, ``maxpool`` (including Darknet's
size-2 stride-1 pool, which pads one pixel on the right and bottom), ``route``, ``upsample`` and
``yolo``. The graph's outputs are the raw tensors feeding each ``yolo`` layer,
``[1, A*(5+C), H, W]``;
the ``yolo_darknet`` adapter decodes them. Height and width are symbolic, so one graph serves any
input that is a multiple of 32. Conversion is pure numpy and deterministic (same bytes every time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from vision.errors import ModelError

BN_EPS = 1e-6  # Darknet divides by sqrt(var) + .000001


@dataclass(frozen=True)
class Section:
    kind: str
    options: dict[str, str]

    def int(self, key: str, default: int) -> int:
        return int(self.options.get(key, default))


def parse_cfg(text: str, source: str = "<cfg>") -> list[Section]:
    """Sections in file order; ``[net]`` first."""
    sections: list[Section] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise ModelError(f"{source}: bad section header {line!r}")
            sections.append(Section(line[1:-1].strip(), {}))
        elif "=" in line and sections:
            key, value = line.split("=", 1)
            sections[-1].options[key.strip()] = value.strip()
        else:
            raise ModelError(f"{source}: expected 'key=value' or '[section]', found {line!r}")
    if not sections or sections[0].kind not in ("net", "network"):
        raise ModelError(f"{source}: expected the first section to be [net]")
    return sections


class _Weights:
    """Sequential reader over the float32 payload after the Darknet header."""

    def __init__(self, data: bytes, source: str) -> None:
        major, minor, _rev = np.frombuffer(data[:12], dtype=np.int32)
        header = 20 if (major * 10 + minor) >= 2 and major < 1000 and minor < 1000 else 16
        self.values = np.frombuffer(data[header:], dtype=np.float32)
        self.pos = 0
        self.source = source

    def take(self, n: int) -> np.ndarray:
        if self.pos + n > self.values.size:
            raise ModelError(
                f"{self.source}: weights file ends early (needs more values than it holds); "
                "cfg and weights do not match"
            )
        out = self.values[self.pos : self.pos + n]
        self.pos += n
        return out


class _Builder:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []

    def const(self, name: str, array: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: list[str], name: str, **attrs: Any) -> str:
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name


def _conv(b: _Builder, s: Section, i: int, x: str, c_in: int, w: _Weights) -> tuple[str, int]:
    filters, size = s.int("filters", 1), s.int("size", 1)
    stride, pad = (
        s.int("stride", 1),
        (s.int("size", 1) // 2 if s.int("pad", 0) else s.int("padding", 0)),
    )
    bias = w.take(filters).copy()
    if s.int("batch_normalize", 0):
        scales, mean, var = w.take(filters), w.take(filters), w.take(filters)
        kernel = w.take(filters * c_in * size * size).reshape(filters, c_in, size, size)
        factor = scales / (np.sqrt(var) + BN_EPS)
        kernel = kernel * factor[:, None, None, None]
        bias = bias - mean * factor
    else:
        kernel = w.take(filters * c_in * size * size).reshape(filters, c_in, size, size)
    y = b.node(
        "Conv",
        [
            x,
            b.const(f"conv{i}_w", kernel.astype(np.float32)),
            b.const(f"conv{i}_b", bias.astype(np.float32)),
        ],
        f"conv{i}",
        kernel_shape=[size, size],
        strides=[stride, stride],
        pads=[pad, pad, pad, pad],
    )
    act = s.options.get("activation", "linear")
    if act == "leaky":
        y = b.node("LeakyRelu", [y], f"leaky{i}", alpha=0.1)
    elif act == "relu":
        y = b.node("Relu", [y], f"relu{i}")
    elif act != "linear":
        raise ModelError(f"layer {i}: activation {act!r} not supported (leaky, relu, linear)")
    return y, filters


def _maxpool(b: _Builder, s: Section, i: int, x: str) -> str:
    size, stride = s.int("size", 2), s.int("stride", 2)
    extra = size - 1 if stride == 1 else 0  # Darknet keeps the size: pad right/bottom
    return b.node(
        "MaxPool",
        [x],
        f"pool{i}",
        kernel_shape=[size, size],
        strides=[stride, stride],
        pads=[0, 0, extra, extra],
    )


def convert(cfg_text: str, weights: bytes, *, source: str = "<weights>") -> onnx.ModelProto:
    """Build the ONNX model; raises ``ModelError`` when cfg and weights disagree."""
    sections = parse_cfg(cfg_text, source)
    net, layers = sections[0], sections[1:]
    w = _Weights(weights, source)
    b = _Builder()
    outputs: list[str] = []
    names: list[str] = []
    channels: list[int] = []
    x, c = "images", net.int("channels", 3)
    for i, s in enumerate(layers):
        if s.kind == "convolutional":
            x, c = _conv(b, s, i, x, c, w)
        elif s.kind == "maxpool":
            x = _maxpool(b, s, i, x)
        elif s.kind == "upsample":
            k = float(s.int("stride", 2))
            scales = b.const(f"up{i}_scales", np.array([1, 1, k, k], dtype=np.float32))
            x = b.node("Resize", [x, "", scales], f"up{i}", mode="nearest")
        elif s.kind == "route":
            refs = [int(v) for v in s.options["layers"].split(",")]
            idx = [r if r >= 0 else i + r for r in refs]
            x = (
                names[idx[0]]
                if len(idx) == 1
                else b.node("Concat", [names[j] for j in idx], f"route{i}", axis=1)
            )
            c = sum(channels[j] for j in idx)
        elif s.kind == "yolo":
            outputs.append(x)
        else:
            raise ModelError(f"{source}: layer {i}: [{s.kind}] is not supported by the converter")
        names.append(x)
        channels.append(c)
    if w.pos != w.values.size:
        raise ModelError(
            f"{source}: {w.values.size - w.pos} weight values left over; cfg and weights do "
            "not match"
        )
    graph = helper.make_graph(
        b.nodes,
        "darknet",
        [
            helper.make_tensor_value_info(
                "images", TensorProto.FLOAT, [1, net.int("channels", 3), "height", "width"]
            )
        ],
        [
            helper.make_tensor_value_info(
                o, TensorProto.FLOAT, [1, channels[names.index(o)], None, None]
            )
            for o in outputs
        ],
        initializer=b.inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="matchday.vision.darknet"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
