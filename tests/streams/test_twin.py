"""The digital twin on a real simulation of the test ground: assimilate, forecast, alert."""

from __future__ import annotations

from pathlib import Path

import pytest
from live_helpers import DAY, EVENING_S, arena
from live_helpers import zone_count as count

from simulator.results.names import element_names
from simulator.scenario.loader import load_scenario
from streams.alerts import Lifecycle
from streams.cameras import Camera
from streams.count_gain import CountGain
from streams.messages import from_dict, validate
from streams.ruleset import RuleSet
from streams.twin import DigitalTwin, TwinSettings
from streams.zones import venue_zones

CAMERAS = (Camera("cam_plaza", "plaza"), Camera("cam_tram", "l_tram", coverage=0.5))
RULES = RuleSet(lifecycle=Lifecycle(clear_after_s=60, escalate_after_s=180))


@pytest.fixture(scope="module")
def scenario():  # type: ignore[no-untyped-def]
    return arena()


def make_twin(scenario, **kw) -> DigitalTwin:  # type: ignore[no-untyped-def]
    settings = TwinSettings(horizon_s=1200, cycle_s=60, stale_after_s=30, seed=3)
    return DigitalTwin(
        scenario, CAMERAS, RULES, day=DAY, start_s=EVENING_S, settings=settings, **kw
    )


def by_schema(messages, schema):  # type: ignore[no-untyped-def]
    """The messages of ``schema`` as they go on the wire (checked to round-trip)."""
    out = [validate(m.to_dict()) for m in messages if m.schema == schema]
    assert [from_dict(d) for d in out] == [m for m in messages if m.schema == schema]
    return out


def test_a_surge_seen_by_a_camera_raises_an_alert_then_clears(scenario) -> None:  # type: ignore[no-untyped-def]
    twin = make_twin(scenario)
    t = EVENING_S + 60
    twin.observe(count("cam_plaza", "plaza", 3000, t - 10))  # 1.5 /m² on 2000 m²: LoS E
    twin.observe(count("cam_tram", "l_tram", 20, t - 10))
    report = twin.cycle(t)
    (forecast,) = by_schema(report.messages, "twin.forecast.v1")
    plaza = next(z for z in forecast["zones"] if z["zone"] == "plaza")
    assert plaza["observed"] and plaza["occupancy_now"] == 3000 and plaza["los_now"] == "E"
    assert plaza["density_5min_per_m2"] is not None and plaza["density_20min_per_m2"] is not None
    assert plaza["density_20min_per_m2"] < 1.5  # the simulated crowd moves on through the gate
    alerts = by_schema(report.messages, "ops.alert.v1")
    surge = [a for a in alerts if a["rule"] == "density_now" and a["zone"] == "plaza"]
    assert [(a["msgType"], a["severity"]) for a in surge] == [("Alert", "Severe")]
    # 20:30 is ingress and the plaza is outside the gate: meter arrivals, open every gate
    assert surge[0]["instruction"].startswith("Meter arrivals into Plaza")  # its map name
    assert surge[0]["certainty"] == "Observed" and surge[0]["scope"] == "Restricted"
    assert surge[0]["value"] == pytest.approx(1.5) and surge[0]["onset"].startswith(
        "2030-07-21T20:31"
    )
    densities = by_schema(report.messages, "zone.density.v1")
    assert {d["zone"] for d in densities} == {"plaza", "l_tram"}
    tram = next(d for d in densities if d["zone"] == "l_tram")
    assert tram["count_mean"] == 40  # 20 seen on half the link
    closed = []
    for k in range(2, 5):
        twin.observe(count("cam_plaza", "plaza", 40, EVENING_S + 60 * k - 5))
        twin.observe(count("cam_tram", "l_tram", 20, EVENING_S + 60 * k - 5))
        msgs = by_schema(twin.cycle(EVENING_S + 60 * k).messages, "ops.alert.v1")
        closed += [m for m in msgs if m["zone"] == "plaza" and m["rule"] == "density_now"]
    assert [(m["msgType"], m["state"]) for m in closed] == [("Cancel", "closed")]
    assert closed[0]["incident"] == surge[0]["identifier"]


