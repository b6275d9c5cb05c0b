"""Read the ``routing:`` section: how fans choose their way (``simulator.engine.routing``). E.g.

routing:
  model: logit            # or shortest: everyone on the shortest path (pinned)
  theta_per_s: 0.05       # logit scale, per second of expected travel time
  paths: 4                # candidate paths per decision
  detour: 0.5             # candidates up to 1.5 x the shortest length
  egress_via: {s1: exit_north}   # pin a sector's egress through a node
"""

from __future__ import annotations

from typing import Any, cast, get_args

from simulator.scenario.fields import FieldReader, describe, join
from simulator.scenario.model import RouteModel, Routing, Venue

KEYS = ("model", "theta_per_s", "paths", "detour", "egress_via")


def read_routing(r: FieldReader, value: object, venue: Venue | None) -> Routing | None:
    """The ``routing:`` mapping; every field optional, ids checked against the venue."""
    path = "routing"
    m = r.mapping(value, path, required=(), optional=KEYS)
    if m is None:
        return None
    base = Routing()
    model = r.choice(m, "model", path, get_args(RouteModel), default=base.model)
    theta = r.number(m, "theta_per_s", path, default=base.theta_per_s, above=0.0, at_most=10.0)
    paths = r.number(m, "paths", path, default=base.paths, at_least=1, at_most=20, integer=True)
    detour = r.number(m, "detour", path, default=base.detour, at_least=0.0, at_most=10.0)
    pins = _pins(r, m.get("egress_via", {}), join(path, "egress_via"), venue)
    if None in (model, theta, paths, detour, pins):
        return None
    assert theta is not None and paths is not None and detour is not None and pins is not None
    return Routing(cast(RouteModel, model), theta, int(paths), detour, pins)


def _pins(
    r: FieldReader, value: object, path: str, venue: Venue | None
) -> tuple[tuple[str, str], ...] | None:
    if not isinstance(value, dict):
        r.problem(path, "a mapping of sector id to the node its egress passes", describe(value))
        return None
    sectors = {s.id for s in venue.sectors} if venue else set()
    nodes = set(venue.node_ids()) - sectors if venue else set()
    out: list[tuple[str, str]] = []
    ok = True
    for sector, node in cast(dict[Any, Any], value).items():
        where = join(path, str(sector))
        if venue is not None and sector not in sectors:
            r.problem(where, f"a sector id ({', '.join(sorted(sectors))})", describe(sector))
            ok = False
        elif venue is not None and node not in nodes:
            r.problem(where, "the id of an area, checkpoint, exit or origin", describe(node))
            ok = False
        else:
            out.append((str(sector), str(node)))
    return tuple(out) if ok else None
