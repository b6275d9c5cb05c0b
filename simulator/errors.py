"""Exceptions raised by the simulator.

SimulatorError                 base of everything the simulator raises on purpose
├── ScenarioError              a scenario file is invalid; carries every Problem found
│   └── VariantError           a variant file (simulator.whatif.variants) is invalid
├── SnapshotError              a snapshot does not fit the scenario it is applied to
├── SweepError                 a sweep job failed in its worker, or Ray is missing (sweep)
├── RunDirError                run folders given to `compare` are unusable (whatif.compare)
└── OutputExistsError          `--out` already holds a run; `--overwrite` replaces it (staging)
"""

from __future__ import annotations

from dataclasses import dataclass


class SimulatorError(Exception):
    """Base class of the simulator's own errors."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, phrased so a planner can fix it without reading code."""

    file: str
    path: str  # YAML path, e.g. "venue.links[3].width_m"
    expected: str
    found: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: expected {self.expected}, found {self.found}"


class ScenarioError(SimulatorError):
    """A scenario failed validation; ``problems`` lists all of them, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in scenario:\n{lines}")


class SnapshotError(SimulatorError):
    """A snapshot names elements the scenario lacks, or holds impossible state."""


class OutputExistsError(SimulatorError):
    """``--out`` names a folder that holds a run (or other files) and may not be replaced."""
