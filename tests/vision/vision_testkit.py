"""Helpers for the vision tests: tiny ONNX graphs whose outputs are known exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

DATA = Path(__file__).resolve().parents[1] / "data" / "vision"


def constant_model(
    path: Path, outputs: list[np.ndarray], size: tuple[int, int] = (64, 64), channels: int = 3
) -> Path:
    """An ONNX graph that ignores its image (times zero) and returns ``outputs`` exactly."""
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["m"], keepdims=0),
        helper.make_node("Mul", ["m", "zero"], ["z"]),
    ]
    inits = [numpy_helper.from_array(np.zeros((), np.float32), "zero")]
    outs = []
    for i, arr in enumerate(outputs):
        inits.append(numpy_helper.from_array(arr.astype(np.float32), f"const{i}"))
        nodes.append(helper.make_node("Add", [f"const{i}", "z"], [f"out{i}"]))
        outs.append(helper.make_tensor_value_info(f"out{i}", TensorProto.FLOAT, list(arr.shape)))
    graph = helper.make_graph(
        nodes,
        "constant",
        [
            helper.make_tensor_value_info(
                "images", TensorProto.FLOAT, [1, channels, size[1], size[0]]
            )
        ],
        outs,
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
    return path


def write_spec(dir_: Path, onnx_name: str, adapter: str, extra: str = "", size: int = 64) -> Path:
    path = dir_ / f"{adapter}.yaml"
    path.write_text(
        f"name: test-{adapter}\nadapter: {adapter}\nonnx: {onnx_name}\n"
        f"input: {{width: {size}, height: {size}, resize: letterbox}}\n" + extra
    )
    return path
