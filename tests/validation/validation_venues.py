"""Small scenario YAML builders shared by the validation tests (all go through the loader)."""

from __future__ import annotations

from typing import Any

import yaml

from simulator import Scenario
from simulator.scenario.loader import load_scenario_text


def scenario(
    *,
    name: str,
    links: list[dict[str, Any]],
    origins: list[dict[str, Any]] | None = None,
    areas: list[dict[str, Any]] | None = None,
    checkpoints: list[dict[str, Any]] | None = None,
    sectors: list[dict[str, Any]] | None = None,
    exits: list[dict[str, Any]] | None = None,
    settings: dict[str, Any] | None = None,
    **sections: Any,
) -> Scenario:
    """Build a scenario document and load it through ``load_scenario_text``."""
    doc: dict[str, Any] = {
        "name": name,
        "settings": {"start": 0, "end": 3600, **(settings or {})},
        "venue": {
            "name": name,
            "origins": origins if origins is not None else [{"id": "o", "mode": "walk"}],
            "areas": areas or [],
            "checkpoints": checkpoints or [],
            "sectors": sectors or [],
            "exits": exits if exits is not None else [{"id": "x"}],
            "links": links,
        },
        **sections,
    }
    return load_scenario_text(yaml.safe_dump(doc, sort_keys=False), source=f"<{name}>")


def link(lid: str, a: str, b: str, length: float, width: float, **extra: Any) -> dict[str, Any]:
    return {"id": lid, "source": a, "target": b, "length_m": length, "width_m": width, **extra}


def source(rate: float, end: float, *, dest: str = "x", drop: bool = False) -> dict[str, Any]:
    return {
        "id": "s",
        "origin": "o",
        "destination": dest,
        "rate_per_s": rate,
        "start": 0,
        "end": end,
        "party_size": 1,
        "drop_when_full": drop,
    }


def crowd(spread_min: float = 0.001) -> dict[str, Any]:
    """An ingress section where every ticket holder arrives at origin ``o`` almost at once."""
    return {
        "kickoff": 600,
        "gates_open": 0,
        "attendance": 1.0,
        "profile": [[-10, 0.0], [-10 + spread_min, 1.0]],
        "mode_split": {"o": 1.0},
        "party_sizes": [1.0],
        "route_choice": "assigned",
    }
