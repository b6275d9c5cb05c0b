"""``matchday live`` from the command line: alerts on the terminal, and every bad-input path."""

from __future__ import annotations

from pathlib import Path

import pytest
from live_helpers import ARENA
from typer.testing import CliRunner

from matchday.cli import app
from simulator import load_scenario
from streams.frames import frame_cameras

STADIUM = Path(__file__).parents[2] / "scenarios" / "stade_mohammed_v.yaml"

runner = CliRunner()


def live(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["live", *args])
    return result.exit_code, result.output


def test_fast_demo_shows_alerts_with_no_broker() -> None:
    """The bundled stadium from the demo's default start (8 min before the final whistle)."""
    code, out = live(
        "stade_mohammed_v",  # a bundled name, as validate, simulate and sweep take it
        "--fast",
        "--minutes",
        "2",
        "--speed",
        "600",
        "--no-dashboard",
        "--match-date",
        "2030-07-21",
    )
    assert code == 0, out
    assert "the in-process bus" in out and "from 22:42:00" in out
    assert "CAP status Exercise" in out.replace("\n", " ")  # a replay is never Actual
    assert out.count("forecast +20 min") == 8  # 2 minutes of 15-s cycles
    assert "ALERT" in out and "LoS E predicted" in out  # the egress crush on the stairs ahead
    assert "done:" in out and "0 dead-lettered" in out


def test_default_demo_renders_frames_through_the_model_and_shows_alerts() -> None:
    code, out = live(str(STADIUM), "--minutes", "1", "--speed", "600", "--no-dashboard")
    assert code == 0, out
    assert "rendered frames through" in out.replace("\n", " ")
    cameras = len(frame_cameras(load_scenario(STADIUM)))  # one per area with a floor
    assert f"{cameras} cameras" in out and "ALERT" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fast", "--kafka", "nohost"], "--kafka: expected HOST:PORT"),
        (["--fast", "--start", "9pm"], "--start: expected a clock time HH:MM"),
        (["--model", "no_such_model"], "--model: expected an installed counting model"),
        (["--fast", "--rules", "/nonexistent/rules.yaml"], "/nonexistent/rules.yaml: (file)"),
        (["--fast", "--cameras", "/nonexistent/cams.yaml"], "/nonexistent/cams.yaml: (file)"),
    ],
)
def test_bad_options_name_the_option_and_the_fix(args: list[str], message: str) -> None:
    code, out = live(str(ARENA), "--no-dashboard", *args)
    assert code == 2 and message in out.replace("\n", " "), out


def test_bad_scenario_lists_its_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n")
    code, out = live(str(bad), "--fast", "--no-dashboard")
    assert code == 2 and "problem(s) in scenario" in out and str(bad) in out.replace("\n", "")


@pytest.mark.parametrize(
    ("args", "says"),
    [(["--case", "7"], "no case [7]: choose from 0-2"), (["--members", "0"], "--members")],
)
def test_twin_eval_bad_options_name_the_option(args: list[str], says: str) -> None:
    result = runner.invoke(app, ["twin-eval", *args])
    assert result.exit_code == 2
    assert says in " ".join(result.output.split())
