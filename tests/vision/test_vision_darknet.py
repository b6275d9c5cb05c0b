"""The Darknet converter against an independent numpy forward pass, and the weights checks."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from vision.darknet import convert, parse_cfg
from vision.errors import ModelError
from vision.spec import DarknetSource
from vision.weights import darknet_onnx

TINY_CFG = """
[net]
channels=3
[convolutional]
batch_normalize=1
filters=4
size=3
stride=1
pad=1
activation=leaky
[maxpool]
size=2
stride=2
[convolutional]
batch_normalize=1
filters=6
size=3
stride=1
pad=1
activation=leaky
[maxpool]
size=2
stride=1
[convolutional]
size=1
stride=1
pad=1
filters=12
activation=linear
[yolo]
mask=0,1
[route]
layers=-3
[upsample]
stride=2
[route]
layers=-1,0
[convolutional]
size=1
stride=1
pad=1
filters=12
activation=linear
[yolo]
mask=0,1
"""


def _weights(cfg: str, rng: np.random.Generator) -> tuple[bytes, list[dict[str, np.ndarray]]]:
    """Random Darknet weights for ``cfg``, and the same values as per-layer arrays."""
    header = np.array([0, 2, 0], np.int32).tobytes() + np.array([0], np.int64).tobytes()
    chunks, layers, c = [], [], 3
    channels: list[int] = []
    for s in parse_cfg(cfg)[1:]:
        if s.kind == "convolutional":
            f, k = s.int("filters", 1), s.int("size", 1)
            p = {"bias": rng.normal(0, 0.1, f)}
            if s.int("batch_normalize", 0):
                p |= {
                    "scale": rng.uniform(0.5, 1.5, f),
                    "mean": rng.normal(0, 0.1, f),
                    "var": rng.uniform(0.5, 2, f),
                }
            p["w"] = rng.normal(0, 0.3, (f, c, k, k))
            for key in ("bias", "scale", "mean", "var", "w"):
                if key in p:
                    chunks.append(p[key].astype(np.float32).ravel())
            layers.append(p)
            c = f
        elif s.kind == "route":
            refs = [int(v) for v in s.options["layers"].split(",")]
            c = sum(channels[r if r >= 0 else len(channels) + r] for r in refs)
        channels.append(c)
    return header + np.concatenate(chunks).tobytes(), layers


def _conv(x: np.ndarray, p: dict[str, np.ndarray], act: str) -> np.ndarray:
    f, _, k, _ = p["w"].shape
    pad = k // 2
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    h, w = x.shape[1:]
    out = np.zeros((f, h, w))
    for dy in range(k):
        for dx in range(k):
            out += np.einsum("fc,chw->fhw", p["w"][:, :, dy, dx], xp[:, dy : dy + h, dx : dx + w])
    if "scale" in p:  # Darknet: (x - mean) / (sqrt(var) + 1e-6) * scale + bias
        out = (
            (out - p["mean"][:, None, None])
            / (np.sqrt(p["var"])[:, None, None] + 1e-6)
            * p["scale"][:, None, None]
        )
    out += p["bias"][:, None, None]
    return np.where(out > 0, out, 0.1 * out) if act == "leaky" else out


def _reference(x: np.ndarray, layers: list[dict[str, np.ndarray]]) -> list[np.ndarray]:
    """Darknet's forward pass written directly from its definitions (no ONNX involved)."""
    l0 = _conv(x, layers[0], "leaky")
    p1 = l0.reshape(4, l0.shape[1] // 2, 2, l0.shape[2] // 2, 2).max(axis=(2, 4))
    l2 = _conv(p1, layers[1], "leaky")
    padded = np.pad(l2, ((0, 0), (0, 1), (0, 1)), constant_values=-np.inf)  # size 2, stride 1
    p3 = np.maximum.reduce(
        [padded[:, :-1, :-1], padded[:, 1:, :-1], padded[:, :-1, 1:], padded[:, 1:, 1:]]
    )
    head1 = _conv(p3, layers[2], "linear")
    up = p3.repeat(2, axis=1).repeat(2, axis=2)
    head2 = _conv(np.concatenate([up, l0]), layers[3], "linear")
    return [head1, head2]


def test_converted_graph_matches_darknet_forward_pass() -> None:
    data, layers = _weights(TINY_CFG, np.random.default_rng(7))
    model = convert(TINY_CFG, data)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(8).uniform(0, 1, (1, 3, 16, 16)).astype(np.float32)
    got = sess.run(None, {"images": x})
    want = _reference(x[0].astype(np.float64), layers)
    assert [g.shape for g in got] == [(1, 12, 8, 8), (1, 12, 16, 16)]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g[0], w, rtol=1e-4, atol=1e-4)
    assert convert(TINY_CFG, data).SerializeToString() == model.SerializeToString()  # deterministic


def test_weights_that_do_not_fit_the_cfg_are_refused() -> None:
    data, _ = _weights(TINY_CFG, np.random.default_rng(1))
    with pytest.raises(ModelError, match="ends early"):
        convert(TINY_CFG, data[:-40])
    with pytest.raises(ModelError, match="left over"):
        convert(TINY_CFG, data + b"\0" * 40)
    with pytest.raises(ModelError, match="not supported"):
        convert(TINY_CFG.replace("[upsample]", "[shortcut]"), data)


def test_weights_hash_is_checked_before_conversion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = tmp_path / "site" / "fakeweights"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    data, _ = _weights(TINY_CFG, np.random.default_rng(2))
    (pkg / "tiny.weights").write_bytes(data)
    cfg = tmp_path / "tiny.cfg"
    cfg.write_text(TINY_CFG)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("MATCHDAY_CACHE", str(tmp_path / "cache"))
    sys.modules.pop("fakeweights", None)
    wrong = DarknetSource("fakeweights", "tiny.weights", "0" * 64, cfg)
    with pytest.raises(ModelError, match="sha256: expected 0000"):
        darknet_onnx(wrong, "m.yaml")
    import hashlib

    right = DarknetSource("fakeweights", "tiny.weights", hashlib.sha256(data).hexdigest(), cfg)
    path = darknet_onnx(right, "m.yaml")
    assert path.parent == tmp_path / "cache" / "models" and path.exists()
    assert darknet_onnx(right, "m.yaml") == path  # cached
    with pytest.raises(ModelError, match="is not installed"):
        darknet_onnx(DarknetSource("no_such_pkg_xyz", "w", "0" * 64, cfg), "m.yaml")


def test_shipped_cfg_has_the_corrected_second_head_mask() -> None:
    from vision.spec import MODELS_DIR, load_spec

    masks = [
        s.options["mask"]
        for s in parse_cfg((MODELS_DIR / "yolov3-tiny.cfg").read_text())
        if s.kind == "yolo"
    ]
    assert masks == ["3,4,5", "1,2,3"]
    assert load_spec("default").params["masks"] == [[3, 4, 5], [1, 2, 3]]
