"""Every kind of bad input is reported with the file, the YAML path, what was expected and found.

Each case starts from the valid tiny scenario, breaks one thing, and checks the loader names
that exact place; the fixture files under tests/data/scenarios cover what a dict cannot hold
(YAML syntax, repeated keys) and several mistakes at once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from scenario_helpers import DATA, paths

from simulator.errors import Problem, ScenarioError
from simulator.scenario.loader import load_scenario, load_scenario_text, validate_file

Doc = dict[str, Any]
Check = Callable[[Doc], list[Problem]]


def _link(doc: Doc, link_id: str) -> dict[str, Any]:
    return next(lk for lk in doc["venue"]["links"] if lk["id"] == link_id)


def _set(path: str, value: object) -> Callable[[Doc], None]:
    """A change that sets one dotted field (list items by index) of the document."""

    def change(doc: Doc) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return change


def _drop(path: str) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        del node[last]

    return change


# (change, YAML path the problem must name, text that must appear in expected or found)
CASES: dict[str, tuple[Callable[[Doc], None], str, str]] = {
    "unknown top-level key": (_set("kick_off", "21:00"), "kick_off", "unknown key"),
    "unknown key suggests the closest": (
        _set("venue.links.0.widht_m", 3),
        "venue.links[0].widht_m",
        "did you mean 'width_m'",
    ),
    "missing required field": (
        _drop("venue.areas.0.area_m2"),
        "venue.areas[0].area_m2",
        "required",
    ),
    "missing settings": (_drop("settings"), "settings", "required"),
    "wrong type: text for a number": (
        _set("venue.links.0.length_m", "long"),
        "venue.links[0].length_m",
        "a number",
    ),
    "wrong type: bool for a number": (
        _set("venue.checkpoints.0.lanes", True),
        "venue.checkpoints[0].lanes",
        "an integer",
    ),
    "wrong type: list for a mapping": (_set("venue", []), "venue", "a mapping"),
    "fractional lanes": (
        _set("venue.checkpoints.0.lanes", 2.5),
        "venue.checkpoints[0].lanes",
        "an integer",
    ),
    "zero width": (_set("venue.links.1.width_m", 0), "venue.links[1].width_m", "greater than 0"),
    "negative length": (
        _set("venue.links.1.length_m", -5),
        "venue.links[1].length_m",
        "greater than 0",
    ),
    "zero area": (_set("venue.areas.1.area_m2", 0), "venue.areas[1].area_m2", "greater than 0"),
    "negative queue area": (
        _set("venue.checkpoints.0.queue_area_m2", -1),
        "venue.checkpoints[0].queue_area_m2",
        "greater than 0",
    ),
    "zero lanes": (
        _set("venue.checkpoints.0.lanes", 0),
        "venue.checkpoints[0].lanes",
        "at least 1",
    ),
    "zero seats": (_set("venue.sectors.0.seats", 0), "venue.sectors[0].seats", "at least 1"),
    "unknown origin mode": (
        _set("venue.origins.0.mode", "tramway"),
        "venue.origins[0].mode",
        "did you mean 'tram'",
    ),
    "unknown link kind": (_set("venue.links.0.kind", "stairs"), "venue.links[0].kind", "stairs_up"),
    "unknown distribution kind": (
        _set("venue.checkpoints.0.service", {"kind": "poisson", "mean": 5}),
        "venue.checkpoints[0].service.kind",
        "exponential",
    ),
    "uniform mean that contradicts its bounds": (
        _set("venue.checkpoints.0.secondary_service.mean", 25),
        "venue.checkpoints[0].secondary_service.mean",
        "30",
    ),
    "uniform with high below low": (
        _set("venue.checkpoints.0.secondary_service", {"kind": "uniform", "low": 40, "high": 20}),
        "venue.checkpoints[0].secondary_service.high",
        "high above low",
    ),
    "parameter a distribution does not take": (
        _set("venue.checkpoints.0.service", {"kind": "exponential", "mean": 5, "cv": 1}),
        "venue.checkpoints[0].service.cv",
        "unknown key",
    ),
    "secondary share without a service": (
        _drop("venue.checkpoints.0.secondary_service"),
        "venue.checkpoints[0].secondary_service",
        "secondary_share",
    ),
    "secondary share above 1": (
        _set("venue.checkpoints.0.secondary_share", 1.5),
        "venue.checkpoints[0].secondary_share",
        "at most 1",
    ),
    "duplicate node id": (
        _set("venue.areas.1.id", "plaza"),
        "venue.areas[1].id",
        "already used at venue.areas[0].id",
    ),
    "id shared by an area and a sector": (
        _set("venue.sectors.1.id", "plaza"),
        "venue.sectors[1].id",
        "already used at venue.areas[0].id",
    ),
    "duplicate link id": (_set("venue.links.1.id", "l_tram"), "venue.links[1].id", "already used"),
    "link to an unknown node": (
        _set("venue.links.0.target", "plaza_north"),
        "venue.links[0].target",
        "unknown 'plaza_north'",
    ),
    "link from a node to itself": (
        _set("venue.links.0.target", "tram"),
        "venue.links[0].target",
        "other than the source",
    ),
    "sector gate that is not a checkpoint": (
        _set("venue.sectors.0.gate", "plaza"),
        "venue.sectors[0].gate",
        "a checkpoint id",
    ),
    "mode split not summing to 1": (
        _set("ingress.mode_split.tram", 0.5),
        "ingress.mode_split",
        "summing to 0.9",
    ),
    "mode split naming an area": (
        _set("ingress.mode_split", {"tram": 0.6, "plaza": 0.4}),
        "ingress.mode_split.plaza",
        "an origin id",
    ),
    "party sizes not summing to 1": (
        _set("ingress.party_sizes", [0.5, 0.4]),
        "ingress.party_sizes",
        "summing to 0.9",
    ),
    "attendance above 1": (_set("ingress.attendance", 1.2), "ingress.attendance", "at most 1"),
    "egress destinations not summing to 1": (
        _set("egress.destinations", {"tram": 0.5, "exit_south": 0.4}),
        "egress.destinations",
        "summing to 0.9",
    ),
    "egress destination that is an area": (
        _set("egress.destinations", {"plaza": 1.0}),
        "egress.destinations.plaza",
        "an origin or exit id",
    ),
    "profile minutes not increasing": (
        _set("ingress.profile", [[-150, 0.0], [-60, 0.3], [-60, 0.9], [10, 1.0]]),
        "ingress.profile[2]",
        "minutes increasing",
    ),
    "profile share falling": (
        _set("ingress.profile", [[-150, 0.0], [-60, 0.5], [-15, 0.4], [10, 1.0]]),
        "ingress.profile[2]",
        "not falling",
    ),
    "profile not ending at 1": (
        _set("ingress.profile", [[-150, 0.0], [-60, 0.3], [10, 0.98]]),
        "ingress.profile[2]",
        "ending at share 1",
    ),
    "profile not starting at 0": (
        _set("ingress.profile", [[-150, 0.1], [10, 1.0]]),
        "ingress.profile[0]",
        "starting at share 0",
    ),
    "profile point not a pair": (
        _set("ingress.profile", [[-150, 0.0], [10]]),
        "ingress.profile[1]",
        "a pair",
    ),
    "release profile not ending at 1": (
        _set("egress.release_profile", [[0, 0.0], [25, 0.9]]),
        "egress.release_profile[1]",
        "ending at share 1",
    ),
    "kick-off before gates open": (
        _set("ingress.gates_open", "21:30"),
        "ingress.kickoff",
        "at or after gates_open",
    ),
    "bad clock time": (_set("ingress.kickoff", "9pm"), "ingress.kickoff", "HH:MM"),
    "end before start": (_set("settings.end", 3600), "settings.end", "a time after start"),
    "final whistle before kick-off": (
        _set("egress.final_whistle", "20:00"),
        "egress.final_whistle",
        "after kick-off",
    ),
    "final whistle after the run ends": (
        _set("egress.final_whistle", "01:00"),
        "egress.final_whistle",
        "inside settings",
    ),
    "unknown pedestrian model": (
        _set("settings.pedestrian_model", "wiedmann"),
        "settings.pedestrian_model",
        "weidmann",
    ),
    "model parameter the model refuses": (
        _set("settings.pedestrian_model", "exponential"),
        "",
        "",
    ),  # valid: replaced below
    "unknown flow caps": (
        _set("settings.flow_caps", "greenguide"),
        "settings.flow_caps",
        "did you mean 'green_guide'",
    ),
    "zero sample interval": (
        _set("settings.sample_interval_s", 0),
        "settings.sample_interval_s",
        "greater than 0",
    ),
    "source to an unknown node": (
        _set(
            "sources",
            [
                {
                    "id": "s",
                    "origin": "tram",
                    "destination": "nowhere",
                    "rate_per_s": 1,
                    "start": 0,
                    "end": 60,
                }
            ],
        ),
        "sources[0].destination",
        "unknown 'nowhere'",
    ),
    "source with zero rate": (
        _set(
            "sources",
            [
                {
                    "id": "s",
                    "origin": "tram",
                    "destination": "east",
                    "rate_per_s": 0,
                    "start": 0,
                    "end": 60,
                }
            ],
        ),
        "sources[0].rate_per_s",
        "greater than 0",
    ),
    "links not a list": (_set("venue.links", {"l1": 1}), "venue.links", "a list"),
    "profile not a list": (_set("ingress.profile", "early"), "ingress.profile", "at least two"),
    "bad map position": (_set("venue.areas.0.xy", [1, "north"]), "venue.areas[0].xy", "[x, y]"),
}
del CASES["model parameter the model refuses"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_bad_input_is_named(case: str, tiny_doc: Doc, problems_of: Check) -> None:
    change, path, text = CASES[case]
    change(tiny_doc)
    problems = problems_of(tiny_doc)
    assert path in paths(problems), f"{case}: {[str(p) for p in problems]}"
    hit = next(p for p in problems if p.path == path)
    assert text in hit.expected + " " + hit.found, str(hit)
    assert hit.file == "test.yaml"


def test_model_parameters_are_checked_by_the_model(tiny_doc: Doc, problems_of: Check) -> None:
    tiny_doc["settings"]["model_params"] = {"v0": -1.0, "no_such_param": 2.0}
    problems = problems_of(tiny_doc)
    assert "settings.model_params" in paths(problems)


def test_a_sector_no_origin_can_reach(tiny_doc: Doc, problems_of: Check) -> None:
    _link(tiny_doc, "l_west")["source"] = "island"  # a stand behind an area nothing leads to
    tiny_doc["venue"]["areas"].append({"id": "island", "area_m2": 100})
    problems = problems_of(tiny_doc)
    assert paths(problems) == ["venue.sectors[1]", "venue.sectors[1]"]
    ingress, egress = problems
    assert "through a checkpoint" in ingress.expected
    assert ingress.found == "no route from tram, car_park to 'west'"
    assert "after the match" in egress.expected


def test_a_sector_reachable_without_a_checkpoint(tiny_doc: Doc, problems_of: Check) -> None:
    # The west stand, which has no assigned gate, can be walked into from the plaza directly.
    _link(tiny_doc, "l_west")["source"] = "side_area"
    tiny_doc["venue"]["areas"].append({"id": "side_area", "area_m2": 100})
    tiny_doc["venue"]["links"].append(
        {"id": "l_side", "source": "plaza", "target": "side_area", "length_m": 5, "width_m": 2}
    )
    problems = problems_of(tiny_doc)
    assert paths(problems) == ["venue.sectors[1]"]
    assert "passes no checkpoint" in problems[0].found
    tiny_doc["venue"]["sectors"][1]["gate"] = "gate_a"  # an assigned gate pins the route
    assert problems_of(tiny_doc) == []


def test_an_assigned_gate_that_cannot_reach_its_sector(tiny_doc: Doc, problems_of: Check) -> None:
    checkpoints = tiny_doc["venue"]["checkpoints"]
    checkpoints.append({**checkpoints[0], "id": "gate_b"})
    tiny_doc["venue"]["links"].append(
        {
            "id": "l_b",
            "source": "plaza",
            "target": "gate_b",
            "length_m": 5,
            "width_m": 2,
            "two_way": False,
        }
    )
    tiny_doc["venue"]["sectors"][0]["gate"] = "gate_b"  # gate_b is a dead end
    problems = problems_of(tiny_doc)
    assert paths(problems) == ["venue.sectors[0].gate"]
    assert "no route from 'gate_b'" in problems[0].found


def test_a_sector_with_no_way_out_after_the_match(tiny_doc: Doc, problems_of: Check) -> None:
    _link(tiny_doc, "l_east")["two_way"] = False  # fans can get in, never back out
    problems = problems_of(tiny_doc)
    assert paths(problems) == ["venue.sectors[0]"]
    assert "after the match" in problems[0].expected
    assert "tram" in problems[0].found


def test_an_origin_that_cannot_reach_any_gate(tiny_doc: Doc, problems_of: Check) -> None:
    _link(tiny_doc, "l_car")["two_way"] = False
    _link(tiny_doc, "l_car")["source"], _link(tiny_doc, "l_car")["target"] = "plaza", "car_park"
    problems = problems_of(tiny_doc)
    assert set(paths(problems)) == {"venue.sectors[0]", "venue.sectors[1]"}
    assert [p.found for p in problems] == [
        "no route from car_park to 'east'",
        "no route from car_park to 'west'",
    ]


def test_yaml_syntax_error_names_the_line() -> None:
    problems = validate_file(DATA / "bad_syntax.yaml")
    assert len(problems) == 1
    assert problems[0].path.startswith("(line 7, column")
    assert problems[0].expected == "valid YAML"


def test_repeated_key_is_an_error_not_silently_overwritten() -> None:
    (problem,) = validate_file(DATA / "bad_duplicate_key.yaml")
    assert problem.path.startswith("(line 11,")
    assert "duplicate key 'lanes'" in problem.found and "line 8" in problem.found


def test_every_problem_is_listed_at_once() -> None:
    problems = validate_file(DATA / "bad_many_problems.yaml")
    assert {p.file for p in problems} == {str(DATA / "bad_many_problems.yaml")}
    assert set(paths(problems)) == {
        "settings.pedestrian_model",
        "venue.areas[0].area_m2",
        "venue.checkpoints[0].lanes",
        "venue.links[0].widht_m",
        "venue.links[0].width_m",
        "venue.links[1].length_m",
        "venue.links[2].target",  # index in the file, although links[0] could not be read
        "ingress.profile[2]",
        "ingress.mode_split",
        "ingress.kickoff",
    }


def test_unreachable_fixture_reports_both_sectors() -> None:
    problems = validate_file(DATA / "bad_unreachable.yaml")
    assert paths(problems) == ["venue.sectors[1]", "venue.sectors[2]"]


def test_missing_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    (problem,) = validate_file(missing)
    assert problem.file == str(missing) and problem.found == "no such file"
    with pytest.raises(ScenarioError) as err:
        load_scenario(missing)
    assert "nope.yaml" in str(err.value)


@pytest.mark.parametrize("text", ["", "just a string", "- a\n- list\n"])
def test_a_document_that_is_not_a_mapping(text: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(text, source="x.yaml")
    assert err.value.problems[0].path == "(top level)"
    assert err.value.problems[0].file == "x.yaml"


def test_venue_checks_still_run_when_settings_are_broken(tiny_doc: Doc, problems_of: Check) -> None:
    del tiny_doc["settings"]
    _link(tiny_doc, "l_tram")["target"] = "nowhere"
    problems = problems_of(tiny_doc)
    assert paths(problems) == ["settings", "venue.links[0].target"]
