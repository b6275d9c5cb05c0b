"""Fixtures for the loader, CLI and report tests: the tiny scenario as a file and as a dict.

Bad-input tests start from ``tiny_doc`` (a fresh, valid dict each time), break one thing and
validate the dumped YAML, so each test shows exactly which change causes which problem.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from scenario_helpers import TINY

from simulator.errors import Problem
from simulator.scenario.loader import validate_text


@pytest.fixture
def tiny_doc() -> dict[str, Any]:
    """The tiny scenario as a plain dict, to break one field at a time."""
    doc: dict[str, Any] = yaml.safe_load(TINY.read_text(encoding="utf-8"))
    return doc


@pytest.fixture
def problems_of() -> Callable[[dict[str, Any]], list[Problem]]:
    """Dump a dict to YAML and return every problem the loader finds in it."""

    def check(doc: dict[str, Any]) -> list[Problem]:
        return validate_text(yaml.safe_dump(doc, sort_keys=False), source="test.yaml")

    return check
