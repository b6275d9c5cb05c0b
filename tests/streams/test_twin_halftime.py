"""The twin forecasts the half-time surge: its warm-started forecast runs through half-time
and the density rule alerts on the concourse before the crowd is there."""

from __future__ import annotations

from live_helpers import ARENA, DAY

from simulator.scenario.loader import load_scenario_text
from streams.ruleset import RuleSet
from streams.twin import DigitalTwin, TwinSettings

CONCOURSE = """    - id: concourse
      area_m2: 250
      services:
        - {id: wc, kind: toilet, servers: 12, service: {kind: lognormal, mean: 90, cv: 0.5}}
        - {id: kiosk, kind: concession, servers: 4, service: {kind: lognormal, mean: 60, cv: 0.5}}
"""


def _concourse_forecasts(halftime: bool) -> tuple[list[dict[str, object]], float]:
    text = ARENA.read_text(encoding="utf-8")
    # a cramped concourse (250 m2 for 1,000 seats) so half-time crowds it to LoS E
    text = text.replace("    - {id: concourse, area_m2: 800}\n", CONCOURSE)
    if halftime:
        text = text.replace("\negress:", "\nhalftime: {share: 0.5}\negress:")
    scenario = load_scenario_text(text, source="<arena with half-time>")
    kickoff = scenario.ingress.kickoff_s if scenario.ingress else 0.0
    start = kickoff + 47 * 60 - 300  # 5 minutes before the half-time whistle (2 min stoppage)
    settings = TwinSettings(horizon_s=1200, cycle_s=60, stale_after_s=30, seed=3)
    twin = DigitalTwin(scenario, (), RuleSet(), day=DAY, start_s=start, settings=settings)
    report = twin.cycle(start + 60)
    alerts = [m.to_dict() for m in report.messages if m.schema == "ops.alert.v1"]
    ahead = [a for a in alerts if a["rule"] == "density_forecast" and a["zone"] == "concourse"]
    return ahead, start + 300


def test_the_twin_alerts_on_the_half_time_concourse_before_the_whistle() -> None:
    ahead, whistle = _concourse_forecasts(halftime=True)
    assert ahead
    onset = (DAY.fromisoformat(str(ahead[0]["onset"])) - DAY).total_seconds()
    assert whistle <= onset <= whistle + 15 * 60
    assert _concourse_forecasts(halftime=False)[0] == []  # without half-time, nothing to see
