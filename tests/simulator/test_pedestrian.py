"""Pedestrian model registry and the two built-in models."""

from __future__ import annotations

import math
import re
import sys
import types
from dataclasses import replace

import pytest

import simulator.crowd.registry as pedestrian
from simulator import Scenario, Simulation, SimulatorError, create_model
from simulator.crowd.exponential import Exponential
from simulator.crowd.weidmann import Weidmann


def test_docstring_example_registers_a_working_model(small: Scenario) -> None:
    block = re.search(r"::\n\n(.*?)\n\nafter which", pedestrian.__doc__ or "", re.S)
    assert block is not None
    code = "\n".join(line[4:] for line in block.group(1).splitlines())
    module = types.ModuleType("pedestrian_doc_example")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    try:
        exec(compile(code, "<pedestrian docstring>", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    model = create_model("linear", {"v0": 1.2})
    assert model.speed(2.5, 10.0) == pytest.approx(0.6)
    settings = replace(small.settings, pedestrian_model="linear", model_params={"v0": 1.2})
    sim = Simulation(replace(small, settings=settings), seed=1)
    sim.run()
    assert sim.result().summary.to_dict()["fans"]["left"] == 5700


def test_unknown_model_names_the_known_ones() -> None:
    with pytest.raises(SimulatorError, match=r"expected one of .*weidmann.*found 'fruin'"):
        create_model("fruin", {})


def test_bad_parameters_say_which() -> None:
    with pytest.raises(SimulatorError, match="v0 must be > 0"):
        create_model("weidmann", {"v0": -1.0})
    with pytest.raises(SimulatorError, match="model_params for 'exponential'"):
        create_model("exponential", {"speed": 1.0})


def test_weidmann_formula_values() -> None:
    model = Weidmann()
    assert model.speed(0.0, 1.0) == 1.34
    assert model.speed(5.4, 1.0) == 0.0
    expected = 1.34 * (1 - math.exp(-1.913 * (1 / 2.0 - 1 / 5.4)))
    assert model.speed(2.0, 1.0) == pytest.approx(expected)


def test_exponential_is_calibrated_at_two_and_four_per_m2() -> None:
    model = Exponential()
    floor = 20.0
    # V_n at n = 2 x floor and 4 x floor people
    assert model.speed(2.0, floor) == pytest.approx(0.64)
    assert model.speed(4.0, floor) == pytest.approx(0.25)
    assert model.speed(1 / floor, floor) == 1.5
    with pytest.raises(ValueError, match="a > v_at_2 > v_at_4"):
        Exponential(a=0.5)
