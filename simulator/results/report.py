"""``report.html``: one self-contained page a planner can mail around after a run.

The page holds a scenario header, the KPI tables of the run summary and plots over clock time
(PNG data URIs), with no external file, script or font. Names come from scenario files, so the
template escapes everything (jinja2 autoescape). Number formats live in the ``fmt_*`` functions
so the tests can check the page shows the summary's values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2
import numpy as np
import pyarrow as pa

from simulator.results import report_plots
from simulator.results.summary import RunSummary
from simulator.scenario.clock import format_clock, format_duration
from simulator.scenario.model import Scenario

BUSIEST = 6  # elements per density plot


def fmt_seconds(value: float | None) -> str:
    """Seconds with one decimal, for waits."""
    return "n/a" if value is None or math.isnan(value) else f"{value:.1f}"


def fmt_density(value: float) -> str:
    return f"{value:.2f}"


def fmt_minutes(value: float) -> str:
    return f"{value:.1f}"


def fmt_share(value: float | None) -> str:
    return "n/a" if value is None else f"{100.0 * value:.1f}%"


def fmt_count(value: int) -> str:
    return f"{value:,}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        seconds=fmt_seconds,
        density=fmt_density,
        minutes=fmt_minutes,
        share=fmt_share,
        count=fmt_count,
        clock=lambda t: "n/a" if t is None else format_clock(t),
        duration=format_duration,
    )
    return env


def _template_source(name: str) -> str:
    return (
        resources.files("simulator.results").joinpath("templates", name).read_text(encoding="utf-8")
    )


def busiest(group: Mapping[str, Mapping[str, Any]], count: int = BUSIEST) -> list[str]:
    """Ids of the ``count`` elements with the highest peak density (ties by id, for stability)."""
    ranked = sorted(group.items(), key=lambda kv: (-kv[1]["peak_density_per_m2"], kv[0]))
    return [eid for eid, _ in ranked[:count]]


def render_report(
    *,
    scenario: Scenario,
    summary: RunSummary,
    timeseries: pa.Table,
    fans: pa.Table,
    seed: int,
) -> str:
    """The whole HTML page for one run."""
    doc = summary.to_dict()
    start, end = float(doc["start_s"]), float(doc["end_s"])
    marks = {
        label: float(doc[key])
        for key, label in (("kickoff_s", "kick-off"), ("final_whistle_s", "final whistle"))
        if doc.get(key) is not None
    }
    areas, links = doc.get("areas", {}), doc.get("links", {})
    plots = {
        "occupancy": report_plots.occupancy_plot(fans, start_s=start, end_s=end, marks=marks),
        "checkpoints": report_plots.checkpoint_plot(
            timeseries,
            sorted(doc.get("checkpoints", {})),
            start_s=start,
            end_s=end,
            marks=marks,
        ),
    }
    for key, group in (("areas", areas), ("links", links)):
        if group:
            plots[key] = report_plots.density_plot(
                timeseries,
                busiest(group),
                title=f"Busiest {key}",
                scale="walkway",
                start_s=start,
                end_s=end,
                marks=marks,
            )
    platforms = doc.get("platforms", {})
    if platforms:
        plots["platforms"] = report_plots.density_plot(
            timeseries,
            sorted(platforms),
            title="Platforms and bus bays",
            scale="walkway",
            start_s=start,
            end_s=end,
            marks=marks,
        )
    template = _environment().get_template("report.html")
    return template.render(
        scenario=scenario,
        summary=doc,
        seed=seed,
        plots=plots,
        areas=_ranked(areas),
        links=_ranked(links),
        checkpoints=sorted(doc.get("checkpoints", {}).items()),
        sectors=sector_rows(fans=fans, kickoff_s=doc.get("kickoff_s")),
    )


@dataclass(frozen=True)
class SectorRow:
    """How one stand sector filled: its fans, the share seated by kick-off, the last one in."""

    sector: str
    gate: str
    fans: int
    share_seated_at_kickoff: float | None
    last_seated_s: float | None


def sector_rows(*, fans: pa.Table, kickoff_s: float | None) -> list[SectorRow]:
    """One row per sector from the per-fan records, in sector order of first appearance."""
    sectors = fans["sector"].to_pylist()
    gates = fans["gate"].to_pylist()
    seated = fans["seated_s"].to_numpy(zero_copy_only=False).astype(float)
    index: dict[str, list[int]] = {}
    for i, sector in enumerate(sectors):
        index.setdefault(sector, []).append(i)
    rows = []
    for sector, members in index.items():
        times = seated[members]
        done = times[~np.isnan(times)]
        share = (
            None if kickoff_s is None else float(np.count_nonzero(done <= kickoff_s)) / len(times)
        )
        last = float(done.max()) if done.size else None
        rows.append(SectorRow(sector, str(gates[members[0]] or ""), len(members), share, last))
    return rows


def _ranked(group: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, Mapping[str, Any]]]:
    """Elements by falling peak density, so the ones to worry about come first."""
    return [(eid, group[eid]) for eid in busiest(group, len(group))]
