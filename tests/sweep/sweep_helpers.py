"""Paths shared by the sweep tests (a plain module: ``from conftest import`` is ambiguous)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
TINY = DATA / "scenarios" / "tiny.yaml"
VARIANTS = DATA / "variants"
SEEDS = 4
