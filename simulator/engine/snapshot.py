"""Snapshots: the whole state of a run at one instant, for warm starts and the live twin.

A ``Snapshot`` is frozen. Its readable fields (time, occupancy per element, checkpoint queues,
fans still to arrive or be released) summarise the state; ``state`` holds the complete run state
(links with their distance clocks and queues, lanes in service, parties still to come, the
generator state, records so far, pending events), so a warm start continues exactly as the
uninterrupted run would. ``to_dict``/``from_dict`` carry it through JSON (the state
base64-encoded).

Format ``matchday.snapshot.v2``: the state is data only (``simulator.engine.snapshot_codec``:
tagged msgpack whose objects come from an allow-list of run-state classes), so loading a
snapshot from anywhere can at worst be refused with ``SnapshotError``; it never runs code. A
snapshot names the scenario it was taken from and that scenario's digest
(``simulator.scenario.digest``), and a ``Simulation`` refuses it for any other scenario. The
pickled v1 format is refused on load.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from simulator.engine.gc_pause import gc_paused
from simulator.engine.snapshot_codec import decode, encode
from simulator.errors import SnapshotError

FORMAT = "matchday.snapshot.v2"
OLD_FORMATS = ("matchday.snapshot.v1",)


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
    scenario_digest: str = ""  # simulator.scenario.digest of the scenario it was taken from

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
            "scenario_digest": self.scenario_digest,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Snapshot:
        if not isinstance(data, Mapping):
            raise SnapshotError(f"snapshot: expected a mapping, found {type(data).__name__}")
        found = data.get("format")
        if found in OLD_FORMATS:
            raise SnapshotError(
                f"snapshot: format {found!r} (a pickle, which could run code) is no longer "
                f"read; take a new snapshot ({FORMAT!r})"
            )
        if found != FORMAT:
            raise SnapshotError(f"snapshot: expected format {FORMAT!r}, found {str(found)[:60]!r}")
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
                state=base64.b64decode(data["state"], validate=True),
                observed={str(k): int(v) for k, v in data.get("observed", {}).items()},
                scenario_digest=str(data["scenario_digest"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError, binascii.Error) as exc:
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
    """The run state of ``snapshot``, rebuilt from data only (``SnapshotError`` if malformed)."""
    with gc_paused():
        return decode(snapshot.state)


def dump_state(world: Any) -> bytes:
    """``world`` in the data-only state format."""
    with gc_paused():
        return encode(world)


def check_world(world: Any, scenario: Any, n_elements: int) -> None:
    """Refuse a decoded state whose shape does not fit ``scenario`` (before anything uses it)."""
    from simulator.engine.checkpoint import TurnstileBank
    from simulator.engine.link import Walkway
    from simulator.engine.world import World

    venue = scenario.venue
    ok = (
        type(world) is World
        and isinstance(world.links, list)
        and len(world.links) == len(venue.links)
        and all(type(lk) is Walkway for lk in world.links)
        and isinstance(world.banks, list)
        and len(world.banks) == len(venue.checkpoints)
        and all(type(b) is TurnstileBank for b in world.banks)
        and isinstance(world.occ, list)
        and len(world.occ) == n_elements
        and isinstance(world.pending, list)
        and isinstance(world.now, float)
    )
    if not ok:
        raise SnapshotError(
            f"snapshot: its state does not fit scenario {scenario.name!r} (links, checkpoints "
            "or elements differ); take the snapshot from a run of this scenario"
        )
