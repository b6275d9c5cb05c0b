"""Frozen value objects of the ``transport:`` section: roads, lines, car parks.

Times are clock seconds (as everywhere in a Scenario), durations seconds, road lengths km and
speeds km/h because that is how road data is published.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LineMode = Literal["tram", "rail", "high_speed", "bus"]


@dataclass(frozen=True)
class Road:
    """A road link out of the area; its travel time follows BPR at the current volume.

    ``volume`` is the flow of vehicles (passenger-car units) that entered it over the last
    ``window_s`` seconds, per hour, plus ``background_veh_h`` of other traffic.
    """

    id: str
    length_km: float
    free_speed_kmh: float
    capacity_veh_h: float
    alpha: float = 0.15
    beta: float = 4.0
    background_veh_h: float = 0.0
    window_s: float = 900.0
    label: str = ""

    @property
    def free_time_s(self) -> float:
        return 3600.0 * self.length_km / self.free_speed_kmh


@dataclass(frozen=True)
class Line:
    """A public-transport line calling at one platform by the venue.

    Vehicles call every ``headway_s`` (or at the ``timetable`` times) between ``service_start_s``
    and ``service_end_s``, dwell ``dwell_s`` and leave with up to ``capacity`` fans. With a
    ``fleet`` only that many vehicles circulate: one that leaves comes back after a round trip
    of twice the running time plus a turnaround dwell, so a small fleet stretches the headway;
    a vehicle of a finite fleet finding nobody to take stays at its bay instead of leaving
    empty (a timetabled or unlimited service leaves on time, empty or not).
    The running time is ``running_time_s``, or the BPR time of ``road`` when the line is a bus
    on a road (then ``pcu`` is what one bus adds to the road volume).
    """

    id: str
    mode: LineMode
    platform: str  # origin id
    capacity: int
    dwell_s: float
    running_time_s: float
    headway_s: float | None = None
    timetable: tuple[float, ...] = ()
    fleet: int | None = None
    road: str | None = None
    pcu: float = 2.0
    service_start_s: float | None = None  # None: from the start of the run
    service_end_s: float | None = None  # None: to the end of the run
    label: str = ""


@dataclass(frozen=True)
class CarPark:
    """A car park whose apron is an origin; each party is one car (mean party ~2.5 fans).

    After the match cars queue for ``exit_lanes`` barriers, each letting out
    ``exit_rate_veh_h`` vehicles an hour, then drive ``road``.
    """

    id: str
    origin: str
    spaces: int
    exit_lanes: int
    exit_rate_veh_h: float = 600.0
    road: str | None = None
    label: str = ""


@dataclass(frozen=True)
class Transport:
    """Everything outside the walking network that moves fans to and from the venue."""

    roads: tuple[Road, ...] = ()
    lines: tuple[Line, ...] = ()
    car_parks: tuple[CarPark, ...] = ()

    def road_index(self) -> dict[str, int]:
        return {r.id: i for i, r in enumerate(self.roads)}
