"""Rules YAML: which rules run, with what parameters, and the alert lifecycle settings.

rules:
  - {rule: density_now, level: E}
  - {rule: density_forecast, level: E}
  - {rule: checkpoint_wait, limit_s: 600}
  - {rule: platform_crowding, level: D}
  - {rule: camera_stale, after_s: 30}
lifecycle: {band: 0.85, clear_after_s: 60, escalate_after_s: 180, expires_s: 900}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from streams.alerts import Lifecycle
from streams.errors import ConfigError
from streams.rules import RULES, Finding, TwinState

DEFAULT_RULES: tuple[tuple[str, Mapping[str, Any]], ...] = (
    ("density_now", {"level": "E"}),
    ("density_forecast", {"level": "E"}),
    ("checkpoint_wait", {"limit_s": 600}),
    ("platform_crowding", {"level": "D"}),
    ("camera_stale", {"after_s": 30}),
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
    rules = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or item.get("rule") not in RULES:
            found = item.get("rule") if isinstance(item, dict) else item
            raise ConfigError(file, f"rules[{i}].rule", f"one of {sorted(RULES)}", repr(found))
        rules.append((item["rule"], {k: v for k, v in item.items() if k != "rule"}))
    return RuleSet(tuple(rules), _lifecycle(data.get("lifecycle", {}), file))


def _lifecycle(data: Any, file: str) -> Lifecycle:
    if not isinstance(data, dict):
        raise ConfigError(file, "lifecycle", "a mapping", repr(data)[:80])
    known = {f.name: f.type for f in fields(Lifecycle)}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(file, f"lifecycle.{key}", f"one of {sorted(known)}", "an unknown key")
        numeric = key not in ("sender", "status")
        if numeric and (isinstance(value, bool) or not isinstance(value, int | float) or value < 0):
            raise ConfigError(file, f"lifecycle.{key}", "a number >= 0", repr(value))
    band = data.get("band", Lifecycle.band)
    if not 0 < band <= 1:
        raise ConfigError(file, "lifecycle.band", "a number in (0, 1]", repr(band))
    return Lifecycle(**data)
