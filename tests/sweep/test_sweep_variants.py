"""Variant files: the patch forms, and every bad-input path naming the file and the field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from sweep_helpers import TINY, VARIANTS

from simulator.errors import Problem
from simulator.scenario.loader import load_scenario
from simulator.whatif.variants import (
    BASELINE,
    VariantError,
    apply_patch,
    load_variant,
    parse_variant_text,
    read_document,
    variant_scenario,
)

DOC: dict[str, Any] = {
    "venue": {
        "checkpoints": [{"id": "g1", "lanes": 4}, {"id": "g2", "lanes": 6}],
        "links": [{"id": "a", "width_m": 3}, {"id": "b", "width_m": 4}],
    },
    "ingress": {"profile": [[-60, 0.0], [0, 1.0]], "attendance": 0.9},
}


def problems(err: pytest.ExceptionInfo[VariantError]) -> list[Problem]:
    return err.value.problems


def test_patch_changes_removes_and_adds_items_by_id() -> None:
    patch = {
        "venue": {
            "checkpoints": {"g2": {"lanes": 8}},
            "links": {"a": None, "+c": {"width_m": 5}},
        },
        "ingress": {"profile": [[-30, 0.0], [0, 1.0]]},
    }
    original = copy.deepcopy(DOC)
    merged, written = apply_patch(DOC, patch, file="v.yaml")
    assert original == DOC  # the scenario document is never touched
    assert merged["venue"]["checkpoints"] == [{"id": "g1", "lanes": 4}, {"id": "g2", "lanes": 8}]
    assert merged["venue"]["links"] == [{"id": "b", "width_m": 4}, {"id": "c", "width_m": 5}]
    assert merged["ingress"] == {"profile": [[-30, 0.0], [0, 1.0]], "attendance": 0.9}
    # loader paths -> patch paths, at the indexes after removal
    assert written["venue.checkpoints[1].lanes"] == ("patch.venue.checkpoints.g2.lanes", True)
    assert written["venue.links[1]"] == ("patch.venue.links.+c", True)
    assert written["venue"] == ("patch.venue", False)


@pytest.mark.parametrize(
    ("patch", "path", "expected"),
    [
        ({"venue": {"checkpoints": {"g9": {"lanes": 2}}}}, "patch.venue.checkpoints.g9", "g1, g2"),
        ({"venue": {"links": {"+b": {"width_m": 1}}}}, "patch.venue.links.+b", "new id"),
        ({"venue": {"links": {"+d": 3}}}, "patch.venue.links.+d", "new item's fields"),
        ({"venue": {"links": {"a": 3}}}, "patch.venue.links.a", "null to remove"),
        ({"venue": {"links": {"a": {"id": "z"}}}}, "patch.venue.links.a.id", "cannot be renamed"),
        ({"ingress": {"profile": {"x": 1}}}, "patch.ingress.profile", "a list"),
    ],
)
def test_patch_problems_name_file_and_patch_path(
    patch: dict[str, Any], path: str, expected: str
) -> None:
    with pytest.raises(VariantError) as err:
        apply_patch(DOC, patch, file="v.yaml")
    [problem] = problems(err)
    assert (problem.file, problem.path) == ("v.yaml", path)
    assert expected in problem.expected


def test_every_patch_problem_is_reported_at_once() -> None:
    patch = {"venue": {"checkpoints": {"x": {}, "y": {}}, "links": {"+a": {}}}}
    with pytest.raises(VariantError) as err:
        apply_patch(DOC, patch, file="v.yaml")
    assert len(problems(err)) == 3
    assert "3 problem(s) in variant" in str(err.value)


def test_load_variant_reads_name_description_patch() -> None:
    variant = load_variant(VARIANTS / "tiny_more_lanes.yaml")
    assert variant.name == "more lanes"
    assert variant.description == "gate_a with 8 lanes instead of 4"
    assert variant.patch == {"venue": {"checkpoints": {"gate_a": {"lanes": 8}}}}
    assert variant.source_path.endswith("tiny_more_lanes.yaml")


def test_bad_top_level_lists_every_problem() -> None:
    path = VARIANTS / "bad_top_level.yaml"
    with pytest.raises(VariantError) as err:
        load_variant(path)
    found = {(p.file, p.path) for p in problems(err)}
    assert found == {(str(path), "patches"), (str(path), "name")}
    unknown = next(p for p in problems(err) if p.path == "patches")
    assert "did you mean 'patch'" in unknown.expected


@pytest.mark.parametrize(
    ("text", "path", "expected"),
    [
        ("name: baseline\n", "name", "reserved"),
        ("name: x\npatch: [1, 2]\n", "patch", "a mapping"),
        ("name: ''\n", "name", "non-empty string"),
        ("name: x\nname: y\n", "(line 2, column 1)", "valid YAML"),
        ("- just a list\n", "(top level)", "a mapping"),
    ],
)
def test_bad_variant_text(text: str, path: str, expected: str) -> None:
    with pytest.raises(VariantError) as err:
        parse_variant_text(text, source="bad.yaml")
    assert any(
        p.file == "bad.yaml" and p.path == path and expected in p.expected for p in problems(err)
    ), problems(err)


def test_missing_variant_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(VariantError) as err:
        load_variant(tmp_path / "nope.yaml")
    [problem] = problems(err)
    assert problem.file == str(tmp_path / "nope.yaml") and problem.expected == "a readable file"


def test_variant_scenario_applies_the_patch_through_the_loader() -> None:
    base = load_scenario(TINY)
    more = variant_scenario(TINY, load_variant(VARIANTS / "tiny_more_lanes.yaml"))
    assert [c.lanes for c in base.venue.checkpoints] == [4]
    assert [c.lanes for c in more.venue.checkpoints] == [8]
    assert more.venue.links == base.venue.links and more.ingress == base.ingress
    assert more.source_path == str(TINY)
    assert variant_scenario(TINY, BASELINE) == base


def test_full_house_uses_every_patch_form() -> None:
    base = load_scenario(TINY)
    full = variant_scenario(TINY, load_variant(VARIANTS / "tiny_full_house.yaml"))
    assert full.ingress is not None and full.ingress.attendance == 1.0
    links = {link.id: link for link in full.venue.links}
    assert links["l_gate_in"].width_m == 12 and links["l_gate_in_2"].length_m == 25
    assert len(full.venue.links) == len(base.venue.links) + 1
    assert full.egress is not None and full.egress.release_profile.points[-1] == (15.0, 1.0)


@pytest.mark.parametrize(
    ("name", "path", "expected"),
    [
        ("bad_unknown_id.yaml", "patch.venue.checkpoints.gate_z", "gate_a"),
        ("bad_unknown_key.yaml", "patch.venue.checkpoints.gate_a.lanez", "known keys"),
        ("bad_wrong_type.yaml", "patch.venue.checkpoints.gate_a.lanes", "integer"),
    ],
)
def test_bad_variant_is_blamed_on_the_variant_file(name: str, path: str, expected: str) -> None:
    variant_path = VARIANTS / name
    with pytest.raises(VariantError) as err:
        variant_scenario(TINY, load_variant(variant_path))
    assert any(
        p.file == str(variant_path) and p.path == path and expected in p.expected
        for p in problems(err)
    ), problems(err)


def test_patch_that_breaks_the_scenario_names_scenario_and_variant() -> None:
    variant_path = VARIANTS / "bad_breaks_scenario.yaml"
    with pytest.raises(VariantError) as err:
        variant_scenario(TINY, load_variant(variant_path))
    found = problems(err)
    assert found, "removing the only gate must make the scenario invalid"
    for p in found:
        assert str(TINY) in p.file and str(variant_path) in p.file
    assert any(p.path.startswith("venue.sectors[0]") for p in found), found


def test_times_survive_the_round_trip() -> None:
    """Clock strings like 16:30 must not turn into base-60 integers on the way to the loader."""
    variant = parse_variant_text(
        "name: early\npatch: {ingress: {gates_open: '18:15'}}\n", source="early.yaml"
    )
    scenario = variant_scenario(TINY, variant)
    assert scenario.ingress is not None and scenario.ingress.gates_open_s == 18.25 * 3600
    assert scenario.settings.start_s == load_scenario(TINY).settings.start_s
    assert read_document(TINY)["settings"]["start"] == "18:00"


BUNDLED = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.mark.parametrize(
    "path", sorted((BUNDLED / "variants").glob("smv_*.yaml")), ids=lambda p: p.name
)
def test_bundled_stade_mohammed_v_variants_are_valid(path: Path) -> None:
    variant = load_variant(path)
    scenario = variant_scenario(BUNDLED / "stade_mohammed_v.yaml", variant)
    assert scenario != load_scenario(BUNDLED / "stade_mohammed_v.yaml")
    assert variant.description
