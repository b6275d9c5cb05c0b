"""A short fingerprint of a scenario's content, stored with every run, sweep and snapshot.

Two runs are comparable only if they ran the same scenario. The name alone does not say that
(a planner edits ``lanes: 8`` to ``lanes: 10`` and keeps the name), so every summary, sweep
folder and snapshot carries ``scenario_digest``: a SHA-256 of the validated ``Scenario`` value
(every field except where the file lay), cut to 16 hex digits. The same content gives the same
digest on every machine; any change to a number, id or section gives another.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import weakref
from typing import Any

from simulator.scenario.model import Scenario

DIGEST_KEY = "scenario_digest"


_CACHE: dict[int, tuple[weakref.ref[Scenario], str]] = {}


def scenario_digest(scenario: Scenario) -> str:
    """``sha256:`` and 16 hex digits of the scenario's canonical JSON (cached per object:
    a Scenario is frozen, and the live twin asks for it every cycle)."""
    hit = _CACHE.get(id(scenario))
    if hit is not None and hit[0]() is scenario:
        return hit[1]
    digest = _digest(scenario)
    key = id(scenario)
    _CACHE[key] = (weakref.ref(scenario, lambda _: _CACHE.pop(key, None)), digest)
    return digest


def _digest(scenario: Scenario) -> str:
    data = dataclasses.asdict(scenario)
    data.pop("source_path", None)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=_plain, allow_nan=True)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _plain(value: Any) -> Any:
    """Sets and other non-JSON values, in a stable order."""
    if isinstance(value, set | frozenset):
        return sorted(map(str, value))
    return repr(value)
