"""The short KPI table ``matchday simulate`` prints: the numbers a planner looks at first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.table import Table

from simulator.scenario.clock import format_duration


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{100.0 * value:.1f}%"


def kpi_table(summary: Mapping[str, Any]) -> Table:
    """Fans, seated at kick-off, clearing time, the worst checkpoint wait and the worst LoS."""
    fans = summary["fans"]
    table = Table(title=f"{summary['scenario']} (seed {summary['seed']})", show_header=True)
    table.add_column("KPI")
    table.add_column("value", justify="right")
    table.add_row("fans expected / arrived", f"{fans['expected']:,} / {fans['arrived']:,}")
    table.add_row(
        "seated / left / in venue", f"{fans['seated']:,} / {fans['left']:,} / {fans['in_venue']:,}"
    )
    table.add_row("seated at kick-off", _share(summary.get("share_seated_at_kickoff")))
    table.add_row("time to clear", format_duration(summary.get("time_to_clear_s")))
    checkpoints = summary.get("checkpoints", {})
    if checkpoints:
        cid, c = max(checkpoints.items(), key=lambda kv: (kv[1]["p95_wait_s"], kv[0]))
        table.add_row(
            "worst checkpoint wait p50 / p95",
            f"{cid}: {format_duration(c['p50_wait_s'])} / {format_duration(c['p95_wait_s'])}",
        )
    worst = _worst_los(summary)
    if worst is not None:
        kind, eid, e = worst
        table.add_row(
            "peak density (worst element)",
            f"{kind} {eid}: {e['peak_density_per_m2']:.2f}/m² LoS {e['peak_los']}",
        )
    minutes_ef = sum(
        e["minutes_at_los_e"] + e["minutes_at_los_f"]
        for group in ("areas", "links", "checkpoints")
        for e in summary.get(group, {}).values()
    )
    table.add_row("element-minutes at LoS E/F", f"{minutes_ef:.0f}")
    _transport_rows(table, summary)
    return table


def _transport_rows(table: Table, summary: Mapping[str, Any]) -> None:
    """With transport: time to leave the area, the worst platform wait, the busiest line."""
    if "lines" not in summary:
        return
    table.add_row("time to leave the area", format_duration(summary.get("time_to_leave_area_s")))
    platforms = summary.get("platforms", {})
    if platforms:
        pid, p = max(platforms.items(), key=lambda kv: (kv[1]["p95_wait_s"], kv[0]))
        table.add_row(
            "worst platform wait p50 / p95",
            f"{pid}: {format_duration(p['p50_wait_s'])} / {format_duration(p['p95_wait_s'])}",
        )
    lines = summary["lines"]
    if lines:
        lid, ln = max(lines.items(), key=lambda kv: (kv[1]["passengers"], kv[0]))
        table.add_row(
            "busiest line (passengers, trips)", f"{lid}: {ln['passengers']:,}, {ln['trips']:,}"
        )


def _worst_los(summary: Mapping[str, Any]) -> tuple[str, str, Mapping[str, Any]] | None:
    """The area, link or checkpoint with the worst peak LoS, then highest peak density."""
    candidates = [
        (group[:-1], eid, e)
        for group in ("areas", "links", "checkpoints")
        for eid, e in summary.get(group, {}).items()
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda c: (c[2]["peak_los"], c[2]["peak_density_per_m2"], c[1]))
