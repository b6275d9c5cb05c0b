"""Compile the engine's hot path with mypyc: the same Python source, built to C extensions.

``pip install .`` and ``pip install -e .`` both run this (pyproject.toml holds the metadata).
The modules in ``HOT_PATH`` are compiled together (one shared library,
``simulator/engine/hot__mypyc``, plus a small extension per module) and a list of the sha256
of each compiled source is written beside them (``compiled_sources.txt``): at import,
``simulator.engine`` runs the compiled modules only if every source still matches it, so a
``.py`` edited after an editable install is never shadowed by its stale extension.

What the sources do for mypyc (they stay plain Python, checked by mypy, and run interpreted
unchanged):

* ``Dynamics`` has one chain of bases (``Dynamics(DwellDynamics(PlaceDynamics))``): mypyc
  compiles single inheritance natively, and the mixins declare the methods ``Dynamics`` defines
  with bodies rather than under ``TYPE_CHECKING`` (which a compiled class body cannot hold).
* The run-state classes a snapshot holds (``World``, ``Walkway``, ``Place``, ``Party``,
  ``TurnstileBank``, ``DwellState``) are ``@mypyc_attr(serializable=True,
  allow_interpreted_subclasses=True)``: serializable so that the snapshot decoder can create
  them without ``__init__``, and allowing interpreted subclasses because mypyc 2.4.1 otherwise
  skips ``__init__`` when such a class is called from interpreted code. Their state methods
  read no ``__slots__`` or ``__dict__`` (a compiled class has neither), and the snapshot codec
  reads a compiled class's slots from its source, so a snapshot holds the same state either way.

A failed compilation fails the install. ``MATCHDAY_PURE_PYTHON=1`` at build time builds
without compiling (a pure-Python install: the same results, about half the speed);
``MATCHDAY_INTERPRETED=1`` at run time runs the sources of a compiled install.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

ENGINE = Path("simulator", "engine")
# the modules a match day spends its time in (benchmarks/bench_matchday.py measures the gain)
HOT_PATH = (
    "agenda",
    "checkpoint",
    "crossing",
    "demand",
    "dwell",
    "dynamics",
    "gates",
    "link",
    "party",
    "place",
    "routing",
    "sampling",
    "world",
)
MANIFEST = "compiled_sources.txt"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class BuildHotPath(build_ext):
    """``build_ext`` that also writes the compiled sources' digests beside the extensions."""

    def run(self) -> None:
        super().run()
        out = Path(self.get_ext_fullpath("simulator.engine.link")).parent / MANIFEST
        lines = [f"{_digest(ENGINE / f'{m}.py')}  {m}.py\n" for m in HOT_PATH]
        out.write_text("".join(lines))

    def get_outputs(self) -> list[str]:
        out = Path(self.get_ext_fullpath("simulator.engine.link")).parent / MANIFEST
        return [*super().get_outputs(), str(out)]


def _pure() -> bool:
    return os.environ.get("MATCHDAY_PURE_PYTHON", "") not in ("", "0")


if _pure():
    setup()
else:
    from mypyc.build import mypycify

    setup(
        ext_modules=mypycify(
            # lint findings are mypy's job in CI, not the build's: a `type: ignore` that one
            # environment's stubs make unneeded must not fail an install
            ["--no-warn-unused-ignores", *(str(ENGINE / f"{m}.py") for m in HOT_PATH)],
            opt_level="3",
            group_name="simulator.engine.hot",
        ),
        cmdclass={"build_ext": BuildHotPath},
    )
