"""The rows of the planner's report, each a frozen value built from the run and the scenario.

Pure functions: the template only lays them out. Durations are minutes, densities
persons/m², flows persons per metre of width per minute, and every place goes by its label.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from simulator.results.capacity import EGRESS_MIN, StandCapacity
from simulator.results.summary import LosKpis, RunSummary
from simulator.scenario.model import Scenario

WORST = 6  # places in the verdict
GROUP_WORD = {"areas": "area", "links": "link", "checkpoints": "queue pen", "platforms": "platform"}


@dataclass(frozen=True)
class WorstPlace:
    """A place in the verdict: how crowded it got, for how long, and when it peaked."""

    name: str
    kind: str
    los: LosKpis
    peak_at_s: float | None


@dataclass(frozen=True)
class Journey:
    """Minutes a leg of the fans' day took: median, 95th percentile and the longest."""

    leg: str
    fans: int
    p50_min: float | None
    p95_min: float | None
    max_min: float | None


@dataclass(frozen=True)
class ExitFlow:
    """The busiest minute through one exit, per metre of its width, against its limit."""

    stand: str
    name: str
    width_m: float
    peak_per_m_min: float
    limit_per_m_min: float

    @property
    def over(self) -> bool:
        return self.peak_per_m_min > self.limit_per_m_min


@dataclass(frozen=True)
class SectorEgress:
    """One sector after the final whistle: minutes until its last fan left the network."""

    name: str
    fans: int
    last_left_min: float | None


@dataclass(frozen=True)
class HalftimeRow:
    """One concourse at half-time: its densest minute, when, and the density just before."""

    name: str
    peak_density_per_m2: float
    peak_los: str
    peak_time_s: float
    peak_occupancy: int
    before_density_per_m2: float


@dataclass(frozen=True)
class ServiceRow:
    """One service point: where, what, how many served and how long they queued (minutes)."""

    name: str
    area: str
    kind: str
    servers: int
    served: int
    p95_wait_min: float
    max_wait_min: float
    peak_queue: int
    balked: int


def halftime_rows(*, summary: RunSummary, names: Mapping[str, str]) -> list[HalftimeRow]:
    """The half-time concourses, worst level of service first."""
    ht = summary.halftime
    if ht is None:
        return []
    rows = [
        HalftimeRow(
            names.get(eid, eid),
            p.peak_density_per_m2,
            p.peak_los,
            p.peak_time_s,
            p.peak_occupancy,
            p.before_density_per_m2,
        )
        for eid, p in ht.concourses.items()
    ]
    rows.sort(key=lambda r: LosKpis(r.peak_density_per_m2, r.peak_los).rank(), reverse=True)
    return rows


def service_rows(*, summary: RunSummary, names: Mapping[str, str]) -> list[ServiceRow]:
    """Every service point, the longest 95th-percentile wait first."""
    rows = [
        ServiceRow(
            names.get(sid, sid),
            names.get(s.area, s.area),
            s.kind,
            s.servers,
            s.served,
            s.waits.p95_wait_s / 60.0,
            s.waits.max_wait_s / 60.0,
            s.peak_queue,
            s.balked,
        )
        for sid, s in summary.services.items()
    ]
    rows.sort(key=lambda r: (r.p95_wait_min, r.name), reverse=True)
    return rows


def worst_places(
    *, summary: RunSummary, names: Mapping[str, str], timeseries: pa.Table
) -> list[WorstPlace]:
    """The places with the worst level of service, then the highest density, by label."""
    rows = [
        (group, eid, los)
        for group, members in summary.graded().items()
        for eid, los in members.items()
        if los.peak_density_per_m2 > 0
    ]
    rows.sort(key=lambda r: (*r[2].rank(), r[2].minutes_at_los_e_or_f), reverse=True)
    out = []
    for group, eid, los in rows[:WORST]:
        out.append(
            WorstPlace(
                names.get(eid, eid), GROUP_WORD.get(group, group), los, _peak_at(timeseries, eid)
            )
        )
    return out


def _peak_at(timeseries: pa.Table, element: str) -> float | None:
    rows = timeseries.filter(pc.equal(timeseries["element"], element))
    if rows.num_rows == 0:
        return None
    density = rows["density_per_m2"].to_numpy()
    return float(rows["time_s"].to_numpy()[int(np.argmax(density))])


def journeys(*, fans: pa.Table) -> list[Journey]:
    """Door to seat (arrival at the origin to seated) and seat to home (release to left)."""
    legs = (
        ("arrival to seat (incl. walk, queue, screening)", "arrive_s", "seated_s"),
        ("seat to platform, car or exit", "release_s", "left_s"),
    )
    out = []
    for leg, start, end in legs:
        a = fans[start].to_numpy(zero_copy_only=False).astype(float)
        b = fans[end].to_numpy(zero_copy_only=False).astype(float)
        spans = (b - a)[~(np.isnan(a) | np.isnan(b))] / 60.0
        if spans.size == 0:
            out.append(Journey(leg, 0, None, None, None))
            continue
        p50, p95 = np.percentile(spans, [50, 95])
        out.append(Journey(leg, int(spans.size), float(p50), float(p95), float(spans.max())))
    return out


