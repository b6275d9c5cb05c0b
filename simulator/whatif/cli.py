"""Planner commands ``matchday sweep`` and ``matchday compare``.

``sweep`` runs the baseline and every variant with the same seeds and writes ``comparison.json``
and ``comparison.html`` plus each replication's ``runs/<variant>/seed_<n>/summary.json``;
``compare`` builds the same report from run directories made earlier. Exit codes as for
``simulate``: 0 done, 2 a scenario, variant or run directory is invalid (every problem listed),
1 the sweep itself failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from simulator.errors import OutputExistsError, Problem, ScenarioError, SimulatorError
from simulator.results.staging import staged_folder
from simulator.results.units import NOT_APPLICABLE
from simulator.scenario.budget import check_budget
from simulator.scenario.digest import scenario_digest
from simulator.whatif.compare import Group, RunDirError, comparison, read_run_dirs
from simulator.whatif.comparison_report import fmt_interval, write_report
from simulator.whatif.provenance import check_sweep_target, cross_group_notes
from simulator.whatif.sweep import (
    build_jobs,
    make_executor,
    plan_sweep,
    run_sweep,
    slug,
    write_runs,
)

EXIT_INVALID = 2
EXIT_FAILED = 1

console = Console()
err_console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add ``sweep`` and ``compare`` to the ``matchday`` app."""
    app.command("sweep")(sweep)
    app.command("compare")(compare)


def _bundled(package: str, name_or_path: str) -> Path:
    """A path as given if it exists, else the YAML of that name bundled in ``package``."""
    path = Path(name_or_path)
    if path.exists():
        return path
    bundled = resources.files(package).joinpath(f"{name_or_path.removesuffix('.yaml')}.yaml")
    return Path(str(bundled)) if bundled.is_file() else path


def scenario_path(name_or_path: str) -> Path:
    """A scenario file, or a bundled scenario by name (as ``simulate`` resolves it)."""
    return _bundled("scenarios", name_or_path)


def variant_path(name_or_path: str) -> Path:
    """A variant file, or a bundled example variant by name (``smv_late_crowd``)."""
    return _bundled("scenarios.variants", name_or_path)


def _print_problems(problems: list[Problem]) -> None:
    err_console.print(f"[bold red]invalid[/]: {len(problems)} problem(s)")
    for p in problems:
        err_console.print(
            f"  {p.file}: [bold]{p.path}[/]: expected {p.expected}; found {p.found}",
            highlight=False,
            soft_wrap=True,
        )


def _print_headline(doc: Mapping[str, Any]) -> None:
    names = [g["name"] for g in doc["groups"]]
    title = f"{doc['scenario']}: mean [95% CI]; variant − {doc['baseline']}; durations in min"
    table = Table(title=title)
    table.add_column("KPI")
    for name in names:
        table.add_column(name, justify="right")
    for kpi in (k for k in doc["kpis"] if k["headline"]):
        cells = [fmt_interval(kpi["estimates"][names[0]], kpi["unit"])]
        for name in names[1:]:
            diff = kpi["differences"][name]
            if diff["verdict"] == NOT_APPLICABLE:
                cells.append(NOT_APPLICABLE)
                continue
            text = fmt_interval(diff, kpi["unit"], signed=True)
            cells.append(f"{text} ({diff['verdict']})")
        table.add_row(kpi["label"], *cells)
    console.print(table)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
    )


def sweep(
    scenario: Annotated[str, typer.Argument(help="Scenario YAML path or bundled name.")],
    seeds: Annotated[int, typer.Option(help="Replications per variant (same seeds for all).")] = 10,
    variant: Annotated[
        list[str] | None,
        typer.Option(help="Variant file or bundled variant name; repeat for several."),
    ] = None,
    executor: Annotated[str, typer.Option(help="Where jobs run: local or ray.")] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster address (ray only).")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default: all CPUs).")
    ] = None,
    first_seed: Annotated[int, typer.Option(help="First seed; the rest follow it.")] = 1,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default sweeps/<scenario>).")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option(help="Replace a sweep already in the output folder.")
    ] = False,
) -> None:
    """Run the baseline and every variant with the same seeds; write comparison.json/.html.

    The folder appears whole when the sweep is done. A folder holding a sweep already (of this
    or another scenario version) is refused unless ``--overwrite`` replaces it whole, so old
    and new seeds never mix.
    """
    path = scenario_path(scenario)
    out_dir = out if out is not None else Path("sweeps") / slug(path.stem)
    try:
        variants = [variant_path(v) for v in variant or []]
        plan = plan_sweep(path, variants, seeds=seeds, first_seed=first_seed)
        runner = make_executor(executor, workers=workers, address=address)
        jobs = build_jobs(plan)
        too_big = [p for j in jobs if j.seed == plan.seeds[0] for p in check_budget(j.scenario)]
        if too_big:
            raise ScenarioError(too_big)
        digests = {job.variant: scenario_digest(job.scenario) for job in jobs}
        check_sweep_target(out_dir, digests, overwrite=overwrite)
        with _progress() as progress:
            task = progress.add_task(f"sweep on {runner.name}", total=len(jobs))
            result = run_sweep(plan, runner, jobs=jobs, on_done=lambda _: progress.advance(task))
    except ScenarioError as err:
        _print_problems(err.problems)
        raise typer.Exit(EXIT_INVALID) from err
    except OutputExistsError as err:
        err_console.print(f"[bold red]not run[/]: {err}", highlight=False)
        raise typer.Exit(EXIT_INVALID) from err
    except SimulatorError as err:
        err_console.print(f"[bold red]sweep failed[/]: {err}", highlight=False)
        raise typer.Exit(EXIT_FAILED) from err
    groups = [
        Group(v.name, result.summaries(v.name), v.description, v.source_path or str(path))
        for v in plan.variants
    ]
    doc = comparison(groups)
    with staged_folder(out_dir, overwrite=overwrite, what="sweep") as folder:
        write_runs(result, folder)
        write_report(doc, folder)
    json_path, html_path = out_dir / "comparison.json", out_dir / "comparison.html"
    _print_headline(doc)
    console.print(f"wrote {json_path} and {html_path}", highlight=False)


def compare(
    run_dirs: Annotated[
        list[Path], typer.Argument(help="Run directories; the first is the baseline.")
    ],
    out: Annotated[Path, typer.Option(help="Output folder for the report.")] = Path("comparison"),
) -> None:
    """Compare runs made earlier (simulate or sweep folders); write comparison.json/.html."""
    try:
        groups = read_run_dirs(run_dirs)
        doc = comparison(groups)
    except RunDirError as err:
        _print_problems(err.problems)
        raise typer.Exit(EXIT_INVALID) from err
    json_path, html_path = write_report(doc, out)
    _print_headline(doc)
    for note in cross_group_notes([(g.name, g.summaries) for g in groups]):
        err_console.print(note, highlight=False, soft_wrap=True)
    console.print(f"wrote {json_path} and {html_path}", highlight=False)
