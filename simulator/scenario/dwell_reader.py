"""Read the dwell sections of a scenario: ``dwell:`` and ``services:`` on areas, ``halftime:``.

An area's ``dwell`` says who stops on its floor (ingress fans, egress fans, background sources)
and for how long; its ``services`` are the queues there (concessions, toilets, prayer rooms).
The top-level ``halftime`` sends a share of the seated fans to their concourse and back.
Every problem names the file, the YAML path and the fix, like the rest of the loader.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast, get_args

import networkx as nx

from simulator.scenario.fields import FieldReader, describe, join
from simulator.scenario.model import (
    Area,
    AreaDwell,
    Distribution,
    DwellRule,
    Halftime,
    Ingress,
    Scenario,
    ServiceKind,
    ServicePoint,
)
from simulator.scenario.venue_reader import read_distribution, read_list

SERVICE_KINDS: tuple[str, ...] = get_args(ServiceKind)
DWELL_KEYS = ("ingress", "egress", "sources")
RULE_KEYS = ("share", "time", "use", "by_min")
# Half-time defaults. Estimates, no published survey of concourse use was found: 45 + 2 min of
# first-half stoppage; the laws of the game allow at most 15 minutes of interval (IFAB Law 7);
# 40% of the seated fans leave (estimate); they leave over the first 3 min and head back from
# the 12th minute; half of those who go use a toilet and 40% a concession (estimates).
HALFTIME_DEFAULTS: dict[str, float] = {
    "stoppage_min": 2.0,
    "duration_min": 15.0,
    "share": 0.4,
    "leave_min": 3.0,
    "back_by_min": 12.0,
}
HALFTIME_USE: tuple[tuple[ServiceKind, float], ...] = (("toilet", 0.5), ("concession", 0.4))
HALFTIME_TIME = Distribution("lognormal", 300.0, cv=0.5)  # estimate: 5 min mean lingering


def read_area_extras(
    r: FieldReader, m: Mapping[str, Any], path: str
) -> tuple[AreaDwell | None, tuple[ServicePoint, ...]] | None:
    """An area's optional ``dwell`` and ``services``; None when either is malformed."""
    bad = len(r.problems)
    services = read_list(r, dict(m), "services", path, lambda v, p: _service(r, v, p))
    dwell = _area_dwell(r, m["dwell"], join(path, "dwell")) if m.get("dwell") is not None else None
    if len(r.problems) > bad:
        return None
    return dwell, services


def _service(r: FieldReader, value: object, path: str) -> ServicePoint | None:
    m = r.mapping(value, path, required=("id", "kind", "servers", "service"), optional=("label",))
    if m is None:
        return None
    id_ = r.string(m, "id", path)
    label = r.string(m, "label", path, default="")
    kind = r.choice(m, "kind", path, SERVICE_KINDS)
    servers = r.number(m, "servers", path, at_least=1, integer=True)
    service = read_distribution(r, m["service"], join(path, "service")) if "service" in m else None
    if id_ is None or kind is None or servers is None or service is None or label is None:
        return None
    return ServicePoint(id_, cast(ServiceKind, kind), int(servers), service, label)


def _area_dwell(r: FieldReader, value: object, path: str) -> AreaDwell | None:
    m = r.mapping(value, path, required=(), optional=DWELL_KEYS)
    if m is None:
        return None
    if not m:
        r.problem(path, f"at least one of {', '.join(DWELL_KEYS)}", "an empty mapping")
        return None
    rules = {k: _rule(r, m[k], join(path, k)) for k in DWELL_KEYS if m.get(k) is not None}
    if any(v is None for v in rules.values()):
        return None
    return AreaDwell(**cast(dict[str, DwellRule], rules))


def _rule(r: FieldReader, value: object, path: str) -> DwellRule | None:
    m = r.mapping(value, path, required=("share",), optional=RULE_KEYS[1:])
    if m is None:
        return None
    share = r.number(m, "share", path, at_least=0.0, at_most=1.0)
    time = _time(r, m, path)
    use = _use(r, m.get("use"), join(path, "use"))
    by = r.number(m, "by_min", path) if m.get("by_min") is not None else None
    if (
        share is None
        or time is False
        or use is None
        or (m.get("by_min") is not None and by is None)
    ):
        return None
    return DwellRule(share, cast(Distribution | None, time), use, by)


def _time(r: FieldReader, m: Mapping[str, Any], path: str) -> Distribution | bool | None:
    """The lingering time (None: none); False when present but malformed."""
    if m.get("time") is None:
        return None
    dist = read_distribution(r, m["time"], join(path, "time"))
    return False if dist is None else dist


