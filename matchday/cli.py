"""The ``matchday`` command: each package registers its own sub-commands here."""

from __future__ import annotations

import typer

from simulator import cli as simulator_cli
from simulator.whatif import cli as sweep_cli
from streams import cli as streams_cli
from vision import cli as vision_cli

app = typer.Typer(
    help="matchday: simulate, watch and forecast crowds on match days.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
simulator_cli.register(app)
sweep_cli.register(app)
streams_cli.register(app)
app.add_typer(vision_cli.app, name="vision")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
