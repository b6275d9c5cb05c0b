"""Shared pieces for the dashboard tests: a small venue and schema-valid live messages.

The messages are built here and checked against the real JSON schemas (``streams.messages``)
before use, so a test can never feed the dashboard something the live path would refuse.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from simulator.scenario.model import (
    Area,
    Checkpoint,
    Distribution,
    Exit,
    Link,
    Origin,
    Scenario,
    Sector,
    Settings,
    Venue,
)
from streams.messages import OPS_ALERT, TWIN_FORECAST, ZONE_COUNT, iso, new_id, validate

XSS = "<img src=x onerror=alert(1)>"
MATCH_TZ = timezone(timedelta(hours=1))  # Morocco, UTC+1
MATCH_DAY = datetime(2030, 7, 21, tzinfo=MATCH_TZ)
START_S = 16.5 * 3600


def small_venue() -> Venue:
    """Tram platform -> plaza -> two gates -> two sectors, an exit, and a zone named like markup."""
    service = Distribution(kind="exponential", mean=6.0)
    return Venue(
        name="Test Arena",
        origins=(Origin(id="tram_t1", mode="tram", area_m2=400.0, label="Tram T1 platform"),),
        areas=(
            Area(id="plaza_n", area_m2=2000.0, label="North plaza"),
            Area(id=XSS, area_m2=500.0),
        ),
        checkpoints=(
            Checkpoint(id="gate_1", lanes=8, service=service, queue_area_m2=300.0),
            Checkpoint(id="gate_2", lanes=8, service=service, queue_area_m2=300.0),
        ),
        sectors=(Sector(id="north", seats=8000, gate="gate_1"), Sector(id="east", seats=6000)),
        exits=(Exit(id="exit_n"),),
        links=(
            Link(id="l1", source="tram_t1", target="plaza_n", length_m=300.0, width_m=8.0),
            Link(id="l2", source="plaza_n", target="gate_1", length_m=50.0, width_m=10.0),
            Link(id="l3", source="plaza_n", target="gate_2", length_m=60.0, width_m=10.0),
            Link(id="l4", source="gate_1", target="north", length_m=40.0, width_m=4.0),
            Link(id="l5", source="gate_2", target="east", length_m=40.0, width_m=4.0),
            Link(id="l6", source="north", target="exit_n", length_m=30.0, width_m=6.0),
            Link(id="l7", source=XSS, target="plaza_n", length_m=20.0, width_m=5.0),
        ),
    )


@pytest.fixture
def scenario() -> Scenario:
    return Scenario(
        name="Test Arena match",
        source_path="<tests>",
        venue=small_venue(),
        settings=Settings(start_s=START_S, end_s=START_S + 8 * 3600),
    )


def at(clock_s: float) -> str:
    """ISO time of a match-day clock second."""
    return iso(MATCH_DAY + timedelta(seconds=clock_s))


def count(zone: str, clock_s: float, n: int, *, camera: str = "cam_1", **extra: Any) -> dict:
    message = {
        "schema": ZONE_COUNT,
        "id": new_id(),
        "camera": camera,
        "zone": zone,
        "event_time": at(clock_s),
        "count": n,
        "model": "simulated",
        "confidence": 1.0,
        **extra,
    }
    return validate(message)


def forecast(clock_s: float, rows: list[dict]) -> dict:
    """A twin forecast; each row needs zone, element_type, density now and at +10 min."""
    zones = []
    for row in rows:
        d_now, d10 = row["now"], row["plus10"]
        zones.append(
            {
                "zone": row["zone"],
                "element_type": row["element_type"],
                "observed": row.get("observed", False),
                "occupancy_now": row.get("occupancy", 0),
                "density_now_per_m2": d_now,
                "los_now": row.get("los_now", "A"),
                "density_5min_per_m2": (d_now + d10) / 2,
                "density_10min_per_m2": d10,
                "density_20min_per_m2": None,
                "los_5min": row.get("los_10", "A"),
                "los_10min": row.get("los_10", "A"),
                "los_20min": None,
                **({"mean_wait_s": row["wait"]} if "wait" in row else {}),
            }
        )
    message = {
        "schema": TWIN_FORECAST,
        "id": new_id(),
        "issued": at(clock_s),
        "clock_s": clock_s,
        "horizon_s": 600.0,
        "warm_start_ms": 12.0,
        "zones": zones,
    }
    return validate(message)


def alert(
    zone: str,
    clock_s: float,
    *,
    severity: str = "Severe",
    urgency: str = "Expected",
    msg_type: str = "Alert",
    state: str = "new",
    incident: str | None = None,
    onset_in_s: float = 420.0,
    headline: str | None = None,
) -> dict:
    identifier = new_id()
    incident = incident or identifier
    message = {
        "schema": OPS_ALERT,
        "id": identifier,
        "identifier": identifier,
        "sender": "twin",
        "sent": at(clock_s),
        "status": "Actual",
        "msgType": msg_type,
        "incident": incident,
        "scope": "Restricted",
        # CAP: sender,identifier,sent of the thread's Alert (sent at the same clock in tests)
        "references": [] if incident == identifier else [f"twin,{incident},{at(clock_s)}"],
        "category": ["Safety"],
        "event": "Crowd density",
        "rule": "density_forecast",
        "urgency": urgency,
        "severity": severity,
        "certainty": "Likely",
        "onset": at(clock_s + onset_in_s),
        "expires": at(clock_s + 3600),
        "headline": headline or f"Density in {zone} reaches LoS E in 7 min",
        "instruction": "Open gate 2 overflow lanes; hold tram arrivals at platform",
        "zone": zone,
        "areaDesc": zone,
        "state": state,
        "value": 1.6,
        "threshold": 1.4,
    }
    return validate(message)
