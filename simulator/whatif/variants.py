"""Variant files: a named overlay on a scenario's YAML, so a planner states only what changes.

A variant file holds ``name``, an optional ``description`` and ``patch``, a deep merge onto the
scenario document. Mappings merge key by key; lists whose items carry an ``id`` (origins, areas,
checkpoints, sectors, exits, links, sources) are addressed by id::

    name: gate 3 with 16 lanes
    patch:
      venue:
        checkpoints:
          gate_3: {lanes: 16}             # change fields of the item with id gate_3
          gate_7: ~                       # remove the item with id gate_7
        links:
          +l_bypass: {source: plaza_n, target: gate_2, length_m: 40, width_m: 6}   # add l_bypass
      ingress: {attendance: 1.0}
      settings: {flow_caps: green_guide}

Any other value (a number, a string, a plain list such as ``ingress.profile``) replaces what is
there. The patch is applied to the parsed YAML *before* loading, so the result passes through
the scenario loader's full validation; a problem the patch caused is reported against the
variant file and the patch path (``patch.venue.checkpoints.gate_3.lanes``), one it did not
cause against the scenario file with the variant named.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

import yaml

from simulator.errors import Problem, ScenarioError
from simulator.scenario.fields import FieldReader, describe, join
from simulator.scenario.model import Scenario
from simulator.scenario.yaml_source import parse_yaml

BASELINE_NAME = "baseline"
ADD_PREFIX = "+"


class VariantError(ScenarioError):
    """A variant file is invalid or makes its scenario invalid; ``problems`` lists them all."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        self.args = (f"{len(self.problems)} problem(s) in variant:\n{lines}",)


@dataclass(frozen=True)
class Variant:
    """One option a planner wants to compare; the baseline is the variant with an empty patch."""

    name: str
    description: str = ""
    patch: Mapping[str, Any] = field(default_factory=dict)
    source_path: str = ""


BASELINE = Variant(BASELINE_NAME, "the scenario as written")


def parse_variant_text(text: str, *, source: str = "<string>") -> Variant:
    """Parse and check a variant document (its shape; the patch is checked when applied)."""
    data, problems = parse_yaml(text, source=source)
    if problems:
        raise VariantError(problems)
    reader = FieldReader(source)
    top = reader.mapping(data, "", required=("name",), optional=("description", "patch"))
    if top is None:
        raise VariantError(reader.problems)
    name = reader.string(top, "name", "")
    description = reader.string(top, "description", "", default="")
    patch = top.get("patch", {})
    if not isinstance(patch, Mapping):
        reader.problem(
            "patch", "a mapping overlaying the scenario (patch: {venue: ...})", describe(patch)
        )
    if name is not None and name.strip().lower() == BASELINE_NAME:
        reader.problem("name", f"a name other than {BASELINE_NAME!r} (reserved)", repr(name))
    if reader.problems or name is None:
        raise VariantError(reader.problems)
    return Variant(name.strip(), (description or "").strip(), dict(patch), source)


def load_variant(path: str | Path) -> Variant:
    """Read a variant file; a missing file is a VariantError naming it, like any other problem."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise VariantError(
            [Problem(str(path), "(whole file)", "a readable file", str(err))]
        ) from err
    return parse_variant_text(text, source=str(path))


def read_document(path: str | Path) -> dict[str, Any]:
    """The scenario file as parsed YAML, the document a patch applies to."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ScenarioError(
            [Problem(str(path), "(whole file)", "a readable file", str(err))]
        ) from err
    data, problems = parse_yaml(text, source=str(path))
    if problems:
        raise ScenarioError(problems)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(str(path), "(top level)", "a mapping", describe(data))])
    return data


def _is_id_list(value: object) -> TypeGuard[list[Any]]:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, Mapping) and "id" in item for item in value)
    )


