"""Safe capacity after the Green Guide: holding, entry, exit and emergency evacuation.

The arithmetic of the Guide to Safety at Sports Grounds, 6th edition (SGSA, 2018), chapter 2
and SGSA's guidance "Calculating safe capacity", done from the scenario's own numbers. Each
figure keeps its formula and inputs so a safety advisory group can check it by hand.

    holding     the seats of the stand (every seat taken as fit for use)
    entry       lanes x rate per lane x 1 h, the rate capped at 660 persons/h per lane,
                a gate's capacity shared among its sectors by seats; behind a perimeter
                (an access chain in series) no more than the perimeter's share of it
    exit        8 minutes (Green Guide 10.7, the normal maximum egress time) x exit width x
                82 persons/m/min (level routes, doors, ramps) or 66 (stairways)
    emergency   the same with the largest exit of the stand unavailable, over the emergency
                evacuation time (2.5 to 8 minutes, set by the fire risk assessment)
    final       the smallest of the four

A *stand* here is the set of sectors that empty into one area (their concourse); its exits
are the links from its sectors into it (vomitories). The concourse's own onward exits to a
place of safety are a second stage, shared with any stand that feeds into it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from simulator.results.names import element_names
from simulator.scenario.model import Link, Scenario

EGRESS_MIN = 8.0  # Green Guide 10.7: normal maximum egress time from viewing accommodation
LEVEL_RATE = 82.0  # persons per metre of exit width per minute, level routes and ramps
STAIR_RATE = 66.0  # persons per metre of exit width per minute, stairways
TURNSTILE_MAX_H = 660.0  # persons per hour per turnstile, the Green Guide's upper limit
EVACUATION_RANGE_MIN = (2.5, 8.0)  # emergency evacuation time, by fire risk
STAIR_KINDS = frozenset({"stairs_up", "stairs_down", "escalator"})


@dataclass(frozen=True)
class Figure:
    """One capacity figure: its value (persons), how it was worked, and whether it limits."""

    name: str
    persons: float
    formula: str
    inputs: str
    passes: bool  # the figure does not fall below the seats (or the time is within its limit)


@dataclass(frozen=True)
class Exit:
    """One exit of a stand: a link, its clear width and the flow rate its kind allows."""

    link: str
    label: str
    width_m: float
    rate_per_m_min: float

    @property
    def persons_per_min(self) -> float:
        return self.width_m * self.rate_per_m_min


@dataclass(frozen=True)
class StandCapacity:
    """The four figures of one stand, its egress times and its final safe capacity."""

    stand: str  # the area its sectors empty into
    label: str
    sectors: tuple[str, ...]
    exits: tuple[Exit, ...]
    onward: tuple[Exit, ...]  # the concourse's exits onward, shared with stands feeding it
    onward_persons: int  # seats that leave through ``onward`` (this stand and those above)
    holding: Figure
    entry: Figure
    exit: Figure
    emergency: Figure
    egress_min: float  # minutes to clear the stand through all its exits
    evacuation_min: float  # minutes with the largest exit unavailable (inf if none is left)

    @property
    def final(self) -> float:
        return min(f.persons for f in (self.holding, self.entry, self.exit, self.emergency))

    @property
    def largest_exit(self) -> Exit | None:
        """The exit an evacuation plan discounts; None when there is no second one."""
        if len(self.exits) < 2:
            return None
        return max(self.exits, key=lambda e: (e.persons_per_min, e.link))

    def figures(self) -> tuple[Figure, ...]:
        return (self.holding, self.entry, self.exit, self.emergency)


def exit_rate(link: Link) -> float:
    """82 persons/m/min on the level, 66 on stairways (Green Guide)."""
    return STAIR_RATE if link.kind in STAIR_KINDS else LEVEL_RATE


def lane_rate_h(scenario: Scenario, gate: str) -> tuple[int, float]:
    """Lanes of a gate and persons per hour per lane (mean screening time incl. secondary)."""
    cp = next(c for c in scenario.venue.checkpoints if c.id == gate)
    mean = cp.service.mean
    if cp.secondary_service is not None:
        mean += cp.secondary_share * cp.secondary_service.mean
    return cp.lanes, min(3600.0 / mean, TURNSTILE_MAX_H) if mean > 0 else TURNSTILE_MAX_H


def _exit(link: Link, names: Mapping[str, str] | None = None) -> Exit:
    label = link.label or (names or {}).get(link.id, link.id)
    return Exit(link.id, label, link.width_m, exit_rate(link))


def stands(scenario: Scenario) -> dict[str, list[tuple[str, Link]]]:
    """Stand (area) -> its sectors with the link each leaves by, in scenario order."""
    sector_ids = {s.id for s in scenario.venue.sectors}
    out: dict[str, list[tuple[str, Link]]] = {}
    for link in scenario.venue.links:
        if link.target in sector_ids:
            out.setdefault(link.source, []).append((link.target, link))
        elif link.source in sector_ids:
            out.setdefault(link.target, []).append((link.source, link))
    return out


def onward_exits(scenario: Scenario, stand: str) -> tuple[Exit, ...]:
    """Links that carry fans out of a stand's concourse, neither to seats nor up, nor to gates."""
    venue = scenario.venue
    inward = {s.id for s in venue.sectors} | {c.id for c in venue.checkpoints}
    out = []
    for link in venue.links:
        if link.kind == "stairs_up":
            continue
        if (link.source == stand and link.target not in inward) or (
            link.two_way and link.target == stand and link.source not in inward
        ):
            out.append(_exit(link))
    return tuple(out)


