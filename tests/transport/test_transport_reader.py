"""Bad ``transport:`` and ``interventions:`` sections: every problem named by file and path."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from transport_venues import load, match_day

from simulator.errors import Problem
from simulator.scenario.loader import validate_text
from simulator.transport import bpr_travel_time
from simulator.whatif.variants import VariantError, load_variant, variant_scenario


def problems(doc: dict[str, Any]) -> list[Problem]:
    return validate_text(yaml.safe_dump(doc, sort_keys=False), source="day.yaml")


def paths(doc: dict[str, Any]) -> list[str]:
    return [p.path for p in problems(doc)]


def test_the_small_day_is_valid_and_read_in_full() -> None:
    sc = load(match_day())
    assert sc.transport is not None
    assert [ln.id for ln in sc.transport.lines] == ["tram", "shuttle"]
    assert sc.transport.lines[1].fleet == 6 and sc.transport.lines[1].road == "road"
    assert sc.transport.car_parks[0].spaces == 700
    assert sc.transport.roads[0].free_time_s == pytest.approx(3600 * 6 / 50)


def bad_line(**change: Any) -> dict[str, Any]:
    doc = match_day()
    line = doc["transport"]["lines"][1]
    for key, value in change.items():
        if value is None:
            line.pop(key, None)
        else:
            line[key] = value
    return doc


@pytest.mark.parametrize(
    ("change", "path", "expected"),
    [
        ({"speed": 3}, "transport.lines[1].speed", "one of the known keys"),
        ({"headway_s": None}, "transport.lines[1]", "exactly one of headway_s or timetable"),
        ({"timetable": ["22:55"]}, "transport.lines[1]", "exactly one of headway_s or timetable"),
        ({"capacity": 0}, "transport.lines[1].capacity", "at least 1"),
        ({"mode": "zeppelin"}, "transport.lines[1].mode", "one of tram, rail, high_speed, bus"),
        ({"platform": "nowhere"}, "transport.lines[1].platform", "an origin id"),
        ({"road": "motorway"}, "transport.lines[1].road", "a road id"),
        ({"mode": "tram"}, "transport.lines[1].road", "no road for a rail or tram line"),
        ({"fleet": 2.5}, "transport.lines[1].fleet", "an integer"),
        ({"service_start": "25:00"}, "transport.lines[1].service_start", "a clock time"),
        ({"id": "plaza"}, "transport.lines[1].id", "an id not used elsewhere"),
    ],
)
def test_bad_line_fields(change: dict[str, Any], path: str, expected: str) -> None:
    found = problems(bad_line(**change))
    assert [p.path for p in found] == [path]
    assert expected in found[0].expected
    assert found[0].file == "day.yaml"


def test_timetable_must_increase() -> None:
    doc = bad_line(headway_s=None, fleet=None, timetable=["23:00", "22:55"])
    found = problems(doc)
    assert [p.path for p in found] == ["transport.lines[1].timetable[1]"]
    assert found[0].expected == "times increasing"


def test_bad_car_park_and_road() -> None:
    doc = match_day()
    doc["transport"]["car_parks"][0].update(origin="tram_stop", exit_lanes=0)
    doc["transport"]["roads"][0]["capacity_veh_h"] = -5
    assert sorted(paths(doc)) == [
        "transport.car_parks[0].exit_lanes",
        "transport.roads[0].capacity_veh_h",
    ]
    doc = match_day()
    doc["transport"]["car_parks"][0]["origin"] = "tram_stop"  # already a platform
    found = problems(doc)
    assert [p.path for p in found] == ["transport.car_parks[0].origin"]
    assert "not also a platform" in found[0].expected


def lever_problems(lever: dict[str, Any]) -> list[Problem]:
    doc = copy.deepcopy(match_day())
    doc["interventions"] = [lever]
    return problems(doc)


@pytest.mark.parametrize(
    ("lever", "path", "expected"),
    [
        ({"id": "x", "kind": "hail", "start": "19:00"}, "interventions[0].kind", "one of"),
        ({"id": "x", "kind": "close_gate", "start": "19:00"}, "interventions[0].gate", "required"),
        (
            {"id": "x", "kind": "close_gate", "gate": "g9", "start": "19:00"},
            "interventions[0].gate",
            "a checkpoint id",
        ),
        (
            {"id": "x", "kind": "close_gate", "gate": "g1", "start": "19:00", "lanes": 3},
            "interventions[0].lanes",
            "one of the known keys",
        ),
        (
            {"id": "x", "kind": "weather", "speed_factor": 0, "start": "19:00"},
            "interventions[0].speed_factor",
            "greater than 0",
        ),
        (
            {"id": "x", "kind": "weather", "speed_factor": 0.8, "start": "20:00", "end": "19:00"},
            "interventions[0].end",
            "a time after start",
        ),
        (
            {"id": "x", "kind": "line_service", "line": "shuttle", "start": "19:00"},
            "interventions[0]",
            "at least one of headway_s, capacity, fleet",
        ),
        (
            {"id": "x", "kind": "line_service", "line": "tram", "fleet": 9, "start": "19:00"},
            "interventions[0].fleet",
            "no fleet change",
        ),
        (
            {"id": "x", "kind": "line_service", "line": "metro", "fleet": 9, "start": "19:00"},
            "interventions[0].line",
            "a line id",
        ),
        (
            {
                "id": "x",
                "kind": "release_delay",
                "sectors": ["s9"],
                "delay_min": 5,
                "start": "22:50",
            },
            "interventions[0].sectors[0]",
            "a sector id",
        ),
        (
            {"id": "x", "kind": "reassign_gate", "sectors": [], "gate": "g1", "start": "19:00"},
            "interventions[0].sectors",
            "a non-empty list of sector ids",
        ),
        (
            {"id": "x", "kind": "close_link", "link": "bridge", "start": "19:00"},
            "interventions[0].link",
            "a link id",
        ),
    ],
)
def test_bad_interventions(lever: dict[str, Any], path: str, expected: str) -> None:
    found = lever_problems(lever)
    assert [p.path for p in found] == [path]
    assert expected in found[0].expected


def test_duplicate_intervention_ids() -> None:
    doc = match_day()
    lever = {"id": "rain", "kind": "weather", "speed_factor": 0.9, "start": "19:00"}
    doc["interventions"] = [lever, dict(lever)]
    assert paths(doc) == ["interventions[1].id"]


def test_bad_variant_file_names_file_and_field(tmp_path: Path) -> None:
    scenario = tmp_path / "day.yaml"
    scenario.write_text(yaml.safe_dump(match_day(), sort_keys=False), encoding="utf-8")
    variant = tmp_path / "more_buses.yaml"
    variant.write_text(
        "name: more buses\npatch:\n  transport:\n    lines:\n      shuttle: {fleet: -3}\n",
        encoding="utf-8",
    )
    with pytest.raises(VariantError) as err:
        variant_scenario(scenario, load_variant(variant))
    (problem,) = err.value.problems
    assert problem.file == str(variant)
    assert problem.path == "patch.transport.lines.shuttle.fleet"
    assert "at least 1" in problem.expected


def test_bpr_travel_time() -> None:
    assert bpr_travel_time(600.0, 0.0, 1000.0) == 600.0
    assert bpr_travel_time(600.0, 1000.0, 1000.0) == pytest.approx(600.0 * 1.15)
    assert bpr_travel_time(600.0, 2000.0, 1000.0, alpha=0.15, beta=4) == pytest.approx(
        600.0 * (1 + 0.15 * 16)
    )
    with pytest.raises(ValueError, match="capacity"):
        bpr_travel_time(600.0, 10.0, 0.0)
    with pytest.raises(ValueError, match="volume"):
        bpr_travel_time(600.0, -1.0, 100.0)
