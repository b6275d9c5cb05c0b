"""Rules YAML: which rules run, with what parameters, and the alert lifecycle settings.

rules:
  - {rule: density_now, level: E}
  - {rule: density_forecast, level: E}
  - {rule: checkpoint_wait, limit_s: 600}
  - {rule: platform_crowding, level: D}
  - {rule: camera_stale, after_s: 30}
lifecycle: {band: 0.85, clear_after_s: 60, escalate_after_s: 180, expires_s: 900,
            refresh_before_s: 120, status: Actual, scope: Restricted}
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from streams.alerts import Lifecycle
from streams.errors import ConfigError
from streams.rules import PARAMS, RULES, Finding, TwinState, defaults

CAP_STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
CAP_SCOPES = ("Public", "Restricted", "Private")
TEXT_SETTINGS = ("sender", "status", "scope", "restriction")
DEFAULT_RULES: tuple[tuple[str, Mapping[str, Any]], ...] = tuple(
    (name, defaults(name))
    for name in (
        "density_now",
        "density_forecast",
        "checkpoint_wait",
        "platform_crowding",
        "camera_stale",
    )
)


@dataclass(frozen=True)
class RuleSet:
    """The rules to evaluate each cycle and how their findings become alerts."""

    rules: tuple[tuple[str, Mapping[str, Any]], ...] = DEFAULT_RULES
    lifecycle: Lifecycle = field(default_factory=Lifecycle)

    def evaluate(self, state: TwinState) -> list[Finding]:
        """All findings of all rules on ``state``."""
        out: list[Finding] = []
        for name, params in self.rules:
            out.extend(RULES[name](state, params, self.lifecycle.band))
        return out


def load_ruleset(path: str | Path) -> RuleSet:
    """Read a rules file; ConfigError names the file, the field and what was expected."""
    file = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(file, "(file)", "a readable YAML file", str(exc)) from exc
    return ruleset_from(data, file=file)


def ruleset_from(data: Any, *, file: str = "<rules>") -> RuleSet:
    """Build a RuleSet from parsed YAML."""
    if not isinstance(data, dict) or not set(data) <= {"rules", "lifecycle"}:
        raise ConfigError(
            file, "(top level)", "a mapping with keys rules, lifecycle", repr(data)[:80]
        )
    items = data.get("rules", [])
    if not isinstance(items, list):
        raise ConfigError(file, "rules", "a list of {rule: NAME, ...params}", repr(items)[:80])
    rules = [_rule(item, f"rules[{i}]", file) for i, item in enumerate(items)]
    return RuleSet(tuple(rules), _lifecycle(data.get("lifecycle", {}), file))


def _closest(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{hint}known keys: {', '.join(known) or '(none)'}"


def _rule(item: Any, where: str, file: str) -> tuple[str, Mapping[str, Any]]:
    """One ``{rule: NAME, ...params}`` entry, checked against the rule's declared parameters."""
    if not isinstance(item, dict) or item.get("rule") not in RULES:
        found = item.get("rule") if isinstance(item, dict) else item
        names = sorted(RULES)
        close = difflib.get_close_matches(str(found), names, n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(file, f"{where}.rule", f"one of {names}{hint}", repr(found)[:80])
    name = item["rule"]
    declared = PARAMS.get(name, {})
    params = defaults(name)
    for key, value in item.items():
        if key == "rule":
            continue
        if key not in declared:
            known = sorted(declared)
            raise ConfigError(
                file,
                f"{where}.{key}",
                f"a parameter of {name} ({_closest(str(key), known)})",
                "an unknown key",
            )
        problem = declared[key].check(value)
        if problem is not None:
            raise ConfigError(file, f"{where}.{key}", problem, repr(value)[:80])
        params[key] = tuple(value) if isinstance(value, list) else value
    return name, params


def _lifecycle(data: Any, file: str) -> Lifecycle:
    if not isinstance(data, dict):
        raise ConfigError(file, "lifecycle", "a mapping", repr(data)[:80])
    known = {f.name: f.type for f in fields(Lifecycle)}
    for key, value in data.items():
        if key not in known:
            hint = _closest(str(key), sorted(known))
            raise ConfigError(
                file, f"lifecycle.{key}", f"a lifecycle setting ({hint})", "an unknown key"
            )
        numeric = key not in TEXT_SETTINGS
        bad = isinstance(value, bool) or not isinstance(value, int | float)
        if numeric and (bad or not 0 <= value < math.inf):
            raise ConfigError(file, f"lifecycle.{key}", "a number >= 0", repr(value)[:80])
        if not numeric and not (isinstance(value, str) and value):
            raise ConfigError(file, f"lifecycle.{key}", "a non-empty string", repr(value)[:80])
        if key == "status" and value not in CAP_STATUSES:
            raise ConfigError(
                file,
                "lifecycle.status",
                f"a CAP status, one of {', '.join(CAP_STATUSES)}",
                repr(value)[:80],
            )
        if key == "scope" and value not in CAP_SCOPES:
            raise ConfigError(
                file, "lifecycle.scope", f"a CAP scope, one of {', '.join(CAP_SCOPES)}", repr(value)
            )
    band = data.get("band", Lifecycle.band)
    if not 0 < band <= 1:
        raise ConfigError(file, "lifecycle.band", "a number in (0, 1]", repr(band))
    try:
        return Lifecycle(**data)
    except ValueError as exc:
        raise ConfigError(file, "lifecycle.refresh_before_s", "below expires_s", str(exc)) from exc
