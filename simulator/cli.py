"""Planner commands: ``matchday validate SCENARIO`` and ``matchday simulate SCENARIO``.

SCENARIO is a YAML path or the name of a scenario bundled in the ``scenarios`` package
(``stade_mohammed_v``). Exit codes: 0 done, 2 the scenario is invalid (every problem listed),
1 the run itself failed.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from simulator.errors import OutputExistsError, Problem, ScenarioError, SimulatorError
from simulator.results.kpi_table import kpi_table
from simulator.results.staging import check_target
from simulator.scenario.budget import (
    DEFAULT_MAX_MEMORY_GB,
    DEFAULT_MAX_MINUTES,
    check_budget,
    estimate,
)
from simulator.scenario.clock import format_clock
from simulator.scenario.loader import load_scenario
from simulator.scenario.model import Scenario
from simulator.scenario.yaml_source import line_index, line_of

if TYPE_CHECKING:
    from simulator import RunResult

EXIT_INVALID = 2
EXIT_FAILED = 1

console = Console()
err_console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add the simulator's commands to the ``matchday`` app."""
    app.command("validate")(validate)
    app.command("simulate")(simulate)


def bundled_scenarios() -> list[str]:
    """Names of the scenarios shipped in the ``scenarios`` package."""
    folder = resources.files("scenarios")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def resolve_scenario(name_or_path: str) -> Path:
    """A path as given if it exists, else the bundled scenario of that name, else the path."""
    path = Path(name_or_path)
    if path.exists():
        return path
    stem = name_or_path.removesuffix(".yaml")
    if stem in bundled_scenarios():
        return Path(str(resources.files("scenarios").joinpath(f"{stem}.yaml")))
    return path


MaxMemory = Annotated[
    float,
    typer.Option(help="Refuse a run estimated to need more memory than this (GB).", min=0.0),
]
MaxMinutes = Annotated[
    float,
    typer.Option(help="Refuse a run estimated to take longer than this (minutes).", min=0.0),
]


def load_or_exit(
    name_or_path: str,
    *,
    max_memory_gb: float = DEFAULT_MAX_MEMORY_GB,
    max_minutes: float = DEFAULT_MAX_MINUTES,
) -> Scenario:
    """Load a scenario and check its run fits the budget, or print every problem and exit 2."""
    try:
        scenario = load_scenario(resolve_scenario(name_or_path))
    except ScenarioError as err:
        _print_problems(err.problems)
        raise typer.Exit(EXIT_INVALID) from err
    problems = check_budget(scenario, max_memory_gb=max_memory_gb, max_minutes=max_minutes)
    if problems:
        _print_problems(problems)
        raise typer.Exit(EXIT_INVALID)
    return scenario


