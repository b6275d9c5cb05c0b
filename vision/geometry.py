"""Plane geometry for zones: point-in-polygon, polygon area, segment crossing, the homography."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np


def points_in_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Boolean mask of ``[N, 2]`` points inside ``[M, 2]`` polygon (even-odd rule, vectorised)."""
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    x, y = points[:, 0][:, None], points[:, 1][:, None]
    x1, y1 = polygon[:, 0][None, :], polygon[:, 1][None, :]
    x2, y2 = np.roll(polygon[:, 0], -1)[None, :], np.roll(polygon[:, 1], -1)[None, :]
    straddles = (y1 > y) != (y2 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
    hits = straddles & (x < x_cross)
    return np.asarray(hits.sum(axis=1) % 2 == 1)


def polygon_area(polygon: np.ndarray) -> float:
    """Shoelace area of a simple polygon (units squared)."""
    x, y = polygon[:, 0], polygon[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)


def crossing_edges(polygon: np.ndarray) -> tuple[int, int] | None:
    """The first pair of non-adjacent edges that cross (edge i runs from vertex i to i+1).

    None for a simple polygon. The shoelace area of a self-intersecting ("bow-tie") polygon is
    not the area it seems to enclose, so such zones are refused rather than mis-measured.
    """
    m = len(polygon)
    a, b = polygon, np.roll(polygon, -1, axis=0)
    for i in range(m - 2):
        j = np.arange(i + 2, m if i > 0 else m - 1)  # skip neighbours, incl. via the closing vertex
        if len(j) == 0:
            continue
        hits = segments_cross(a[j], b[j], a[i], b[i])  # edges j as steps across edge i
        if hits.any():
            return i, int(j[np.argmax(hits)])
    return None


def side_of(a: np.ndarray, b: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Sign of the cross product: which side of the directed line a->b each point of ``p`` is on."""
    return np.sign((b[0] - a[0]) * (p[..., 1] - a[1]) - (b[1] - a[1]) * (p[..., 0] - a[0]))


def segments_cross(p: np.ndarray, q: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether each step ``p[i] -> q[i]`` properly crosses the segment ``a -> b``."""
    s1, s2 = side_of(a, b, p), side_of(a, b, q)
    t1 = np.sign((q[:, 0] - p[:, 0]) * (a[1] - p[:, 1]) - (q[:, 1] - p[:, 1]) * (a[0] - p[:, 0]))
    t2 = np.sign((q[:, 0] - p[:, 0]) * (b[1] - p[:, 1]) - (q[:, 1] - p[:, 1]) * (b[0] - p[:, 0]))
    return np.asarray((s1 * s2 < 0) & (t1 * t2 < 0))


@dataclass(frozen=True)
class Homography:
    """Image pixels -> ground metres, fitted from four or more point pairs (least squares)."""

    matrix: np.ndarray = field(repr=False)

    @classmethod
    def fit(cls, image_points: np.ndarray, ground_points: np.ndarray) -> Homography:
        src = np.asarray(image_points, dtype=np.float64)
        dst = np.asarray(ground_points, dtype=np.float64)
        if src.shape != dst.shape or src.ndim != 2 or src.shape[1] != 2 or len(src) < 4:
            raise ValueError(
                f"expected two equal lists of >= 4 [x, y] points, found {src.shape} and {dst.shape}"
            )
        matrix, _ = cv2.findHomography(src, dst, 0)
        if matrix is None or not np.all(np.isfinite(matrix)) or abs(np.linalg.det(matrix)) < 1e-12:
            raise ValueError(
                "the points are degenerate (three or more on one line?); no homography fits"
            )
        return cls(matrix)

    def to_ground(self, points: np.ndarray) -> np.ndarray:
        """Map ``[N, 2]`` image points to ``[N, 2]`` ground metres."""
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if len(pts) == 0:
            return pts
        h = np.hstack([pts, np.ones((len(pts), 1))]) @ self.matrix.T
        return h[:, :2] / h[:, 2:3]

    def to_image(self, points: np.ndarray) -> np.ndarray:
        inv = Homography(np.linalg.inv(self.matrix))
        return inv.to_ground(points)
