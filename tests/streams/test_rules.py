"""Alert rules as pure functions, the rule registry, and rules/cameras YAML errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from live_helpers import arena

from simulator.venue.los import density_at_level
from streams.cameras import cameras_from, demo_cameras, load_cameras
from streams.errors import ConfigError
from streams.rules import (
    RULES,
    CameraHealth,
    Finding,
    Param,
    TwinState,
    ZoneState,
    register_rule,
)
from streams.ruleset import RuleSet, load_ruleset, ruleset_from

E_WALKWAY = density_at_level("E", "walkway")


def zone(**kw: object) -> ZoneState:
    base: dict[str, object] = dict(
        zone="plaza",
        element_type="area",
        label="Plaza",
        los_scale="walkway",
        floor_m2=1000.0,
        occupancy_now=0,
        density_now=0.0,
    )
    return ZoneState(**(base | kw))  # type: ignore[arg-type]


def state(*zones: ZoneState, cameras: tuple[CameraHealth, ...] = ()) -> TwinState:
    return TwinState(1000.0, 1200.0, zones, cameras)


def test_density_now_raises_at_level_e_and_is_extreme_at_f() -> None:
    rule = RULES["density_now"]
    assert rule(state(zone(density_now=0.5)), {"level": "E"}, 0.85) == []
    near = rule(state(zone(density_now=E_WALKWAY * 0.9)), {"level": "E"}, 0.85)
    assert [f.raised for f in near] == [False]
    (f,) = rule(state(zone(density_now=1.5)), {}, 0.85)
    assert f.raised and f.severity == "Severe" and f.threshold == pytest.approx(E_WALKWAY)
    (f,) = rule(state(zone(density_now=2.5)), {}, 0.85)
    assert f.severity == "Extreme"


def test_density_forecast_reports_the_predicted_crossing_time() -> None:
    z = zone(density_now=0.3, forecast=((1060.0, 0.6), (1360.0, 1.3), (1660.0, 1.6)))
    (f,) = RULES["density_forecast"](state(z), {"level": "E"}, 0.85)
    assert f.raised and f.onset_s == 1360.0 and f.value == 1.6
    # a single model run states no probability: Possible, never Observed (a forecast)
    assert f.cap_certainty == "Possible" and "in 6 min" in f.headline
    already = zone(density_now=1.5, forecast=((1060.0, 1.6),))
    assert RULES["density_forecast"](state(already), {}, 0.85) == []


def test_checkpoint_wait_platform_and_stale_camera() -> None:
    gate = zone(zone="gate", element_type="checkpoint", los_scale="queuing", wait_s=1300.0)
    (f,) = RULES["checkpoint_wait"](state(gate), {"limit_s": 600}, 0.85)
    assert f.severity == "Severe" and f.raised
    platform = zone(
        zone="tram", element_type="origin", los_scale="queuing", mode="tram", density_now=2.0
    )
    (f,) = RULES["platform_crowding"](state(platform), {"level": "D"}, 0.85)
    assert f.raised and f.event == "Platform overcrowding"
    car = zone(zone="car", element_type="origin", mode="car", density_now=5.0)
    assert RULES["platform_crowding"](state(car), {}, 0.85) == []
    cams = (CameraHealth("c1", "plaza", 990.0), CameraHealth("c2", "plaza", 800.0))
    (f,) = RULES["camera_stale"](state(cameras=cams), {"after_s": 30}, 0.85)
    assert f.zone == "c2" and f.value == 200.0 and f.severity == "Moderate"


def test_a_registered_rule_is_usable_from_yaml() -> None:
    @register_rule("test_queue_length", limit=Param.number(100))
    def queue_length(st: TwinState, params: dict, band: float) -> list[Finding]:
        limit = float(params["limit"])
        return [
            Finding(
                "test_queue_length",
                z.zone,
                z.occupancy_now >= limit,
                z.occupancy_now,
                limit,
                "Moderate",
                f"{z.label} queue",
                "Open lanes.",
            )
            for z in st.zones
            if z.occupancy_now >= limit * band
        ]

    try:
        rs = ruleset_from({"rules": [{"rule": "test_queue_length", "limit": 50}]})
        (f,) = rs.evaluate(state(zone(occupancy_now=60)))
        assert f.rule == "test_queue_length" and f.raised
        default = ruleset_from({"rules": [{"rule": "test_queue_length"}]})
        assert default.rules == (("test_queue_length", {"limit": 100}),)  # default filled in
    finally:
        del RULES["test_queue_length"]


def test_rules_yaml_loads_and_bad_files_name_the_field(tmp_path: Path) -> None:
    good = tmp_path / "rules.yaml"
    good.write_text("rules:\n  - {rule: density_now, level: F}\nlifecycle: {clear_after_s: 30}\n")
    rs = load_ruleset(good)
    assert rs.rules == (("density_now", {"level": "F"}),) and rs.lifecycle.clear_after_s == 30
    cases = {
        "rules: [{rule: nope}]": "rules[0].rule",
        "rulez: []": "(top level)",
        "rules: {a: 1}": "rules: expected a list",
        "lifecycle: {clear_after: 3}": "lifecycle.clear_after",
        "lifecycle: {band: 2}": "lifecycle.band",
        "lifecycle: {escalate_after_s: -1}": "lifecycle.escalate_after_s",
        "rules: [": "(file)",
    }
    for text, where in cases.items():
        bad = tmp_path / "bad.yaml"
        bad.write_text(text)
        with pytest.raises(ConfigError) as info:
            load_ruleset(bad)
        assert str(info.value).startswith(f"{bad}: ") and where in str(info.value), text
    with pytest.raises(ConfigError, match=r"\(file\)"):
        load_ruleset(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("text", "names"),
    [
        # a misspelt key: the file, the field and the closest known key
        ("rules: [{rule: density_now, levl: F}]", ["rules[0].levl", "did you mean 'level'"]),
        # an unknown level: every valid level listed
        ("rules: [{rule: density_now, level: Z}]", ["rules[0].level", "A, B, C, D, E, F", "'Z'"]),
        ("rules: [{rule: density_forecast, level: 3}]", ["rules[0].level", "Fruin level"]),
        ("rules: [{rule: checkpoint_wait, limit_s: -5}]", ["rules[0].limit_s", "a number >= 0"]),
        ("rules: [{rule: checkpoint_wait, limit_s: .nan}]", ["rules[0].limit_s", ">= 0"]),
        ("rules: [{rule: camera_stale, after_s: yes}]", ["rules[0].after_s", "a number >= 0"]),
        ("rules: [{rule: platform_crowding, modes: tram}]", ["rules[0].modes", "list of names"]),
        ("rules: [{rule: density_nwo}]", ["rules[0].rule", "did you mean 'density_now'"]),
        ("lifecycle: {escalate_after: 60}", ["lifecycle.escalate_after", "'escalate_after_s'"]),
        ("lifecycle: {clear_after_s: .inf}", ["lifecycle.clear_after_s", "a number >= 0"]),
        ("lifecycle: {status: Real}", ["lifecycle.status", "Actual, Exercise"]),
        ("lifecycle: {scope: Everyone}", ["lifecycle.scope", "Public, Restricted, Private"]),
        (
            "lifecycle: {expires_s: 300, refresh_before_s: 300}",
            ["lifecycle.refresh_before_s", "below expires_s"],
        ),
    ],
)
def test_rule_parameters_are_checked_when_the_file_is_loaded(
    tmp_path: Path, text: str, names: list[str]
) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text(text + "\n")
    with pytest.raises(ConfigError) as info:
        load_ruleset(bad)
    message = str(info.value)
    assert message.startswith(f"{bad}: "), message
    for name in names:
        assert name in message, (name, message)


def test_the_default_rule_set_is_what_the_declared_defaults_give() -> None:
    explicit = ruleset_from({"rules": [{"rule": name} for name, _ in RuleSet().rules]})
    assert explicit.rules == RuleSet().rules
    for name, params in RuleSet().rules:  # every default passes its own declaration
        assert ruleset_from({"rules": [{"rule": name, **params}]}).rules[0] == (name, params)


def test_default_ruleset_runs_every_rule() -> None:
    assert {name for name, _ in RuleSet().rules} == {
        "density_now",
        "density_forecast",
        "checkpoint_wait",
        "platform_crowding",
        "camera_stale",
    }


def test_cameras_yaml_and_its_errors(tmp_path: Path) -> None:
    sc = arena()
    good = tmp_path / "cameras.yaml"
    good.write_text(
        "cameras:\n  - {id: c1, zone: plaza, coverage: 0.5}\n  - {id: c2, zone: l_tram}\n"
    )
    cams = load_cameras(good, sc)
    assert [(c.id, c.zone, c.coverage) for c in cams] == [
        ("c1", "plaza", 0.5),
        ("c2", "l_tram", 1.0),
    ]
    cases = {
        "cameras: []": "cameras",
        "cams: []": "(top level)",
        "cameras: [{id: c1, zone: east}]": "cameras[0].zone",
        "cameras: [{id: c1, zone: nowhere}]": "cameras[0].zone",
        "cameras: [{id: c1, zone: plaza, coverage: 0}]": "cameras[0].coverage",
        "cameras: [{id: c1, zone: plaza, fps: 2}]": "cameras[0].fps",
        "cameras: [{zone: plaza}]": "cameras[0].id",
        "cameras: [{id: c1, zone: plaza}, {id: c1, zone: plaza}]": "cameras[1].id",
    }
    for text, where in cases.items():
        with pytest.raises(ConfigError) as info:
            cameras_from(__import__("yaml").safe_load(text), sc, file="cams.yaml")
        assert f"cams.yaml: {where}:" in str(info.value), (text, str(info.value))
    assert all(c.zone != "car_park" for c in demo_cameras(sc))  # no floor, no demo camera


def test_public_api_is_exported() -> None:
    import streams

    for name in streams.__all__:
        assert hasattr(streams, name), name


# --- certainty and instructions that fit the place and the phase -------------------------------

STADIUM = Path(__file__).parents[2] / "scenarios" / "stade_mohammed_v.yaml"


def test_certainty_is_observed_only_under_a_camera_else_from_the_probability() -> None:
    from dataclasses import replace

    from streams.rules import certainty_of

    (seen,) = RULES["density_now"](state(zone(density_now=1.5, observed=True)), {}, 0.85)
    (model,) = RULES["density_now"](state(zone(density_now=1.5)), {}, 0.85)
    assert (seen.cap_certainty, model.cap_certainty) == ("Observed", "Possible")
    assert "estimated" in model.headline and "estimated" not in seen.headline
    ahead = zone(density_now=0.3, observed=True, forecast=((1300.0, 1.5),))
    (f,) = RULES["density_forecast"](state(ahead), {}, 0.85)
    assert f.cap_certainty == "Possible"  # a camera sees now, nobody sees the future
    assert replace(f, probability=0.7).cap_certainty == "Likely"
    assert replace(f, probability=0.5).cap_certainty == "Possible"
    assert certainty_of(True, 0.1) == "Observed" and certainty_of(False, None) == "Possible"
    (stale,) = RULES["camera_stale"](
        state(cameras=(CameraHealth("c1", "plaza", 0.0),)), {"after_s": 30}, 0.85
    )
    assert stale.cap_certainty == "Observed" and stale.category == ("Infra",)


def test_places_come_from_the_venue_structure() -> None:
    from simulator.scenario.loader import load_scenario
    from streams.instructions import PLACES, zone_places
    from streams.zones import venue_zones

    stadium = load_scenario(STADIUM)
    places = zone_places(stadium)
    expected = {
        "gate_e1": "gate",
        "perimeter_e": "gate",  # the perimeter search line
        "apron_e": "forecourt",  # between the perimeter and the turnstiles: not yet inside
        "past_perimeter_e": "forecourt",
        "to_e1": "gate",  # the walkway into a gate holds its queue
        "conc_e_lower": "concourse",
        "conc_e_upper": "concourse",  # up the stairs from a concourse
        "forecourt_e": "forecourt",
        "stairs_e_up": "stairs",
        "exit_e": "exit",
        "vom_east_lower_n": "exit",
        "tram_t1": "platform",
        "app_t1": "pavement",
        "walk_in": "pavement",
    }
    assert {z: places[z] for z in expected} == expected
    zones = venue_zones(stadium)
    assert all(z.place in PLACES for z in zones.values())  # every zone has a kind of place
    assert {z.place for z in venue_zones(arena()).values()} >= {"forecourt", "concourse", "gate"}


def test_phases_come_from_the_scenario_clock() -> None:
    from simulator.scenario.loader import load_scenario
    from streams.instructions import MatchPhases, match_phases

    phases = match_phases(load_scenario(STADIUM))  # kick-off 21:00, whistle 22:50
    assert phases == MatchPhases(kickoff_s=21 * 3600, release_s=22 * 3600 + 50 * 60)
    got = [phases.phase(h * 3600 + m * 60) for h, m in ((19, 30), (22, 0), (22, 59), (24, 10))]
    assert got == ["ingress", "match", "egress", "egress"]  # 00:10 is 24:10 on the match clock
    assert MatchPhases(None, None).phase(0) == ""


def pavement(density: float, *, forecast: tuple[tuple[float, float], ...] = ()) -> ZoneState:
    return zone(
        zone="app_t1",
        element_type="link",
        label="Tram T1 approach",
        floor_m2=3600.0,
        density_now=density,
        forecast=forecast,
        place="pavement",
    )


def test_an_egress_pavement_is_told_to_keep_moving_not_to_meter_arrivals() -> None:
    """The issue's case: an egress pavement at 22:59 was told to meter arrivals and divert to
    other gates. After the whistle it is kept moving outward; before kick-off it is metered."""
    from dataclasses import replace

    at_2259 = replace(state(pavement(1.5)), clock_s=22 * 3600 + 59 * 60, phase="egress")
    (now,) = RULES["density_now"](at_2259, {}, 0.85)
    ahead_zone = pavement(0.5, forecast=((at_2259.clock_s + 420, 1.5),))
    (ahead,) = RULES["density_forecast"](replace(at_2259, zones=(ahead_zone,)), {}, 0.85)
    for f in (now, ahead):
        assert "moving outward" in f.instruction and "Tram T1 approach" in f.instruction
        assert "Meter arrivals" not in f.instruction and "gates" not in f.instruction
    assert ahead.instruction.startswith("Act before it builds (about 7 min)")
    (ingress,) = RULES["density_now"](replace(at_2259, phase="ingress"), {}, 0.85)
    assert ingress.instruction.startswith("Meter arrivals on Tram T1 approach")


def test_instructions_depend_on_the_kind_of_place_and_the_phase() -> None:
    from streams.instructions import ACTIONS, PHASES, PLACES, crowding_instruction

    for phase in PHASES:
        texts = {crowding_instruction(p, phase, "X", ahead_min=None) for p in PLACES}
        assert len(texts) == len(PLACES), phase  # each kind of place gets its own action
    for place in PLACES:
        assert len({ACTIONS[place][phase] for phase in PHASES}) == len(PHASES), place
    stairs = crowding_instruction("stairs", "egress", "North stairs", ahead_min=None)
    assert "head of the stairs" in stairs
    gate = zone(zone="gate", element_type="checkpoint", los_scale="queuing", wait_s=1300.0)
    for phase, words in (("ingress", "redirect fans"), ("egress", "Stop entry")):
        (f,) = RULES["checkpoint_wait"](
            TwinState(1000.0, 1200.0, (gate,), phase=phase), {"limit_s": 600}, 0.85
        )
        assert words in f.instruction, phase
