"""Read and validate ``interventions:``: each item is one lever with a time window.

    interventions:
      - {id: rain, kind: weather, start: "18:00", end: "21:00", speed_factor: 0.85}
      - {id: shut_g3, kind: close_gate, gate: gate_3, start: "19:30", end: "20:00"}
      - {id: more_lanes, kind: lanes, gate: gate_1, lanes: 16, start: "19:00"}
      - {id: slow_search, kind: service_factor, service_factor: 1.3, start: "19:00"}   # all gates
      - {id: bag_rule, kind: service_factor, stage: perimeter, service_factor: 1.5, start: "19:00"}
      - {id: more_buses, kind: line_service, line: shuttle_1, fleet: 40, start: "22:40"}
      - {id: stagger, kind: release_delay, sectors: [north_lower], delay_min: 10, start: "22:50"}
      - {id: crush, kind: close_link, link: bridge_n, start: "22:55", end: "23:10"}
      - {id: move, kind: reassign_gate, sectors: [east_upper], gate: gate_e2, start: "19:00"}

Each kind takes exactly its own keys (unknown ones are errors); references to gates, links,
lines and sectors are checked against the scenario in ``check_interventions``.
"""

from __future__ import annotations

from typing import Any, cast, get_args

from simulator.levers.model import Intervention, LeverKind
from simulator.scenario.fields import FieldReader, describe, join
from simulator.scenario.model import Venue
from simulator.scenario.venue_reader import STAGES
from simulator.transport.model import Transport
from simulator.transport.reader import read_clock

KINDS: tuple[str, ...] = get_args(LeverKind)
COMMON = ("id", "kind", "start")
# kind -> (required keys, optional keys) besides the common ones, ``end`` and ``label``
KIND_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "close_gate": (("gate",), ()),
    "lanes": (("gate", "lanes"), ()),
    "service_factor": (("service_factor",), ("gate", "stage")),
    "line_service": (("line",), ("headway_s", "capacity", "fleet")),
    "release_delay": (("sectors", "delay_min"), ()),
    "weather": (("speed_factor",), ()),
    "close_link": (("link",), ()),
    "reassign_gate": (("sectors", "gate"), ()),
}


def read_interventions(
    r: FieldReader, value: object, day_start: float | None
) -> tuple[Intervention, ...] | None:
    """The list of levers; None (problems recorded) when any item is bad."""
    if not isinstance(value, list):
        r.problem("interventions", "a list of interventions", describe(value))
        return None
    bad = len(r.problems)
    out = [_item(r, v, join("interventions", i), day_start) for i, v in enumerate(value)]
    if len(r.problems) > bad:
        return None
    return tuple(cast(list[Intervention], out))


def _item(r: FieldReader, value: object, path: str, day_start: float | None) -> Intervention | None:
    kind = value.get("kind") if isinstance(value, dict) else None
    if kind not in KIND_KEYS:
        m = r.mapping(value, path, required=COMMON, optional=("end", "label"))
        if m is not None and "kind" in m:
            r.choice(m, "kind", path, KINDS)
        return None
    required, optional = KIND_KEYS[str(kind)]
    m = r.mapping(value, path, required=(*COMMON, *required), optional=(*optional, "end", "label"))
    if m is None:
        return None
    id_ = r.string(m, "id", path)
    label = r.string(m, "label", path, default="")
    start = read_clock(r, m, "start", path, day_start) if "start" in m else None
    end = read_clock(r, m, "end", path, day_start) if "end" in m else None
    if start is not None and end is not None and not end > start:
        r.problem(join(path, "end"), "a time after start", describe(m["end"]))
        return None
    fields = _kind_fields(r, m, path, str(kind))
    if id_ is None or label is None or start is None or fields is None:
        return None
    if "end" in m and end is None:
        return None
    return Intervention(id_, cast(LeverKind, kind), start, end, label=label, **fields)


