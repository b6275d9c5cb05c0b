"""What-if levers: time-windowed interventions on a match day, and how a run applies them.

A scenario lists them under ``interventions:`` (read by ``simulator.levers.reader``);
each acts from ``start_s`` until ``end_s`` (None: to the end of the run):

    close_gate      a ticket gate stops screening; fans setting off in the window go to the
                    open gate with the least expected delay (walk + queue per lane); fans
                    already walking to it or queuing there go to the open gate of least
                    expected delay from where they stand (``simulator.engine.routing``)
    lanes           a checkpoint works with ``lanes`` lanes
    service_factor  screening times are multiplied by ``factor`` (one checkpoint, every
                    checkpoint of a ``stage`` of the access chain, or all)
    line_service    a line's ``headway_s``, vehicle ``capacity`` and/or ``fleet`` change
    release_delay   fans of ``sectors`` due for release in the window leave ``delay_s`` later
    weather         walking speeds everywhere are multiplied by ``factor`` (rain: < 1)
    close_link      a link takes no one (an incident): fans queuing for it or meeting it
                    take their best open way; only with none open do they wait at its end
    reassign_gate   fans of ``sectors`` setting off in the window are sent to ``gate``

At every window edge the run recomputes the effective setting of each lever from the active
interventions (later ones in the list win) and applies only what changed, so overlapping
windows compose and ending one restores what the others say.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from simulator.engine.party import Party

LeverKind = Literal[
    "close_gate",
    "lanes",
    "service_factor",
    "line_service",
    "release_delay",
    "weather",
    "close_link",
    "reassign_gate",
]
INF = float("inf")


@dataclass(frozen=True)
class Intervention:
    """One lever pulled over a time window; only the fields of its ``kind`` are set."""

    id: str
    kind: LeverKind
    start_s: float
    end_s: float | None = None
    gate: str | None = None
    lanes: int | None = None
    factor: float | None = None
    line: str | None = None
    headway_s: float | None = None
    capacity: int | None = None
    fleet: int | None = None
    sectors: tuple[str, ...] = ()
    delay_s: float | None = None
    link: str | None = None
    label: str = ""
    stage: str | None = None  # service_factor: every checkpoint of this stage (perimeter, ticket)

    def covers(self, t: float) -> bool:
        return self.start_s <= t and (self.end_s is None or t < self.end_s)


def delay_releases(
    levers: tuple[Intervention, ...], sector_ids: list[str], parties: list[Party]
) -> int:
    """Apply ``release_delay`` levers to the drawn release times; return fans delayed.

    Runs once before the run (release times are drawn up front), so the release order the
    engine builds already includes the delay.
    """
    delayed = 0
    for lever in levers:
        if lever.kind != "release_delay":
            continue
        assert lever.delay_s is not None
        nodes = {sector_ids.index(s) for s in lever.sectors}
        for party in parties:
            if party.sector in nodes and lever.covers(party.release_at):
                party.release_at += lever.delay_s
                delayed += party.size
    return delayed


class LeverState:
    """Effective lever settings of a run (picklable, part of the world)."""

    def __init__(self, n_levers: int, lanes: list[int], n_lines: int) -> None:
        self.active = [False] * n_levers
        self.base_lanes = list(lanes)  # the lanes open now are the banks' (TurnstileBank.lanes)
        self.service_factor = [1.0] * len(lanes)
        self.closed_gates: set[int] = set()
        self.closed_links: set[int] = set()
        self.speed_factor = 1.0
        self.sector_gate: dict[int, int] = {}
        self.line_fleet: list[int | None] = [None] * n_lines