class _Merger:
    """Applies one patch in place, collecting every problem with the patch path it sits at."""

    def __init__(self, file: str) -> None:
        self.reader = FieldReader(file)

    def merge(self, doc: dict[str, Any], patch: Mapping[str, Any], ppath: str) -> None:
        for key, value in patch.items():
            key_ppath = f"{ppath}.{key}"
            current = doc.get(key)
            if isinstance(value, Mapping) and isinstance(current, dict):
                self.merge(current, value, key_ppath)
            elif isinstance(value, Mapping) and _is_id_list(current):
                doc[key] = self.merge_list(current, value, key_ppath)
            elif isinstance(value, Mapping) and isinstance(current, list):
                self.reader.problem(key_ppath, "a list (this list has no ids)", "a mapping")
            else:
                doc[key] = copy.deepcopy(value)

    def merge_list(self, items: list[Any], patch: Mapping[str, Any], ppath: str) -> list[Any]:
        """Patch a list of items with ids: change, remove (null) or add (+id) by id."""
        by_id = {str(item["id"]): item for item in items}
        removed: set[str] = set()
        added: list[dict[str, Any]] = []
        for raw_key, value in patch.items():
            key, where = str(raw_key), f"{ppath}.{raw_key}"
            if key.startswith(ADD_PREFIX):
                item = self._new_item(key[len(ADD_PREFIX) :], value, by_id, where)
                if item is not None:
                    added.append(item)
            elif key not in by_id:
                known = ", ".join(sorted(by_id))
                expected = f"the id of an existing item ({known}), or +id to add one"
                self.reader.problem(where, expected, f"unknown id {key!r}")
            elif value is None:
                removed.add(key)
            elif not isinstance(value, Mapping):
                expected = "a mapping of fields to change, or null to remove the item"
                self.reader.problem(where, expected, describe(value))
            elif "id" in value and str(value["id"]) != key:
                expected = f"{key!r} or no id (an item cannot be renamed)"
                self.reader.problem(f"{where}.id", expected, describe(value["id"]))
            else:
                self.merge(by_id[key], value, where)
        return [item for item in items if str(item["id"]) not in removed] + added

    def _new_item(
        self, new_id: str, value: object, by_id: Mapping[str, Any], where: str
    ) -> dict[str, Any] | None:
        if not new_id or new_id in by_id:
            self.reader.problem(where, "a new id after + (+id adds an item)", repr(new_id))
        elif not isinstance(value, Mapping) or "id" in value:
            self.reader.problem(
                where, "a mapping of the new item's fields, without id", describe(value)
            )
        else:
            return {"id": new_id, **copy.deepcopy(dict(value))}
        return None


def _written_paths(
    merged: object,
    patch: Mapping[str, Any],
    dpath: str,
    ppath: str,
    out: dict[str, tuple[str, bool]],
) -> None:
    """Map scenario YAML paths the patch touched to patch paths.

    ``out[path] = (patch_path, subtree)``: ``subtree`` is True where the patch wrote the whole
    value (a problem anywhere below is the variant's), False for a mapping it merged into (only a
    problem at exactly that path is).
    """
    for raw_key, value in patch.items():
        key, kp = str(raw_key), f"{ppath}.{raw_key}"
        if isinstance(merged, list):
            item_id = key.removeprefix(ADD_PREFIX)
            ids = [str(item.get("id")) if isinstance(item, Mapping) else None for item in merged]
            if item_id not in ids:
                continue  # removed: nothing left to blame
            child_path, child = join(dpath, ids.index(item_id)), merged[ids.index(item_id)]
            added = key.startswith(ADD_PREFIX)
        elif isinstance(merged, Mapping):
            child_path, child, added = join(dpath, key), merged.get(key), False
        else:
            continue
        merged_into = isinstance(value, Mapping) and not added and isinstance(child, dict | list)
        out[child_path] = (kp, not merged_into)
        if merged_into:
            _written_paths(child, value, child_path, kp, out)


def apply_patch(
    document: Mapping[str, Any], patch: Mapping[str, Any], *, file: str
) -> tuple[dict[str, Any], dict[str, tuple[str, bool]]]:
    """Return the patched copy of ``document`` and the paths it wrote; ``document`` is untouched.

    Raises VariantError naming ``file`` for a patch that cannot be applied (unknown id, a mapping
    where the scenario has a plain list).
    """
    merged = copy.deepcopy(dict(document))
    merger = _Merger(file)
    merger.merge(merged, patch, "patch")
    if merger.reader.problems:
        raise VariantError(merger.reader.problems)
    written: dict[str, tuple[str, bool]] = {}
    _written_paths(merged, patch, "", "patch", written)
    return merged, written


def _blame(problem: Problem, written: Mapping[str, tuple[str, bool]], variant: str) -> Problem:
    """Re-address a loader problem to the variant file when the patch wrote that field."""
    path = problem.path
    if path in written:
        return Problem(variant, written[path][0], problem.expected, problem.found)
    for prefix in sorted(written, key=len, reverse=True):
        patch_path, subtree = written[prefix]
        if subtree and (path.startswith(prefix + ".") or path.startswith(prefix + "[")):
            rest = path[len(prefix) :]
            return Problem(variant, patch_path + rest, problem.expected, problem.found)
    where = f"{problem.file} (with variant {variant})"
    return Problem(where, path, problem.expected, problem.found)


def variant_scenario(scenario_path: str | Path, variant: Variant) -> Scenario:
    """Load the scenario with the variant applied, through the loader's full validation."""
    from simulator.scenario.loader import load_scenario, load_scenario_text

    if not variant.patch:
        return load_scenario(scenario_path)
    document = read_document(scenario_path)
    file = variant.source_path or variant.name
    merged, written = apply_patch(document, variant.patch, file=file)
    text = yaml.safe_dump(merged, sort_keys=False, allow_unicode=True)
    try:
        return load_scenario_text(text, source=str(scenario_path))
    except ScenarioError as err:
        raise VariantError([_blame(p, written, file) for p in err.problems]) from err
