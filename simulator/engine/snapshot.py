"""Snapshots: the whole state of a run at one instant, for warm starts and the live twin.

A ``Snapshot`` is frozen. Its readable fields (time, occupancy per element, checkpoint queues,
fans still to arrive or be released) summarise the state; ``state`` holds the complete run state
(links with their distance clocks and queues, lanes in service, parties still to come, the
generator state, records so far, pending events), so a warm start continues exactly as the
uninterrupted run would. ``to_dict``/``from_dict`` carry it through JSON (the state
base64-encoded).

Format ``matchday.snapshot.v2``: the state is data only (``simulator.engine.snapshot_codec``:
tagged msgpack whose objects come from an allow-list of run-state classes), so loading a
snapshot from anywhere can at worst be refused with ``SnapshotError``; it never runs code.

Within one process a snapshot may also keep its state decoded (``Simulation.snapshot(keep=True)``,
``keep_decoded``; ``Snapshot.kept``): resuming it then copies that state
(``simulator.engine.fork``, equal to decoding the bytes) instead of decoding. The kept state is
never pickled, written or compared, and is used only beside the very bytes it was made with.

A snapshot names the scenario it was taken from and that scenario's digest
(``simulator.scenario.digest``), and a ``Simulation`` refuses it for any other scenario. The
pickled v1 format is refused on load.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from simulator.engine.fork import fork_state
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
    # the state kept decoded in this process (``Simulation.snapshot(keep=True)``,
    # ``keep_decoded``): resuming copies it instead of decoding ``state``. Never written,
    # pickled or compared; used only while it belongs to this very ``state`` object
    kept: KeptState | None = field(default=None, repr=False, compare=False, kw_only=True)

    def __getstate__(self) -> dict[str, Any]:
        # a snapshot sent to another process carries its bytes, not this process's objects
        return {**self.__dict__, "kept": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

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


class KeptState:
    """A decoded run state held beside the snapshot bytes it equals (see ``Snapshot.kept``).

    Copies are taken from ``world``, which is never run itself; ``forget`` lets it go (the
    snapshots sharing this holder then decode their bytes again). ``last_use``: the next
    restore takes ``world`` itself instead of a copy (then forgets it): for the last of a
    member's tries, after which the state is let go anyway.
    """

    __slots__ = ("last_use", "state", "world")

    def __init__(self, state: bytes, world: Any) -> None:
        self.state = state
        self.world = world
        self.last_use = False

    def forget(self) -> None:
        self.world = None

    def restored(self) -> Any:
        """The world a restore runs: a copy, or on its last use the kept one itself."""
        if self.last_use:
            world, self.world = self.world, None
            return world
        return fork_state(self.world)


def load_state(snapshot: Snapshot) -> Any:
    """The run state of ``snapshot``: a copy of its kept state when it has one, else rebuilt
    from the data alone (``SnapshotError`` if malformed)."""
    kept = snapshot.kept
    with gc_paused():
        if kept is not None and kept.state is snapshot.state and kept.world is not None:
            return kept.restored()
        return decode(snapshot.state)


def keep_decoded(snapshots: Sequence[Snapshot]) -> list[Snapshot]:
    """``snapshots`` with their states kept decoded, each distinct state decoded once (those
    kept already are left as they are): for resuming them, or several tries of them, in this
    process. ``SnapshotError`` if a state is malformed."""
    out: list[Snapshot] = []
    held: dict[int, KeptState] = {}
    for snap in snapshots:
        kept = snap.kept
        if kept is None or kept.state is not snap.state or kept.world is None:
            kept = held.get(id(snap.state))
            if kept is None:
                with gc_paused():
                    kept = KeptState(snap.state, decode(snap.state))
                held[id(snap.state)] = kept
            snap = replace(snap, kept=kept)
        out.append(snap)
    return out


def forget_decoded(snapshots: Sequence[Snapshot]) -> None:
    """Let the kept states of ``snapshots`` go (the memory of a whole run each)."""
    for snap in snapshots:
        if snap.kept is not None:
            snap.kept.forget()


def keep_state(state: bytes, world: Any, copy: bool = True) -> KeptState:
    """A holder of ``world`` as ``state`` (its encoding) says it is now: a copy taken now, or
    (``copy=False``, for a run that goes no further) the world itself."""
    with gc_paused():
        return KeptState(state, fork_state(world) if copy else world)


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
