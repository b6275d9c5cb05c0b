"""The event-driven engine: a seeded run of a scenario on SimPy's clock.

``simulation`` (the public ``Simulation``), ``world`` (all mutable run state, what a snapshot
holds), ``dynamics`` (what each event does: a fan's day), ``link`` (walking links on a distance
clock), ``checkpoint`` (turnstile banks), ``network`` (the venue graph and routes), ``demand``
(who arrives when), ``sampling`` (time series), ``snapshot`` and ``assimilate`` (warm starts).

**Compiled or interpreted.** An install compiles the hot-path modules with mypyc (``setup.py``):
the same sources built to C extensions that sit beside them, with the sha256 of each compiled
source in ``compiled_sources.txt``. Both paths run one source of model semantics and give
byte-identical results (``tests/simulator/test_compiled.py``). This package decides once, at
import, which one runs: the interpreted one (every engine module loaded from its ``.py``) when

* ``MATCHDAY_INTERPRETED=1`` is set (debugging with Python tracebacks and a debugger,
  profiling per line, monkeypatching engine internals, checking the compiled path),
* the install has no compiled modules (``MATCHDAY_PURE_PYTHON=1`` at build time), or
* a compiled source was edited after it was compiled (an editable install): a warning says so,
  and ``pip install -e .`` again compiles the edit.

``engine_path()`` says which one runs and why; ``matchday --version`` prints it.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

INTERPRETED_ENV = "MATCHDAY_INTERPRETED"
_HERE = Path(__file__).resolve().parent
_MANIFEST = _HERE / "compiled_sources.txt"


def _compiled_sources() -> dict[str, str]:
    """Module name -> sha256 of the source it was compiled from; empty for a pure install."""
    try:
        text = _MANIFEST.read_text()
    except FileNotFoundError:
        return {}
    out: dict[str, str] = {}
    for line in text.splitlines():
        digest, _, name = line.partition("  ")
        out[name.removesuffix(".py")] = digest
    return out


def _extension(module: str) -> Path | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = _HERE / f"{module}{suffix}"
        if path.is_file():
            return path
    return None


def _decide() -> tuple[tuple[str, ...], str]:
    """The modules that run compiled (all or none) and a line saying why."""
    sources = _compiled_sources()
    if not sources:
        return (), "interpreted (this install has no compiled modules)"
    if os.environ.get(INTERPRETED_ENV, "") not in ("", "0"):
        return (), f"interpreted ({INTERPRETED_ENV}=1)"
    missing = [m for m in sources if _extension(m) is None]
    stale = [
        m
        for m, digest in sources.items()
        if m not in missing
        and hashlib.sha256((_HERE / f"{m}.py").read_bytes()).hexdigest() != digest
    ]
    if missing or stale:
        why = ", ".join(f"{m}.py" for m in (*stale, *missing))
        warnings.warn(
            f"matchday: the compiled engine does not match its sources ({why} changed since "
            "they were compiled): running the interpreted engine; `pip install -e .` "
            "compiles it again",
            RuntimeWarning,
            stacklevel=2,
        )
        return (), f"interpreted (compiled modules out of date: {why})"
    return tuple(sources), f"compiled (mypyc: {len(sources)} modules)"


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Loads ``simulator.engine.*`` from its ``.py`` source even where an extension sits beside
    it: all engine modules then run interpreted (a compiled module next to an interpreted one
    of the same group would not work)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, leaf = fullname.rpartition(".")
        if package != __name__:
            return None
        source = _HERE / f"{leaf}.py"
        if not source.is_file():
            return None
        return importlib.util.spec_from_file_location(fullname, source)


_COMPILED, _PATH = _decide()
if not _COMPILED and not any(isinstance(f, _SourceFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _SourceFinder())


def compiled() -> bool:
    """Whether the engine runs its compiled (mypyc) hot path in this process."""
    return bool(_COMPILED)


def compiled_modules() -> tuple[str, ...]:
    """The engine modules that run compiled (empty when interpreted)."""
    return _COMPILED


def engine_path() -> str:
    """Which engine runs and why: ``compiled (mypyc: 13 modules)`` or ``interpreted (...)``."""
    return _PATH


def clear_plan_caches() -> None:
    """Forget the static plans of every scenario run so far (graph, routes, link and place
    speed tables): the next run builds its own, as the first run in a process does."""
    from simulator.engine.simulation import clear_plan_caches as clear

    clear()
