"""Train the small density-map network on synthetic-camera frames and export it to ONNX.

Why synthetic: the frames come with exact head positions, so the density targets are exact, and
the same camera renders the simulator's crowd for the live twin. The network (4 convolutions,
~24k weights) outputs people per cell at 1/4 of the input resolution; its sum is the count.

Usage (CPU; torch is needed only here, never at run time)::

    pip install torch==2.13.0
    python scripts/train_density_model.py --minutes 14 --seed 2030  # the committed model
    python scripts/train_density_model.py --steps 2640 --seed 2030   # deterministic step count

The committed ``density_synthetic.onnx`` came from ``--minutes 14`` (2,636 steps on the build
machine; held-out MAPE 3.3%). Training is sensitive to the run: a ``--steps 2640`` rerun with the
same seed reached only MAPE 11.0%, and a first 10-minute run at a constant lr 1e-3 14.6%.

Writes ``vision/models/density_synthetic.onnx`` and prints the held-out MAE/MAPE. The ONNX is
written with the ``onnx`` package from the trained weights (no exporter dependency), and checked
against the torch model before it is saved.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

from vision.preprocess import prepare
from vision.synthetic import SyntheticCamera

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "vision" / "models" / "density_synthetic.onnx"
STRIDE = 4
TARGET_SCALE = 10.0  # train on density x 10 so the loss is not vanishingly small
LAYERS = [  # (in, out, kernel, dilation, pool_after)
    (3, 16, 3, 1, True),
    (16, 32, 3, 1, True),
    (32, 32, 3, 1, False),
    (32, 32, 3, 2, False),
]


class DensityNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(i, o, k, padding=d * (k // 2), dilation=d) for i, o, k, d, _ in LAYERS
        )
        self.head = nn.Conv2d(32, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv, (*_, pool) in zip(self.convs, LAYERS, strict=True):
            x = torch.relu(conv(x))
            if pool:
                x = nn.functional.max_pool2d(x, 2)
        return torch.relu(self.head(x))


def make_frames(
    cam: SyntheticCamera, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inputs ``[n, 3, H, W]``, targets ``[n, 1, H/4, W/4]`` and true counts."""
    xs, ys, counts = [], [], []
    for _ in range(n):
        density = rng.uniform(0.0, 4.0) if rng.random() > 0.1 else 0.0
        image, truth = cam.render(cam.sample_positions(density, rng), rng)
        x, _ = prepare(image, width=cam.image_w, height=cam.image_h, resize="stretch")
        h, w = truth.density.shape
        pooled = truth.density.reshape(h // STRIDE, STRIDE, w // STRIDE, STRIDE).sum(axis=(1, 3))
        xs.append(x[0])
        ys.append(pooled[None].astype(np.float32) * TARGET_SCALE)
        counts.append(truth.count)
    return np.stack(xs), np.stack(ys), np.asarray(counts, dtype=np.float64)


def train(args: argparse.Namespace) -> DensityNet:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    cam = SyntheticCamera()
    x, y, _ = make_frames(cam, args.train_frames, rng)
    net = DensityNet()
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    step, epoch = 0, 0
    start_time = time.monotonic()
    budget_s = args.minutes * 60 if args.minutes else None
    while not _done(step, start_time, budget_s, args.steps):
        order = torch.from_numpy(rng.permutation(len(x)))
        for start in range(0, len(x), args.batch):
            idx = order[start : start + args.batch]
            # A random 128x128 crop per batch (the net is fully convolutional): 4.7x cheaper steps.
            cy, cx = (
                int(v) * STRIDE
                for v in rng.integers(
                    0, [(x.shape[2] - 128) // STRIDE + 1, (x.shape[3] - 128) // STRIDE + 1]
                )
            )
            xb = xt[idx, :, cy : cy + 128, cx : cx + 128]
            yb = yt[
                idx, :, cy // STRIDE : (cy + 128) // STRIDE, cx // STRIDE : (cx + 128) // STRIDE
            ]
            if budget_s is None:
                left = 1.0 - step / args.steps
            else:  # the recipe of the committed model: a wall-clock budget
                left = max(0.0, start_time + budget_s - time.monotonic()) / budget_s
            for group in opt.param_groups:  # linear decay to 5% over the run
                group["lr"] = args.lr * (0.05 + 0.95 * left)
            pred = net(xb)
            loss = nn.functional.mse_loss(pred, yb)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            opt.step()
            step += 1
            if step % 100 == 0:
                print(f"step {step} loss {loss.item():.3f}", flush=True)
            if _done(step, start_time, budget_s, args.steps):
                break
        epoch += 1
    return net


def _done(step: int, start_time: float, budget_s: float | None, steps: int) -> bool:
    if budget_s is None:
        return step >= steps
    return time.monotonic() - start_time >= budget_s


def to_onnx(net: DensityNet) -> onnx.ModelProto:
    """Write the trained network with onnx.helper; the output is already divided by TARGET_SCALE."""
    nodes, inits, x = [], [], "images"
    sd = {k: v.detach().numpy() for k, v in net.state_dict().items()}
    for i, (_cin, _cout, k, d, pool) in enumerate(LAYERS):
        inits += [
            numpy_helper.from_array(sd[f"convs.{i}.weight"], f"w{i}"),
            numpy_helper.from_array(sd[f"convs.{i}.bias"], f"b{i}"),
        ]
        p = d * (k // 2)
        nodes.append(
            helper.make_node(
                "Conv",
                [x, f"w{i}", f"b{i}"],
                [f"c{i}"],
                kernel_shape=[k, k],
                pads=[p] * 4,
                dilations=[d, d],
            )
        )
        nodes.append(helper.make_node("Relu", [f"c{i}"], [f"r{i}"]))
        x = f"r{i}"
        if pool:
            nodes.append(
                helper.make_node("MaxPool", [x], [f"p{i}"], kernel_shape=[2, 2], strides=[2, 2])
            )
            x = f"p{i}"
    w = sd["head.weight"] / TARGET_SCALE
    b = sd["head.bias"] / TARGET_SCALE
    inits += [numpy_helper.from_array(w, "wh"), numpy_helper.from_array(b, "bh")]
    nodes.append(helper.make_node("Conv", [x, "wh", "bh"], ["ch"], kernel_shape=[1, 1]))
    nodes.append(helper.make_node("Relu", ["ch"], ["density"]))
    graph = helper.make_graph(
        nodes,
        "density_synthetic",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, "height", "width"])],
        [helper.make_tensor_value_info("density", TensorProto.FLOAT, [1, 1, None, None])],
        initializer=inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 13)],
        producer_name="matchday.scripts.train_density_model",
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def evaluate(model: onnx.ModelProto, net: DensityNet, args: argparse.Namespace) -> dict[str, float]:
    """Held-out frames (another seed): MAE, MAPE (frames with people), torch/ONNX gap."""
    cam = SyntheticCamera()
    x, _, counts = make_frames(cam, args.test_frames, np.random.default_rng(args.seed + 1))
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    pred = np.array(
        [float(sess.run(None, {"images": x[i : i + 1]})[0].sum()) for i in range(len(x))]
    )
    with torch.no_grad():
        ref = net(torch.from_numpy(x)).sum((1, 2, 3)).numpy() / TARGET_SCALE
    err = np.abs(pred - counts)
    nz = counts > 0
    return {
        "frames": float(len(x)),
        "mean_true_count": float(counts.mean()),
        "mae": float(err.mean()),
        "mape_percent": float(100 * (err[nz] / counts[nz]).mean()),
        "max_abs_error": float(err.max()),
        "onnx_vs_torch_max_diff": float(np.abs(pred - ref).max()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=2030)
    ap.add_argument("--steps", type=int, default=2640)
    ap.add_argument(
        "--minutes", type=float, default=None, help="wall-clock budget instead of --steps"
    )
    ap.add_argument("--train-frames", type=int, default=1200)
    ap.add_argument("--test-frames", type=int, default=200)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    net = train(args).eval()
    model = to_onnx(net)
    report = evaluate(model, net, args)
    args.out.write_bytes(model.SerializeToString())
    print(json.dumps({"out": str(args.out), "bytes": args.out.stat().st_size, **report}, indent=2))


if __name__ == "__main__":
    main()
