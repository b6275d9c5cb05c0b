"""Read the ``venue:`` section of a scenario into frozen value objects, field by field.

Only the shape and range of each field is checked here; how elements refer to each other
(unknown nodes, duplicate ids, reachability) is ``simulator.scenario.venue_checks``'s job, because
those checks need the whole venue read first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast, get_args

from simulator.scenario.fields import FieldReader, describe, join, plain_number
from simulator.scenario.model import (
    Area,
    Checkpoint,
    CheckpointStage,
    Distribution,
    DistributionKind,
    Exit,
    Link,
    LinkKind,
    Origin,
    OriginMode,
    Sector,
    Venue,
)
from simulator.venue.los import LosScale

T = TypeVar("T")

ORIGIN_MODES: tuple[str, ...] = get_args(OriginMode)
LINK_KINDS: tuple[str, ...] = get_args(LinkKind)
LOS_SCALES: tuple[str, ...] = get_args(LosScale)
DISTRIBUTION_KINDS: tuple[str, ...] = get_args(DistributionKind)
STAGES: tuple[str, ...] = get_args(CheckpointStage)

# Which parameters each service-time distribution takes (besides ``kind``).
_DIST_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "deterministic": (("mean",), ()),
    "exponential": (("mean",), ()),
    "uniform": (("low", "high"), ("mean",)),
    "triangular": (("low", "mode", "high"), ("mean",)),
    "lognormal": (("mean", "cv"), ()),
}
_MEAN_TOLERANCE = 1e-6
VENUE_GROUPS = ("origins", "areas", "checkpoints", "sectors", "exits")


def read_distribution(r: FieldReader, value: object, path: str) -> Distribution | None:
    """A service time in seconds; a stated mean must agree with the bounds it restates."""
    if not isinstance(value, dict) or value.get("kind") not in DISTRIBUTION_KINDS:
        m = r.mapping(
            value, path, required=("kind",), optional=("mean", "low", "high", "mode", "cv")
        )
        if m is not None:
            r.choice(m, "kind", path, DISTRIBUTION_KINDS)
        return None
    kind = cast(DistributionKind, value["kind"])
    required, optional = _DIST_KEYS[kind]
    m = r.mapping(value, path, required=("kind", *required), optional=optional)
    if m is None:
        return None
    nums = {k: r.number(m, k, path, at_least=0.0) for k in (*required, *optional) if k in m}
    if any(v is None for v in nums.values()) or any(k not in m for k in required):
        return None
    values = cast(dict[str, float], nums)
    if kind in ("exponential", "lognormal") and values["mean"] <= 0:
        r.problem(join(path, "mean"), "a mean above 0 s", f"{values['mean']:g}")
        return None
    if kind == "lognormal" and values["cv"] <= 0:
        r.problem(join(path, "cv"), "a coefficient of variation above 0", f"{values['cv']:g}")
        return None
    if kind in ("uniform", "triangular"):
        return _bounded(r, kind, values, path)
    return Distribution(kind=kind, mean=values["mean"], cv=values.get("cv"))


def _bounded(
    r: FieldReader, kind: DistributionKind, v: dict[str, float], path: str
) -> Distribution | None:
    low, high = v["low"], v["high"]
    mode = v.get("mode")
    if not low < high:
        r.problem(join(path, "high"), f"high above low ({low:g})", f"{high:g}")
        return None
    if mode is not None and not low <= mode <= high:
        r.problem(join(path, "mode"), f"a mode between low {low:g} and high {high:g}", f"{mode:g}")
        return None
    mean = (low + high) / 2 if mode is None else (low + mode + high) / 3
    if "mean" in v and abs(v["mean"] - mean) > _MEAN_TOLERANCE * max(1.0, mean):
        r.problem(
            join(path, "mean"), f"{mean:g} (the mean of this {kind}) or no mean", f"{v['mean']:g}"
        )
        return None
    return Distribution(kind=kind, mean=mean, low=low, high=high, mode=mode)


def read_list(
    r: FieldReader,
    m: dict[str, Any],
    key: str,
    path: str,
    read: Callable[[Any, str], T | None],
    positions: list[int] | None = None,
) -> tuple[T, ...]:
    """Read every item of a list with ``read``; bad items are reported and left out.

    Keeping the good items lets the cross-reference checks still run on the rest, so one
    broken link does not hide an unknown node three lines further down. ``positions`` receives
    each kept item's index in the YAML list, so later problems still name the right item.
    """
    items = r.sequence(m, key, path, default=[])
    if items is None:
        return ()
    kept: list[T] = []
    for i, item in enumerate(items):
        value = read(item, join(join(path, key), i))
        if value is not None:
            kept.append(value)
            if positions is not None:
                positions.append(i)
    return tuple(kept)


def declared_ids(venue: object) -> dict[str, set[str]]:
    """Ids written in each venue list of the raw YAML, valid items or not.

    References are checked against these, so an area whose ``area_m2`` is wrong is reported
    once, not again by every link that leads to it.
    """
    out: dict[str, set[str]] = {group: set() for group in VENUE_GROUPS}
    if isinstance(venue, dict):
        for group in VENUE_GROUPS:
            items = venue.get(group)
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    out[group].add(item["id"])
    return out


def read_venue(
    r: FieldReader, value: object, positions: dict[str, list[int]], path: str = "venue"
) -> Venue | None:
    """The walking network, bad items reported and left out; None if not a mapping.

    ``positions[group]`` receives the YAML index of each kept item of each list.
    """
    m = r.mapping(value, path, required=("name",), optional=(*VENUE_GROUPS, "links"))
    if m is None:
        return None
    readers: dict[str, Callable[[Any, str], Any]] = {
        "origins": lambda v, p: _origin(r, v, p),
        "areas": lambda v, p: _area(r, v, p),
        "checkpoints": lambda v, p: _checkpoint(r, v, p),
        "sectors": lambda v, p: _sector(r, v, p),
        "exits": lambda v, p: _exit(r, v, p),
        "links": lambda v, p: _link(r, v, p),
    }
    lists = {
        group: read_list(r, m, group, path, read, positions.setdefault(group, []))
        for group, read in readers.items()
    }
    return Venue(name=r.string(m, "name", path) or "", **lists)


_BAD = object()  # marks a present but invalid optional field


def _xy(r: FieldReader, m: dict[str, Any], path: str) -> tuple[float, float] | object | None:
    """Optional map position ``xy: [x, y]`` in metres; ``_BAD`` when present but malformed."""
    value = m.get("xy")
    if value is None:
        return None
    pair = [plain_number(v) for v in value] if isinstance(value, list) else []
    if len(pair) == 2 and None not in pair:
        return (cast(float, pair[0]), cast(float, pair[1]))
    r.problem(join(path, "xy"), "a map position [x, y] of finite metres", describe(value))
    return _BAD


def _origin(r: FieldReader, value: object, path: str) -> Origin | None:
    m = r.mapping(value, path, required=("id", "mode"), optional=("area_m2", "label", "xy"))
    if m is None:
        return None
    id_ = r.string(m, "id", path)
    mode = r.choice(m, "mode", path, ORIGIN_MODES)
    area = r.number(m, "area_m2", path, above=0.0) if m.get("area_m2") is not None else None
    label = r.string(m, "label", path, default="")
    xy = _xy(r, m, path)
    if xy is _BAD:
        return None
    if (
        id_ is None
        or mode is None
        or label is None
        or (m.get("area_m2") is not None and area is None)
    ):
        return None
    return Origin(id_, cast(OriginMode, mode), area, label, cast(tuple[float, float] | None, xy))


def _area(r: FieldReader, value: object, path: str) -> Area | None:
    from simulator.scenario.dwell_reader import read_area_extras  # it reads distributions here

    optional = ("los_scale", "label", "xy", "walk_m", "dwell", "services")
    m = r.mapping(value, path, required=("id", "area_m2"), optional=optional)
    if m is None:
        return None
    id_ = r.string(m, "id", path)
    area = r.number(m, "area_m2", path, above=0.0)
    scale = r.choice(m, "los_scale", path, LOS_SCALES, default="walkway")
    label = r.string(m, "label", path, default="")
    has_walk = m.get("walk_m") is not None
    walk = r.number(m, "walk_m", path, at_least=0.0) if has_walk else None
    xy = _xy(r, m, path)
    extras = read_area_extras(r, m, path)
    if xy is _BAD or extras is None:
        return None
    if id_ is None or area is None or scale is None or label is None or (has_walk and walk is None):
        return None
    xy_ = cast(tuple[float, float] | None, xy)
    return Area(id_, area, cast(LosScale, scale), label, xy_, walk, extras[0], extras[1])


def _checkpoint(r: FieldReader, value: object, path: str) -> Checkpoint | None:
    optional = ("secondary_share", "secondary_service", "label", "xy", "stage")
    m = r.mapping(
        value, path, required=("id", "lanes", "service", "queue_area_m2"), optional=optional
    )
    if m is None:
        return None
    id_ = r.string(m, "id", path)
    lanes = r.number(m, "lanes", path, at_least=1, integer=True)
    service = (
        read_distribution(r, m.get("service"), join(path, "service")) if "service" in m else None
    )
    queue_area = r.number(m, "queue_area_m2", path, above=0.0)
    share = r.number(m, "secondary_share", path, default=0.0, at_least=0.0, at_most=1.0)
    secondary = None
    if m.get("secondary_service") is not None:
        secondary = read_distribution(r, m["secondary_service"], join(path, "secondary_service"))
    elif share:
        r.problem(
            join(path, "secondary_service"), "a service time when secondary_share > 0", "none"
        )
        return None
    label = r.string(m, "label", path, default="")
    stage = r.choice(m, "stage", path, STAGES, default="ticket")
    xy = _xy(r, m, path)
    if xy is _BAD:
        return None
    fields = (id_, lanes, service, queue_area, share, label, stage)
    if any(f is None for f in fields) or (
        m.get("secondary_service") is not None and secondary is None
    ):
        return None
    assert id_ is not None and lanes is not None and service is not None
    assert queue_area is not None and share is not None and label is not None
    return Checkpoint(
        id_,
        int(lanes),
        service,
        queue_area,
        share,
        secondary,
        label,
        cast(tuple[float, float] | None, xy),
        cast(CheckpointStage, stage),
    )


def _sector(r: FieldReader, value: object, path: str) -> Sector | None:
    m = r.mapping(value, path, required=("id", "seats"), optional=("gate", "label", "xy"))
    if m is None:
        return None
    id_ = r.string(m, "id", path)
    seats = r.number(m, "seats", path, at_least=1, integer=True)
    gate = r.string(m, "gate", path) if m.get("gate") is not None else None
    label = r.string(m, "label", path, default="")
    xy = _xy(r, m, path)
    if xy is _BAD:
        return None
    if (
        id_ is None
        or seats is None
        or label is None
        or (m.get("gate") is not None and gate is None)
    ):
        return None
    return Sector(id_, int(seats), gate, label, cast(tuple[float, float] | None, xy))


def _exit(r: FieldReader, value: object, path: str) -> Exit | None:
    m = r.mapping(value, path, required=("id",), optional=("label", "xy"))
    if m is None:
        return None
    id_ = r.string(m, "id", path)
    label = r.string(m, "label", path, default="")
    xy = _xy(r, m, path)
    if xy is _BAD:
        return None
    if id_ is None or label is None:
        return None
    return Exit(id_, label, cast(tuple[float, float] | None, xy))


def _link(r: FieldReader, value: object, path: str) -> Link | None:
    required = ("id", "source", "target", "length_m", "width_m")
    optional = ("kind", "two_way", "flow_cap_per_m_s", "label", "walking_share")
    m = r.mapping(value, path, required=required, optional=optional)
    if m is None:
        return None
    id_, source, target = (r.string(m, k, path) for k in ("id", "source", "target"))
    length = r.number(m, "length_m", path, above=0.0)
    width = r.number(m, "width_m", path, above=0.0)
    kind = r.choice(m, "kind", path, LINK_KINDS, default="walkway")
    two_way = r.boolean(m, "two_way", path, default=True)
    has_cap = m.get("flow_cap_per_m_s") is not None
    cap = r.number(m, "flow_cap_per_m_s", path, above=0.0) if has_cap else None
    label = r.string(m, "label", path, default="")
    share = r.number(m, "walking_share", path, default=0.0, at_least=0.0, at_most=1.0)
    if share and kind != "escalator":
        r.problem(
            join(path, "walking_share"),
            "walking_share only on kind: escalator (or no walking_share)",
            f"kind {kind}",
        )
        return None
    fields = (id_, source, target, length, width, kind, two_way, label, share)
    if any(f is None for f in fields) or (has_cap and cap is None):
        return None
    assert id_ is not None and source is not None and target is not None and label is not None
    assert length is not None and width is not None and two_way is not None
    assert share is not None
    return Link(
        id_, source, target, length, width, cast(LinkKind, kind), two_way, cap, label, share
    )
