"""The venue map, one for the planner's report and the ops-room dashboard: geometry and frames.

``map_geometry(scenario)`` says where every place, link and name is drawn; the small renderer
``templates/venue_map.js`` draws it as SVG and colours it from frames, so the report and the
dashboard show the same map. ``map_frames`` samples a run's time series at chosen moments for the
report's time slider; the dashboard builds its frames live (LoS now and in 10 minutes).

Positions (``map_layout``): the scenario's ``xy``, else real coordinates given to
``map_geometry(..., coordinates={id: (lat, lon)})`` (the scenario YAML has no lat/lon field yet),
else a layout of the venue graph. Names are placed by ``map_labels`` so that none overlap.
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

import pyarrow as pa

from simulator.results.map_labels import Box, LabelBox, Want, place_labels
from simulator.results.map_layout import MAP_WIDTH, Point, place_positions
from simulator.venue.elements import VenueElement, venue_elements
from simulator.venue.los import LEVELS, SPACE_THRESHOLDS_M2

__all__ = [
    "LOS_COLOURS",
    "MapFrame",
    "MapLink",
    "MapPlace",
    "VenueMapGeometry",
    "display_names",
    "embed_html",
    "frame_times",
    "map_frames",
    "map_geometry",
    "scale_thresholds",
    "script",
]

FONT = 13.0  # label size in map units
# On screen: the map with its time slider. On paper: one map per named moment, two to a row.
PRINT_CSS = (
    ".vm-print{display:none}"
    "@media print{.vm-live{display:none}"
    ".vm-print{display:grid;grid-template-columns:1fr 1fr;gap:8px}"
    ".vm-print-frame{margin:0;break-inside:avoid}"
    ".vm-print-frame figcaption{font-weight:bold}}"
)
LABEL_ORDER = {"origin": 0, "area": 1, "checkpoint": 2, "exit": 3, "sector": 4}
# One LoS palette for every map and plot legend: green (free flow) to purple (crush risk).
LOS_COLOURS = {
    "A": "#2e7d32",
    "B": "#7cb342",
    "C": "#fdd835",
    "D": "#fb8c00",
    "E": "#e53935",
    "F": "#7b1fa2",
}


@dataclass(frozen=True)
class MapPlace:
    """One place as drawn: marker centre and radius, its Fruin scale (None: no floor), its name."""

    id: str
    kind: str
    name: str
    x: float
    y: float
    r: float
    floor_m2: float
    los_scale: str | None
    label: LabelBox | None


@dataclass(frozen=True)
class MapLink:
    """One walking link as drawn: a polyline, stroke width from its clear width, its name."""

    id: str
    kind: str
    name: str
    source: str
    target: str
    points: tuple[Point, ...]
    stroke: float
    width_m: float
    floor_m2: float
    los_scale: str | None
    label: LabelBox | None


@dataclass(frozen=True)
class VenueMapGeometry:
    """Everything a renderer needs; ``positions`` says where the places came from."""

    name: str
    width: float
    height: float
    font: float
    positions: str  # "scenario xy" | "coordinates" | "laid out"
    places: tuple[MapPlace, ...]
    links: tuple[MapLink, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form read by ``venue_map.js`` (and served at the dashboard's /api/venue)."""
        return {
            "name": self.name,
            "width": self.width,
            "height": self.height,
            "font": self.font,
            "positions": self.positions,
            "palette": LOS_COLOURS,
            "scales": scale_thresholds(),
            "places": [_item_dict(p) for p in self.places],
            "links": [_item_dict(link) for link in self.links],
        }


@dataclass(frozen=True)
class MapFrame:
    """The venue at one moment: per element (density /m², LoS on its scale, people)."""

    time_s: float
    title: str
    values: Mapping[str, tuple[float | None, str, int | None]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "time_s": self.time_s,
            "title": self.title,
            "values": {
                k: {"density": _round(d), "los": los, "occupancy": n}
                for k, (d, los, n) in self.values.items()
            },
        }


def scale_thresholds() -> dict[str, dict[str, float]]:
    """Density (persons/m²) at which each level B..F starts, per Fruin scale, for legends."""
    return {
        scale: {level: round(1.0 / t, 2) for level, t in zip(LEVELS[1:], limits, strict=True)}
        for scale, limits in SPACE_THRESHOLDS_M2.items()
    }


def display_name(element: VenueElement) -> str:
    """The scenario's label, else the id written as words (``north_lower_w`` -> North lower W)."""
    return element.label or id_as_words(element.id)