def _kind_fields(r: FieldReader, m: dict[str, Any], path: str, kind: str) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    for key in ("gate", "line", "link"):
        if key in m:
            out[key] = r.string(m, key, path)
    if "stage" in m:
        out["stage"] = r.choice(m, "stage", path, STAGES)
        if "gate" in m:
            r.problem(
                join(path, "stage"), "either gate or stage (or neither: every checkpoint)", "both"
            )
            return None
    if "lanes" in m:
        out["lanes"] = r.number(m, "lanes", path, at_least=0, integer=True)
    for key in ("service_factor", "speed_factor"):
        if key in m:
            out["factor"] = r.number(m, key, path, above=0.0, at_most=10.0)
    if "headway_s" in m:
        out["headway_s"] = r.number(m, "headway_s", path, above=0.0)
    for key in ("capacity", "fleet"):
        if key in m:
            out[key] = r.number(m, key, path, at_least=1, integer=True)
    if "delay_min" in m:
        delay = r.number(m, "delay_min", path, at_least=0.0)
        out["delay_s"] = None if delay is None else 60.0 * delay
    if "sectors" in m:
        out["sectors"] = _sectors(r, m["sectors"], join(path, "sectors"))
    if kind == "line_service" and not {"headway_s", "capacity", "fleet"} & set(m):
        r.problem(path, "at least one of headway_s, capacity, fleet to change", "none of them")
        return None
    if any(v is None for v in out.values()):
        return None
    for key in ("lanes", "capacity", "fleet"):
        if key in out:
            out[key] = int(out[key])
    return out


def _sectors(r: FieldReader, value: object, path: str) -> tuple[str, ...] | None:
    ok = isinstance(value, list) and value and all(isinstance(v, str) and v for v in value)
    if not ok:
        r.problem(path, "a non-empty list of sector ids", describe(value))
        return None
    return tuple(cast(list[str], value))


def check_interventions(
    r: FieldReader, levers: tuple[Intervention, ...], venue: Venue, transport: Transport | None
) -> None:
    """References to gates, links, lines and sectors exist; ids are unique; fleets exist."""
    gates = [c.id for c in venue.checkpoints]
    perimeter = {c.id for c in venue.checkpoints if c.stage == "perimeter"}
    links = [lk.id for lk in venue.links]
    sectors = [s.id for s in venue.sectors]
    lines = {ln.id: ln for ln in transport.lines} if transport else {}
    seen: set[str] = set()
    for i, lv in enumerate(levers):
        path = join("interventions", i)
        if lv.id in seen:
            r.problem(join(path, "id"), "an id not used by another intervention", lv.id)
        seen.add(lv.id)
        if lv.gate is not None:
            _known(r, join(path, "gate"), lv.gate, gates, "a checkpoint id")
            if lv.gate in perimeter and lv.kind == "reassign_gate":
                fix = "send the sectors to a ticket gate; the perimeter on its way screens them"
                r.problem(
                    join(path, "gate"), f"a ticket checkpoint ({fix})", f"perimeter {lv.gate!r}"
                )
        if lv.stage is not None and not any(c.stage == lv.stage for c in venue.checkpoints):
            r.problem(
                join(path, "stage"),
                f"a stage some checkpoint has (set venue.checkpoints[].stage: {lv.stage})",
                f"no {lv.stage} checkpoint",
            )
        if lv.link is not None:
            _known(r, join(path, "link"), lv.link, links, "a link id")
        for k, sector in enumerate(lv.sectors):
            _known(r, join(join(path, "sectors"), k), sector, sectors, "a sector id")
        if lv.line is not None:
            _known(r, join(path, "line"), lv.line, list(lines), "a line id from transport.lines")
            line = lines.get(lv.line)
            if line is not None and lv.fleet is not None and line.fleet is None:
                r.problem(
                    join(path, "fleet"),
                    f"no fleet change: line {lv.line!r} has no fleet (set transport.lines[].fleet)",
                    str(lv.fleet),
                )
            if line is not None and lv.headway_s is not None and line.timetable:
                r.problem(
                    join(path, "headway_s"),
                    f"no headway: line {lv.line!r} runs to a timetable",
                    f"{lv.headway_s:g}",
                )


def _known(r: FieldReader, path: str, value: str, known: list[str], what: str) -> None:
    if value not in known:
        r.problem(
            path, f"{what}: one of {', '.join(sorted(known)) or '(none declared)'}", repr(value)
        )
