"""Ingress by public transport: fans reach a platform in vehicle loads, not one by one.

Each party's drawn arrival time is when it *wants* to be at the platform. Walking off a tram
or shuttle, it actually arrives with the first vehicle calling at or after that time that still
has room, so a platform receives bursts of up to one vehicle's capacity at the line's headway
(the timetable's times, or a headway stretched to ``cycle / fleet`` when a finite fleet cannot
keep it). This runs once on the drawn parties, before the run, so it adds no events.
"""

from __future__ import annotations

import bisect
import math

from simulator.engine.network import Network
from simulator.engine.party import ARRIVE, Party
from simulator.scenario.model import Scenario
from simulator.transport.model import Line, Transport


def call_times(line: Line, transport: Transport, start_s: float, end_s: float) -> list[float]:
    """Times at which vehicles of ``line`` set fans down at its platform."""
    first = start_s if line.service_start_s is None else line.service_start_s
    last = end_s if line.service_end_s is None else line.service_end_s
    if line.timetable:
        return [t for t in line.timetable if first <= t <= last]
    assert line.headway_s is not None
    headway = line.headway_s
    if line.fleet is not None:
        run = line.running_time_s
        if line.road is not None:
            run += transport.roads[transport.road_index()[line.road]].free_time_s
        headway = max(headway, (2.0 * run + line.dwell_s) / line.fleet)
    n = math.floor((last - first) / headway) + 1
    return [first + k * headway for k in range(max(n, 0))]


def group_arrivals(scenario: Scenario, network: Network, parties: list[Party]) -> int:
    """Move each ingress party at a platform to its vehicle's call; return parties moved.

    Parties are taken in order of their wished time; a vehicle full for a party sends it to
    the next call. A party wishing to arrive after the last call keeps its own time.
    """
    transport = scenario.transport
    if transport is None or not transport.lines:
        return 0
    start, end = scenario.settings.start_s, scenario.settings.end_s
    calls_at: dict[int, list[tuple[float, int]]] = {}
    for line in transport.lines:
        node = network.index[line.platform]
        times = call_times(line, transport, start, end)
        calls_at.setdefault(node, []).extend((t, line.capacity) for t in times)
    moved = 0
    for node, booked in calls_at.items():
        booked.sort()
        calls = [t for t, _ in booked]
        room = [c for _, c in booked]
        here = sorted(
            (p for p in parties if p.origin == node), key=lambda p: (p.times[ARRIVE], p.id)
        )
        k = 0
        for party in here:
            k = max(k, bisect.bisect_left(calls, party.times[ARRIVE]))
            while k < len(room) and room[k] < party.size:
                k += 1
            if k == len(room):
                break
            room[k] -= party.size
            party.times[ARRIVE] = calls[k]
            moved += 1
    return moved
