"""Small scenarios with transport, built as YAML documents and loaded through the loader."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from simulator import Scenario
from simulator.scenario.loader import load_scenario_text

GATE = {
    "lanes": 4,
    "service": {"kind": "exponential", "mean": 6.0},
    "queue_area_m2": 200,
}


def match_day(**overrides: Any) -> dict[str, Any]:
    """A 6,000-seat match day: tram platform, bus bay with a finite fleet, a car park, 3 gates."""
    doc: dict[str, Any] = {
        "name": "small transport day",
        "settings": {"start": "18:30", "end": "01:30", "sample_interval_s": 60},
        "venue": {
            "name": "small",
            "origins": [
                {"id": "tram_stop", "mode": "tram", "area_m2": 300},
                {"id": "bus_bay", "mode": "bus", "area_m2": 200},
                {"id": "car_park", "mode": "car"},
                {"id": "walk_in", "mode": "walk"},
            ],
            "areas": [{"id": "plaza", "area_m2": 4000}, {"id": "conc", "area_m2": 1500}],
            "checkpoints": [{"id": g, **copy.deepcopy(GATE)} for g in ("g1", "g2", "g3")],
            "sectors": [
                {"id": "s1", "seats": 2000, "gate": "g1"},
                {"id": "s2", "seats": 2000, "gate": "g2"},
                {"id": "s3", "seats": 2000, "gate": "g3"},
            ],
            "exits": [],
            "links": [
                link("a_tram", "tram_stop", "plaza", 150, 6),
                link("a_bus", "bus_bay", "plaza", 120, 5),
                link("a_car", "car_park", "plaza", 250, 8),
                link("a_walk", "walk_in", "plaza", 300, 6),
                *[link(f"to_{g}", "plaza", g, 30, 4, two_way=False) for g in ("g1", "g2", "g3")],
                *[link(f"in_{g}", g, "conc", 20, 4, two_way=False) for g in ("g1", "g2", "g3")],
                *[link(f"v_{s}", "conc", s, 8, 4.8, kind="door") for s in ("s1", "s2", "s3")],
                link("exit", "conc", "plaza", 20, 12, kind="door", two_way=False),
            ],
        },
        "ingress": {
            "kickoff": "21:00",
            "gates_open": "19:00",
            "attendance": 1.0,
            "profile": [[-150, 0.0], [-60, 0.45], [-15, 0.93], [0, 0.98], [20, 1.0]],
            "mode_split": {"tram_stop": 0.35, "bus_bay": 0.25, "car_park": 0.25, "walk_in": 0.15},
            "party_sizes": [0.25, 0.35, 0.15, 0.15, 0.05, 0.05],
            "route_choice": "assigned",
        },
        "egress": {
            "final_whistle": "22:50",
            "release_profile": [[0, 0.0], [5, 0.2], [15, 0.8], [30, 0.95], [45, 1.0]],
            "destinations": {},
        },
        "transport": {
            "roads": [
                {
                    "id": "road",
                    "length_km": 6,
                    "free_speed_kmh": 50,
                    "capacity_veh_h": 900,
                    "background_veh_h": 300,
                },
            ],
            "lines": [
                {
                    "id": "tram",
                    "mode": "tram",
                    "platform": "tram_stop",
                    "capacity": 300,
                    "headway_s": 240,
                    "dwell_s": 60,
                    "running_time_s": 600,
                },
                {
                    "id": "shuttle",
                    "mode": "bus",
                    "platform": "bus_bay",
                    "capacity": 80,
                    "headway_s": 60,
                    "dwell_s": 45,
                    "running_time_s": 120,
                    "fleet": 6,
                    "road": "road",
                },
            ],
            "car_parks": [
                {
                    "id": "park",
                    "origin": "car_park",
                    "spaces": 700,
                    "exit_lanes": 1,
                    "exit_rate_veh_h": 600,
                    "road": "road",
                },
            ],
        },
    }
    doc.update(overrides)
    return doc


def link(lid: str, a: str, b: str, length: float, width: float, **extra: Any) -> dict[str, Any]:
    return {"id": lid, "source": a, "target": b, "length_m": length, "width_m": width, **extra}


def load(doc: dict[str, Any], name: str = "transport test") -> Scenario:
    return load_scenario_text(yaml.safe_dump(doc, sort_keys=False), source=f"<{name}>")
