"""Which scenario version each run came from, so sweeps and ``compare`` never mix versions.

Every summary carries ``scenario_digest`` (``simulator.scenario.digest``). Within one group of
replications (a sweep variant's seeds, or one folder of ``simulate`` runs) every run must share
one scenario name and one digest, else their mean is the mean of two different grounds: that is
refused. Between groups digests differ on purpose (a variant changes the scenario), so a
difference there is reported as a note, not an error. A sweep folder is likewise refused for a
sweep of another scenario version unless ``--overwrite`` replaces it whole.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from simulator.errors import OutputExistsError, Problem
from simulator.results.staging import check_target
from simulator.results.summary import RunSummary
from simulator.scenario.digest import DIGEST_KEY

NO_DIGEST = "no digest (made before digests were recorded)"


def _versions(summaries: Mapping[int, RunSummary], key: str) -> dict[str, list[int]]:
    """Seeds by the value of header field ``key`` (the scenario name or its digest)."""
    out: dict[str, list[int]] = {}
    for seed, summary in sorted(summaries.items()):
        value = getattr(summary.header, key)
        out.setdefault(str(value) if value else NO_DIGEST, []).append(seed)
    return out


def group_problems(name: str, source: str, summaries: Mapping[int, RunSummary]) -> list[Problem]:
    """A problem for a group whose runs come from more than one scenario or version."""
    problems = []
    for key, what in (("scenario", "scenario name"), (DIGEST_KEY, "scenario version (digest)")):
        versions = _versions(summaries, key)
        if len(versions) > 1:
            found = "; ".join(
                f"seeds {', '.join(map(str, seeds))}: {value[:60]}"
                for value, seeds in versions.items()
            )
            problems.append(
                Problem(
                    source or name,
                    key,
                    f"runs of one {what} per group (put each version's runs in its own folder)",
                    found,
                )
            )
    return problems


def cross_group_notes(groups: Sequence[tuple[str, Mapping[int, RunSummary]]]) -> list[str]:
    """Lines saying how the groups' scenarios differ (names, or versions), if they do."""
    notes = []
    for key, what in (
        ("scenario", "different scenarios"),
        (DIGEST_KEY, "different scenario versions"),
    ):
        seen = {name: next(iter(_versions(s, key)), NO_DIGEST) for name, s in groups}
        if len(set(seen.values())) > 1:
            listed = ", ".join(f"{name}: {value[:60]}" for name, value in seen.items())
            notes.append(f"note: the groups ran {what} ({listed})")
    return notes


def sweep_digests(out_dir: Path) -> dict[str, str]:
    """Variant name -> scenario digest of a sweep already written in ``out_dir``."""
    out = {}
    for meta in sorted((out_dir / "runs").glob("*/variant.json")):
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            out[str(data.get("name"))] = str(data.get(DIGEST_KEY) or NO_DIGEST)
    return out


def check_sweep_target(out_dir: Path, digests: Mapping[str, str], *, overwrite: bool) -> None:
    """Refuse a sweep folder that holds another sweep, saying if its scenario version differs."""
    if out_dir.is_dir() and not overwrite:
        old = sweep_digests(out_dir)
        changed = {v: d for v, d in old.items() if v in digests and digests[v] != d}
        if changed:
            name, digest = next(iter(changed.items()))
            raise OutputExistsError(
                f"{out_dir} holds a sweep of another version of the scenario ({name}: "
                f"{digest[:40]} there, {digests[name]} now); pass --overwrite to replace it, "
                "or choose another --out to keep both"
            )
    check_target(out_dir, overwrite=overwrite, what="sweep")
