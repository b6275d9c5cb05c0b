"""Pedestrian models: the speed-density law every walking link uses, chosen by name.

A scenario names its model in ``settings.pedestrian_model`` and passes parameters in
``settings.model_params``. A model is any object with a jam density ``k_jam`` (persons/m², it
sets a link's storage ``c = floor(k_jam * length * width)``) and a method
``speed(density, floor_m2) -> m/s`` giving the level walking speed at a density on a link of that
floor area (most models ignore the floor; Cheah & Smith's is calibrated per link).

Adding a model takes a factory registered under a name::

    from dataclasses import dataclass
    from simulator.crowd.registry import register_model

    @dataclass(frozen=True)
    class Linear:
        v0: float = 1.3
        k_jam: float = 5.0

        def speed(self, density: float, floor_m2: float) -> float:
            return self.v0 * max(0.0, 1.0 - density / self.k_jam)

    register_model("linear", lambda params: Linear(**params))

after which ``pedestrian_model: linear`` with ``model_params: {v0: 1.2}`` works in YAML (this
exact example is exercised in ``tests/simulator/test_pedestrian.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Mapping
from typing import Protocol, cast

from simulator.errors import SimulatorError


class PedestrianModel(Protocol):
    """The one property and one method a pedestrian model implements."""

    @property
    def k_jam(self) -> float: ...

    def speed(self, density: float, floor_m2: float) -> float: ...


ModelFactory = Callable[[Mapping[str, float]], PedestrianModel]
_REGISTRY: dict[str, ModelFactory] = {}


def register_model(name: str, factory: ModelFactory) -> None:
    """Make ``factory(params)`` available as ``pedestrian_model: name``."""
    _REGISTRY[name] = factory


def model_names() -> tuple[str, ...]:
    """Names a scenario may use, for error messages and the loader's validation."""
    _load_builtins()
    return tuple(sorted(_REGISTRY))


def create_model(name: str, params: Mapping[str, float]) -> PedestrianModel:
    """Build the named model; unknown names and bad parameters say what is accepted."""
    _load_builtins()
    factory = _REGISTRY.get(name)
    if factory is None:
        known = ", ".join(sorted(_REGISTRY))
        raise SimulatorError(f"settings.pedestrian_model: expected one of {known}, found {name!r}")
    try:
        return factory(dict(params))
    except (TypeError, ValueError) as exc:
        raise SimulatorError(
            f"settings.model_params for {name!r}: {exc} (found {dict(params)!r})"
        ) from exc


def critical_point(
    model: PedestrianModel, floor_m2: float, points: int = 2000
) -> tuple[float, float]:
    """(peak specific flow in persons/m/s, density where it is reached) on a fine grid.

    Cached per model and floor: a venue has many links of the same size.
    """
    try:
        return _critical_cached(cast(Hashable, model), floor_m2, points)
    except TypeError:  # an unhashable custom model
        return _critical(model, floor_m2, points)


@functools.lru_cache(maxsize=4096)
def _critical_cached(model: Hashable, floor_m2: float, points: int) -> tuple[float, float]:
    return _critical(cast(PedestrianModel, model), floor_m2, points)


def _critical(model: PedestrianModel, floor_m2: float, points: int) -> tuple[float, float]:
    best, at = 0.0, 0.0
    for i in range(1, points + 1):
        k = model.k_jam * i / points
        q = k * model.speed(k, floor_m2)
        if q > best:
            best, at = q, k
    return best, at


def peak_specific_flow(model: PedestrianModel, floor_m2: float) -> float:
    """Maximum of density x speed (persons/m/s): the capacity of a level walkway."""
    return critical_point(model, floor_m2)[0]


def _load_builtins() -> None:
    # Imported lazily: the model modules register themselves on import.
    from simulator.crowd import exponential, weidmann  # noqa: F401
