"""The loader turns valid YAML into the exact frozen Scenario and refuses nothing valid."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import yaml
from scenario_helpers import TINY

from simulator.scenario.loader import load_scenario, load_scenario_text, validate_file
from simulator.scenario.model import Distribution, Scenario


def test_tiny_scenario_loads_to_the_expected_values() -> None:
    s = load_scenario(TINY)
    assert isinstance(s, Scenario)
    assert s.name == "Tiny ground"
    assert s.source_path == str(TINY)
    assert (s.settings.start_s, s.settings.end_s) == (18 * 3600, 24 * 3600 + 1800)
    assert s.settings.pedestrian_model == "weidmann"
    assert s.settings.flow_caps == "experimental"
    assert s.venue.seats == 1000
    assert [sec.gate for sec in s.venue.sectors] == ["gate_a", None]
    gate = s.venue.checkpoints[0]
    assert gate.lanes == 4
    assert gate.service == Distribution("exponential", 5.45)
    assert gate.secondary_service == Distribution("uniform", 30.0, low=20.0, high=40.0)
    link = {lk.id: lk for lk in s.venue.links}
    assert link["l_east"].kind == "stairs_up" and link["l_east"].two_way
    assert not link["l_exit"].two_way
    assert link["l_tram"].flow_cap_per_m_s is None
    assert s.ingress is not None and s.egress is not None
    assert s.ingress.kickoff_s == 75_600 and s.ingress.gates_open_s == 66_600
    assert s.ingress.profile.points[0] == (-150.0, 0.0)
    assert s.ingress.mode_split == (("tram", 0.6), ("car_park", 0.4))
    assert s.ingress.party_sizes == (0.4, 0.4, 0.2)
    assert s.egress.final_whistle_s == 82_200 and s.egress.destinations == ()
    assert s.sources == ()


def test_the_scenario_is_frozen() -> None:
    s = load_scenario(TINY)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.name = "changed"  # type: ignore[misc]


def test_unquoted_clock_times_are_clock_times_not_base_60() -> None:
    text = TINY.read_text(encoding="utf-8").replace('"21:00"', "21:00").replace('"18:00"', "18:00")
    s = load_scenario_text(text)
    assert s.settings.start_s == 18 * 3600
    assert s.ingress is not None and s.ingress.kickoff_s == 21 * 3600


def test_defaults_fill_optional_fields(tiny_doc: dict[str, Any]) -> None:
    tiny_doc["settings"] = {"start": "18:00", "end": "00:30"}
    del tiny_doc["ingress"]["party_sizes"], tiny_doc["ingress"]["route_choice"]
    s = load_scenario_text(yaml.safe_dump(tiny_doc))
    assert s.settings.pedestrian_model == "weidmann"
    assert s.settings.sample_interval_s == 60.0
    assert dict(s.settings.model_params) == {}
    assert s.ingress is not None and s.ingress.party_sizes == (1.0,)
    assert s.ingress.route_choice == "assigned"


def test_sources_xy_and_distribution_kinds(tiny_doc: dict[str, Any]) -> None:
    tiny_doc["sources"] = [
        {
            "id": "s1",
            "origin": "tram",
            "destination": "exit_south",
            "rate_per_s": 2.0,
            "start": "19:00",
            "end": 72000,
            "party_size": 2,
            "drop_when_full": True,
        }
    ]
    tiny_doc["venue"]["areas"][0]["xy"] = [10, -20.5]
    checkpoints = tiny_doc["venue"]["checkpoints"]
    checkpoints[0]["service"] = {"kind": "triangular", "low": 3, "mode": 5, "high": 10}
    checkpoints.append(
        {**checkpoints[0], "id": "gate_b", "service": {"kind": "lognormal", "mean": 6, "cv": 0.4}}
    )
    tiny_doc["venue"]["links"].append(
        {
            "id": "l_b",
            "source": "plaza",
            "target": "gate_b",
            "length_m": 5,
            "width_m": 2,
            "flow_cap_per_m_s": 1.3,
            "kind": "door",
            "two_way": False,
        }
    )
    s = load_scenario_text(yaml.safe_dump(tiny_doc))
    (src,) = s.sources
    assert (src.start_s, src.end_s, src.party_size, src.drop_when_full) == (68_400, 72_000, 2, True)
    assert s.venue.areas[0].xy == (10.0, -20.5)
    assert s.venue.checkpoints[0].service == Distribution("triangular", 6.0, 3.0, 10.0, 5.0)
    assert s.venue.checkpoints[1].service == Distribution("lognormal", 6.0, cv=0.4)
    assert s.venue.links[-1].flow_cap_per_m_s == 1.3


def test_the_bundled_stadium_is_valid_and_as_described() -> None:
    from simulator.cli import resolve_scenario

    path = resolve_scenario("stade_mohammed_v")
    assert validate_file(path) == []
    s = load_scenario(path)
    assert s.venue.seats == 45_000
    assert 16 <= len(s.venue.sectors) <= 24
    assert s.ingress is not None and s.egress is not None
    assert s.ingress.kickoff_s - s.ingress.gates_open_s == 4.5 * 3600
    modes = {o.mode for o in s.venue.origins}
    assert {"tram", "bus", "car", "walk"} <= modes
    kinds = {lk.kind for lk in s.venue.links}
    assert {"stairs_up", "stairs_down", "door", "walkway"} <= kinds


def test_yaml_paths_map_to_lines() -> None:
    from simulator.scenario.yaml_source import line_index, line_of

    lines = line_index(TINY.read_text(encoding="utf-8"))
    text = TINY.read_text(encoding="utf-8").splitlines()
    assert text[lines["venue.links[4]"] - 1].strip().startswith("- {id: l_east")
    assert "kickoff" in text[lines["ingress.kickoff"] - 1]
    # a missing key points at the item it is missing from
    assert line_of(lines, "venue.links[4].no_such_key") == lines["venue.links[4]"]
    assert line_of(lines, "(line 3, column 1)") is None
    assert line_index("a: [1,") == {}
