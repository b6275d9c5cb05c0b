"""The ``matchday`` command: each package registers its own sub-commands, loaded on first use.

Importing every package's command module would pull in onnxruntime, pyarrow, matplotlib and the
live stack (seconds of start-up) just to print ``--help``. The root group therefore knows each
sub-command's name, package and one-line help, and imports the package only when the command
runs; ``tests/test_cli_root.py`` checks that these lines match the commands' own help.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

import typer
from typer.core import TyperGroup


@dataclass(frozen=True)
class SubCommand:
    """Where a sub-command lives: ``module.register(app)`` adds it, or ``module.app`` is it."""

    module: str
    help: str
    group: bool = False  # the module's ``app`` is a Typer group of its own (``matchday vision``)


SUBCOMMANDS: dict[str, SubCommand] = {
    "validate": SubCommand(
        "simulator.cli",
        "Check a scenario completely without running it; exit 2 listing every problem.",
    ),
    "simulate": SubCommand(
        "simulator.cli",
        "Run a match day and write summary.json, timeseries/fans Parquet and report.html.",
    ),
    "sweep": SubCommand(
        "simulator.whatif.cli",
        "Run the baseline and every variant with the same seeds; write comparison.json/.html.",
    ),
    "compare": SubCommand(
        "simulator.whatif.cli",
        "Compare runs made earlier (simulate or sweep folders); write comparison.json/.html.",
    ),
    "live": SubCommand(
        "streams.cli",
        "Watch counts flow into the digital twin and see its alerts (Ctrl-C to stop).",
    ),
    "cap-export": SubCommand(
        "streams.cli",
        "Write alerts as OASIS CAP 1.2 XML files, each validated against the OASIS schema.",
    ),
    "twin-eval": SubCommand(
        "streams.cli",
        "Score the twin on Stade Mohammed V with trouble it is not told about.",
    ),
    "vision": SubCommand(
        "vision.cli", "Count people in camera streams with ONNX models.", group=True
    ),
}


def load_command(name: str) -> Any:
    """Import the package of sub-command ``name`` and return its command."""
    entry = SUBCOMMANDS[name]
    module = importlib.import_module(entry.module)
    if entry.group:
        group = typer.main.get_group(module.app)
        group.name = name
        return group
    sub = typer.Typer(pretty_exceptions_enable=False)
    module.register(sub)
    group = typer.main.get_group(sub)
    command = group.commands.get(name)
    if command is None:
        raise RuntimeError(f"{entry.module}.register() added no command named {name!r}")
    return command


class MatchdayGroup(TyperGroup):
    """The root group: lists sub-commands from ``SUBCOMMANDS``, loads one only to run it."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(SUBCOMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return load_command(cmd_name) if cmd_name in SUBCOMMANDS else None

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """Plain help (rich's panels would load every command to list them)."""
        self.format_usage(ctx, formatter)
        self.format_help_text(ctx, formatter)
        self.format_options(ctx, formatter)  # ends with format_commands below

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """Commands from the table above: listing must not import every package."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, entry.help) for name, entry in SUBCOMMANDS.items()])


def package_version() -> str:
    try:
        return version("matchday")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


app = typer.Typer(
    cls=MatchdayGroup,
    help="matchday: simulate, watch and forecast crowds on match days.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from simulator.engine import engine_path

        print(f"matchday {package_version()}, engine {engine_path()}")
        raise typer.Exit()


@app.callback()
def root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_print_version,
            is_eager=True,
            help="Print the installed version and exit.",
        ),
    ] = False,
) -> None:
    """matchday: simulate, watch and forecast crowds on match days."""


def main() -> None:
    app()


if __name__ == "__main__":
    main()
