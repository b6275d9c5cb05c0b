"""The dashboard shows what the twin has learnt and which zones are the model's alone."""

from __future__ import annotations

from fastapi.testclient import TestClient

from streams.bus import InProcessBus
from streams.dashboard import DashboardFeed, DashboardView, create_app, operators_from
from streams.messages import encode, validate

from .conftest import MATCH_DAY, forecast

TOKEN = "test-token-0123456789"
T = 20 * 3600.0


def test_estimates_and_estimated_zones_reach_the_page_state(scenario) -> None:  # type: ignore[no-untyped-def]
    bus = InProcessBus()
    view = DashboardView(scenario, day=MATCH_DAY)
    feed = DashboardFeed(bus, view)
    app = create_app(view, bus, operators_from({"amina": TOKEN}))
    message = forecast(T, [dict(zone="gate_1", element_type="checkpoint", now=0.5, plus10=1.2)])
    message["members"] = 12
    message["zones"][0]["estimated"] = True
    message["estimates"] = [
        {
            "parameter": "cap",
            "element": "gate_1",
            "p10": 0.24,
            "p50": 0.3,
            "p90": 0.37,
            "text": "Gate 1: screening at about 30% of plan (24%-37%)",
        }
    ]
    bus.send(message["schema"], "twin", encode(validate(message)))
    with TestClient(app) as client:
        assert feed.drain() == 1
        state = client.get("/api/state").json()
        assert state["estimates"][0]["text"].startswith("Gate 1: screening at about 30%")
        gate = next(z for z in state["zones"] if z["zone"] == "gate_1")
        assert gate["estimated"] is True
        page = client.get("/").text
        assert 'id="estimates"' in page
        assert "renderEstimates" in client.get("/static/app.js").text
