"""A wheel install carries every model file, and the default model runs from the wheel alone.

Builds the wheel from a copy of the sources in tmp_path (the work tree is never written), then
imports ``vision`` from the unpacked wheel, not from the checkout, and counts one frame.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "vision" / "models"
SOURCES = (
    "pyproject.toml",
    "setup.py",
    "README.md",
    "matchday",
    "simulator",
    "vision",
    "streams",
    "scenarios",
)
# built extensions and their list of sources (an editable install's, in the checkout) stay out
IGNORE = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.so", "compiled_sources.txt")


def _build_wheel(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCES:
        from_, to = ROOT / name, src / name
        if from_.is_dir():
            shutil.copytree(from_, to, ignore=IGNORE)
        else:
            shutil.copy2(from_, to)
    out = tmp_path / "dist"
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    # without compiling the engine (tests/simulator/test_compiled.py checks the compiled one):
    # the wheel's files are the point here, and the opt-out is then built too
    env = {**os.environ, "MATCHDAY_PURE_PYTHON": "1"}
    done = subprocess.run(
        [*cmd, "-w", str(out), str(src)], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = out.glob("matchday-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build_wheel(tmp_path_factory.mktemp("wheel"))


def test_wheel_holds_every_model_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"vision/models/{p.name}" for p in MODELS.iterdir() if p.is_file()}
    assert {"vision/models/yolov3-tiny-int8.onnx", "vision/models/LICENSES.md"} <= shipped
    assert shipped <= names, sorted(shipped - names)


def test_a_pure_python_wheel_has_no_compiled_engine(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "simulator/engine/dynamics.py" in names
    assert not [n for n in names if n.endswith(".so") or n.endswith("compiled_sources.txt")]


def test_default_model_counts_from_the_unpacked_wheel(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "import numpy as np, vision, sys\n"
        "from vision import CountingModel\n"
        "assert vision.__file__.startswith(sys.argv[1]), vision.__file__\n"
        "m = CountingModel.from_yaml('default')\n"
        "img = np.zeros((240, 320, 3), np.uint8)\n"
        "print(m.name, m.onnx_path.stat().st_size, m.predict(img).count)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site), "MATCHDAY_CACHE": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", probe, str(site)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    name, size, count = done.stdout.split()
    assert name == "yolov3-tiny-coco-416-int8" and int(size) > 5_000_000 and float(count) == 0
