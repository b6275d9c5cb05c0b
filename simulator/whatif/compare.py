"""Compare groups of replications: KPIs from run summaries, mean and 95% CI, difference to baseline.

A group is one option (a variant of a sweep, or a run directory made earlier), holding one
summary per seed. The first group is the baseline. Each KPI is estimated per group (Student-t
interval over seeds) and each other group's difference to the baseline is estimated paired by
seed where they share at least two seeds (common random numbers), else unpaired (Welch).

``comparison(groups)`` returns the JSON-ready ``comparison.json`` document; run directories are
read with ``read_run_dirs``. Layouts it understands::

    RUN_DIR/summary.json                         one run of ``matchday simulate``
    RUN_DIR/runs/<variant>/seed_<n>/summary.json a sweep's replications (+ variant.json)
    RUN_DIR/<anything>/summary.json              several runs, one group per parent folder

A group whose runs come from different scenarios or scenario versions (``scenario_digest``) is
refused (``simulator.whatif.provenance``): averaging them would describe no real ground.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from simulator.errors import Problem, SimulatorError
from simulator.results.summary import RunSummary
from simulator.results.units import NOT_APPLICABLE
from simulator.whatif.provenance import group_problems
from simulator.whatif.stats import (
    CONFIDENCE,
    Estimate,
    mean_ci,
    paired_difference,
    welch_difference,
)

SCHEMA = "matchday.comparison.v1"
Better = Literal["higher", "lower"] | None


class RunDirError(SimulatorError):
    """Run directories hold no usable summaries; ``problems`` names each file and field."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) reading runs:\n{lines}")


@dataclass(frozen=True)
class Kpi:
    """A number read from each run's summary; ``better`` says which way is an improvement."""

    key: str
    label: str
    unit: str
    better: Better
    headline: bool = False


@dataclass(frozen=True)
class Group:
    """One option's replications: seed -> summary."""

    name: str
    summaries: Mapping[int, RunSummary]
    description: str = ""
    source: str = ""


HEADLINE = (
    Kpi("share_seated_at_kickoff", "share of fans seated at kick-off", "share", "higher", True),
    Kpi("time_to_clear_s", "time to clear after the final whistle", "s", "lower", True),
    Kpi(
        "time_to_leave_area_s",
        "time until the last fan has left the area (incl. transport)",
        "s",
        "lower",
        True,
    ),
    Kpi("worst_p95_wait_s", "worst checkpoint p95 wait", "s", "lower", True),
    Kpi("worst_platform_p95_wait_s", "worst platform / car-park p95 wait", "s", "lower", True),
    Kpi(
        "worst_peak_density_per_m2",
        "highest peak density (areas, links, queues, platforms)",
        "/m²",
        "lower",
        True,
    ),
    Kpi(
        "minutes_at_los_e_or_f",
        "element-minutes at LoS E or F (areas, links, queue pens, platforms)",
        "min",
        "lower",
        True,
    ),
)
_FANS = ("expected", "arrived", "seated", "left", "in_venue", "dropped")
_ELEMENT_KPIS: dict[str, tuple[str, str, Better]] = {
    "served": ("fans served", "fans", None),
    "p50_wait_s": ("median wait", "s", "lower"),
    "p95_wait_s": ("p95 wait", "s", "lower"),
    "max_wait_s": ("max wait", "s", "lower"),
    "peak_queue": ("peak queue", "fans", "lower"),
    "peak_density_per_m2": ("peak density", "/m²", "lower"),
    "minutes_at_los_e": ("minutes at LoS E", "min", "lower"),
    "minutes_at_los_f": ("minutes at LoS F", "min", "lower"),
    "throughput": ("fans who walked the link", "fans", None),
    "mean_occupancy": ("mean occupancy", "fans", None),
    "max_occupancy": ("max occupancy", "fans", None),
    "share_time_full": ("share of time at jam capacity", "share", "lower"),
}
_ELEMENT_GROUPS = ("checkpoints", "stages", "areas", "links", "platforms", "car_parks")


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _element_rows(summary: RunSummary) -> dict[str, dict[str, dict[str, object]]]:
    """Per group and element, the flat metrics of summary.json (the same names as there)."""
    doc = summary.to_dict()
    return {g: doc[g] for g in _ELEMENT_GROUPS if isinstance(doc.get(g), dict)}


