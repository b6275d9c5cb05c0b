"""Planner commands (validate, simulate); being written by the scenario engineer."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the simulator's commands to the ``matchday`` app."""
