"""Hostile YAML and numbers: each is refused with a short message naming the file and the fix.

These are the shapes an independent fuzz run crashed or hung ``matchday validate`` with:
alias bombs, deep nesting, megabyte strings, 10^400, NaN clock times, ``!!python`` tags,
files cut short, runs too big to fit in memory, and fields the engine cannot run together.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from robust_mutations import TINY_PATH

from simulator.errors import Problem
from simulator.scenario.budget import check_budget
from simulator.scenario.loader import load_scenario, validate_file, validate_text


def _tiny() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(TINY_PATH.read_text(encoding="utf-8"))
    return doc


def _problems(doc: dict[str, Any]) -> list[Problem]:
    return validate_text(yaml.safe_dump(doc, sort_keys=False), source="t.yaml")


def _only(problems: list[Problem], path: str, words: str) -> None:
    assert problems, "expected a problem"
    assert any(p.path == path and words in f"{p.expected} {p.found}" for p in problems), problems
    assert all(len(str(p)) < 600 for p in problems)


def test_a_billion_laughs_is_refused_quickly_without_expanding() -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    start = time.perf_counter()
    problems = validate_text("\n".join(lines) + "\n", source="bomb.yaml")
    assert time.perf_counter() - start < 2.0
    _only(problems, "(line 1, column 1)", "aliases")


@pytest.mark.parametrize("nested", ["[" * 20_000 + "]" * 20_000, "{a: " * 500 + "1" + "}" * 500])
def test_deep_nesting_is_refused_not_a_recursion_error(nested: str) -> None:
    problems = validate_text(f"name: x\nextra: {nested}\n", source="deep.yaml")
    assert len(problems) == 1 and "nesting deeper than" in problems[0].found


def test_a_megabyte_string_is_refused_and_not_echoed() -> None:
    doc = _tiny()
    doc["venue"]["sectors"][0]["id"] = "x" * 1_000_000
    problems = _problems(doc)
    assert len(problems) == 1 and "limited to 10,000 characters" in problems[0].found
    assert len(str(problems[0])) < 400


def test_an_oversized_document_is_refused_before_parsing() -> None:
    problems = validate_text("name: x\n" + "# pad\n" * 500_000, source="big.yaml")
    assert (
        problems[0].path == "(whole file)"
        and "at most 2,000,000 characters" in problems[0].expected
    )


@pytest.mark.parametrize(
    "tag",
    ["!!python/object/apply:os.system ['echo owned']", "!!python/name:os.system", "!custom x"],
)
def test_tags_are_refused(tag: str) -> None:
    problems = validate_text(f"name: {tag}\n", source="tag.yaml")
    assert len(problems) == 1 and "only plain YAML is read" in problems[0].found


@pytest.mark.parametrize(
    ("where", "value", "path"),
    [
        (("venue", "sectors", 0, "seats"), 10**400, "venue.sectors[0].seats"),
        (("venue", "links", 0, "length_m"), float("nan"), "venue.links[0].length_m"),
        (("venue", "links", 0, "width_m"), float("inf"), "venue.links[0].width_m"),
        (("venue", "checkpoints", 0, "lanes"), 10**18, "venue.checkpoints[0].lanes"),
        (("settings", "start"), float("nan"), "settings.start"),
        (("ingress", "kickoff"), 10**400, "ingress.kickoff"),
        (("egress", "final_whistle"), float("inf"), "egress.final_whistle"),
        (("ingress", "mode_split", "tram"), float("nan"), "ingress.mode_split.tram"),
        (("ingress", "attendance"), 10**400, "ingress.attendance"),
    ],
)
def test_nan_inf_and_huge_numbers_name_their_field(
    where: tuple[Any, ...], value: object, path: str
) -> None:
    doc = _tiny()
    target = doc
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    problems = _problems(doc)
    assert any(p.path == path for p in problems), problems
    assert all(len(str(p)) < 600 for p in problems)


def test_nan_and_huge_profile_points_are_refused() -> None:
    doc = _tiny()
    doc["ingress"]["profile"][1] = [float("nan"), 0.3]
    doc["egress"]["release_profile"][1] = [10**400, 0.6]
    problems = _problems(doc)
    assert {"ingress.profile[1]", "egress.release_profile[1]"} <= {p.path for p in problems}


def test_a_file_cut_short_is_refused(tmp_path: Path) -> None:
    text = TINY_PATH.read_text(encoding="utf-8")
    cut = tmp_path / "cut.yaml"
    cut.write_text(text[: text.index("egress:") + 3], encoding="utf-8")
    problems = validate_file(cut)
    assert problems and problems[0].path == "(whole file)"
    assert "cut short" in problems[0].found


def test_ten_million_seats_are_refused_with_the_figure_and_the_override(tmp_path: Path) -> None:
    doc = _tiny()
    doc["venue"]["sectors"][0]["seats"] = 10_000_000
    path = tmp_path / "huge.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    scenario = load_scenario(path)  # well-formed ...
    problems = check_budget(scenario)  # ... but too big to run
    assert problems[0].path.startswith("venue.sectors")
    assert "needs about 18" in problems[0].found and "--max-memory-gb" in problems[0].expected
    assert check_budget(scenario, max_memory_gb=100, max_minutes=1e6) == []


def test_a_walkway_of_100_km_is_refused_by_the_budget(tmp_path: Path) -> None:
    doc = _tiny()
    doc["venue"]["links"][0]["length_m"] = 1e8
    scenario = load_scenario(_write(tmp_path, doc))
    assert check_budget(scenario)[0].path == "venue.links[0]"


def test_a_sample_every_nanosecond_is_refused_by_the_budget(tmp_path: Path) -> None:
    doc = _tiny()
    doc["settings"]["sample_interval_s"] = 1e-9
    scenario = load_scenario(_write(tmp_path, doc))
    assert check_budget(scenario)[0].path == "settings.sample_interval_s"


def test_a_party_bigger_than_a_walkway_holds_is_refused() -> None:
    doc = _tiny()
    doc["ingress"]["party_sizes"] = [0.0] * 19 + [1.0]
    doc["venue"]["links"][4]["width_m"] = 0.01  # holds 1 person: the engine could not seat 20
    _only(_problems(doc), "venue.links[4].width_m", "so a party of 20 fits")


def test_a_floor_area_of_1e_300_is_refused() -> None:
    doc = _tiny()
    doc["venue"]["areas"][1]["area_m2"] = 1e-300
    _only(_problems(doc), "venue.areas[1].area_m2", "1e-300 m²")


def _write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path