def id_as_words(id_: str) -> str:
    """An id written as words for a reader: ``north_lower_w`` -> North lower W."""
    words = id_.replace("-", "_").split("_")
    words = [w.upper() if len(w) == 1 else w for w in words if w]
    text = " ".join(words) or id_
    return text[0].upper() + text[1:]


def display_names(venue: Any) -> dict[str, str]:
    """What the map calls each element; an unnamed link is named by its ends ("A to B")."""
    elements = venue_elements(venue)
    names = {e.id: display_name(e) for e in elements if e.kind != "link"}
    for lk in venue.links:
        names[lk.id] = lk.label or f"{names[lk.source]} to {names[lk.target]}"
    return names


def map_geometry(
    scenario: Any, *, coordinates: Mapping[str, tuple[float, float]] | None = None
) -> VenueMapGeometry:
    """The map of ``scenario.venue`` (or of a Venue passed directly)."""
    venue = getattr(scenario, "venue", scenario)
    elements = venue_elements(venue)
    nodes = [e for e in elements if e.kind != "link"]
    radii = {e.id: _marker_radius(e) for e in nodes}
    fitted, height, source = place_positions(venue, nodes, radii, coordinates)
    named = {lk.id for lk in venue.links if lk.label}
    places, links = _label(
        _places(nodes, fitted, radii), _links(venue, elements, fitted), named, height
    )
    return VenueMapGeometry(venue.name, MAP_WIDTH, height, FONT, source, places, links)


def map_frames(
    timeseries: pa.Table,
    elements: Sequence[VenueElement],
    times: Iterable[float | tuple[str, float]],
) -> tuple[MapFrame, ...]:
    """Frames at ``times`` (seconds, or (title, seconds)): each element's last sample at or before.

    The level of service is graded again here on each element's own Fruin scale, so a frame
    cannot disagree with the venue vocabulary. Times are kept in the order given.
    """
    columns = timeseries.select(["time_s", "element", "occupancy", "density_per_m2"]).to_pydict()
    rows: dict[str, list[tuple[float, int, float | None]]] = {}
    for t, eid, n, d in zip(*columns.values(), strict=True):
        rows.setdefault(eid, []).append((t, n, d))
    series = {eid: sorted(found, key=lambda row: row[0]) for eid, found in rows.items()}
    frames = []
    for item in times:
        title, t = item if isinstance(item, tuple) else ("", float(item))
        values = {e.id: _value_at(e, series.get(e.id, []), t) for e in elements}
        frames.append(MapFrame(float(t), title, values))
    return tuple(frames)


def _value_at(
    element: VenueElement, rows: list[tuple[float, int, float | None]], t: float
) -> tuple[float | None, str, int | None]:
    """The last sample at or before ``t``, graded on the element's scale; no data before."""
    i = bisect.bisect_right([row[0] for row in rows], t) - 1
    if i < 0:
        return (None, "", None)
    _, people, density = rows[i]
    if element.floor_m2 > 0 and density is not None and math.isfinite(density):
        return (density, element.los(density), int(people))
    return (None, "", int(people))