def journey_minutes(*, fans: pa.Table) -> dict[str, np.ndarray]:
    """The two legs' durations in minutes per fan, for the distribution plot."""
    out = {}
    for leg, start, end in (
        ("arrival to seat", "arrive_s", "seated_s"),
        ("seat to platform, car or exit", "release_s", "left_s"),
    ):
        a = fans[start].to_numpy(zero_copy_only=False).astype(float)
        b = fans[end].to_numpy(zero_copy_only=False).astype(float)
        out[leg] = (b - a)[~(np.isnan(a) | np.isnan(b))] / 60.0
    return out  # fmt: skip


def exit_flows(
    *,
    stands: list[StandCapacity],
    timeseries: pa.Table,
    names: Mapping[str, str],
    after_s: float | None,
) -> list[ExitFlow]:
    """Peak outflow of each stand exit (persons/min) per metre of width, after ``after_s``."""
    ts = timeseries
    if after_s is not None:
        ts = ts.filter(pc.greater_equal(ts["time_s"], after_s))
    out = []
    for stand in stands:
        for e in (*stand.exits, *stand.onward):
            rows = ts.filter(pc.equal(ts["element"], e.link))
            peak = float(pc.max(rows["outflow_per_min"]).as_py() or 0.0) if rows.num_rows else 0.0
            out.append(
                ExitFlow(
                    names.get(stand.stand, stand.label), names.get(e.link, e.link), e.width_m,
                    peak / e.width_m if e.width_m else 0.0, e.rate_per_m_min,
                )
            )  # fmt: skip
    return out


def sector_egress(
    *, scenario: Scenario, fans: pa.Table, names: Mapping[str, str]
) -> list[SectorEgress]:
    """Per sector, minutes from the final whistle to its last fan leaving the network."""
    if scenario.egress is None:
        return []
    whistle = scenario.egress.final_whistle_s
    sector = np.asarray(fans["sector"].to_pylist(), dtype=object)
    left = fans["left_s"].to_numpy(zero_copy_only=False).astype(float)
    out = []
    for s in scenario.venue.sectors:
        mine = left[sector == s.id]
        last = None
        if mine.size and not np.isnan(mine).any():
            last = float((mine.max() - whistle) / 60.0)
        out.append(SectorEgress(names.get(s.id, s.id), int(mine.size), last))
    return out


def assumptions(*, scenario: Scenario, evacuation_min: float) -> list[tuple[str, str, str]]:
    """(quantity, value, where it comes from) for every number the report rests on."""
    v, st = scenario.venue, scenario.settings
    rows = [
        ("seats", f"{v.seats:,} in {len(v.sectors)} sectors", "scenario venue.sectors"),
        ("pedestrian model", f"{st.pedestrian_model}, flow caps {st.flow_caps}", "settings"),
        ("density sample interval", f"{st.sample_interval_s / 60:g} min", "settings"),
    ]
    if scenario.ingress is not None:
        ing = scenario.ingress
        split = ", ".join(f"{o} {100 * share:.0f}%" for o, share in ing.mode_split)
        rows += [
            ("attendance", f"{100 * ing.attendance:.0f}% of seats", "scenario ingress"),
            ("arrival modes", split, "scenario ingress.mode_split"),
            ("party sizes (1, 2, ...)", ", ".join(f"{p:g}" for p in ing.party_sizes), "ingress"),
        ]
    stages = {cp.stage: cp for cp in reversed(v.checkpoints)}  # the first of each stage
    for stage in ("perimeter", "ticket"):
        cp = stages.get(stage)
        if cp is None:
            continue
        what = "screening time per fan" if len(stages) == 1 else f"{stage} screening per fan"
        rows.append((what, f"{cp.service.mean:g} s mean ({cp.service.kind})", cp.id))
    if scenario.egress is not None:
        last = scenario.egress.release_profile.points[-1][0]
        rows.append(("release of the stands", f"over {last:g} min after the whistle", "egress"))
    ht = scenario.halftime
    if ht is not None:
        use = ", ".join(f"{k} {100 * p:.0f}%" for k, p in ht.use) or "none"
        rows += [
            ("half-time interval", f"{ht.duration_s / 60:g} min", "scenario halftime"),
            ("fans leaving their seats at half-time", f"{100 * ht.share:.0f}%", "halftime.share"),
            ("half-time facilities used", use, "scenario halftime.use"),
        ]
    rows += [
        ("normal egress time", f"{EGRESS_MIN:g} min", "Green Guide 6th ed., 10.7"),
        ("exit flow rates", "82 persons/m/min level, 66 stairways", "Green Guide 6th ed."),
        ("turnstile rate cap", "660 persons/h per lane", "Green Guide 6th ed."),
        ("emergency evacuation time", f"{evacuation_min:g} min (range 2.5-8, by fire risk)",
         "Green Guide 6th ed.; set by the fire risk assessment"),
        ("level of service", "Fruin walkway, stairs and queuing scales", "Fruin (1971, 1987)"),
    ]  # fmt: skip
    return rows
