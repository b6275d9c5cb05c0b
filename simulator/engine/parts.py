"""Engine parts: what transport, levers or a researcher's extension plug into a run.

A part is built per run by a factory ``(RunContext) -> Part | None`` (``None``: nothing to do in
this scenario). It sees the run through ``RunContext``, a frozen set of the run state and of the
engine's public actions, never the engine object itself. It may

* handle event kinds of its own (``handlers()``: ``{Kind.VEHICLE: self.on_vehicle}``); every
  kind has exactly one handler, checked when the run is built (``dispatch_table``);
* schedule its first events in ``start()`` (a cold start only: a warm start resumes them);
* answer the engine's questions by overriding hooks of ``Part``. A hook left alone costs the
  run nothing; with several parts the answers combine as each hook's docstring says.

``simulator.transport.runner`` and ``simulator.levers.runner`` are the two bundled parts;
``docs/extending.md`` has a complete small one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from simulator.engine.gates import GateCosts
from simulator.engine.network import Network
from simulator.engine.party import Party
from simulator.engine.world import Kind, World
from simulator.errors import SimulatorError
from simulator.scenario.model import Scenario

Handler = Callable[[int, int], None]  # acts on an event (t, kind, a, b) at t = world.now


@dataclass(frozen=True)
class RunContext:
    """What a part may read and do: the run state and the engine's public actions."""

    scenario: Scenario
    net: Network
    world: World  # the run state a snapshot holds; parts keep their own state on it
    gates: GateCosts  # candidate gates and the gate-cost formula
    schedule: Callable[..., None]  # schedule(t, kind, a=0, b=0): an event at absolute time t
    serve: Callable[[int], None]  # serve(bank): start screening on free lanes (lanes opened)
    admit: Callable[[int], None]  # admit(link): let waiting parties on (link reopened)
    wake_head: Callable[[int, int, float], None]  # wake_head(link, d, t): re-time a link's head
    guard_exit: Callable[[int, int], None]  # guard_exit(link, d): ask ``blocks`` for its heads
    # redirect(party, at_gate=False): a party taken out of a queue at its node, a closed gate's
    # (at_gate) or a closed link's, goes on by its best open way (simulator.engine.routing)
    redirect: Callable[..., None] = lambda pid, at_gate=False: None

    def link_index(self, link_id: str) -> int:
        """The run's index of the venue link ``link_id`` (what ``link_closed`` is asked with)."""
        i = self.net.index.get(link_id, -1)
        if i < self.net.n_nodes:
            links = ", ".join(lk.id for lk in self.scenario.venue.links)
            raise SimulatorError(f"no link {link_id!r} in scenario {self.scenario.name!r}: {links}")
        return i - self.net.n_nodes

    def node_index(self, element_id: str) -> int:
        """The run's index of the venue node ``element_id`` (origin, area, gate, sector, exit)."""
        i = self.net.index.get(element_id, -1)
        if not 0 <= i < self.net.n_nodes:
            raise SimulatorError(f"no node {element_id!r} in scenario {self.scenario.name!r}")
        return i


class Part:
    """Base of an engine part: no events, no start-up, every hook left to the engine.

    A subclass is itself a factory: ``Part(ctx)`` keeps the run's context as ``self.ctx``.
    """

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx

    def handlers(self) -> Mapping[Kind, Handler]:
        """The event kinds this part handles, each with its handler."""
        return {}

    def start(self) -> None:
        """Schedule the first events of a cold start."""

    def arrived(self, party: Party) -> None:
        """An ingress party has reached its origin (every part is told)."""

    def gate_for(self, party: Party, gate: int) -> int:
        """The gate a party setting off uses, given the engine's choice (parts apply in turn)."""
        return gate

    def link_closed(self, link: int) -> bool:
        """Whether nobody may step onto ``link`` now (closed if any part says so).

        Call ``RunContext.admit(link)`` when a link reopens, so its waiting parties go on.
        """
        return False

    def service_factor(self, bank: int) -> float:
        """Multiplier of screening times at ``bank`` (the parts' factors multiply)."""
        return 1.0

    def absorbs(self, party: Party, node: int) -> bool:
        """Take over a party finishing its route at ``node`` (the first part that does wins).

        An absorbed party stays at the node until the part lets it leave.
        """
        return False

    def blocks(self, party: Party, node: int, link: int, d: int) -> bool:
        """Hold the head ``party`` of (link, d) out of the full place ``node`` (any part may).

        Asked only for exits marked with ``RunContext.guard_exit``; call
        ``RunContext.wake_head(link, d, now)`` when room frees up.
        """
        return False

    def observe(self, node: int, delta: int) -> int:
        """Apply an observed change of the count at ``node``; return what the engine applies."""
        return delta

    def sampled(self) -> None:
        """The engine has just sampled every element (append the part's own samples)."""


