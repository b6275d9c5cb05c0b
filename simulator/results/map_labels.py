"""Where each name goes on the venue map: beside its marker, never on top of another name.

A greedy placer after the classic point-feature labelling approach (Imhof's positions, tried in
order of preference): each label tries the eight positions around its marker, then rings further
out with a leader line back to the marker, and takes the first box that overlaps no marker, no
label already placed and stays inside the map. The most important places are placed first. The
text width is estimated from the character count, generously, so the boxes hold in a browser.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Advance widths in em, rounded up from DejaVu Sans; anything not listed counts as lowercase.
NARROW, NARROW_EM = set("iljfrtI.,:;'!|()[]- "), 0.42
WIDE, WIDE_EM = set("mwMW@%"), 1.0
UPPER_EM, DIGIT_EM, LOWER_EM = 0.76, 0.65, 0.63
LINE_EM = 1.25  # box height in em
GAP = 2.0  # map units kept clear between two boxes
RINGS = (0.0, 10.0, 22.0, 36.0, 54.0, 76.0, 102.0, 132.0, 170.0)  # extra distance tried
DIRECTIONS = 16  # directions tried on each outer ring
LINE_FREE_REACH = 10.0  # how far out a label moves to keep off the drawn links


@dataclass(frozen=True)
class LabelBox:
    """A placed name: left end of its baseline at ``(x, y)``; ``leader`` leads to its marker."""

    text: str
    x: float
    y: float
    width: float
    height: float
    leader: tuple[tuple[float, float], tuple[float, float]] | None = None

    @property
    def box(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) in map units."""
        descent = 0.22 * self.height
        return (self.x, self.y - self.height + descent, self.x + self.width, self.y + descent)

    def to_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "x": round(self.x, 1),
            "y": round(self.y, 1),
            "width": round(self.width, 1),
            "height": round(self.height, 1),
            "leader": [list(p) for p in self.leader] if self.leader else None,
        }


@dataclass(frozen=True)
class Want:
    """A label to place: its text, the marker it names (centre, radius) and its font size."""

    key: str
    text: str
    x: float
    y: float
    r: float
    font: float


Box = tuple[float, float, float, float]
Segment = tuple[tuple[float, float], tuple[float, float]]


def overlaps(a: Box, b: Box, gap: float = 0.0) -> bool:
    """True when two (left, top, right, bottom) boxes come closer than ``gap``."""
    return not (
        a[2] + gap <= b[0] or b[2] + gap <= a[0] or a[3] + gap <= b[1] or b[3] + gap <= a[1]
    )


def text_width(text: str, font: float) -> float:
    """Width in map units of ``text`` at ``font`` size (an overestimate for common sans fonts)."""
    em = 0.0
    for char in text:
        if char in NARROW:
            em += NARROW_EM
        elif char in WIDE:
            em += WIDE_EM
        elif char.isupper():
            em += UPPER_EM
        elif char.isdigit():
            em += DIGIT_EM
        else:
            em += LOWER_EM
    return em * font + 2.0


def place_labels(
    wants: Sequence[Want],
    obstacles: Sequence[Box],
    *,
    width: float,
    height: float,
    lines: Mapping[str, Segment] | None = None,
) -> dict[str, LabelBox | None]:
    """A box for every wanted label in order, or None where no free spot exists within reach.

    ``lines`` (drawn links, by key) are avoided where a spot close to the marker allows it; a
    label never avoids the line it names (same key).
    """
    placed: list[Box] = []
    out: dict[str, LabelBox | None] = {}
    for want in wants:
        crossing = [seg for key, seg in (lines or {}).items() if key != want.key]
        label = _first_free(want, [*obstacles, *placed], crossing, width, height)
        out[want.key] = label
        if label is not None:
            placed.append(label.box)
    return out


def _first_free(
    want: Want, taken: list[Box], lines: list[Segment], width: float, height: float
) -> LabelBox | None:
    """The first free box; within the near rings, the first that also crosses no line."""
    w, h = text_width(want.text, want.font), want.font * LINE_EM
    reach = w + RINGS[-1] + want.r
    near = [b for b in taken if _within(b, want, reach)]
    near_lines = [seg for seg in lines if _within(_segment_box(seg), want, reach)]
    fallback: LabelBox | None = None
    for extra in RINGS:
        if fallback is not None and extra > LINE_FREE_REACH:
            return fallback
        for dx, dy in _directions(extra):
            label = _candidate(want, w, h, dx, dy, extra)
            left, top, right, bottom = label.box
            if left < 0 or top < 0 or right > width or bottom > height:
                continue
            if any(overlaps(label.box, b, GAP) for b in near):
                continue
            if extra > LINE_FREE_REACH or not any(crosses(seg, label.box) for seg in near_lines):
                return label
            fallback = fallback or label
    return fallback


def crosses(segment: Segment, box: Box) -> bool:
    """True when the segment passes through the box (Liang-Barsky clipping)."""
    (x0, y0), (x1, y1) = segment
    dx, dy = x1 - x0, y1 - y0
    low, high = 0.0, 1.0
    for p, q in ((-dx, x0 - box[0]), (dx, box[2] - x0), (-dy, y0 - box[1]), (dy, box[3] - y0)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low > high:
            return False
    return True


def _segment_box(segment: Segment) -> Box:
    (x0, y0), (x1, y1) = segment
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _within(box: Box, want: Want, reach: float) -> bool:
    return (
        box[2] >= want.x - reach
        and box[0] <= want.x + reach
        and box[3] >= want.y - reach
        and box[1] <= want.y + reach
    )


def _directions(extra: float) -> list[tuple[float, float]]:
    """Right, left, above, below, then the diagonals; more directions further out."""
    if extra == 0.0:
        d = math.sqrt(0.5)
        return [(1, 0), (-1, 0), (0, -1), (0, 1), (d, -d), (-d, -d), (d, d), (-d, d)]
    angles = [2 * math.pi * i / DIRECTIONS for i in range(DIRECTIONS)]
    return [(math.cos(a), math.sin(a)) for a in angles]


def _candidate(want: Want, w: float, h: float, dx: float, dy: float, extra: float) -> LabelBox:
    """The box whose nearest side faces the marker from direction (dx, dy) at the given reach."""
    reach = want.r + 3.0 + extra
    px, py = want.x + dx * reach, want.y + dy * reach
    # Anchor the box by the side or corner that faces the marker.
    left = px if dx > 0.3 else px - w if dx < -0.3 else px - w / 2
    top = py if dy > 0.3 else py - h if dy < -0.3 else py - h / 2
    baseline = top + h - 0.22 * h
    leader = None
    if extra > 0.0:
        edge = (want.x + dx * want.r, want.y + dy * want.r)
        leader = (
            (round(edge[0], 1), round(edge[1], 1)),
            (
                round(min(max(edge[0], left), left + w), 1),
                round(min(max(edge[1], top), top + h), 1),
            ),
        )
    return LabelBox(want.text, left, baseline, w, h, leader)
