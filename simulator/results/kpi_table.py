"""The short KPI table ``matchday simulate`` prints: the numbers a planner looks at first.

Durations and waits are in minutes, as in the report, the sweep table and ``compare``.
"""

from __future__ import annotations

from rich.table import Table

from simulator.results.summary import RunSummary
from simulator.results.units import fmt_minutes_of, fmt_share


def kpi_table(summary: RunSummary, names: dict[str, str] | None = None) -> Table:
    """Fans, seated at kick-off, clearing time, the worst checkpoint wait and the worst LoS
    (with half-time: those who left their seats and the worst concourse).

    ``names`` maps element ids to the labels a planner knows them by (ids where missing).
    """
    label = (names or {}).get
    h, fans = summary.header, summary.fans
    table = Table(title=f"{h.scenario} (seed {h.seed})", show_header=True)
    table.add_column("KPI")
    table.add_column("value", justify="right")
    table.add_row("fans expected / arrived", f"{fans.expected:,} / {fans.arrived:,}")
    table.add_row(
        "seated / left / in venue", f"{fans.seated:,} / {fans.left:,} / {fans.in_venue:,}"
    )
    if fans.rerouted or fans.stranded:
        table.add_row("re-routed by closures / stranded", f"{fans.rerouted:,} / {fans.stranded:,}")
    table.add_row("seated at kick-off", fmt_share(summary.share_seated_at_kickoff))
    table.add_row("time to clear (min)", fmt_minutes_of(summary.time_to_clear_s))
    worst = summary.worst_checkpoint_wait()
    if worst is not None:
        c = summary.checkpoints[worst.element]
        table.add_row(
            "worst checkpoint wait p50 / p95 (min)",
            f"{label(worst.element, worst.element)}: {fmt_minutes_of(c.waits.p50_wait_s)} / "
            f"{fmt_minutes_of(c.waits.p95_wait_s)}",
        )
    if len(summary.stages) > 1:  # an access chain: where along it the fans waited
        table.add_row(
            "wait per stage p95 (min)",
            " / ".join(
                f"{stage} {fmt_minutes_of(st.waits.p95_wait_s)}"
                for stage, st in summary.stages.items()
            ),
        )
    dense = summary.worst_density()
    if dense is not None:
        los = summary.graded()[dense.group][dense.element]
        table.add_row(
            "peak density (worst place)",
            f"{label(dense.element, dense.element)}: {los.peak_density_per_m2:.2f} persons/m² "
            f"LoS {los.peak_los}",
        )
    table.add_row("element-minutes at LoS E or F (min)", f"{summary.minutes_at_los_e_or_f():.0f}")
    _halftime_rows(table, summary, names or {})
    _transport_rows(table, summary, names or {})
    return table


def _halftime_rows(table: Table, summary: RunSummary, names: dict[str, str]) -> None:
    """With half-time: who left their seats (and came back late), the worst concourse."""
    ht = summary.halftime
    if ht is None:
        return
    table.add_row(
        "half-time: left seats / back late", f"{ht.fans_left_seats:,} / {ht.fans_back_late:,}"
    )
    worst = summary.worst_halftime_concourse()
    if worst is not None:
        peak = ht.concourses[worst.element]
        table.add_row(
            "half-time concourse peak",
            f"{names.get(worst.element, worst.element)}: {peak.peak_density_per_m2:.2f} "
            f"persons/m² LoS {peak.peak_los}",
        )


def _transport_rows(table: Table, summary: RunSummary, names: dict[str, str]) -> None:
    """With transport: time to leave the area, the worst platform wait, the busiest line."""
    t = summary.transport
    if t is None:
        return
    table.add_row("time to leave the area (min)", fmt_minutes_of(t.time_to_leave_area_s))
    if t.platforms:
        pid, p = max(t.platforms.items(), key=lambda kv: (kv[1].waits.p95_wait_s, kv[0]))
        table.add_row(
            "worst platform wait p50 / p95 (min)",
            f"{names.get(pid, pid)}: {fmt_minutes_of(p.waits.p50_wait_s)} / "
            f"{fmt_minutes_of(p.waits.p95_wait_s)}",
        )
    if t.lines:
        lid, ln = max(t.lines.items(), key=lambda kv: (kv[1].passengers, kv[0]))
        table.add_row("busiest line (passengers, trips)", f"{lid}: {ln.passengers:,}, {ln.trips:,}")