def kpi_values(summary: RunSummary) -> dict[str, float | None]:
    """Every KPI of one run, keyed like ``checkpoints.gate_1.p95_wait_s`` (headline keys bare).

    The headline KPIs are the summary's own definitions (``RunSummary.worst_*``,
    ``minutes_at_los_e_or_f``); a KPI that does not apply to the scenario (no transport, no
    ingress, no egress) is left out rather than reported as missing.
    """
    h = summary.header
    worst_wait = summary.worst_checkpoint_wait()
    worst_density = summary.worst_density()
    values: dict[str, float | None] = {
        "worst_p95_wait_s": None if worst_wait is None else worst_wait.value,
        "worst_peak_density_per_m2": None if worst_density is None else worst_density.value,
        "minutes_at_los_e_or_f": summary.minutes_at_los_e_or_f(),
    }
    if h.kickoff_s is not None:
        values["share_seated_at_kickoff"] = _number(summary.share_seated_at_kickoff)
    if h.final_whistle_s is not None:
        values["time_to_clear_s"] = _number(summary.time_to_clear_s)
    if summary.transport is not None:
        values["time_to_leave_area_s"] = _number(summary.time_to_leave_area_s)
        platform = summary.worst_platform_wait()
        values["worst_platform_p95_wait_s"] = None if platform is None else platform.value
    for key in _FANS:
        values[f"fans.{key}"] = _number(getattr(summary.fans, key))
    for group, elements in _element_rows(summary).items():
        for element, stats in sorted(elements.items()):
            for metric in _ELEMENT_KPIS:
                if metric in stats:
                    values[f"{group}.{element}.{metric}"] = _number(stats[metric])
    return values


def describe_kpi(key: str) -> Kpi:
    """Label, unit and direction of a KPI key produced by ``kpi_values``."""
    for kpi in HEADLINE:
        if kpi.key == key:
            return kpi
    parts = key.split(".")
    if parts[0] == "fans":
        return Kpi(key, f"fans {parts[1].replace('_', ' ')}", "fans", None)
    label, unit, better = _ELEMENT_KPIS[parts[-1]]
    return Kpi(key, f"{parts[1]}: {label}", unit, better)


def _verdict(kpi: Kpi, diff: Estimate, applies: bool = True) -> str:
    if not applies:
        return NOT_APPLICABLE
    if diff.low is None or diff.high is None:
        return "too few seeds"
    if not diff.excludes_zero():
        return "no clear difference"
    if kpi.better is None:
        return "higher" if diff.low > 0 else "lower"
    improved = (diff.low > 0) == (kpi.better == "higher")
    return "better" if improved else "worse"


def _difference(
    kpi: Kpi,
    mine: Mapping[int, float | None],
    theirs: Mapping[int, float | None],
    confidence: float,
) -> dict[str, Any]:
    """Variant minus baseline: paired by seed when they share two seeds or more."""
    paired = len(set(mine) & set(theirs)) >= 2
    if paired:
        diff = paired_difference(mine, theirs, confidence=confidence)
    else:
        diff = welch_difference(mine.values(), theirs.values(), confidence=confidence)
    return {
        **diff.to_dict(),
        "method": "paired" if paired else "welch",
        "verdict": _verdict(kpi, diff, _defined(mine) or _defined(theirs)),
    }


def _defined(values: Mapping[int, float | None]) -> bool:
    return any(v is not None for v in values.values())


