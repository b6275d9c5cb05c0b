"""Draw boxes, density, zones and counts on a copy of a frame (for ``--show`` / ``--save-video``).

Kept apart from ``zones`` so counting never depends on drawing.
"""

from __future__ import annotations

import cv2
import numpy as np

from vision.detections import DensityMap, Detections, Prediction
from vision.zones import ZoneCount, ZoneLayout

ZONE_COLOUR = (0, 200, 255)
BOX_COLOUR = (0, 0, 255)
LINE_COLOUR = (255, 0, 255)


def annotate(
    image: np.ndarray, prediction: Prediction, layout: ZoneLayout, counts: list[ZoneCount]
) -> np.ndarray:
    """A new image with the prediction, the zones, the gate lines and each zone's count."""
    out = image.copy()
    if isinstance(prediction, DensityMap) and prediction.density.max() > 0:
        heat = cv2.applyColorMap(
            (255 * prediction.density / prediction.density.max()).astype(np.uint8), cv2.COLORMAP_JET
        )
        out = cv2.addWeighted(out, 0.6, heat, 0.4, 0)
    elif isinstance(prediction, Detections):
        for (x1, y1, x2, y2), conf in zip(
            prediction.xyxy.astype(int), prediction.confidence, strict=True
        ):
            cv2.rectangle(out, (x1, y1), (x2, y2), BOX_COLOUR, 2)
            cv2.putText(
                out,
                f"{conf:.2f}",
                (x1, max(10, y1 - 3)),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.4,
                BOX_COLOUR,
                1,
            )
    by_zone = {c.zone: c for c in counts}
    for zone in layout.zones:
        poly = np.round(zone.polygon).astype(np.int32)
        cv2.polylines(out, [poly], True, ZONE_COLOUR, 2)
        c = by_zone.get(zone.id)
        if c is not None:
            text = f"{zone.id}: {c.count:g}" + (
                f" ({c.density_per_m2:.2f}/m2)" if c.density_per_m2 is not None else ""
            )
            x, y = poly.min(axis=0)
            cv2.putText(
                out, text, (int(x) + 4, int(y) + 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, ZONE_COLOUR, 2
            )
    for line in layout.lines:
        cv2.line(
            out,
            tuple(np.round(line.a).astype(int)),
            tuple(np.round(line.b).astype(int)),
            LINE_COLOUR,
            2,
        )
    return out
