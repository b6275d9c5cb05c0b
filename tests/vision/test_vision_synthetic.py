"""Synthetic camera truth, and the shipped density network on held-out synthetic frames."""

from __future__ import annotations

import numpy as np
import pytest

from vision import CountingModel, SyntheticCamera, ZoneCounter


def test_truth_is_exact_and_outside_positions_are_dropped() -> None:
    cam = SyntheticCamera()
    rng = np.random.default_rng(3)
    pos = np.array([[1.0, 1.0], [4.0, 5.0], [7.5, 9.5], [-1.0, 2.0], [3.0, 12.0]])
    image, truth = cam.render(pos, rng)
    assert image.shape == (cam.image_h, cam.image_w, 3) and image.dtype == np.uint8
    assert truth.count == 3
    assert truth.density.sum() == pytest.approx(3.0)


def test_same_seed_renders_the_same_frame() -> None:
    cam = SyntheticCamera()
    a = cam.render(cam.sample_positions(1.0, np.random.default_rng(5)), np.random.default_rng(6))[0]
    b = cam.render(cam.sample_positions(1.0, np.random.default_rng(5)), np.random.default_rng(6))[0]
    assert np.array_equal(a, b)


def test_sampled_density_matches_the_request_on_average() -> None:
    cam = SyntheticCamera()
    rng = np.random.default_rng(11)
    counts = [len(cam.sample_positions(2.0, rng)) for _ in range(40)]
    # Poisson(160): the mean of 40 draws has sd 2; 4 sd is 8.
    assert abs(np.mean(counts) - 160) < 8


def test_homography_puts_feet_back_on_the_ground() -> None:
    cam = SyntheticCamera()
    ground = np.array([[1.0, 2.0], [6.0, 8.0]])
    feet = cam.project(np.hstack([ground, np.zeros((2, 1))]))
    np.testing.assert_allclose(cam.homography().to_ground(feet), ground, atol=1e-6)


def test_density_model_counts_held_out_synthetic_frames() -> None:
    """Frames from a seed the training never used; bound from the measured error (see README)."""
    model = CountingModel.from_yaml("density_synthetic")
    cam = SyntheticCamera()
    counter = ZoneCounter(cam.layout(heads=True))  # density maps sit on heads
    rng = np.random.default_rng(99)
    truth, pred, dens = [], [], []
    for density in np.linspace(0.2, 3.6, 12):
        image, t = cam.render(cam.sample_positions(float(density), rng), rng)
        (c,) = counter.update(model.predict(image), time_s=0.0, model=model.name)
        truth.append(t.count)
        pred.append(model.predict(image).count)
        dens.append((c.density_per_m2, t.count / 80.0))
    err = np.abs(np.subtract(pred, truth))
    mape = float(np.mean(err / np.asarray(truth)))
    assert mape < MAPE_BOUND, (truth, pred)
    # Zone density from the map vs the true density: the head-height polygon cuts the Gaussians
    # of people on its edges, so the zone sum runs a few percent low (measured: at most 9.2%).
    assert all(abs(d - t) <= ZONE_REL_BOUND * t + 0.02 for d, t in dens), dens


# Measured with the committed ONNX on these 12 frames: MAPE 2.0% (MAE 2.8 people, 16-283 people
# per frame); the training script's 200 held-out frames gave MAPE 3.3%. 6% leaves room for
# onnxruntime/OpenCV resize differences and still fails for a model that lost its calibration.
MAPE_BOUND = 0.06
ZONE_REL_BOUND = 0.15