PartFactory = Callable[[RunContext], Part | None]
HOOKS = (
    "arrived",
    "gate_for",
    "link_closed",
    "service_factor",
    "absorbs",
    "blocks",
    "observe",
    "sampled",
)


@dataclass(frozen=True)
class Hooks:
    """Each hook that some part overrides, combined over the parts; ``None`` where none does."""

    arrived: Callable[[Party], None] | None = None
    gate_for: Callable[[Party, int], int] | None = None
    link_closed: Callable[[int], bool] | None = None
    service_factor: Callable[[int], float] | None = None
    absorbs: Callable[[Party, int], bool] | None = None
    blocks: Callable[[Party, int, int, int], bool] | None = None
    observe: Callable[[int, int], int] | None = None
    sampled: Callable[[], None] | None = None


def hooks(parts: Sequence[Part]) -> Hooks:
    """One callable per hook overridden by any part (the bound method itself when one does)."""
    found: dict[str, Any] = {}
    for name in HOOKS:
        bound = [
            getattr(p, name) for p in parts if getattr(type(p), name) is not getattr(Part, name)
        ]
        if len(bound) == 1:
            found[name] = bound[0]
        elif bound:
            found[name] = _COMBINE[name](bound)
    return Hooks(**found)


def _each(fs: list[Any]) -> Any:
    def each(*args: Any) -> None:
        for f in fs:
            f(*args)

    return each


def _any(fs: list[Any]) -> Any:
    return lambda *args: any(f(*args) for f in fs)


def _product(fs: list[Any]) -> Any:
    def factor(bank: int) -> float:
        out = 1.0
        for f in fs:
            out *= f(bank)
        return out

    return factor


def _chain(fs: list[Any]) -> Any:
    def chained(x: Any, value: int) -> int:
        for f in fs:
            value = f(x, value)
        return value

    return chained


_COMBINE: dict[str, Callable[[list[Any]], Any]] = {
    "arrived": _each,
    "gate_for": _chain,
    "link_closed": _any,
    "service_factor": _product,
    "absorbs": _any,  # any() stops at the first part that takes the party over
    "blocks": _any,
    "observe": _chain,
    "sampled": _each,
}


def claims(own: Mapping[Kind, Handler], parts: Sequence[Part]) -> dict[Kind, list[object]]:
    """Who handles each kind: ``"engine"`` or the part; a kind nobody handles maps to ``[]``."""
    out: dict[Kind, list[object]] = {k: [] for k in Kind}
    for kind in own:
        out[Kind(kind)].append("engine")
    for part in parts:
        for kind in part.handlers():
            out[Kind(kind)].append(part)
    return out


def dispatch_table(own: Mapping[Kind, Handler], parts: Sequence[Part]) -> tuple[Handler, ...]:
    """``table[kind](a, b)`` for every kind; a kind claimed twice is an error naming both.

    A kind no part of this run handles gets a handler that fails loudly: its events can only
    come from a snapshot of a run with another set of parts.
    """
    who = claims(own, parts)
    for kind, owners in who.items():
        if len(owners) > 1:
            names = ", ".join(o if isinstance(o, str) else type(o).__name__ for o in owners)
            raise SimulatorError(
                f"event kind {kind.name} has {len(owners)} handlers ({names}); "
                "each kind must have exactly one: give the part a kind of its own in "
                "simulator.engine.world.Kind"
            )
    table: dict[Kind, Handler] = {Kind(k): h for k, h in own.items()}
    for part in parts:
        table.update({Kind(k): h for k, h in part.handlers().items()})
    return tuple(table.get(k) or _unhandled(k) for k in Kind)


def _unhandled(kind: Kind) -> Handler:
    def fail(a: int, b: int) -> None:
        raise SimulatorError(
            f"an event of kind {kind.name} ({a}, {b}) came up but no part of this run handles "
            "it; resume a snapshot with the scenario and parts of the run that took it"
        )

    return fail
