"""``CountingModel``: an onnxruntime session plus the adapter that reads its outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from vision.adapters import Adapter, make_adapter
from vision.detections import Prediction
from vision.errors import ModelError
from vision.preprocess import prepare
from vision.spec import ModelSpec, load_spec
from vision.weights import darknet_onnx


def default_providers() -> list[str]:
    """CUDA when this onnxruntime build has it, always with the CPU as fallback."""
    available = ort.get_available_providers()
    return [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]


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
        inputs = self.session.get_inputs()
        if len(inputs) != 1 or len(inputs[0].shape) != 4:
            raise ModelError(
                f"{spec.file}: onnx: expected one image input [1, 3, H, W], found "
                f"{[i.shape for i in inputs]}"
            )
        self.input_name = inputs[0].name
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
        i = self.spec.input
        tensor, placement = prepare(
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
        return self.adapter.decode(self.run_raw(tensor), placement)
