"""Write a folder of outputs so that a killed run never leaves files that look valid.

Every file goes into a hidden sibling ``.<name>.partial-<id>`` first; only when all are written
is it renamed onto ``<name>`` in one step (``os.replace`` on the same file system is atomic).
A replaced folder is first renamed aside to ``.<name>.replaced-<id>`` and removed after the
swap, so a kill at any instant leaves either the old folder whole, the new one whole, or (kill
between the two renames) the old one whole under its ``.replaced`` name: never a mix. Hidden
``.partial``/``.replaced`` folders left by a killed run can be deleted by hand.

An existing folder is replaced only when the caller says so (``--overwrite``), and only when it
is empty or holds what ``looks_like_output`` recognises, so a mistyped ``--out ~`` cannot
delete a home directory.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from simulator.errors import OutputExistsError

__all__ = ["OutputExistsError", "check_target", "looks_like_output", "staged_folder"]

MARKERS = ("summary.json", "comparison.json", "runs")


def looks_like_output(folder: Path) -> bool:
    """True for a folder a matchday command wrote (or an empty one)."""
    entries = [p.name for p in folder.iterdir()]
    return not entries or any(name in entries for name in MARKERS)


def check_target(target: Path, *, overwrite: bool, what: str = "run") -> None:
    """Refuse, before any work, a target that exists unless it may be replaced."""
    if not target.exists():
        return
    if not target.is_dir():
        raise OutputExistsError(f"{target} is a file, not a folder; choose another --out")
    if not looks_like_output(target):
        raise OutputExistsError(
            f"{target} holds files that matchday did not write; choose another --out "
            "(it is never replaced)"
        )
    if any(target.iterdir()) and not overwrite:
        raise OutputExistsError(
            f"{target} already holds a {what}; pass --overwrite to replace it, "
            "or choose another --out"
        )


@contextmanager
def staged_folder(target: Path, *, overwrite: bool, what: str = "run") -> Iterator[Path]:
    """Yield an empty folder beside ``target``; on success it replaces ``target`` at once."""
    check_target(target, overwrite=overwrite, what=what)
    target.parent.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    partial = target.parent / f".{target.name}.partial-{tag}"
    partial.mkdir()
    try:
        yield partial
        _sync_tree(partial)
        _swap_in(partial, target, tag)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def _swap_in(partial: Path, target: Path, tag: str) -> None:
    if not target.exists():
        os.replace(partial, target)
        return
    aside = target.parent / f".{target.name}.replaced-{tag}"
    os.replace(target, aside)
    os.replace(partial, target)
    shutil.rmtree(aside, ignore_errors=True)


def _sync_tree(folder: Path) -> None:
    """Flush every file to disk before the rename, so a power cut cannot undo the contents."""
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())
