"""Plain-python job functions for testing the executors themselves (not the engine).

They live in an importable module so spawned pool workers and Ray workers can load them.
"""

from __future__ import annotations

import numpy as np


def seeded_draw(seed: int) -> tuple[int, float]:
    """A job whose result depends only on its seed: same seed, same number, on any executor."""
    return seed, float(np.random.default_rng(seed).normal())


def fail_on_three(seed: int) -> int:
    """A job that raises for seed 3, to test that a failure names its job."""
    if seed == 3:
        raise RuntimeError(f"seed {seed} is cursed")
    return seed