def _use(r: FieldReader, value: object, path: str) -> tuple[tuple[ServiceKind, float], ...] | None:
    """``use: {toilet: 0.5, concession: 0.4}``: kinds with probabilities summing to at most 1."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        r.problem(path, "a mapping of service kind to probability", describe(value))
        return None
    out: list[tuple[ServiceKind, float]] = []
    for key in value:
        if key not in SERVICE_KINDS:
            r.problem(
                join(path, str(key)), f"a service kind: {', '.join(SERVICE_KINDS)}", describe(key)
            )
            return None
        p = r.number(value, key, path, at_least=0.0, at_most=1.0)
        if p is None:
            return None
        out.append((cast(ServiceKind, key), p))
    total = sum(p for _, p in out)
    if total > 1.0 + 1e-9:
        r.problem(
            path, "probabilities summing to at most 1 (the rest use no service)", f"{total:g}"
        )
        return None
    return tuple(out)


def read_halftime(r: FieldReader, value: object, ingress: Ingress | None) -> Halftime | None:
    """``halftime:`` (every key optional, sourced or estimated defaults in HALFTIME_DEFAULTS)."""
    path = "halftime"
    optional = (*HALFTIME_DEFAULTS, "time", "use", "concourses")
    m = r.mapping(value if value is not None else {}, path, required=(), optional=optional)
    if m is None:
        return None
    nums = {
        k: r.number(m, k, path, default=d, at_least=0.0, at_most=(1.0 if k == "share" else None))
        for k, d in HALFTIME_DEFAULTS.items()
    }
    time = _time(r, m, path) if "time" in m else HALFTIME_TIME
    use = (
        _use(r, m["use"], join(path, "use"))
        if "use" in m
        else (("toilet", 0.5), ("concession", 0.4))
    )
    concourses = m.get("concourses") or {}
    if not isinstance(concourses, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in concourses.items()
    ):
        r.problem(
            join(path, "concourses"), "a mapping of sector id to area id", describe(concourses)
        )
        return None
    if ingress is None:
        r.problem(path, "an ingress section (half-time is timed from its kick-off)", "no ingress")
        return None
    if any(v is None for v in nums.values()) or time is False or use is None:
        return None
    n = cast(dict[str, float], nums)
    if n["duration_min"] <= 0:
        r.problem(join(path, "duration_min"), "minutes above 0", f"{n['duration_min']:g}")
        return None
    for key in ("leave_min", "back_by_min"):
        if n[key] > n["duration_min"]:
            r.problem(
                join(path, key), f"at most duration_min ({n['duration_min']:g})", f"{n[key]:g}"
            )
            return None
    return Halftime(
        start_s=ingress.kickoff_s + 60.0 * (45.0 + n["stoppage_min"]),
        duration_s=60.0 * n["duration_min"],
        share=n["share"],
        leave_s=60.0 * n["leave_min"],
        back_by_s=60.0 * n["back_by_min"],
        time=cast(Distribution | None, time),
        use=use,
        concourses=tuple(concourses.items()),
    )


def halftime_concourses(scenario: Scenario) -> dict[str, str]:
    """Sector id -> the area its fans use at half-time: the mapping given, else the area
    linked to the sector (the one with service points first, then in scenario order)."""
    ht = scenario.halftime
    given = dict(ht.concourses) if ht is not None else {}
    areas = {a.id: a for a in scenario.venue.areas}
    out: dict[str, str] = {}
    for sector in scenario.venue.sectors:
        if sector.id in given:
            out[sector.id] = given[sector.id]
            continue
        near = [
            other
            for lk in scenario.venue.links
            for end, other in ((lk.source, lk.target), (lk.target, lk.source))
            if end == sector.id and other in areas
        ]
        if near:
            ranked = sorted(
                dict.fromkeys(near), key=lambda a: (not areas[a].services, near.index(a))
            )
            out[sector.id] = ranked[0]
    return out


def check_dwell(r: FieldReader, s: Scenario) -> None:
    """Cross-references: unique service ids, kinds used where served, half-time concourses
    that are areas and reachable from the sector and back, a kick-off for ``by_min``."""
    seen: set[str] = set()
    for i, area in enumerate(s.venue.areas):
        at = f"venue.areas[{i}]"
        for k, sp in enumerate(area.services):
            if sp.id in seen:
                r.problem(join(join(at, "services"), k), "a service id unique in the venue", sp.id)
            seen.add(sp.id)
        for key, zero in (("ingress", s.ingress), ("egress", s.egress), ("sources", s.ingress)):
            rule = getattr(area.dwell, key) if area.dwell is not None else None
            if rule is not None and rule.by_min is not None and zero is None:
                section = "egress" if key == "egress" else "ingress"
                r.problem(
                    join(join(join(at, "dwell"), key), "by_min"),
                    f"an {section} section to count by_min from, or no by_min",
                    "no " + section,
                )
        _check_use(r, area, at)
    ht = s.halftime
    if ht is None:
        return
    areas = {a.id for a in s.venue.areas}
    sectors = {x.id for x in s.venue.sectors}
    for sid, aid in ht.concourses:
        where = join(join("halftime", "concourses"), sid)
        if sid not in sectors:
            r.problem(where, "a sector id of venue.sectors", repr(sid))
        if aid not in areas:
            r.problem(where, "an area id of venue.areas (the concourse)", repr(aid))
    chosen = halftime_concourses(s)
    graph = nx.DiGraph()
    for lk in s.venue.links:
        graph.add_edge(lk.source, lk.target)
        if lk.two_way:
            graph.add_edge(lk.target, lk.source)
    for sector in s.venue.sectors:
        conc = chosen.get(sector.id)
        if conc is None:
            r.problem(
                join("halftime", "concourses"),
                f"a concourse for sector {sector.id!r}: link an area to it or map "
                f"{sector.id}: <area id>",
                "no area next to the sector",
            )
        elif conc in areas and not (
            nx.has_path(graph, sector.id, conc) and nx.has_path(graph, conc, sector.id)
        ):
            r.problem(
                join(join("halftime", "concourses"), sector.id),
                f"an area the fans of {sector.id!r} can walk to and back (two-way links)",
                f"{conc!r} is not reachable both ways",
            )


def _check_use(r: FieldReader, area: Area, at: str) -> None:
    if area.dwell is None:
        return
    kinds = {sp.kind for sp in area.services}
    for key in DWELL_KEYS:
        rule = getattr(area.dwell, key)
        for kind, p in rule.use if rule is not None else ():
            if p > 0 and kind not in kinds:
                r.problem(
                    join(join(join(at, "dwell"), key), "use"),
                    f"a kind served on this area ({', '.join(sorted(kinds)) or 'none'}); add a "
                    f"{kind} to its services or drop it from use",
                    kind,
                )