def gate_capacity_h(scenario: Scenario, stage: str = "ticket") -> dict[str, float]:
    """Gate (checkpoint of ``stage``) -> persons it can admit in one hour (lanes x rate x 1 h)."""
    out = {}
    for cp in scenario.venue.checkpoints:
        if cp.stage == stage:
            lanes, rate = lane_rate_h(scenario, cp.id)
            out[cp.id] = lanes * rate
    return out


def perimeter_factor(scenario: Scenario) -> float:
    """The share of the gates' hourly capacity the perimeter in front of them lets through.

    A chain in series admits the least of its stages: 1 without a perimeter or when the
    perimeter passes more than the gates, else perimeter capacity / gate capacity.
    """
    perimeter = sum(gate_capacity_h(scenario, "perimeter").values())
    gates = sum(gate_capacity_h(scenario).values())
    if not perimeter or not gates:
        return 1.0
    return min(1.0, perimeter / gates)


def entry_share(scenario: Scenario) -> dict[str, float]:
    """Sector -> its seats' share of its gate's hourly capacity.

    When any sector has no assigned gate, fans may use every gate, so all gates are pooled and
    shared by seats across the ground (no gate's capacity is counted twice).
    """
    caps = gate_capacity_h(scenario)
    if not caps:  # only perimeter checkpoints: they are the gates
        caps = gate_capacity_h(scenario, "perimeter")
    chain = perimeter_factor(scenario)
    sectors = scenario.venue.sectors
    if any(s.gate is None for s in sectors):
        total, seats = sum(caps.values()), max(scenario.venue.seats, 1)
        return {s.id: chain * total * s.seats / seats for s in sectors}
    seats_at: dict[str | None, int] = {}
    for s in sectors:
        seats_at[s.gate] = seats_at.get(s.gate, 0) + s.seats
    return {
        s.id: chain * caps.get(s.gate or "", 0.0) * s.seats / max(seats_at[s.gate], 1)
        for s in sectors
    }


