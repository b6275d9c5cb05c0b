"""Snapshots: the whole state of a run at one instant, for warm starts and the live twin.

A ``Snapshot`` is frozen and picklable. Its readable fields (time, occupancy per element,
checkpoint queues, fans still to arrive or be released) summarise the state; ``state`` holds the
complete run state (links with their distance clocks and queues, lanes in service, parties still
to come, the generator state, records so far, pending events) as a pickle, so a warm start
continues exactly as the uninterrupted run would. ``to_dict``/``from_dict`` carry it through JSON
(the state base64-encoded). Unpickling runs code: only load snapshots you produced yourself.
"""

from __future__ import annotations

import base64
import pickle
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from simulator.engine.gc_pause import gc_paused
from simulator.errors import SnapshotError

FORMAT = "matchday.snapshot.v1"


@dataclass(frozen=True)
class Snapshot:
    """State of a run at ``time_s`` (clock seconds)."""

    time_s: float
    scenario: str
    seed: int
    element_ids: tuple[str, ...]
    element_types: tuple[str, ...]
    occupancy: Mapping[str, int]
    queues: Mapping[str, int]
    fans_to_arrive: int
    fans_to_release: int
    state: bytes = field(repr=False)
    observed: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; ``Snapshot.from_dict`` reverses it exactly."""
        return {
            "format": FORMAT,
            "time_s": self.time_s,
            "scenario": self.scenario,
            "seed": self.seed,
            "element_ids": list(self.element_ids),
            "element_types": list(self.element_types),
            "occupancy": dict(self.occupancy),
            "queues": dict(self.queues),
            "fans_to_arrive": self.fans_to_arrive,
            "fans_to_release": self.fans_to_release,
            "state": base64.b64encode(self.state).decode("ascii"),
            "observed": dict(self.observed),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Snapshot:
        if data.get("format") != FORMAT:
            raise SnapshotError(
                f"snapshot: expected format {FORMAT!r}, found {data.get('format')!r}"
            )
        try:
            return cls(
                time_s=float(data["time_s"]),
                scenario=str(data["scenario"]),
                seed=int(data["seed"]),
                element_ids=tuple(data["element_ids"]),
                element_types=tuple(data["element_types"]),
                occupancy={str(k): int(v) for k, v in data["occupancy"].items()},
                queues={str(k): int(v) for k, v in data["queues"].items()},
                fans_to_arrive=int(data["fans_to_arrive"]),
                fans_to_release=int(data["fans_to_release"]),
                state=base64.b64decode(data["state"]),
                observed={str(k): int(v) for k, v in data.get("observed", {}).items()},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SnapshotError(f"snapshot: missing or malformed field ({exc})") from exc

    def with_counts(self, counts: Mapping[str, int]) -> Snapshot:
        """A new snapshot with these elements' head counts set to observed values.

        The counts are checked now and applied when a ``Simulation`` resumes the snapshot
        (where the scenario's routes are at hand); the rule is documented in
        ``simulator.engine.assimilate``. Later counts for the same element replace earlier ones.
        """
        from simulator.engine.assimilate import check_counts

        check_counts(counts, self.element_ids, self.element_types)
        return replace(
            self,
            occupancy={**self.occupancy, **counts},
            observed={**self.observed, **counts},
        )


def load_state(snapshot: Snapshot) -> Any:
    with gc_paused():
        return pickle.loads(snapshot.state)


def dump_state(world: Any) -> bytes:
    return pickle.dumps(world, protocol=pickle.HIGHEST_PROTOCOL)
