"""Paths and small helpers shared by the scenario tests (a module name unique in the suite)."""

from __future__ import annotations

from pathlib import Path

from simulator.errors import Problem

DATA = Path(__file__).resolve().parents[1] / "data" / "scenarios"
TINY = DATA / "tiny.yaml"


def paths(problems: list[Problem]) -> list[str]:
    """The YAML paths of some problems, to assert on."""
    return [p.path for p in problems]
