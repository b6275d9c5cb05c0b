"""Mutations of a scenario document for the fuzz tests: one hostile change at a random place.

Each mutation takes a parsed scenario (plain dicts and lists) and a hypothesis ``draw`` and
returns YAML text; the kinds are the ones an independent fuzz run used: deleted keys, wrong
types, NaN/inf/huge numbers, unknown ids, unicode, long strings, alias bombs, deep nesting,
``!!python`` tags and files cut short.
"""

from __future__ import annotations

import copy
import pathlib
from collections.abc import Callable
from typing import Any

import yaml
from hypothesis import strategies as st

HOSTILE_VALUES: tuple[Any, ...] = (
    None,
    True,
    0,
    -1,
    -(10**6),
    10**400,
    10**18,
    1e308,
    1e-300,
    float("nan"),
    float("inf"),
    float("-inf"),
    "",
    "x" * 20_000,
    "unknown_id",
    "Zöne ✓ ملعب",
    "16:30",
    "25:99",
    [],
    {},
    [1, 2],
    {"kind": "exponential"},
    10_000_000,
)

Path = tuple[Any, ...]
TINY_PATH = pathlib.Path(__file__).resolve().parents[1] / "data" / "scenarios" / "tiny.yaml"


def paths_of(doc: Any, prefix: Path = ()) -> list[Path]:
    """Every path (keys and indexes) to a value in ``doc``."""
    out: list[Path] = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            out.extend(paths_of(value, (*prefix, key)))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            out.extend(paths_of(value, (*prefix, i)))
    return out


def _parent(doc: Any, path: Path) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


def _dump(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=10**9)


def _bomb(depth: int) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, depth):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def mutate(doc: dict[str, Any], draw: Callable[[Any], Any]) -> str:
    """One hostile copy of ``doc`` as YAML text."""
    kind = draw(
        st.sampled_from(
            ["delete", "replace", "replace", "replace", "unknown_key", "cut", "bomb", "deep", "tag"]
        )
    )
    doc = copy.deepcopy(doc)
    paths = paths_of(doc)
    path = draw(st.sampled_from(paths))
    parent = _parent(doc, path)
    if kind == "delete":
        del parent[path[-1]]
        return _dump(doc)
    if kind == "replace":
        parent[path[-1]] = draw(st.sampled_from(HOSTILE_VALUES))
        return _dump(doc)
    if kind == "unknown_key":
        target = parent if isinstance(parent, dict) else doc
        target[draw(st.sampled_from(["extra", "ñame", "x" * 5000]))] = 1
        return _dump(doc)
    text = _dump(doc)
    if kind == "cut":
        return text[: draw(st.integers(0, max(0, len(text) - 1)))]
    if kind == "bomb":
        return _bomb(draw(st.integers(3, 9))) + text
    if kind == "deep":
        n = draw(st.sampled_from([50, 500, 20_000]))
        nested = draw(st.sampled_from(["[" * n + "]" * n, "{a: " * n + "1" + "}" * n]))
        return text + f"\nextra_deep: {nested}\n"
    return text.replace("name:", "name: !!python/object/apply:os.system ['echo owned']", 1)
