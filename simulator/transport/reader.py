"""Read and validate the ``transport:`` section of a scenario, reporting every problem.

    transport:
      roads:     [{id: a3, length_km: 30, free_speed_kmh: 100, capacity_veh_h: 4400,
                   alpha: 0.15, beta: 4, background_veh_h: 1500, window_s: 900}]
      lines:     [{id: shuttle_1, mode: bus, platform: bus_bay_1, capacity: 100, headway_s: 120,
                   dwell_s: 60, running_time_s: 300, fleet: 20, road: a3, pcu: 2,
                   service_start: "16:30", service_end: "01:00"}]     # or timetable: ["22:55", ...]
      car_parks: [{id: p1, origin: car_park_a, spaces: 2600, exit_lanes: 4,
                   exit_rate_veh_h: 600, road: a3}]

References (platform and car-park origins, roads) are checked against the venue once it has
been read, in ``check_transport``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast, get_args

from simulator.scenario.clock import ClockFormatError, parse_clock
from simulator.scenario.fields import FieldReader, describe, join
from simulator.scenario.model import Venue
from simulator.transport.model import CarPark, Line, LineMode, Road, Transport

LINE_MODES: tuple[str, ...] = get_args(LineMode)
ROAD_KEYS = ("alpha", "beta", "background_veh_h", "window_s", "label")
LINE_KEYS = ("headway_s", "timetable", "fleet", "road", "pcu", "service_start", "service_end")


def read_clock(
    r: FieldReader, m: dict[str, Any], key: str, path: str, day_start: float | None
) -> float | None:
    """An optional clock time; "HH:MM" before the run's start means the next day."""
    try:
        return parse_clock(m[key], day_start_s=day_start)
    except ClockFormatError as err:
        r.problem(
            join(path, key),
            'a clock time "HH:MM" or "HH:MM:SS", or seconds since midnight',
            str(err),
        )
        return None


def read_transport(r: FieldReader, value: object, day_start: float | None) -> Transport | None:
    """The whole section; None (with problems recorded) when any part is bad."""
    path = "transport"
    m = r.mapping(value, path, required=(), optional=("roads", "lines", "car_parks"))
    if m is None:
        return None
    bad = len(r.problems)
    roads = _items(r, m, "roads", path, lambda v, p: _road(r, v, p))
    lines = _items(r, m, "lines", path, lambda v, p: _line(r, v, p, day_start))
    parks = _items(r, m, "car_parks", path, lambda v, p: _car_park(r, v, p))
    if len(r.problems) > bad:
        return None
    return Transport(
        tuple(cast(list[Road], roads)),
        tuple(cast(list[Line], lines)),
        tuple(cast(list[CarPark], parks)),
    )


def _items(r: FieldReader, m: dict[str, Any], key: str, path: str, read: Any) -> list[Any]:
    values = r.sequence(m, key, path, default=[]) or []
    return [read(v, join(join(path, key), i)) for i, v in enumerate(values)]


def _road(r: FieldReader, value: object, path: str) -> Road | None:
    req = ("id", "length_km", "free_speed_kmh", "capacity_veh_h")
    m = r.mapping(value, path, required=req, optional=ROAD_KEYS)
    if m is None:
        return None
    id_ = r.string(m, "id", path)
    nums = {
        "length_km": r.number(m, "length_km", path, above=0.0),
        "free_speed_kmh": r.number(m, "free_speed_kmh", path, above=0.0),
        "capacity_veh_h": r.number(m, "capacity_veh_h", path, above=0.0),
        "alpha": r.number(m, "alpha", path, default=0.15, at_least=0.0),
        "beta": r.number(m, "beta", path, default=4.0, at_least=0.0),
        "background_veh_h": r.number(m, "background_veh_h", path, default=0.0, at_least=0.0),
        "window_s": r.number(m, "window_s", path, default=900.0, above=0.0),
    }
    label = r.string(m, "label", path, default="")
    if id_ is None or label is None or None in nums.values():
        return None
    return Road(id_, **cast(dict[str, float], nums), label=label)