def frame_times(
    *, start_s: float, end_s: float, every_s: float, moments: Mapping[str, float] | None = None
) -> list[tuple[str, float]]:
    """Every ``every_s`` from start to end plus the named moments, in time order."""
    if every_s <= 0:
        raise ValueError(f"every_s must be > 0 seconds, got {every_s}")
    count = int((end_s - start_s) // every_s)
    regular = [("", start_s + i * every_s) for i in range(count + 1)]
    named = [(title, float(t)) for title, t in (moments or {}).items() if start_s <= t <= end_s]
    return sorted(regular + named, key=lambda item: (item[1], item[0] == ""))


def script() -> str:
    """The renderer's source, for pages that inline it (the standalone report)."""
    path = resources.files("simulator.results").joinpath("templates", "venue_map.js")
    return path.read_text(encoding="utf-8")


def embed_html(
    geometry: VenueMapGeometry, frames: Sequence[MapFrame], *, dom_id: str = "venue-map"
) -> str:
    """A self-contained block (data + inline renderer) that draws the map with a time slider.

    On screen: the map at the first named frame, a slider over all frames and a button per
    named moment; printed: one map per named frame, two to a row. Safe to insert unescaped
    (``{{ block | safe }}``): the JSON cannot close its script element, and the renderer puts
    every name in through ``textContent``. Typical use in a report::

        times = frame_times(start_s=s, end_s=e, every_s=600, moments={"kick-off": k})
        frames = map_frames(timeseries, venue_elements(scenario.venue), times)
        block = embed_html(map_geometry(scenario), frames)
    """
    data = {"geometry": geometry.to_dict(), "frames": [f.to_dict() for f in frames]}
    text = json.dumps(data, allow_nan=False).replace("</", "<\\/")
    safe_id = "".join(c for c in dom_id if c.isalnum() or c in "-_") or "venue-map"
    return (
        f"<style>{PRINT_CSS}</style>\n"
        f'<div class="venue-map" id="{safe_id}" data-venue-map>'
        f'<script type="application/json">{text}</script></div>\n'
        f"<script>{script()}</script>"
    )


# -- places, links, names -----------------------------------------------------------------


def _marker_radius(element: VenueElement) -> float:
    if element.floor_m2 > 0:
        return float(min(14.0, max(7.0, math.sqrt(element.floor_m2) / 7.0)))
    return 6.0


def _places(
    nodes: list[VenueElement], at: Mapping[str, Point], radii: Mapping[str, float]
) -> list[MapPlace]:
    return [
        MapPlace(
            id=e.id,
            kind=e.kind,
            name=display_name(e),
            x=round(at[e.id][0], 1),
            y=round(at[e.id][1], 1),
            r=radii[e.id],
            floor_m2=e.floor_m2,
            los_scale=e.los_scale if e.floor_m2 > 0 else None,
            label=None,
        )
        for e in nodes
    ]


def _links(venue: Any, elements: Sequence[VenueElement], at: Mapping[str, Point]) -> list[MapLink]:
    """Straight polylines; links sharing two ends are drawn side by side, not on top."""
    by_id = {e.id: e for e in elements}
    names = display_names(venue)
    pairs: dict[frozenset[str], list[str]] = {}
    for lk in venue.links:
        pairs.setdefault(frozenset((lk.source, lk.target)), []).append(lk.id)
    out = []
    for lk in venue.links:
        element = by_id[lk.id]
        siblings = pairs[frozenset((lk.source, lk.target))]
        stroke = float(min(9.0, max(2.0, 1.2 + 0.35 * lk.width_m)))
        shift = (siblings.index(lk.id) - (len(siblings) - 1) / 2) * (stroke + 2.0)
        out.append(
            MapLink(
                id=lk.id,
                kind=lk.kind,
                name=names[lk.id],
                source=lk.source,
                target=lk.target,
                points=_offset(at[lk.source], at[lk.target], shift),
                stroke=round(stroke, 1),
                width_m=lk.width_m,
                floor_m2=element.floor_m2,
                los_scale=element.los_scale if element.floor_m2 > 0 else None,
                label=None,
            )
        )
    return out


def _offset(a: Point, b: Point, shift: float) -> tuple[Point, ...]:
    if a == b:
        return ((a[0], a[1]), (a[0] + 0.1, a[1] + 0.1))
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy)
    nx_, ny_ = -dy / length * shift, dx / length * shift
    return (
        (round(a[0] + nx_, 1), round(a[1] + ny_, 1)),
        (round(b[0] + nx_, 1), round(b[1] + ny_, 1)),
    )


def _label(
    places: list[MapPlace], links: list[MapLink], named: set[str], height: float
) -> tuple[tuple[MapPlace, ...], tuple[MapLink, ...]]:
    """Names for every place, then for links the scenario names (a footbridge, say)."""
    obstacles: list[Box] = [(p.x - p.r, p.y - p.r, p.x + p.r, p.y + p.r) for p in places]
    order = sorted(places, key=lambda p: (LABEL_ORDER.get(p.kind, 9), -p.floor_m2, p.id))
    wants = [Want(p.id, p.name, p.x, p.y, p.r, FONT) for p in order]
    for lk in (lk for lk in links if lk.id in named):
        (ax, ay), (bx, by) = lk.points[0], lk.points[-1]
        wants.append(Want(f"link:{lk.id}", lk.name, (ax + bx) / 2, (ay + by) / 2, lk.stroke, FONT))
    lines = {f"link:{lk.id}": (lk.points[0], lk.points[-1]) for lk in links}
    boxes = place_labels(wants, obstacles, width=MAP_WIDTH, height=height, lines=lines)
    out_places = tuple(_with_label(p, boxes.get(p.id)) for p in places)
    out_links = tuple(_with_label(lk, boxes.get(f"link:{lk.id}")) for lk in links)
    return out_places, out_links


def _with_label(item: Any, label: LabelBox | None) -> Any:
    return replace(item, label=label)


def _item_dict(item: MapPlace | MapLink) -> dict[str, Any]:
    out = {k: v for k, v in vars(item).items() if k != "label"}
    if isinstance(item, MapLink):
        out["points"] = [list(p) for p in item.points]
    out["label"] = item.label.to_dict() if item.label else None
    return out


def _round(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, 3)