def stand_capacity(
    *, scenario: Scenario, stand: str, evacuation_min: float = EVACUATION_RANGE_MIN[1]
) -> StandCapacity:
    """The Green Guide figures of one stand (``stand``: the area its sectors empty into)."""
    groups = stands(scenario)
    members = groups[stand]
    seats_of = {s.id: s.seats for s in scenario.venue.sectors}
    sectors = tuple(dict.fromkeys(sid for sid, _ in members))
    seats = sum(seats_of[s] for s in sectors)
    names = element_names(scenario)
    exits = tuple(_exit(link, names) for _, link in members)
    onward = tuple(
        dataclasses.replace(e, label=names.get(e.link, e.label))
        for e in onward_exits(scenario, stand)
    )
    feeding = [o for o in groups if o != stand and stand in _targets(scenario, o)]
    onward_persons = seats + sum(seats_of[s] for o in feeding for s, _ in groups[o])
    rate = sum(e.persons_per_min for e in exits)
    holding = Figure("holding", float(seats), "seats in the stand", f"{seats:,} seats", True)
    entry_cap = sum(entry_share(scenario)[s] for s in sectors)
    entry = Figure(
        "entry",
        entry_cap,
        "lanes x rate per lane x 1 h, shared by seats",
        _entry_inputs(scenario, sectors, names),
        entry_cap >= seats,
    )
    exit_cap = rate * EGRESS_MIN
    onward_rate = sum(e.persons_per_min for e in onward)
    if onward and onward_persons:
        exit_cap = min(exit_cap, onward_rate * EGRESS_MIN * seats / onward_persons)
    exit_fig = Figure(
        "exit",
        exit_cap,
        "8 min x sum(width x 82 or 66 persons/m/min)",
        _exit_inputs(exits, onward, onward_persons),
        exit_cap >= seats,
    )
    largest = max(exits, key=lambda e: (e.persons_per_min, e.link)) if len(exits) > 1 else None
    left = rate - (largest.persons_per_min if largest else rate)
    emergency_cap = left * evacuation_min
    if onward and onward_persons:
        emergency_cap = min(emergency_cap, onward_rate * evacuation_min * seats / onward_persons)
    egress = max(seats / rate if rate else float("inf"), _onward_min(onward_rate, onward_persons))
    evac = max(seats / left if left > 0 else float("inf"), _onward_min(onward_rate, onward_persons))
    emergency = Figure(
        "emergency evacuation",
        emergency_cap,
        f"{evacuation_min:g} min x sum(width x rate) without the largest exit",
        (f"largest exit {largest.label} ({largest.width_m:g} m) unavailable" if largest
         else "only one exit: none left when it is unavailable"),
        emergency_cap >= seats and evac <= evacuation_min,
    )  # fmt: skip
    label = names.get(stand, stand)
    return StandCapacity(
        stand, label, sectors, exits, onward, onward_persons, holding, entry, exit_fig,
        emergency, egress, evac,
    )  # fmt: skip


def ground_capacity(
    *, scenario: Scenario, evacuation_min: float = EVACUATION_RANGE_MIN[1]
) -> tuple[list[StandCapacity], Mapping[str, float]]:
    """Every stand's figures, and the ground's: seats, entry in 1 h, final (sum of stands)."""
    rows = [
        stand_capacity(scenario=scenario, stand=s, evacuation_min=evacuation_min)
        for s in stands(scenario)
    ]
    ground = {
        "holding": float(scenario.venue.seats),
        "entry": perimeter_factor(scenario) * sum(gate_capacity_h(scenario).values()),
        "exit": sum(r.exit.persons for r in rows),
        "emergency": sum(r.emergency.persons for r in rows),
        "final": sum(r.final for r in rows),
    }
    return rows, ground


def _targets(scenario: Scenario, stand: str) -> set[str]:
    """Areas a stand's onward exits lead into."""
    out = set()
    for e in onward_exits(scenario, stand):
        link = next(lk for lk in scenario.venue.links if lk.id == e.link)
        out.add(link.target if link.source == stand else link.source)
    return out


def _onward_min(rate: float, persons: int) -> float:
    return persons / rate if rate > 0 else 0.0


def _entry_inputs(scenario: Scenario, sectors: tuple[str, ...], names: Mapping[str, str]) -> str:
    gates = sorted({s.gate for s in scenario.venue.sectors if s.id in sectors and s.gate})
    parts = []
    for g in gates:
        lanes, rate = lane_rate_h(scenario, g)
        parts.append(f"{names.get(g, g)}: {lanes} lanes x {rate:.0f}/h")
    chain = perimeter_factor(scenario)
    if chain < 1.0:
        parts.append(f"x {chain:.2f}: the perimeter in front passes less than the gates")
    return "; ".join(parts) or "no gate assigned: all gates shared by seats"


def _exit_inputs(exits: tuple[Exit, ...], onward: tuple[Exit, ...], persons: int) -> str:
    text = ", ".join(f"{e.label} {e.width_m:g} m x {e.rate_per_m_min:g}" for e in exits)
    if onward:
        shared = ", ".join(f"{e.label} {e.width_m:g} m x {e.rate_per_m_min:g}" for e in onward)
        text += f"; onward {shared} for {persons:,} persons"
    return text