def test_assimilation_blends_by_the_count_gain_and_stale_cameras_fall_back(scenario) -> None:  # type: ignore[no-untyped-def]
    t = EVENING_S + 60
    # the same ensemble with no counts: its members' median at t is what the model says
    (plain,) = by_schema(make_twin(scenario).cycle(t).messages, "twin.forecast.v1")
    modelled = next(z for z in plain["zones"] if z["zone"] == "plaza")["occupancy_now"]
    seen = modelled + 12  # within a count's noise of the model: a Kalman blend, not a surprise
    twin = make_twin(scenario)
    twin.observe(count("cam_plaza", "plaza", seen, t - 5, confidence=0.5))
    report = twin.cycle(t)
    (forecast,) = by_schema(report.messages, "twin.forecast.v1")
    plaza = next(z for z in forecast["zones"] if z["zone"] == "plaza")
    s = twin.settings
    w = CountGain(s.model_error, s.count_noise, s.error_memory_s).weight(
        "plaza", clock_s=t, count_clock_s=t - 5, observed=seen, modelled=modelled, confidence=0.5
    )
    assert 0.0 < w < 0.5  # a half-sure camera, a minute after the start: less than half-way
    assert plaza["occupancy_now"] == pytest.approx(w * seen + (1 - w) * modelled, abs=1)
    assert plaza["observed"] and not plaza["estimated"]
    assert report.assimilated == 1  # the tram camera never reported: model only there
    # the plaza camera goes silent: after 30 s it is stale, the twin uses its model again
    later = twin.cycle(t + 120)
    (forecast,) = by_schema(later.messages, "twin.forecast.v1")
    assert not next(z for z in forecast["zones"] if z["zone"] == "plaza")["observed"]
    stale = by_schema(later.messages, "ops.alert.v1")
    assert {(a["rule"], a["zone"]) for a in stale} >= {
        ("camera_stale", "cam_plaza"),
        ("camera_stale", "cam_tram"),
    }


def test_a_dropped_camera_that_comes_back_cancels_its_stale_alert(scenario) -> None:  # type: ignore[no-untyped-def]
    twin = make_twin(scenario)
    t = EVENING_S
    history = []
    for k in range(1, 7):
        now = t + 60 * k
        twin.observe(count("cam_tram", "l_tram", 10, now - 5))
        if k not in (2, 3):  # the plaza camera drops for two cycles, then comes back
            twin.observe(count("cam_plaza", "plaza", 100, now - 5))
        msgs = by_schema(twin.cycle(now).messages, "ops.alert.v1")
        history += [(k, m["msgType"]) for m in msgs if m["rule"] == "camera_stale"]
    # k=2: silent 65 s (>= 30: Minor); k=3: 125 s (>= 4 x 30: Moderate); k=4: reporting again,
    # and 60 s (clear_after_s) since the last stale finding: Cancel
    assert history == [(2, "Alert"), (3, "Update"), (4, "Cancel")]


def test_unknown_cameras_are_counted_not_used(scenario) -> None:  # type: ignore[no-untyped-def]
    twin = make_twin(scenario)
    twin.observe(count("cam_elsewhere", "plaza", 10, EVENING_S))
    twin.observe(count("cam_plaza", "concourse", 10, EVENING_S))  # camera moved: zone mismatch
    assert twin.ignored == 2 and twin.latest == {}


def test_zones_are_named_as_the_report_and_the_map_name_them() -> None:
    # an unnamed link reads "A to B" in an alert headline, as on the map, never its bare id
    scenario = load_scenario(Path(__file__).parents[2] / "scenarios" / "stade_mohammed_v.yaml")
    zones, names = venue_zones(scenario), element_names(scenario)
    assert all(z.label == names[z.id] for z in zones.values())
    assert zones["app_t1"].label == "Tram T1 stop to East forecourt"
