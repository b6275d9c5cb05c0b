"""OpenCV's sample video ``vtest.avi``, fetched from Debian's ``opencv-doc`` package and cached.

Used by the tests, the benchmarks and the README's first command. ``apt-get download`` needs no
root and touches nothing outside the cache; the .deb is unpacked with ``dpkg -x`` and removed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from vision.errors import SourceError
from vision.weights import cache_dir

VTEST_IN_DEB = "usr/share/doc/opencv-doc/examples/data/vtest.avi"


def vtest_video() -> Path:
    """Path of the cached vtest.avi; raises ``SourceError`` saying why when it cannot be fetched."""
    root = cache_dir() / "data" / "opencv-doc"
    video = root / "x" / VTEST_IN_DEB
    if video.exists():
        return video
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        raise SourceError(
            "vtest.avi: needs apt-get and dpkg (Debian/Ubuntu) to fetch the opencv-doc package"
        )
    root.mkdir(parents=True, exist_ok=True)
    got = subprocess.run(
        ["apt-get", "download", "opencv-doc"], cwd=root, capture_output=True, text=True, timeout=600
    )
    debs = sorted(root.glob("opencv-doc_*.deb"))
    if got.returncode != 0 or not debs:
        raise SourceError(
            "vtest.avi: 'apt-get download opencv-doc' failed (package index or network?): "
            f"{got.stderr.strip()[-300:]}"
        )
    subprocess.run(["dpkg", "-x", str(debs[-1]), str(root / "x")], check=True, timeout=600)
    debs[-1].unlink()
    if not video.exists():
        raise SourceError(f"vtest.avi: {debs[-1].name} holds no {VTEST_IN_DEB}")
    return video
