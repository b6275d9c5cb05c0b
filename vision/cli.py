"""Vision commands (count, eval); being written by the vision engineer."""

from __future__ import annotations

import typer

app = typer.Typer(help="Count people in camera streams with ONNX models.", no_args_is_help=True)