def comparison(
    groups: Sequence[Group], *, scenario: str = "", confidence: float = CONFIDENCE
) -> dict[str, Any]:
    """The comparison document: per KPI, each group's estimate and its difference to groups[0]."""
    if not groups:
        raise RunDirError(
            [Problem("(command line)", "RUN_DIR", "at least one group of runs", "none")]
        )
    names = [g.name for g in groups]
    if len(set(names)) != len(names):
        raise RunDirError(
            [Problem("(command line)", "RUN_DIR", "groups with distinct names", repr(names))]
        )
    per_group = {
        g.name: {seed: kpi_values(s) for seed, s in sorted(g.summaries.items())} for g in groups
    }
    keys = sorted({k for runs in per_group.values() for kv in runs.values() for k in kv})
    headline = [k.key for k in HEADLINE if k.key in keys]
    ordered = headline + [k for k in keys if k not in headline]
    base = groups[0]
    kpis = []
    for key in ordered:
        kpi = describe_kpi(key)
        values = {
            g: {seed: kv.get(key) for seed, kv in runs.items()} for g, runs in per_group.items()
        }
        estimates = {
            g.name: {
                **mean_ci(values[g.name].values(), confidence=confidence).to_dict(),
                "values": [{"seed": s, "value": v} for s, v in values[g.name].items()],
            }
            for g in groups
        }
        differences = {
            g.name: _difference(kpi, values[g.name], values[base.name], confidence)
            for g in groups[1:]
        }
        kpis.append(
            {
                "key": key,
                "label": kpi.label,
                "unit": kpi.unit,
                "better": kpi.better,
                "headline": kpi.headline,
                "estimates": estimates,
                "differences": differences,
            }
        )
    return {
        "schema": SCHEMA,
        "scenario": scenario or _scenario_name(groups),
        "baseline": base.name,
        "confidence": confidence,
        "groups": [
            {
                "name": g.name,
                "description": g.description,
                "source": g.source,
                "seeds": sorted(g.summaries),
            }
            for g in groups
        ],
        "kpis": kpis,
    }


def _scenario_name(groups: Sequence[Group]) -> str:
    names = sorted({s.header.scenario or "" for g in groups for s in g.summaries.values()})
    return " / ".join(n for n in names if n)


_SEED_DIR = re.compile(r"^seed_(\d+)$")


def _read_summary(path: Path, problems: list[Problem]) -> RunSummary | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        problems.append(Problem(str(path), "(whole file)", "a JSON run summary", str(err)))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(str(path), "(top level)", "a JSON object", type(data).__name__))
        return None
    seed = data.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int):
        problems.append(Problem(str(path), "seed", "the run's integer seed", repr(seed)))
        return None
    try:
        return RunSummary.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        expected = "a run summary written by matchday simulate or sweep"
        problems.append(Problem(str(path), "(summary)", expected, f"{type(err).__name__}: {err}"))
        return None


def _group_meta(folder: Path) -> tuple[str | None, str]:
    """Variant name and description from a sweep's ``variant.json``, if there is one."""
    meta = folder / "variant.json"
    if not meta.is_file():
        return None, ""
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, ""
    if not isinstance(data, dict):
        return None, ""
    return str(data.get("name") or "") or None, str(data.get("description") or "")


def _groups_in(run_dir: Path, prefix: bool, problems: list[Problem]) -> list[Group]:
    folders: dict[Path, dict[int, RunSummary]] = {}
    known_problems = len(problems)
    for path in sorted(run_dir.rglob("summary.json")):
        folder = path.parent.parent if _SEED_DIR.match(path.parent.name) else path.parent
        summary = _read_summary(path, problems)
        if summary is None:
            continue
        runs = folders.setdefault(folder, {})
        seed = summary.header.seed
        if seed in runs:
            expected = f"one summary per seed in {folder}"
            problems.append(Problem(str(path), "seed", expected, f"seed {seed} twice"))
            continue
        runs[seed] = summary
    if not folders and len(problems) == known_problems:
        expected = "summary.json (from matchday simulate) or runs/<variant>/seed_<n>/summary.json"
        problems.append(Problem(str(run_dir), "(directory)", expected, "no summary.json in it"))
    groups = []
    for folder, runs in folders.items():
        variant, description = _group_meta(folder)
        rel = folder.relative_to(run_dir).as_posix()
        local = variant or ("" if rel == "." else rel)
        name = (
            (f"{run_dir.name}:{local}" if local else run_dir.name)
            if prefix
            else (local or run_dir.name)
        )
        groups.append(Group(name, runs, description, str(folder)))
    groups.sort(key=lambda g: (not g.name.endswith("baseline"), g.source))
    return groups


def read_run_dirs(run_dirs: Sequence[str | Path]) -> list[Group]:
    """Groups of runs found under each directory, in the order given (a sweep's baseline first)."""
    problems: list[Problem] = []
    groups: list[Group] = []
    for raw in run_dirs:
        run_dir = Path(raw)
        if not run_dir.is_dir():
            problems.append(
                Problem(str(run_dir), "(directory)", "an existing run directory", "nothing there")
            )
            continue
        groups += _groups_in(run_dir, len(run_dirs) > 1, problems)
    for group in groups:
        problems += group_problems(group.name, group.source, group.summaries)
    if problems:
        raise RunDirError(problems)
    return groups
