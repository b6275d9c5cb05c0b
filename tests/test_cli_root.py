"""The root ``matchday`` command: lazy sub-commands, truthful help lines, ``--version``."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from matchday.cli import SUBCOMMANDS, app, load_command, package_version

HEAVY = (
    "onnxruntime",
    "onnx",
    "pyarrow",
    "matplotlib",
    "kafka",
    "fastapi",
    "simulator.engine.simulation",
)


def test_help_imports_no_package_stack() -> None:
    """``matchday --help`` must not pay for onnxruntime, pyarrow or the live stack."""
    code = (
        "import sys\n"
        "from matchday.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print('heavy:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "validate" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "heavy:"


@pytest.mark.parametrize("name", list(SUBCOMMANDS))
def test_help_line_is_the_commands_own(name: str) -> None:
    """The table's one-line help is the first line of each command's real help."""
    command = load_command(name)
    assert command.name == name
    own = (command.help or "").strip().splitlines()[0]
    assert SUBCOMMANDS[name].help == own


def test_version_and_unknown_command() -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["--version"])
    assert done.exit_code == 0
    from simulator.engine import engine_path

    assert done.output.strip() == f"matchday {package_version()}, engine {engine_path()}"
    assert engine_path().startswith(("compiled (mypyc", "interpreted ("))
    done = runner.invoke(app, ["no-such-command"])
    assert done.exit_code == 2
    assert "No such command" in done.output
