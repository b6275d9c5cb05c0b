"""A synthetic very large stadium as scenario YAML, for benchmarks at any size.

Four quadrants, each with a plaza fed by origins (tram, rail shuttle, car parks, walking), four
security gates, a concourse and a quarter of the sectors reached by vomitory stairs. At
115,000 seats it has 16 gates, 60 sectors and 8 origins; the YAML goes through the real loader.
``grown_stadium_yaml`` keeps fans per gate, seats per sector and density per square metre of the
115,000-seat layout at any size, so a bigger crowd is more of the same day, not a jam.
"""

from __future__ import annotations

import yaml

QUADRANTS = ("n", "e", "s", "w")
ORIGINS = (  # id, mode, quadrant(s) it serves, share
    ("tram_t1", "tram", ("n", "e"), 0.2),
    ("tram_t2", "tram", ("s",), 0.1),
    ("rail", "rail", ("w", "n"), 0.15),
    ("bus", "bus", ("e",), 0.1),
    ("park_a", "car", ("n",), 0.12),
    ("park_b", "car", ("s", "w"), 0.13),
    ("park_c", "car", ("e",), 0.1),
    ("walk", "walk", ("w", "s"), 0.1),
)


BASE_SEATS = 115_000  # the layout grown_stadium_yaml scales


def grown_stadium_yaml(seats: int) -> str:
    """The 115,000-seat layout with gates, sectors, plazas, concourses and approaches grown in
    proportion to ``seats`` (identical to ``stadium_yaml()`` at 115,000)."""
    k = seats / BASE_SEATS
    return stadium_yaml(
        seats, sectors=4 * max(1, round(15 * k)), gates_per_quadrant=max(1, round(4 * k)), grow=k
    )


def stadium_yaml(
    seats: int = 115_000, sectors: int = 60, gates_per_quadrant: int = 4, grow: float = 1.0
) -> str:
    """Scenario YAML text for a stadium of ``seats`` split over ``sectors`` sectors.

    ``grow`` multiplies the open areas (plazas, concourses, origins) and the approach and ring
    walkways' widths: the room a crowd ``grow`` times the 115,000 of the layout needs.
    """
    areas, checkpoints, links, sector_list = [], [], [], []
    for q in QUADRANTS:
        areas.append({"id": f"plaza_{q}", "area_m2": _scaled(8000, grow)})
        areas.append({"id": f"conc_{q}", "area_m2": _scaled(5000, grow)})
        for g in range(gates_per_quadrant):
            gid = f"gate_{q}{g}"
            checkpoints.append(
                {
                    "id": gid,
                    "lanes": 14,
                    "queue_area_m2": 500,
                    "secondary_share": 0.03,
                    "service": {"kind": "exponential", "mean": 6.0},
                    "secondary_service": {"kind": "uniform", "low": 20, "high": 40, "mean": 30},
                }
            )
            links.append(_link(f"pg_{q}{g}", f"plaza_{q}", gid, 60 + 10 * (g % 4), 8))
            links.append(_link(f"gc_{q}{g}", gid, f"conc_{q}", 30, 8, "door"))
    per_q = sectors // len(QUADRANTS)
    for k in range(sectors):
        q = QUADRANTS[min(k // per_q, len(QUADRANTS) - 1)]
        sid = f"sec_{k:02d}"
        share = seats // sectors + (1 if k < seats % sectors else 0)
        sector_list.append({"id": sid, "seats": share, "gate": f"gate_{q}{k % gates_per_quadrant}"})
        kind = "stairs_up" if k % 2 else "door"
        links.append(_link(f"vom_{k:02d}", f"conc_{q}", sid, 12 if kind == "door" else 18, 3, kind))
    origins = []
    for oid, mode, quads, _ in ORIGINS:
        origins.append({"id": oid, "mode": mode, "area_m2": _scaled(1500, grow)})
        for i, q in enumerate(quads):
            links.append(_link(f"{oid}_{q}", oid, f"plaza_{q}", 400 + 150 * i, _scaled(12, grow)))
    for i, q in enumerate(QUADRANTS):
        ring = _link(
            f"ring_{q}", f"plaza_{q}", f"plaza_{QUADRANTS[(i + 1) % 4]}", 250, _scaled(10, grow)
        )
        links.append(ring)
    doc = {
        "name": f"synthetic stadium {seats}",
        "settings": {"start": "16:30", "end": "00:30", "sample_interval_s": 60},
        "venue": {
            "name": "synthetic",
            "origins": origins,
            "areas": areas,
            "checkpoints": checkpoints,
            "sectors": sector_list,
            "exits": [{"id": "exit"}],
            "links": links,
        },
        "ingress": {
            "kickoff": "21:00",
            "gates_open": "16:30",
            "attendance": 0.95,
            "profile": [[-270, 0.0], [-120, 0.15], [-60, 0.45], [-15, 0.93], [0, 0.98], [20, 1.0]],
            "mode_split": {oid: share for oid, _, _, share in ORIGINS},
            "party_sizes": [0.25, 0.35, 0.15, 0.15, 0.05, 0.05],
            "route_choice": "assigned",
        },
        "egress": {
            "final_whistle": "22:50",
            "release_profile": [[0, 0.0], [10, 0.6], [25, 0.95], [40, 1.0]],
        },
    }
    return yaml.safe_dump(doc, sort_keys=False)


def _scaled(value: float, grow: float) -> float:
    """``value`` x ``grow``, written as the integer it is where it is one (the base layout)."""
    v = value * grow
    return int(v) if v == int(v) else round(v, 2)


def _link(lid: str, a: str, b: str, length: float, width: float, kind: str = "walkway") -> dict:
    return {"id": lid, "source": a, "target": b, "length_m": length, "width_m": width, "kind": kind}