def _print_problems(problems: list[Problem]) -> None:
    """One line per problem, ``file:line: yaml.path: expected ...; found ...``."""
    err_console.print(f"[bold red]invalid[/]: {len(problems)} problem(s)")
    lines: dict[str, dict[str, int]] = {}
    located = []
    for p in problems:
        if p.file not in lines:
            try:
                lines[p.file] = line_index(Path(p.file).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                lines[p.file] = {}
        located.append((p.file, line_of(lines[p.file], p.path) or 0, p))
    located.sort(key=lambda item: (item[0], item[1]))  # stable: same line keeps the order
    for file, line, p in located:
        where = f"{file}:{line}" if line else file
        found = p.found
        if p.path == "(file)" and p.found == "no such file":
            found += f" (bundled scenarios: {', '.join(bundled_scenarios()) or 'none'})"
        err_console.print(
            f"  {where}: {p.path}: expected {p.expected}; found {found}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def validate(
    scenario: Annotated[str, typer.Argument(help="Scenario YAML path or bundled name.")],
    max_memory_gb: MaxMemory = DEFAULT_MAX_MEMORY_GB,
    max_minutes: MaxMinutes = DEFAULT_MAX_MINUTES,
) -> None:
    """Check a scenario completely without running it; exit 2 listing every problem."""
    s = load_or_exit(scenario, max_memory_gb=max_memory_gb, max_minutes=max_minutes)
    v = s.venue
    lanes = sum(c.lanes for c in v.checkpoints)
    parts = [
        f"{len(v.sectors)} sectors",
        f"{v.seats:,} seats",
        f"{len(v.origins)} origins",
        f"{len(v.areas)} areas",
        f"{len(v.checkpoints)} checkpoints ({lanes} lanes)",
        f"{len(v.links)} links",
    ]
    if s.ingress is not None:
        parts.append(f"kick-off {format_clock(s.ingress.kickoff_s)}")
    window = f"{format_clock(s.settings.start_s)}-{format_clock(s.settings.end_s)}"
    console.print(f"valid: {', '.join(parts)}; run {window}", highlight=False)
    b = estimate(s)
    console.print(
        f"estimated run: {b.fans:,.0f} fans, about {b.memory_gb:.1f} GB and "
        f"{max(b.minutes, 0.1):.1f} min",
        highlight=False,
    )


def default_out_dir(scenario_arg: str, seed: int) -> Path:
    """``runs/<scenario file stem>-seed<N>``: stable, readable and safe as a folder name."""
    stem = Path(scenario_arg).name.removesuffix(".yaml").removesuffix(".yml")
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("_") or "scenario"
    return Path("runs") / f"{slug}-seed{seed}"


def simulate(
    scenario: Annotated[str, typer.Argument(help="Scenario YAML path or bundled name.")],
    seed: Annotated[int, typer.Option(help="Seed of the run's random generator.")] = 1,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default runs/<scenario>-seed<N>).")
    ] = None,
    evacuation: Annotated[
        bool,
        typer.Option(
            help="Emergency evacuation: every stand released at the final whistle, the widest "
            "exit of each stand closed; the report times each stand against 2.5-8 minutes."
        ),
    ] = False,
    overwrite: Annotated[
        bool, typer.Option(help="Replace a run already in the output folder.")
    ] = False,
    max_memory_gb: MaxMemory = DEFAULT_MAX_MEMORY_GB,
    max_minutes: MaxMinutes = DEFAULT_MAX_MINUTES,
) -> None:
    """Run a match day and write summary.json, timeseries/fans Parquet and report.html.

    The files appear together when the run is done; an existing run in the output folder is
    kept unless ``--overwrite`` is given (then it is replaced whole, never mixed).
    """
    from simulator.results.names import element_names
    from simulator.results.run_files import write_run  # matplotlib: loaded only when a run is made

    s = load_or_exit(scenario, max_memory_gb=max_memory_gb, max_minutes=max_minutes)
    out_dir = out if out is not None else default_out_dir(scenario, seed)
    if evacuation:
        from simulator.results.evacuation import evacuation_scenario

        try:
            s = evacuation_scenario(s)
        except SimulatorError as err:
            err_console.print(f"[bold red]not run[/]: {err}", highlight=False)
            raise typer.Exit(EXIT_INVALID) from err
        out_dir = out if out is not None else out_dir.with_name(out_dir.name + "-evacuation")
    try:
        check_target(out_dir, overwrite=overwrite)  # before the run, not after an hour of it
    except OutputExistsError as err:
        err_console.print(f"[bold red]not run[/]: {err}", highlight=False)
        raise typer.Exit(EXIT_INVALID) from err
    try:
        result = _run_with_progress(s, seed)
        files = write_run(
            result,
            scenario=s,
            seed=seed,
            out_dir=out_dir,
            overwrite=overwrite,
            evacuation=evacuation,
        )
    except SimulatorError as err:
        err_console.print(f"[bold red]run failed[/]: {err}", highlight=False)
        raise typer.Exit(EXIT_FAILED) from err
    console.print(kpi_table(result.summary, element_names(s)))
    console.print(f"wrote {', '.join(str(f) for f in files)}", highlight=False)


def _run_with_progress(s: Scenario, seed: int) -> RunResult:
    """Run to ``settings.end`` with a bar of simulated clock against the end of the run."""
    from simulator import Simulation

    start, end = s.settings.start_s, s.settings.end_s
    columns = (
        TextColumn("[bold]simulating[/] {task.fields[clock]}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("run", total=end - start, clock=format_clock(start))

        def progress(now: float) -> None:
            bar.update(task, completed=min(now, end) - start, clock=format_clock(now))

        sim = Simulation(s, seed=seed)
        sim.run(progress=progress)
        bar.update(task, completed=end - start, clock=format_clock(end))
    return sim.result()
