"""Which camera watches which zone: ``cameras.yaml``, checked against the scenario once.

    cameras:
      - {id: cam_fn_1, zone: forecourt_n, coverage: 0.5}   # sees half the forecourt's floor
      - {id: cam_fn_2, zone: forecourt_n, coverage: 0.5}

``coverage`` is the share of the zone's floor in view (default 1): a zone's head count is the
sum of its cameras' counts divided by the sum of their coverages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from simulator.scenario.model import Scenario
from streams.errors import ConfigError
from streams.zones import venue_zones

CAMERA_KEYS = {"id", "zone", "coverage", "label"}


@dataclass(frozen=True)
class Camera:
    """One counting camera and the zone it watches."""

    id: str
    zone: str
    coverage: float = 1.0
    label: str = ""


def load_cameras(path: str | Path, scenario: Scenario) -> tuple[Camera, ...]:
    """Read and check a cameras file; ConfigError names the file, field and fix."""
    file = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(file, "(file)", "a readable YAML file", str(exc)) from exc
    return cameras_from(data, scenario, file=file)


def cameras_from(data: Any, scenario: Scenario, *, file: str = "<cameras>") -> tuple[Camera, ...]:
    """Build cameras from parsed YAML (``{"cameras": [...]}``)."""
    if not isinstance(data, dict) or set(data) != {"cameras"}:
        raise ConfigError(
            file, "(top level)", "a mapping with the single key 'cameras'", repr(data)[:80]
        )
    items = data["cameras"]
    if not isinstance(items, list) or not items:
        raise ConfigError(file, "cameras", "a non-empty list of cameras", repr(items)[:80])
    zones = venue_zones(scenario)
    cameras, seen = [], set()
    for i, item in enumerate(items):
        cameras.append(_camera(item, f"cameras[{i}]", file, zones))
        if cameras[-1].id in seen:
            raise ConfigError(file, f"cameras[{i}].id", "a camera id used once", cameras[-1].id)
        seen.add(cameras[-1].id)
    return tuple(cameras)


def _camera(item: Any, where: str, file: str, zones: dict[str, Any]) -> Camera:
    if not isinstance(item, dict):
        raise ConfigError(file, where, "a mapping with id and zone", repr(item)[:80])
    unknown = set(item) - CAMERA_KEYS
    if unknown:
        raise ConfigError(
            file, f"{where}.{sorted(unknown)[0]}", f"one of {sorted(CAMERA_KEYS)}", "an unknown key"
        )
    for key in ("id", "zone"):
        if not isinstance(item.get(key), str) or not item[key]:
            raise ConfigError(file, f"{where}.{key}", "a non-empty string", repr(item.get(key)))
    if item["zone"] not in zones:
        raise ConfigError(
            file,
            f"{where}.zone",
            "an area, link, checkpoint or origin id of the scenario",
            repr(item["zone"]),
        )
    coverage = item.get("coverage", 1.0)
    if isinstance(coverage, bool) or not isinstance(coverage, int | float) or not 0 < coverage <= 1:
        raise ConfigError(file, f"{where}.coverage", "a number in (0, 1]", repr(coverage))
    return Camera(item["id"], item["zone"], float(coverage), str(item.get("label", "")))


def demo_cameras(scenario: Scenario) -> tuple[Camera, ...]:
    """One whole-zone camera per zone with a floor area: what the replay demo watches."""
    return tuple(
        Camera(f"cam_{z.id}", z.id, 1.0, z.label)
        for z in venue_zones(scenario).values()
        if z.floor_m2 > 0
    )
