"""Builders shared by the live-path tests: real scenario, real messages, no doubles."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from simulator.scenario.loader import load_scenario
from simulator.scenario.model import Scenario
from streams.messages import ZONE_COUNT, Json, ZoneCount, at_clock, iso, new_id, validate

DATA = Path(__file__).parent / "data"
ARENA = DATA / "arena.yaml"
DAY = datetime(2030, 7, 21, tzinfo=timezone(timedelta(hours=1)))
EVENING_S = 20 * 3600 + 30 * 60  # 20:30, the ingress peak of the arena


def arena() -> Scenario:
    return load_scenario(ARENA)


def count(
    camera: str, zone: str, n: int, clock_s: float, *, confidence: float = 1.0, **extra: Any
) -> Json:
    """A valid zone.count.v1 at match clock ``clock_s``, as the JSON object on the wire."""
    return {
        "schema": ZONE_COUNT,
        "id": new_id(),
        "camera": camera,
        "zone": zone,
        "event_time": iso(at_clock(DAY, clock_s)),
        "count": n,
        "model": "test",
        "confidence": confidence,
        **extra,
    }


def zone_count(camera: str, zone: str, n: int, clock_s: float, **kw: Any) -> ZoneCount:
    """The same count as the typed value a stage receives from its inbox."""
    return ZoneCount.from_dict(validate(count(camera, zone, n, clock_s, **kw)))