def _line(r: FieldReader, value: object, path: str, day_start: float | None) -> Line | None:
    req = ("id", "mode", "platform", "capacity", "dwell_s", "running_time_s")
    m = r.mapping(value, path, required=req, optional=(*LINE_KEYS, "label"))
    if m is None:
        return None
    id_, platform = r.string(m, "id", path), r.string(m, "platform", path)
    mode = r.choice(m, "mode", path, LINE_MODES)
    capacity = r.number(m, "capacity", path, at_least=1, integer=True)
    dwell = r.number(m, "dwell_s", path, at_least=0.0)
    run = r.number(m, "running_time_s", path, at_least=0.0)
    headway = r.number(m, "headway_s", path, above=0.0)
    fleet = r.number(m, "fleet", path, at_least=1, integer=True)
    road = r.string(m, "road", path)
    pcu = r.number(m, "pcu", path, default=2.0, at_least=0.0)
    label = r.string(m, "label", path, default="")
    timetable = _timetable(r, m, path, day_start)
    start = read_clock(r, m, "service_start", path, day_start) if "service_start" in m else None
    end = read_clock(r, m, "service_end", path, day_start) if "service_end" in m else None
    if ("headway_s" in m) == ("timetable" in m):
        r.problem(path, "exactly one of headway_s or timetable", _both_or_none(m))
        return None
    if start is not None and end is not None and not end > start:
        r.problem(
            join(path, "service_end"), "a time after service_start", describe(m["service_end"])
        )
        return None
    if road is not None and mode not in (None, "bus"):
        r.problem(join(path, "road"), "no road for a rail or tram line (roads carry buses)", mode)
        return None
    if None in (id_, platform, mode, capacity, dwell, run, pcu, label, timetable):
        return None
    assert id_ and platform and capacity and dwell is not None and run is not None
    return Line(
        id_,
        cast(LineMode, mode),
        platform,
        int(capacity),
        dwell,
        run,
        headway,
        cast(tuple[float, ...], timetable),
        None if fleet is None else int(fleet),
        road,
        cast(float, pcu),
        start,
        end,
        cast(str, label),
    )


def _both_or_none(m: dict[str, Any]) -> str:
    return "both" if "headway_s" in m else "neither"


def _timetable(
    r: FieldReader, m: dict[str, Any], path: str, day_start: float | None
) -> tuple[float, ...] | None:
    values = r.sequence(m, "timetable", path, default=[])
    if values is None:
        return None
    where = join(path, "timetable")
    times = [read_clock(r, {"t": v}, "t", join(where, i), day_start) for i, v in enumerate(values)]
    if None in times:
        return None
    for i in range(1, len(times)):
        if not cast(float, times[i]) > cast(float, times[i - 1]):
            r.problem(join(where, i), "times increasing", describe(values[i]))
            return None
    return tuple(cast(list[float], times))


def _car_park(r: FieldReader, value: object, path: str) -> CarPark | None:
    req = ("id", "origin", "spaces", "exit_lanes")
    m = r.mapping(value, path, required=req, optional=("exit_rate_veh_h", "road", "label"))
    if m is None:
        return None
    id_, origin = r.string(m, "id", path), r.string(m, "origin", path)
    spaces = r.number(m, "spaces", path, at_least=1, integer=True)
    lanes = r.number(m, "exit_lanes", path, at_least=1, integer=True)
    rate = r.number(m, "exit_rate_veh_h", path, default=600.0, above=0.0)
    road = r.string(m, "road", path)
    label = r.string(m, "label", path, default="")
    if None in (id_, origin, spaces, lanes, rate, label) or ("road" in m and road is None):
        return None
    assert id_ and origin and spaces and lanes and rate and label is not None
    return CarPark(id_, origin, int(spaces), int(lanes), rate, road, label)


def check_transport(r: FieldReader, transport: Transport, venue: Venue) -> None:
    """Cross-references: ids unique, platforms and car parks are origins, roads exist."""
    taken = set(venue.node_ids()) | {link.id for link in venue.links}
    origins = {o.id: o for o in venue.origins}
    roads = {road.id for road in transport.roads}
    groups: Iterable[tuple[str, tuple[Any, ...]]] = (
        ("roads", transport.roads),
        ("lines", transport.lines),
        ("car_parks", transport.car_parks),
    )
    seen: set[str] = set()
    for group, items in groups:
        for i, item in enumerate(items):
            where = f"transport.{group}[{i}]"
            if item.id in seen or item.id in taken:
                r.problem(join(where, "id"), "an id not used elsewhere in the scenario", item.id)
            seen.add(item.id)
    platforms = set()
    for i, line in enumerate(transport.lines):
        where = f"transport.lines[{i}]"
        _ref(r, join(where, "platform"), line.platform, origins, "an origin id (the platform)")
        platforms.add(line.platform)
        if line.road is not None:
            _ref(r, join(where, "road"), line.road, roads, "a road id from transport.roads")
    for i, park in enumerate(transport.car_parks):
        where = f"transport.car_parks[{i}]"
        _ref(r, join(where, "origin"), park.origin, origins, "an origin id (the car park)")
        if park.origin in platforms:
            r.problem(join(where, "origin"), "an origin that is not also a platform", park.origin)
        if park.road is not None:
            _ref(r, join(where, "road"), park.road, roads, "a road id from transport.roads")


def _ref(r: FieldReader, path: str, value: str, known: Iterable[str], what: str) -> None:
    known = sorted(known)
    if value not in known:
        r.problem(path, f"{what}: one of {', '.join(known) or '(none declared)'}", repr(value))
