"""The README's scenario example is valid and is the tiny test scenario; its set-up lines hold."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from scenario_helpers import TINY

from simulator.scenario.loader import load_scenario, load_scenario_text

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_example_is_the_tiny_scenario() -> None:
    (example,) = _blocks("yaml")
    from_readme = load_scenario_text(example, source="README.md")
    tiny = load_scenario(TINY)
    same = dataclasses.replace(
        from_readme, source_path=tiny.source_path, description=tiny.description
    )
    assert same == tiny


def test_readme_starts_with_the_two_setup_commands() -> None:
    first = _blocks("sh")[0].strip().splitlines()
    assert len(first) == 2
    demo = "pip install . && matchday simulate stade_mohammed_v --seed 1 --out runs/demo"
    assert first[0] == demo
    assert first[1].startswith("apt-get update && apt-get install -y chromium && pip install")
    assert first[1].endswith("&& python -m pytest")
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert first[1] in ci  # CI runs the README's test command verbatim


def test_readme_simpy_process_runs_beside_the_engine(capsys) -> None:  # type: ignore[no-untyped-def]
    """The README's researcher example runs as printed, and the same seed counts the same."""
    (code,) = _blocks("python")
    first: dict = {}
    exec(compile(code, "README.md", "exec"), first)
    printed = capsys.readouterr().out
    assert printed.startswith("12 counts, the last (")
    again: dict = {}
    exec(compile(code, "README.md", "exec"), again)
    assert again["north_forecourt"] == first["north_forecourt"]
    assert [t for t, _ in first["north_forecourt"]] == [19 * 3600 + 600 * k for k in range(12)]
    assert first["sim"].now == 21 * 3600
