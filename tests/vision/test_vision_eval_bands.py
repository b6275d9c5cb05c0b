"""``matchday vision eval`` per density band: on the real vtest frames and on synthetic frames.

The real hand-counted frames (vtest.avi) are all sparse; no licence-clean real medium or dense
crowd images could be had (see vision/README.md), so the three-band run here uses synthetic
frames with exact truth. Its figures are about the synthetic world only.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner
from vision_testkit import DATA

from matchday.cli import app
from vision import SyntheticCamera
from vision.evaluate import EvalResult, band_of

DENSITIES = (0.08, 0.1, 0.4, 0.6, 2.0, 3.0)  # people/m² over the 80 m² view: 2 of each band


def test_bands_follow_the_true_count() -> None:
    assert [band_of(c) for c in (0, 15, 15.5, 100, 101, 5000)] == [
        "sparse", "sparse", "medium", "medium", "dense", "dense",
    ]  # fmt: skip
    r = EvalResult((0, 1, 2), (10.0, 50.0, 200.0), (12.0, 40.0, 150.0))
    by = {b.band: b for b in r.bands()}
    assert by["sparse"].mape_percent == pytest.approx(20.0)
    assert by["medium"].mae == pytest.approx(10.0) and by["dense"].mape_percent == pytest.approx(25)


def test_eval_reports_each_band_on_synthetic_frames(tmp_path: Path) -> None:
    cam, rng = SyntheticCamera(), np.random.default_rng(2031)
    folder = tmp_path / "frames"
    folder.mkdir()
    truth = {}
    for i, density in enumerate(DENSITIES):
        image, t = cam.render(cam.sample_positions(density, rng), rng)
        cv2.imwrite(str(folder / f"{i:02d}.png"), image)
        truth[i] = int(t.count)
    labels = tmp_path / "labels.yaml"
    labels.write_text("frames: " + json.dumps(truth).replace('"', "") + "\n")
    result = CliRunner().invoke(
        app,
        [
            "vision",
            "eval",
            str(folder),
            "--labels",
            str(labels),
            "--model",
            "density_synthetic",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    bands = {b["band"]: b for b in report["bands"]}
    assert set(bands) == {"sparse", "medium", "dense"}, truth
    assert all(b["frames"] == 2 for b in bands.values())
    assert bands["dense"]["mape_percent"] < 15, bands  # the world it was trained on


def test_eval_on_real_vtest_is_one_sparse_band(vtest_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["vision", "eval", str(vtest_path), "--labels", str(DATA / "vtest_counts.yaml")]
    )
    assert result.exit_code == 0, result.output
    assert "sparse  25 frames" in result.output and "dense" not in result.output
