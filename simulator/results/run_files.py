"""Write one run's files: summary.json, timeseries.parquet, fans.parquet and report.html.

``summary.json`` is the run's summary as the engine made it, with two keys added at the top:
``generated_by`` and ``units``, so the file explains itself to someone who finds it later and
``matchday compare`` still reads it as a plain summary.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq

from simulator.results.report import render_report
from simulator.scenario.model import Scenario

if TYPE_CHECKING:
    from simulator import RunResult

UNITS = {
    "format_version": "2: see simulator.results.summary for what changed between versions",
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
    """The JSON written to summary.json: the summary plus ``generated_by`` and ``units``."""
    return {**summary, "generated_by": generated_by(), "units": UNITS}


def write_run(
    result: RunResult, *, scenario: Scenario, seed: int, out_dir: Path, evacuation: bool = False
) -> list[Path]:
    """Write the four files of a run into ``out_dir`` (created if needed); return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary_path = out_dir / "summary.json"
    text = json.dumps(summary_document(result.summary.to_dict()), sort_keys=True, indent=2)
    summary_path.write_text(text + "\n", encoding="utf-8")
    timeseries_path = out_dir / "timeseries.parquet"
    pq.write_table(result.timeseries, timeseries_path)
    fans_path = out_dir / "fans.parquet"
    pq.write_table(result.fans, fans_path)
    report_path = out_dir / "report.html"
    html = render_report(
        scenario=scenario,
        summary=result.summary,
        timeseries=result.timeseries,
        fans=result.fans,
        seed=seed,
        evacuation=evacuation,
    )
    report_path.write_text(html, encoding="utf-8")
    return [summary_path, timeseries_path, fans_path, report_path]
