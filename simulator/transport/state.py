"""Run-time state of transport: platform queues, vehicles in circulation, car queues, road flow.

Plain picklable objects held by the run's ``World`` (a snapshot carries them). The logic that
changes them on events is in ``runner.py``; the methods here are the O(1)/O(log n) bookkeeping
each object owns.
"""

from __future__ import annotations

import heapq
import math
from collections import deque

from simulator.transport.bpr import bpr_travel_time
from simulator.transport.model import CarPark, Line, Road

INF = math.inf


class PlatformQueue:
    """Fans waiting on one platform, FIFO by party; ``hold`` = jam-density head count."""

    def __init__(self, node: int, hold: int | None) -> None:
        self.node = node
        self.hold = hold  # None: the platform has no floor area, so no storage limit
        self.queue: deque[tuple[float, int, int]] = deque()  # (joined, party, size)
        self.waiting = 0
        self.peak_queue = 0
        self.waits: list[float] = []  # one per fan who boarded
        self.blocked: list[tuple[int, int]] = []  # (link, direction) held back while full

    def join(self, t: float, party: int, size: int) -> None:
        self.queue.append((t, party, size))
        self.waiting += size
        if self.waiting > self.peak_queue:
            self.peak_queue = self.waiting


class Vehicles:
    """The calls of one line at its platform, with the fleet in circulation if it is finite."""

    def __init__(self, line: Line, start_s: float, end_s: float) -> None:
        self.capacity = line.capacity
        self.headway = line.headway_s
        self.dwell = line.dwell_s
        self.first = start_s if line.service_start_s is None else line.service_start_s
        self.last = end_s if line.service_end_s is None else line.service_end_s
        self.timetable = line.timetable
        self.next_timetable = 0
        self.last_call = -INF
        self.ready: list[float] | None = None if line.fleet is None else [self.first] * line.fleet
        self.retire = 0  # vehicles to withdraw as they come back (fleet cut by a lever)
        self.trips = 0  # departures carrying fans
        self.departures = 0
        self.passengers = 0
        self.peak_load = 0
        self.in_service: deque[tuple[float, int]] = deque()  # (arrives at terminus, load)
        self.departed = 0  # fans who left in the current sample interval
        self.wait_sum = 0.0
        self.wait_n = 0

    def next_call(self, now: float) -> float:
        """When the next vehicle can call at the platform (INF when service has ended).

        Calls are at least ``headway`` apart; several vehicles may dwell at once (a bay with
        several berths, a station with several tracks): the headway is the layout's limit.
        """
        if self.timetable:
            i = self.next_timetable
            while i < len(self.timetable) and self.timetable[i] < now:
                i += 1
            self.next_timetable = i
            t = self.timetable[i] if i < len(self.timetable) else INF
        else:
            assert self.headway is not None
            t = max(self.first, self.last_call + self.headway, now)
        if self.ready is not None:
            t = max(t, self.ready[0]) if self.ready else INF
        return t if t <= self.last else INF

    def call(self, t: float) -> None:
        """A vehicle calls at ``t``: take it from the fleet and advance the timetable."""
        self.last_call = t
        if self.timetable:
            self.next_timetable += 1
        if self.ready is not None:
            heapq.heappop(self.ready)

    def back(self, t: float) -> None:
        """A vehicle of a finite fleet is ready for its next call at ``t``."""
        if self.ready is None:
            return
        if self.retire > 0:
            self.retire -= 1
            return
        heapq.heappush(self.ready, t)

    def set_fleet(self, change: int, now: float) -> None:
        """Add vehicles (ready now) or withdraw some as they come back."""
        if self.ready is None:
            return
        if change > 0:
            cancel = min(change, self.retire)
            self.retire -= cancel
            for _ in range(change - cancel):
                heapq.heappush(self.ready, now)
        else:
            self.retire += -change


class CarQueue:
    """Cars of one car park: parked on the way in, queuing at the exit barriers after."""

    def __init__(self, park: CarPark) -> None:
        self.spaces = park.spaces
        self.headway = 3600.0 / (park.exit_lanes * park.exit_rate_veh_h)
        self.parked = 0
        self.peak_parked = 0
        self.cars_in = 0
        self.overflow = 0  # cars that found it full (they park on the verges nearby)
        self.queue: deque[tuple[float, int]] = deque()  # (joined, party)
        self.next_exit = -INF
        self.due = INF
        self.cars_out = 0
        self.peak_queue = 0
        self.waits: list[float] = []

    def arrive(self) -> None:
        self.cars_in += 1
        if self.parked < self.spaces:
            self.parked += 1
            self.peak_parked = max(self.peak_parked, self.parked)
        else:
            self.overflow += 1


class RoadFlow:
    """Vehicles (pcu) that entered a road over its trailing window, and the BPR time now."""

    def __init__(self, road: Road) -> None:
        self.road = road
        self.entries: deque[tuple[float, float]] = deque()
        self.in_window = 0.0
        self.vehicles = 0.0
        self.peak_ratio = 0.0
        self.max_time = road.free_time_s

    def volume(self, now: float) -> float:
        """Vehicles per hour now: the trailing window's entries scaled, plus background."""
        horizon = now - self.road.window_s
        while self.entries and self.entries[0][0] <= horizon:
            self.in_window -= self.entries.popleft()[1]
        return self.in_window * 3600.0 / self.road.window_s + self.road.background_veh_h

    def enter(self, now: float, pcu: float) -> float:
        """A vehicle enters the road; return its travel time (BPR at the volume with it)."""
        self.entries.append((now, pcu))
        self.in_window += pcu
        self.vehicles += pcu
        return self.travel_time(now)

    def travel_time(self, now: float) -> float:
        r = self.road
        v = self.volume(now)
        self.peak_ratio = max(self.peak_ratio, v / r.capacity_veh_h)
        t = bpr_travel_time(r.free_time_s, v, r.capacity_veh_h, alpha=r.alpha, beta=r.beta)
        self.max_time = max(self.max_time, t)
        return t


class TransportState:
    """All transport state of a run; ``last_out`` is when the last fan left the area so far."""

    def __init__(
        self,
        platforms: list[PlatformQueue],
        vehicles: list[Vehicles],
        cars: list[CarQueue],
        roads: list[RoadFlow],
    ) -> None:
        self.platforms = platforms
        self.vehicles = vehicles
        self.cars = cars
        self.roads = roads
        self.last_out = -INF
        self.due = [INF] * len(vehicles)
