"""``CountingModel``: an onnxruntime session plus the adapter that reads its outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np
import onnxruntime as ort

from vision.adapters import Adapter, make_adapter
from vision.detections import Prediction
from vision.errors import ModelError
from vision.preprocess import Placement, prepare
from vision.spec import ModelSpec, load_spec
from vision.weights import darknet_onnx


class PeopleModel(Protocol):
    """What the pipeline needs of a model: a name and boxes or a density map per image.

    ``CountingModel`` is one; ``vision.fusion`` builds tiled and detector/density ones on it.
    """

    @property
    def name(self) -> str: ...

    def predict(self, image: np.ndarray) -> Prediction: ...


def default_providers() -> list[str]:
    """CUDA when this onnxruntime build has it, always with the CPU as fallback."""
    available = ort.get_available_providers()
    return [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]


def check_input(spec: ModelSpec, inputs: list[ort.NodeArg]) -> str:
    """The image input's name, after checking it fits the YAML: [N, 3, H, W] float32.

    Done at load so a model with the wrong channels or size fails naming the YAML, not on the
    first frame of a live camera.
    """
    found = [(i.name, i.shape, i.type) for i in inputs]
    if len(inputs) != 1 or len(inputs[0].shape) != 4:
        raise ModelError(f"{spec.file}: onnx: expected one image input [1, 3, H, W], found {found}")
    shape, kind = inputs[0].shape, inputs[0].type
    want = {1: 3, 2: spec.input.height, 3: spec.input.width}
    for axis, value in want.items():
        dim = shape[axis]
        if isinstance(dim, int) and dim != value:
            name = ("channels", "input.height", "input.width")[axis - 1]
            raise ModelError(
                f"{spec.file}: {name}: the ONNX input {inputs[0].name!r} has shape {shape}, "
                f"expected {value} on axis {axis} (3 colour channels, then the YAML's "
                f"input.height and input.width); fix the YAML or re-export the model"
            )
    if isinstance(shape[0], int) and shape[0] != 1:
        raise ModelError(f"{spec.file}: onnx: expected batch size 1 or dynamic, found {shape}")
    if kind != "tensor(float)":
        raise ModelError(f"{spec.file}: onnx: expected a float32 image input, found {kind}")
    return str(inputs[0].name)


class CountingModel:
    """Runs one model on frames. Build it with ``CountingModel.from_yaml("default")``."""

    def __init__(
        self, spec: ModelSpec, *, threads: int = 1, providers: list[str] | None = None
    ) -> None:
        self.spec = spec
        self.adapter: Adapter = make_adapter(spec)
        path = spec.onnx if spec.onnx is not None else darknet_onnx(spec.darknet, spec.file)  # type: ignore[arg-type]
        self.onnx_path: Path = path
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(
                str(path), options, providers=providers or default_providers()
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ModelError(
                f"{spec.file}: onnx: {path} cannot be loaded by onnxruntime ({exc})"
            ) from exc
        self.input_name = check_input(spec, self.session.get_inputs())
        self.batch_dim = self.session.get_inputs()[0].shape[0]
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.adapter.check([list(o.shape) for o in self.session.get_outputs()])

    @classmethod
    def from_yaml(
        cls,
        name_or_path: str | Path,
        *,
        threads: int = 1,
        providers: list[str] | None = None,
        input_size: int | None = None,
    ) -> CountingModel:
        """Load `vision/models/<name>.yaml` or a YAML path; `input_size` sets width, height."""
        spec = load_spec(name_or_path)
        if input_size is not None:
            from dataclasses import replace

            if input_size % 32:
                raise ModelError(f"input_size: expected a multiple of 32, found {input_size}")
            spec = replace(spec, input=replace(spec.input, width=input_size, height=input_size))
        return cls(spec, threads=threads, providers=providers)

    @property
    def name(self) -> str:
        return self.spec.name

    def run_raw(self, tensor: np.ndarray) -> list[np.ndarray]:
        """The bare onnxruntime call (what benchmarks compare against)."""
        return self.session.run(self.output_names, {self.input_name: tensor})

    def predict(self, image: np.ndarray) -> Prediction:
        """Boxes or a density map for one BGR image, in that image's pixels."""
        tensor, placement = self._prepare(image)
        return self.adapter.decode(self.run_raw(tensor), placement)

    @property
    def batches(self) -> bool:
        """Whether the graph takes several images per call (a symbolic batch axis)."""
        return not isinstance(self.batch_dim, int)

    def predict_batch(self, images: list[np.ndarray]) -> list[Prediction]:
        """One prediction per image, in one onnxruntime call when the graph batches.

        For several cameras served by one process: one call amortises the per-call overhead
        and lets onnxruntime use larger matrix products. Falls back to one call per image.
        """
        if not self.batches or len(images) < 2:
            return [self.predict(im) for im in images]
        prepared = [self._prepare(im) for im in images]
        outputs = self.run_raw(np.concatenate([t for t, _ in prepared]))
        return [
            self.adapter.decode([o[k : k + 1] for o in outputs], placement)
            for k, (_, placement) in enumerate(prepared)
        ]

    def _prepare(self, image: np.ndarray) -> tuple[np.ndarray, Placement]:
        i = self.spec.input
        return prepare(
            image,
            width=i.width,
            height=i.height,
            resize=i.resize,
            pad_value=i.pad_value,
            rgb=i.rgb,
            scale=i.scale,
            mean=i.mean,
            std=i.std,
        )
