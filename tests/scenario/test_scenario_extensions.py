"""``transport:`` and ``interventions:`` are read by their own readers through the loader."""

from __future__ import annotations

import yaml
from scenario_helpers import TINY

from simulator.scenario.loader import SECTIONS, load_scenario_text, validate_text


def _with_levers(*levers: dict) -> str:
    doc = yaml.safe_load(TINY.read_text(encoding="utf-8"))
    doc["interventions"] = list(levers)
    return yaml.safe_dump(doc)


RAIN = {"id": "rain", "kind": "weather", "start": "19:00", "end": "20:00", "speed_factor": 0.85}


def test_both_sections_are_known_to_the_loader() -> None:
    assert list(SECTIONS) == ["transport", "interventions"]


def test_a_lever_on_an_unknown_gate_is_reported_by_yaml_path() -> None:
    shut = {"id": "shut", "kind": "close_gate", "gate": "no_gate", "start": "19:00"}
    problems = validate_text(_with_levers(RAIN, shut), source="x.yaml")
    assert [p.path for p in problems] == ["interventions[1].gate"]
    assert problems[0].file == "x.yaml"


def test_valid_levers_reach_the_scenario() -> None:
    scenario = load_scenario_text(_with_levers(RAIN))
    assert [lever.id for lever in scenario.interventions] == ["rain"]
