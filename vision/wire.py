"""A ``ZoneCount`` as the ``zone.count.v1`` message the digital twin consumes (the one place).

Both ``matchday vision count --out`` and ``matchday vision publish`` write exactly this, so a
counts file can be replayed onto the bus unchanged. Rules, each because the schema or the twin
needs it:

- ``event_time``: the frame's full date-time, ISO 8601 with offset (``ZoneCount.time_s`` is Unix
  seconds: wall clock for live sources, the recording's start plus media time for files).
- ``count``: rounded to whole people (density models give fractions).
- ``density_per_m2``: clipped to the schema's 20 persons/m² (above that the zone's area is wrong,
  and one bad area must not make the message unpublishable); ``confidence`` clipped to [0, 1].
- ``in_count``/``out_count``: gate-line crossings since this camera's previous message.
- ``id``: derived from camera, zone, frame and time, so re-sending the same frame after a
  restart gives the same id and the twin's de-duplication drops it (at-least-once, no doubles).
- ``camera``: the zones file's camera (or ``--camera``); when one camera watches several zones
  each zone is published as camera ``<camera>:<zone>``, because the twin maps one camera id to
  one zone (list those ids in the twin's ``cameras.yaml``).
"""

from __future__ import annotations

import uuid
from datetime import datetime, tzinfo
from typing import Any

from vision.zones import ZoneCount

ZONE_COUNT = "zone.count.v1"  # the schema and topic (streams/schemas/zone.count.v1.json)
MAX_DENSITY = 20.0
MAX_COUNT = 1_000_000
_IDS = uuid.UUID("6d1f3a52-8f0e-4c1e-9a57-0c2b7a1d2030")  # namespace of deterministic ids


def twin_camera_id(camera: str, zone: str, zones_in_view: int) -> str:
    """The camera id the twin sees: the camera itself, or ``camera:zone`` for multi-zone views."""
    return camera if zones_in_view <= 1 else f"{camera}:{zone}"


def zone_count_message(count: ZoneCount, *, tz: tzinfo, zones_in_view: int = 1) -> dict[str, Any]:
    """The ``zone.count.v1`` message for one zone at one frame (see the module docstring)."""
    camera = twin_camera_id(count.camera, count.zone, zones_in_view)
    stamp = datetime.fromtimestamp(count.time_s, tz).isoformat()
    density = count.density_per_m2
    return {
        "schema": ZONE_COUNT,
        "id": uuid.uuid5(_IDS, f"{camera}|{count.zone}|{count.frame}|{stamp}").hex,
        "camera": camera[:128],
        "zone": count.zone[:128],
        "event_time": stamp,
        "count": min(MAX_COUNT, max(0, round(count.count))),
        "density_per_m2": None if density is None else min(MAX_DENSITY, max(0.0, density)),
        "in_count": int(count.crossings_in),
        "out_count": int(count.crossings_out),
        "model": (count.model or "unknown")[:128],
        "confidence": min(1.0, max(0.0, float(count.confidence))),
    }
