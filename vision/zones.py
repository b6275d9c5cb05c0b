"""Zones: count people per image polygon, density per square metre, and gate-line crossings.

Pure computation on a model's prediction; drawing lives in ``vision.annotate``. A zones file::

    camera: vtest
    homography:                      # optional; without it density_per_m2 is null
      image:  [[x, y], ...]          # >= 4 image points (pixels) ...
      ground: [[X, Y], ...]          # ... and where they lie on the ground (metres)
    zones:
      - {id: plaza, polygon: [[x, y], ...], area_m2: 120.0}   # area_m2: else from homography
    lines:
      - {id: gate_1, zone: plaza, points: [[x1, y1], [x2, y2]], in_point: [x, y]}  # in_point: opt.

A person stands where the bottom-centre of their box is. A line crossing is counted ``in`` when the
person moves to the side of ``in_point`` (default: the centroid of the line's zone), else ``out``;
crossings are per update (one frame), so a consumer sums them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from vision.detections import DensityMap, Detections, Prediction
from vision.errors import ZoneError
from vision.geometry import (
    Homography,
    crossing_edges,
    points_in_polygon,
    polygon_area,
    segments_cross,
    side_of,
)
from vision.tracks import NearestTracker
from vision.yamlio import read_yaml

MAX_POLYGON_POINTS = 1000


@dataclass(frozen=True)
class ZoneCount:
    """One zone's count at one frame, inside Python.

    ``time_s`` is Unix seconds (see ``Frame``). What goes on the wire, and into ``vision count``
    JSON lines, is ``vision.wire.zone_count_message(count)``: the ``zone.count.v1`` message.
    """

    camera: str
    zone: str
    time_s: float
    count: float
    density_per_m2: float | None
    crossings_in: int
    crossings_out: int
    model: str
    confidence: float
    frame: int = -1

    def to_dict(self) -> dict[str, object]:
        """The fields as a plain dict (Python names; not the wire format)."""
        return {
            "camera": self.camera,
            "zone": self.zone,
            "time_s": self.time_s,
            "frame": self.frame,
            "count": self.count,
            "density_per_m2": self.density_per_m2,
            "crossings_in": self.crossings_in,
            "crossings_out": self.crossings_out,
            "model": self.model,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class Zone:
    id: str
    polygon: np.ndarray = field(repr=False)  # image pixels [M, 2]
    area_m2: float | None = None


@dataclass(frozen=True)
class GateLine:
    id: str
    zone: str
    a: np.ndarray = field(repr=False)
    b: np.ndarray = field(repr=False)
    in_side: int = 1  # sign of side_of(a, b, p) for the "in" side, in image pixels


@dataclass(frozen=True)
class ZoneLayout:
    camera: str
    zones: tuple[Zone, ...]
    lines: tuple[GateLine, ...] = ()
    homography: Homography | None = None


class ZoneCounter:
    """Turns predictions into ``ZoneCount`` messages, keeping only the tracks gate lines need."""

    def __init__(self, layout: ZoneLayout, *, max_step: float | None = None) -> None:
        self.layout = layout
        step = max_step if max_step is not None else (1.5 if layout.homography else 60.0)
        self.tracker = NearestTracker(step)
        self._masks: dict[tuple[int, int], list[np.ndarray]] = {}

    @classmethod
    def from_yaml(cls, path: str | Path) -> ZoneCounter:
        return cls(load_layout(path))

    def update(
        self, prediction: Prediction, *, time_s: float, frame: int = -1, model: str = ""
    ) -> list[ZoneCount]:
        if isinstance(prediction, DensityMap):
            counts = self._density_counts(prediction)
            crossings = {z.id: (0, 0) for z in self.layout.zones}
        else:
            counts = self._box_counts(prediction)
            crossings = self._crossings(prediction)
        out = []
        for zone, count in zip(self.layout.zones, counts, strict=True):
            area = zone.area_m2
            density = None if not area else round(count / area, 6)
            c_in, c_out = crossings.get(zone.id, (0, 0))
            out.append(
                ZoneCount(
                    self.layout.camera,
                    zone.id,
                    float(time_s),
                    round(float(count), 4),
                    density,
                    c_in,
                    c_out,
                    model,
                    round(prediction.mean_confidence, 4),
                    frame,
                )
            )
        return out

    def _box_counts(self, det: Detections) -> list[float]:
        anchors = det.anchors
        return [float(points_in_polygon(anchors, z.polygon).sum()) for z in self.layout.zones]

    def _density_counts(self, dmap: DensityMap) -> list[float]:
        shape = dmap.density.shape
        if shape not in self._masks:
            masks = []
            for z in self.layout.zones:
                m = np.zeros(shape, dtype=np.uint8)
                cv2.fillPoly(m, [np.round(z.polygon).astype(np.int32)], 1)
                masks.append(m.astype(bool))
            self._masks[shape] = masks
        return [float(dmap.density[m].sum()) for m in self._masks[shape]]

    def _crossings(self, det: Detections) -> dict[str, tuple[int, int]]:
        anchors = det.anchors
        pts = self.layout.homography.to_ground(anchors) if self.layout.homography else anchors
        prev, cur = self.tracker.step(pts)
        totals: dict[str, list[int]] = {z.id: [0, 0] for z in self.layout.zones}
        if len(prev) == 0 or not self.layout.lines:
            return {k: (v[0], v[1]) for k, v in totals.items()}
        if self.layout.homography:  # lines are in image pixels; compare in the image
            prev = self.layout.homography.to_image(prev)
            cur = self.layout.homography.to_image(cur)
        for line in self.layout.lines:
            crossed = segments_cross(prev, cur, line.a, line.b)
            sides = side_of(line.a, line.b, cur[crossed])
            totals[line.zone][0] += int((sides == line.in_side).sum())
            totals[line.zone][1] += int((sides == -line.in_side).sum())
        return {k: (v[0], v[1]) for k, v in totals.items()}


def _points(raw: object, file: str, field_name: str, minimum: int) -> np.ndarray:
    try:
        arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        arr = np.zeros((0,))
    if arr.ndim != 2 or arr.shape[1] != 2 or len(arr) < minimum or not np.all(np.isfinite(arr)):
        raise ZoneError(
            f"{file}: {field_name}: expected a list of >= {minimum} [x, y] points, found {raw!r}"
        )
    return arr


def load_layout(path: str | Path) -> ZoneLayout:
    path = Path(path)
    return parse_layout(read_yaml(path, ZoneError, "zones file"), str(path))


def parse_layout(data: object, file: str) -> ZoneLayout:
    """Validate a zones mapping; errors name the file and the field."""
    if not isinstance(data, dict):
        raise ZoneError(
            f"{file}: <top level>: expected a mapping with 'zones', found {type(data).__name__}"
        )
    unknown = sorted(set(data) - {"camera", "homography", "zones", "lines"})
    if unknown:
        raise ZoneError(
            f"{file}: {unknown[0]}: expected one of camera, homography, zones, lines, found an "
            "unknown key"
        )
    homography = _parse_homography(data.get("homography"), file)
    raw_zones = data.get("zones")
    if not isinstance(raw_zones, list) or not raw_zones:
        raise ZoneError(f"{file}: zones: expected a non-empty list of zones, found {raw_zones!r}")
    zones = tuple(_parse_zone(z, file, i, homography) for i, z in enumerate(raw_zones))
    ids = [z.id for z in zones]
    if len(set(ids)) != len(ids):
        raise ZoneError(f"{file}: zones: expected unique ids, found {ids}")
    raw_lines = data.get("lines") or []
    if not isinstance(raw_lines, list):
        raise ZoneError(f"{file}: lines: expected a list, found {raw_lines!r}")
    by_id = {z.id: z for z in zones}
    lines = tuple(_parse_line(ln, file, i, by_id) for i, ln in enumerate(raw_lines))
    return ZoneLayout(str(data.get("camera", Path(file).stem)), zones, lines, homography)


def _parse_homography(raw: object, file: str) -> Homography | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) != {"image", "ground"}:
        raise ZoneError(
            f"{file}: homography: expected a mapping with 'image' and 'ground' point lists, "
            f"found {raw!r}"
        )
    img = _points(raw["image"], file, "homography.image", 4)
    gnd = _points(raw["ground"], file, "homography.ground", 4)
    if len(img) != len(gnd):
        raise ZoneError(
            f"{file}: homography: expected as many ground points as image points, found "
            f"{len(img)} and {len(gnd)}"
        )
    try:
        return Homography.fit(img, gnd)
    except ValueError as exc:
        raise ZoneError(f"{file}: homography: {exc}") from exc


def _parse_zone(raw: object, file: str, i: int, homography: Homography | None) -> Zone:
    where = f"zones[{i}]"
    if not isinstance(raw, dict) or "id" not in raw or "polygon" not in raw:
        raise ZoneError(f"{file}: {where}: expected a mapping with id and polygon, found {raw!r}")
    unknown = sorted(set(raw) - {"id", "polygon", "area_m2"})
    if unknown:
        raise ZoneError(
            f"{file}: {where}.{unknown[0]}: expected one of id, polygon, area_m2, found an "
            "unknown key"
        )
    polygon = _points(raw["polygon"], file, f"{where}.polygon", 3)
    if len(polygon) > MAX_POLYGON_POINTS:
        raise ZoneError(
            f"{file}: {where}.polygon: expected at most {MAX_POLYGON_POINTS} corners, found "
            f"{len(polygon)}; simplify the outline"
        )
    crossed = crossing_edges(polygon)
    if crossed is not None:
        i, j = crossed
        raise ZoneError(
            f"{file}: {where}.polygon: expected a simple polygon (edges that do not cross), found "
            f"edge {i} ({polygon[i].tolist()} -> {polygon[(i + 1) % len(polygon)].tolist()}) "
            f"crossing edge {j}; list the corners in order around the zone"
        )
    area = raw.get("area_m2")
    if area is not None and (
        isinstance(area, bool) or not isinstance(area, int | float) or area <= 0
    ):
        raise ZoneError(
            f"{file}: {where}.area_m2: expected a positive number of square metres, found {area!r}"
        )
    if area is None and homography is not None:
        area = polygon_area(homography.to_ground(polygon))
    if polygon_area(polygon) <= 0:
        raise ZoneError(
            f"{file}: {where}.polygon: expected a polygon with non-zero area, found "
            f"{raw['polygon']!r}"
        )
    return Zone(str(raw["id"]), polygon, float(area) if area is not None else None)


def _parse_line(raw: object, file: str, i: int, zones: dict[str, Zone]) -> GateLine:
    where = f"lines[{i}]"
    if not isinstance(raw, dict) or not {"id", "zone", "points"} <= set(raw):
        raise ZoneError(
            f"{file}: {where}: expected a mapping with id, zone and points, found {raw!r}"
        )
    if raw["zone"] not in zones:
        raise ZoneError(
            f"{file}: {where}.zone: expected one of {sorted(zones)}, found {raw['zone']!r}"
        )
    pts = _points(raw["points"], file, f"{where}.points", 2)
    if len(pts) != 2 or np.allclose(pts[0], pts[1]):
        raise ZoneError(
            f"{file}: {where}.points: expected two distinct [x, y] end points, found "
            f"{raw['points']!r}"
        )
    ref = (
        _points([raw["in_point"]], file, f"{where}.in_point", 1)[0]
        if "in_point" in raw
        else zones[raw["zone"]].polygon.mean(axis=0)
    )
    side = int(side_of(pts[0], pts[1], ref))
    if side == 0:
        raise ZoneError(
            f"{file}: {where}.in_point: expected a point off the line (it decides which side "
            "is 'in'), found one on it"
        )
    return GateLine(str(raw["id"]), str(raw["zone"]), pts[0], pts[1], side)
