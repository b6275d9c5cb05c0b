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
import pyarrow.compute as pc
from markupsafe import Markup

from simulator.results import evacuation as evac
from simulator.results import report_plots, venue_map
from simulator.results import report_sections as sections
from simulator.results.capacity import EGRESS_MIN, EVACUATION_RANGE_MIN, ground_capacity
from simulator.results.names import element_names
from simulator.results.summary import LosKpis, RunSummary
from simulator.scenario.clock import format_clock, format_duration
from simulator.scenario.model import Scenario
from simulator.venue.elements import venue_elements

BUSIEST = 6  # elements per density plot


def fmt_seconds(value: float | None) -> str:
    """A duration given in seconds, shown in minutes with one decimal (the report's unit)."""
    return "n/a" if value is None or math.isnan(value) else f"{value / 60.0:.1f}"


def fmt_density(value: float) -> str:
    return f"{value:.2f}"


def fmt_minutes(value: float | None) -> str:
    if value is None or math.isnan(value) or math.isinf(value):
        return "n/a" if value is None or math.isnan(value) else "no exit left"
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


def busiest(group: Mapping[str, LosKpis], count: int = BUSIEST) -> list[str]:
    """Ids of the ``count`` elements with the highest peak density (ties by id, for stability)."""
    ranked = sorted(group.items(), key=lambda kv: (-kv[1].peak_density_per_m2, kv[0]))
    return [eid for eid, _ in ranked[:count]]


def render_report(
    *,
    scenario: Scenario,
    summary: RunSummary,
    timeseries: pa.Table,
    fans: pa.Table,
    seed: int,
    evacuation: bool = False,
    evacuation_min: float = EVACUATION_RANGE_MIN[1],
) -> str:
    """The whole HTML page for one run: the verdict first, then the evidence."""
    names = element_names(scenario)
    h = summary.header
    stands, ground = ground_capacity(scenario=scenario, evacuation_min=evacuation_min)
    template = _environment().get_template("report.html")
    return template.render(
        scenario=scenario,
        summary=summary,
        doc=summary.to_dict(),
        names=names,
        seed=seed,
        plots=_plots(scenario, summary, timeseries, fans, names),
        worst=sections.worst_places(summary=summary, names=names, timeseries=timeseries),
        stands=stands,
        ground=ground,
        evacuation=(
            evac.stand_times(scenario=scenario, timeseries=timeseries) if evacuation else None
        ),
        evacuation_range=EVACUATION_RANGE_MIN,
        exit_flows=sections.exit_flows(
            stands=stands, timeseries=timeseries, names=names, after_s=h.final_whistle_s
        ),
        sector_egress=sections.sector_egress(scenario=scenario, fans=fans, names=names),
        journeys=sections.journeys(fans=fans),
        halftime=sections.halftime_rows(summary=summary, names=names),
        services=sections.service_rows(summary=summary, names=names),
        assumptions=sections.assumptions(scenario=scenario, evacuation_min=evacuation_min),
        references=getattr(scenario, "references", ()),
        venue_map=_venue_map(scenario, summary, timeseries),
        areas=_ranked(dict(summary.areas)),
        links=_ranked({k: v.los for k, v in summary.links.items()}),
        checkpoints=sorted(summary.checkpoints.items()),
        sectors=sector_rows(fans=fans, kickoff_s=h.kickoff_s),
        egress_limit=EGRESS_MIN,
    )


def _plots(
    scenario: Scenario,
    summary: RunSummary,
    timeseries: pa.Table,
    fans: pa.Table,
    names: Mapping[str, str],
) -> dict[str, str]:
    h = summary.header
    start, end = h.start_s, h.end_s
    marks = {
        label: t
        for t, label in ((h.kickoff_s, "kick-off"), (h.final_whistle_s, "final whistle"))
        if t is not None
    }
    gates = [(cid, names.get(cid, cid)) for cid in sorted(summary.checkpoints)]
    window: dict[str, Any] = {"start_s": start, "end_s": end, "marks": marks}
    plots = {"occupancy": report_plots.occupancy_plot(fans, **window)}
    if gates:
        plots["queues"] = report_plots.checkpoint_heatmap(timeseries, gates, **window)
        tickets = [g for g in gates if summary.checkpoints[g[0]].stage == "ticket"]
        if tickets:  # the fans table names each fan's ticket gate, not the perimeter passed
            plots["entries"] = report_plots.cumulative_entries_plot(fans, tickets, **window)
    plots["journeys"] = report_plots.journey_plot(sections.journey_minutes(fans=fans))
    graded = summary.graded()
    for key, title in (("areas", "Busiest areas"), ("links", "Busiest links")):
        if graded.get(key):
            plots[key] = report_plots.density_plot(
                timeseries, busiest(graded[key]), names=names, title=title, scale="walkway",
                **window,
            )  # fmt: skip
    if graded.get("platforms"):
        plots["platforms"] = report_plots.density_plot(
            timeseries, sorted(graded["platforms"]), names=names, scale="queuing",
            title="Platforms and bus bays", **window,
        )  # fmt: skip
    return plots


def _venue_map(scenario: Scenario, summary: RunSummary, timeseries: pa.Table) -> Markup:
    """The shared venue map, coloured by LoS at the moments a planner asks about."""
    h = summary.header
    moments = {}
    peak = _peak_inside(timeseries, h.start_s, h.kickoff_s)
    if peak is not None:
        moments["peak ingress"] = peak
    if h.kickoff_s is not None:
        moments["kick-off"] = h.kickoff_s
    ht = summary.halftime
    if ht is not None:
        moments["half-time peak"] = _peak_inside(timeseries, ht.start_s, ht.end_s + 300.0) or (
            ht.start_s
        )
    if h.final_whistle_s is not None:
        moments["egress peak"] = _peak_inside(timeseries, h.final_whistle_s, h.end_s) or (
            h.final_whistle_s
        )
    times = venue_map.frame_times(start_s=h.start_s, end_s=h.end_s, every_s=600.0, moments=moments)
    elements = venue_elements(scenario.venue)
    frames = venue_map.map_frames(timeseries, elements, times)
    return Markup(venue_map.embed_html(venue_map.map_geometry(scenario), frames))


def _peak_inside(timeseries: pa.Table, start: float | None, end: float | None) -> float | None:
    """The sample time with the most people in areas and queues between ``start`` and ``end``."""
    if start is None or end is None:
        return None
    rows = timeseries.filter(
        pc.and_(
            pc.and_(
                pc.greater_equal(timeseries["time_s"], start),
                pc.less_equal(timeseries["time_s"], end),
            ),
            pc.is_in(timeseries["element_type"], pa.array(["area", "checkpoint"])),
        )
    )
    if rows.num_rows == 0:
        return None
    totals = rows.group_by("time_s").aggregate([("occupancy", "sum")])
    i = int(np.argmax(totals["occupancy_sum"].to_numpy()))
    return float(totals["time_s"][i].as_py())


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


def _ranked(group: Mapping[str, LosKpis]) -> list[tuple[str, LosKpis]]:
    """Elements by falling peak density, so the ones to worry about come first."""
    return [(eid, group[eid]) for eid in busiest(group, len(group))]
