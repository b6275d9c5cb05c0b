"""Live-path commands (live); being written by the live-path engineer."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the live path's commands to the ``matchday`` app."""
