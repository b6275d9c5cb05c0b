"""The engine-part and SimPy-process example in docs/extending.md runs and does what it says."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "extending.md"


def doc_namespace() -> dict[str, Any]:
    """Run every ``python`` block of the page in order, as a reader pasting them would."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 2, "the page's example is a definition block and a usage block"
    namespace: dict[str, Any] = {"__name__": "extending_doc"}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)  # the repository's own doc, not input
    return namespace


def test_the_steward_closes_the_approach_beside_the_engine(
    capsys: pytest.CaptureFixture[str],
) -> None:
    namespace = doc_namespace()
    printed = capsys.readouterr().out.splitlines()
    summary, log = namespace["summary"], namespace["log"]
    assert [round(t) for t, _, _ in log] == [70200, 70500, 70800, 71100]  # 19:30 every 5 min
    on_approach = [n for _, n, _ in log]
    at_stop = [n for _, _, n in log]
    assert on_approach[0] > 0 and on_approach[-1] == 0  # walked off, nobody stepped on
    assert at_stop == sorted(at_stop) and at_stop[-1] > at_stop[0] + 100  # the stop fills up
    assert len(printed) == 5 and printed[-1] == f"seated by kick-off: {summary.fans.seated}"
    # the same seed gives the same run, process and all
    again_summary, again_log = namespace["ingress_with_steward"](seed=1)
    assert again_log == log
    assert again_summary == summary
