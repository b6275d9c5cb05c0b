"""Shared fixtures: the real vtest.avi (fetched once with apt, cached) and the default model."""

from __future__ import annotations

from pathlib import Path

import pytest

from vision.errors import SourceError
from vision.samples import vtest_video


@pytest.fixture(scope="session")
def vtest_path() -> Path:
    """OpenCV's vtest.avi from Debian's opencv-doc; skipped, with the reason, without apt."""
    try:
        return vtest_video()
    except SourceError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def default_model():  # type: ignore[no-untyped-def]
    from vision.model import CountingModel

    return CountingModel.from_yaml("default")
