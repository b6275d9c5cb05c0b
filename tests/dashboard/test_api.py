"""API tests for every dashboard endpoint, over the real in-process bus and the real app."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from streams.bus import InProcessBus
from streams.dashboard import DashboardFeed, DashboardView, create_app, operators_from
from streams.errors import ConfigError
from streams.messages import OPS_ALERT, decode, encode

from .conftest import MATCH_DAY, XSS, alert, count, forecast

TOKEN = "test-token-0123456789"
T = 20 * 3600.0


@pytest.fixture
def setup(scenario):
    bus = InProcessBus()
    view = DashboardView(scenario, day=MATCH_DAY)
    feed = DashboardFeed(bus, view)
    app = create_app(view, bus, operators_from({"amina": TOKEN}))
    with TestClient(app) as client:
        yield bus, feed, client


def send(bus, message):
    bus.send(message["schema"], "k", encode(message))


def test_read_endpoints_show_folded_messages(setup):
    bus, feed, client = setup
    send(bus, count("plaza_n", T, 2400))
    send(
        bus,
        forecast(
            T + 60,
            [
                dict(
                    zone="gate_1",
                    element_type="checkpoint",
                    now=0.5,
                    plus10=1.2,
                    los_10="D",
                    wait=240,
                )
            ],
        ),
    )
    send(bus, alert("plaza_n", T))
    assert feed.drain() == 3
    assert client.get("/healthz").json()["ok"] is True
    venue = client.get("/api/venue").json()
    assert {p["id"] for p in venue["places"]} >= {"plaza_n", "gate_1", XSS}
    state = client.get("/api/state").json()
    plaza = next(z for z in state["zones"] if z["zone"] == "plaza_n")
    assert (
        plaza["density_per_m2"] == pytest.approx(1.2) and plaza["los"] == "E"
    )  # 0.83 m²/person on a walkway
    assert state["alerts"][0]["severity"] == "Severe"
    assert client.get("/api/trends/gate_1").json()["wait"] == [[T + 60, 240.0]]
    assert client.get("/api/trends/nowhere").status_code == 404
    assert client.get("/api/audit").json()[0]["action"] == "raised (Severe)"
    page = client.get("/")
    assert "Content-Security-Policy" in page.headers and "app.js" in page.text
    assert client.get("/static/app.js").status_code == 200
    assert "VenueMap" in client.get("/venue_map.js").text  # the map renderer shared with the report


def test_ack_and_assign_publish_ack_messages(setup):
    bus, feed, client = setup
    raised = alert("plaza_n", T)
    send(bus, raised)
    feed.drain()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert (
        client.post(f"/api/alerts/{raised['incident']}/ack", json={}, headers=auth).status_code
        == 202
    )
    body = {"assignee": "steward team N"}
    assert (
        client.post(f"/api/alerts/{raised['incident']}/assign", json=body, headers=auth).status_code
        == 202
    )
    acks = [decode(r.value) for r in bus.topic(OPS_ALERT)][1:]
    assert [a["msgType"] for a in acks] == ["Ack", "Ack"]
    # CAP: the Ack references the message it acknowledges as sender,identifier,sent
    acked = f"{raised['sender']},{raised['identifier']},{raised['sent']}"
    assert acks[0]["sender"] == "amina" and acks[0]["references"] == [acked]
    feed.drain()
    row = client.get("/api/state").json()["alerts"][0]
    assert (row["state"], row["acked_by"], row["assignee"]) == ("acked", "amina", "steward team N")
    assert client.post("/api/alerts/nope/ack", json={}, headers=auth).status_code == 404


def test_an_update_changes_the_alert_row_in_place(setup):
    """A forecast alert that comes true arrives as an Update of the same incident: the queue
    keeps one row and shows its newest content; the Cancel closes that row."""
    bus, feed, client = setup
    raised = alert("plaza_n", T, severity="Moderate", headline="Plaza N: LoS E in 7 min")
    send(bus, raised)
    feed.drain()
    assert len(client.get("/api/state").json()["alerts"]) == 1
    came_true = alert(
        "plaza_n",
        T + 420,
        msg_type="Update",
        incident=raised["incident"],
        urgency="Immediate",
        headline="Plaza N: 1.60 persons/m² now",
    )
    came_true["rule"] = "density_now"
    send(bus, came_true)
    feed.drain()
    (row,) = client.get("/api/state").json()["alerts"]
    assert row["incident"] == raised["incident"] and row["msgType"] == "Update"
    assert (row["severity"], row["urgency"], row["rule"]) == ("Severe", "Immediate", "density_now")
    assert row["headline"] == "Plaza N: 1.60 persons/m² now" and row["messages"] == 2
    assert row["last_message"] == f"twin,{came_true['identifier']},{came_true['sent']}"
    send(bus, alert("plaza_n", T + 900, msg_type="Cancel", incident=raised["incident"]))
    feed.drain()
    (row,) = client.get("/api/state").json()["alerts"]
    assert row["state"] == "closed" and row["messages"] == 3


@pytest.mark.parametrize("header", [None, "Bearer wrong-token-0123456789", f"Basic {TOKEN}"])
def test_wrong_or_missing_token_is_refused(setup, header):
    bus, feed, client = setup
    raised = alert("plaza_n", T)
    send(bus, raised)
    feed.drain()
    headers = {"Authorization": header} if header else {}
    response = client.post(f"/api/alerts/{raised['incident']}/ack", json={}, headers=headers)
    assert response.status_code == 401
    assert len(bus.topic(OPS_ALERT)) == 1  # nothing published


def test_event_feed_sends_state_then_replays_missed_changes(setup):
    bus, feed, client = setup
    send(bus, count("plaza_n", T, 100))
    feed.drain()
    view_seq = client.get("/api/state").json()["seq"]
    send(bus, count("plaza_n", T + 60, 900))
    feed.drain()
    with client.stream("GET", "/api/events", headers={"Last-Event-ID": str(view_seq)}) as r:
        lines = []
        for line in r.iter_lines():
            lines.append(line)
            if line.startswith("data:") and '"kind": "trend"' in line:
                break
    assert "event: delta" in lines and "event: state" not in lines


def test_short_token_config_is_refused():
    with pytest.raises(ConfigError, match=r"operators\.amina"):
        operators_from({"amina": "short"})
    env = {"MATCHDAY_OPERATOR_TOKEN": " x "}
    with pytest.raises(ConfigError, match="MATCHDAY_OPERATOR_TOKEN"):
        operators_from(None, env=env)
    assert operators_from(None, env={}).generated
