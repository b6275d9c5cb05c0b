"""The learning twin: an ensemble that learns a slow gate from counts, with honest uncertainty.

The fast version of ``matchday twin-eval``: the test ground's truth has its gate screening at
a fifth of its planned rate (the twin is not told), the twin gets noisy counts through its
public API, and is scored against persistence and the plan.
"""

from __future__ import annotations

import pytest
from live_helpers import DAY, arena

from simulator.levers.model import Intervention
from streams.cameras import Camera
from streams.evaluation import Case, run_case
from streams.messages import Estimate, Forecast, validate
from streams.rules import ZoneState, certainty_of, density_forecast
from streams.ruleset import RuleSet
from streams.twin import DEFAULT_MEMBERS, DigitalTwin, TwinSettings

CAMERAS = (
    Camera("cam_plaza", "plaza"),
    Camera("cam_gate", "gate_a"),
    Camera("cam_in", "l_gate_in"),
    Camera("cam_tram", "l_tram"),
)
SLOW_GATE = Case(
    "gate_a at a fifth of its rate",
    (Intervention("slow", "service_factor", 19.5 * 3600, None, gate="gate_a", factor=5.0),),
    19.75 * 3600,
    20.5 * 3600,
    ("gate_a", "l_gate_in", "plaza"),
)


@pytest.fixture(scope="module")
def scored():  # type: ignore[no-untyped-def]
    settings = TwinSettings(cycle_s=60, members=10, seed=5)
    return run_case(arena(), SLOW_GATE, day=DAY, settings=settings, cameras=CAMERAS)


def test_the_ensemble_learns_the_slow_gate_and_says_so(scored) -> None:  # type: ignore[no-untyped-def]
    (gate,) = [text for text in scored.estimates if text.startswith("Gate A:")]
    # every estimate names its place as the report and alerts do, never by its id
    assert not [text for text in scored.estimates if text.startswith(("l_", "gate_"))]
    share = float(gate.split("about ")[1].split("%")[0]) / 100
    assert share < 0.5, gate  # truth: 20% of plan


def test_forecasts_beat_the_plan_in_the_disturbed_zones(scored) -> None:  # type: ignore[no-untyped-def]
    mae = scored.mae
    for h in (300.0, 600.0):
        assert mae["twin"][h] < 0.7 * mae["plan"][h], mae


def test_forecast_carries_quantiles_estimates_and_estimated_zones() -> None:
    scenario = arena()
    twin = DigitalTwin(
        scenario,
        CAMERAS[:1],
        RuleSet(),
        day=DAY,
        start_s=20.5 * 3600,
        settings=TwinSettings(members=6, seed=2),
    )
    report = twin.cycle(20.5 * 3600 + 15)
    (forecast,) = [m for m in report.messages if isinstance(m, Forecast)]
    wire = validate(forecast.to_dict())
    assert Forecast.from_dict(wire) == forecast
    assert wire["members"] == 6
    zones = {z["zone"]: z for z in wire["zones"]}
    assert not zones["gate_a"]["observed"] and zones["gate_a"]["estimated"]
    for z in zones.values():
        if z["density_10min_per_m2"] is not None and "density_10min_p10_per_m2" in z:
            assert (
                z["density_10min_p10_per_m2"]
                <= z["density_10min_per_m2"]
                <= z["density_10min_p90_per_m2"]
            )
    assert {e["element"] for e in wire["estimates"] if e["parameter"] == "cap"} == {"gate_a"}
    assert any(e["parameter"] == "speed" for e in wire["estimates"])
    twin.close()


def _zone(ensemble: tuple[tuple[float, ...], ...], observed: bool = False) -> ZoneState:
    forecast = tuple((60.0 * (k + 1), 0.5) for k in range(len(ensemble[0])))
    return ZoneState(
        "plaza", "area", "Plaza", "walkway", 2000.0, 100, 0.05, forecast,
        observed=observed, ensemble=ensemble,
    )  # fmt: skip


def test_alert_certainty_comes_from_the_share_of_members() -> None:
    from streams.rules import TwinState

    crossing, calm = (0.1, 2.0), (0.1, 0.2)
    likely = TwinState(0.0, 1200.0, (_zone((crossing, crossing, calm)),))
    possible = TwinState(0.0, 1200.0, (_zone((crossing, calm, calm)),))
    (f,) = density_forecast(likely, {"level": "E"}, 0.0)
    (g,) = density_forecast(possible, {"level": "E"}, 0.0)
    assert (f.cap_certainty, g.cap_certainty) == ("Likely", "Possible")
    assert "(estimated: no camera)" in f.headline
    assert certainty_of(True, 0.9) == "Observed" and certainty_of(False, None) == "Possible"


def test_the_default_twin_is_an_ensemble_that_states_its_band() -> None:
    """Without settings the twin is the ensemble (``DEFAULT_MEMBERS``): its forecast carries
    p10 / p90 and says how many members are behind them."""
    twin = DigitalTwin(arena(), CAMERAS[:1], RuleSet(), day=DAY, start_s=20.5 * 3600)
    report = twin.cycle(20.5 * 3600 + 15)
    (forecast,) = [m for m in report.messages if isinstance(m, Forecast)]
    wire = validate(forecast.to_dict())
    assert wire["members"] == DEFAULT_MEMBERS > 1
    assert all("density_10min_p10_per_m2" in z for z in wire["zones"])
    twin.close()


def test_a_one_member_twin_claims_no_band_and_no_estimate() -> None:
    """A one-member twin (``members=1``, no ensemble) learns nothing: it states no quantiles
    and no learnt parameters (so the dashboard shows no "what the twin has learnt" panel)."""
    twin = DigitalTwin(
        arena(),
        CAMERAS[:1],
        RuleSet(),
        day=DAY,
        start_s=20.5 * 3600,
        settings=TwinSettings(members=1),
    )
    report = twin.cycle(20.5 * 3600 + 15)
    (forecast,) = [m for m in report.messages if isinstance(m, Forecast)]
    wire = validate(forecast.to_dict())
    assert wire["members"] == 1 and wire["estimates"] == []
    assert not any("density_10min_p10_per_m2" in z for z in wire["zones"])
    twin.close()


def test_an_estimate_is_learnt_only_when_the_members_agree_it_is_off_the_plan() -> None:
    def estimate(p10: float, p50: float, p90: float) -> Estimate:
        return Estimate("cap", "gate_e1", p10, p50, p90, "")

    assert estimate(0.24, 0.3, 0.37).learnt  # the slow gate, learnt
    assert not estimate(0.91, 1.2, 1.29).learnt  # a gate no count informs: its prior's spread
    assert not estimate(1.01, 1.05, 1.1).learnt  # surely off, but by too little to matter


def test_no_forecast_alert_for_an_onset_past_the_stated_horizon() -> None:
    """A member's forecast may run a sample past the horizon (it was made a cycle ago, to
    cover it): a crossing there is not announced as "LoS E predicted in 21 min"."""
    from streams.rules import TwinState

    def state(crossing_s: float) -> TwinState:
        forecast = tuple((t, 2.0 if t >= crossing_s else 0.2) for t in range(60, 1261, 60))
        zone = ZoneState("plaza", "area", "Plaza", "walkway", 2000.0, 100, 0.05, forecast)
        return TwinState(0.0, 1200.0, (zone,))

    (found,) = density_forecast(state(1200.0), {"level": "E"}, 0.9)
    assert found.raised and found.onset_s == 1200.0
    assert density_forecast(state(1260.0), {"level": "E"}, 0.9) == []
