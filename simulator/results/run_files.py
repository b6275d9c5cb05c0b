"""Write one run's files: summary.json, timeseries.parquet, fans.parquet and report.html.

``summary.json`` is the run's summary as the engine made it, with three keys added:
``generated_by``, ``units`` and ``scenario_digest`` (``simulator.scenario.digest``), so the file
explains itself to someone who finds it later, ``matchday compare`` can tell runs of different
scenario versions apart, and it still reads as a plain summary.

The four files are written into a hidden folder beside ``out_dir`` and renamed into place
together (``simulator.results.staging``): a run killed mid-write leaves the previous run whole
and nothing that looks like a finished run.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq

from simulator.results.report import render_report
from simulator.results.staging import staged_folder
from simulator.scenario.model import Scenario

if TYPE_CHECKING:
    from simulator import RunResult

UNITS = {
    "format_version": "3: see simulator.results.summary for what changed between versions",
    "times": "seconds since local midnight of the match day (*_s)",
    "durations": "seconds (*_wait_s, time_to_clear_s)",
    "density_per_m2": "persons per square metre",
    "minutes_at_los_e/f": "minutes",
    "share_*": "fraction 0..1",
}


def generated_by() -> str:
    """``matchday <version>``, or just ``matchday`` when run from an uninstalled tree."""
    try:
        return f"matchday {metadata.version('matchday')}"
    except metadata.PackageNotFoundError:
        return "matchday"


def summary_document(summary: dict[str, Any]) -> dict[str, Any]:
    """The JSON written to summary.json: the summary (its header carries the scenario digest)
    plus ``generated_by`` and ``units``."""
    return {**summary, "generated_by": generated_by(), "units": UNITS}


FILES = ("summary.json", "timeseries.parquet", "fans.parquet", "report.html")


def write_run(
    result: RunResult,
    *,
    scenario: Scenario,
    seed: int,
    out_dir: Path,
    overwrite: bool = False,
    evacuation: bool = False,
) -> list[Path]:
    """Write the four files of a run as ``out_dir``, all at once; return their final paths.

    An existing run in ``out_dir`` is replaced only with ``overwrite`` (else
    ``OutputExistsError``); until the swap it stays as it was.
    """
    with staged_folder(out_dir, overwrite=overwrite) as folder:
        text = json.dumps(summary_document(result.summary.to_dict()), sort_keys=True, indent=2)
        (folder / "summary.json").write_text(text + "\n", encoding="utf-8")
        pq.write_table(result.timeseries, folder / "timeseries.parquet")
        pq.write_table(result.fans, folder / "fans.parquet")
        html = render_report(
            scenario=scenario,
            summary=result.summary,
            timeseries=result.timeseries,
            fans=result.fans,
            seed=seed,
            evacuation=evacuation,
        )
        (folder / "report.html").write_text(html, encoding="utf-8")
    return [out_dir / name for name in FILES]
