"""The emergency-evacuation case: every stand released at once, the largest exit unavailable.

Built from the scenario with the existing levers (``close_link``) and the egress release
profile, via ``dataclasses.replace``, so the engine runs it like any match day. The time for
each stand to reach a place of safety is read from the time series: the first sample after
the alarm at which nobody is left in the stand's sectors, their exits and their concourse,
judged against the Green Guide's 2.5 to 8 minutes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from simulator.errors import SimulatorError
from simulator.levers.model import Intervention
from simulator.results.capacity import EVACUATION_RANGE_MIN, onward_exits, stands
from simulator.scenario.model import ArrivalProfile, Scenario

SAMPLE_S = 10.0  # finer samples than a match day's minute, for times of a few minutes
AFTER_S = 3600.0  # the run stops an hour after the alarm
RELEASE = ArrivalProfile(((0.0, 0.0), (0.1, 1.0)))  # everyone leaves their seat within 6 s


class EvacuationError(SimulatorError):
    """The scenario has no match (no egress) to evacuate."""


@dataclass(frozen=True)
class StandClosure:
    """Which exit of a stand the case closes, or why none could be."""

    stand: str
    link: str | None
    reason: str


@dataclass(frozen=True)
class StandEvacuation:
    stand: str
    label: str
    closed: StandClosure
    minutes: float | None  # None: the stand was not empty when the run ended

    @property
    def verdict(self) -> str:
        low, high = EVACUATION_RANGE_MIN
        if self.minutes is None:
            return "not cleared"
        if self.minutes <= low:
            return f"within {low:g} min"
        return f"within {high:g} min" if self.minutes <= high else f"over {high:g} min"


def closures(scenario: Scenario) -> list[StandClosure]:
    """Per stand, the widest exit whose loss still leaves every one of its fans a way home.

    An exit that is the only way out (one vomitory per block, say) is not closed: the network
    has no gangway to a neighbouring exit, so closing it would trap the block, not test it.
    """
    out = []
    for stand, members in stands(scenario).items():
        candidates = [(lk.id, lk.width_m) for _, lk in members]
        candidates += [(e.link, e.width_m) for e in onward_exits(scenario, stand)]
        sectors = {sid for sid, _ in members}
        usable = [c for c in candidates if _still_out(scenario, sectors, c[0])]
        if not usable:
            reason = "every exit is the only way out for some of its fans: none closed"
            out.append(StandClosure(stand, None, reason))
            continue
        link, width = max(usable, key=lambda c: (c[1], c[0]))
        out.append(StandClosure(stand, link, f"{link} ({width:g} m) closed: the widest exit"))
    return out


def _destinations(scenario: Scenario) -> set[str]:
    egress, ingress = scenario.egress, scenario.ingress
    if egress is not None and egress.destinations:
        return {d for d, _ in egress.destinations}
    return {o for o, _ in ingress.mode_split} if ingress is not None else set()


def _still_out(scenario: Scenario, sectors: set[str], closed: str) -> bool:
    """Every sector still reaches every egress destination with ``closed`` out of use."""
    gates = {c.id for c in scenario.venue.checkpoints}  # entry only: nobody leaves through them
    nxt: dict[str, set[str]] = {}
    for lk in scenario.venue.links:
        if lk.id == closed or lk.source in gates or lk.target in gates:
            continue
        nxt.setdefault(lk.source, set()).add(lk.target)
        if lk.two_way:
            nxt.setdefault(lk.target, set()).add(lk.source)
    goals = _destinations(scenario)
    for sector in sectors:
        seen, todo = {sector}, [sector]
        while todo:
            for n in nxt.get(todo.pop(), ()):
                if n not in seen:
                    seen.add(n)
                    todo.append(n)
        if not goals <= seen:
            return False
    return True


def evacuation_scenario(scenario: Scenario) -> Scenario:
    """The scenario with all stands released at the final whistle and the closures applied."""
    if scenario.egress is None:
        raise EvacuationError(
            f"{scenario.source_path}: egress: an evacuation needs a match with a final whistle"
        )
    alarm = scenario.egress.final_whistle_s
    levers = tuple(
        Intervention(f"evacuation_{c.stand}", "close_link", alarm, None, link=c.link)
        for c in closures(scenario)
        if c.link is not None
    )
    settings = dataclasses.replace(
        scenario.settings,
        end_s=min(scenario.settings.end_s, alarm + AFTER_S),
        sample_interval_s=min(scenario.settings.sample_interval_s, SAMPLE_S),
    )
    return dataclasses.replace(
        scenario,
        name=f"{scenario.name} (emergency evacuation)",
        settings=settings,
        egress=dataclasses.replace(scenario.egress, release_profile=RELEASE),
        interventions=(*scenario.interventions, *levers),
    )


def stand_times(*, scenario: Scenario, timeseries: pa.Table) -> list[StandEvacuation]:
    """Minutes from the alarm until each stand (sectors, exits, concourse) is empty."""
    assert scenario.egress is not None
    alarm = scenario.egress.final_whistle_s
    labels = {a.id: a.label or a.id for a in scenario.venue.areas}
    by_stand = {c.stand: c for c in closures(scenario)}
    after = timeseries.filter(pc.greater(timeseries["time_s"], alarm))
    out = []
    for stand, members in stands(scenario).items():
        ids = [stand, *{s for s, _ in members}, *{lk.id for _, lk in members}]
        rows = after.filter(pc.is_in(after["element"], pa.array(ids)))
        times = rows["time_s"].to_numpy()
        people = rows["occupancy"].to_numpy()
        grid = np.unique(times)
        totals = np.array([people[times == t].sum() for t in grid])
        empty = grid[totals == 0]
        minutes = float((empty[0] - alarm) / 60.0) if empty.size else None
        out.append(StandEvacuation(stand, labels.get(stand, stand), by_stand[stand], minutes))
    return out
